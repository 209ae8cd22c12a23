"""Metric losses: shape the feature space by distances between features, not by class scores.

A metric loss looks at the features :math:`F` a network produces and asks for
distances that match the labels: pairs of the same class close, pairs of different
classes at least a margin apart. Three classics live here, each returning the loss and
its gradient(s) like :mod:`bpnet_lib.losses`: the contrastive loss over all pairs of a
batch (written per pair and in the matrix form of note ``000``, which agree), the
FaceNet triplet loss on squared distances, and the center loss with the separate center
update of Wen et al. (Algorithm 1). The Euclidean distance is not differentiable where
two features coincide; everywhere in this module its gradient there is taken to be the
subgradient :math:`0`, the shortest element of the unit ball that is its subdifferential.
For the dissimilar contrastive term :math:`\\max(0, m - d)^2` a coincident pair is a local
maximum, where no subgradient exists; :math:`0` lies in Clarke's generalized gradient
there (the ball of radius :math:`2m`), and using it makes the point stationary for
gradient descent.
"""

from __future__ import annotations

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
    "center_deltas",
    "center_update",
]


class DistanceCache(NamedTuple):
    """What :func:`pairwise_distances_backward` needs: the differences and the distances."""

    diff: np.ndarray  # (N, N, D): f_i - f_j
    D: np.ndarray  # (N, N)


def _features(F, name="F", min_rows=1) -> np.ndarray:
    F = as_float_array(F, name)
    check_ndim(F, 2, name, "(N, D)")
    if F.shape[0] < min_rows:
        raise ValueError(
            f"{name}: expected at least {min_rows} samples (N >= {min_rows}), got shape {F.shape}"
        )
    return F


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
        y = y.astype(np.int64)
    if (y < 0).any():
        raise ValueError(f"{name}: expected labels >= 0, got {y[y < 0][:5].tolist()}")
    return y.astype(np.intp, copy=False)


# --- distances -----------------------------------------------------------------------


def pairwise_distances_forward(F):
    """Euclidean distances between all rows of ``F``, from the differences themselves.

    .. math::
        D_{ij} = \\lVert f_i - f_j \\rVert_2

    Computed from :math:`f_i - f_j` (not from the Gram matrix), so the result is
    non-negative, exactly symmetric, exactly 0 on the diagonal and for coincident rows,
    and accurate for close rows far from the origin. Memory is :math:`O(N^2 D)`.
    The squares are not rescaled, so a difference above about ``1.8e19`` (float32) or
    ``1.3e154`` (float64) overflows to ``inf``.

    Parameters
    ----------
    F : array_like, shape (N, D)

    Returns
    -------
    D : ndarray, shape (N, N)
    cache : DistanceCache
    """
    F = _features(F)
    diff = F[:, None, :] - F[None, :, :]
    D = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return D, DistanceCache(diff, D)


def pairwise_distances(F):
    """:func:`pairwise_distances_forward` without the cache: the (N, N) distance matrix."""
    return pairwise_distances_forward(F)[0]


def pairwise_distances_backward(dD, cache):
    """Backward pass of :func:`pairwise_distances_forward`.

    .. math::
        \\frac{\\partial L}{\\partial f_i} = \\sum_{j} \\big(G_{ij} + G_{ji}\\big)
        \\frac{f_i - f_j}{D_{ij}}, \\qquad G = \\frac{\\partial L}{\\partial D}

    Where :math:`D_{ij} = 0` (the diagonal, coincident rows) the distance is not
    differentiable; its subdifferential is the unit ball and we use the subgradient 0,
    so such pairs contribute nothing (no division by zero).

    Parameters
    ----------
    dD : array_like, shape (N, N)
        Upstream gradient.
    cache : DistanceCache

    Returns
    -------
    dF : ndarray, shape (N, D)
    """
    diff, D = cache
    dD = as_float_array(dD, "dD")
    if dD.shape != D.shape:
        raise ValueError(f"dD: expected shape {D.shape} (N, N), got shape {dD.shape}")
    dD = dD.astype(D.dtype, copy=False)
    pos = D > 0
    S = np.where(pos, (dD + dD.T) / np.where(pos, D, 1), 0).astype(D.dtype, copy=False)
    return np.einsum("ij,ijk->ik", S, diff)


def gram_sq_distances(F):
    """Squared distances in the matrix form of note ``000``, through the Gram matrix.

    .. math::
        B = F F^\\top, \\qquad
        \\mathcal{D}^{(2)} = \\mathbf{b}\\mathbf{1}^\\top + \\mathbf{1}\\mathbf{b}^\\top - 2B,
        \\quad \\mathbf{b} = (B_{11}, \\dots, B_{NN})^\\top

    One matrix product, :math:`O(N^2)` memory. Rounding can make an entry slightly
    negative (clipped to 0 here) and loses relative accuracy for rows that are close
    compared with their norms; the diagonal is set to exactly 0.

    Parameters
    ----------
    F : array_like, shape (N, D)

    Returns
    -------
    D2 : ndarray, shape (N, N)
    """
    F = _features(F)
    B = F @ F.T
    b = np.diag(B)
    D2 = np.maximum(b[:, None] + b[None, :] - 2 * B, F.dtype.type(0))
    np.fill_diagonal(D2, 0)
    return D2


