"""Margin softmax heads: logits written as norms times a cosine, then reshaped.

A classifier's last layer scores its input, the feature :math:`\\mathbf{x}` (a row of the
batch :math:`X`), against class weight :math:`\\mathbf{w}_k` (a column of :math:`W`) by
:math:`\\mathbf{w}_k^\\top\\mathbf{x} = \\lVert\\mathbf{w}_k\\rVert
\\lVert\\mathbf{x}\\rVert\\cos\\varphi_k`, with :math:`\\varphi_k` the angle between the two.
The heads here change one factor of that product and hand the logits :math:`Z` (N, K) to
:func:`bpnet_lib.losses.softmax_cross_entropy`: NormFace drops both norms for a fixed scale,
:math:`Z = \\kappa\\cos\\varphi` (:func:`cosine_logits_forward`); SphereFace drops the weight
norm; L-Softmax and A-Softmax replace the target's :math:`\\cos\\varphi_y` by the
angular-margin function :math:`\\psi(\\varphi_y)` (:func:`lsoftmax_logits_forward`), which is
evaluated as the Chebyshev polynomial :math:`T_m(\\cos\\varphi)` so that neither direction
needs :math:`\\arccos` or its derivative, infinite at :math:`\\varphi \\in \\{0, \\pi\\}`. A zero
vector has no angle: it raises ``ValueError`` wherever the head normalises it or, with
:math:`m \\ge 2`, feeds its angle to :math:`\\psi`, and is accepted where the logit is a
plain product, smooth at 0 (unnormalised features in the cosine head, and unnormalised
vectors at :math:`m = 1`). Norms are computed scaled, so they neither overflow nor
underflow. :func:`feature_incay_loss` is the reciprocal-norm regulariser that pushes
correctly classified features away from the origin.

Dtypes: a head computes in float32 when ``X`` and ``W`` are both float32 and in float64
otherwise (labels and masks do not count; int, bool and float16 arrays are read as
float64); its logits and the gradients its backward returns are in that dtype, whatever the
dtype of ``dZ``.

Aliasing: no function modifies its arguments, and every result is a new array. The
L-Softmax cache holds the ``X`` and ``W`` passed in, and the cosine head's cache holds ``X``
when features are not normalised (not copies, when they already have the head's dtype):
writing into them between the forward and the backward changes the gradients without an
error.

Each backward checks its ``cache``: anything but the cache its own forward returned (a
plain tuple, another function's cache) raises ``TypeError`` naming ``cache``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_cache, check_flag, check_labels, check_ndim

__all__ = [
    "chebyshev",
    "margin_segment",
    "psi",
    "psi_from_cos",
    "cosine_logits_forward",
    "cosine_logits_backward",
    "centred_cosine_logits_forward",
    "centred_cosine_logits_backward",
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


def _features_weights(X, W):
    """Return ``X`` (N, D) and ``W`` (D, K) as arrays of one float dtype, shapes checked."""
    X = as_float_array(X, "X")
    W = as_float_array(W, "W")
    check_ndim(X, 2, "X", "(N, D)")
    check_ndim(W, 2, "W", "(D, K)")
    if X.shape[0] == 0:
        raise ValueError(f"X: expected at least one sample (N >= 1), got shape {X.shape}")
    if X.shape[1] == 0:
        raise ValueError(
            f"X: expected at least one feature (D >= 1; a zero-length vector has no angle), "
            f"got shape {X.shape}"
        )
    if W.shape[0] != X.shape[1]:
        raise ValueError(
            f"W: expected {X.shape[1]} rows (D of X {X.shape}), got shape {W.shape}"
        )
    dtype = np.result_type(X, W)
    return X.astype(dtype, copy=False), W.astype(dtype, copy=False)


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
        T_0 = 1,\\ T_1 = c,\\ T_{i+1} = 2c\\,T_i - T_{i-1}; \\qquad
        T_m'(c) = m\\,U_{m-1}(c),\\ U_0 = 1,\\ U_1 = 2c,\\ U_{i+1} = 2c\\,U_i - U_{i-1}

    so that :math:`T_m(\\cos\\varphi) = \\cos m\\varphi` and
    :math:`U_{m-1}(\\cos\\varphi) = \\sin m\\varphi / \\sin\\varphi`.

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
    """The piece index :math:`j`: the interval :math:`[j\\pi/m, (j+1)\\pi/m]` holds :math:`\\varphi`.

    Found from :math:`c = \\cos\\varphi` alone, as the number of breakpoints
    :math:`\\cos(i\\pi/m)`, :math:`i = 1..m-1`, that are :math:`\\ge c` (at a breakpoint
    both neighbouring pieces give the same :math:`\\psi`; this picks the right one).

    Parameters
    ----------
    c : array_like, any shape
    m : int >= 1

    Returns
    -------
    j : ndarray of int, shape of ``c``, entries in 0..m-1

    Raises
    ------
    ValueError
        If ``c`` is not real numbers or holds NaN or infinity (a NaN compares false
        with every breakpoint and would silently give piece 0).
        If ``c`` holds a value outside [-1, 1] (beyond rounding), which is no cosine: a
        value above 1 would silently give piece 0.
    """
    m = _check_m(m)
    c = as_float_array(c, "c")
    slack = 64 * np.finfo(c.dtype).eps  # a computed cosine may overshoot by a few ulps
    if c.size and (c.min() < -1 - slack or c.max() > 1 + slack):
        raise ValueError(
            f"c: expected cosines in [-1, 1], got values in "
            f"[{float(c.min()):.6g}, {float(c.max()):.6g}]"
        )
    j = np.zeros(c.shape, dtype=np.intp)
    for i in range(1, m):
        j += c <= np.cos(i * np.pi / m)
    return j


def psi_from_cos(c, m):
    """The L-Softmax margin function as a function of :math:`c = \\cos\\varphi`, with its slope.

    .. math::
        \\psi = (-1)^j T_m(c) - 2j, \\qquad
        \\frac{\\mathrm{d}\\psi}{\\mathrm{d}c} = (-1)^j\\, m\\, U_{m-1}(c),

    with the piece index :math:`j` from :func:`margin_segment`. Entries are clipped to
    [-1, 1] first.

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
    j = margin_segment(c, m)
    T, dT = chebyshev(c, m)
    sign = np.where(j % 2 == 0, 1, -1).astype(c.dtype)
    return sign * T - (2 * j).astype(c.dtype), sign * dT


