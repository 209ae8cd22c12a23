"""Metric losses: shape the feature space by distances between features, not by class scores.

A metric loss looks at the features :math:`X` a network produces (the rows
:math:`\\mathbf{x}_n^\\top`, the input of the head) and asks for distances that match the
labels: pairs of the same class close, pairs of different classes at least a margin
:math:`\\Delta` apart. Three classics live here, each returning the loss and its gradient(s)
like :mod:`bpnet_lib.losses`: the contrastive loss over all pairs of a batch (written per pair
and in the matrix form of note ``000``, which agree), the FaceNet triplet loss on squared
distances, and the center loss with the separate center update of Wen et al. (Algorithm 1).
The Euclidean distance is not differentiable where two features coincide; everywhere in this
module its gradient there is taken to be the subgradient :math:`0`, the shortest element of
the unit ball that is its subdifferential. For the dissimilar contrastive term
:math:`\\max(0, \\Delta - d)^2` a coincident pair is a local maximum, where no subgradient
exists; :math:`0` lies in Clarke's generalized gradient there (the ball of radius
:math:`2\\Delta`), and using it makes the point stationary for gradient descent. A hinge
:math:`\\max(0, u)` exactly at its kink :math:`u = 0` gets the gradient 0, the one-sided
derivative from the inactive side (a subgradient).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_labels, check_ndim
from .losses import _check_reduction, _reduce

__all__ = [
    "DistanceCache",
    "pairwise_distances",
    "pairwise_distances_forward",
    "pairwise_distances_backward",
    "gram_sq_distances",
    "affinity_matrix",
    "contrastive_loss",
    "contrastive_loss_matrix",
    "triplet_loss",
    "triplet_kinds",
    "center_loss",
    "center_steps",
    "center_update",
]


class DistanceCache(NamedTuple):
    """What :func:`pairwise_distances_backward` needs: the differences and the distances."""

    diff: np.ndarray  # (N, N, D): x_i - x_j
    dist: np.ndarray  # (N, N): the distance matrix, calligraphic D in the book


def _features(X, name="X", min_rows=1) -> np.ndarray:
    X = as_float_array(X, name)
    check_ndim(X, 2, name, "(N, D)")
    if X.shape[0] < min_rows:
        raise ValueError(
            f"{name}: expected at least {min_rows} samples (N >= {min_rows}), got shape {X.shape}"
        )
    return X


def _margin(margin) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)):
        raise ValueError(f"margin: expected a number >= 0, got {margin!r}")
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin: expected a finite number >= 0, got {margin!r}")
    return float(margin)


def _any_labels(y, n: int, name: str = "y") -> np.ndarray:
    """Integer labels of shape (n,), any values >= 0 (the pair losses need only equality)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name}: expected integer labels of shape ({n},), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        ok = np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y))
        if not (ok and np.all(y == np.round(y))):
            raise ValueError(f"{name}: expected integer class labels, got dtype {y.dtype}")
        if y.size and y.max() >= 2.0 ** 63:  # the cast below would wrap it round
            raise ValueError(
                f"{name}: expected labels below 2**63, got {y[y >= 2.0 ** 63][:5].tolist()}"
            )
        y = y.astype(np.int64)
    if (y < 0).any():
        raise ValueError(f"{name}: expected labels >= 0, got {y[y < 0][:5].tolist()}")
    return y.astype(np.intp, copy=False)


def _pow2_scale(A, axis=None):
    """A power of two ``s`` (an int exponent ``k``, ``s = 2**k``) with ``max|A| / s`` in [0.5, 1).

    Dividing by a power of two is exact (barring underflow to subnormals, far below the
    rounding of the largest entries), so a computation repeated on ``A / s`` and scaled back
    gives the numbers the unscaled one would give with an unbounded exponent range.
    """
    m = np.max(np.abs(A), axis=axis)
    return np.frexp(np.where(m > 0, m, 1))[1]


def _overflow_error(name, what, dtype):
    return ValueError(
        f"{name}: expected features small enough for the {what} to fit in "
        f"{np.dtype(dtype).name} (at most {np.finfo(dtype).max:.3g}), got features for which "
        f"it overflows; scale them down"
    )


# --- distances -----------------------------------------------------------------------


