"""The package as a newcomer meets it: every module reachable from ``import bpnet_lib``,
optional dependencies that fail clearly or step aside, and the README's example running."""
import builtins
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bpnet_lib

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_is_an_attribute():
    modules = sorted(p.stem for p in (ROOT / "bpnet_lib").glob("*.py") if not p.stem.startswith("_"))
    modules.append("plotting")
    for name in modules:
        assert getattr(bpnet_lib, name).__name__ == f"bpnet_lib.{name}"
    assert set(modules) <= set(bpnet_lib.__all__) and set(modules) <= set(dir(bpnet_lib))


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'lossess'"):
        bpnet_lib.lossess  # noqa: B018


def test_import_is_light():
    # `import bpnet_lib` alone pulls in none of the optional dependencies.
    code = "import sys, bpnet_lib; print(sorted(m for m in ('sympy', 'matplotlib', 'sklearn', 'tqdm', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _hide(monkeypatch, module):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {module!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    _hide(monkeypatch, "sklearn")
    with pytest.raises(ImportError, match=re.escape("pip install -e '.[data]'")):
        bpnet_lib.data.digits()


def test_fit_without_tqdm_trains_silently(monkeypatch, capsys):
    from bpnet_lib import losses, network, optim, train

    monkeypatch.setenv("BPNET_PROGRESS", "1")
    _hide(monkeypatch, "tqdm")
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = network.Sequential(network.Linear(3, 2, rng=0))
    history = train.fit(net, losses.softmax_cross_entropy, X, y, epochs=2, batch_size=5,
                        optimizer=optim.SGD(net, lr=0.1), rng=0)
    assert len(history.loss) == 2
    assert capsys.readouterr().err == ""


def test_readme_example_runs():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    env = dict(os.environ, BPNET_PROGRESS="0", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    stated = float(re.search(r"# about (\d\.\d+)", block).group(1))  # what the README says
    got = float(re.fullmatch(r"test accuracy (\d\.\d+)", out.stdout.strip()).group(1))
    assert abs(got - stated) <= 0.01, (got, stated)