def psi(varphi, m):
    """The L-Softmax / A-Softmax margin function of the angle :math:`\\varphi`.

    .. math::
        \\psi(\\varphi) = (-1)^j \\cos(m\\varphi) - 2j, \\qquad
        \\varphi \\in \\Big[\\frac{j\\pi}{m}, \\frac{(j+1)\\pi}{m}\\Big],\\ j = 0, \\dots, m-1

    Continuous and strictly decreasing on :math:`[0, \\pi]`, from 1 to :math:`1 - 2m`; equal
    to :math:`\\cos\\varphi` for :math:`m = 1`.

    Parameters
    ----------
    varphi : array_like, any shape
        Angles :math:`\\varphi` in [0, pi] between a feature and its class weight.
    m : int >= 1

    Returns
    -------
    ndarray, shape of ``varphi``
    """
    m = _check_m(m)
    varphi = as_float_array(varphi, "varphi")
    slack = 4 * np.finfo(varphi.dtype).eps  # float32(pi) rounds up, above np.pi
    if varphi.size and (varphi.min() < 0 or varphi.max() > np.pi * (1 + slack)):
        raise ValueError(
            f"varphi: expected angles in [0, pi], got values in "
            f"[{float(varphi.min()):.6g}, {float(varphi.max()):.6g}]"
        )
    j = np.minimum(np.floor(varphi * m / np.pi), m - 1).astype(varphi.dtype)
    sign = np.where(j % 2 == 0, 1, -1).astype(varphi.dtype)
    return sign * np.cos(varphi.dtype.type(m) * varphi) - 2 * j


# --- NormFace / SphereFace: cosine logits --------------------------------------------------


class CosineCache(NamedTuple):
    """What :func:`cosine_logits_backward` needs."""

    X_hat: np.ndarray  # (N, D) features divided by their norms, rows x_hat_n (or X itself)
    W_hat: np.ndarray  # (D, K) weight columns divided by their norms, columns w_hat_k
    x_norm: np.ndarray  # (N, 1)
    w_norm: np.ndarray  # (1, K)
    scale: float
    normalize_features: bool