def pairwise_distances_forward(X):
    """Euclidean distances between all rows of ``X``, from the differences themselves.

    .. math::
        \\mathcal{D}_{ij} = d_{ij} = \\lVert \\mathbf{x}_i - \\mathbf{x}_j \\rVert_2

    Computed from :math:`\\mathbf{x}_i - \\mathbf{x}_j` (not from the Gram matrix), so the
    result is non-negative, exactly symmetric, exactly 0 on the diagonal and for coincident
    rows, and accurate for close rows far from the origin. Memory is :math:`O(N^2 D)`.
    Where a sum of squares overflows (a difference above about ``1.8e19`` in float32,
    ``1.3e154`` in float64) or underflows (below about ``1e-19`` in float32, ``1.5e-154`` in
    float64, where distinct rows would come out at distance 0) that pair is recomputed from
    its differences scaled by a power of two, so any distance the dtype can hold is
    returned. A difference
    :math:`\\mathbf{x}_i - \\mathbf{x}_j` that itself overflows raises ``ValueError``.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features, one per row.

    Returns
    -------
    dist : ndarray, shape (N, N)
        The distance matrix :math:`\\mathcal{D}`.
    cache : DistanceCache
    """
    X = _features(X)
    with np.errstate(over="ignore", under="ignore"):
        diff = X[:, None, :] - X[None, :, :]
        sq = np.einsum("ijk,ijk->ij", diff, diff)
    dist = np.sqrt(sq)
    if not np.isfinite(sq).all() and not np.isfinite(diff).all():
        raise _overflow_error("X", "differences between rows x_i - x_j", X.dtype)
    # Pairs whose sum of squares overflows, or underflows below the smallest normal number
    # (to 0 for rows 1e-200 apart, which would make distinct rows coincide), are redone
    # from their differences scaled by a power of two; every other pair is left untouched.
    redo = ~np.isfinite(sq) | ((sq < np.finfo(X.dtype).tiny) & np.any(diff != 0, axis=2))
    if redo.any():
        big = redo
        sub = diff[big]
        k = _pow2_scale(sub, axis=1)[:, None]
        scaled = np.ldexp(sub, -k)
        dist[big] = np.ldexp(np.sqrt(np.sum(scaled * scaled, axis=1)), k[:, 0])
        if not np.isfinite(dist).all():
            raise _overflow_error("X", "distances between rows", X.dtype)
    return dist, DistanceCache(diff, dist)


def pairwise_distances(X):
    """:func:`pairwise_distances_forward` without the cache: the (N, N) matrix
    :math:`\\mathcal{D}`."""
    return pairwise_distances_forward(X)[0]


def _checked_distance_backward(backward):
    """Check the cache, and redo an overflowing :func:`pairwise_distances_backward` scaled.

    ``(dD + dD^T) / D`` overflows for a huge upstream gradient over a tiny distance although
    the gradient, a sum of ``dD`` times unit vectors, may fit: the computation is then
    repeated with ``dD`` divided by a power of two (exact) and the unit vectors formed
    first, and scaled back; a gradient that does not fit raises ``ValueError`` naming
    ``ddist``. A decorator, so that the function shows only the formula.
    """

    @functools.wraps(backward)
    def checked(ddist, cache):
        ok = (isinstance(cache, tuple) and len(cache) == 2
              and all(isinstance(a, np.ndarray) for a in cache)
              and cache[0].ndim == 3 and cache[1].ndim == 2
              and cache[0].shape[:2] == cache[1].shape)
        if not ok:
            raise TypeError(
                f"cache: expected the DistanceCache (diff, dist) that "
                f"pairwise_distances_forward returned, got {type(cache).__name__}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            dX = backward(ddist, cache)
            if _all_finite(dX):
                return dX
            diff, dist = cache
            ddist = as_float_array(ddist, "ddist").astype(dist.dtype, copy=False)
            k = _pow2_scale(ddist)
            D = np.ldexp(ddist, -k)
            pos = dist > 0
            unit = diff / np.where(pos, dist, 1)[:, :, None]
            dX = np.ldexp(np.einsum("ij,ijk->ik", np.where(pos, D + D.T, 0), unit), k)
            dX = dX.astype(dist.dtype, copy=False)
        if not _all_finite(dX):
            raise ValueError(
                f"ddist: expected an upstream gradient small enough for dX to fit in "
                f"{dist.dtype.name} (at most {np.finfo(dist.dtype).max:.3g}), got one for "
                f"which it overflows"
            )
        return dX

    return checked


def _all_finite(A) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(A, axis=None)) or np.isfinite(A).all())


