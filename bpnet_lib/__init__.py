"""bpnet_lib: the code appendix of the BPNet book.

Small NumPy functions, one module per concept. Every layer is a pair
``xxx_forward(...) -> (out, cache)`` / ``xxx_backward(dout, cache)``; every
gradient the book derives is computed here and checked against SymPy and
finite differences. The numeric core imports NumPy only; ``symbolic`` (SymPy),
``plotting`` (matplotlib) and ``widgets`` (ipywidgets) are imported on demand.
"""

from . import gradcheck
from . import bpnet, init, network, optim  # NumPy only (data, train: import on demand)

__version__ = "0.1.0"

__all__ = ["gradcheck", "bpnet", "init", "network", "optim", "__version__"]