def cosine_logits_forward(X, W, scale=1.0, normalize_features=True):
    """Logits from normalised weights (and features): NormFace and SphereFace's base head.

    .. math::
        Z_{nk} = \\kappa\\,\\cos\\varphi_{nk} = \\kappa\\,\\frac{\\mathbf{x}_n^\\top\\mathbf{w}_k}
        {\\lVert\\mathbf{x}_n\\rVert\\lVert\\mathbf{w}_k\\rVert}

    or, with ``normalize_features=False``,

    .. math::
        Z_{nk} = \\kappa\\,\\lVert\\mathbf{x}_n\\rVert\\cos\\varphi_{nk}
        = \\kappa\\,\\frac{\\mathbf{x}_n^\\top\\mathbf{w}_k}{\\lVert\\mathbf{w}_k\\rVert}

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features, rows :math:`\\mathbf{x}_n^\\top`, each of nonzero norm (when normalised).
    W : array_like, shape (D, K)
        Class weights, one column :math:`\\mathbf{w}_k` per class, each of nonzero norm.
    scale : float > 0, default 1.0
        The NormFace scale :math:`\\kappa`.
    normalize_features : bool, default True

    Returns
    -------
    Z : ndarray, shape (N, K)
    cache : CosineCache
    """
    X, W = _features_weights(X, W)
    kappa = _check_positive(scale, "scale")
    normalize_features = check_flag(normalize_features, "normalize_features")
    w_norm = _norms(W, 0, "W", "column")
    W_hat = W / w_norm
    if normalize_features:
        x_norm = _norms(X, 1, "X", "row")
        X_hat = X / x_norm
    else:
        x_norm = _norms(X, 1, "X", "row", allow_zero=True)  # z = kappa x.w_hat: smooth at x = 0
        X_hat = X
    Z = (X_hat @ W_hat) * X.dtype.type(kappa)
    return Z, CosineCache(X_hat, W_hat, x_norm, w_norm, kappa, bool(normalize_features))


def _unit_backward(dA_hat, A_hat, norm, axis):
    """Backward of the unit vectors :math:`\\hat{\\mathbf{a}} = \\mathbf{a}/\\lVert\\mathbf{a}\\rVert`
    along ``axis``: :math:`\\mathrm{d}\\mathbf{a} = (\\mathrm{d}\\hat{\\mathbf{a}}
    - \\hat{\\mathbf{a}}(\\hat{\\mathbf{a}}^\\top\\mathrm{d}\\hat{\\mathbf{a}})) / \\lVert\\mathbf{a}\\rVert`."""
    return (dA_hat - A_hat * np.sum(A_hat * dA_hat, axis=axis, keepdims=True)) / norm


def cosine_logits_backward(dZ, cache):
    """Gradients of :func:`cosine_logits_forward` with respect to ``X`` and ``W``.

    With the unit vectors :math:`\\hat{\\mathbf{x}}_n = \\mathbf{x}_n/\\lVert\\mathbf{x}_n\\rVert`
    (the rows of :math:`\\hat X`) and
    :math:`\\hat{\\mathbf{w}}_k = \\mathbf{w}_k/\\lVert\\mathbf{w}_k\\rVert` (the columns of
    :math:`\\hat W`), :math:`Z = \\kappa\\,\\hat X\\hat W`, and each normalisation passes its
    gradient through the projection off its own direction:

    .. math::
        \\frac{\\partial L}{\\partial \\mathbf{x}_n}
        = \\frac{(I - \\hat{\\mathbf{x}}_n\\hat{\\mathbf{x}}_n^\\top)\\, \\kappa\\,\\hat W\\,(\\mathrm{d}Z_{n,:})^\\top}
        {\\lVert\\mathbf{x}_n\\rVert}, \\qquad
        \\frac{\\partial L}{\\partial \\mathbf{w}_k}
        = \\frac{(I - \\hat{\\mathbf{w}}_k\\hat{\\mathbf{w}}_k^\\top)\\, \\kappa\\,\\hat X^\\top\\mathrm{d}Z_{:,k}}
        {\\lVert\\mathbf{w}_k\\rVert}

    (without feature normalisation the first is just
    :math:`\\kappa\\,\\hat W\\,(\\mathrm{d}Z_{n,:})^\\top`).

    Parameters
    ----------
    dZ : array_like, shape (N, K)
    cache : CosineCache

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, K)
    """
    check_cache(cache, CosineCache, "cosine_logits_forward")
    X_hat, W_hat = cache.X_hat, cache.W_hat
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (X_hat.shape[0], W_hat.shape[1]):
        raise ValueError(
            f"dZ: expected shape {(X_hat.shape[0], W_hat.shape[1])} (N, K), got shape {dZ.shape}"
        )
    dZ = dZ.astype(X_hat.dtype, copy=False) * X_hat.dtype.type(cache.scale)
    dX_hat = dZ @ W_hat.T
    dW_hat = X_hat.T @ dZ
    dX = _unit_backward(dX_hat, X_hat, cache.x_norm, 1) if cache.normalize_features else dX_hat
    return dX, _unit_backward(dW_hat, W_hat, cache.w_norm, 0)


