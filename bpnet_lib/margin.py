"""Margin softmax heads: logits written as norms times a cosine, then reshaped.

A classifier's last layer scores feature :math:`\\mathbf{f}` against class weight
:math:`\\mathbf{w}_k` by :math:`\\mathbf{w}_k^\\top\\mathbf{f} = \\lVert\\mathbf{w}_k\\rVert
\\lVert\\mathbf{f}\\rVert\\cos\\theta_k`. The heads here change one factor of that product
and hand the logits :math:`Z` (N, K) to :func:`bpnet_lib.losses.softmax_cross_entropy`:
NormFace drops both norms for a fixed scale, :math:`Z = s\\cos\\theta`
(:func:`cosine_logits_forward`); SphereFace drops the weight norm; L-Softmax and A-Softmax
replace the target's :math:`\\cos\\theta_y` by the angular-margin function
:math:`\\psi(\\theta_y)` (:func:`lsoftmax_logits_forward`), which is evaluated as the
Chebyshev polynomial :math:`T_m(\\cos\\theta)` so that neither direction needs
:math:`\\arccos` or its derivative, infinite at :math:`\\theta \\in \\{0, \\pi\\}`. A zero
vector has no angle: it raises ``ValueError`` wherever the head normalises it or, with
:math:`m \\ge 2`, feeds its angle to :math:`\\psi`, and is accepted where the logit is a
plain product, smooth at 0 (unnormalised features in the cosine head, and unnormalised
vectors at :math:`m = 1`). Norms are computed scaled, so they neither overflow nor
underflow. :func:`feature_incay_loss` is the reciprocal-norm regulariser that pushes
correctly classified features away from the origin.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_labels, check_ndim

__all__ = [
    "chebyshev",
    "margin_segment",
    "psi",
    "psi_from_cos",
    "cosine_logits_forward",
    "cosine_logits_backward",
    "lsoftmax_logits_forward",
    "lsoftmax_logits_backward",
    "feature_incay_loss",
]


# --- hyperparameter and input checks ---------------------------------------------------


def _check_m(m) -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m: expected an integer margin m >= 1, got {m!r}")
    return int(m)


def _check_positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def _check_nonneg(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _features_weights(F, W):
    """Return ``F`` (N, D) and ``W`` (D, K) as arrays of one float dtype, shapes checked."""
    F = as_float_array(F, "F")
    W = as_float_array(W, "W")
    check_ndim(F, 2, "F", "(N, D)")
    check_ndim(W, 2, "W", "(D, K)")
    if F.shape[0] == 0:
        raise ValueError(f"F: expected at least one sample (N >= 1), got shape {F.shape}")
    if W.shape[0] != F.shape[1]:
        raise ValueError(
            f"W: expected {F.shape[1]} rows (D of F {F.shape}), got shape {W.shape}"
        )
    dtype = np.result_type(F, W)
    return F.astype(dtype, copy=False), W.astype(dtype, copy=False)


def _norms(A, axis: int, name: str, what: str, allow_zero: bool = False) -> np.ndarray:
    """Euclidean norms along ``axis`` (kept as a length-1 axis), computed without overflow.

    Each vector is divided by its largest absolute entry before squaring, so a norm near
    the top or bottom of the float range (``1e160`` in float64, ``1e-23`` in float32) comes
    out right instead of as ``inf`` or 0. A norm of 0 (a zero vector) raises unless
    ``allow_zero``; a norm too large for the dtype raises.
    """
    big = np.max(np.abs(A), axis=axis, keepdims=True)
    safe = np.where(big > 0, big, 1).astype(A.dtype)
    with np.errstate(over="ignore"):  # an overflowing norm is reported below
        n = big * np.sqrt(np.sum((A / safe) ** 2, axis=axis, keepdims=True))
    bad = np.flatnonzero(~np.isfinite(n))
    if bad.size:
        raise ValueError(
            f"{name}: expected every {what} to have a norm representable in {A.dtype}, "
            f"got an overflowing norm at {what} {int(bad[0])}"
        )
    zero = np.flatnonzero(n == 0)
    if zero.size and not allow_zero:
        raise ValueError(
            f"{name}: expected every {what} to have a nonzero norm (a zero vector has no "
            f"angle), got norm 0 at {what} {int(zero[0])}"
        )
    return n


def _unit(A, n):
    """``A / n`` with zero vectors (``n == 0``) left as zero vectors."""
    return A / np.where(n > 0, n, 1).astype(A.dtype)


# --- the margin function psi -------------------------------------------------------------


def chebyshev(c, m):
    """Chebyshev polynomial :math:`T_m(c)` and its derivative, by the three-term recurrence.

    .. math::
        T_0 = 1,\\ T_1 = c,\\ T_{j+1} = 2c\\,T_j - T_{j-1}; \\qquad
        T_m'(c) = m\\,U_{m-1}(c),\\ U_0 = 1,\\ U_1 = 2c,\\ U_{j+1} = 2c\\,U_j - U_{j-1}

    so that :math:`T_m(\\cos\\theta) = \\cos m\\theta` and
    :math:`U_{m-1}(\\cos\\theta) = \\sin m\\theta / \\sin\\theta`.

    Parameters
    ----------
    c : array_like, any shape
        Usually cosines in [-1, 1] (any real value is accepted).
    m : int >= 0

    Returns
    -------
    T, dT : ndarray, shape of ``c``
    """
    c = as_float_array(c, "c")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
        raise ValueError(f"m: expected an integer degree m >= 0, got {m!r}")
    t_prev, t = np.ones_like(c), c.copy()
    u_prev, u = np.zeros_like(c), np.ones_like(c)  # U_{-1} = 0, U_0 = 1
    if m == 0:
        return t_prev, np.zeros_like(c)
    for _ in range(int(m) - 1):
        t_prev, t = t, 2 * c * t - t_prev
        u_prev, u = u, 2 * c * u - u_prev
    return t, m * u


def margin_segment(c, m):
    """The index :math:`k` of the interval :math:`[k\\pi/m, (k+1)\\pi/m]` holding :math:`\\theta`.

    Found from :math:`c = \\cos\\theta` alone, as the number of breakpoints
    :math:`\\cos(j\\pi/m)`, :math:`j = 1..m-1`, that are :math:`\\ge c` (at a breakpoint
    both neighbouring pieces give the same :math:`\\psi`; this picks the right one).

    Parameters
    ----------
    c : array_like, any shape
    m : int >= 1

    Returns
    -------
    k : ndarray of int, shape of ``c``, entries in 0..m-1
    """
    m = _check_m(m)
    c = np.asarray(c)
    k = np.zeros(c.shape, dtype=np.intp)
    for j in range(1, m):
        k += c <= np.cos(j * np.pi / m)
    return k


def psi_from_cos(c, m):
    """The L-Softmax margin function as a function of :math:`c = \\cos\\theta`, with its slope.

    .. math::
        \\psi = (-1)^k T_m(c) - 2k, \\qquad
        \\frac{\\mathrm{d}\\psi}{\\mathrm{d}c} = (-1)^k\\, m\\, U_{m-1}(c),

    with :math:`k` from :func:`margin_segment`. Entries are clipped to [-1, 1] first.

    Parameters
    ----------
    c : array_like, any shape
    m : int >= 1

    Returns
    -------
    psi, dpsi : ndarray, shape and dtype of ``c``
    """
    m = _check_m(m)
    c = np.clip(as_float_array(c, "c"), -1, 1)
    k = margin_segment(c, m)
    T, dT = chebyshev(c, m)
    sign = np.where(k % 2 == 0, 1, -1).astype(c.dtype)
    return sign * T - (2 * k).astype(c.dtype), sign * dT


def psi(theta, m):
    """The L-Softmax / A-Softmax margin function of the angle.

    .. math::
        \\psi(\\theta) = (-1)^k \\cos(m\\theta) - 2k, \\qquad
        \\theta \\in \\Big[\\frac{k\\pi}{m}, \\frac{(k+1)\\pi}{m}\\Big],\\ k = 0, \\dots, m-1

    Continuous and strictly decreasing on :math:`[0, \\pi]`, from 1 to :math:`1 - 2m`; equal
    to :math:`\\cos\\theta` for :math:`m = 1`.

    Parameters
    ----------
    theta : array_like, any shape
        Angles in [0, pi].
    m : int >= 1

    Returns
    -------
    ndarray, shape of ``theta``
    """
    m = _check_m(m)
    theta = as_float_array(theta, "theta")
    slack = 4 * np.finfo(theta.dtype).eps  # float32(pi) rounds up, above np.pi
    if theta.size and (theta.min() < 0 or theta.max() > np.pi * (1 + slack)):
        raise ValueError(
            f"theta: expected angles in [0, pi], got values in "
            f"[{float(theta.min()):.6g}, {float(theta.max()):.6g}]"
        )
    k = np.minimum(np.floor(theta * m / np.pi), m - 1).astype(theta.dtype)
    sign = np.where(k % 2 == 0, 1, -1).astype(theta.dtype)
    return sign * np.cos(theta.dtype.type(m) * theta) - 2 * k


# --- NormFace / SphereFace: cosine logits --------------------------------------------------


class CosineCache(NamedTuple):
    """What :func:`cosine_logits_backward` needs."""

    U: np.ndarray  # (N, D) features divided by their norms (or F itself)
    V: np.ndarray  # (D, K) weight columns divided by their norms
    f_norm: np.ndarray  # (N, 1)
    w_norm: np.ndarray  # (1, K)
    scale: float
    normalize_features: bool


def cosine_logits_forward(F, W, scale=1.0, normalize_features=True):
    """Logits from normalised weights (and features): NormFace and SphereFace's base head.

    .. math::
        Z_{nk} = s\\,\\cos\\theta_{nk} = s\\,\\frac{\\mathbf{f}_n^\\top\\mathbf{w}_k}
        {\\lVert\\mathbf{f}_n\\rVert\\lVert\\mathbf{w}_k\\rVert}
        \\quad\\text{or, with normalize_features=False,}\\quad
        Z_{nk} = s\\,\\lVert\\mathbf{f}_n\\rVert\\cos\\theta_{nk}
        = s\\,\\frac{\\mathbf{f}_n^\\top\\mathbf{w}_k}{\\lVert\\mathbf{w}_k\\rVert}

    Parameters
    ----------
    F : array_like, shape (N, D)
        Features, each row of nonzero norm (when normalised).
    W : array_like, shape (D, K)
        Class weights, one column per class, each of nonzero norm.
    scale : float > 0, default 1.0
        :math:`s`.
    normalize_features : bool, default True

    Returns
    -------
    Z : ndarray, shape (N, K)
    cache : CosineCache
    """
    F, W = _features_weights(F, W)
    s = _check_positive(scale, "scale")
    w_norm = _norms(W, 0, "W", "column")
    V = W / w_norm
    if normalize_features:
        f_norm = _norms(F, 1, "F", "row")
        U = F / f_norm
    else:
        f_norm = _norms(F, 1, "F", "row", allow_zero=True)  # z = s f.v: smooth at f = 0
        U = F
    Z = (U @ V) * F.dtype.type(s)
    return Z, CosineCache(U, V, f_norm, w_norm, s, bool(normalize_features))


def _unit_backward(dU, U, norm, axis):
    """Backward of :math:`\\mathbf{u} = \\mathbf{a}/\\lVert\\mathbf{a}\\rVert` along ``axis``:
    :math:`(\\mathrm{d}\\mathbf{u} - \\mathbf{u}(\\mathbf{u}^\\top\\mathrm{d}\\mathbf{u}))
    / \\lVert\\mathbf{a}\\rVert`."""
    return (dU - U * np.sum(U * dU, axis=axis, keepdims=True)) / norm


def cosine_logits_backward(dZ, cache):
    """Gradients of :func:`cosine_logits_forward` with respect to ``F`` and ``W``.

    With :math:`\\mathbf{u}_n = \\mathbf{f}_n/\\lVert\\mathbf{f}_n\\rVert` and
    :math:`\\mathbf{v}_k = \\mathbf{w}_k/\\lVert\\mathbf{w}_k\\rVert`, :math:`Z = s\\,UV`, and
    each normalisation passes its gradient through the projection off its own direction:

    .. math::
        \\frac{\\partial L}{\\partial \\mathbf{f}_n}
        = \\frac{(I - \\mathbf{u}_n\\mathbf{u}_n^\\top)\\, s\\,V\\,\\mathrm{d}\\mathbf{z}_n}
        {\\lVert\\mathbf{f}_n\\rVert}, \\qquad
        \\frac{\\partial L}{\\partial \\mathbf{w}_k}
        = \\frac{(I - \\mathbf{v}_k\\mathbf{v}_k^\\top)\\, s\\,U^\\top\\mathrm{d}Z_{:,k}}
        {\\lVert\\mathbf{w}_k\\rVert}

    (without feature normalisation the first is just :math:`s\\,V\\,\\mathrm{d}\\mathbf{z}_n`).

    Parameters
    ----------
    dZ : array_like, shape (N, K)
    cache : CosineCache

    Returns
    -------
    dF : ndarray, shape (N, D)
    dW : ndarray, shape (D, K)
    """
    U, V = cache.U, cache.V
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (U.shape[0], V.shape[1]):
        raise ValueError(
            f"dZ: expected shape {(U.shape[0], V.shape[1])} (N, K), got shape {dZ.shape}"
        )
    dZ = dZ.astype(U.dtype, copy=False) * U.dtype.type(cache.scale)
    dU = dZ @ V.T
    dV = U.T @ dZ
    dF = _unit_backward(dU, U, cache.f_norm, 1) if cache.normalize_features else dU
    return dF, _unit_backward(dV, V, cache.w_norm, 0)


# --- L-Softmax and A-Softmax -----------------------------------------------------------------


class LSoftmaxCache(NamedTuple):
    """What :func:`lsoftmax_logits_backward` needs."""

    F: np.ndarray  # (N, D)
    W: np.ndarray  # (D, K)
    V: np.ndarray  # (D, K) unit weight columns
    y: np.ndarray  # (N,) labels
    f_norm: np.ndarray  # (N, 1)
    w_norm: np.ndarray  # (1, K)
    c: np.ndarray  # (N,) cos theta of the target class
    g: np.ndarray  # (N,) (lam c + psi(c)) / (1 + lam)
    dg: np.ndarray  # (N,) its derivative in c
    normalize_weights: bool


def lsoftmax_logits_forward(F, W, y, m, normalize_weights=False, lam=0.0):
    """L-Softmax (or, with normalised weights, A-Softmax / SphereFace) logits.

    Every logit is :math:`a_{nk}\\cos\\theta_{nk}` with :math:`a_{nk} =
    \\lVert\\mathbf{w}_k\\rVert\\lVert\\mathbf{f}_n\\rVert` (L-Softmax) or
    :math:`\\lVert\\mathbf{f}_n\\rVert` (A-Softmax), except the target's, whose cosine is
    replaced by the margin function :func:`psi_from_cos`:

    .. math::
        Z_{n y_n} = a_{n y_n}\\, \\frac{\\lambda\\cos\\theta_{n y_n} + \\psi(\\theta_{n y_n})}
        {1 + \\lambda}, \\qquad Z_{nk} = a_{nk}\\cos\\theta_{nk}\\ (k \\ne y_n).

    ``lam`` (:math:`\\lambda \\ge 0`) blends in the plain cosine, as the L-Softmax paper does
    to start training (:math:`\\lambda` annealed towards 0). :math:`\\cos\\theta` is clipped
    to [-1, 1]; :math:`\\psi` is a polynomial in it, so no :math:`\\arccos` is taken.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Features, each row of nonzero norm (a zero row is accepted for ``m = 1``).
    W : array_like, shape (D, K)
        Class weights, each column of nonzero norm (a zero column is accepted for ``m = 1``
        without ``normalize_weights``).
    y : array_like of int, shape (N,)
        Labels in 0..K-1.
    m : int >= 1
        Margin; ``m = 1`` gives the plain (or weight-normalised) logits.
    normalize_weights : bool, default False
        True for A-Softmax: :math:`\\lVert\\mathbf{w}_k\\rVert` replaced by 1.
    lam : float >= 0, default 0.0

    Returns
    -------
    Z : ndarray, shape (N, K)
    cache : LSoftmaxCache
    """
    F, W = _features_weights(F, W)
    m = _check_m(m)
    lam = _check_nonneg(lam, "lam")
    N, K = F.shape[0], W.shape[1]
    y = check_labels(y, N, K, "y")
    # with m = 1 the target logit is the plain one, f.w (or f.v), smooth at a zero vector;
    # with m >= 2 it depends on the angle, which a zero vector does not have
    f_norm = _norms(F, 1, "F", "row", allow_zero=m == 1)
    w_norm = _norms(W, 0, "W", "column", allow_zero=m == 1 and not normalize_weights)
    V = _unit(W, w_norm)
    Z = F @ V if normalize_weights else F @ W
    rows = np.arange(N)
    a = f_norm[:, 0] if normalize_weights else f_norm[:, 0] * w_norm[0, y]
    # the cosine from unit vectors, not Z / a: a can overflow where the cosine cannot
    c = np.clip(np.sum(_unit(F, f_norm) * V[:, y].T, axis=1), -1, 1)
    p, dp = psi_from_cos(c, m)
    dt = F.dtype.type
    g = (dt(lam) * c + p) / dt(1 + lam)
    dg = (dt(lam) + dp) / dt(1 + lam)
    Z[rows, y] = a * g
    cache = LSoftmaxCache(F, W, V, y, f_norm, w_norm, c, g, dg, bool(normalize_weights))
    return Z, cache


def lsoftmax_logits_backward(dZ, cache):
    """Gradients of :func:`lsoftmax_logits_forward` with respect to ``F`` and ``W``.

    The non-target logits are a plain (or weight-normalised) product. For the target
    :math:`t = \\lVert\\mathbf{w}\\rVert\\lVert\\mathbf{f}\\rVert g(c)` (L-Softmax),

    .. math::
        \\frac{\\partial t}{\\partial \\mathbf{f}} = g'(c)\\,\\mathbf{w}
        + \\big(g(c) - c\\,g'(c)\\big)\\lVert\\mathbf{w}\\rVert
        \\frac{\\mathbf{f}}{\\lVert\\mathbf{f}\\rVert}, \\qquad
        \\frac{\\partial t}{\\partial \\mathbf{w}} = g'(c)\\,\\mathbf{f}
        + \\big(g(c) - c\\,g'(c)\\big)\\lVert\\mathbf{f}\\rVert
        \\frac{\\mathbf{w}}{\\lVert\\mathbf{w}\\rVert};

    for :math:`t = \\lVert\\mathbf{f}\\rVert g(c)` (A-Softmax) the same holds with
    :math:`\\mathbf{w}` replaced by :math:`\\mathbf{v} = \\mathbf{w}/\\lVert\\mathbf{w}\\rVert`
    and the gradient in :math:`\\mathbf{v}` projected, :math:`(I - \\mathbf{v}\\mathbf{v}^\\top)
    (\\cdot)/\\lVert\\mathbf{w}\\rVert`.

    Parameters
    ----------
    dZ : array_like, shape (N, K)
    cache : LSoftmaxCache

    Returns
    -------
    dF : ndarray, shape (N, D)
    dW : ndarray, shape (D, K)
    """
    F, W, V, y = cache.F, cache.W, cache.V, cache.y
    N, K = F.shape[0], W.shape[1]
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (N, K):
        raise ValueError(f"dZ: expected shape {(N, K)} (N, K), got shape {dZ.shape}")
    dZ = dZ.astype(F.dtype)  # a copy: the target column is taken out below
    rows = np.arange(N)
    dt = dZ[rows, y].copy()
    # target t = a g(c): d t = g' d(a c) + (g - c g') d a, where a c is the plain logit
    # (f.w, or f.v) and a = |f||w| (or |f|)
    dZ[rows, y] = dt * cache.dg  # the g' part flows like a plain logit
    B = W if not cache.normalize_weights else V
    dF = dZ @ B.T
    dB = F.T @ dZ
    r = dt * (cache.g - cache.c * cache.dg)  # (N,) coefficient of d a
    u = _unit(F, cache.f_norm)
    if cache.normalize_weights:
        dF += r[:, None] * u
        dW = _unit_backward(dB, V, cache.w_norm, 0)
    else:
        dF += (r * cache.w_norm[0, y])[:, None] * u
        per_class = np.bincount(y, weights=r * cache.f_norm[:, 0], minlength=K)
        dW = dB + V * per_class.astype(F.dtype)[None, :]
    return dF, dW


# --- feature incay -------------------------------------------------------------------------------


def feature_incay_loss(F, mask=None, lam=1.0, eps=1e-8, reduction="mean"):
    """Feature incay: the reciprocal-norm penalty that rewards long features.

    .. math::
        L = \\lambda \\sum_{n=1}^{N} \\frac{h_n}{\\lVert\\mathbf{f}_n\\rVert^2 + \\epsilon},
        \\qquad
        \\frac{\\partial L}{\\partial \\mathbf{f}_n}
        = -\\frac{2\\lambda\\, h_n\\, \\mathbf{f}_n}{(\\lVert\\mathbf{f}_n\\rVert^2 + \\epsilon)^2}

    (both divided by :math:`N` for ``reduction="mean"``). :math:`h_n \\in \\{0, 1\\}` selects
    the samples to push outwards, in the paper those the model classifies correctly;
    :math:`\\epsilon > 0` keeps the penalty finite at :math:`\\mathbf{f} = 0`.

    Parameters
    ----------
    F : array_like, shape (N, D)
    mask : array_like of bool or {0, 1}, shape (N,), optional
        :math:`h`; all ones if omitted.
    lam : float >= 0, default 1.0
    eps : float > 0, default 1e-8
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``F``'s dtype
    dF : ndarray, shape (N, D)
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")
    F = as_float_array(F, "F")
    check_ndim(F, 2, "F", "(N, D)")
    N = F.shape[0]
    if N == 0:
        raise ValueError(f"F: expected at least one sample (N >= 1), got shape {F.shape}")
    lam = _check_nonneg(lam, "lam")
    eps = _check_positive(eps, "eps")
    if mask is None:
        h = np.ones(N, dtype=F.dtype)
    else:
        h = as_float_array(mask, "mask")
        if h.shape != (N,):
            raise ValueError(f"mask: expected shape ({N},), got shape {h.shape}")
        if not np.isin(h, (0, 1)).all():
            raise ValueError(f"mask: expected entries in {{0, 1}}, got {h[~np.isin(h, (0, 1))][:5].tolist()}")
        h = h.astype(F.dtype)
    dt = F.dtype.type
    q = np.sum(F * F, axis=1) + dt(eps)
    loss = dt(lam) * np.sum(h / q)
    dF = (dt(-2 * lam) * h / (q * q))[:, None] * F
    if reduction == "mean":
        return loss / dt(N), dF / dt(N)
    return loss, dF