@_checked_distance_backward
def pairwise_distances_backward(ddist, cache):
    """Backward pass of :func:`pairwise_distances_forward`.

    .. math::
        \\frac{\\partial L}{\\partial \\mathbf{x}_i} = \\sum_{j} \\big(\\mathrm{d}\\mathcal{D}_{ij}
        + \\mathrm{d}\\mathcal{D}_{ji}\\big) \\frac{\\mathbf{x}_i - \\mathbf{x}_j}{\\mathcal{D}_{ij}},
        \\qquad \\mathrm{d}\\mathcal{D} = \\frac{\\partial L}{\\partial \\mathcal{D}}

    Where :math:`\\mathcal{D}_{ij} = 0` (the diagonal, coincident rows) the distance is not
    differentiable; its subdifferential is the unit ball and we use the subgradient 0,
    so such pairs contribute nothing (no division by zero).

    Parameters
    ----------
    ddist : array_like, shape (N, N)
        Upstream gradient :math:`\\mathrm{d}\\mathcal{D}`.
    cache : DistanceCache

    Returns
    -------
    dX : ndarray, shape (N, D)

    Raises
    ------
    TypeError
        If ``cache`` is not the one :func:`pairwise_distances_forward` returned.
    ValueError
        If ``ddist`` is not finite, has the wrong shape, or is so large that ``dX``
        overflows (a quotient ``dD / D`` that overflows while ``dX`` fits is redone
        scaled).
    """
    diff, dist = cache
    ddist = as_float_array(ddist, "ddist")
    if ddist.shape != dist.shape:
        raise ValueError(f"ddist: expected shape {dist.shape} (N, N), got shape {ddist.shape}")
    ddist = ddist.astype(dist.dtype, copy=False)
    pos = dist > 0
    S = np.where(pos, (ddist + ddist.T) / np.where(pos, dist, 1), 0)
    S = S.astype(dist.dtype, copy=False)
    return np.einsum("ij,ijk->ik", S, diff)


def gram_sq_distances(X):
    """Squared distances in the matrix form of note ``000``, through the Gram matrix.

    .. math::
        \\mathcal{D}^{(2)} = \\mathbf{q}\\mathbf{1}^\\top + \\mathbf{1}\\mathbf{q}^\\top - 2XX^\\top,
        \\qquad q_i = (XX^\\top)_{ii} = \\lVert \\mathbf{x}_i \\rVert^2

    One matrix product, :math:`O(N^2)` memory. Rounding can make an entry slightly
    negative (clipped to 0 here) and loses relative accuracy for rows that are close
    compared with their norms; the diagonal is set to exactly 0. Where a norm or a product
    overflows, the same formula is applied to ``X`` scaled by a power of two and the result
    scaled back (the numbers the formula gives with an unbounded exponent range); a squared
    distance too large for the dtype raises ``ValueError``, since this form cannot represent
    it (:func:`pairwise_distances` returns the distance itself up to the largest float).

    Parameters
    ----------
    X : array_like, shape (N, D)

    Returns
    -------
    D2 : ndarray, shape (N, N)
        The squared-distance matrix :math:`\\mathcal{D}^{(2)}`.
    """
    X = _features(X)
    with np.errstate(over="ignore", invalid="ignore"):
        D2 = _gram_form(X)
        if not np.isfinite(D2).all():
            k = _pow2_scale(X)
            D2 = np.ldexp(_gram_form(np.ldexp(X, -k)), 2 * k)
    if not np.isfinite(D2).all():
        i, j = (int(v) for v in np.argwhere(~np.isfinite(D2))[0])
        raise ValueError(
            f"X: expected rows whose squared distances fit in {X.dtype.name} (at most "
            f"{np.finfo(X.dtype).max:.3g}), got rows {i} and {j} whose squared distance "
            f"overflows it; the Gram form cannot represent it (pairwise_distances gives the "
            f"distance itself)"
        )
    return D2


def _gram_form(X):
    """q 1^T + 1 q^T - 2 X X^T, clipped at 0, with an exact 0 diagonal."""
    gram = X @ X.T
    q = np.diag(gram)
    D2 = np.maximum(q[:, None] + q[None, :] - 2 * gram, X.dtype.type(0))
    np.fill_diagonal(D2, 0)
    return D2