def centred_cosine_logits_forward(X, W):
    r"""Centred cosine normalisation (Luo et al.): the cosine head on mean-centred vectors.

    .. math::

       Z_{nk} = \frac{(\mathbf{x}_n - \bar x_n \mathbf{1})^\top (\mathbf{w}_k - \bar w_k \mathbf{1})}
                     {\lVert \mathbf{x}_n - \bar x_n \mathbf{1}\rVert\,
                      \lVert \mathbf{w}_k - \bar w_k \mathbf{1}\rVert},

    Pearson's correlation of each feature row with each weight column: invariant to shifting
    and scaling either of them.

    Parameters
    ----------
    X : array_like, shape (N, D)
    W : array_like, shape (D, K)

    Returns
    -------
    Z : ndarray, shape (N, K)
    cache : the cache of :func:`cosine_logits_forward` on the centred arrays
    """
    X, W = _features_weights(X, W)
    return cosine_logits_forward(X - X.mean(axis=1, keepdims=True), W - W.mean(axis=0), scale=1.0)


def centred_cosine_logits_backward(dZ, cache):
    """Backward of :func:`centred_cosine_logits_forward`: the cosine head's gradients, each
    projected onto mean zero (centring is a symmetric projection, so its backward is itself).

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, K)
    """
    check_cache(cache, CosineCache, "centred_cosine_logits_forward")
    dXc, dWc = cosine_logits_backward(dZ, cache)
    return dXc - dXc.mean(axis=1, keepdims=True), dWc - dWc.mean(axis=0)


# --- L-Softmax and A-Softmax -----------------------------------------------------------------


class LSoftmaxCache(NamedTuple):
    """What :func:`lsoftmax_logits_backward` needs."""

    X: np.ndarray  # (N, D)
    W: np.ndarray  # (D, K)
    W_hat: np.ndarray  # (D, K) unit weight columns w_hat_k
    y: np.ndarray  # (N,) labels
    x_norm: np.ndarray  # (N, 1)
    w_norm: np.ndarray  # (1, K)
    c: np.ndarray  # (N,) cos(varphi) of the target class
    psi_omega: np.ndarray  # (N,) (omega c + psi(c)) / (1 + omega)
    dpsi_omega: np.ndarray  # (N,) its derivative in c
    normalize_weights: bool


