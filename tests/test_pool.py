"""Tests for bpnet_lib.pool and the pooling/Flatten layers: fast against naive, every
backward against finite differences (max pooling on inputs without near-ties), overlapping
windows that must accumulate (+=), the first-maximum tie rule, errors and dtypes."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from bpnet_lib import network as nn
from bpnet_lib import pool as P
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)
pairs = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))

MAX = (P.maxpool2d_forward, P.maxpool2d_backward, P.maxpool2d_forward_naive, P.maxpool2d_backward_naive)
AVG = (P.avgpool2d_forward, P.avgpool2d_backward, P.avgpool2d_forward_naive, P.avgpool2d_backward_naive)


def as_pair(v):
    return (v, v) if isinstance(v, int) else v


@st.composite
def pool_cases(draw):
    """Windows square or not; stride None (= size), smaller (overlap) or larger (gaps)."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n_h, n_w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    size = draw(pairs)
    stride = draw(st.one_of(st.none(), pairs))
    kh, kw = as_pair(size)
    assume(n_h >= kh and n_w >= kw)
    return (N, C, n_h, n_w), size, stride


def distinct(rng, shape):
    """Entries 0.1 apart in random order: no window has two maxima within 1e-5 of each other."""
    return 0.1 * rng.permutation(int(np.prod(shape))).reshape(shape) - 1.0


