"""Fully connected layers as forward/backward pairs: the functional tier the chapters teach.

Each ``xxx_forward(...)`` returns ``(out, cache)``: the output, and a small
``NamedTuple`` holding only what the backward needs. Each ``xxx_backward(dY, cache)``
takes the upstream gradient :math:`\\partial L / \\partial Y` (same shape as the
forward's output, checked) and returns the gradients of the forward's inputs, in
argument order. The affine layer saves its inputs; the sigmoid, tanh, ReLU and
ELU save their *output* and write their derivative in terms of it; dropout saves
its scaled keep-mask; maxout saves the position of each group's maximum. Layer
objects for ``Sequential`` are thin wrappers over these functions and live elsewhere.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_ndim
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
    """Dropout's scaled keep-mask (``None`` at test time), its ``p_drop`` and the output shape."""

    mask: np.ndarray | None
    p_drop: float
    shape: tuple


def _upstream(dY, shape: tuple) -> np.ndarray:
    """Return ``dY`` as a float array, checking it has the forward output's ``shape``."""
    dY = as_float_array(dY, "dY")
    if dY.shape != tuple(shape):
        raise ValueError(
            f"dY: expected the shape of the forward's output {tuple(shape)}, got shape {dY.shape}"
        )
    return dY


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
    cache : AffineCache
        ``(X, W)``.
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
    return X @ W + b, AffineCache(X, W)


def affine_backward(dY, cache):
    """Backward pass of :func:`affine_forward`.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} W^\\top, \\qquad
        \\frac{\\partial L}{\\partial W} = X^\\top \\frac{\\partial L}{\\partial Y}, \\qquad
        \\frac{\\partial L}{\\partial b} = \\mathbf{1}^\\top \\frac{\\partial L}{\\partial Y}

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
    X, W = cache
    dY = _upstream(dY, (X.shape[0], W.shape[1]))
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
    Y = relu(X)
    return Y, ActivationCache(Y)


def relu_backward(dY, cache):
    """Backward pass of :func:`relu_forward`, with :math:`\\operatorname{relu}'(0) = 0`.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\odot [Y > 0]

    Since :math:`Y > 0` exactly when :math:`X > 0`, the output is all the mask needs.

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    (Y,) = cache
    dY = _upstream(dY, Y.shape)
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
    Y = sigmoid(X)
    return Y, ActivationCache(Y)


def sigmoid_backward(dY, cache):
    """Backward pass of :func:`sigmoid_forward`, in terms of the output.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\odot Y \\odot (1 - Y)

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    (Y,) = cache
    dY = _upstream(dY, Y.shape)
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
    Y = tanh(X)
    return Y, ActivationCache(Y)


def tanh_backward(dY, cache):
    """Backward pass of :func:`tanh_forward`, in terms of the output.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\odot (1 - Y \\odot Y)

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : ActivationCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
    """
    (Y,) = cache
    dY = _upstream(dY, Y.shape)
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
    Y = elu(X, alpha)
    return Y, EluCache(Y, _check_alpha(alpha, Y.dtype))


def elu_backward(dY, cache):
    """Backward pass of :func:`elu_forward`, in terms of the output.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\odot
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
    Y, alpha = cache
    dY = _upstream(dY, Y.shape)
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
    dZ = relu_backward(dY, cache.relu)
    return affine_backward(dZ, cache.affine)


# --- dropout -----------------------------------------------------------------


def dropout_forward(X, p_drop, rng, train=True):
    """Inverted dropout: zero each entry with probability ``p_drop``, scale the rest.

    .. math::
        Y = X \\odot \\frac{M}{1 - p}, \\qquad M_{ij} \\sim \\operatorname{Bernoulli}(1 - p)

    Scaling at training time keeps :math:`\\mathbb{E}[Y] = X`, so at test time
    (``train=False``) the layer is the identity and needs no random numbers.

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
        ``(mask, p_drop, shape)``, with ``mask`` = :math:`M / (1 - p)` in ``X``'s
        dtype, or ``None`` at test time.
    """
    X = as_float_array(X, "X")
    if isinstance(p_drop, bool) or not isinstance(p_drop, (int, float, np.integer, np.floating)):
        raise ValueError(f"p_drop: expected a number in [0, 1), got {p_drop!r}")
    if not 0 <= p_drop < 1:
        raise ValueError(f"p_drop: expected a probability in [0, 1), got {p_drop!r}")
    p_drop = float(p_drop)
    if not train:
        return X.copy(), DropoutCache(None, p_drop, X.shape)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng: expected a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    keep = rng.random(X.shape) >= p_drop
    mask = keep.astype(X.dtype) * X.dtype.type(1 / (1 - p_drop))
    return X * mask, DropoutCache(mask, p_drop, X.shape)