def lsoftmax_logits_forward(X, W, y, m, normalize_weights=False, omega=0.0):
    """L-Softmax (or, with normalised weights, A-Softmax / SphereFace) logits.

    Every logit is :math:`\\lVert\\mathbf{w}_k\\rVert\\lVert\\mathbf{x}_n\\rVert\\cos\\varphi_{nk}`
    (L-Softmax) or :math:`\\lVert\\mathbf{x}_n\\rVert\\cos\\varphi_{nk}` (A-Softmax), except the
    target's, whose cosine is replaced by the margin function :func:`psi_from_cos`, blended
    with the plain cosine:

    .. math::
        Z_{n y_n} = \\lVert\\mathbf{w}_{y_n}\\rVert\\lVert\\mathbf{x}_n\\rVert\\,
        \\psi_\\omega(\\cos\\varphi_{n y_n}), \\qquad
        \\psi_\\omega(c) = \\frac{\\omega c + \\psi(c)}{1 + \\omega},

    with :math:`\\lVert\\mathbf{w}_{y_n}\\rVert` replaced by 1 for A-Softmax. ``omega``
    (:math:`\\omega \\ge 0`) is the warm-up blend the L-Softmax paper uses to start training
    (:math:`\\omega` annealed towards 0; the paper writes :math:`\\lambda`). :math:`\\cos\\varphi`
    is clipped to [-1, 1]; :math:`\\psi` is a polynomial in it, so no :math:`\\arccos` is taken.

    Parameters
    ----------
    X : array_like, shape (N, D)
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
    omega : float >= 0, default 0.0
        The blend :math:`\\omega`.

    Returns
    -------
    Z : ndarray, shape (N, K)
    cache : LSoftmaxCache
    """
    X, W = _features_weights(X, W)
    m = _check_m(m)
    omega = _check_nonneg(omega, "omega")
    normalize_weights = check_flag(normalize_weights, "normalize_weights")
    N, K = X.shape[0], W.shape[1]
    y = check_labels(y, N, K, "y")
    # with m = 1 the target logit is the plain one, x.w (or x.w_hat), smooth at a zero vector;
    # with m >= 2 it depends on the angle, which a zero vector does not have
    x_norm = _norms(X, 1, "X", "row", allow_zero=m == 1)
    w_norm = _norms(W, 0, "W", "column", allow_zero=m == 1 and not normalize_weights)
    W_hat = _unit(W, w_norm)
    Z = X @ W_hat if normalize_weights else X @ W
    rows = np.arange(N)
    norm_prod = x_norm[:, 0] if normalize_weights else x_norm[:, 0] * w_norm[0, y]
    # the cosine from unit vectors, not Z / norm_prod: the product can overflow, the cosine not
    c = np.clip(np.sum(_unit(X, x_norm) * W_hat[:, y].T, axis=1), -1, 1)
    psi_c, dpsi_c = psi_from_cos(c, m)
    dt = X.dtype.type
    psi_omega = (dt(omega) * c + psi_c) / dt(1 + omega)
    dpsi_omega = (dt(omega) + dpsi_c) / dt(1 + omega)
    Z[rows, y] = norm_prod * psi_omega
    cache = LSoftmaxCache(X, W, W_hat, y, x_norm, w_norm, c, psi_omega, dpsi_omega,
                          bool(normalize_weights))
    return Z, cache


def lsoftmax_logits_backward(dZ, cache):
    """Gradients of :func:`lsoftmax_logits_forward` with respect to ``X`` and ``W``.

    The non-target logits are a plain (or weight-normalised) product. For the target logit
    :math:`z = \\lVert\\mathbf{w}\\rVert\\lVert\\mathbf{x}\\rVert\\, \\psi_\\omega(c)`
    (L-Softmax), with :math:`c = \\cos\\varphi`,

    .. math::
        \\frac{\\partial z}{\\partial \\mathbf{x}} = \\psi_\\omega'(c)\\,\\mathbf{w}
        + \\big(\\psi_\\omega(c) - c\\,\\psi_\\omega'(c)\\big)\\lVert\\mathbf{w}\\rVert
        \\frac{\\mathbf{x}}{\\lVert\\mathbf{x}\\rVert}, \\qquad
        \\frac{\\partial z}{\\partial \\mathbf{w}} = \\psi_\\omega'(c)\\,\\mathbf{x}
        + \\big(\\psi_\\omega(c) - c\\,\\psi_\\omega'(c)\\big)\\lVert\\mathbf{x}\\rVert
        \\frac{\\mathbf{w}}{\\lVert\\mathbf{w}\\rVert};

    for :math:`z = \\lVert\\mathbf{x}\\rVert \\psi_\\omega(c)` (A-Softmax) the same holds with
    :math:`\\mathbf{w}` replaced by :math:`\\hat{\\mathbf{w}} = \\mathbf{w}/\\lVert\\mathbf{w}\\rVert`
    and the gradient in :math:`\\hat{\\mathbf{w}}` projected, :math:`(I - \\hat{\\mathbf{w}}\\hat{\\mathbf{w}}^\\top)
    (\\cdot)/\\lVert\\mathbf{w}\\rVert`. :math:`\\psi_\\omega` is continuously differentiable
    (the pieces of :math:`\\psi` meet with slope 0), so there is no kink to handle.

    Parameters
    ----------
    dZ : array_like, shape (N, K)
    cache : LSoftmaxCache

    Returns
    -------
    dX : ndarray, shape (N, D)
    dW : ndarray, shape (D, K)
    """
    check_cache(cache, LSoftmaxCache, "lsoftmax_logits_forward")
    X, W, W_hat, y = cache.X, cache.W, cache.W_hat, cache.y
    N, K = X.shape[0], W.shape[1]
    dZ = as_float_array(dZ, "dZ")
    if dZ.shape != (N, K):
        raise ValueError(f"dZ: expected shape {(N, K)} (N, K), got shape {dZ.shape}")
    dZ = dZ.astype(X.dtype)  # a copy: the target column is taken out below
    rows = np.arange(N)
    dz_target = dZ[rows, y].copy()
    # target z = n psi_w(c), n = |x||w| (or |x|): dz = psi_w' d(n c) + (psi_w - c psi_w') dn,
    # where n c is the plain logit (x.w, or x.w_hat)
    dZ[rows, y] = dz_target * cache.dpsi_omega  # the psi_w' part flows like a plain logit
    Wv = W if not cache.normalize_weights else W_hat
    dX = dZ @ Wv.T
    dWv = X.T @ dZ
    radial = dz_target * (cache.psi_omega - cache.c * cache.dpsi_omega)  # (N,) coefficient of dn
    X_hat = _unit(X, cache.x_norm)
    if cache.normalize_weights:
        dX += radial[:, None] * X_hat
        dW = _unit_backward(dWv, W_hat, cache.w_norm, 0)
    else:
        dX += (radial * cache.w_norm[0, y])[:, None] * X_hat
        per_class = np.bincount(y, weights=radial * cache.x_norm[:, 0], minlength=K)
        dW = dWv + W_hat * per_class.astype(X.dtype)[None, :]
    return dX, dW


