"""bpnet_lib: the code appendix of the BPNet book.

Small NumPy functions, one module per concept. Every layer is a pair
``xxx_forward(...) -> (out, cache)`` / ``xxx_backward(dout, cache)``; every
gradient the book derives is computed here and checked against SymPy and
finite differences. The numeric core imports NumPy only; ``symbolic`` (SymPy),
``plotting`` and ``explorer_html`` (matplotlib), ``widgets`` (ipywidgets), ``data.digits``
(scikit-learn) and the progress bar of ``train.fit`` (tqdm) need their
optional dependencies only when used.

Every module is reachable as an attribute (``bpnet_lib.losses``) and imported
on first use, so ``import bpnet_lib`` stays cheap.
"""

import importlib

__version__ = "0.1.0"

# The package's modules, in the order of the book's library appendix.
_MODULES = (
    "gradcheck", "symbolic", "descent", "activations", "layers", "losses", "init",
    "network", "bpnet", "optim", "data", "train", "curvature", "conv", "pool", "margin",
    "metric", "rnn", "plotting", "widgets", "explorer_html",
)

__all__ = [*_MODULES, "__version__"]


def __getattr__(name):
    """Import a submodule on first access (PEP 562): ``bpnet_lib.losses`` just works."""
    if name in _MODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'bpnet_lib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES))
