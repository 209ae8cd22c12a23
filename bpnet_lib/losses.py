"""Loss functions, each returning the loss and its gradient with respect to the scores.

Backpropagation starts at the loss: every function here returns ``(loss, dS)``,
where ``dS`` has the shape of the score input and is the first upstream gradient
handed to the network's last layer. Each loss is written in its numerically stable
form (cross-entropy through log-softmax, the logistic losses through softplus), so
scores of size :math:`10^4` give finite, correct losses and no warnings.
``reduction="sum"`` returns the per-sample losses :math:`L` summed over the batch,
:math:`J = \\sum_n L(\\mathbf{s}_n, y_n)`, as the book writes them; ``reduction="mean"``
(the default) returns :math:`\\bar J = J/N` and divides the gradient by the batch size
``N`` too. The gradient ``dS`` is :math:`\\partial J/\\partial S` (or
:math:`\\partial \\bar J/\\partial S`), shaped like the scores. Targets are cast to the dtype of the scores, so
float32 scores give a float32 loss and gradient (scores of any other dtype, float16
included, are read as float64). The gradient is a new array; no input is modified.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_labels, check_ndim
from .activations import log_softmax, sigmoid

__all__ = [
    "mse_loss",
    "softmax_cross_entropy",
    "logistic_loss",
    "logistic_pm1_loss",
    "multiclass_hinge_loss",
]

PROB_TOL = 1e-6  # how far a probability row may be from summing to 1 (or an entry below 0)


def _check_reduction(reduction) -> None:
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")


def _reduce(total, grad, n, reduction):
    """Return ``(loss, grad)`` for the summed loss ``total``, divided by ``n`` if ``"mean"``."""
    if reduction == "mean":
        return total / n, grad / n
    return total, grad


def _scores(S, ndim: int, name: str, letters: str) -> np.ndarray:
    """Return the scores as a float array with ``ndim`` dimensions and at least one sample."""
    S = as_float_array(S, name)
    check_ndim(S, ndim, name, letters)
    if S.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one sample (N >= 1), got shape {S.shape}")
    return S


def _binary_targets(y, n: int, values: tuple, shown: str, dtype, name="y", rows_of="s") -> np.ndarray:
    """Return targets ``y`` of shape ``(n,)`` with every entry in ``values``, as ``dtype``."""
    y = as_float_array(y, name)
    if y.shape != (n,):
        raise ValueError(
            f"{name}: expected labels of shape ({n},), got shape {y.shape} "
            f"(one label per entry of {rows_of})"
        )
    bad = ~np.isin(y, values)
    if bad.any():
        raise ValueError(f"{name}: expected labels in {shown}, got {y[bad][:5].tolist()}")
    return y.astype(dtype)


def _softplus(t):
    """:math:`\\log(1 + e^t) = \\max(t, 0) + \\log(1 + e^{-|t|})`, never overflowing."""
    return np.maximum(t, t.dtype.type(0)) + np.log1p(np.exp(-np.abs(t)))


# --- regression --------------------------------------------------------------


def mse_loss(Y, H, reduction="mean"):
    """Squared-error loss between the network output ``Y`` and the target ``H``.

    .. math::
        J = \\sum_{n=1}^{N} \\tfrac12 \\lVert Y_n - H_n \\rVert^2, \\qquad
        \\frac{\\partial J}{\\partial Y} = Y - H

    (both divided by :math:`N` for ``reduction="mean"``).

    Parameters
    ----------
    Y : array_like, shape (N, K)
        Network output.
    H : array_like, shape (N, K)
        Targets.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``Y``'s dtype
    dY : ndarray, shape (N, K)
    """
    _check_reduction(reduction)
    Y = _scores(Y, 2, "Y", "(N, K)")
    H = as_float_array(H, "H")
    if H.shape != Y.shape:
        raise ValueError(f"H: expected the shape of Y {Y.shape}, got shape {H.shape}")
    diff = Y - H.astype(Y.dtype)
    return _reduce(0.5 * np.sum(diff * diff), diff, Y.shape[0], reduction)


# --- classification ----------------------------------------------------------


def _probability_rows(y, shape: tuple, dtype, name: str = "y") -> np.ndarray:
    """Return probability rows ``y`` of ``shape`` (N, K), each >= 0 and summing to 1."""
    y = as_float_array(y, name)
    if y.shape != shape:
        raise ValueError(
            f"{name}: expected probability rows of shape {shape} (N, K), got shape {y.shape}"
        )
    neg = np.argwhere(y < -PROB_TOL)
    if neg.size:
        n, k = (int(i) for i in neg[0])
        raise ValueError(
            f"{name}: expected probabilities >= 0, got {float(y[n, k]):.10g} "
            f"in row {n} (column {k})"
        )
    sums = y.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1) > PROB_TOL)
    if off.size:
        n = int(off[0])
        raise ValueError(
            f"{name}: expected each row to sum to 1 (tolerance {PROB_TOL}), "
            f"got row {n} summing to {float(sums[n]):.10g}"
        )
    return y.astype(dtype)


def softmax_cross_entropy(Z, y, reduction="mean"):
    """Cross-entropy of the softmax of the logits ``Z`` against labels or probability rows.

    .. math::
        J = -\\sum_{n=1}^{N} \\sum_{k=1}^{K} H_{nk} \\log p_{nk}, \\quad
        \\mathbf{p}_n = \\operatorname{softmax}(Z_n), \\qquad
        \\frac{\\partial J}{\\partial Z} = \\operatorname{softmax}(Z) - H

    (softmax row by row). With integer labels, :math:`H_{nk}` is the one-hot row of label
    :math:`y_n`, so :math:`J = -\\sum_n \\log p_{n, y_n}`, and the true-class entry
    :math:`p_{n,y_n} - 1` is computed as ``expm1`` of the log-probability, without
    cancellation. With probability rows the gradient is computed as
    :math:`\\operatorname{softmax}(Z) \\odot (H\\mathbf{1}\\mathbf{1}^\\top) - H`, which equals
    :math:`\\operatorname{softmax}(Z) - H` since each row sums to 1, and stays the exact
    gradient of the computed loss when a row is off by rounding. The log-probabilities come from
    :func:`bpnet_lib.activations.log_softmax`, never from ``log(softmax(Z))``.

    Parameters
    ----------
    Z : array_like, shape (N, K)
        Logits.
    y : array_like, shape (N,) or (N, K)
        Integer labels in ``0..K-1``, or rows of probabilities (each >= 0 and
        summing to 1, within 1e-6).
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``Z``'s dtype
    dZ : ndarray, shape (N, K)
    """
    _check_reduction(reduction)
    Z = _scores(Z, 2, "Z", "(N, K)")
    N, K = Z.shape
    logp = log_softmax(Z, axis=1)
    dZ = np.exp(logp)
    if np.ndim(y) == 1:
        labels = check_labels(y, N, K, "y", rows_of="Z")
        rows = np.arange(N)
        total = -np.sum(logp[rows, labels])
        dZ[rows, labels] = np.expm1(logp[rows, labels])  # p - 1 without cancellation
    elif np.ndim(y) == 2:
        H = _probability_rows(y, (N, K), Z.dtype)
        total = -np.sum(H * logp)
        dZ = dZ * H.sum(axis=1, keepdims=True) - H  # = softmax(Z) - H, exact for rows off by rounding
    else:
        raise ValueError(
            f"y: expected integer labels of shape ({N},) or probability rows of shape "
            f"({N}, {K}), got shape {np.shape(y)}"
        )
    return _reduce(total, dZ, N, reduction)


def logistic_loss(s, y, reduction="mean"):
    """Binary cross-entropy of the sigmoid of scores ``s``, labels in {0, 1}.

    .. math::
        J = -\\sum_n \\log\\left(\\sigma(s_n)^{y_n} (1 - \\sigma(s_n))^{1 - y_n}\\right)
          = \\sum_n \\left[\\log(1 + e^{-|s_n|}) + \\max(s_n, 0) - y_n s_n\\right],
        \\qquad \\frac{\\partial J}{\\partial s} = \\sigma(s) - y

    The second (softplus) form is the one computed: it never overflows, and for
    :math:`y \\in \\{0, 1\\}` the difference :math:`\\max(s, 0) - y s` is exact.
    The gradient is evaluated as :math:`(1 - 2y)\\,\\sigma((1 - 2y)s)`, the same
    number without the cancellation of :math:`\\sigma(s) - 1` when :math:`y = 1`.

    Parameters
    ----------
    s : array_like, shape (N,)
        Scores (logits).
    y : array_like, shape (N,)
        Labels, each 0 or 1.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``s``'s dtype
    ds : ndarray, shape (N,)
    """
    _check_reduction(reduction)
    s = _scores(s, 1, "s", "(N,)")
    y = _binary_targets(y, s.shape[0], (0, 1), "{0, 1}", s.dtype, rows_of="s")
    # max(s, 0) - y s is exact for y in {0, 1}; adding it last keeps log1p's digits
    per_sample = np.log1p(np.exp(-np.abs(s))) + (np.maximum(s, s.dtype.type(0)) - y * s)
    # sigma(s) - y written as (1 - 2y) sigma((1 - 2y) s): for y = 1 it is -sigma(-s),
    # which keeps its digits where sigma(s) - 1 would cancel
    sign = 1 - 2 * y
    return _reduce(np.sum(per_sample), sign * sigmoid(sign * s), s.shape[0], reduction)


def logistic_pm1_loss(s, y, reduction="mean"):
    """Logistic loss for labels in {-1, +1}: the softplus of minus the margin :math:`\\tilde y s`.

    .. math::
        J = -\\sum_n \\log \\sigma(y_n s_n) = \\sum_n \\log(1 + e^{-y_n s_n}), \\qquad
        \\frac{\\partial J}{\\partial s} = -y \\odot \\sigma(-y \\odot s)

    Same loss as :func:`logistic_loss` with :math:`y_{01} = (y + 1)/2`.

    Parameters
    ----------
    s : array_like, shape (N,)
        Scores.
    y : array_like, shape (N,)
        Labels, each -1 or +1.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``s``'s dtype
    ds : ndarray, shape (N,)
    """
    _check_reduction(reduction)
    s = _scores(s, 1, "s", "(N,)")
    y = _binary_targets(y, s.shape[0], (-1, 1), "{-1, +1}", s.dtype, rows_of="s")
    t = -y * s
    return _reduce(np.sum(_softplus(t)), -y * sigmoid(t), s.shape[0], reduction)


def multiclass_hinge_loss(S, y, margin=1.0, reduction="mean"):
    """Multiclass hinge (SVM) loss, with its subgradient.

    .. math::
        J = \\sum_n \\sum_{i \\ne y_n} \\max(0,\\, s_{ni} - s_{n y_n} + \\Delta), \\qquad
        \\frac{\\partial J}{\\partial s_{ni}} =
        \\begin{cases} [\\,s_{ni} - s_{n y_n} + \\Delta > 0\\,] & i \\ne y_n \\\\
        -\\sum_{j \\ne y_n} [\\,s_{nj} - s_{n y_n} + \\Delta > 0\\,] & i = y_n \\end{cases}

    Each violating class pushes its score down by 1 and the true class's score up
    by 1. The formula is the gradient wherever no :math:`s_{ni} - s_{n y_n} + \\Delta` is 0.
    A class sitting exactly on the margin (:math:`s_i - s_y + \\Delta = 0`) is a kink,
    where the loss has no derivative; we count it as *not* violating, so its entry is 0,
    which is a subgradient (the loss is convex in the scores).

    Parameters
    ----------
    S : array_like, shape (N, K)
        Class scores.
    y : array_like, shape (N,)
        Integer labels in ``0..K-1``.
    margin : float, default 1.0
        :math:`\\Delta`, finite and >= 0.
    reduction : {"mean", "sum"}, default "mean"

    Returns
    -------
    loss : NumPy scalar of ``S``'s dtype
    dS : ndarray, shape (N, K)
    """
    _check_reduction(reduction)
    S = _scores(S, 2, "S", "(N, K)")
    N, K = S.shape
    y = check_labels(y, N, K, "y", rows_of="S")
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.integer, np.floating)):
        raise ValueError(f"margin: expected a number >= 0, got {margin!r}")
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin: expected a finite number >= 0, got {margin!r}")
    rows = np.arange(N)
    margins = S - S[rows, y][:, None] + S.dtype.type(margin)
    margins[rows, y] = 0
    violating = margins > 0
    dS = violating.astype(S.dtype)
    dS[rows, y] = -violating.sum(axis=1)
    total = np.sum(np.where(violating, margins, S.dtype.type(0)))
    return _reduce(total, dS, N, reduction)
