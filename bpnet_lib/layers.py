"""Fully connected layers as forward/backward pairs: the functional tier the chapters teach.

Each ``xxx_forward(...)`` returns ``(out, cache)``: the output, and a small
``NamedTuple`` holding only what the backward needs. Each ``xxx_backward(dY, cache)``
takes the upstream gradient :math:`\\mathrm{d}Y = \\partial J / \\partial Y` of the
network's loss :math:`J` (same shape as the forward's output, checked) and returns the gradients of the forward's inputs, in
argument order. The affine layer saves its inputs; the sigmoid, tanh, ReLU and
ELU save their *output* and write their derivative in terms of it; dropout saves
its scaled keep-mask; maxout saves the position of each group's maximum. Layer
objects for ``Sequential`` are thin wrappers over these functions and live elsewhere.

Dtypes: a forward computes in float32 when every float array it is given is float32, and in
float64 otherwise (int, bool and float16 arrays are read as float64). Its output, its cache
and every gradient its backward returns are in that dtype, whatever the dtype of ``dY``,
which is cast to it: a float32 forward with a float64 ``dY`` gives float32 gradients.

Aliasing: no function modifies its arguments, and every output and gradient is a new array
(at test time too: dropout's forward and backward return copies). The caches are not copies.
The affine cache holds the ``X`` and ``W`` passed in (when they already have the forward's
dtype), and an activation's cache holds the very array the forward returned, which is also
the next affine layer's ``X``, so the cache costs no memory. Writing into ``X``, ``W`` or an
activation's output ``Y`` between the forward and the backward therefore changes the
gradient without an error: write ``Y = Y + 1``, not ``Y += 1``, or copy first.

Each backward checks its ``cache``: anything but the cache its own forward returned (a
plain tuple, another function's cache) raises ``TypeError`` naming ``cache``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_cache, check_flag, check_ndim
from .activations import _check_alpha, elu, relu, sigmoid, tanh

__all__ = [
    "AffineCache",
    "ActivationCache",
    "EluCache",
    "AffineReluCache",
    "DropoutCache",
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "elu_forward",
    "elu_backward",
    "affine_relu_forward",
    "affine_relu_backward",
    "dropout_forward",
    "dropout_backward",
    "MaxoutCache",
    "maxout_forward",
    "maxout_backward",
]


class AffineCache(NamedTuple):
    """What :func:`affine_backward` needs: the input ``X`` (N, D) and weights ``W`` (D, M)."""

    X: np.ndarray
    W: np.ndarray


class ActivationCache(NamedTuple):
    """The output ``out`` of a ReLU, sigmoid or tanh; its derivative is written in terms of it."""

    out: np.ndarray


class EluCache(NamedTuple):
    """The ELU's output ``out`` and its ``alpha``: for ``out <= 0``, elu' = out + alpha."""

    out: np.ndarray
    alpha: np.floating


class AffineReluCache(NamedTuple):
    """The two caches of the composite affine -> ReLU."""

    affine: AffineCache
    relu: ActivationCache


class DropoutCache(NamedTuple):
    """Dropout's scaled keep-mask (``None`` at test time), its ``p_drop``, the output shape
    and the forward's dtype."""

    mask: np.ndarray | None
    p_drop: float
    shape: tuple
    dtype: np.dtype = np.dtype(np.float64)


def _upstream(dY, shape: tuple, dtype) -> np.ndarray:
    """Return ``dY`` in the forward's ``dtype``, checking it has the forward output's ``shape``.

    The dtype of ``dY`` itself does not matter: every gradient a backward returns has the
    dtype its forward computed in (see the module docstring).
    """
    dY = as_float_array(dY, "dY")
    if dY.shape != tuple(shape):
        raise ValueError(
            f"dY: expected the shape of the forward's output {tuple(shape)}, got shape {dY.shape}"
        )
    return dY.astype(dtype, copy=False)


# --- affine ------------------------------------------------------------------