def affinity_matrix(y, K=None):
    """The same-class (affinity) matrix :math:`\\mathcal{W} = HH^\\top` from labels.

    :math:`H` is the one-hot target matrix, so :math:`\\mathcal{W}_{ij} = [y_i = y_j]`, 1 for
    the same class and 0 otherwise (note ``000`` says the opposite in words; its formula is
    this one).

    Parameters
    ----------
    y : array_like, shape (N,)
        Integer labels in ``0..K-1``.
    K : int, optional
        Number of classes (>= 1); labels must then lie in ``0..K-1``. If omitted, any
        labels >= 0 are accepted (as if ``K = max(y) + 1``).

    Returns
    -------
    aff : ndarray of float64, shape (N, N)
        :math:`\\mathcal{W}`.

    Notes
    -----
    The entries are computed as :math:`[y_i = y_j]` directly, which is what
    :math:`HH^\\top` holds, without forming the (N, K) one-hot matrix; so a large label
    (``10**12``) costs nothing extra.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] == 0:
        raise ValueError(f"y: expected integer labels of shape (N,) with N >= 1, got shape {y.shape}")
    if K is None:
        y = _any_labels(y, y.shape[0])
    else:
        if isinstance(K, bool) or not isinstance(K, (int, np.integer)):
            raise TypeError(f"K: expected an int number of classes, got {K!r} ({type(K).__name__})")
        if K < 1:
            raise ValueError(f"K: expected a number of classes >= 1, got {K!r}")
        y = check_labels(y, y.shape[0], int(K), "y")
    return (y[:, None] == y[None, :]).astype(np.float64)


# --- contrastive loss ------------------------------------------------------------------


def contrastive_loss(X, y, margin=1.0, reduction="mean"):
    """Contrastive loss over all unordered pairs of a batch (Hadsell et al., without the 1/2).

    .. math::
        L = \\sum_{i<j} \\Big( [y_i = y_j]\\, d_{ij}^2
        + [y_i \\ne y_j] \\max(0,\\, \\Delta - d_{ij})^2 \\Big),
        \\qquad d_{ij} = \\lVert \\mathbf{x}_i - \\mathbf{x}_j \\rVert

    Similar pairs are pulled together; dissimilar pairs closer than the margin
    :math:`\\Delta` are pushed apart. The gradient is :math:`\\partial L/\\partial d_{ij}`
    (:math:`2d` or :math:`-2(\\Delta - d)`) passed through :func:`pairwise_distances_backward`.
    The squared hinge is continuously differentiable at :math:`d = \\Delta` (value and
    derivative 0 from both sides; only the second derivative jumps); its one
    non-differentiable point is :math:`d = 0`, a local maximum for a dissimilar pair, where
    the gradient returned is 0 (in Clarke's generalized gradient, not a subgradient: none
    exists at a maximum). ``reduction="mean"`` divides by the :math:`N(N-1)/2` pairs.
    Features so large that the loss or the gradient overflows the dtype raise ``ValueError``
    naming ``X`` (a dissimilar pair beyond the margin contributes 0 however far apart).

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features, N >= 2.
    y : array_like, shape (N,)
        Integer labels (only equality matters).
    margin : float, default 1.0
        :math:`\\Delta \\ge 0`.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``X``'s dtype
    dX : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    X = _features(X, min_rows=2)
    N = X.shape[0]
    y = _any_labels(y, N)
    delta = X.dtype.type(_margin(margin))
    dist, cache = pairwise_distances_forward(X)
    same = y[:, None] == y[None, :]
    gap = np.maximum(delta - dist, X.dtype.type(0))
    upper = np.triu(np.ones((N, N), dtype=bool), 1)
    n_pairs = N * (N - 1) // 2
    with np.errstate(over="ignore", invalid="ignore"):
        per_pair = np.where(same, dist * dist, gap * gap)[upper]
        if not np.isfinite(per_pair).all():
            raise _overflow_error("X", "squared distance of a same-class pair", X.dtype)
        total = np.sum(per_pair)
        ddist = np.where(upper, np.where(same, 2 * dist, -2 * gap), 0).astype(X.dtype)
        dX = pairwise_distances_backward(ddist, cache)
        if reduction == "mean" and not (np.isfinite(total) and np.isfinite(dX).all()):
            # the sums overflow; their means may not: divide first (only here, so that
            # ordinary inputs keep the rounding of _reduce)
            total = np.sum(per_pair / n_pairs)
            dX = pairwise_distances_backward(ddist / n_pairs, cache)
            reduction = "done"
    if not np.isfinite(total):
        raise _overflow_error("X", "contrastive loss (a sum of squared distances)", X.dtype)
    if not np.isfinite(dX).all():
        raise _overflow_error("X", "contrastive-loss gradient", X.dtype)
    return (total, dX) if reduction == "done" else _reduce(total, dX, n_pairs, reduction)


