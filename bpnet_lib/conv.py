r"""2-D convolution as an affine map with shared, mostly-zero weights, forward and backward.

A convolution layer slides ``F`` kernels of shape ``(C, kh, kw)`` over a zero-padded image
and takes, at every ``s_h``-th row and ``s_w``-th column, the sum of the products with the
window under the kernel (a *cross-correlation*, as in PyTorch: the kernel is not flipped). Each output is
therefore an affine function of ``C kh kw`` inputs with weights that every position
shares, so the layer is a fully connected layer whose matrix is mostly zeros
(:func:`conv2d_as_matrix` builds it), and its backward is the transposed matrix: the
upstream gradient is sent back through the same windows. Two implementations are given.
The naive one loops over output positions and reads like the formulas; the fast one
copies every window into a column (:func:`im2col`), so that the forward is one matrix
product, ``dW`` another and ``dX`` a third followed by :func:`col2im`, which adds every
column back into the window it came from (``+=``: windows overlap). It does so for a block
of images at a time, in buffers that stay in cache and are reused, and never builds the
padded image: zeros are written where a window reads padding. For stride 1 the
input gradient is a *full* correlation of ``dY`` with the kernel rotated by 180 degrees
and with its two channel axes swapped (:math:`\tilde W`, :func:`flip_kernel`); for strides
``(s_h, s_w)`` the same holds after ``s_h - 1`` zero rows and ``s_w - 1`` zero columns are
inserted between the entries of ``dY`` (:math:`\operatorname{dil}_{s_h,s_w}`, :func:`dilate`),
not after each entry is repeated over an ``s_h x s_w`` block.

Names follow the book: images ``X`` of shape ``(N, C, n_h, n_w)``, kernels (the layer's
weights) ``W`` of shape ``(F, C, kh, kw)``, one bias per filter ``b`` of shape ``(F,)``,
outputs ``Y`` of shape ``(N, F, n_h', n_w')``; ``stride`` is ``(s_h, s_w)`` (rows, columns)
and ``padding`` ``(p_h, p_w)``, an int meaning the same on both axes; ``dX``, ``dW``, ``db`` and ``dY`` are the
gradients of the final scalar loss, each with the shape of its array.

Dtypes: a forward computes in float32 when ``X``, ``W`` and ``b`` are all float32 and in
float64 otherwise (int, bool and float16 arrays are read as float64); its output, its cache
and the gradients its backward returns are in that dtype, whatever the dtype of ``dY``.
The other functions keep the dtype of their array argument the same way.

Aliasing: no function modifies its arguments, and every result is a new array. A cache is
not a copy: it holds the ``X`` and ``W`` passed in (when they already have the forward's
dtype), so writing into either between the forward and the backward changes the gradients
without an error.

Each backward checks its ``cache``: anything but the cache its own forward returned (a
plain tuple, another function's cache) raises ``TypeError`` naming ``cache``.
"""

from __future__ import annotations

import functools
import math
import threading
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_cache, check_ndim, pair

__all__ = [
    "Conv2dCache",
    "Conv2dNaiveCache",
    "conv_output_size",
    "im2col",
    "col2im",
    "flip_kernel",
    "dilate",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "conv2d_backward_input_flipped",
    "conv2d_as_matrix",
]


class Conv2dCache(NamedTuple):
    """What :func:`conv2d_backward` needs.

    ``X`` (N, C, n_h, n_w) is the forward's input (the same array, not a copy), from which the
    backward copies the windows again for ``dW``; ``W`` (F, C, kh, kw) the kernels (for
    ``dX``); the stride and the padding say where the windows lie. The cache keeps ``X``
    rather than the :func:`im2col` matrix, which is ``kh kw n_h' n_w' / (n_h n_w)`` times
    larger (about ``kh kw / (s_h s_w)`` for a large image).
    """

    X: np.ndarray
    W: np.ndarray
    stride: tuple
    padding: tuple


class Conv2dNaiveCache(NamedTuple):
    """What :func:`conv2d_backward_naive` needs: the input ``X``, ``W``, stride and padding."""

    X: np.ndarray
    W: np.ndarray
    stride: tuple
    padding: tuple


# --- sizes and checks ------------------------------------------------------------------


