r"""Max and mean (average) pooling over ``kh x kw`` windows, forward and backward.

Pooling shrinks each channel of an image by summarising every window in one number: its
largest entry (max pooling, a piecewise-linear map that is differentiable wherever each
window has a single maximum) or its mean (average pooling, a linear map). Backward, max
pooling routes each upstream gradient to the position that won its window and gives the
others nothing; average pooling spreads it evenly, :math:`1/(k_h k_w)` to each entry of
the window. When the stride is smaller than the window, windows overlap and one input can
win (or belong to) several of them, so the backward must *add* (``+=``) the contributions
of all its windows; writing ``=`` instead keeps only the last one and goes unnoticed as
long as stride equals size. Ties in max pooling are broken towards the first maximum in
row-major order of the window, the choice recorded by the forward. The fast functions
work on strided views of all windows at once and loop only over the ``kh`` and ``kw``
offsets inside a window (max pooling separably: first along each row of a window, then
down its column of row maxima); the ``*_naive`` ones loop over windows and read like the
formulas.

Dtypes: the output and the backward's ``dX`` have the dtype of ``X`` (float32 stays float32;
int, bool and float16 arrays are read as float64), whatever the dtype of ``dY``.

Aliasing: no function modifies its arguments, and every output and gradient is a new array.
The fast caches hold no array of the caller (the winners' offsets and the shapes), so
editing ``X`` or ``Y`` afterwards changes nothing; the naive caches hold the ``X`` passed in
(not a copy), and writing into it before the naive backward changes its result.

Each backward checks its ``cache``: anything but the cache its own forward returned (a
plain tuple, another function's cache) raises ``TypeError`` naming ``cache``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_cache, check_ndim, pair
from .conv import _output_hw, _upstream, _window

__all__ = [
    "MaxPool2dCache",
    "AvgPool2dCache",
    "PoolNaiveCache",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "maxpool2d_forward_naive",
    "maxpool2d_backward_naive",
    "avgpool2d_forward_naive",
    "avgpool2d_backward_naive",
]


class MaxPool2dCache(NamedTuple):
    """What :func:`maxpool2d_backward` needs.

    ``argmax`` (N, C, n_h', n_w') is the winner of each window as a row-major offset
    ``i kw + j`` inside the window; then the input's shape, the window, the stride and
    the input's dtype (the gradient's dtype). ``row_argmax`` (N, C, n_h, n_w') is the
    column offset ``j`` of the first maximum of each window row ``X[n, c, u, v's_w :
    v's_w + kw]``: the backward routes a gradient to its window's winning row with
    ``argmax // kw`` and then along that row with ``row_argmax``.
    """

    argmax: np.ndarray
    input_shape: tuple
    size: tuple
    stride: tuple
    dtype: np.dtype
    row_argmax: np.ndarray


class AvgPool2dCache(NamedTuple):
    """What :func:`avgpool2d_backward` needs: the input's shape, window, stride and dtype."""

    input_shape: tuple
    size: tuple
    stride: tuple
    dtype: np.dtype


class PoolNaiveCache(NamedTuple):
    """What the naive backwards need: the input ``X``, the window and the stride."""

    X: np.ndarray
    size: tuple
    stride: tuple


def _check_pool_args(X, size, stride):
    """Float ``X`` (N, C, n_h, n_w), (kh, kw), (sh, sw) and (n_h', n_w'), or a ValueError."""
    X = as_float_array(X, "X")
    check_ndim(X, 4, "X", "(N, C, n_h, n_w)")
    size = pair(size, "size")
    stride = size if stride is None else pair(stride, "stride")
    if min(size) < 1:
        raise ValueError(f"size: expected a window of at least 1 x 1, got {size}")
    if min(stride) < 1:
        raise ValueError(f"stride: expected positive ints (an int or a pair (h, w)), got {stride}")
    out_h, out_w = _output_hw(X.shape, size, stride, (0, 0), f"a pooling window of size {size}")
    return X, size, stride, out_h, out_w


def _scatter(parts, input_shape, size, stride, out_h, out_w, dtype):
    """Add ``parts(i, j)`` (N, C, n_h', n_w') into the window offset (i, j) of a zero dX."""
    dX = np.zeros(input_shape, dtype=dtype)
    for i in range(size[0]):
        for j in range(size[1]):  # += : with overlapping windows an input collects from several
            dX[:, :, _window(i, out_h, stride[0]), _window(j, out_w, stride[1])] += parts(i, j)
    return dX


def _running_max(view, count, offsets):
    """The entrywise maximum of ``view(0), ..., view(count - 1)`` and, entry by entry, the
    index of the first view that holds it (a later view wins only if strictly larger)."""
    # Masked assignment (np.copyto with where=, np.where) is several times slower than
    # arithmetic here, so the index is kept with arithmetic: a later view that wins has a
    # larger index, so first = max(first, k * wins).
    best = view(0)
    first = np.zeros(best.shape, dtype=offsets)
    for k in range(1, count):
        wins = view(k) > best
        best = np.maximum(best, view(k), out=None if k == 1 else best)
        np.maximum(first, wins.astype(offsets) * offsets(k), out=first)
    return best, first


# --- max pooling -------------------------------------------------------------------------


def maxpool2d_forward(X, size=2, stride=None):
    r"""Max pooling: the largest entry of every ``kh x kw`` window, channel by channel.

    .. math::

       Y_{n,c,u',v'} = \max_{0 \le i < k_h,\ 0 \le j < k_w} X_{n,c,\ u's_h + i,\ v's_w + j},
       \qquad n_h' = \left\lfloor \frac{n_h - k_h}{s_h} \right\rfloor + 1

    Parameters
    ----------
    X : array_like, shape (N, C, n_h, n_w)
    size : int or (int, int), default 2
        The window ``(kh, kw)``.
    stride : int or (int, int), optional
        The strides ``(s_h, s_w)``. Defaults to ``size`` (windows side by side); smaller
        means overlapping windows.

    Returns
    -------
    Y : ndarray, shape (N, C, n_h', n_w')
    cache : MaxPool2dCache
        The winner of each window: the *first* maximum in row-major window order
        (``np.argmax`` of the flattened window), so ties go to the top-left-most one.
    """
    X, size, stride, out_h, out_w = _check_pool_args(X, size, stride)
    (kh, kw), (sh, sw) = size, stride
    offsets = np.uint8 if kh * kw <= 256 else np.intp
    # Along each row of every window: its maximum R and the offset j of its first maximum
    # (a later entry replaces the running maximum only if strictly larger).
    rows = lambda j: X[:, :, :, _window(j, out_w, sw)]  # noqa: E731  (N, C, n_h, n_w')
    R, row_argmax = _running_max(rows, kw, offsets)
    # Down each window's column of row maxima: the first row holding the window's maximum,
    # so that (i, row_argmax of row i) is the first maximum in row-major window order.
    col_of = lambda A, i: A[:, :, _window(i, out_h, sh), :]  # noqa: E731  (N, C, n_h', n_w')
    Y, win_row = _running_max(lambda i: col_of(R, i), kh, offsets)
    if kh == 1:
        Y = Y.copy()  # not a view of X
    # The winner's row-major offset i kw + j: j is the winning row's own first maximum.
    argmax = col_of(row_argmax, 0) * (win_row == 0)
    for i in range(1, kh):
        argmax += (col_of(row_argmax, i) + offsets(i * kw)) * (win_row == i)
    return Y, MaxPool2dCache(argmax, X.shape, size, stride, X.dtype, row_argmax)


def maxpool2d_backward(dY, cache):
    r"""Backward of :func:`maxpool2d_forward`: each gradient goes to its window's winner.

    .. math::

       \mathrm{d}X_{n,c,u,v} = \sum_{u',v'} \mathrm{d}Y_{n,c,u',v'}\,
       [\,(u, v) = (u's_h + i^*_{u'v'},\ v's_w + j^*_{u'v'})\,]

    where :math:`(i^*_{u'v'}, j^*_{u'v'})` is the recorded winner of window
    :math:`(u', v')`. The sum (``+=``) matters when windows overlap (stride < size): an
    entry that wins several windows receives all their gradients. Where every window's
    maximum is unique this is the gradient. At a tie the window's maximum is not
    differentiable and this uses the winner recorded by the forward: for that window a
    subgradient of its maximum; for the whole map ``X -> sum(dY * Y)`` the gradient at
    nearby tie-free points (so an element of Clarke's generalized gradient), and the
    gradient itself wherever that map is differentiable.

    Parameters
    ----------
    dY : array_like, shape (N, C, n_h', n_w')
    cache : MaxPool2dCache

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    """
    check_cache(cache, MaxPool2dCache, "maxpool2d_forward")
    argmax, shape, size, stride, dtype, row_argmax = cache
    (kh, kw), (sh, sw) = size, stride
    out_h, out_w = argmax.shape[2:]
    dY = _upstream(dY, argmax.shape).astype(dtype, copy=False)
    # Down the columns: each gradient to its window's winning row, then along the rows to
    # each row's first maximum. Where windows overlap (stride < size) an entry can collect
    # from several windows and the contributions are added (+=); where they do not, each
    # entry is written once.
    win_row = argmax // kw if kw > 1 else argmax
    dR = _route(dY, win_row, kh, sh, shape[:3] + (out_w,), axis=-2)  # (N, C, n_h, n_w')
    return _route(dR, row_argmax, kw, sw, shape, axis=-1)
    return dX


def _route(grad, choice, count, step, shape, axis):
    """An array of ``shape`` holding ``grad`` routed along ``axis`` (-2: rows, -1: columns)
    to the offset ``choice`` (0 .. count - 1) inside each window: for each offset ``k``,
    the entries at offset ``k`` of the windows get ``grad`` where ``choice == k``. Where
    windows overlap (``step < count``) an entry collects from several windows (``+=``);
    otherwise each entry is written once, and if the windows tile the axis exactly no entry
    is left to zero."""
    n_out = grad.shape[axis]
    overlap = step < count
    tiled = step == count and count * n_out == shape[axis]
    out = (np.empty if tiled else np.zeros)(shape, dtype=grad.dtype)
    for k in range(count):
        index = [slice(None)] * 4
        index[axis] = _window(k, n_out, step)
        target = out[tuple(index)]
        if overlap:
            target += grad * (choice == k)
        else:
            np.multiply(grad, choice == k, out=target)
    return out


# --- average pooling ---------------------------------------------------------------------


def avgpool2d_forward(X, size=2, stride=None):
    r"""Average (mean) pooling over every ``kh x kw`` window, channel by channel.

    .. math::

       Y_{n,c,u',v'} = \frac{1}{k_h k_w} \sum_{i=0}^{k_h-1} \sum_{j=0}^{k_w-1}
       X_{n,c,\ u's_h + i,\ v's_w + j}

    Parameters and output shape as in :func:`maxpool2d_forward`.

    Returns
    -------
    Y : ndarray, shape (N, C, n_h', n_w')
    cache : AvgPool2dCache
    """
    X, size, stride, out_h, out_w = _check_pool_args(X, size, stride)
    # A sum of kh kw strided views (one per offset inside the window) is several times
    # faster than a reduction over the two small window axes of the sliding-window view.
    (kh, kw), (sh, sw) = size, stride
    Y = np.zeros(X.shape[:2] + (out_h, out_w), dtype=X.dtype)
    for i in range(kh):
        for j in range(kw):
            Y += X[:, :, _window(i, out_h, sh), _window(j, out_w, sw)]
    Y /= kh * kw
    return Y, AvgPool2dCache(X.shape, size, stride, X.dtype)


def avgpool2d_backward(dY, cache):
    r"""Backward of :func:`avgpool2d_forward`: every entry of a window gets :math:`1/(k_h k_w)`.

    .. math::

       \mathrm{d}X_{n,c,u,v} = \frac{1}{k_h k_w}
       \sum_{(u', v') :\ (u, v) \in \text{window}(u', v')}
       \mathrm{d}Y_{n,c,u',v'}

    Overlapping windows add up; entries in no window (left over by the floor in
    :math:`n_h'`) get zero.

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    """
    check_cache(cache, AvgPool2dCache, "avgpool2d_forward")
    shape, size, stride, dtype = cache
    out_h, out_w = _output_hw(shape, size, stride, (0, 0), "")
    dY = _upstream(dY, shape[:2] + (out_h, out_w)).astype(dtype, copy=False)
    share = dY / (size[0] * size[1])
    return _scatter(lambda i, j: share, shape, size, stride, out_h, out_w, dY.dtype)


# --- naive versions ------------------------------------------------------------------------


def maxpool2d_forward_naive(X, size=2, stride=None):
    """Max pooling by a loop over windows (for teaching); see :func:`maxpool2d_forward`."""
    X, (kh, kw), (sh, sw), out_h, out_w = _check_pool_args(X, size, stride)
    N, C = X.shape[:2]
    Y = np.empty((N, C, out_h, out_w), dtype=X.dtype)
    for n in range(N):
        for c in range(C):
            for u in range(out_h):
                for v in range(out_w):
                    Y[n, c, u, v] = X[n, c, u * sh:u * sh + kh, v * sw:v * sw + kw].max()
    return Y, PoolNaiveCache(X, (kh, kw), (sh, sw))


def maxpool2d_backward_naive(dY, cache):
    """Loop over windows; find each window's first maximum again and ``+=`` its gradient.

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    """
    check_cache(cache, PoolNaiveCache, "maxpool2d_forward_naive")
    X, (kh, kw), (sh, sw) = cache
    N, C = X.shape[:2]
    out_h, out_w = _output_hw(X.shape, (kh, kw), (sh, sw), (0, 0), "")
    dY = _upstream(dY, (N, C, out_h, out_w)).astype(X.dtype, copy=False)
    dX = np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for u in range(out_h):
                for v in range(out_w):
                    window = X[n, c, u * sh:u * sh + kh, v * sw:v * sw + kw]
                    i, j = np.unravel_index(np.argmax(window), window.shape)  # first max
                    dX[n, c, u * sh + i, v * sw + j] += dY[n, c, u, v]  # +=, not =
    return dX


def avgpool2d_forward_naive(X, size=2, stride=None):
    """Average pooling by a loop over windows (for teaching); see :func:`avgpool2d_forward`."""
    X, (kh, kw), (sh, sw), out_h, out_w = _check_pool_args(X, size, stride)
    N, C = X.shape[:2]
    Y = np.empty((N, C, out_h, out_w), dtype=X.dtype)
    for n in range(N):
        for c in range(C):
            for u in range(out_h):
                for v in range(out_w):
                    Y[n, c, u, v] = X[n, c, u * sh:u * sh + kh, v * sw:v * sw + kw].mean()
    return Y, PoolNaiveCache(X, (kh, kw), (sh, sw))


def avgpool2d_backward_naive(dY, cache):
    """Loop over windows; ``+=`` each gradient divided by ``kh kw`` to the whole window.

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    """
    check_cache(cache, PoolNaiveCache, "avgpool2d_forward_naive")
    X, (kh, kw), (sh, sw) = cache
    N, C = X.shape[:2]
    out_h, out_w = _output_hw(X.shape, (kh, kw), (sh, sw), (0, 0), "")
    dY = _upstream(dY, (N, C, out_h, out_w)).astype(X.dtype, copy=False)
    dX = np.zeros_like(X)
    for n in range(N):
        for c in range(C):
            for u in range(out_h):
                for v in range(out_w):
                    dX[n, c, u * sh:u * sh + kh, v * sw:v * sw + kw] += dY[n, c, u, v] / (kh * kw)
    return dX