def affine_forward(X, W, b):
    """Affine (fully connected) layer.

    .. math::
        Y = X W + \\mathbf{1} b^\\top, \\qquad Y_{nm} = \\sum_d X_{nd} W_{dm} + b_m

    Parameters
    ----------
    X : array_like, shape (N, D)
        A batch of ``N`` inputs with ``D`` features each.
    W : array_like, shape (D, M)
        Weights.
    b : array_like, shape (M,)
        Biases, added to every row.

    Returns
    -------
    Y : ndarray, shape (N, M)
        float32 only if ``X``, ``W`` and ``b`` all are, else float64.
    cache : AffineCache
        ``(X, W)``, in the dtype of ``Y``: the arrays passed in, not copies, when they
        already have it.
    """
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    b = as_float_array(b, "b")
    check_ndim(X, 2, "X", "(N, D)")
    check_ndim(W, 2, "W", "(D, M)")
    check_ndim(b, 1, "b", "(M,)")
    if X.shape[1] != W.shape[0]:
        raise ValueError(
            f"W: expected {X.shape[1]} rows to match X's D = {X.shape[1]} (X has shape "
            f"{X.shape}), got W of shape {W.shape}"
        )
    if b.shape[0] != W.shape[1]:
        raise ValueError(
            f"b: expected shape ({W.shape[1]},) to match W's M = {W.shape[1]}, "
            f"got shape {b.shape}"
        )
    dtype = np.result_type(X, W, b)  # float32 only if all three are
    X, W, b = X.astype(dtype, copy=False), W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    return X @ W + b, AffineCache(X, W)


def affine_backward(dY, cache):
    """Backward pass of :func:`affine_forward`.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y\\, W^\\top, \\qquad
        \\mathrm{d}W = X^\\top \\mathrm{d}Y, \\qquad
        \\mathrm{d}b^\\top = \\mathbf{1}^\\top \\mathrm{d}Y

    where :math:`\\mathrm{d}A = \\partial J/\\partial A` has the shape of :math:`A`. This costs
    :math:`2NDM` multiply-adds (the two products), twice the forward's :math:`NDM`.

    Parameters
    ----------
    dY : array_like, shape (N, M)
        Upstream gradient.
    cache : AffineCache
        From :func:`affine_forward`.

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    check_cache(cache, AffineCache, "affine_forward")
    X, W = cache
    dY = _upstream(dY, (X.shape[0], W.shape[1]), X.dtype)
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


# --- element-wise activations ------------------------------------------------


def relu_forward(X):
    """ReLU layer, :math:`Y = \\max(X, 0)`; the cache is the output.

    Parameters
    ----------
    X : array_like, any shape
        Pre-activations.

    Returns
    -------
    Y : ndarray, same shape as ``X``
    cache : ActivationCache
        ``(Y,)``.
    """
    Y = relu(as_float_array(X, "X"))
    return Y, ActivationCache(Y)


def relu_backward(dY, cache):
    """Backward pass of :func:`relu_forward`, with :math:`\\operatorname{relu}'(0) = 0`.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y \\odot [Y > 0]

    Since :math:`Y > 0` exactly when :math:`X > 0`, the output is all the mask needs. The
    ReLU has no derivative at 0; the value 0 used there is a subgradient (any value in
    :math:`[0, 1]` is one).

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    check_cache(cache, ActivationCache, "relu_forward")
    (Y,) = cache
    dY = _upstream(dY, Y.shape, Y.dtype)
    return dY * (Y > 0)


def sigmoid_forward(X):
    """Sigmoid layer, :math:`Y = \\sigma(X)`; the cache is the output.

    Parameters
    ----------
    X : array_like, any shape

    Returns
    -------
    Y : ndarray, same shape as ``X``
    cache : ActivationCache
        ``(Y,)``.
    """
    Y = sigmoid(as_float_array(X, "X"))
    return Y, ActivationCache(Y)


def sigmoid_backward(dY, cache):
    """Backward pass of :func:`sigmoid_forward`, in terms of the output.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y \\odot Y \\odot (1 - Y)

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    check_cache(cache, ActivationCache, "sigmoid_forward")
    (Y,) = cache
    dY = _upstream(dY, Y.shape, Y.dtype)
    return dY * Y * (1 - Y)


def tanh_forward(X):
    """Tanh layer, :math:`Y = \\tanh(X)`; the cache is the output.

    Parameters
    ----------
    X : array_like, any shape

    Returns
    -------
    Y : ndarray, same shape as ``X``
    cache : ActivationCache
        ``(Y,)``.
    """
    Y = tanh(as_float_array(X, "X"))
    return Y, ActivationCache(Y)


def tanh_backward(dY, cache):
    """Backward pass of :func:`tanh_forward`, in terms of the output.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y \\odot (1 - Y \\odot Y)

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    check_cache(cache, ActivationCache, "tanh_forward")
    (Y,) = cache
    dY = _upstream(dY, Y.shape, Y.dtype)
    return dY * (1 - Y * Y)


