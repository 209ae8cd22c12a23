"""Small data sets made on the spot, and the helpers to feed them to a network.

Nothing is downloaded: ``xor`` and ``two_spirals`` are drawn from a seeded generator, and
``digits`` reads the 8x8 handwritten digits that ship inside scikit-learn (imported only
when :func:`digits` is called). The digits are split into training and test sets -- or
training, validation and test sets -- with NumPy, stratified by class, and standardised
with statistics of the training set only, so nothing about the held-out sets leaks into
training. Every array has one sample per row; labels are integers ``0..K-1``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_labels, check_ndim

__all__ = ["xor", "two_spirals", "digits", "DigitsSplit", "DigitsValSplit", "one_hot",
           "minibatches", "stratified_split", "train_val_test_split"]


def _rng(rng, name: str = "rng") -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"{name}: expected a numpy.random.Generator or an int seed, got {type(rng).__name__}"
    )


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _flag(value, name: str) -> bool:
    """``value`` as a bool, or ``TypeError``: ``shuffle="no"`` would be read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _noise(value) -> float:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0
            or not np.isfinite(value)):
        raise ValueError(f"noise: expected a finite number >= 0, got {value!r}")
    return float(value)


def _add_noise(points: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``points`` plus Gaussian noise of standard deviation ``noise``, refusing an overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        X = points + noise * rng.standard_normal(points.shape)
    if not np.isfinite(X).all():
        raise ValueError(
            f"noise: expected a standard deviation small enough for the points to be finite "
            f"float64 numbers, got {noise!r}, for which noise * N(0, 1) overflows"
        )
    return X


def xor(n_per_corner=50, noise=0.1, rng=0):
    r"""Noisy XOR: points around the four corners of the unit square, labelled :math:`a \oplus b`.

    Corner :math:`(a, b) \in \{0, 1\}^2` gets label :math:`a \text{ xor } b`; each point
    is the corner plus Gaussian noise of standard deviation ``noise``. No straight line
    separates the classes, so a network needs a hidden layer.

    Parameters
    ----------
    n_per_corner : int, default 50
    noise : float, default 0.1
        Finite and >= 0, and small enough that the points do not overflow (else
        ``ValueError``).
    rng : numpy.random.Generator or int, default 0

    Returns
    -------
    X : ndarray of float64, shape (4 n_per_corner, 2)
        In random order.
    y : ndarray of int, shape (4 n_per_corner,)
    """
    n = _positive_int(n_per_corner, "n_per_corner")
    noise, rng = _noise(noise), _rng(rng)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    X = _add_noise(np.repeat(corners, n, axis=0), noise, rng)
    y = np.repeat(np.array([0, 1, 1, 0]), n)
    order = rng.permutation(4 * n)
    return X[order], y[order]


def two_spirals(n=200, noise=0.05, rng=0):
    r"""Two interleaved spirals, one per class, each turning 1.5 times around the origin.

    Spiral 0 is :math:`r(\cos\theta, \sin\theta)` with :math:`r = \theta / 3\pi` for
    :math:`\theta \in [\pi/4,\, 3\pi]` (drawn so the points are spread evenly along the arc);
    spiral 1 is spiral 0 turned by :math:`\pi`. Gaussian noise of standard deviation
    ``noise`` is added; the points lie in about :math:`[-1, 1]^2`.

    Parameters
    ----------
    n : int, default 200
        Points per spiral.
    noise : float, default 0.05
        Finite and >= 0, and small enough that the points do not overflow (else
        ``ValueError``).
    rng : numpy.random.Generator or int, default 0

    Returns
    -------
    X : ndarray of float64, shape (2n, 2)
        In random order.
    y : ndarray of int, shape (2n,)
    """
    n = _positive_int(n, "n")
    noise, rng = _noise(noise), _rng(rng)
    lo, hi = np.pi / 4, 3 * np.pi
    # arc length grows like theta^2, so theta = sqrt(uniform on [lo^2, hi^2]) is even along it
    theta = np.sqrt(rng.uniform(lo**2, hi**2, size=n))
    r = theta / hi
    arm = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    X = _add_noise(np.vstack([arm, -arm]), noise, rng)
    y = np.repeat(np.array([0, 1]), n)
    order = rng.permutation(2 * n)
    return X[order], y[order]


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name}: expected a fraction in (0, 1), got {value!r}")
    return float(value)


