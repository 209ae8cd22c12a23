"""Tests for bpnet_lib.layers: every backward against finite differences with a random
upstream gradient, cache layouts, dropout's statistics, dtypes and error messages."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import activations as A
from bpnet_lib import layers as L
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 6)
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def away_from_zero(z, eps=1e-3):
    """Move entries with |z| < eps to +-0.5, so finite differences never straddle a kink."""
    z = z.copy()
    small = np.abs(z) < eps
    z[small] = np.where(np.signbit(z[small]), -0.5, 0.5)
    return z


# --- gradient checks -------------------------------------------------------------


@FAST
@given(seed=seeds, N=sizes, D=sizes, M=sizes)
def test_affine_backward(seed, N, D, M):
    rng = np.random.default_rng(seed)
    X, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    Y, cache = L.affine_forward(X, W, b)
    assert Y.shape == (N, M)
    np.testing.assert_allclose(Y, X @ W + b)
    dX, dW, db = L.affine_backward(rng.standard_normal((N, M)), cache)
    assert (dX.shape, dW.shape, db.shape) == ((N, D), (D, M), (M,))
    check_gradients(
        lambda X, W, b: L.affine_forward(X, W, b)[0],
        [X, W, b],
        lambda d: L.affine_backward(d, cache),
        rng=rng,
    )


LAYERS = {
    "relu": (L.relu_forward, L.relu_backward, True),
    "sigmoid": (L.sigmoid_forward, L.sigmoid_backward, False),
    "tanh": (L.tanh_forward, L.tanh_backward, False),
    "elu": (L.elu_forward, L.elu_backward, False),
    "elu_alpha_0.3": (
        lambda X: L.elu_forward(X, alpha=0.3),
        L.elu_backward,
        True,  # with alpha != 1 the derivative jumps at 0
    ),
}


@pytest.mark.parametrize("name", LAYERS)
@FAST
@given(seed=seeds, shape=shapes)
def test_activation_backward(name, seed, shape):
    forward, backward, has_kink = LAYERS[name]
    rng = np.random.default_rng(seed)
    X = np.clip(2 * rng.standard_normal(shape), -3, 3)  # off the saturated tails, where
    if has_kink:  # finite differences lose their digits (f' ~ 1e-5 against f ~ 1)
        X = away_from_zero(X)
    _, cache = forward(X)
    check_gradients(lambda X: forward(X)[0], [X], lambda d: [backward(d, cache)], rng=rng)


@FAST
@given(seed=seeds, N=sizes, D=sizes, M=sizes)
def test_affine_relu_backward(seed, N, D, M):
    rng = np.random.default_rng(seed)
    while True:  # redraw until no ReLU input is within 1e-3 of the kink
        X, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
        if np.min(np.abs(X @ W + b)) > 1e-3:
            break
    _, cache = L.affine_relu_forward(X, W, b)
    check_gradients(
        lambda X, W, b: L.affine_relu_forward(X, W, b)[0],
        [X, W, b],
        lambda d: L.affine_relu_backward(d, cache),
        rng=rng,
    )


@FAST
@given(seed=seeds, shape=shapes, p_drop=st.sampled_from([0.0, 0.1, 0.5, 0.9]))
def test_dropout_backward(seed, shape, p_drop):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(shape)
    mask_seed = int(rng.integers(2**32))
    _, cache = L.dropout_forward(X, p_drop, np.random.default_rng(mask_seed))

    def forward(X):  # the same mask on every call
        return L.dropout_forward(X, p_drop, np.random.default_rng(mask_seed))[0]

    check_gradients(forward, [X], lambda d: [L.dropout_backward(d, cache)], rng=rng)


# --- agreement with the activations module and the cache layouts ------------------


def test_backwards_agree_with_activation_derivatives():
    rng = np.random.default_rng(0)
    X, dY = 4 * rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    X[0, 0] = 0.0  # both conventions: relu'(0) = 0, elu'(0) = alpha
    for forward, backward, grad in [
        (L.relu_forward, L.relu_backward, A.relu_grad),
        (L.sigmoid_forward, L.sigmoid_backward, A.sigmoid_grad),
        (L.tanh_forward, L.tanh_backward, A.tanh_grad),
        (L.elu_forward, L.elu_backward, A.elu_grad),
        (lambda X: L.elu_forward(X, alpha=0.3), L.elu_backward, lambda X: A.elu_grad(X, 0.3)),
        (lambda X: L.elu_forward(X, alpha=0.0), L.elu_backward, A.relu_grad),
    ]:
        _, cache = forward(X)
        np.testing.assert_allclose(backward(dY, cache), dY * grad(X), rtol=1e-12, atol=1e-15)


def test_cache_layouts():
    rng = np.random.default_rng(1)
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    _, cache = L.affine_forward(X, W, b)
    assert isinstance(cache, L.AffineCache) and cache._fields == ("X", "W")
    for forward in (L.relu_forward, L.sigmoid_forward, L.tanh_forward):
        Y, cache = forward(X)
        assert isinstance(cache, L.ActivationCache) and cache._fields == ("out",)
        assert cache.out is Y  # the output is saved, not the input
    Y, cache = L.elu_forward(X, alpha=0.5)
    assert cache._fields == ("out", "alpha") and cache.out is Y and cache.alpha == 0.5
    _, cache = L.affine_relu_forward(X, W, b)
    assert cache._fields == ("affine", "relu")
    assert isinstance(cache.affine, L.AffineCache) and isinstance(cache.relu, L.ActivationCache)
    _, cache = L.dropout_forward(X, 0.25, np.random.default_rng(0))
    assert cache._fields == ("mask", "p_drop", "shape", "dtype") and cache.shape == (4, 3)
    _, cache = L.dropout_forward(X, 0.25, None, train=False)
    assert cache.mask is None


# --- dropout behaviour ----------------------------------------------------------


@pytest.mark.parametrize("p_drop", [0.2, 0.5, 0.8])
def test_dropout_statistics(p_drop):
    X = np.ones((200, 500))
    Y, cache = L.dropout_forward(X, p_drop, np.random.default_rng(3))
    scale = 1 / (1 - p_drop)
    assert set(np.unique(Y)) <= {0.0, scale}  # kept entries are scaled, dropped ones are 0
    np.testing.assert_array_equal(Y, X * cache.mask)
    assert abs((Y == 0).mean() - p_drop) < 0.01
    assert abs(Y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_test_mode_and_p_zero_are_identity():
    X = np.random.default_rng(0).standard_normal((3, 4))
    Y, cache = L.dropout_forward(X, 0.5, None, train=False)
    np.testing.assert_array_equal(Y, X)
    assert Y is not X
    dY = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_array_equal(L.dropout_backward(dY, cache), dY)
    Y, cache = L.dropout_forward(X, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(Y, X)


def test_dropout_is_reproducible_from_the_seed():
    X = np.ones((5, 6))
    Y1, _ = L.dropout_forward(X, 0.5, np.random.default_rng(7))
    Y2, _ = L.dropout_forward(X, 0.5, np.random.default_rng(7))
    np.testing.assert_array_equal(Y1, Y2)


# --- dtypes --------------------------------------------------------------------


def test_float32_in_float32_out():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4, 3)).astype(np.float32)
    W = rng.standard_normal((3, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    dY = rng.standard_normal((4, 5)).astype(np.float32)
    for forward in (L.affine_forward, L.affine_relu_forward):
        Y, cache = forward(X, W, b)
        backward = L.affine_backward if forward is L.affine_forward else L.affine_relu_backward
        assert Y.dtype == np.float32
        assert all(g.dtype == np.float32 for g in backward(dY, cache))
    dX = rng.standard_normal((4, 3)).astype(np.float32)
    for forward, backward in [
        (L.relu_forward, L.relu_backward),
        (L.sigmoid_forward, L.sigmoid_backward),
        (L.tanh_forward, L.tanh_backward),
        (lambda X: L.elu_forward(X, alpha=np.float64(0.5)), L.elu_backward),
        (lambda X: L.dropout_forward(X, 0.5, np.random.default_rng(0)), L.dropout_backward),
    ]:
        Y, cache = forward(X)
        assert Y.dtype == np.float32
        assert backward(dX, cache).dtype == np.float32


# --- errors ----------------------------------------------------------------------


def _caches():
    rng = np.random.default_rng(4)
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    return {
        "affine": (L.affine_backward, L.affine_forward(X, W, b)[1], (4, 2)),
        "affine_relu": (L.affine_relu_backward, L.affine_relu_forward(X, W, b)[1], (4, 2)),
        "relu": (L.relu_backward, L.relu_forward(X)[1], (4, 3)),
        "sigmoid": (L.sigmoid_backward, L.sigmoid_forward(X)[1], (4, 3)),
        "tanh": (L.tanh_backward, L.tanh_forward(X)[1], (4, 3)),
        "elu": (L.elu_backward, L.elu_forward(X)[1], (4, 3)),
        "dropout": (L.dropout_backward, L.dropout_forward(X, 0.5, rng)[1], (4, 3)),
        "dropout_test": (L.dropout_backward, L.dropout_forward(X, 0.5, None, False)[1], (4, 3)),
    }


@pytest.mark.parametrize("name", list(_caches()))
def test_backward_rejects_wrong_upstream_shape(name):
    backward, cache, shape = _caches()[name]
    wrong = (shape[1], shape[0])
    msg = re.escape(f"dY: expected the shape of the forward's output {shape}, got shape {wrong}")
    with pytest.raises(ValueError, match=msg):
        backward(np.zeros(wrong), cache)
    with pytest.raises(ValueError, match=r"dY: expected finite values, got 1 NaN"):
        backward(_one_nan(shape), cache)


def _one_nan(shape):
    dY = np.zeros(shape)
    dY[0, 0] = np.nan
    return dY


def test_affine_forward_shape_errors():
    X, W, b = np.zeros((4, 3)), np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match=r"X: expected a 2-D array of shape \(N, D\), got shape \(3,\)"):
        L.affine_forward(np.zeros(3), W, b)
    with pytest.raises(ValueError, match=r"W: expected 3 rows .* got W of shape \(2, 2\)"):
        L.affine_forward(X, np.zeros((2, 2)), b)
    with pytest.raises(ValueError, match=r"b: expected shape \(2,\) to match W's M = 2, got shape \(3,\)"):
        L.affine_forward(X, W, np.zeros(3))
    with pytest.raises(ValueError, match=r"b: expected a 1-D array of shape \(M,\), got shape \(1, 2\)"):
        L.affine_forward(X, W, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"W: expected finite values"):
        L.affine_forward(X, np.full((3, 2), np.inf), b)


@pytest.mark.parametrize("p_drop", [1.0, -0.1, 1.5, np.nan, "0.5", True, None])
def test_dropout_bad_probability(p_drop):
    with pytest.raises(ValueError, match=r"p_drop: expected a (number|probability) in \[0, 1\), got"):
        L.dropout_forward(np.zeros(3), p_drop, np.random.default_rng(0))


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0)])
def test_dropout_needs_a_generator_when_training(rng):
    with pytest.raises(ValueError, match=r"rng: expected a numpy.random.Generator .* got"):
        L.dropout_forward(np.zeros(3), 0.5, rng)


# --- issue 11: one dtype rule ------------------------------------------------------
# A forward computes in float32 when every float array it is given is float32, else in
# float64; its output and every gradient of its backward have that dtype, whatever dY's.


def _pairs():
    rng = np.random.default_rng(11)
    X, W, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 3)), rng.standard_normal(3)
    return {
        "affine": (lambda dt: L.affine_forward(X.astype(dt), W.astype(dt), b.astype(dt)),
                   L.affine_backward),
        "affine_relu": (lambda dt: L.affine_relu_forward(X.astype(dt), W.astype(dt), b.astype(dt)),
                        L.affine_relu_backward),
        "relu": (lambda dt: L.relu_forward(X.astype(dt)), L.relu_backward),
        "sigmoid": (lambda dt: L.sigmoid_forward(X.astype(dt)), L.sigmoid_backward),
        "tanh": (lambda dt: L.tanh_forward(X.astype(dt)), L.tanh_backward),
        "elu": (lambda dt: L.elu_forward(X.astype(dt), 0.7), L.elu_backward),
        "dropout": (lambda dt: L.dropout_forward(X.astype(dt), 0.3, np.random.default_rng(0)),
                    L.dropout_backward),
        "dropout_test": (lambda dt: L.dropout_forward(X.astype(dt), 0.3, None, train=False),
                         L.dropout_backward),
        "maxout": (lambda dt: L.maxout_forward(X.astype(dt), 3), L.maxout_backward),
    }


@pytest.mark.parametrize("name", list(_pairs()))
@pytest.mark.parametrize("dtype, dY_dtype", [
    (np.float32, np.float64), (np.float64, np.float32), (np.float32, np.float32),
    (np.float64, np.float64), (np.float32, np.int64),
])
def test_gradients_have_the_dtype_of_the_forward(name, dtype, dY_dtype):
    forward, backward = _pairs()[name]
    Y, cache = forward(dtype)
    dY = np.random.default_rng(1).standard_normal(Y.shape) * 3
    grads = backward(dY.astype(dY_dtype), cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert Y.dtype == dtype
    assert [g.dtype for g in grads] == [np.dtype(dtype)] * len(grads)
    # and the same numbers as the float64 computation, to float32 precision
    Y64, cache64 = forward(np.float64)
    ref = backward(dY.astype(dY_dtype).astype(np.float64), cache64)
    ref = ref if isinstance(ref, tuple) else (ref,)
    for g, r in zip(grads, ref):
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5)


def test_affine_with_mixed_dtypes_computes_in_float64():
    # was: float64 dX, dW but a float32 db, the dtype of dY
    X = np.ones((2, 3), dtype=np.float32)
    Y, cache = L.affine_forward(X, np.ones((3, 2)), np.ones(2, dtype=np.float32))
    assert Y.dtype == np.float64
    grads = L.affine_backward(np.ones((2, 2), dtype=np.float32), cache)
    assert [g.dtype for g in grads] == [np.dtype(np.float64)] * 3


def test_int_and_float16_inputs_are_read_as_float64():
    for dtype in (np.int64, np.bool_, np.float16):
        Y, cache = L.sigmoid_forward(np.ones((2, 3), dtype=dtype))
        assert Y.dtype == np.float64
        assert L.sigmoid_backward(np.ones((2, 3), dtype=np.float32), cache).dtype == np.float64


# --- issue 11: the aliasing contract -------------------------------------------------
# Outputs and gradients are new arrays; the caches hold references, not copies: the
# affine cache the X and W passed in, an activation's cache the output it returned.


@pytest.mark.parametrize("name", list(_pairs()))
def test_outputs_and_gradients_are_new_arrays(name):
    forward, backward = _pairs()[name]
    Y, cache = forward(np.float64)
    dY = np.ones_like(Y)
    grads = backward(dY, cache)
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert not np.shares_memory(g, dY)  # dropout at test time returned dY itself
        assert not any(np.shares_memory(g, a) for a in cache if isinstance(a, np.ndarray))
    again = backward(dY, cache)
    assert not np.shares_memory(again if not isinstance(again, tuple) else again[0],
                                grads if not isinstance(grads, tuple) else grads[0])


@pytest.mark.parametrize("forward, backward", [
    (L.relu_forward, L.relu_backward),
    (L.sigmoid_forward, L.sigmoid_backward),
    (L.tanh_forward, L.tanh_backward),
    (L.elu_forward, L.elu_backward),
])
def test_activation_cache_is_the_returned_output(forward, backward):
    X = np.random.default_rng(5).standard_normal((4, 3))
    X_before = X.copy()
    Y, cache = forward(X)
    assert cache.out is Y                       # documented: no copy, no extra memory
    np.testing.assert_array_equal(X, X_before)  # the forward does not touch X
    dY = np.ones_like(Y)
    dX = backward(dY, cache)
    Y += 1                                      # editing the output in place ...
    assert not np.array_equal(backward(dY, cache), dX)  # ... changes the gradient
    _, fresh = forward(X)
    Y2 = fresh.out + 1                          # a new array leaves the cache alone
    np.testing.assert_array_equal(backward(dY, fresh), dX)
    assert Y2 is not fresh.out


def test_affine_cache_holds_the_callers_X_and_W():
    rng = np.random.default_rng(6)
    X, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), np.zeros(2)
    _, cache = L.affine_forward(X, W, b)
    assert cache.X is X and cache.W is W        # documented: references, not copies
    dY = np.ones((4, 2))
    dX, dW, _ = L.affine_backward(dY, cache)
    W *= 2                                      # an in-place edit before the backward
    np.testing.assert_allclose(L.affine_backward(dY, cache)[0], 2 * dX)
    # an input that had to be converted (ints, or a dtype other than the forward's) is a copy
    X_int = np.ones((4, 3), dtype=np.int64)
    _, cache = L.affine_forward(X_int, W, b)
    assert not np.shares_memory(cache.X, X_int)