def elu_forward(X, alpha=1.0):
    """ELU layer, :math:`Y = \\operatorname{elu}_\\alpha(X)`; the cache is the output and alpha.

    Parameters
    ----------
    X : array_like, any shape
    alpha : float, default 1.0
        Must be >= 0.

    Returns
    -------
    Y : ndarray, same shape as ``X``
    cache : EluCache
        ``(Y, alpha)``.
    """
    Y = elu(as_float_array(X, "X"), alpha)
    return Y, EluCache(Y, _check_alpha(alpha, Y.dtype))


def elu_backward(dY, cache):
    """Backward pass of :func:`elu_forward`, in terms of the output.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y \\odot
        \\begin{cases} 1 & Y > 0 \\\\ Y + \\alpha & Y \\le 0 \\end{cases}

    For :math:`X \\le 0`, :math:`Y = \\alpha(e^X - 1)` so :math:`\\alpha e^X = Y + \\alpha`;
    and :math:`Y > 0` exactly when :math:`X > 0`. At :math:`X = 0` this gives
    :math:`\\alpha`, as :func:`bpnet_lib.activations.elu_grad` does.

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : EluCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    check_cache(cache, EluCache, "elu_forward")
    Y, alpha = cache
    dY = _upstream(dY, Y.shape, Y.dtype)
    return dY * np.where(Y > 0, Y.dtype.type(1), Y + alpha)


# --- composite ---------------------------------------------------------------


def affine_relu_forward(X, W, b):
    """Affine layer followed by a ReLU, :math:`Y = \\max(XW + b, 0)`.

    Parameters
    ----------
    X : array_like, shape (N, D)
    W : array_like, shape (D, M)
    b : array_like, shape (M,)

    Returns
    -------
    Y : ndarray, shape (N, M)
    cache : AffineReluCache
        ``(affine_cache, relu_cache)``.
    """
    Z, affine_cache = affine_forward(X, W, b)
    Y, relu_cache = relu_forward(Z)
    return Y, AffineReluCache(affine_cache, relu_cache)


def affine_relu_backward(dY, cache):
    """Backward pass of :func:`affine_relu_forward`: the chain rule, one layer at a time.

    Parameters
    ----------
    dY : array_like, shape (N, M)
    cache : AffineReluCache

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    check_cache(cache, AffineReluCache, "affine_relu_forward")
    dZ = relu_backward(dY, cache.relu)
    return affine_backward(dZ, cache.affine)


# --- dropout -----------------------------------------------------------------


def dropout_forward(X, p_drop, rng, train=True):
    """Inverted dropout: zero each entry with probability ``p_drop``, scale the rest.

    .. math::
        Y = X \\odot \\frac{R}{1 - p_{\\text{drop}}}, \\qquad
        R_{ij} \\sim \\operatorname{Bernoulli}(1 - p_{\\text{drop}})

    The mask :math:`R` holds 1 for a kept entry and 0 for a dropped one. Scaling at training
    time keeps :math:`\\mathbb{E}[Y] = X`, so at test time (``train=False``) the layer is the
    identity and needs no random numbers.

    Parameters
    ----------
    X : array_like, any shape
    p_drop : float
        Probability of dropping an entry, in ``[0, 1)``.
    rng : numpy.random.Generator or None
        Source of the mask; may be ``None`` only when ``train=False``.
    train : bool, default True

    Returns
    -------
    Y : ndarray, same shape as ``X``
    cache : DropoutCache
        ``(mask, p_drop, shape, dtype)``, with ``mask`` = :math:`R / (1 - p_{\\text{drop}})` in ``X``'s
        dtype, or ``None`` at test time.
    """
    X = as_float_array(X, "X")
    train = check_flag(train, "train")
    if isinstance(p_drop, bool) or not isinstance(p_drop, (int, float, np.integer, np.floating)):
        raise ValueError(f"p_drop: expected a number in [0, 1), got {p_drop!r}")
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop: expected a probability in [0, 1), got {p_drop!r}")
    p_drop = float(p_drop)
    if not train:
        return X.copy(), DropoutCache(None, p_drop, X.shape, X.dtype)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng: expected a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    keep = rng.random(X.shape) >= p_drop
    mask = keep.astype(X.dtype) * X.dtype.type(1 / (1 - p_drop))
    return X * mask, DropoutCache(mask, p_drop, X.shape, X.dtype)