def _split_labels(y) -> np.ndarray:
    """``y`` as a 1-D array of class labels, or ``ValueError``: finite integers (any dtype).

    A NaN label equals nothing, not even itself, so ``y == c`` would drop its samples
    from both parts of a split without a word.
    """
    y = np.asarray(y)
    check_ndim(y, 1, "y", "(N,)")
    if y.dtype == np.bool_ or np.issubdtype(y.dtype, np.integer):
        return y
    if np.issubdtype(y.dtype, np.floating):
        finite = np.isfinite(y)
        if finite.all() and np.all(y == np.round(y)):
            return y
        bad = y[~finite] if not finite.all() else y[y != np.round(y)]
        raise ValueError(
            f"y: expected finite integer class labels, got {bad[:5].tolist()} (dtype {y.dtype})"
        )
    raise ValueError(f"y: expected finite integer class labels, got dtype {y.dtype}")


def stratified_split(y, test_size=0.25, seed=0):
    """Indices of a seeded train/test split with the class proportions of ``y`` in both parts.

    Each class :math:`c` with :math:`n_c` samples puts ``round(test_size * n_c)`` of them
    (chosen at random) into the test set, but always keeps at least one sample on each
    side when :math:`n_c \\ge 2`.

    Parameters
    ----------
    y : array_like of int, shape (N,)
    test_size : float in (0, 1)
    seed : int or numpy.random.Generator

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Disjoint, together ``0..N-1``, each in random order.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D, is empty or holds a label that is not a finite integer (a NaN
        label would otherwise fall out of both parts), ``test_size`` is not in (0, 1), or
        ``seed`` is neither an int nor a Generator.
    """
    y = _split_labels(y)
    if y.size == 0:
        raise ValueError("y: expected at least one label to split (N >= 1), got shape (0,)")
    test_size = _fraction(test_size, "test_size")
    rng = _rng(seed, "seed")
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(test_size * idx.size))
        if idx.size >= 2:
            n_test = min(max(n_test, 1), idx.size - 1)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train))
    test_idx = rng.permutation(np.concatenate(test))
    return train_idx, test_idx


def train_val_test_split(y, val_size=0.2, test_size=0.25, seed=0):
    """Indices of a seeded, stratified three-way split: training, validation and test.

    The test set is exactly the one of ``stratified_split(y, test_size, seed)``, so adding a
    validation set never changes which samples are held out for the final test. The
    validation set is then carved out of the remaining samples by a second stratified split,
    with ``val_size`` the fraction *of those remaining samples* (of each class) that it takes.
    Use the validation set for every choice -- learning rate, epochs, weight decay -- and
    the test set once, at the end.

    Parameters
    ----------
    y : array_like of int, shape (N,)
    val_size : float in (0, 1), default 0.2
        Fraction of the non-test samples, per class, that go to validation.
    test_size : float in (0, 1), default 0.25
        Fraction of all samples, per class, that go to the test set.
    seed : int, default 0

    Returns
    -------
    train_idx, val_idx, test_idx : ndarray of int
        Disjoint, together ``0..N-1``, each in random order. As in
        :func:`stratified_split`, a class with at least two samples to split keeps at
        least one on each side of each of the two splits.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D or holds a label that is not a finite integer (NaN, inf, 0.5),
        a fraction is not in (0, 1), or ``seed`` is not an int.
    """
    y = _split_labels(y)
    val_size = _fraction(val_size, "val_size")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed: expected an int, got {type(seed).__name__}")
    rest_idx, test_idx = stratified_split(y, test_size, int(seed))
    # A second, independent stream of the same seed: the validation draw never moves the test set.
    train_pos, val_pos = stratified_split(y[rest_idx], val_size, np.random.default_rng([int(seed), 1]))
    return rest_idx[train_pos], rest_idx[val_pos], test_idx