def _hyper(stride, padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return ``stride`` and ``padding`` as (h, w) pairs: strides >= 1, paddings >= 0."""
    strides, paddings = pair(stride, "stride"), pair(padding, "padding")
    if min(strides) < 1:
        raise ValueError(f"stride: expected positive ints (an int or a pair (h, w)), got {stride!r}")
    if min(paddings) < 0:
        raise ValueError(f"padding: expected non-negative ints (an int or a pair), got {padding!r}")
    return strides, paddings


def _formula(axis: str, n: int, k: int, stride: int, p: int) -> tuple[int, str]:
    """The output length along one axis and the sentence that shows how it was computed."""
    out = (n + 2 * p - k) // stride + 1
    n_, k_, s_ = ("n_h", "kh", "s_h") if axis == "height" else ("n_w", "kw", "s_w")
    text = f"output {axis} ({n_} + 2p - {k_})//{s_} + 1 = ({n} + {2 * p} - {k})//{stride} + 1 = {out}"
    return out, text


def conv_output_size(n, k, stride=1, padding=0) -> int:
    r"""Length of a convolution's (or pooling's) output along one axis.

    .. math::

       n_h' = \left\lfloor \frac{n_h + 2p - k_h}{s_h} \right\rfloor + 1

    along the height with ``n = n_h``, ``k = k_h``, ``stride = s_h``, and along the width
    (giving :math:`n_w'`) with :math:`n_w`, :math:`k_w`, :math:`s_w`.

    Parameters
    ----------
    n, k, stride, padding : int
        Input length, kernel length, stride (``s_h`` or ``s_w``, >= 1), zero padding
        ``p >= 0`` per side.

    Raises
    ------
    ValueError
        If an argument is not an int, ``n`` or ``k`` is below 1, ``stride`` below 1,
        ``padding`` negative, or the result is not positive (the kernel does not fit in
        the padded input).
    """
    for name, value in (("n", n), ("k", k), ("stride", stride), ("padding", padding)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name}: expected an int (one axis at a time), got {value!r}")
    for name, value in (("n", n), ("k", k)):
        if value < 1:
            raise ValueError(f"{name}: expected a positive length (>= 1), got {value!r}")
    (stride, _), (p, _) = _hyper(int(stride), int(padding))
    n, k = int(n), int(k)
    out, text = _formula("height", n, k, stride, p)
    if out < 1:
        raise ValueError(
            f"k: expected a kernel that fits in the padded input (k <= n + 2p = {n + 2 * p}), "
            f"got k = {k}: {text} must be positive"
        )
    return out


def _output_hw(x_shape, k, stride, padding, what: str, x_what: str = "") -> tuple[int, int]:
    """(n_h', n_w') for an input of shape (N, C, n_h, n_w) and a window (kh, kw), or a ValueError.

    ``x_what`` names the input in the message (default: ``X of shape x_shape``).
    """
    x_what = x_what or f"X of shape {tuple(x_shape)}"
    out = []
    for axis, n, kk, s_, p in zip(("height", "width"), x_shape[2:], k, stride, padding):
        o, text = _formula(axis, n, kk, s_, p)
        if o < 1:
            raise ValueError(f"{text} must be positive for {x_what} and {what}")
        out.append(o)
    return out[0], out[1]


def _check_conv_args(X, W, b, stride, padding):
    """Validated float arrays (one common dtype), stride, padding and (n_h', n_w')."""
    X, W, b = as_float_array(X, "X"), as_float_array(W, "W"), as_float_array(b, "b")
    check_ndim(X, 4, "X", "(N, C, n_h, n_w)")
    check_ndim(W, 4, "W", "(F, C, kh, kw)")
    check_ndim(b, 1, "b", "(F,)")
    if min(W.shape) < 1:
        raise ValueError(f"W: expected at least one filter, channel and kernel row/column, got shape {W.shape}")
    if W.shape[1] != X.shape[1]:
        raise ValueError(
            f"W: expected C = {X.shape[1]} input channels (axis 1) to match X of shape "
            f"{X.shape}, got W of shape {W.shape}"
        )
    if b.shape[0] != W.shape[0]:
        raise ValueError(
            f"b: expected shape ({W.shape[0]},), one bias per filter of W of shape {W.shape}, "
            f"got shape {b.shape}"
        )
    stride, padding = _hyper(stride, padding)
    out_h, out_w = _output_hw(X.shape, W.shape[2:], stride, padding, f"W of shape {W.shape}")
    dtype = np.result_type(X, W, b)
    return X.astype(dtype, copy=False), W.astype(dtype, copy=False), b.astype(dtype, copy=False), stride, padding, out_h, out_w


def _window(start: int, count: int, step: int) -> slice:
    """The ``count`` indices ``start, start + step, ...`` as a slice."""
    return slice(start, start + step * (count - 1) + 1, step)


def _pad(X, padding):
    """``X`` (N, C, n_h, n_w) with ``padding`` zero rows/columns on each side (no copy if 0)."""
    ph, pw = padding
    if ph == pw == 0:
        return X
    return np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


# --- im2col / col2im -------------------------------------------------------------------


# The fast passes work on blocks of images whose columns take about this many bytes, so that
# the column buffer stays in cache and is reused from block to block instead of being
# allocated (and page-faulted in) whole on every call. 2 MiB ran fastest of 0.5-4 MiB on
# the layers bench/conv_bench.py times.
_BLOCK_BYTES = 1 << 21
# From this many output pixels per image on, each image's product is large enough for BLAS
# on its own; below it, one product per block of images runs faster.
_PER_IMAGE_PIXELS = 256
# Scratch buffers up to this size are kept per thread and reused by later calls: a fresh
# buffer of a few MB costs the operating system a page fault per 4 KiB on its first use,
# a noticeable share of a small layer's time.
_SCRATCH_MAX_BYTES = 1 << 23
_scratch_space = threading.local()


def _scratch(slot: str, shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array of ``shape``, carved from this thread's buffer for ``slot``.

    The same slot returns the same memory to the next call, so a slot's array must not
    outlive the function that asked for it (nothing in a cache or a result).
    """
    dtype = np.dtype(dtype)
    need = math.prod(shape) * dtype.itemsize
    if need > _SCRATCH_MAX_BYTES:
        return np.empty(shape, dtype=dtype)
    buffers = _scratch_space.__dict__.setdefault("buffers", {})
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < need:
        buffer = buffers[slot] = np.empty(need, dtype=np.uint8)
    return buffer[:need].view(dtype).reshape(shape)