def dropout_backward(dY, cache):
    """Backward pass of :func:`dropout_forward`: the same mask, the same scale.

    .. math::
        \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} \\odot \\frac{M}{1 - p}

    Parameters
    ----------
    dY : array_like, same shape as the forward's output
    cache : DropoutCache

    Returns
    -------
    dX : ndarray, same shape as ``dY``
        ``dY`` itself at test time.
    """
    mask, _, shape = cache
    dY = _upstream(dY, shape)
    return dY if mask is None else dY * mask


# --- maxout ------------------------------------------------------------------


class MaxoutCache(NamedTuple):
    """What :func:`maxout_backward` needs: the arg-max of each group and the input's shape.

    ``argmax`` (N, M) holds, for every sample and group, the position ``j`` in ``0..k-1``
    of the (first) largest of the group's ``k`` inputs; ``shape`` is ``(N, M*k)``.
    """

    argmax: np.ndarray
    shape: tuple
    k: int


def _check_pieces(k) -> int:
    """Return the group size ``k`` of a maxout layer as an int; it must be a positive integer."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected a positive integer (inputs per maxout unit), got {k!r}")
    return int(k)


def maxout_forward(X, k):
    """Maxout layer: the maximum of each group of ``k`` consecutive inputs.

    The ``M k`` columns of ``X`` are split into ``M`` groups of ``k`` consecutive columns,
    group ``m`` being columns ``m k, ..., m k + k - 1``, and each output is the largest
    entry of its group:

    .. math::
        Y_{nm} = \\max_{0 \\le j < k} X_{n,\\, mk + j}

    Preceded by an affine layer with ``M k`` outputs, this is the maxout unit of
    Goodfellow et al. (2013), :math:`\\max_j (x^\\top w_j + b_j)`. With ``k = 1`` it is
    the identity; with the pieces :math:`(z, 0)` it is the ReLU.

    Parameters
    ----------
    X : array_like, shape (N, M*k)
        Pre-activations, ``k`` per output unit.
    k : int
        Number of inputs (linear pieces) per output unit; must divide ``X.shape[1]``.

    Returns
    -------
    Y : ndarray, shape (N, M)
    cache : MaxoutCache
        ``(argmax, shape, k)``; on ties ``argmax`` is the *first* largest entry
        (the convention of ``np.argmax``).
    """
    X = as_float_array(X, "X")
    k = _check_pieces(k)
    check_ndim(X, 2, "X", "(N, M*k)")
    N, Mk = X.shape
    if Mk % k != 0:
        raise ValueError(
            f"X: expected a number of columns divisible by k = {k} (M groups of k "
            f"consecutive inputs), got shape {X.shape}"
        )
    groups = X.reshape(N, Mk // k, k)
    argmax = np.argmax(groups, axis=2)
    Y = np.take_along_axis(groups, argmax[..., None], axis=2)[..., 0]
    return Y, MaxoutCache(argmax, X.shape, k)


def maxout_backward(dY, cache):
    """Backward pass of :func:`maxout_forward`: each group's gradient goes to its arg-max.

    .. math::
        \\frac{\\partial L}{\\partial X_{n,\\, mk + j}} =
        \\frac{\\partial L}{\\partial Y_{nm}}\\, [\\, j = j^*_{nm} ],
        \\qquad j^*_{nm} = \\operatorname{arg\\,max}_{j} X_{n,\\, mk + j}

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
    dX : ndarray, shape (N, M*k)
        Zero except at one entry per group.
    """
    argmax, shape, k = cache
    N, Mk = shape
    dY = _upstream(dY, (N, Mk // k))
    dX = np.zeros((N, Mk // k, k), dtype=dY.dtype)
    np.put_along_axis(dX, argmax[..., None], dY[..., None], axis=2)
    return dX.reshape(N, Mk)
