"""Layer objects and ``Sequential``: a thin stateful tier over the functional core.

A layer is anything with four methods: ``forward(X) -> out``, which keeps what the
backward needs (the cache of the ``xxx_forward`` function it wraps, overwritten on every
call); ``backward(dout) -> dX``, which also stores the gradients of the layer's
parameters; and ``params()`` / ``grads()``, two dicts with the same keys mapping a
parameter's name to its array and to the gradient of that array (``{"W": ..., "b": ...}``
for :class:`Linear`, ``{}`` for an activation). ``backward`` *overwrites* the gradients,
it does not accumulate them, so a training step is forward, backward, update. Optimisers
update ``params()`` in place. :class:`Sequential` is itself a layer whose ``params()`` is
one flat dict keyed ``"<index>.<name>"`` (``"0.W"``, ``"0.b"``, ``"2.W"``, ...).
Convolution and pooling layers plug in by implementing the same four methods.

Dtypes: a layer with parameters (:class:`Linear`, :class:`Conv2D`) keeps the dtype it was
built in (float32 or float64; any other ``dtype``, float16 included, is a ``TypeError``). Its
``forward`` casts the input to that dtype, so its output, the ``dX`` its ``backward``
returns and the gradients it stores are all in it, whatever the dtype of the data or of
``dout``. A layer without parameters follows the rule of the function it wraps: it computes
in the dtype of its input (float32 stays float32; int, bool and float16 become float64).

Aliasing: a layer keeps, until the next ``forward``, what its function's cache keeps, which
are references, not copies: :class:`Linear` and :class:`Conv2D` keep their input ``X`` (the
caller's array when it already has the layer's dtype) and their own ``W``; the activations
keep the output they returned. Editing any of these in place between ``forward`` and
``backward`` changes the gradients without an error; an optimiser step belongs after the
backward. :class:`Flatten` returns views: its output is a view of ``X`` and the ``dX`` of its
backward a view of ``dout``, as ``numpy.reshape`` gives. Every other output and gradient is a
new array.
"""

from __future__ import annotations

import numpy as np

from . import conv as _C
from . import init as _init
from . import layers as _L
from . import pool as _P
from ._validation import as_float_array, check_ndim, pair

__all__ = [
    "Layer",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "ELU",
    "Dropout",
    "Sequential",
    "Conv2D",
    "MaxPool2D",
    "AvgPool2D",
    "Flatten",
]


def _mode(mode) -> bool:
    """``mode`` as a bool, or ``TypeError``: a string such as ``"eval"`` is truthy."""
    if not isinstance(mode, (bool, np.bool_)):
        raise TypeError(
            f"mode: expected True (training) or False (evaluation), got "
            f"{type(mode).__name__} {mode!r}"
        )
    return bool(mode)


class Layer:
    """Base class: a layer with no parameters whose forward and backward are to be written.

    Subclasses implement :meth:`forward` and :meth:`backward`, and override
    :meth:`params` / :meth:`grads` if they have parameters. ``self.training`` is the
    mode set by :meth:`Layer.train` / :meth:`Layer.eval`; only dropout-like layers look at it.
    """

    def __init__(self):
        self.training = True
        self._cache = None

    def forward(self, X):  # pragma: no cover - abstract
        """Compute the output for a batch ``X`` and keep what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - abstract
        """Return ``dX`` for the upstream gradient ``dout``; store parameter gradients."""
        raise NotImplementedError

    def __call__(self, X):
        return self.forward(X)

    def params(self) -> dict:
        """The layer's parameters, name -> array (the arrays themselves, not copies)."""
        return {}

    def grads(self) -> dict:
        """The gradients from the last :meth:`backward`, with the keys of :meth:`params`."""
        return {}

    def zero_grad(self) -> None:
        """Set every stored gradient to zero, in place."""
        for g in self.grads().values():
            g[...] = 0

    def num_parameters(self) -> int:
        """The number of scalar parameters."""
        return int(sum(p.size for p in self.params().values()))

    def train(self, mode: bool = True):
        """Switch to training mode (or to evaluation mode if ``mode`` is False); return self.

        Raises ``TypeError`` unless ``mode`` is a bool: ``train("eval")`` or ``train(0.0)``
        would otherwise switch to whichever mode the value's truth gives.
        """
        self.training = _mode(mode)
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off); return self."""
        return self.train(False)

    def _saved(self):
        """Return the cache of the last forward, or raise if there was none."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward: run "
                f"forward(X) first, so the layer has the cache its backward needs"
            )
        return self._cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _as_param_dtype(X: np.ndarray, *params: np.ndarray) -> np.ndarray:
    """``X`` cast to the dtype of a layer's parameters (no copy if it has it already).

    A model keeps the dtype it was built in: a float32 layer fed float64 data computes,
    returns and stores its gradients in float32, and the ``dX`` it returns is float32 too.
    """
    return X.astype(np.result_type(*params), copy=False)