def affinity_matrix(y, K=None):
    """The same-class (affinity) matrix :math:`W = HH^\\top` from labels.

    :math:`H` is the one-hot label matrix, so :math:`W_{ij} = 1` if :math:`y_i = y_j`
    and 0 otherwise (note ``000`` says the opposite in words; its formula is this one).

    Parameters
    ----------
    y : array_like, shape (N,)
        Integer labels in ``0..K-1``.
    K : int, optional
        Number of classes; ``max(y) + 1`` if omitted.

    Returns
    -------
    W : ndarray of float64, shape (N, N)
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] == 0:
        raise ValueError(f"y: expected integer labels of shape (N,) with N >= 1, got shape {y.shape}")
    y = _any_labels(y, y.shape[0]) if K is None else check_labels(y, y.shape[0], K, "y")
    H = np.eye(int(y.max()) + 1 if K is None else K)[y]
    return H @ H.T


# --- contrastive loss ------------------------------------------------------------------


def contrastive_loss(F, y, margin=1.0, reduction="mean"):
    """Contrastive loss over all unordered pairs of a batch (Hadsell et al., without the 1/2).

    .. math::
        L = \\sum_{i<j} \\Big( s_{ij}\\, d_{ij}^2 + (1 - s_{ij}) \\max(0,\\, m - d_{ij})^2 \\Big),
        \\qquad s_{ij} = [y_i = y_j],\\; d_{ij} = \\lVert f_i - f_j \\rVert

    Similar pairs are pulled together; dissimilar pairs closer than :math:`m` are pushed
    apart. The gradient is :math:`\\partial L/\\partial d_{ij}` (:math:`2d` or
    :math:`-2(m - d)`) passed through :func:`pairwise_distances_backward`. The squared
    hinge is continuously differentiable at :math:`d = m` (value and derivative 0 from
    both sides; only the second derivative jumps); its one non-differentiable point is
    :math:`d = 0`, a local maximum for a dissimilar pair, where the gradient returned is
    0 (in Clarke's generalized gradient, not a subgradient: none exists at a maximum).
    ``reduction="mean"`` divides by the :math:`N(N-1)/2` pairs.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Features, N >= 2.
    y : array_like, shape (N,)
        Integer labels (only equality matters).
    margin : float, default 1.0
        :math:`m \\ge 0`.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``F``'s dtype
    dF : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    F = _features(F, min_rows=2)
    N = F.shape[0]
    y = _any_labels(y, N)
    m = F.dtype.type(_margin(margin))
    D, cache = pairwise_distances_forward(F)
    same = y[:, None] == y[None, :]
    gap = np.maximum(m - D, F.dtype.type(0))
    upper = np.triu(np.ones((N, N), dtype=bool), 1)
    per_pair = np.where(same, D * D, gap * gap)
    dD = np.where(upper, np.where(same, 2 * D, -2 * gap), 0).astype(F.dtype)
    dF = pairwise_distances_backward(dD, cache)
    return _reduce(np.sum(per_pair[upper]), dF, N * (N - 1) // 2, reduction)


def contrastive_loss_matrix(F, y, margin=1.0, reduction="mean"):
    """The same loss as :func:`contrastive_loss`, in note ``000``'s matrix form.

    .. math::
        L = \\tfrac12 \\big\\langle \\mathcal{D}^{(2)}, W \\big\\rangle
          + \\tfrac12 \\big\\langle \\max(0, m - \\mathcal{D})^{\\odot 2}, \\mathbf{1}\\mathbf{1}^\\top - W \\big\\rangle,
        \\qquad \\frac{\\partial L}{\\partial F} = 2\\,(\\operatorname{Diag}(G\\mathbf{1}) - G)\\,F

    with :math:`W = HH^\\top` (:func:`affinity_matrix`), :math:`\\mathcal{D}^{(2)}` from
    :func:`gram_sq_distances`, :math:`\\mathcal{D} = \\sqrt{\\mathcal{D}^{(2)}}`,
    :math:`\\operatorname{Diag}(\\mathbf{v})` the diagonal matrix with :math:`\\mathbf{v}` on
    its diagonal, and
    :math:`G = 2\\,\\partial L / \\partial \\mathcal{D}^{(2)} = W - (\\mathbf{1}\\mathbf{1}^\\top - W)
    \\odot \\max(0, m - \\mathcal{D}) \\oslash \\mathcal{D}` (entries with
    :math:`\\mathcal{D}_{ij} = 0` set to their :math:`W_{ij}`: gradient 0 for coincident
    dissimilar pairs, as in :func:`contrastive_loss`).
    :math:`\\operatorname{Diag}(G\\mathbf{1}) - G` is the graph Laplacian of :math:`G`; for
    the similar part alone,
    :math:`\\tfrac12\\langle \\mathcal{D}^{(2)}, W\\rangle = \\operatorname{tr}(F^\\top(\\operatorname{Diag}(W\\mathbf{1}) - W)F)`.
    Less accurate than :func:`contrastive_loss` for close rows far from the origin: the
    Gram form subtracts squared norms, so a pair :math:`\\delta` apart with norms
    :math:`r` keeps only about :math:`\\epsilon r^2/\\delta^2` relative accuracy in
    :math:`\\mathcal{D}^{(2)}` (:math:`\\epsilon` the machine epsilon) — poor in float32
    already at moderate norms.

    Parameters and returns as in :func:`contrastive_loss`.
    """
    _check_reduction(reduction)
    F = _features(F, min_rows=2)
    N = F.shape[0]
    y = _any_labels(y, N)
    m = F.dtype.type(_margin(margin))
    W = affinity_matrix(y).astype(F.dtype)
    D2 = gram_sq_distances(F)
    D = np.sqrt(D2)
    gap = np.maximum(m - D, F.dtype.type(0))
    total = 0.5 * np.sum(D2 * W) + 0.5 * np.sum(gap * gap * (1 - W))
    pos = D > 0
    G = W - (1 - W) * np.where(pos, gap / np.where(pos, D, 1), 0)
    dF = 2 * (np.diag(G.sum(axis=1)) - G) @ F
    return _reduce(total, dF.astype(F.dtype, copy=False), N * (N - 1) // 2, reduction)


# --- triplet loss ----------------------------------------------------------------------


def _triplet_inputs(A, P, Ng):
    A = _features(A, "A")
    P, Ng = as_float_array(P, "P"), as_float_array(Ng, "Ng")
    for X, name in ((P, "P"), (Ng, "Ng")):
        if X.shape != A.shape:
            raise ValueError(f"{name}: expected the shape of A {A.shape}, got shape {X.shape}")
    return A, P.astype(A.dtype, copy=False), Ng.astype(A.dtype, copy=False)


def _triplet_terms(A, P, Ng, margin):
    """Squared distances d_p, d_n and the hinge argument d_p - d_n + alpha, in A's dtype.

    One expression for both :func:`triplet_loss` and :func:`triplet_kinds`, so that a
    triplet on the boundary is classified exactly as the loss treats it.
    """
    alpha = A.dtype.type(_margin(margin))
    d_ap, d_an = A - P, A - Ng
    dp, dn = np.sum(d_ap * d_ap, axis=1), np.sum(d_an * d_an, axis=1)
    return d_ap, d_an, dp, dn, (dp - dn) + alpha


def triplet_loss(A, P, Ng, margin=0.2, reduction="mean"):
    """FaceNet triplet loss on squared distances, hinged at 0.

    .. math::
        L = \\sum_n \\max\\big(0,\\; \\lVert a_n - p_n\\rVert^2 - \\lVert a_n - n_n\\rVert^2 + \\alpha\\big),
        \\quad
        \\frac{\\partial L}{\\partial a_n} = 2(n_n - p_n),\\;
        \\frac{\\partial L}{\\partial p_n} = 2(p_n - a_n),\\;
        \\frac{\\partial L}{\\partial n_n} = 2(a_n - n_n)

    for active triplets (positive hinge argument) and 0 otherwise; a triplet exactly on
    the hinge counts as inactive.

    Parameters
    ----------
    A, P, Ng : array_like, shape (N, D)
        Anchors, positives (same class as the anchor), negatives (another class).
    margin : float, default 0.2
        :math:`\\alpha \\ge 0` (FaceNet's value, for unit-norm features).
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``A``'s dtype
    dA, dP, dN : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    A, P, Ng = _triplet_inputs(A, P, Ng)
    d_ap, d_an, _, _, arg = _triplet_terms(A, P, Ng, margin)
    active = (arg > 0).astype(A.dtype)[:, None]
    dA, dP, dN = 2 * active * (Ng - P), -2 * active * d_ap, 2 * active * d_an
    total = np.sum(np.maximum(arg, A.dtype.type(0)))
    if reduction == "mean":
        N = A.shape[0]
        return total / N, dA / N, dP / N, dN / N
    return total, dA, dP, dN


def triplet_kinds(A, P, Ng, margin=0.2):
    """Classify triplets as ``"hard"``, ``"semi-hard"`` or ``"easy"``.

    With :math:`d_p = \\lVert a - p\\rVert^2` and :math:`d_n = \\lVert a - n\\rVert^2`:
    hard if :math:`d_n < d_p`; semi-hard if :math:`d_p \\le d_n < d_p + \\alpha`; easy
    (zero loss, zero gradient) if :math:`d_n \\ge d_p + \\alpha`. FaceNet defines the
    semi-hard and the hardest negatives; the three-way split is later usage. The test
    is made on the same computed hinge argument :math:`d_p - d_n + \\alpha` as in
    :func:`triplet_loss` (easy exactly when it is :math:`\\le 0`), so rounding cannot
    make a triplet "easy" here and active there.

    Parameters
    ----------
    A, P, Ng : array_like, shape (N, D)
    margin : float, default 0.2

    Returns
    -------
    kinds : ndarray of str, shape (N,)
    """
    A, P, Ng = _triplet_inputs(A, P, Ng)
    _, _, dp, dn, arg = _triplet_terms(A, P, Ng, margin)
    return np.where(arg <= 0, "easy", np.where(dn < dp, "hard", "semi-hard"))


# --- center loss -----------------------------------------------------------------------


def _center_inputs(F, y, centers):
    F = _features(F)
    C = as_float_array(centers, "centers")
    check_ndim(C, 2, "centers", "(K, D)")
    if C.shape[1] != F.shape[1]:
        raise ValueError(
            f"centers: expected {F.shape[1]} columns to match F's D = {F.shape[1]}, "
            f"got shape {C.shape}"
        )
    y = check_labels(y, F.shape[0], C.shape[0], "y")
    return F, y, C.astype(F.dtype, copy=False)


def center_loss(F, y, centers, reduction="mean"):
    """Center loss of Wen et al.: half the squared distance of each feature to its class center.

    .. math::
        L_C = \\tfrac12 \\sum_{n=1}^{N} \\lVert f_n - c_{y_n} \\rVert^2, \\qquad
        \\frac{\\partial L_C}{\\partial f_n} = f_n - c_{y_n}

    The centers are treated as constants here; they are moved by :func:`center_update`.

    Parameters
    ----------
    F : array_like, shape (N, D)
        Features.
    y : array_like, shape (N,)
        Integer labels in ``0..K-1``.
    centers : array_like, shape (K, D)
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``F``'s dtype
    dF : ndarray, shape (N, D)
    """
    _check_reduction(reduction)
    F, y, C = _center_inputs(F, y, centers)
    diff = F - C[y]
    return _reduce(0.5 * np.sum(diff * diff), diff, F.shape[0], reduction)


def center_deltas(F, y, centers):
    """The center step :math:`\\Delta c_j` of Wen et al., eq. (4).

    .. math::
        \\Delta c_j = \\frac{\\sum_n [y_n = j]\\,(c_j - f_n)}{1 + \\sum_n [y_n = j]}
        = \\frac{1}{1 + N_j}\\,\\frac{\\partial L_C}{\\partial c_j}

    :math:`N_j` is the number of class-:math:`j` samples in the batch and
    :math:`L_C` the summed center loss: the gradient divided by :math:`1 + N_j`.
    A class absent from the batch gets :math:`\\Delta c_j = 0`.

    Parameters
    ----------
    F : array_like, shape (N, D)
    y : array_like, shape (N,)
    centers : array_like, shape (K, D)

    Returns
    -------
    delta : ndarray, shape (K, D)
    """
    F, y, C = _center_inputs(F, y, centers)
    K = C.shape[0]
    counts = np.bincount(y, minlength=K).astype(F.dtype)
    sums = np.zeros_like(C)
    np.add.at(sums, y, F)
    return (counts[:, None] * C - sums) / (1 + counts[:, None])


def center_update(F, y, centers, alpha=0.5):
    """One center update of Algorithm 1 (Wen et al.): :math:`c_j \\leftarrow c_j - \\alpha\\,\\Delta c_j`.

    With :math:`\\alpha = 1` the new center is the mean of the old center and the batch's
    :math:`N_j` features of class :math:`j`, the old center counting as one sample:
    :math:`(c_j + N_j \\bar f_j)/(1 + N_j)`.

    Parameters
    ----------
    F : array_like, shape (N, D)
    y : array_like, shape (N,)
    centers : array_like, shape (K, D)
        Not modified.
    alpha : float, default 0.5
        Center learning rate, in [0, 1].

    Returns
    -------
    new_centers : ndarray, shape (K, D)
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
            or not (0 <= alpha <= 1):
        raise ValueError(f"alpha: expected a number in [0, 1], got {alpha!r}")
    delta = center_deltas(F, y, centers)
    C = as_float_array(centers, "centers").astype(delta.dtype, copy=False)
    return C - delta.dtype.type(alpha) * delta