def contrastive_loss_matrix(X, y, margin=1.0, reduction="mean"):
    """The same loss as :func:`contrastive_loss`, in note ``000``'s matrix form.

    .. math::
        L = \\tfrac12 \\big\\langle \\mathcal{D}^{(2)}, \\mathcal{W} \\big\\rangle
          + \\tfrac12 \\big\\langle \\max(0, \\Delta - \\mathcal{D})^{\\odot 2},
          \\mathbf{1}\\mathbf{1}^\\top - \\mathcal{W} \\big\\rangle,
        \\qquad \\frac{\\partial L}{\\partial X}
        = 2\\,(\\operatorname{Diag}(\\mathcal{G}\\mathbf{1}) - \\mathcal{G})\\,X

    with :math:`\\mathcal{W} = HH^\\top` (:func:`affinity_matrix`), :math:`\\mathcal{D}^{(2)}`
    from :func:`gram_sq_distances`, :math:`\\mathcal{D} = \\sqrt{\\mathcal{D}^{(2)}}`,
    :math:`\\operatorname{Diag}(\\cdot)` the diagonal matrix with the given column on its
    diagonal, and :math:`\\mathcal{G} = 2\\,\\partial L / \\partial \\mathcal{D}^{(2)}
    = \\mathcal{W} - (\\mathbf{1}\\mathbf{1}^\\top - \\mathcal{W}) \\odot
    \\max(0, \\Delta - \\mathcal{D}) \\oslash \\mathcal{D}` (entries with
    :math:`\\mathcal{D}_{ij} = 0` set to their :math:`\\mathcal{W}_{ij}`: gradient 0 for
    coincident dissimilar pairs, as in :func:`contrastive_loss`).
    :math:`\\operatorname{Diag}(\\mathcal{G}\\mathbf{1}) - \\mathcal{G}` is the graph Laplacian
    of :math:`\\mathcal{G}`; for the similar part alone,
    :math:`\\tfrac12\\langle \\mathcal{D}^{(2)}, \\mathcal{W}\\rangle
    = \\operatorname{tr}(X^\\top(\\operatorname{Diag}(\\mathcal{W}\\mathbf{1}) - \\mathcal{W})X)`.
    Less accurate than :func:`contrastive_loss` for close rows far from the origin: the
    Gram form subtracts squared norms, so a pair at distance :math:`d` with norms about
    :math:`\\lVert\\mathbf{x}\\rVert` keeps only about
    :math:`\\epsilon_{\\text{mach}}\\lVert\\mathbf{x}\\rVert^2/d^2` relative accuracy in
    :math:`\\mathcal{D}^{(2)}` — poor in float32 already at moderate norms. A squared
    distance, loss or gradient that overflows the dtype raises ``ValueError`` naming ``X``
    (:func:`gram_sq_distances`).

    Parameters and returns as in :func:`contrastive_loss`.
    """
    _check_reduction(reduction)
    X = _features(X, min_rows=2)
    N = X.shape[0]
    y = _any_labels(y, N)
    delta = X.dtype.type(_margin(margin))
    aff = affinity_matrix(y).astype(X.dtype)
    D2 = gram_sq_distances(X)
    dist = np.sqrt(D2)
    off = ~np.eye(N, dtype=bool)
    if np.any(D2[off] < np.finfo(X.dtype).tiny) and np.any(X != 0):
        # A squared distance below the smallest normal number has lost its digits (rows
        # 1e-200 apart give D2 = 0, so distinct dissimilar rows would look coincident and
        # get gradient 0): take D from the Gram form of X / 2^k instead, which is exact.
        k = _pow2_scale(X)
        with np.errstate(under="ignore"):
            dist = np.ldexp(np.sqrt(_gram_form(np.ldexp(X, -k))), k)
    gap = np.maximum(delta - dist, X.dtype.type(0))
    n_pairs = N * (N - 1) // 2
    with np.errstate(over="ignore", invalid="ignore"):
        total = 0.5 * np.sum(D2 * aff) + 0.5 * np.sum(gap * gap * (1 - aff))
        pos = dist > 0
        G = aff - (1 - aff) * np.where(pos, gap / np.where(pos, dist, 1), 0)   # calligraphic G
        lap = np.diag(G.sum(axis=1)) - G
        dX = 2 * lap @ X
        if not np.isfinite(dX).all():   # X X^T-sized partial sums: redo on X / 2^k (exact)
            k = _pow2_scale(X)
            dX = np.ldexp(2 * lap @ np.ldexp(X, -k), k)
        if reduction == "mean" and not (np.isfinite(total) and np.isfinite(dX).all()):
            # the sums overflow; their means may not: divide first (only here, so that
            # ordinary inputs keep the rounding of _reduce)
            total = np.sum((D2 * aff + gap * gap * (1 - aff)) / (2 * n_pairs))
            k = _pow2_scale(X)
            dX = np.ldexp((2 * lap @ np.ldexp(X, -k)) / n_pairs, k)
            reduction = "done"
    if not np.isfinite(total):
        raise _overflow_error("X", "contrastive loss (a sum of squared distances)", X.dtype)
    if not np.isfinite(dX).all():
        raise _overflow_error("X", "contrastive-loss gradient", X.dtype)
    dX = dX.astype(X.dtype, copy=False)
    return (total, dX) if reduction == "done" else _reduce(total, dX, n_pairs, reduction)


# --- triplet loss ----------------------------------------------------------------------