class Linear(Layer):
    r"""Fully connected layer :math:`Y = XW + \mathbf{1}b^\top` over :func:`~bpnet_lib.layers.affine_forward`.

    Parameters
    ----------
    in_features, out_features : int
        ``D`` and ``M``.
    rng : numpy.random.Generator or int or None
        Source of the initial weights (an int seeds a new generator; None draws fresh
        entropy, so pass a seed whenever results must be reproducible).
    init : str or callable, default "he"
        A name understood by :func:`bpnet_lib.init.get`, or ``(D, M, rng, dtype) -> W``.
    dtype : numpy dtype, default float64
        float32 or float64 (anything else, float16 included, raises ``TypeError``). The
        layer computes in it: an input of another dtype is cast to it, so the output,
        ``dX``, ``dW`` and ``db`` all have this dtype.

    Attributes
    ----------
    W : ndarray, shape (D, M)
    b : ndarray, shape (M,)
        Zero at construction.
    dW, db : ndarray
        Gradients :math:`\mathrm{d}W = X^\top\mathrm{d}Y` and
        :math:`\mathrm{d}\mathbf{b}^\top = \mathbf{1}^\top\mathrm{d}Y` from the last
        :meth:`backward` (zero before the first), shaped like ``W`` and ``b``.
    """

    def __init__(self, in_features, out_features, rng=None, init="he", dtype=np.float64):
        super().__init__()
        initialiser = _init.get(init)
        dtype = _init._float_dtype(dtype)  # TypeError unless float32 or float64
        W = np.asarray(initialiser(in_features, out_features, _init._rng(rng), dtype=dtype))
        if W.shape != (in_features, out_features):
            raise ValueError(
                f"init: expected an initialiser returning shape ({in_features}, {out_features}), "
                f"got shape {W.shape}"
            )
        self.W = W.astype(dtype, copy=False)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    @property
    def in_features(self) -> int:
        return self.W.shape[0]

    @property
    def out_features(self) -> int:
        return self.W.shape[1]

    def forward(self, X):
        """``X`` (N, D) -> ``Y`` (N, M), in the dtype of the parameters (``X`` is cast to it)."""
        X = _as_param_dtype(as_float_array(X, "X"), self.W, self.b)
        check_ndim(X, 2, "X", "(N, D)")
        if X.shape[1] != self.in_features:
            raise ValueError(
                f"X: expected {self.in_features} features per row for {self!r}, "
                f"got shape {X.shape}"
            )
        Y, self._cache = _L.affine_forward(X, self.W, self.b)
        return Y

    def backward(self, dout):
        """``dout`` (N, M) -> ``dX`` (N, D); stores ``dW`` (D, M) and ``db`` (M,)."""
        dX, dW, db = _L.affine_backward(dout, self._saved())
        self.dW[...] = dW
        self.db[...] = db
        return dX

    def params(self) -> dict:
        return {"W": self.W, "b": self.b}

    def grads(self) -> dict:
        return {"W": self.dW, "b": self.db}

    def __repr__(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"


class _Activation(Layer):
    """An element-wise activation: ``forward``/``backward`` are the core functions."""

    _forward = None
    _backward = None

    def forward(self, X):
        Y, self._cache = type(self)._forward(X)
        return Y

    def backward(self, dout):
        return type(self)._backward(dout, self._saved())


class ReLU(_Activation):
    """:math:`Y = \\max(X, 0)`, over :func:`~bpnet_lib.layers.relu_forward`."""

    _forward = staticmethod(_L.relu_forward)
    _backward = staticmethod(_L.relu_backward)


class Sigmoid(_Activation):
    """:math:`Y = \\sigma(X)`, over :func:`~bpnet_lib.layers.sigmoid_forward`."""

    _forward = staticmethod(_L.sigmoid_forward)
    _backward = staticmethod(_L.sigmoid_backward)


class Tanh(_Activation):
    """:math:`Y = \\tanh(X)`, over :func:`~bpnet_lib.layers.tanh_forward`."""

    _forward = staticmethod(_L.tanh_forward)
    _backward = staticmethod(_L.tanh_backward)


class ELU(Layer):
    """ELU with scale ``alpha`` (>= 0), over :func:`~bpnet_lib.layers.elu_forward`."""

    def __init__(self, alpha=1.0):
        super().__init__()
        _L.elu_forward(np.zeros(1), alpha)  # validates alpha now, not at the first forward
        self.alpha = alpha

    def forward(self, X):
        Y, self._cache = _L.elu_forward(X, self.alpha)
        return Y

    def backward(self, dout):
        return _L.elu_backward(dout, self._saved())

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class Dropout(Layer):
    """Inverted dropout, over :func:`~bpnet_lib.layers.dropout_forward`.

    In training mode each entry is zeroed with probability ``p_drop`` and the rest scaled
    by :math:`1/(1 - p_{\text{drop}})`; in evaluation mode (after :meth:`Layer.eval`) the layer is the identity.

    Parameters
    ----------
    p_drop : float
        In ``[0, 1)``.
    rng : numpy.random.Generator or int
        Source of the masks (an int seeds a new generator).
    """

    def __init__(self, p_drop, rng):
        super().__init__()
        _L.dropout_forward(np.zeros(1), p_drop, None, train=False)  # validates p_drop
        self.p_drop = float(p_drop)
        if rng is None:
            raise ValueError(
                "rng: expected a numpy.random.Generator or an int seed for the dropout "
                "masks, got None"
            )
        self.rng = _init._rng(rng)

    def forward(self, X):
        Y, self._cache = _L.dropout_forward(X, self.p_drop, self.rng, train=self.training)
        return Y

    def backward(self, dout):
        return _L.dropout_backward(dout, self._saved())

    def __repr__(self) -> str:
        return f"Dropout(p_drop={self.p_drop})"


_LAYER_METHODS = ("forward", "backward", "params", "grads")


_INCOMPLETE = object()  # Sequential._cache while (or after) a forward that did not finish


class Sequential(Layer):
    """A chain of layers: forward left to right, backward right to left.

    Parameters
    ----------
    *layers : Layer
        Anything with ``forward``, ``backward``, ``params`` and ``grads``.

    Notes
    -----
    :meth:`params` (alias :meth:`parameters`) and :meth:`grads` return one flat dict
    whose keys are ``"<index>.<name>"``: ``"0.W"`` is the weight matrix of layer 0. The
    arrays are the layers' own, so updating them in place updates the model. A
    ``ValueError`` raised inside a layer is re-raised naming the layer's index, which is
    what a reader needs when two layers' widths do not fit.

    Examples
    --------
    >>> model = Sequential(Linear(64, 128, rng=0), ReLU(), Linear(128, 10, rng=1))
    >>> model.num_parameters()
    9610
    """

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            missing = [m for m in _LAYER_METHODS if not callable(getattr(layer, m, None))]
            if missing:
                raise ValueError(
                    f"layers[{i}]: expected a layer with forward, backward, params and grads, "
                    f"got {type(layer).__name__} without {', '.join(missing)}"
                )
            first = next(j for j, other in enumerate(layers) if other is layer)
            if first < i:
                # one object keeps one cache: the second use's forward would overwrite the
                # first's, and backward would give the first use a wrong gradient, silently
                raise ValueError(
                    f"layers[{i}]: expected a layer object of its own, got the same object as "
                    f"layers[{first}] ({layer!r}); a layer keeps the cache of one use, so "
                    f"create another (e.g. ReLU() twice)"
                )
        self.layers = list(layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def forward(self, X):
        """Run every layer's forward in order and return the last output.

        If a layer raises, the layers before it hold the new input's caches and the rest
        the old ones, so :meth:`backward` refuses to run until a forward completes.
        """
        out = X
        self._cache = _INCOMPLETE  # until the last layer has run
        for i, layer in enumerate(self.layers):
            try:
                out = layer.forward(out)
            except ValueError as exc:
                raise ValueError(f"layer {i} ({layer!r}): {exc}") from exc
        self._cache = True
        return out

    def backward(self, dout):
        """Run every layer's backward in reverse order and return ``dX`` for the input.

        Raises
        ------
        RuntimeError
            If there was no forward, or the last forward raised before every layer ran.
        """
        if self._cache is None:
            raise RuntimeError(
                "Sequential.backward was called before forward: run forward(X) first, so "
                "every layer has the cache its backward needs"
            )
        if self._cache is _INCOMPLETE:
            raise RuntimeError(
                "Sequential.backward: the last forward did not complete (a layer raised), so "
                "the layers' caches come from different inputs; run forward(X) again first"
            )
        for i in reversed(range(len(self.layers))):
            try:
                dout = self.layers[i].backward(dout)
            except ValueError as exc:
                raise ValueError(f"layer {i} ({self.layers[i]!r}): {exc}") from exc
        return dout

    def params(self) -> dict:
        """Flat dict ``"<index>.<name>" -> array`` over all layers."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params().items()}

    parameters = params

    def grads(self) -> dict:
        """Flat dict ``"<index>.<name>" -> gradient``, the keys of :meth:`params`."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads().items()}

    def zero_grad(self) -> None:
        for layer in self.layers:
            if hasattr(layer, "zero_grad"):
                layer.zero_grad()
            else:
                for g in layer.grads().values():
                    g[...] = 0

    def train(self, mode: bool = True):
        self.training = _mode(mode)
        for layer in self.layers:
            if hasattr(layer, "train"):
                layer.train(mode)
        return self

    def predict(self, X) -> np.ndarray:
        """Class predictions: the argmax of each output row, computed in evaluation mode.

        The mode the model was in is restored afterwards; the layers' caches are
        overwritten, as by any forward.

        Returns
        -------
        ndarray of int, shape (N,)

        Raises
        ------
        ValueError
            If the output does not have shape (N, K) with K >= 2.
        """
        was_training = self.training
        self.eval()
        try:
            S = self.forward(X)
        finally:
            self.train(was_training)
        if S.ndim != 2 or S.shape[1] < 2:
            raise ValueError(
                f"predict: expected class scores of shape (N, K) with K >= 2, got shape "
                f"{S.shape}; for a single output, threshold it yourself"
            )
        return np.argmax(S, axis=1)

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for i, layer in enumerate(self.layers):
            shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in layer.params().items())
            lines.append(f"  ({i}) {layer!r}" + (f"  {shapes}" if shapes else ""))
        lines.append(f")  {self.num_parameters():,} parameters")
        return "\n".join(lines)


class Conv2D(Layer):
    r"""Convolution layer over :func:`~bpnet_lib.conv.conv2d_forward` (im2col + GEMM).

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``F``.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride, padding : int or (int, int), default 1 and 0
        The strides ``(s_h, s_w)`` and paddings ``(p_h, p_w)``, rows then columns; an int
        means the same on both axes.
    rng : numpy.random.Generator or int or None
        Source of the initial kernels (an int seeds a new generator).
    init : str or callable, default "he"
        As for :class:`Linear`, called as ``init(C kh kw, F, rng, dtype)``: the layer is
        a :class:`Linear` map from each :func:`~bpnet_lib.conv.im2col` column of
        ``C kh kw`` inputs to ``F`` outputs, and the ``(C kh kw, F)`` matrix drawn is
        transposed and reshaped to ``W``. So He's variance is :math:`2 / (C k_h k_w)`,
        each output summing that many products. (Glorot's ``fan_out`` is therefore
        ``F``; PyTorch uses ``F kh kw``.)
    dtype : numpy dtype, default float64
        float32 or float64, as for :class:`Linear`: inputs are cast to it.

    Attributes
    ----------
    W : ndarray, shape (F, C, kh, kw)
        The kernels, the layer's weights (initialised as above).
    b : ndarray, shape (F,)
        Zero at construction.
    dW, db : ndarray
        Gradients from the last :meth:`backward` (zero before the first), with the shapes
        of ``W`` and ``b``. ``params()`` and ``grads()`` use the keys ``"W"`` and ``"b"``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None,
                 init="he", dtype=np.float64):
        super().__init__()
        kh, kw = _C._check_window(*pair(kernel_size, "kernel_size"))
        self.stride, self.padding = _C._hyper(stride, padding)
        initialiser = _init.get(init)
        dtype = _init._float_dtype(dtype)  # TypeError unless float32 or float64
        fan_in = in_channels * kh * kw
        W_cols = np.asarray(initialiser(fan_in, out_channels, _init._rng(rng), dtype=dtype))
        if W_cols.shape != (fan_in, out_channels):
            raise ValueError(
                f"init: expected an initialiser returning shape ({fan_in}, {out_channels}), "
                f"got shape {W_cols.shape}"
            )
        self.W = np.ascontiguousarray(W_cols.T.reshape(out_channels, in_channels, kh, kw), dtype=dtype)
        self.b = np.zeros(out_channels, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, X):
        """``X`` (N, C, n_h, n_w) -> ``Y`` (N, F, n_h', n_w'), in the parameters' dtype."""
        X = _as_param_dtype(as_float_array(X, "X"), self.W, self.b)
        check_ndim(X, 4, "X", "(N, C, n_h, n_w)")
        if X.shape[1] != self.W.shape[1]:
            raise ValueError(
                f"X: expected {self.W.shape[1]} channels (axis 1) for {self!r}, got shape {X.shape}"
            )
        Y, self._cache = _C.conv2d_forward(X, self.W, self.b, self.stride, self.padding)
        return Y

    def backward(self, dout):
        """``dout`` (N, F, n_h', n_w') -> ``dX`` (N, C, n_h, n_w); stores ``dW`` and ``db``."""
        dX, dW, db = _C.conv2d_backward(dout, self._saved())
        self.dW[...] = dW
        self.db[...] = db
        return dX

    def params(self) -> dict:
        return {"W": self.W, "b": self.b}

    def grads(self) -> dict:
        return {"W": self.dW, "b": self.db}

    def __repr__(self) -> str:
        F, C, kh, kw = self.W.shape
        return (f"Conv2D({C}, {F}, kernel_size=({kh}, {kw}), stride={self.stride}, "
                f"padding={self.padding})")


class _Pool2D(Layer):
    """A pooling layer over a pair of functions of :mod:`bpnet_lib.pool`.

    ``size`` is the window ``(kh, kw)`` and ``stride`` the strides ``(s_h, s_w)`` (an int means
    the same on both axes); the stride defaults to the window, so that the windows tile.
    """

    _forward = None
    _backward = None

    def __init__(self, size=2, stride=None):
        super().__init__()
        if min(pair(size, "size")) < 1:
            raise ValueError(f"size: expected a window of at least 1 x 1, got {size!r}")
        if stride is not None and min(pair(stride, "stride")) < 1:
            raise ValueError(f"stride: expected positive ints (an int or a pair (h, w)), got {stride!r}")
        type(self)._forward(np.zeros((1, 1) + pair(size, "size")), size, stride)  # validates
        self.size = pair(size, "size")
        self.stride = self.size if stride is None else pair(stride, "stride")

    def forward(self, X):
        """``X`` (N, C, n_h, n_w) -> ``Y`` (N, C, n_h', n_w')."""
        Y, self._cache = type(self)._forward(X, self.size, self.stride)
        return Y

    def backward(self, dout):
        """``dout`` (N, C, n_h', n_w') -> ``dX`` (N, C, n_h, n_w)."""
        return type(self)._backward(dout, self._saved())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, stride={self.stride})"


