"""Shared pytest configuration.

Hypothesis runs derandomized (a fixed sequence of examples derived from each test), so a
CI run is reproducible: a failure seen once is seen again on the same commit. Set
HYPOTHESIS_PROFILE=explore to draw fresh random examples, many more of them, locally.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=500, derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium over the built book (make test-browser); "
        "make test-lib deselects it")