def _triplet_inputs(Xa, Xp, Xn):
    Xa = _features(Xa, "Xa")
    Xp, Xn = as_float_array(Xp, "Xp"), as_float_array(Xn, "Xn")
    for A, name in ((Xp, "Xp"), (Xn, "Xn")):
        if A.shape != Xa.shape:
            raise ValueError(f"{name}: expected the shape of Xa {Xa.shape}, got shape {A.shape}")
    return Xa, Xp.astype(Xa.dtype, copy=False), Xn.astype(Xa.dtype, copy=False)


def _triplet_terms(Xa, Xp, Xn, margin):
    """Differences, ``hard`` (d_a-^2 < d_a+^2) and the hinge argument d_a+^2 - d_a-^2 + Delta.

    All in Xa's dtype.

    One expression for both :func:`triplet_loss` and :func:`triplet_kinds`, so that a
    triplet on the boundary is classified exactly as the loss treats it. A row whose squared
    distances overflow is recomputed from its three features scaled by a power of two
    (exact), :math:`s^2(d'^2_{a+} - d'^2_{a-}) + \\Delta`; its argument is then the one the
    ordinary expression gives with an unbounded exponent range, or :math:`\\pm\\infty` when
    that overflows (``-inf``: an inactive triplet; ``+inf``: a term only its mean over a
    batch may bring back in range). The last value, ``None`` when no row was rescaled, is
    ``(rows, m, k)`` for those rows: there d_a+^2 - d_a-^2 = m 2^(2k).
    """
    delta = Xa.dtype.type(_margin(margin))
    over = None
    with np.errstate(over="ignore", invalid="ignore"):
        diff_p, diff_n = Xa - Xp, Xa - Xn
        d_pos, d_neg = np.sum(diff_p * diff_p, axis=1), np.sum(diff_n * diff_n, axis=1)
        arg = (d_pos - d_neg) + delta
        hard = d_neg < d_pos
        big = ~(np.isfinite(d_pos) & np.isfinite(d_neg))
        if big.any():                                 # these rows only: ordinary ones untouched
            k = _pow2_scale(np.concatenate([Xa[big], Xp[big], Xn[big]], axis=1), axis=1)
            a, p, n = (np.ldexp(A[big], -k[:, None]) for A in (Xa, Xp, Xn))
            sp, sn = np.sum((a - p) ** 2, axis=1), np.sum((a - n) ** 2, axis=1)
            arg[big] = np.ldexp(sp - sn, 2 * k) + delta
            hard[big] = sn < sp
            over = (np.flatnonzero(big), sp - sn, k)    # arg = (sp - sn) 2^(2k) (+ Delta)
    return diff_p, diff_n, hard, arg, over


