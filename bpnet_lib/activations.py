"""Activation functions and their derivatives, each derivative beside its forward.

An activation is applied entry by entry (softmax and its relatives act along one
axis), so backpropagating through it only multiplies the upstream gradient by the
local derivative. Every derivative here is written in the form the backward pass
uses: the sigmoid's as :math:`\\sigma(1 - \\sigma)`, tanh's as
:math:`1 - \\tanh^2`, softmax's as :math:`\\operatorname{diag}(p) - p p^\\top`.
The forwards are written to be safe at extreme inputs: the sigmoid only ever
exponentiates :math:`-|z|`, the ELU only :math:`\\min(z, 0)`, and softmax,
log-softmax and log-sum-exp subtract the maximum first, so none of them
overflows or warns even at :math:`|z| = 10^4`. Inputs go through
``bpnet_lib._validation.as_float_array``; float32 stays float32, anything
else (int, bool, float16) becomes float64. Every function returns a new array in that
dtype and never modifies its input.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_flag

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "elu",
    "elu_grad",
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_jacobian",
]


def _check_alpha(alpha, dtype) -> np.floating:
    """Return the ELU scale ``alpha`` as a scalar of ``dtype``; it must be finite and >= 0."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise ValueError(f"alpha: expected a number >= 0, got {alpha!r}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha: expected a finite number >= 0, got {alpha!r}")
    return dtype.type(alpha)


def _check_axis_input(z: np.ndarray, axis: int, name: str = "z") -> None:
    """Raise ``ValueError`` unless ``z`` has a non-empty axis ``axis``."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis: expected an int, got {axis!r} ({type(axis).__name__})")
    if z.ndim == 0:
        raise ValueError(f"{name}: expected an array with at least 1 dimension, got a scalar")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis: expected an axis of a {z.ndim}-D array, got axis={axis}")
    if z.shape[axis] == 0:
        raise ValueError(
            f"{name}: expected at least one entry along axis {axis}, got shape {z.shape}"
        )


# --- sigmoid -----------------------------------------------------------------


def sigmoid(z):
    """Logistic sigmoid, computed so that it never overflows.

    .. math::
        \\sigma(z) = \\frac{1}{1 + e^{-z}} = \\frac{e^{z}}{1 + e^{z}}

    The first form is used for :math:`z \\ge 0` and the second for :math:`z < 0`;
    both are evaluated through :math:`e = e^{-|z|} \\in (0, 1]`, so no exponential
    can overflow.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
        :math:`\\sigma(z)`, in :math:`[0, 1]`.
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    """Derivative of the sigmoid, written in terms of the sigmoid itself.

    .. math::
        \\sigma'(z) = \\sigma(z)\\,(1 - \\sigma(z)) \\le \\tfrac14

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    s = sigmoid(z)
    return s * (1 - s)


# --- tanh --------------------------------------------------------------------


def tanh(z):
    """Hyperbolic tangent.

    .. math::
        \\tanh(z) = \\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\\sigma(2z) - 1

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
        Values in :math:`[-1, 1]`.
    """
    return np.tanh(as_float_array(z, "z"))


def tanh_grad(z):
    """Derivative of tanh, written in terms of tanh itself.

    .. math::
        \\tanh'(z) = 1 - \\tanh^2(z)

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    t = tanh(z)
    return 1 - t * t


# --- ReLU --------------------------------------------------------------------


def relu(z):
    """Rectified linear unit.

    .. math::
        \\operatorname{relu}(z) = \\max(z, 0)

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    z = as_float_array(z, "z")
    return np.maximum(z, z.dtype.type(0))


def relu_grad(z):
    """Derivative of the ReLU, with the convention :math:`\\operatorname{relu}'(0) = 0`.

    .. math::
        \\operatorname{relu}'(z) = [z > 0]

    The ReLU has no derivative at 0; any value in :math:`[0, 1]` is a valid
    subgradient. We take 0 (as PyTorch does), so a unit sitting exactly at 0
    passes no gradient back.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape and dtype as ``z``
        1 where ``z > 0``, else 0.
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


# --- ELU ---------------------------------------------------------------------