# --- feature incay -------------------------------------------------------------------------------


def feature_incay_loss(X, mask=None, lam=1.0, xi=1e-8, reduction="mean"):
    """Feature incay: the reciprocal-norm penalty that rewards long features.

    .. math::
        L_{\\text{incay}} = \\lambda \\sum_{n=0}^{N-1} \\frac{\\chi_n}{\\lVert\\mathbf{x}_n\\rVert^2 + \\xi},
        \\qquad
        \\frac{\\partial L_{\\text{incay}}}{\\partial \\mathbf{x}_n}
        = -\\frac{2\\lambda\\, \\chi_n\\, \\mathbf{x}_n}{(\\lVert\\mathbf{x}_n\\rVert^2 + \\xi)^2}

    (both divided by :math:`N` for ``reduction="mean"``). :math:`\\chi_n \\in \\{0, 1\\}`
    selects the samples to push outwards, in the paper those the model classifies correctly;
    :math:`\\xi > 0` keeps the penalty finite, and smooth, at :math:`\\mathbf{x} = 0`.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features, rows :math:`\\mathbf{x}_n^\\top`.
    mask : array_like of bool or {0, 1}, shape (N,), optional
        :math:`\\chi`; all ones if omitted.
    lam : float >= 0, default 1.0
        The weight :math:`\\lambda` of the penalty.
    xi : float > 0, default 1e-8
        :math:`\\xi`.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``X``'s dtype
    dX : ndarray, shape (N, D)
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")
    X = as_float_array(X, "X")
    check_ndim(X, 2, "X", "(N, D)")
    N = X.shape[0]
    if N == 0:
        raise ValueError(f"X: expected at least one sample (N >= 1), got shape {X.shape}")
    lam = _check_nonneg(lam, "lam")
    xi = _check_positive(xi, "xi")
    if mask is None:
        chi = np.ones(N, dtype=X.dtype)
    else:
        chi = as_float_array(mask, "mask")
        if chi.shape != (N,):
            raise ValueError(f"mask: expected shape ({N},), got shape {chi.shape}")
        if not np.isin(chi, (0, 1)).all():
            raise ValueError(
                f"mask: expected entries in {{0, 1}}, got {chi[~np.isin(chi, (0, 1))][:5].tolist()}"
            )
        chi = chi.astype(X.dtype)
    dt = X.dtype.type
    q = np.sum(X * X, axis=1) + dt(xi)
    loss = dt(lam) * np.sum(chi / q)
    dX = (dt(-2 * lam) * chi / (q * q))[:, None] * X
    if reduction == "mean":
        return loss / dt(N), dX / dt(N)
    return loss, dX