def windows(X, size, stride):
    kh, kw = as_pair(size)
    sh, sw = as_pair(size if stride is None else stride)
    return sliding_window_view(X, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


# --- forward -----------------------------------------------------------------------------


@FAST
@given(seed=seeds, case=pool_cases())
def test_forward_fast_naive_and_windows_agree(seed, case):
    shape, size, stride = case
    X = np.random.default_rng(seed).standard_normal(shape)
    for forward, _, naive, _, reduce in (MAX + (np.max,), AVG + (np.mean,)):
        Y, _ = forward(X, size, stride)
        np.testing.assert_allclose(Y, naive(X, size, stride)[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(Y, reduce(windows(X, size, stride), axis=(-2, -1)), rtol=1e-12, atol=1e-12)


def test_output_shape_and_default_stride():
    X = np.zeros((2, 3, 7, 8))
    assert P.maxpool2d_forward(X)[0].shape == (2, 3, 3, 4)  # floor: row 6 is never read
    assert P.maxpool2d_forward(X, 3, 1)[0].shape == (2, 3, 5, 6)
    assert P.avgpool2d_forward(X, (2, 3), (1, 2))[0].shape == (2, 3, 6, 3)


# --- backward ----------------------------------------------------------------------------


@FAST
@given(seed=seeds, case=pool_cases())
def test_backwards_against_finite_differences(seed, case):
    shape, size, stride = case
    rng = np.random.default_rng(seed)
    X = distinct(rng, shape)
    for forward, backward, naive_forward, naive_backward in (MAX, AVG):
        Y, cache = forward(X, size, stride)
        dY = rng.standard_normal(Y.shape)
        dX = backward(dY, cache)
        dX_naive = naive_backward(dY, naive_forward(X, size, stride)[1])
        np.testing.assert_allclose(dX, dX_naive, rtol=1e-12, atol=1e-12)
        for fwd, grad in ((forward, dX), (naive_forward, dX_naive)):
            errors = check_gradients(lambda X: fwd(X, size, stride)[0], [X], [grad], dout=dY)
            assert max(errors) < 1e-7


def test_overlapping_windows_accumulate():
    """The centre wins all four 2 x 2 windows at stride 1: it must receive the sum of their
    gradients. A backward written with '=' instead of '+=' keeps only one of them."""
    X = np.array([[[[0.0, 1, 0], [2, 9, 3], [0, 4, 0]]]])
    dY = np.array([[[[1.0, 2], [3, 4]]]])
    for forward, backward, naive_forward, naive_backward in (MAX,):
        dX = backward(dY, forward(X, 2, 1)[1])
        assert dX[0, 0, 1, 1] == 10.0 and np.count_nonzero(dX) == 1
        np.testing.assert_array_equal(naive_backward(dY, naive_forward(X, 2, 1)[1]), dX)
    dX = P.avgpool2d_backward(dY, P.avgpool2d_forward(X, 2, 1)[1])
    np.testing.assert_allclose(dX[0, 0], [[0.25, 0.75, 0.5], [1, 2.5, 1.5], [0.75, 1.75, 1]])


def test_entries_outside_every_window_get_zero():
    X = np.random.default_rng(0).standard_normal((1, 2, 5, 5))
    for forward, backward, _, _ in (MAX, AVG):
        Y, cache = forward(X, 2)
        dX = backward(np.ones(Y.shape), cache)
        assert not dX[:, :, 4, :].any() and not dX[:, :, :, 4].any()
        np.testing.assert_allclose(dX.sum(), Y.size)  # each gradient is passed on whole


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    """Each window's gradient goes to one entry, its first maximum; the notes' rule (every entry
    equal to the maximum passes the gradient) would hand out 4 x 2 + 2 x 3 instead of 2 + 3."""
    X = np.zeros((1, 1, 2, 4))
    X[0, 0, :, :2] = 5.0  # all four tied
    X[0, 0, 0, 3] = X[0, 0, 1, 2] = 7.0  # (0, 1) and (1, 0) of the second window tied
    dY = np.array([[[[2.0, 3.0]]]])
    expected = np.zeros_like(X)
    expected[0, 0, 0, 0], expected[0, 0, 0, 3] = 2.0, 3.0
    Y, cache = P.maxpool2d_forward(X)
    assert cache.argmax[0, 0].tolist() == [[0, 1]]
    np.testing.assert_array_equal(P.maxpool2d_backward(dY, cache), expected)
    np.testing.assert_array_equal(P.maxpool2d_backward_naive(dY, P.maxpool2d_forward_naive(X)[1]), expected)


@FAST
@given(seed=seeds, case=pool_cases())
def test_max_pool_at_ties_is_the_gradient_at_nearby_tie_free_points(seed, case):
    """On integer inputs (ties everywhere), moving X by a small h that decreases in row-major
    order breaks every tie towards the first maximum: the backward at X equals the backward at
    X + h, and that is the true gradient there (central differences), with dY of both signs."""
    shape, size, stride = case
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=shape).astype(float)
    h = -0.4 * np.arange(X.size).reshape(shape) / X.size       # |h| < 1/2: no order across values changes
    Y, cache = P.maxpool2d_forward(X, size, stride)
    dY = rng.standard_normal(Y.shape)
    _, cache_h = P.maxpool2d_forward(X + h, size, stride)
    dX = P.maxpool2d_backward(dY, cache)
    np.testing.assert_array_equal(P.maxpool2d_backward(dY, cache_h), dX)
    errors = check_gradients(lambda Z: P.maxpool2d_forward(Z, size, stride)[0], [X + h], [dX], dout=dY,
                             eps=1e-6)
    assert max(errors) < 1e-7


# --- errors and dtypes ---------------------------------------------------------------------


def test_errors():
    with pytest.raises(ValueError, match=re.escape(
            "output height (n_h + 2p - kh)//s_h + 1 = (2 + 0 - 3)//1 + 1 = 0 must be positive for "
            "X of shape (1, 1, 2, 5) and a pooling window of size (3, 3)")):
        P.maxpool2d_forward(np.zeros((1, 1, 2, 5)), 3, 1)
    with pytest.raises(ValueError, match="stride: expected positive ints"):
        P.avgpool2d_forward(np.zeros((1, 1, 4, 4)), 2, 0)
    with pytest.raises(ValueError, match="size: expected a window of at least 1 x 1"):
        P.maxpool2d_forward(np.zeros((1, 1, 4, 4)), (0, 2))
    with pytest.raises(ValueError, match=re.escape("X: expected a 4-D array of shape (N, C, n_h, n_w)")):
        P.maxpool2d_forward_naive(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="NaN"):
        P.maxpool2d_forward(np.full((1, 1, 2, 2), np.nan))
    Y, cache = P.maxpool2d_forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=re.escape("dY: expected the shape of the forward's output (1, 1, 2, 2)")):
        P.maxpool2d_backward(np.zeros((1, 1, 2, 3)), cache)


@pytest.mark.parametrize("funcs", [MAX, AVG], ids=["max", "avg"])
def test_float32_stays_float32(funcs):
    forward, backward, naive_forward, naive_backward = funcs
    X = np.random.default_rng(0).standard_normal((2, 2, 5, 6)).astype(np.float32)
    Y, cache = forward(X, 3, 2)
    assert Y.dtype == np.float32
    assert backward(np.ones(Y.shape), cache).dtype == np.float32
    Yn, naive_cache = naive_forward(X, 3, 2)
    assert Yn.dtype == np.float32 and naive_backward(np.ones(Y.shape), naive_cache).dtype == np.float32


# --- layers ------------------------------------------------------------------------------


def test_pool_and_flatten_layers():
    rng = np.random.default_rng(5)
    X = distinct(rng, (2, 3, 6, 5))
    layers = ((nn.MaxPool2D(3, 1), P.maxpool2d_forward, (3, 1)),          # window 3 x 3, stride 1
              (nn.AvgPool2D((2, 3)), P.avgpool2d_forward, ((2, 3), None)))  # stride = size
    for layer, forward, (size, stride) in layers:
        Y = layer.forward(X)
        np.testing.assert_array_equal(Y, forward(X, size, stride)[0])  # the arguments it was built with
        assert layer.size == as_pair(size) and layer.stride == as_pair(size if stride is None else stride)
        assert layer.params() == {} and "stride" in repr(layer)
        check_gradients(lambda X: layer.forward(X), [X], lambda d: [layer.backward(d)], rng=rng)
    flat = nn.Flatten()
    F = flat.forward(X)
    assert F.shape == (2, 90)
    np.testing.assert_array_equal(flat.backward(F), X)
    with pytest.raises(ValueError, match="stride: expected positive ints"):
        nn.MaxPool2D(2, 0)
    with pytest.raises(ValueError, match=re.escape("dout: expected shape (2, 90)")):
        flat.backward(np.zeros((2, 89)))


# --- issue 11: the dtype rule and the aliasing contract -----------------------------------


_POOL_PAIRS = {
    "max": (P.maxpool2d_forward, P.maxpool2d_backward),
    "avg": (P.avgpool2d_forward, P.avgpool2d_backward),
    "max_naive": (P.maxpool2d_forward_naive, P.maxpool2d_backward_naive),
    "avg_naive": (P.avgpool2d_forward_naive, P.avgpool2d_backward_naive),
}


@pytest.mark.parametrize("name", list(_POOL_PAIRS))
@pytest.mark.parametrize("dtype, dY_dtype, want", [
    (np.float32, np.float64, np.float32), (np.float64, np.float32, np.float64),
    (np.float32, np.int64, np.float32), (np.int64, np.float32, np.float64),
    (np.float16, np.float32, np.float64),
])
def test_pool_gradient_has_the_forward_dtype(name, dtype, dY_dtype, want):
    forward, backward = _POOL_PAIRS[name]
    X = (np.random.default_rng(0).standard_normal((2, 2, 5, 5)) * 4).astype(dtype)
    Y, cache = forward(X, 3, 2)
    assert Y.dtype == want
    assert backward(np.ones(Y.shape, dtype=dY_dtype), cache).dtype == want


@pytest.mark.parametrize("name", list(_POOL_PAIRS))
def test_pool_results_are_new_arrays_and_caches_as_documented(name):
    forward, backward = _POOL_PAIRS[name]
    X = np.random.default_rng(1).standard_normal((2, 1, 4, 4))
    for size in (1, 2, (1, 2)):
        Y, cache = forward(X, size)
        dY = np.ones_like(Y)
        dX = backward(dY, cache)
        assert not np.shares_memory(Y, X) and not np.shares_memory(dX, dY)
        arrays = [a for a in cache if isinstance(a, np.ndarray)]
        if name.endswith("naive"):  # documented: the naive cache holds X itself
            assert cache.X is X
        else:  # the fast caches hold no array of the caller: editing X or Y changes nothing
            assert not any(np.shares_memory(a, X) or np.shares_memory(a, Y) for a in arrays)
            Y += 100
            np.testing.assert_array_equal(backward(dY, cache), dX)