class DigitsSplit(NamedTuple):
    """The digits data, split: unpack it as ``X_train, y_train, X_test, y_test``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


class DigitsValSplit(NamedTuple):
    """The digits data in three parts: ``X_train, y_train, X_val, y_val, X_test, y_test``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits(test_size=0.25, seed=0, standardize=True, val_size=None):
    r"""The 1,797 8x8 handwritten digits bundled with scikit-learn, split and standardised.

    Parameters
    ----------
    test_size : float in (0, 1), default 0.25
    seed : int, default 0
        Seed of the stratified split (:func:`stratified_split`, or
        :func:`train_val_test_split` when ``val_size`` is given).
    standardize : bool, default True
        Subtract each pixel's training mean :math:`\mu` and divide by its training standard
        deviation :math:`s_0` (or by 1 where :math:`s_0 = 0`: some border pixels are blank in
        every training image), in every part: :math:`x \mapsto (x - \mu)/s_0`. Neither the
        validation nor the test set influences :math:`\mu` or :math:`s_0`. Otherwise the raw
        values 0..16 are returned.
    val_size : float in (0, 1), optional
        If given, also hold out this fraction of the non-test samples (per class) as a
        validation set. The test set is the same as without it; the training set is
        smaller.

    Returns
    -------
    DigitsSplit or DigitsValSplit
        ``(X_train, y_train, X_test, y_test)``, or with ``val_size``
        ``(X_train, y_train, X_val, y_val, X_test, y_test)``: float64 arrays of shape
        (N, 64) and int labels 0..9 of shape (N,), N differing between the parts.
    """
    try:
        from sklearn.datasets import load_digits  # the only scikit-learn use, bundled data
    except ImportError as exc:
        raise ImportError(
            "bpnet_lib.data.digits needs scikit-learn (its bundled 8x8 digits); install it "
            "with: pip install -e '.[data]'  (or pip install scikit-learn)"
        ) from exc

    standardize = _flag(standardize, "standardize")
    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    if val_size is None:
        parts = stratified_split(y, test_size, seed)
    else:
        parts = train_val_test_split(y, val_size, test_size, seed)
    Xs = [X[idx] for idx in parts]
    if standardize:
        mu = Xs[0].mean(axis=0)
        s0 = Xs[0].std(axis=0)
        s0[s0 == 0] = 1.0
        Xs = [(Xp - mu) / s0 for Xp in Xs]
    pairs = [a for Xp, idx in zip(Xs, parts) for a in (Xp, y[idx])]
    return DigitsSplit(*pairs) if val_size is None else DigitsValSplit(*pairs)


def one_hot(y, K) -> np.ndarray:
    """One-hot rows: ``H[n, y[n]] = 1`` and 0 elsewhere.

    Parameters
    ----------
    y : array_like of int, shape (N,)
        Labels in ``0..K-1``.
    K : int
        Number of classes.

    Returns
    -------
    H : ndarray of float64, shape (N, K)
    """
    K = _positive_int(K, "K")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y: expected integer labels of shape (N,), got shape {y.shape}")
    y = check_labels(y, y.shape[0], K, "y")
    H = np.zeros((y.shape[0], K))
    H[np.arange(y.shape[0]), y] = 1.0
    return H


def minibatches(X, y, batch_size, rng=None, shuffle=True, drop_last=False):
    """Yield ``(X_batch, y_batch)`` pairs that cover the data once (one epoch).

    Parameters
    ----------
    X : array_like, shape (N, ...)
    y : array_like, shape (N, ...), or None
        Labels or targets, sliced alongside ``X`` (``None`` is yielded as is).
    batch_size : int
        The last batch holds the remaining ``N mod batch_size`` samples if that is not 0
        (unless ``drop_last``).
    rng : numpy.random.Generator or int
        Source of the shuffle; required when ``shuffle`` is True.
    shuffle : bool, default True
        A fresh random order for every call; otherwise the stored order.
    drop_last : bool, default False
        Leave out the ``N mod batch_size`` samples of a short last batch, so that every
        batch has exactly ``batch_size`` rows (the shuffle still decides which samples
        sit out, differently in each epoch). A short batch weighs each of its samples
        ``batch_size / (N mod batch_size)`` times as much as a full one does.

    Yields
    ------
    X_batch : ndarray, shape (B, ...)
    y_batch : ndarray, shape (B, ...), or None
    """
    X = as_float_array(X, "X")
    if X.ndim == 0:
        raise ValueError("X: expected an array with one sample per row, got a scalar")
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y: expected {X.shape[0]} rows (one per sample of X), got shape {y.shape}"
            )
    batch_size = _positive_int(batch_size, "batch_size")
    shuffle, drop_last = _flag(shuffle, "shuffle"), _flag(drop_last, "drop_last")
    N = X.shape[0]
    if drop_last and batch_size > N:
        raise ValueError(
            f"batch_size: expected at most N = {N} with drop_last=True (else no batch is left), "
            f"got {batch_size}"
        )
    order = _rng(rng).permutation(N) if shuffle else np.arange(N)
    if drop_last:
        order = order[:N - N % batch_size]
    return _batches(X, y, order, batch_size)  # checks above run now, not at the first next()


def _batches(X, y, order, batch_size):
    for start in range(0, order.size, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], (None if y is None else y[idx])