def triplet_loss(Xa, Xp, Xn, margin=0.2, reduction="mean"):
    """FaceNet triplet loss on squared distances, hinged at 0.

    With :math:`d_{a+}^2 = \\lVert \\mathbf{x}_a - \\mathbf{x}_+\\rVert^2` and
    :math:`d_{a-}^2 = \\lVert \\mathbf{x}_a - \\mathbf{x}_-\\rVert^2` for each triplet (one row of
    each of ``Xa``, ``Xp``, ``Xn``),

    .. math::
        L = \\sum_n \\max\\big(0,\\; d_{a+}^2 - d_{a-}^2 + \\Delta\\big),
        \\quad
        \\frac{\\partial L}{\\partial \\mathbf{x}_a} = 2(\\mathbf{x}_- - \\mathbf{x}_+),\\;
        \\frac{\\partial L}{\\partial \\mathbf{x}_+} = 2(\\mathbf{x}_+ - \\mathbf{x}_a),\\;
        \\frac{\\partial L}{\\partial \\mathbf{x}_-} = 2(\\mathbf{x}_a - \\mathbf{x}_-)

    for active triplets (positive hinge argument) and 0 otherwise. A triplet exactly on
    the hinge's kink (argument 0) counts as inactive: gradient 0, a subgradient there.
    Squared distances too large for the dtype are handled by scaling (the difference
    :math:`d_{a+}^2 - d_{a-}^2` is what matters); a loss or gradient that itself overflows
    raises ``ValueError`` naming the arguments.

    Parameters
    ----------
    Xa, Xp, Xn : array_like, shape (N, D)
        Anchors :math:`\\mathbf{x}_a`, positives :math:`\\mathbf{x}_+` (same class as the
        anchor), negatives :math:`\\mathbf{x}_-` (another class), one triplet per row.
    margin : float, default 0.2
        :math:`\\Delta \\ge 0` (FaceNet's value, for unit-norm features).
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``Xa``'s dtype
    dXa, dXp, dXn : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    Xa, Xp, Xn = _triplet_inputs(Xa, Xp, Xn)
    diff_p, diff_n, _, arg, over = _triplet_terms(Xa, Xp, Xn, margin)
    active = (arg > 0)[:, None]
    zero = Xa.dtype.type(0)
    N = Xa.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        # (2 x) / N and (x / N) * 2 round identically; the second overflows only if the result does
        grads = [np.where(active, g, zero) for g in (Xn - Xp, -diff_p, diff_n)]
        grads = [(g / N) * 2 if reduction == "mean" else 2 * g for g in grads]
        hinge = np.maximum(arg, zero)
        total = np.sum(hinge)
        if reduction == "mean" and np.isfinite(total):
            total = total / N
        elif reduction == "mean":             # the sum overflows; the mean may not
            per = hinge / N
            if over is not None:              # a term itself above the float range: its N-th
                rows, m, k = over             # from the scaled form (Delta is below its rounding)
                inf = np.isposinf(arg[rows])
                per[rows[inf]] = np.ldexp(m[inf] / N, 2 * k[inf])
            total = np.sum(per)
    if not np.isfinite(total):
        raise _overflow_error("Xa, Xp, Xn", "triplet loss", Xa.dtype)
    if not all(np.isfinite(g).all() for g in grads):
        raise _overflow_error("Xa, Xp, Xn", "triplet-loss gradients (differences of features)",
                              Xa.dtype)
    return (total, *grads)


def triplet_kinds(Xa, Xp, Xn, margin=0.2):
    """Classify triplets as ``"hard"``, ``"semi-hard"`` or ``"easy"``.

    With the squared distances :math:`d_{a+}^2 = \\lVert \\mathbf{x}_a - \\mathbf{x}_+\\rVert^2`
    and :math:`d_{a-}^2 = \\lVert \\mathbf{x}_a - \\mathbf{x}_-\\rVert^2`: hard if
    :math:`d_{a-}^2 < d_{a+}^2`; semi-hard if :math:`d_{a+}^2 \\le d_{a-}^2 < d_{a+}^2 + \\Delta`;
    easy (zero loss, zero gradient) if :math:`d_{a-}^2 \\ge d_{a+}^2 + \\Delta`. FaceNet defines
    the semi-hard and the hardest negatives; the three-way split is later usage. The test is
    made on the same computed hinge argument :math:`d_{a+}^2 - d_{a-}^2 + \\Delta` as in
    :func:`triplet_loss` (easy exactly when it is :math:`\\le 0`), so rounding cannot make a
    triplet "easy" here and active there.

    Parameters
    ----------
    Xa, Xp, Xn : array_like, shape (N, D)
        Anchors, positives and negatives, one triplet per row.
    margin : float, default 0.2
        :math:`\\Delta \\ge 0`.

    Returns
    -------
    kinds : ndarray of str, shape (N,)
    """
    Xa, Xp, Xn = _triplet_inputs(Xa, Xp, Xn)
    _, _, hard, arg, _ = _triplet_terms(Xa, Xp, Xn, margin)
    return np.where(arg <= 0, "easy", np.where(hard, "hard", "semi-hard"))


# --- center loss -----------------------------------------------------------------------


def _center_inputs(X, y, centers):
    X = _features(X)
    centers = as_float_array(centers, "centers")
    check_ndim(centers, 2, "centers", "(K, D)")
    if centers.shape[0] == 0:  # else the labels would be reported outside 0..-1
        raise ValueError(f"centers: expected at least one center (K >= 1), got shape {centers.shape}")
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"centers: expected {X.shape[1]} columns to match X's D = {X.shape[1]}, "
            f"got shape {centers.shape}"
        )
    y = check_labels(y, X.shape[0], centers.shape[0], "y")
    return X, y, centers.astype(X.dtype, copy=False)


def center_loss(X, y, centers, reduction="mean"):
    """Center loss of Wen et al.: half the squared distance of each feature to its class center.

    .. math::
        L_C = \\tfrac12 \\sum_{n=0}^{N-1} \\lVert \\mathbf{x}_n - \\mathbf{c}_{y_n} \\rVert^2, \\qquad
        \\frac{\\partial L_C}{\\partial \\mathbf{x}_n} = (\\mathbf{x}_n - \\mathbf{c}_{y_n})^\\top

    The centers are treated as constants here; they are moved by :func:`center_update`.

    Parameters
    ----------
    X : array_like, shape (N, D)
        Features.
    y : array_like, shape (N,)
        Integer labels in ``0..K-1``.
    centers : array_like, shape (K, D)
        The centers :math:`\\mathbf{c}_j^\\top`, one per row.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``X``'s dtype
    dX : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    X, y, centers = _center_inputs(X, y, centers)
    N = X.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        diff = X - centers[y]
        if not np.isfinite(diff).all():
            raise _overflow_error("X", "differences x_n - c_{y_n} to the centers", X.dtype)
        total = 0.5 * np.sum(diff * diff)
        if not np.isfinite(total):
            # the squares overflow: sum them scaled by a power of two (exact), dividing by N
            # first for the mean, and scale back; only a loss the dtype cannot hold raises
            k = _pow2_scale(diff)
            scaled = np.ldexp(diff, -k)
            part = 0.5 * np.sum(scaled * scaled)
            if reduction == "mean":
                part, diff, reduction = part / N, diff / N, "done"
            total = np.ldexp(part, 2 * k).astype(X.dtype)
    if not np.isfinite(total):
        raise _overflow_error("X", "center loss (a sum of squared distances)", X.dtype)
    return (total, diff) if reduction == "done" else _reduce(total, diff, N, reduction)