def elu(z, alpha=1.0):
    """Exponential linear unit.

    .. math::
        \\operatorname{elu}(z) =
        \\begin{cases} z & z > 0 \\\\ \\alpha\\,(e^{z} - 1) & z \\le 0 \\end{cases}

    ``expm1`` is applied to :math:`\\min(z, 0)` only, so large positive inputs
    never overflow, and small negative ones keep full precision.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.
    alpha : float, default 1.0
        Value the negative branch saturates to is :math:`-\\alpha`; must be >= 0.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha, z.dtype)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, z.dtype.type(0))))


def elu_grad(z, alpha=1.0):
    """Derivative of the ELU, with the convention :math:`\\operatorname{elu}'(0) = \\alpha`.

    .. math::
        \\operatorname{elu}'(z) =
        \\begin{cases} 1 & z > 0 \\\\ \\alpha e^{z} = \\operatorname{elu}(z) + \\alpha
        & z \\le 0 \\end{cases}

    At 0 the left branch is used (so :math:`\\alpha = 0` reproduces
    :func:`relu_grad`); for :math:`\\alpha = 1` both branches agree there.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.
    alpha : float, default 1.0
        Must be >= 0.

    Returns
    -------
    ndarray, same shape as ``z``
    """
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha, z.dtype)
    return np.where(z > 0, z.dtype.type(1), alpha * np.exp(np.minimum(z, z.dtype.type(0))))


# --- softmax and relatives ---------------------------------------------------


def _log_sum_exp_shifted(shifted: np.ndarray, axis: int) -> np.ndarray:
    """:math:`\\log \\sum_k e^{u_k}` for ``shifted`` = u whose maximum along ``axis`` is 0.

    The maximum contributes exactly :math:`e^0 = 1`; it is taken out and the rest
    summed into ``log1p``, so a confident row such as ``[0, -40]`` keeps its tiny
    log-sum (:math:`\\approx 4 \\cdot 10^{-18}`) instead of rounding it to 0.
    """
    e = np.exp(shifted)
    top = np.argmax(shifted, axis=axis)
    np.put_along_axis(e, np.expand_dims(top, axis), 0, axis=axis)
    return np.log1p(np.sum(e, axis=axis, keepdims=True))


def logsumexp(z, axis=-1, keepdims=False):
    """Log of the sum of exponentials along ``axis``, shifted by the maximum.

    .. math::
        \\operatorname{lse}(z) = \\log \\sum_k e^{z_k}
        = z_{\\max} + \\log \\sum_k e^{z_k - z_{\\max}}, \\qquad z_{\\max} = \\max_k z_k

    After the shift every exponent is :math:`\\le 0` and the largest is exactly
    0, so the sum lies in :math:`[1, K]`: no overflow, and no log of 0. That
    largest term, exactly 1, is then split off and the rest goes through
    ``log1p``, which keeps full precision when the maximum dominates.

    Parameters
    ----------
    z : array_like, shape (..., K, ...)
        Scores; ``K`` is the length of ``axis``.
    axis : int, default -1
        Axis to reduce.
    keepdims : bool, default False
        Keep the reduced axis with length 1.

    Returns
    -------
    ndarray
        ``z``'s shape without ``axis`` (or with it of length 1 if ``keepdims``).
    """
    z = as_float_array(z, "z")
    _check_axis_input(z, axis)
    keepdims = check_flag(keepdims, "keepdims")
    z_max = np.max(z, axis=axis, keepdims=True)
    out = z_max + _log_sum_exp_shifted(z - z_max, axis)
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z, axis=-1):
    """Logarithm of the softmax along ``axis``, computed without forming the softmax.

    .. math::
        \\log \\operatorname{softmax}(z)_k = z_k - \\operatorname{lse}(z)
        = (z_k - z_{\\max}) - \\log \\sum_j e^{z_j - z_{\\max}}

    For example ``log_softmax([1e4, 0])`` is exactly ``[0, -1e4]``, where the
    naive ``log(softmax(z))`` would give ``-inf``.

    Parameters
    ----------
    z : array_like, shape (..., K, ...)
        Scores (logits).
    axis : int, default -1
        Axis holding the ``K`` classes.

    Returns
    -------
    ndarray, same shape as ``z``
        Log-probabilities, all :math:`\\le 0`.
    """
    z = as_float_array(z, "z")
    _check_axis_input(z, axis)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - _log_sum_exp_shifted(shifted, axis)


def softmax(z, axis=-1):
    """Softmax along ``axis``, shifted by the maximum so no exponential overflows.

    .. math::
        \\operatorname{softmax}(z)_k = \\frac{e^{z_k}}{\\sum_j e^{z_j}}
        = \\frac{e^{z_k - z_{\\max}}}{\\sum_j e^{z_j - z_{\\max}}}, \\qquad z_{\\max} = \\max_j z_j

    Parameters
    ----------
    z : array_like, shape (..., K, ...)
        Scores (logits).
    axis : int, default -1
        Axis holding the ``K`` classes.

    Returns
    -------
    ndarray, same shape as ``z``
        Probabilities: non-negative, summing to 1 along ``axis``.
    """
    z = as_float_array(z, "z")
    _check_axis_input(z, axis)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_jacobian(z):
    """Jacobian of the softmax of one score vector, written in terms of :math:`p`.

    .. math::
        \\frac{\\partial p_i}{\\partial z_j} = p_i(\\delta_{ij} - p_j),
        \\qquad \\frac{\\partial p}{\\partial z} = \\operatorname{diag}(p) - p p^\\top,
        \\quad p = \\operatorname{softmax}(z)

    The Jacobian is symmetric and maps :math:`\\mathbf{1}` to 0 (shifting every score by
    the same amount does not change :math:`p`).

    Parameters
    ----------
    z : array_like, shape (K,)
        One score vector.

    Returns
    -------
    ndarray, shape (K, K)
        Entry ``[i, j]`` is :math:`\\partial p_i / \\partial z_j`.
    """
    z = as_float_array(z, "z")
    if z.ndim != 1:
        raise ValueError(f"z: expected a 1-D array of shape (K,), got shape {z.shape}")
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)
