"""Tests for bpnet_lib.conv and the Conv2D layer: fast against naive (to 1e-12), against an
einsum over all windows and against the explicit matrix; every backward against finite
differences with a random upstream gradient; the flipped-kernel form of dX (and the notes'
replicated-gradient form failing under stride); im2col/col2im layout and adjointness;
error messages; dtypes; a small CNN in Sequential checked end to end."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from bpnet_lib import conv as cv
from bpnet_lib import network as nn
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=25, deadline=None)
SLOW = settings(max_examples=8, deadline=None)
seeds = st.integers(0, 2**32 - 1)
hw_pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
pads = st.one_of(st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)))


def as_pair(v):
    return (v, v) if isinstance(v, int) else v


@st.composite
def conv_cases(draw, max_hw=8):
    """Shapes that break symmetry: n_h != n_w, non-square kernels, kernels larger than the stride."""
    N, C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n_h, n_w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding = draw(hw_pairs), draw(pads)
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    assume(n_h + 2 * ph >= kh and n_w + 2 * pw >= kw)
    return (N, C, n_h, n_w), (F, C, kh, kw), stride, padding


def draw_arrays(rng, x_shape, w_shape, dtype=np.float64):
    X = rng.standard_normal(x_shape).astype(dtype)
    W = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return X, W, b


def reference_forward(X, W, b, stride, padding):
    """A third implementation: einsum over a strided view of every window."""
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = sliding_window_view(Xp, W.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    return np.einsum("ncuvij,fcij->nfuv", win, W) + b[:, None, None]


def resolvable(grads, J, h=1e-5, tol=1e-7):
    """True when every gradient is exactly zero or large enough for central differences to
    resolve at ``tol`` (rounding noise about eps |J| / h, as in tests/test_bpnet.py)."""
    noise = np.finfo(np.float64).eps * max(abs(J), 1.0) / h
    return all(np.linalg.norm(g) == 0 or np.linalg.norm(g) > noise / tol for g in grads)


# --- output size -------------------------------------------------------------------------


def test_conv_output_size():
    assert cv.conv_output_size(32, 3, 1, 1) == 32
    assert cv.conv_output_size(16, 3, 2, 1) == 8
    assert cv.conv_output_size(28, 5, 1, 2) == 28
    assert cv.conv_output_size(5, 2, 2, 0) == 2  # the floor: the last row is never read
    with pytest.raises(ValueError, match=re.escape("(5 + 0 - 7)//1 + 1 = -1 must be positive")):
        cv.conv_output_size(5, 7)


# --- forward -----------------------------------------------------------------------------


@FAST
@given(seed=seeds, case=conv_cases())
def test_forward_fast_naive_einsum_and_matrix_agree(seed, case):
    x_shape, w_shape, stride, padding = case
    X, W, b = draw_arrays(np.random.default_rng(seed), x_shape, w_shape)
    Y, cache = cv.conv2d_forward(X, W, b, stride, padding)
    Yn, _ = cv.conv2d_forward_naive(X, W, b, stride, padding)
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    out_h, out_w = cv.conv_output_size(x_shape[2], w_shape[2], sh, ph), cv.conv_output_size(x_shape[3], w_shape[3], sw, pw)
    assert Y.shape == (x_shape[0], w_shape[0], out_h, out_w) and Y.flags.c_contiguous
    np.testing.assert_allclose(Y, Yn, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Y, reference_forward(X, W, b, stride, padding), rtol=1e-12, atol=1e-12)
    M = cv.conv2d_as_matrix(W, x_shape, stride, padding)
    Ymat = X.reshape(len(X), -1) @ M.T + np.repeat(b, out_h * out_w)
    np.testing.assert_allclose(Ymat, Y.reshape(len(X), -1), rtol=1e-12, atol=1e-12)
    assert cache.X is X  # the input itself: neither a padded copy nor its im2col matrix


def test_conv_as_matrix_is_sparse_with_shared_weights():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((2, 3, 3, 2))
    M = cv.conv2d_as_matrix(W, (3, 6, 5), stride=(2, 1), padding=(1, 0))
    out_h, out_w = cv.conv_output_size(6, 3, 2, 1), cv.conv_output_size(5, 2, 1, 0)
    assert M.shape == (2 * out_h * out_w, 3 * 6 * 5)
    nonzeros = (M != 0).sum(axis=1)
    assert nonzeros.max() == 3 * 3 * 2 and nonzeros.min() < 3 * 3 * 2  # border rows lose taps
    for f in range(2):  # every row of filter f holds only W[f]'s numbers
        assert set(M[f * out_h * out_w:(f + 1) * out_h * out_w].ravel()) - {0.0} <= set(W[f].ravel())


# --- backward ----------------------------------------------------------------------------


@FAST
@given(seed=seeds, case=conv_cases())
def test_backward_against_finite_differences(seed, case):
    x_shape, w_shape, stride, padding = case
    rng = np.random.default_rng(seed)
    X, W, b = draw_arrays(rng, x_shape, w_shape)
    Y, cache = cv.conv2d_forward(X, W, b, stride, padding)
    dY = rng.standard_normal(Y.shape)
    grads = cv.conv2d_backward(dY, cache)
    assume(resolvable(grads, np.sum(dY * Y)))
    assert [g.shape for g in grads] == [X.shape, W.shape, b.shape]
    errors = check_gradients(
        lambda X, W, b: cv.conv2d_forward(X, W, b, stride, padding)[0],
        [X, W, b],
        grads,
        dout=dY,
    )
    assert max(errors) < 1e-7


@FAST
@given(seed=seeds, case=conv_cases())
def test_naive_and_flipped_backward_agree_with_fast(seed, case):
    x_shape, w_shape, stride, padding = case
    rng = np.random.default_rng(seed)
    X, W, b = draw_arrays(rng, x_shape, w_shape)
    Y, cache = cv.conv2d_forward(X, W, b, stride, padding)
    _, naive_cache = cv.conv2d_forward_naive(X, W, b, stride, padding)
    dY = rng.standard_normal(Y.shape)
    fast = cv.conv2d_backward(dY, cache)
    for g, gn in zip(fast, cv.conv2d_backward_naive(dY, naive_cache)):
        np.testing.assert_allclose(g, gn, rtol=1e-12, atol=1e-12)
    dX = cv.conv2d_backward_input_flipped(dY, W, X.shape, stride, padding)
    np.testing.assert_allclose(dX, fast[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("per_block", [1, 2, 3, 7])
@pytest.mark.parametrize("stride, padding", [(1, 1), ((1, 2), (2, 0))])
def test_blocks_of_images(monkeypatch, per_block, stride, padding):
    """Blocks of 1, 2 and 3 of 7 images (the last one short) or all 7 give the same result."""
    rng = np.random.default_rng(7)
    X, W, b = draw_arrays(rng, (7, 2, 17, 30), (3, 2, 3, 2))
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    out_h, out_w = cv.conv_output_size(17, 3, sh, ph), cv.conv_output_size(30, 2, sw, pw)
    one_image = 2 * 3 * 2 * out_h * out_w * X.itemsize  # bytes of one image's columns
    monkeypatch.setattr(cv, "_BLOCK_BYTES", per_block * one_image + one_image // 2)
    assert cv._images_per_block(7, 2 * 3 * 2, out_h * out_w, X.itemsize) == per_block
    Y, cache = cv.conv2d_forward(X, W, b, stride, padding)
    np.testing.assert_allclose(Y, cv.conv2d_forward_naive(X, W, b, stride, padding)[0], rtol=1e-12, atol=1e-12)
    dY = rng.standard_normal(Y.shape)
    grads = cv.conv2d_backward(dY, cache)
    for g, gn in zip(grads, cv.conv2d_backward_naive(dY, cv.conv2d_forward_naive(X, W, b, stride, padding)[1])):
        np.testing.assert_allclose(g, gn, rtol=1e-12, atol=1e-12)
    fun = lambda W, b: cv.conv2d_forward(X, W, b, stride, padding)[0]  # noqa: E731
    assert max(check_gradients(fun, [W, b], grads[1:], dout=dY)) < 1e-7


@SLOW
@given(seed=seeds, case=conv_cases(max_hw=5))
def test_naive_backward_against_finite_differences(seed, case):
    x_shape, w_shape, stride, padding = case
    rng = np.random.default_rng(seed)
    X, W, b = draw_arrays(rng, x_shape, w_shape)
    Y, cache = cv.conv2d_forward_naive(X, W, b, stride, padding)
    dY = rng.standard_normal(Y.shape)
    grads = cv.conv2d_backward_naive(dY, cache)
    assume(resolvable(grads, np.sum(dY * Y)))
    fun = lambda X, W, b: cv.conv2d_forward_naive(X, W, b, stride, padding)[0]  # noqa: E731
    assert max(check_gradients(fun, [X, W, b], grads, dout=dY)) < 1e-7
    dX = cv.conv2d_backward_input_flipped(dY, W, X.shape, stride, padding)
    assert max(check_gradients(lambda X: fun(X, W, b), [X], [dX], dout=dY)) < 1e-7


def test_stride_one_dx_is_full_correlation_with_flipped_kernel():
    rng = np.random.default_rng(1)
    X, W, b = draw_arrays(rng, (2, 3, 6, 7), (4, 3, 3, 2))
    Y, cache = cv.conv2d_forward(X, W, b)
    dY = rng.standard_normal(Y.shape)
    full = np.pad(dY, ((0, 0), (0, 0), (2, 2), (1, 1)))  # k - 1 zeros on each side
    dX, _ = cv.conv2d_forward(full, cv.flip_kernel(W), np.zeros(3))
    np.testing.assert_allclose(dX, cv.conv2d_backward(dY, cache)[0], rtol=1e-12, atol=1e-12)


def test_flip_kernel():
    W = np.random.default_rng(2).standard_normal((4, 3, 3, 2))
    Wt = cv.flip_kernel(W)
    assert Wt.shape == (3, 4, 3, 2)
    assert Wt[1, 2, 0, 0] == W[2, 1, 2, 1] and Wt[0, 3, 2, 1] == W[3, 0, 0, 0]
    np.testing.assert_array_equal(cv.flip_kernel(Wt), W)


def test_dilate():
    A = np.arange(6.0).reshape(1, 2, 3)
    D = cv.dilate(A, (2, 3))
    assert D.shape == (1, 3, 7)
    np.testing.assert_array_equal(D[0, ::2, ::3], A[0])
    assert D.sum() == A.sum() and np.count_nonzero(D) == np.count_nonzero(A)


@pytest.mark.parametrize("stride", [2, 3])
def test_notes_replicated_upstream_gradient_is_wrong_under_stride(stride):
    """Note 002 writes dX for its stride s (our s_h = s_w) as the flipped-kernel correlation of
    dY (x) ones(s, s), each gradient repeated over an s x s block (equivalently
    dY[floor((u - i)/s)]). Finite differences disagree; inserting s_h - 1 zero rows and
    s_w - 1 zero columns instead (dilate) is right."""
    rng = np.random.default_rng(3)
    X, W, b = draw_arrays(rng, (1, 2, 9, 9), (2, 2, 3, 3))
    Y, cache = cv.conv2d_forward(X, W, b, stride, padding=1)
    dY = rng.standard_normal(Y.shape)
    dX = cv.conv2d_backward(dY, cache)[0]
    fun = lambda X: cv.conv2d_forward(X, W, b, stride, 1)[0]  # noqa: E731
    check_gradients(fun, [X], [dX], dout=dY)

    def flipped_correlation(G):  # G cut or zero-filled to n_h + 2p - k + 1 = 9, then W~ (star) pad_{k-1}(G)
        G = np.pad(G, ((0, 0), (0, 0), (0, 9), (0, 9)))[:, :, :9, :9]
        dXp, _ = cv.conv2d_forward(np.pad(G, ((0, 0), (0, 0), (2, 2), (2, 2))), cv.flip_kernel(W), np.zeros(2))
        return dXp[:, :, 1:10, 1:10]  # cut the forward's padding

    np.testing.assert_allclose(flipped_correlation(cv.dilate(dY, stride)), dX, rtol=1e-12, atol=1e-12)
    wrong = flipped_correlation(np.kron(dY, np.ones((stride, stride))))
    with pytest.raises(AssertionError, match="gradient check failed"):
        check_gradients(fun, [X], [wrong], dout=dY)


# --- im2col / col2im ---------------------------------------------------------------------


@FAST
@given(seed=seeds, case=conv_cases())
def test_im2col_layout_and_col2im_adjoint(seed, case):
    (N, C, n_h, n_w), (_, _, kh, kw), stride, padding = case
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, C, n_h, n_w))
    cols = cv.im2col(X, kh, kw, stride, padding)
    (sh, sw), (ph, pw) = as_pair(stride), as_pair(padding)
    out_h, out_w = (n_h + 2 * ph - kh) // sh + 1, (n_w + 2 * pw - kw) // sw + 1
    assert cols.shape == (C * kh * kw, N * out_h * out_w)
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, u, v = N - 1, C - 1, out_h - 1, out_w - 1  # the last entry: catches a kh/kw mix-up
    i, j = kh - 1, kw - 1
    assert cols[(c * kh + i) * kw + j, (n * out_h + u) * out_w + v] == Xp[n, c, u * sh + i, v * sw + j]
    A = rng.standard_normal(cols.shape)
    back = cv.col2im(A, X.shape, kh, kw, stride, padding)
    assert back.shape == X.shape
    np.testing.assert_allclose(np.sum(A * cols), np.sum(back * X), rtol=1e-12)


@FAST
@given(seed=seeds, case=conv_cases(max_hw=5), pad=st.tuples(st.integers(0, 5), st.integers(0, 5)))
def test_block_im2col_reads_padding_as_zero_in_a_dirty_buffer(seed, case, pad):
    """The fast passes' im2col never builds the padded image and reuses its buffer from call
    to call: every entry that reads padding must be written as 0, whatever the buffer held,
    including window offsets that only ever read padding (padding up to 5 on 1-5 pixels)."""
    (N, C, n_h, n_w), (_, _, kh, kw), stride, _ = case
    (sh, sw), (ph, pw) = as_pair(stride), pad
    assume(n_h + 2 * ph >= kh and n_w + 2 * pw >= kw)
    X = np.random.default_rng(seed).standard_normal((N, C, n_h, n_w))
    out_h, out_w = (n_h + 2 * ph - kh) // sh + 1, (n_w + 2 * pw - kw) // sw + 1
    dirty = np.full((C, kh, kw, N, out_h, out_w), np.nan)
    cols = cv._im2col_into(X, kh, kw, (sh, sw), (ph, pw), dirty).reshape(C * kh * kw, N * out_h * out_w)
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # the padded image, built here only
    expected = sliding_window_view(Xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :out_h, :out_w]
    np.testing.assert_array_equal(cols, expected.transpose(1, 4, 5, 0, 2, 3).reshape(cols.shape))
    d = np.random.default_rng(seed + 1).standard_normal(dirty.shape)
    dX = np.zeros_like(X)
    cv._add_windows(dX, d, (sh, sw), (ph, pw))  # the adjoint, without a padded array
    np.testing.assert_allclose(np.sum(d.reshape(cols.shape) * cols), np.sum(dX * X), rtol=1e-12, atol=1e-12)


def test_col2im_counts_overlaps():
    ones = cv.col2im(cv.im2col(np.ones((1, 1, 4, 5)), 3, 2), (1, 1, 4, 5), 3, 2)
    rows = np.array([1, 2, 2, 1])[:, None]  # windows of height 3 covering each row
    columns = np.array([1, 2, 2, 2, 1])[None, :]
    np.testing.assert_array_equal(ones[0, 0], rows * columns)


# --- errors ------------------------------------------------------------------------------


def test_output_size_error_names_shapes_and_formula():
    X, W, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 7, 7)), np.zeros(4)
    msg = ("output height (n_h + 2p - kh)//s_h + 1 = (5 + 0 - 7)//1 + 1 = -1 must be positive for "
           "X of shape (2, 3, 5, 5) and W of shape (4, 3, 7, 7)")
    for forward in (cv.conv2d_forward, cv.conv2d_forward_naive):
        with pytest.raises(ValueError, match=re.escape(msg)):
            forward(X, W, b)
    with pytest.raises(ValueError, match=re.escape("output width (n_w + 2p - kw)//s_w + 1 = (5 + 2 - 9)//2 + 1 = 0")):
        cv.conv2d_forward(np.zeros((1, 1, 9, 5)), np.zeros((1, 1, 3, 9)), np.zeros(1), stride=2, padding=1)


@pytest.mark.parametrize(
    "X, W, b, kwargs, message",
    [
        (np.zeros((2, 3, 5, 5)), np.zeros((4, 2, 3, 3)), np.zeros(4), {}, "expected C = 3 input channels"),
        (np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(3), {}, "b: expected shape (4,)"),
        (np.zeros((3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4), {}, "X: expected a 4-D array of shape (N, C, n_h, n_w)"),
        (np.zeros((2, 3, 5, 5)), np.zeros((3, 3, 3)), np.zeros(4), {}, "W: expected a 4-D array"),
        (np.full((1, 1, 3, 3), np.nan), np.zeros((1, 1, 2, 2)), np.zeros(1), {}, "X: expected finite values, got 9 NaN"),
        (np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), np.zeros(1), {"stride": 0}, "stride: expected positive ints"),
        (np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), np.zeros(1), {"padding": (1, -1)}, "padding: expected non-negative"),
        (np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), np.zeros(1), {"stride": (1, 2, 3)}, "stride: expected an int or a pair"),
    ],
)
def test_input_errors(X, W, b, kwargs, message):
    for forward in (cv.conv2d_forward, cv.conv2d_forward_naive):
        with pytest.raises(ValueError, match=re.escape(message)):
            forward(X, W, b, **kwargs)


def test_backward_checks_upstream_shape():
    Y, cache = cv.conv2d_forward(np.zeros((1, 2, 4, 4)), np.zeros((3, 2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=re.escape("dY: expected the shape of the forward's output (1, 3, 2, 2)")):
        cv.conv2d_backward(np.zeros((1, 3, 2, 3)), cache)


# --- dtypes ------------------------------------------------------------------------------


def test_float32_stays_float32():
    X, W, b = draw_arrays(np.random.default_rng(4), (2, 3, 7, 6), (4, 3, 3, 2), np.float32)
    Y, cache = cv.conv2d_forward(X, W, b, stride=(2, 1), padding=1)
    assert Y.dtype == np.float32 and cache.X.dtype == np.float32
    assert cv.im2col(X, 3, 2).dtype == np.float32
    grads = cv.conv2d_backward(np.ones(Y.shape, dtype=np.float32), cache)
    assert all(g.dtype == np.float32 for g in grads)
    Y64, _ = cv.conv2d_forward(X.astype(np.float64), W.astype(np.float64), b.astype(np.float64), (2, 1), 1)
    np.testing.assert_allclose(Y, Y64, rtol=1e-4, atol=1e-4)
    assert cv.conv2d_forward_naive(X, W, b)[0].dtype == np.float32
    assert cv.conv2d_forward(X, W.astype(np.float64), b)[0].dtype == np.float64  # mixed: promote
    assert cv.conv2d_forward(np.ones((1, 1, 3, 3), dtype=int), np.ones((1, 1, 2, 2)), [0])[0].dtype == np.float64


# --- the layer ---------------------------------------------------------------------------


def test_conv2d_layer_init_and_shapes():
    layer = nn.Conv2D(3, 64, (3, 5), stride=2, padding=(1, 2), rng=0)
    assert layer.W.shape == (64, 3, 3, 5) and layer.b.shape == (64,) and not layer.b.any()
    np.testing.assert_allclose(layer.W.var(), 2 / (3 * 3 * 5), rtol=0.1)  # He: fan_in = C kh kw
    assert set(layer.params()) == set(layer.grads()) == {"W", "b"}
    Y = layer.forward(np.random.default_rng(1).standard_normal((2, 3, 9, 8)))
    assert Y.shape == (2, 64, 5, 4)
    assert nn.Conv2D(2, 3, 3, rng=0, dtype=np.float32).W.dtype == np.float32
    with pytest.raises(ValueError, match="expected 3 channels"):
        layer.forward(np.zeros((2, 4, 9, 8)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Conv2D(2, 3, 3, rng=0).backward(np.zeros((1, 3, 1, 1)))


def first_clean_cnn(rng_seed_start=0):
    """A CNN and a batch whose ReLU inputs keep 1e-3 away from 0 and whose max-pool windows
    have a unique maximum by at least 1e-3, so finite differences see a smooth function."""
    for seed in range(rng_seed_start, rng_seed_start + 200):
        rng = np.random.default_rng(seed)
        model = nn.Sequential(
            nn.Conv2D(2, 3, (3, 2), stride=(1, 2), padding=1, rng=rng),
            nn.ReLU(),
            nn.MaxPool2D(2, stride=1),  # overlapping windows
            nn.Flatten(),
            nn.Linear(3 * 5 * 2, 4, rng=rng),
        )
        model[0].b[...] = 0.1 * rng.standard_normal(3)
        X = rng.standard_normal((2, 2, 6, 5))
        Z = model[0].forward(X)
        A = np.maximum(Z, 0)
        win = sliding_window_view(A, (2, 2), axis=(2, 3)).reshape(A.shape[:2] + (5, 2, 4))
        top2 = np.sort(win, axis=-1)[..., -2:]
        gap = top2[..., 1] - top2[..., 0]
        if np.abs(Z).min() > 1e-3 and np.all((gap > 1e-3) | (top2[..., 1] == 0)):
            return model, X, rng
    raise AssertionError("no clean draw found")  # pragma: no cover


def test_cnn_in_sequential_gradient_check():
    model, X, rng = first_clean_cnn()
    Y = model.forward(X)
    assert Y.shape == (2, 4)
    params = model.params()
    assert list(params) == ["0.W", "0.b", "4.W", "4.b"]
    names = list(params)

    def grads(dout):
        dX = model.backward(dout)
        return [dX] + [model.grads()[k].copy() for k in names]

    errors = check_gradients(lambda X, *P: model.forward(X), [X] + [params[k] for k in names], grads, rng=rng)
    assert max(errors) < 1e-7


def test_sequential_names_the_failing_conv_layer():
    model = nn.Sequential(nn.Conv2D(1, 2, 3, rng=0), nn.Conv2D(3, 2, 3, rng=1))
    with pytest.raises(ValueError, match=r"layer 1 \(Conv2D\(3, 2"):
        model.forward(np.zeros((1, 1, 6, 6)))


# --- issue 11: shapes with too few entries -----------------------------------------------


def test_conv2d_as_matrix_short_input_shape():
    with pytest.raises(ValueError, match=r"input_shape: expected a tuple \(C, n_h, n_w\) or \(N, C, n_h, n_w\) of 3 or 4 ints, got \(5, 6\)"):
        cv.conv2d_as_matrix(np.ones((1, 1, 2, 2)), (5, 6))


@pytest.mark.parametrize("shape, err", [(5, TypeError), ((1, 2.5, 3), TypeError), ((1, -5, 6), ValueError)])
def test_conv2d_as_matrix_bad_input_shape(shape, err):
    with pytest.raises(err, match=r"input_shape: expected"):
        cv.conv2d_as_matrix(np.ones((1, 1, 2, 2)), shape)


def test_dilate_needs_two_axes():
    with pytest.raises(ValueError, match=r"A: expected an array of shape \(\.\.\., a_h, a_w\) with ndim >= 2, got shape \(3,\)"):
        cv.dilate(np.ones(3), 2)


def test_conv2d_backward_input_flipped_short_input_shape():
    with pytest.raises(ValueError, match=r"input_shape: expected a tuple \(N, C, n_h, n_w\) of 4 ints, got \(1, 3, 3\)"):
        cv.conv2d_backward_input_flipped(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), (1, 3, 3))


def test_conv2d_backward_input_flipped_channel_mismatch():
    with pytest.raises(ValueError, match=r"W: expected C = 2 input channels"):
        cv.conv2d_backward_input_flipped(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), (1, 2, 3, 3))


@pytest.mark.parametrize("args, message", [
    ((5, 0), "k: expected a positive length (>= 1), got 0"),  # issue 11: gave 6
    ((5, -2), "k: expected a positive length (>= 1), got -2"),
    ((0, 1, 1, 1), "n: expected a positive length (>= 1), got 0"),
    ((-5, 3), "n: expected a positive length (>= 1), got -5"),
    ((5, 3, 0), "stride: expected positive ints"),
    ((5, 3, -1), "stride: expected positive ints"),
    ((5, 3, 1, -1), "padding: expected non-negative ints"),
    ((5.0, 3), "n: expected an int (one axis at a time), got 5.0"),
    ((5, 2.5), "k: expected an int (one axis at a time), got 2.5"),
    ((5, 3, 1.5), "stride: expected an int (one axis at a time), got 1.5"),
    ((5, 3, 1, True), "padding: expected an int (one axis at a time), got True"),
])
def test_conv_output_size_refuses_bad_lengths(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cv.conv_output_size(*args)


@pytest.mark.parametrize("input_shape", [
    (1, 1, 2.5, 3), (1, 1, 3, 3.0), (1, -1, 3, 3), (1, 1, 3), (True, 1, 3, 3), ("1", 1, 3, 3),
])
def test_col2im_refuses_non_integer_or_negative_input_shape(input_shape):
    # issue 11: an entry 2.5 was truncated to 2 by int()
    cols = np.ones((4, 4))
    with pytest.raises(ValueError, match=re.escape(
            f"input_shape: expected (N, C, n_h, n_w) of non-negative ints, got {input_shape!r}")):
        cv.col2im(cols, input_shape, 2, 2)
    with pytest.raises(ValueError, match=re.escape("input_shape: expected a tuple (N, C, n_h, n_w), got 3")):
        cv.col2im(cols, 3, 2, 2)
    # valid shapes, numpy ints included, still work
    assert cv.col2im(cols, (1, 1, np.int64(3), 3), 2, 2).shape == (1, 1, 3, 3)


# --- issue 11: the dtype rule and the aliasing contract -----------------------------------


def _conv_pairs():
    rng = np.random.default_rng(12)
    X, W, b = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    return {
        "fast": lambda dt, wdt=None: (cv.conv2d_forward(X.astype(dt), W.astype(wdt or dt), b.astype(dt), 2, 1),
                                      cv.conv2d_backward),
        "naive": lambda dt, wdt=None: (cv.conv2d_forward_naive(X.astype(dt), W.astype(wdt or dt), b.astype(dt), 2, 1),
                                       cv.conv2d_backward_naive),
    }


@pytest.mark.parametrize("name", ["fast", "naive"])
@pytest.mark.parametrize("dtype, wdtype, dY_dtype, want", [
    (np.float32, None, np.float64, np.float32), (np.float64, None, np.float32, np.float64),
    (np.float32, None, np.int64, np.float32), (np.float32, np.float64, np.float32, np.float64),
])
def test_conv_gradients_have_the_forward_dtype(name, dtype, wdtype, dY_dtype, want):
    (Y, cache), backward = _conv_pairs()[name](dtype, wdtype)
    assert Y.dtype == want
    dY = (np.random.default_rng(0).standard_normal(Y.shape) * 3).astype(dY_dtype)
    assert [g.dtype for g in backward(dY, cache)] == [np.dtype(want)] * 3


def test_conv_backward_input_flipped_and_helpers_keep_the_dtype():
    W32 = np.ones((2, 1, 3, 3), dtype=np.float32)
    dY32 = np.ones((1, 2, 3, 3), dtype=np.float32)
    assert cv.conv2d_backward_input_flipped(dY32, W32, (1, 1, 5, 5)).dtype == np.float32
    assert cv.conv2d_backward_input_flipped(dY32.astype(np.float64), W32, (1, 1, 5, 5)).dtype == np.float64
    assert cv.flip_kernel(W32).dtype == cv.dilate(dY32, 2).dtype == np.float32
    assert cv.conv2d_as_matrix(W32, (1, 5, 5)).dtype == np.float32
    assert cv.im2col(np.ones((1, 1, 4, 4), dtype=np.float16), 2, 2).dtype == np.float64


@pytest.mark.parametrize("name", ["fast", "naive"])
def test_conv_cache_holds_the_callers_X_and_W(name):
    # documented: references, not copies; an in-place edit of W before the backward shows
    rng = np.random.default_rng(3)
    X, W, b = rng.standard_normal((2, 1, 4, 4)), rng.standard_normal((2, 1, 3, 3)), np.zeros(2)
    forward, backward = ((cv.conv2d_forward, cv.conv2d_backward) if name == "fast"
                         else (cv.conv2d_forward_naive, cv.conv2d_backward_naive))
    Y, cache = forward(X, W, b)
    assert cache.X is X and cache.W is W
    dY = np.ones_like(Y)
    dX, dW, db = backward(dY, cache)
    for g in (dX, dW, db):  # the gradients are new arrays
        assert not any(np.shares_memory(g, a) for a in (X, W, b, Y, dY))
    W *= 3
    np.testing.assert_allclose(backward(dY, cache)[0], 3 * dX)


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (3, 1, 1, 1), (1, 3, 1, 1), (2, 2, 3, 3)])
def test_conv_helpers_return_new_arrays(shape):
    # flip_kernel returned a view of W for 1 x 1 kernels with F = 1 or C = 1
    W = np.random.default_rng(4).standard_normal(shape)
    assert not np.shares_memory(cv.flip_kernel(W), W)
    A = np.ones((1, shape[1], 4, 4))
    assert not np.shares_memory(cv.dilate(A, 1), A)
    cols = cv.im2col(A, 1, 1)
    assert not np.shares_memory(cols, A)
    assert not np.shares_memory(cv.col2im(cols, A.shape, 1, 1), cols)