class MaxPool2D(_Pool2D):
    """Max pooling over :func:`~bpnet_lib.pool.maxpool2d_forward` (ties: first max, row-major)."""

    _forward = staticmethod(_P.maxpool2d_forward)
    _backward = staticmethod(_P.maxpool2d_backward)


class AvgPool2D(_Pool2D):
    """Average pooling over :func:`~bpnet_lib.pool.avgpool2d_forward`."""

    _forward = staticmethod(_P.avgpool2d_forward)
    _backward = staticmethod(_P.avgpool2d_backward)


class Flatten(Layer):
    """``X`` (N, d1, d2, ...) -> (N, d1 d2 ...), row-major; backward reshapes back."""

    def forward(self, X):
        X = as_float_array(X, "X")
        if X.ndim < 2:
            raise ValueError(f"X: expected an array of shape (N, ...) with ndim >= 2, got shape {X.shape}")
        self._cache = X.shape
        # the width is spelt out, not -1: with N = 0 numpy cannot infer it
        return X.reshape(X.shape[0], int(np.prod(X.shape[1:])))

    def backward(self, dout):
        shape = self._saved()
        dout = as_float_array(dout, "dout")
        want = (shape[0], int(np.prod(shape[1:])))
        if dout.shape != want:
            raise ValueError(f"dout: expected shape {want} (the forward's output), got shape {dout.shape}")
        return dout.reshape(shape)