def dropout_backward(dY, cache):
    """Backward pass of :func:`dropout_forward`: the same mask, the same scale.

    .. math::
        \\mathrm{d}X = \\mathrm{d}Y \\odot \\frac{R}{1 - p_{\\text{drop}}}

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : DropoutCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
        A copy of ``dY`` at test time (a new array, never ``dY`` itself).
    """
    check_cache(cache, DropoutCache, "dropout_forward")
    mask, _, shape, dtype = cache
    dY = _upstream(dY, shape, dtype)
    return dY.copy() if mask is None else dY * mask


# --- maxout ------------------------------------------------------------------


class MaxoutCache(NamedTuple):
    """What :func:`maxout_backward` needs: the arg-max of each group and the input's shape.

    ``argmax`` (N, M) holds, for every sample and group, the position ``j`` in ``0..q-1``
    of the (first) largest of the group's ``q`` inputs; ``shape`` is ``(N, M*q)``; ``dtype``
    is the forward's (that of the gradient).
    """

    argmax: np.ndarray
    shape: tuple
    q: int
    dtype: np.dtype = np.dtype(np.float64)


def _check_pieces(q) -> int:
    """Return the group size ``q`` of a maxout layer as an int; it must be a positive integer."""
    if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 1:
        raise ValueError(f"q: expected a positive integer (pieces per maxout unit), got {q!r}")
    return int(q)


def maxout_forward(X, q):
    """Maxout layer: the maximum of each group of ``q`` consecutive inputs (its pieces).

    The ``M q`` columns of ``X`` are split into ``M`` groups of ``q`` consecutive columns,
    group ``m`` being columns ``m q, ..., m q + q - 1``, and each output is the largest
    entry of its group:

    .. math::
        Y_{nm} = \\max_{0 \\le j < q} X_{n,\\, mq + j}

    Preceded by an affine layer with ``M q`` outputs, this is the maxout unit of
    Goodfellow et al. (2013), :math:`\\max_j (\\mathbf{x}^\\top \\mathbf{w}_j + b_j)`. With
    ``q = 1`` it is the identity; with the pieces :math:`(0, z)` it is the ReLU.

    Parameters
    ----------
    X : array_like, shape (N, M*q)
        Pre-activations, ``q`` per output unit.
    q : int
        Number of pieces (inputs) per output unit; must divide ``X.shape[1]``.

    Returns
    -------
    Y : ndarray, shape (N, M)
    cache : MaxoutCache
        ``(argmax, shape, q, dtype)``; on ties ``argmax`` is the *first* largest entry
        (the convention of ``np.argmax``).
    """
    X = as_float_array(X, "X")
    q = _check_pieces(q)
    check_ndim(X, 2, "X", "(N, M*q)")
    N, Mq = X.shape
    if Mq % q != 0:
        raise ValueError(
            f"X: expected a number of columns divisible by q = {q} (M groups of q "
            f"consecutive pieces), got shape {X.shape}"
        )
    groups = X.reshape(N, Mq // q, q)
    argmax = np.argmax(groups, axis=2)
    Y = np.take_along_axis(groups, argmax[..., None], axis=2)[..., 0]
    return Y, MaxoutCache(argmax, X.shape, q, X.dtype)


def maxout_backward(dY, cache):
    """Backward pass of :func:`maxout_forward`: each group's gradient goes to its arg-max.

    .. math::
        \\mathrm{d}X_{n,\\, mq + j} = \\mathrm{d}Y_{nm}\\, [\\, j = j^*_{nm} ],
        \\qquad j^*_{nm} = \\operatorname{arg\\,max}_{j} X_{n,\\, mq + j}

    The maximum is not differentiable where two entries of a group tie; there any
    convex combination of their unit vectors is a subgradient. We send the whole
    gradient to the first arg-max, the one recorded by :func:`maxout_forward`.

    Parameters
    ----------
    dY : array_like, shape (N, M)
        Upstream gradient.
    cache : MaxoutCache
        From :func:`maxout_forward`.

    Returns
    -------
    dX : ndarray, shape (N, M*q)
        Zero except at one entry per group.
    """
    check_cache(cache, MaxoutCache, "maxout_forward")
    argmax, shape, q, dtype = cache
    N, Mq = shape
    dY = _upstream(dY, (N, Mq // q), dtype)
    dX = np.zeros((N, Mq // q, q), dtype=dY.dtype)
    np.put_along_axis(dX, argmax[..., None], dY[..., None], axis=2)
    return dX.reshape(N, Mq)
