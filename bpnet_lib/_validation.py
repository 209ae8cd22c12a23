"""Input checks shared by every module of the library.

Each helper either returns a cleaned value or raises :class:`ValueError` with a
sentence that names what was expected and what came, so that a reader who
passes the wrong thing learns *which* argument was wrong and *how*.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_float_array",
    "check_ndim",
    "check_shape",
    "check_finite",
    "check_labels",
    "check_flag",
    "check_cache",
    "pair",
]


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_add_reduce = np.add.reduce  # np.sum without its Python-level dispatch (called on every input)


def as_float_array(x, name: str) -> np.ndarray:
    """Return ``x`` as a floating ndarray, keeping float32/float64, else float64.

    Parameters
    ----------
    x : array_like
        Any array-like of numbers.
    name : str
        The argument's name, used in the error message.

    Raises
    ------
    ValueError
        If ``x`` cannot be read as numbers, or contains NaN or infinity.
    """
    if type(x) is np.ndarray and x.dtype in _FLOATS:  # the common case, checked cheaply
        check_finite(x, name)
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy rarely fails here
        raise ValueError(f"{name}: expected an array of numbers, got {type(x).__name__}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise ValueError(f"{name}: expected an array of numbers, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinity, saying how many and where."""
    # A NaN or an infinity makes the sum NaN or infinite, so a finite sum clears the array
    # in one allocation-free pass; only a non-finite sum (which may also be an overflow of
    # finite entries) is looked into entry by entry.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(_add_reduce(arr, axis=None)):
            return
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"{name}: expected finite values, got {n_nan} NaN and {n_inf} infinite "
            f"entries (first at index {first})"
        )


def check_ndim(arr: np.ndarray, ndim: int, name: str, letters: str) -> None:
    """Raise ``ValueError`` unless ``arr.ndim == ndim``.

    ``letters`` names the expected axes, e.g. ``"(N, D)"``, for the message.
    """
    if arr.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-D array of shape {letters}, got shape {arr.shape}"
        )


def check_shape(arr: np.ndarray, shape: tuple, name: str, letters: str = "") -> None:
    """Raise ``ValueError`` unless ``arr.shape`` matches ``shape``.

    Entries of ``shape`` that are ``None`` match any length.
    """
    ok = arr.ndim == len(shape) and all(
        want is None or want == got for want, got in zip(shape, arr.shape)
    )
    if not ok:
        want = tuple("any" if s is None else s for s in shape)
        extra = f" {letters}" if letters else ""
        raise ValueError(f"{name}: expected shape {want}{extra}, got shape {arr.shape}")


def check_labels(y, n_samples: int, n_classes: int, name: str = "y", rows_of: str = "") -> np.ndarray:
    """Return integer class labels ``y`` of shape ``(N,)`` with values in ``0..K-1``.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D of length ``n_samples``, is not integral, or has a
        label outside ``[0, n_classes)``. ``rows_of`` names the array whose rows set
        ``n_samples``, for the message.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n_samples:
        raise ValueError(
            f"{name}: expected integer labels of shape ({n_samples},), got shape {y.shape}"
            + (f" (one label per row of {rows_of})" if rows_of else "")
        )
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            # check the range before the cast, which would wrap a huge label (1e20) round
            if y.size and (y.min() < 0 or y.max() >= n_classes):
                bad = y[(y < 0) | (y >= n_classes)]
                raise ValueError(
                    f"{name}: expected labels in 0..{n_classes - 1} (K = {n_classes} classes), "
                    f"got {bad[:5].tolist()}"
                )
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{name}: expected integer class labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)]
        raise ValueError(
            f"{name}: expected labels in 0..{n_classes - 1} (K = {n_classes} classes), "
            f"got {bad[:5].tolist()}"
        )
    return y.astype(np.intp, copy=False)


def pair(value, name: str) -> tuple[int, int]:
    """Return ``value`` as an ``(h, w)`` pair of ints; an int ``v`` gives ``(v, v)``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    try:
        a, b = value
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (a, b)):
            return int(a), int(b)
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{name}: expected an int or a pair of ints (h, w), got {value!r}")


def check_flag(value, name: str) -> bool:
    """Return ``value`` as a bool, or raise ``TypeError``: ``keepdims="no"`` would read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_cache(cache, cls: type, producer: str, name: str = "cache"):
    """Return ``cache`` if it is a ``cls``, else raise ``TypeError`` naming the producer.

    A backward function unpacks its cache by position; a cache from another forward (or a
    plain tuple) would fail deep inside with an unpacking error, or worse run on the wrong
    arrays, so each backward checks that it got what its own forward returned.
    """
    if not isinstance(cache, cls):
        raise TypeError(
            f"{name}: expected the {cls.__name__} returned by {producer}, "
            f"got {type(cache).__name__}"
        )
    return cache