def _images_per_block(N: int, rows: int, P: int, itemsize: int) -> int:
    """How many images' columns, ``rows x P`` entries each, fit in ``_BLOCK_BYTES`` (>= 1)."""
    return max(1, min(N, _BLOCK_BYTES // (rows * P * itemsize)))


def _inside(i: int, n_out: int, stride: int, p: int, n_in: int):
    """Output positions ``u`` whose input ``u stride + i - p`` is not padding, and those inputs.

    One axis at a time: ``stride`` is ``s_h`` (rows) or ``s_w`` (columns). Returns two slices
    (outputs, inputs), or ``None`` if offset ``i`` of the window only ever reads padding.
    """
    first = max(0, -((i - p) // stride))  # ceil((p - i) / stride)
    last = min(n_out - 1, (n_in - 1 + p - i) // stride)
    if first > last:
        return None
    return slice(first, last + 1), _window(first * stride + i - p, last - first + 1, stride)


@functools.lru_cache(maxsize=256)
def _offsets(kh, kw, out_h, out_w, n_h, n_w, stride, padding):
    """For every window offset ``(i, j)``: the output rows and columns whose entry ``(i, j)``
    lies in the image, the input rows and columns they read, and whether some outputs read
    padding there; offsets that only ever read padding have ``None`` slices. Cached: it
    depends on the sizes only, and both passes walk it once per block."""
    rows = [_inside(i, out_h, stride[0], padding[0], n_h) for i in range(kh)]
    cols = [_inside(j, out_w, stride[1], padding[1], n_w) for j in range(kw)]
    plan = []
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            if r is None or c is None:
                plan.append((i, j, None, None, None, None, True))
            else:
                padded = r[0].start > 0 or r[0].stop < out_h or c[0].start > 0 or c[0].stop < out_w
                plan.append((i, j, r[0], c[0], r[1], c[1], padded))
    return tuple(plan)


def _im2col_into(X, kh, kw, stride, padding, out):
    """Windows of the zero-padded images ``X`` (N, C, n_h, n_w) into ``out`` (C, kh, kw, N, n_h', n_w').

    ``out[c, i, j, n, u', v'] = X[n, c, u' s_h + i - p_h, v' s_w + j - p_w]``, or 0 where
    that index is padding: the padded image itself is never built. ``out`` may be any view
    of that shape. Returns ``out``.
    """
    (N, C, n_h, n_w), (out_h, out_w) = X.shape, out.shape[-2:]
    X_t = X.transpose(1, 0, 2, 3)  # (C, N, n_h, n_w), a view
    for i, j, u, v, r, c, padded in _offsets(kh, kw, out_h, out_w, n_h, n_w, stride, padding):
        o = out[:, i, j]  # (C, N, n_h', n_w'): kh * kw strided copies, never a loop over pixels
        if padded:  # some outputs read padding at this offset: zero first
            o[...] = 0
        if u is not None:
            o[:, :, u, v] = X_t[:, :, r, c]
    return out


def _add_windows(dX, d, stride, padding):
    """Add each column of ``d`` (C, kh, kw, N, n_h', n_w') into its window of ``dX`` (N, C, n_h, n_w).

    The adjoint of :func:`_im2col_into`: entries whose window position is padding are
    dropped, so no padded array is built and cut back. ``d`` may be any view of that shape.
    """
    (C, kh, kw, N, out_h, out_w), (n_h, n_w) = d.shape, dX.shape[2:]
    dX_t = dX.transpose(1, 0, 2, 3)  # (C, N, n_h, n_w), a view
    for i, j, u, v, r, c, _ in _offsets(kh, kw, out_h, out_w, n_h, n_w, stride, padding):
        if u is not None:  # += : an input inside several windows collects from each
            dX_t[:, :, r, c] += d[:, i, j, :, u, v]


def _block_columns(X, kh, kw, stride, padding, out_h, out_w):
    """:func:`im2col` of the images ``X`` (m, C, n_h, n_w), in this thread's reusable buffer.

    Returns the (C kh kw, m n_h' n_w') matrix; it is overwritten by the next call.
    """
    m, C = X.shape[:2]
    out = _scratch("cols", (C, kh, kw, m, out_h, out_w), X.dtype)
    return _im2col_into(X, kh, kw, stride, padding, out).reshape(C * kh * kw, m * out_h * out_w)


def _shape_arg(shape, lengths, name: str, letters: str) -> tuple:
    """``shape`` as a tuple of non-negative ints whose length is one of ``lengths``, or an error."""
    try:
        values = tuple(shape)
    except TypeError:
        raise TypeError(f"{name}: expected a tuple {letters} of ints, got {shape!r}") from None
    if len(values) not in lengths:
        raise ValueError(
            f"{name}: expected a tuple {letters} of {' or '.join(map(str, lengths))} ints, "
            f"got {shape!r} with {len(values)} entries"
        )
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: expected a tuple {letters} of ints, got {shape!r}")
        if v < 0:
            raise ValueError(f"{name}: expected non-negative sizes {letters}, got {shape!r}")
    return tuple(int(v) for v in values)


def _check_window(kh, kw):
    kh, kw = pair(kh, "kh")[0], pair(kw, "kw")[0]
    if min(kh, kw) < 1:
        raise ValueError(f"kh, kw: expected a window of at least 1 x 1, got {kh} x {kw}")
    return kh, kw


def im2col(X, kh, kw, stride=1, padding=0):
    r"""Copy every ``kh x kw`` window of the zero-padded ``X`` into one column.

    With :math:`X^{p}` the padded input, row ``(c, i, j)`` and column ``(n, u', v')``
    (both in row-major order) hold

    .. math::

       \mathrm{cols}[(c\,k_h + i)\,k_w + j,\ (n\,n_h' + u')\,n_w' + v']
       = X^{p}_{n, c,\ u' s_h + i,\ v' s_w + j},

    so that :math:`Y = W_{\text{mat}}\,\mathrm{cols}` with ``W_mat = W.reshape(F, -1)``.
    The result has ``C kh kw`` times as many entries as the output has per channel,
    in ``X``'s dtype.

    Parameters
    ----------
    X : array_like, shape (N, C, n_h, n_w)
    kh, kw : int
        Window height and width.
    stride, padding : int or (int, int)

    Returns
    -------
    cols : ndarray, shape (C kh kw, N n_h' n_w')
    """
    X = as_float_array(X, "X")
    check_ndim(X, 4, "X", "(N, C, n_h, n_w)")
    kh, kw = _check_window(kh, kw)
    stride, padding = _hyper(stride, padding)
    out_h, out_w = _output_hw(X.shape, (kh, kw), stride, padding, f"a {kh} x {kw} window")
    out = np.empty((X.shape[1], kh, kw, X.shape[0], out_h, out_w), dtype=X.dtype)
    rows = X.shape[1] * kh * kw  # named, not -1: an empty batch (N = 0) has no size to infer from
    return _im2col_into(X, kh, kw, stride, padding, out).reshape(rows, X.shape[0] * out_h * out_w)


def col2im(cols, input_shape, kh, kw, stride=1, padding=0):
    r"""Adjoint of :func:`im2col`: add every column back into the window it was copied from.

    .. math::

       X_{n,c,u,v} = \sum_{i,j,u',v' :\ u' s_h + i = u + p_h,\ v' s_w + j = v + p_w}
       \mathrm{cols}[(c\,k_h + i)\,k_w + j,\ (n\,n_h' + u')\,n_w' + v']

    Entries covered by several windows receive the sum of their copies; padding is cut
    off. ``col2im(im2col(X))`` is therefore ``X`` times the number of windows covering
    each entry, and ``sum(A * im2col(X)) == sum(col2im(A) * X)`` for every ``A``.

    Parameters
    ----------
    cols : array_like, shape (C kh kw, N n_h' n_w')
    input_shape : tuple (N, C, n_h, n_w)
    kh, kw : int
    stride, padding : int or (int, int)

    Returns
    -------
    X : ndarray, shape (N, C, n_h, n_w)
    """
    cols = as_float_array(cols, "cols")
    kh, kw = _check_window(kh, kw)
    stride, padding = _hyper(stride, padding)
    try:
        entries = tuple(input_shape)
    except TypeError:
        raise ValueError(f"input_shape: expected a tuple (N, C, n_h, n_w), got {input_shape!r}") from None
    if len(entries) != 4 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in entries
    ):
        raise ValueError(
            f"input_shape: expected (N, C, n_h, n_w) of non-negative ints, got {input_shape!r}"
        )
    N, C, n_h, n_w = (int(v) for v in entries)
    out_h, out_w = _output_hw((N, C, n_h, n_w), (kh, kw), stride, padding, f"a {kh} x {kw} window")
    if cols.shape != (C * kh * kw, N * out_h * out_w):
        raise ValueError(
            f"cols: expected shape (C kh kw, N n_h' n_w') = ({C * kh * kw}, {N * out_h * out_w}) for "
            f"input_shape {(N, C, n_h, n_w)}, got shape {cols.shape}"
        )
    dX = np.zeros((N, C, n_h, n_w), dtype=cols.dtype)
    _add_windows(dX, cols.reshape(C, kh, kw, N, out_h, out_w), stride, padding)
    return dX


def flip_kernel(W):
    r"""The backward kernel :math:`\tilde W`: rotate each kernel by 180 degrees, swap F and C.

    .. math:: \tilde W_{c, f, i, j} = W_{f, c,\ k_h - 1 - i,\ k_w - 1 - j}

    Parameters
    ----------
    W : array_like, shape (F, C, kh, kw)

    Returns
    -------
    W_tilde : ndarray, shape (C, F, kh, kw)
    """
    W = as_float_array(W, "W")
    check_ndim(W, 4, "W", "(F, C, kh, kw)")
    return W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()  # a new array, even for 1 x 1 kernels


def dilate(A, stride=1):
    r"""The dilation :math:`\operatorname{dil}_{s_h,s_w}(A)`: zeros between neighbouring entries.

    .. math::

       \operatorname{dil}_{s_h,s_w}(A)_{\dots,\,u s_h,\,v s_w} = A_{\dots,u,v},
       \quad \text{zero elsewhere,}

    on the last two axes: ``s_h - 1`` zero rows between neighbouring rows and ``s_w - 1`` zero
    columns between neighbouring columns. Applied to the upstream gradient ``dY`` of a
    convolution with strides ``(s_h, s_w)``, it places each entry where its window starts.

    Parameters
    ----------
    A : array_like, shape (..., a_h, a_w)
        For example ``dY``, shape (N, F, n_h', n_w').
    stride : int or (int, int)
        ``(s_h, s_w)``; an int means the same stride on both axes.

    Returns
    -------
    dilated : ndarray, shape (..., (a_h - 1) s_h + 1, (a_w - 1) s_w + 1)
    """
    A = as_float_array(A, "A")
    if A.ndim < 2:
        raise ValueError(
            f"A: expected an array of shape (..., a_h, a_w) with ndim >= 2, got shape {A.shape}"
        )
    (sh, sw), _ = _hyper(stride, 0)
    a_h, a_w = A.shape[-2:]
    dilated = np.zeros(A.shape[:-2] + ((a_h - 1) * sh + 1, (a_w - 1) * sw + 1), dtype=A.dtype)
    dilated[..., ::sh, ::sw] = A
    return dilated


# --- fast: im2col + one GEMM per pass ---------------------------------------------------


def conv2d_forward(X, W, b, stride=1, padding=0):
    r"""Convolution layer (cross-correlation), vectorised with :func:`im2col`.

    .. math::

       Y_{n,f,u',v'} = b_f + \sum_{c=0}^{C-1} \sum_{i=0}^{k_h-1} \sum_{j=0}^{k_w-1}
       W_{f,c,i,j}\, X^{p}_{n,c,\ u' s_h + i,\ v' s_w + j},
       \qquad n_h' = \left\lfloor \frac{n_h + 2p_h - k_h}{s_h} \right\rfloor + 1

    (same for :math:`n_w'`), where :math:`X^p` is ``X`` with :math:`p_h` zero rows and
    :math:`p_w` zero columns on each side. In matrix form, one GEMM:
    ``Y_mat = W.reshape(F, C kh kw) @ im2col(X) + b``. The product is computed for a block
    of images at a time (as many as fit in about 2 MiB of columns, at least one), which gives
    the same numbers without ever holding the whole :func:`im2col` matrix.

    Parameters
    ----------
    X : array_like, shape (N, C, n_h, n_w)
    W : array_like, shape (F, C, kh, kw)
    b : array_like, shape (F,)
        One bias per filter, shared by every position.
    stride, padding : int or (int, int), default 1 and 0
        ``(s_h, s_w)`` and ``(p_h, p_w)``; an int means the same for both axes.

    Returns
    -------
    Y : ndarray, shape (N, F, n_h', n_w')
        In the common dtype of the inputs (float32 stays float32).
    cache : Conv2dCache
        ``(X, W, stride, padding)``: the input itself, not its columns.

    Raises
    ------
    ValueError
        Non-4-D ``X`` or ``W``, a channel mismatch, ``b`` of the wrong length, NaN or
        infinity, or a stride/padding/kernel that leaves no output position.
    """
    X, W, b, stride, padding, out_h, out_w = _check_conv_args(X, W, b, stride, padding)
    (N, C), (F, _, kh, kw) = X.shape[:2], W.shape
    W_mat, P = W.reshape(F, -1), out_h * out_w
    m = _images_per_block(N, C * kh * kw, P, X.itemsize)
    Y = np.empty((N, F, P), dtype=X.dtype)
    for n in range(0, N, m):
        block = X[n:n + m]  # m images; the last block may hold fewer
        r = len(block)
        X_cols = _block_columns(block, kh, kw, stride, padding, out_h, out_w)  # (C kh kw, r n_h' n_w')
        if P >= _PER_IMAGE_PIXELS:  # one product per image, straight into Y
            np.matmul(W_mat, X_cols.reshape(-1, r, P).transpose(1, 0, 2), out=Y[n:n + m])
            Y[n:n + m] += b[:, None]
        else:  # one product for the block, then laid out image by image
            Y_mat = np.matmul(W_mat, X_cols, out=_scratch("Y_mat", (F, r * P), X.dtype))
            np.add(Y_mat.reshape(F, r, P).transpose(1, 0, 2), b[:, None], out=Y[n:n + m])
    return Y.reshape(N, F, out_h, out_w), Conv2dCache(X, W, stride, padding)


def _upstream(dY, shape, source: str = ""):
    dY = as_float_array(dY, "dY")
    if dY.shape != tuple(shape):
        raise ValueError(
            f"dY: expected the shape of the forward's output {tuple(shape)}, got shape {dY.shape}{source}"
        )
    return dY


def conv2d_backward(dY, cache):
    r"""Backward pass of :func:`conv2d_forward`: two GEMMs and a :func:`col2im`.

    With :math:`\mathrm{d}Y_{\text{mat}}` the upstream gradient ``dY`` laid out as
    ``(F, N n_h' n_w')``, like the product :math:`Y_{\text{mat}} = W_{\text{mat}}\,\mathrm{cols}`:

    .. math::

       \mathrm{d}W_{\text{mat}} = \mathrm{d}Y_{\text{mat}}\, \mathrm{cols}^\top, \qquad
       \mathrm{d}X = \mathrm{col2im}\!\left(W_{\text{mat}}^\top \mathrm{d}Y_{\text{mat}}\right),
       \qquad \mathrm{d}b_f = \sum_{n,u',v'} \mathrm{d}Y_{n,f,u',v'}.

    As in :func:`conv2d_forward`, the products run over a block of images at a time: the
    block's columns are copied again from the input in the cache, ``dW`` adds up the
    blocks' ``dY_mat cols^T``, and ``W_mat^T dY_mat`` is added into the windows of the
    block's slice of ``dX``. Blocks change the order of the additions, not the result.

    Parameters
    ----------
    dY : array_like, shape (N, F, n_h', n_w')
    cache : Conv2dCache

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    dW : ndarray, shape (F, C, kh, kw)
    db : ndarray, shape (F,)
    """
    check_cache(cache, Conv2dCache, "conv2d_forward")
    X, W, stride, padding = cache
    (N, C, n_h, n_w), (F, _, kh, kw) = X.shape, W.shape
    out_h, out_w = _output_hw(X.shape, (kh, kw), stride, padding, "")
    dY = _upstream(dY, (N, F, out_h, out_w)).astype(X.dtype, copy=False)
    W_mat, P, rows = W.reshape(F, -1), out_h * out_w, C * kh * kw
    m = _images_per_block(N, rows, P, X.itemsize)
    dW, dX = np.zeros((F, rows), dtype=X.dtype), np.zeros(X.shape, dtype=X.dtype)
    for n in range(0, N, m):
        block, dY_n = X[n:n + m], dY[n:n + m].reshape(-1, F, P)  # dY_n: (r, F, n_h' n_w')
        r = len(block)
        X_cols = _block_columns(block, kh, kw, stride, padding, out_h, out_w)  # (C kh kw, r n_h' n_w')
        if P >= _PER_IMAGE_PIXELS:  # one product per image, reading dY in place
            cols_n = X_cols.reshape(rows, r, P).transpose(1, 2, 0)  # (r, n_h' n_w', C kh kw)
            dW += np.matmul(dY_n, cols_n, out=_scratch("dW_n", (r, F, rows), X.dtype)).sum(axis=0)
            d_cols = np.matmul(W_mat.T, dY_n, out=_scratch("d_cols", (r, rows, P), X.dtype))
            d_cols = d_cols.reshape(r, C, kh, kw, out_h, out_w).transpose(1, 2, 3, 0, 4, 5)
        else:  # one product per block, on a copy of dY laid out as dY_mat
            dY_mat = _scratch("dY_mat", (F, r, P), X.dtype)
            dY_mat[...] = dY_n.transpose(1, 0, 2)
            dY_mat = dY_mat.reshape(F, r * P)
            dW += dY_mat @ X_cols.T
            d_cols = np.matmul(W_mat.T, dY_mat, out=_scratch("d_cols", (rows, r * P), X.dtype))
            d_cols = d_cols.reshape(C, kh, kw, r, out_h, out_w)
        _add_windows(dX[n:n + m], d_cols, stride, padding)  # dX_n += col2im(W_mat^T dY_n)
    return dX, dW.reshape(W.shape), dY.sum(axis=(0, 2, 3))


# --- naive: loops that read like the formulas -------------------------------------------


def conv2d_forward_naive(X, W, b, stride=1, padding=0):
    r"""Convolution by explicit loops over output positions (for teaching; slow).

    Every output entry is one window of the padded input times one kernel, summed:
    :math:`Y_{n,f,u',v'} = b_f + \sum_{c,i,j} W_{f,c,i,j} X^p_{n,c,u's_h+i,v's_w+j}`.
    Arguments, shapes and errors as in :func:`conv2d_forward`.

    Returns
    -------
    Y : ndarray, shape (N, F, n_h', n_w')
    cache : Conv2dNaiveCache
        ``(X, W, stride, padding)``.
    """
    X, W, b, stride, padding, out_h, out_w = _check_conv_args(X, W, b, stride, padding)
    (sh, sw), (kh, kw) = stride, W.shape[2:]
    Xp = _pad(X, padding)
    N, F = X.shape[0], W.shape[0]
    Y = np.empty((N, F, out_h, out_w), dtype=X.dtype)
    for n in range(N):
        for f in range(F):
            for u in range(out_h):
                for v in range(out_w):
                    window = Xp[n, :, u * sh:u * sh + kh, v * sw:v * sw + kw]  # (C, kh, kw)
                    Y[n, f, u, v] = np.sum(W[f] * window) + b[f]
    return Y, Conv2dNaiveCache(X, W, stride, padding)


def conv2d_backward_naive(dY, cache):
    r"""Backward of :func:`conv2d_forward_naive` in the scatter form (any stride, padding).

    The forward read window :math:`(n, u', v')` of :math:`X^p` once per filter; the
    backward sends the upstream entry :math:`\mathrm{d}Y_{n,f,u',v'}` (``grad`` in the code)
    back along the same path. The three partial derivatives of :math:`Y_{n,f,u',v'}` give

    .. math::

       \mathrm{d}X^p_{n,:,u's_h+i,\,v's_w+j} \mathrel{+}= \mathrm{d}Y_{n,f,u',v'}\, W_{f,:,i,j},
       \qquad
       \mathrm{d}W_{f,:,i,j} \mathrel{+}= \mathrm{d}Y_{n,f,u',v'}\, X^p_{n,:,u's_h+i,\,v's_w+j},
       \qquad
       \mathrm{d}b_f \mathrel{+}= \mathrm{d}Y_{n,f,u',v'},

    accumulated (``+=``) because overlapping windows share inputs and every position
    shares ``W`` and ``b``. The padding's gradient is then cut off.

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    dW : ndarray, shape (F, C, kh, kw)
    db : ndarray, shape (F,)
    """
    check_cache(cache, Conv2dNaiveCache, "conv2d_forward_naive")
    X, W, (sh, sw), (ph, pw) = cache
    (N, C, n_h, n_w), (F, _, kh, kw) = X.shape, W.shape
    out_h, out_w = _output_hw(X.shape, (kh, kw), (sh, sw), (ph, pw), "")
    dY = _upstream(dY, (N, F, out_h, out_w)).astype(X.dtype, copy=False)
    Xp = _pad(X, (ph, pw))
    dXp, dW, db = np.zeros_like(Xp), np.zeros_like(W), np.zeros(F, dtype=X.dtype)
    for n in range(N):
        for f in range(F):
            for u in range(out_h):
                for v in range(out_w):
                    grad = dY[n, f, u, v]
                    rows, columns = slice(u * sh, u * sh + kh), slice(v * sw, v * sw + kw)
                    dXp[n, :, rows, columns] += grad * W[f]
                    dW[f] += grad * Xp[n, :, rows, columns]
                    db[f] += grad
    return dXp[:, :, ph:ph + n_h, pw:pw + n_w].copy(), dW, db


def conv2d_backward_input_flipped(dY, W, input_shape, stride=1, padding=0):
    r"""``dX`` as a forward convolution of ``dY`` with the flipped kernel (for teaching).

    Insert :math:`s_h - 1` zero rows and :math:`s_w - 1` zero columns between the entries of
    ``dY`` (:math:`\operatorname{dil}_{s_h,s_w}`, :func:`dilate`), pad the result with :math:`k_h - 1` zero rows and :math:`k_w - 1` zero
    columns on each side (plus the :math:`r_h` rows and :math:`r_w` columns the forward's
    floor left unused, which get no gradient), correlate it with :math:`\tilde W` =
    :func:`flip_kernel` (``W`` rotated 180 degrees, F and C swapped), and cut off the
    forward's padding:

    .. math::

       \mathrm{d}X^p_{n,c,u,v}
       = \sum_{f,i,j} \tilde W_{c,f,i,j}\,
       \operatorname{pad}\big(\operatorname{dil}_{s_h,s_w}(\mathrm{d}Y)\big)_{n,f,u+i,v+j}.

    For :math:`s_h = s_w = 1` this is the *full* correlation of the upstream gradient with
    :math:`\tilde W`. Uses :func:`conv2d_forward_naive`, so it is slow.

    Parameters
    ----------
    dY : array_like, shape (N, F, n_h', n_w')
    W : array_like, shape (F, C, kh, kw)
    input_shape : tuple (N, C, n_h, n_w)
    stride, padding : int or (int, int)

    Returns
    -------
    dX : ndarray, shape (N, C, n_h, n_w)
    """
    stride, (ph, pw) = _hyper(stride, padding)
    W = as_float_array(W, "W")
    check_ndim(W, 4, "W", "(F, C, kh, kw)")
    input_shape = _shape_arg(input_shape, (4,), "input_shape", "(N, C, n_h, n_w)")
    N, C, n_h, n_w = input_shape
    F, Ck, kh, kw = W.shape
    if Ck != C:
        raise ValueError(f"W: expected C = {C} input channels to match input_shape {input_shape}, got W of shape {W.shape}")
    out_h, out_w = _output_hw(input_shape, (kh, kw), stride, (ph, pw), f"W of shape {W.shape}",
                              f"input_shape {input_shape}")
    dY = _upstream(dY, (N, F, out_h, out_w), f" (W of shape {W.shape} on input_shape {input_shape})")
    dilated = dilate(dY, stride)  # (N, F, (n_h'-1)s_h+1, (n_w'-1)s_w+1)
    r_h = n_h + 2 * ph - kh - (out_h - 1) * stride[0]  # rows the floor left out
    r_w = n_w + 2 * pw - kw - (out_w - 1) * stride[1]
    padded = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1 + r_h), (kw - 1, kw - 1 + r_w)))
    dXp, _ = conv2d_forward_naive(padded, flip_kernel(W), np.zeros(C, dtype=dilated.dtype))
    return dXp[:, :, ph:ph + n_h, pw:pw + n_w].copy()


def conv2d_as_matrix(W, input_shape, stride=1, padding=0):
    r"""The convolution as one dense matrix :math:`\mathcal{M}`: shared weights, mostly zeros.

    Returns :math:`\mathcal{M}` with ``Y.reshape(N, -1) = X.reshape(N, -1) @ M.T + repeat(b, n_h' n_w')``
    for every ``X`` of shape ``(N, C, n_h, n_w)``: row ``(f, u', v')`` holds
    :math:`W_{f,c,i,j}` in column ``(c, u' s_h + i - p_h, v' s_w + j - p_w)`` whenever that
    pixel lies inside the image (taps on the padding are dropped), and zeros elsewhere.
    Each row has at most ``C kh kw`` nonzeros; every row of one filter holds the same
    numbers.

    Parameters
    ----------
    W : array_like, shape (F, C, kh, kw)
    input_shape : tuple (C, n_h, n_w) or (N, C, n_h, n_w)
    stride, padding : int or (int, int)

    Returns
    -------
    M : ndarray, shape (F n_h' n_w', C n_h n_w)
        :math:`\mathcal{M}`, the Jacobian of the flattened output by the flattened input.
    """
    W = as_float_array(W, "W")
    check_ndim(W, 4, "W", "(F, C, kh, kw)")
    (sh, sw), (ph, pw) = _hyper(stride, padding)
    input_shape = _shape_arg(input_shape, (3, 4), "input_shape", "(C, n_h, n_w) or (N, C, n_h, n_w)")
    C, n_h, n_w = input_shape[-3:]
    F, Ck, kh, kw = W.shape
    if Ck != C:
        raise ValueError(f"W: expected C = {C} input channels to match input_shape {tuple(input_shape)}, got W of shape {W.shape}")
    out_h, out_w = _output_hw((1, C, n_h, n_w), (kh, kw), (sh, sw), (ph, pw), f"W of shape {W.shape}",
                              f"input_shape {tuple(input_shape)}")
    M = np.zeros((F, out_h, out_w, C, n_h, n_w), dtype=W.dtype)
    for u in range(out_h):
        for v in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    r, c = u * sh + i - ph, v * sw + j - pw
                    if 0 <= r < n_h and 0 <= c < n_w:
                        M[:, u, v, :, r, c] = W[:, :, i, j]
    return M.reshape(F * out_h * out_w, C * n_h * n_w)
