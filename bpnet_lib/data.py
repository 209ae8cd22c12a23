"""Small data sets made on the spot, and the helpers to feed them to a network.

Nothing is downloaded: ``xor`` and ``two_spirals`` are drawn from a seeded generator, and
``digits`` reads the 8x8 handwritten digits that ship inside scikit-learn (imported only
when :func:`digits` is called). The digits are split into training and test sets with
NumPy, stratified by class, and standardised with statistics of the training set only,
so nothing about the test set leaks into training. Every array has one sample per row;
labels are integers ``0..K-1``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_labels, check_ndim

__all__ = ["xor", "two_spirals", "digits", "DigitsSplit", "one_hot", "minibatches",
           "stratified_split"]


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng: expected a numpy.random.Generator or an int seed, got {type(rng).__name__}"
    )


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _noise(value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"noise: expected a number >= 0, got {value!r}")
    return float(value)


def xor(n_per_corner=50, noise=0.1, rng=0):
    r"""Noisy XOR: points around the four corners of the unit square, labelled :math:`a \oplus b`.

    Corner :math:`(a, b) \in \{0, 1\}^2` gets label :math:`a \text{ xor } b`; each point
    is the corner plus Gaussian noise of standard deviation ``noise``. No straight line
    separates the classes, so a network needs a hidden layer.

    Parameters
    ----------
    n_per_corner : int, default 50
    noise : float, default 0.1
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
    X = np.repeat(corners, n, axis=0) + noise * rng.standard_normal((4 * n, 2))
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
    X = np.vstack([arm, -arm]) + noise * rng.standard_normal((2 * n, 2))
    y = np.repeat(np.array([0, 1]), n)
    order = rng.permutation(2 * n)
    return X[order], y[order]


def stratified_split(y, test_size=0.25, seed=0):
    """Indices of a seeded train/test split with the class proportions of ``y`` in both parts.

    Each class :math:`c` with :math:`n_c` samples puts ``round(test_size * n_c)`` of them
    (chosen at random) into the test set, but always keeps at least one sample on each
    side when :math:`n_c \\ge 2`.

    Parameters
    ----------
    y : array_like of int, shape (N,)
    test_size : float in (0, 1)
    seed : int

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Disjoint, together ``0..N-1``, each in random order.
    """
    y = np.asarray(y)
    check_ndim(y, 1, "y", "(N,)")
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0 < test_size < 1:
        raise ValueError(f"test_size: expected a fraction in (0, 1), got {test_size!r}")
    rng = _rng(seed)
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


class DigitsSplit(NamedTuple):
    """The digits data, split: unpack it as ``X_train, y_train, X_test, y_test``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits(test_size=0.25, seed=0, standardize=True) -> DigitsSplit:
    r"""The 1,797 8x8 handwritten digits bundled with scikit-learn, split and standardised.

    Parameters
    ----------
    test_size : float in (0, 1), default 0.25
    seed : int, default 0
        Seed of the stratified split (:func:`stratified_split`).
    standardize : bool, default True
        Subtract each pixel's training mean :math:`\mu` and divide by its training standard
        deviation :math:`s` (or by 1 where :math:`s = 0`: some border pixels are blank in
        every training image), in both sets: :math:`x \mapsto (x - \mu)/s`. The test set
        never influences :math:`\mu` or :math:`s`. Otherwise the raw values 0..16 are
        returned.

    Returns
    -------
    DigitsSplit
        ``(X_train, y_train, X_test, y_test)``: float64 arrays of shape (N, 64) and int
        labels 0..9 of shape (N,).
    """
    from sklearn.datasets import load_digits  # the only scikit-learn use, bundled data

    data = load_digits()
    X = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    train_idx, test_idx = stratified_split(y, test_size, seed)
    X_train, X_test = X[train_idx], X[test_idx]
    if standardize:
        mu = X_train.mean(axis=0)
        s = X_train.std(axis=0)
        s[s == 0] = 1.0
        X_train, X_test = (X_train - mu) / s, (X_test - mu) / s
    return DigitsSplit(X_train, y[train_idx], X_test, y[test_idx])


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