def _scaled_if_overflowing(steps):
    """Run ``steps(X, y, centers)``; where its sums overflow, run it on scaled inputs instead.

    The class sums of :func:`center_steps` can overflow although the steps (averages) fit:
    the computation is then repeated on ``X`` and ``centers`` divided by one power of two
    (exact) and the result scaled back; a step that does not fit raises ``ValueError``
    naming ``X``. A decorator, so that :func:`center_steps` shows only the formula.
    """

    @functools.wraps(steps)
    def checked(X, y, centers):
        X, y, centers = _center_inputs(X, y, centers)
        with np.errstate(over="ignore", invalid="ignore"):
            r = steps(X, y, centers)
            if not np.isfinite(r).all():
                k = max(_pow2_scale(X), _pow2_scale(centers))
                r = np.ldexp(steps(np.ldexp(X, -k), y, np.ldexp(centers, -k)), k)
                r = r.astype(X.dtype, copy=False)
        if not np.isfinite(r).all():
            raise _overflow_error("X", "center steps", X.dtype)
        return r

    return checked


@_scaled_if_overflowing
def center_steps(X, y, centers):
    """The center step :math:`\\mathbf{r}_j` of Wen et al.'s eq. (4), where it is written
    :math:`\\Delta c_j`.

    .. math::
        \\mathbf{r}_j
        = \\frac{\\sum_n [y_n = j]\\,(\\mathbf{c}_j - \\mathbf{x}_n)}{1 + \\sum_n [y_n = j]}
        = \\frac{1}{1 + N_j}\\,\\Big(\\frac{\\partial L_C}{\\partial \\mathbf{c}_j}\\Big)^\\top

    :math:`N_j` is the number of class-:math:`j` samples in the batch and
    :math:`L_C` the summed center loss: the gradient divided by :math:`1 + N_j`.
    A class absent from the batch gets :math:`\\mathbf{r}_j = \\mathbf{0}`.

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    centers : array_like, shape (K, D)

    Returns
    -------
    steps : ndarray, shape (K, D)
        Row :math:`j` is :math:`\\mathbf{r}_j^\\top`.
    """
    X, y, centers = _center_inputs(X, y, centers)
    K = centers.shape[0]
    counts = np.bincount(y, minlength=K).astype(X.dtype)
    sums = np.zeros_like(centers)
    np.add.at(sums, y, X)
    return (counts[:, None] * centers - sums) / (1 + counts[:, None])


def center_update(X, y, centers, gamma=0.5):
    """One center update of Algorithm 1 (Wen et al.), for every class :math:`j`:
    :math:`\\mathbf{c}_j \\leftarrow \\mathbf{c}_j - \\gamma\\,\\mathbf{r}_j`.

    :math:`\\mathbf{r}_j` is the step of :func:`center_steps` and :math:`\\gamma` the center
    rate (Wen et al.'s :math:`\\alpha`). With :math:`\\gamma = 1` the new center is the mean of
    the old center and the batch's :math:`N_j` features of class :math:`j`, the old center
    counting as one sample: :math:`(\\mathbf{c}_j + N_j \\bar{\\mathbf{x}}_j)/(1 + N_j)`.

    Parameters
    ----------
    X : array_like, shape (N, D)
    y : array_like, shape (N,)
    centers : array_like, shape (K, D)
        Not modified.
    gamma : float, default 0.5
        Center rate :math:`\\gamma`, in [0, 1].

    Returns
    -------
    new_centers : ndarray, shape (K, D)
    """
    if isinstance(gamma, bool) or not isinstance(gamma, (int, float, np.integer, np.floating)) \
            or not (0 <= gamma <= 1):
        raise ValueError(f"gamma: expected a number in [0, 1], got {gamma!r}")
    steps = center_steps(X, y, centers)
    centers = as_float_array(centers, "centers").astype(steps.dtype, copy=False)
    return centers - steps.dtype.type(gamma) * steps
