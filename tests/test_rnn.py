"""Tests for bpnet_lib.rnn: every output of the step and sequence backward passes against
finite differences with a random upstream gradient (upstream at every time step), the
sequence as a loop of steps, truncated BPTT as the exact gradient of the cut graph, the
one-step Jacobians, saturation on long sequences with large weights, dtypes, float32
gradient values against float64, error messages."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bpnet_lib import rnn
from bpnet_lib.gradcheck import check_gradients, numerical_gradient_array

FAST = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 4)


def resolvable(grads, J, eps=1e-5, tol=1e-7):
    """True when every gradient is exactly zero or large enough for central differences to
    resolve at ``tol`` (rounding noise about eps_mach |J| / eps, as in tests/test_conv.py): a
    gradient that has vanished through time to 1e-15 cannot be checked against a difference
    quotient that is 0 or noise."""
    noise = np.finfo(np.float64).eps * max(abs(J), 1.0) / eps
    return all(np.linalg.norm(g) == 0 or np.linalg.norm(g) > noise / tol for g in grads)


def draw(rng, N, T, D, M, scale=0.6, dtype=np.float64):
    X = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = rng.standard_normal((N, M)).astype(dtype)
    Wx = (scale * rng.standard_normal((D, M))).astype(dtype)
    Wh = (scale * rng.standard_normal((M, M))).astype(dtype)
    b = rng.standard_normal(M).astype(dtype)
    return X, h0, Wx, Wh, b


@FAST
@given(seed=seeds, N=sizes, D=sizes, M=sizes)
def test_step_backward_matches_finite_differences(seed, N, D, M):
    rng = np.random.default_rng(seed)
    X, h0, Wx, Wh, b = draw(rng, N, 1, D, M)
    x = X[:, 0].copy()
    _, cache = rnn.rnn_step_forward(x, h0, Wx, Wh, b)
    check_gradients(lambda *a: rnn.rnn_step_forward(*a)[0], [x, h0, Wx, Wh, b],
                    lambda d: rnn.rnn_step_backward(d, cache), rng=rng, tol=1e-7)


@FAST
@given(seed=seeds, N=sizes, T=st.integers(1, 6), D=sizes, M=sizes)
def test_rnn_backward_matches_finite_differences(seed, N, T, D, M):
    rng = np.random.default_rng(seed)
    args = list(draw(rng, N, T, D, M))
    _, cache = rnn.rnn_forward(*args)
    # A random upstream gradient at every step: all five gradients, every path.
    check_gradients(lambda *a: rnn.rnn_forward(*a)[0], args,
                    lambda d: rnn.rnn_backward(d, cache), rng=rng, tol=1e-7)


@FAST
@given(seed=seeds, N=sizes, T=st.integers(2, 6), D=sizes, M=sizes)
def test_upstream_only_at_the_last_step(seed, N, T, D, M):
    """A sequence classifier: the loss reads h_T only, and still every step gets a gradient."""
    rng = np.random.default_rng(seed)
    args = list(draw(rng, N, T, D, M))
    Hs, cache = rnn.rnn_forward(*args)
    dHs = np.zeros_like(Hs)
    dHs[:, -1] = rng.standard_normal((N, M))
    grads = rnn.rnn_backward(dHs, cache)
    assume(resolvable(grads, np.sum(dHs * Hs)))
    check_gradients(lambda *a: rnn.rnn_forward(*a)[0], args, grads, dout=dHs, tol=1e-7)
    assert np.linalg.norm(grads[0][:, 0]) > 0        # the first input is reached through time


@FAST
@given(seed=seeds, N=sizes, T=st.integers(1, 6), D=sizes, M=sizes)
def test_sequence_is_a_loop_of_steps(seed, N, T, D, M):
    rng = np.random.default_rng(seed)
    X, h0, Wx, Wh, b = draw(rng, N, T, D, M)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    dHs = rng.standard_normal(Hs.shape)
    h, caches = h0, []
    for t in range(T):
        h, c = rnn.rnn_step_forward(X[:, t], h, Wx, Wh, b)
        np.testing.assert_allclose(Hs[:, t], h, rtol=1e-13, atol=1e-13)
        caches.append(c)
    dX = np.zeros_like(X)
    dWx, dWh, db, dh = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b), np.zeros_like(h0)
    for t in reversed(range(T)):
        dX[:, t], dh, gWx, gWh, gb = rnn.rnn_step_backward(dHs[:, t] + dh, caches[t])
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    for got, want in zip(rnn.rnn_backward(dHs, cache), (dX, dh, dWx, dWh, db)):
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


@FAST
@given(seed=seeds, N=sizes, T=st.integers(1, 9), k=st.integers(1, 4), D=sizes, M=sizes)
def test_truncated_bptt_is_the_gradient_of_the_cut_graph(seed, N, T, k, D, M):
    """Chunks of k steps, each after the first started from its predecessor's last state held
    constant: the per-chunk full gradients, summed, are the truncated gradient."""
    rng = np.random.default_rng(seed)
    X, h0, Wx, Wh, b = draw(rng, N, T, D, M)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    dHs = rng.standard_normal(Hs.shape)
    dX, dh0, dWx, dWh, db = rnn.rnn_backward(dHs, cache, bptt_steps=k)
    want = [np.zeros_like(a) for a in (Wx, Wh, b)]
    start_state = h0
    for s in range(0, T, k):
        _, c = rnn.rnn_forward(X[:, s:s + k], start_state, Wx, Wh, b)
        gX, gh, *gW = rnn.rnn_backward(dHs[:, s:s + k], c)
        np.testing.assert_allclose(dX[:, s:s + k], gX, rtol=1e-11, atol=1e-12)
        if s == 0:
            np.testing.assert_allclose(dh0, gh, rtol=1e-11, atol=1e-12)
        want = [w + g for w, g in zip(want, gW)]
        start_state = Hs[:, min(s + k, T) - 1]
    for got, w in zip((dWx, dWh, db), want):
        np.testing.assert_allclose(got, w, rtol=1e-11, atol=1e-12)
    if k >= T:
        full = rnn.rnn_backward(dHs, cache)
        for got, w in zip((dX, dh0, dWx, dWh, db), full):
            np.testing.assert_array_equal(got, w)


def test_truncation_changes_the_gradient_of_long_paths():
    rng = np.random.default_rng(3)
    args = draw(rng, 2, 6, 3, 4, scale=1.0)
    Hs, cache = rnn.rnn_forward(*args)
    dHs = np.zeros_like(Hs)
    dHs[:, -1] = rng.standard_normal((2, 4))
    full = rnn.rnn_backward(dHs, cache)
    cut = rnn.rnn_backward(dHs, cache, bptt_steps=2)
    assert np.all(cut[0][:, :4] == 0) and np.linalg.norm(full[0][:, :4]) > 1e-3
    assert np.all(cut[1] == 0)                     # h0 lies beyond the last chunk's reach
    assert np.linalg.norm(cut[3] - full[3]) > 1e-3


@FAST
@given(seed=seeds, N=sizes, T=st.integers(1, 5), D=sizes, M=sizes)
def test_step_jacobians_match_finite_differences_and_chain(seed, N, T, D, M):
    rng = np.random.default_rng(seed)
    X, h0, Wx, Wh, b = draw(rng, N, T, D, M)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    A = rnn.rnn_step_jacobians(cache)
    assert A.shape == (N, T, M, M)
    prev = np.concatenate([h0[:, None], Hs[:, :-1]], axis=1)
    for t in range(T):
        for i in range(M):                          # row i of A_t: gradient of h_{t,i}
            e = np.zeros((N, M))
            e[:, i] = 1.0
            num = numerical_gradient_array(
                lambda hp: rnn.rnn_step_forward(X[:, t], hp, Wx, Wh, b)[0], prev[:, t].copy(), e)
            np.testing.assert_allclose(A[:, t, i, :], num, rtol=1e-6, atol=1e-8)
    # g^T A_T ... A_1 is what BPTT delivers to h0 when the loss reads h_T only.
    g = rng.standard_normal((N, M))
    dHs = np.zeros_like(Hs)
    dHs[:, -1] = g
    row = g[:, None, :]
    for t in reversed(range(T)):
        row = row @ A[:, t]
    np.testing.assert_allclose(rnn.rnn_backward(dHs, cache)[1], row[:, 0], rtol=1e-10, atol=1e-13)


@FAST
@given(seed=seeds, N=sizes, T=sizes, D=sizes, M=sizes)
def test_jacobian_product_norms_match_finite_differences(seed, N, T, D, M):
    """||dh_T / dh_{T-d}||_2 at distance d: restart the sequence at step T - d from the state there,
    differentiate the last state by central differences, and take the spectral norm."""
    rng = np.random.default_rng(seed)
    X, h0, Wx, Wh, b = draw(rng, N, T, D, M, scale=0.9)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    norms = rnn.jacobian_product_norms(cache)
    assert norms.shape == (T + 1, N) and np.all(norms[0] == 1.0)
    states = np.concatenate([h0[:, None], Hs], axis=1)          # h_0, ..., h_T
    for d in range(1, T + 1):
        start = states[:, T - d]
        jac = np.empty((N, M, M))
        for j in range(M):                                      # column j: d h_T / d (h_{T-d})_j
            e = np.zeros((N, M))
            e[:, j] = 1e-6
            plus = rnn.rnn_forward(X[:, T - d:], start + e, Wx, Wh, b)[0][:, -1]
            minus = rnn.rnn_forward(X[:, T - d:], start - e, Wx, Wh, b)[0][:, -1]
            jac[:, :, j] = (plus - minus) / 2e-6
        np.testing.assert_allclose(norms[d], np.linalg.norm(jac, 2, axis=(1, 2)), rtol=1e-6, atol=1e-9)


def test_long_sequences_with_large_weights_stay_finite():
    rng = np.random.default_rng(0)
    X, h0, Wx, Wh, b = draw(rng, 4, 2000, 3, 16, scale=30.0)
    X *= 1e3
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    assert np.all(np.isfinite(Hs)) and np.max(np.abs(Hs)) <= 1.0
    assert np.mean(np.abs(Hs) == 1.0) > 0.5        # saturated: tanh' = 1 - h^2 = 0 there
    grads = rnn.rnn_backward(rng.standard_normal(Hs.shape), cache)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_float32_is_preserved_and_mixing_gives_float64():
    rng = np.random.default_rng(1)
    args32 = draw(rng, 2, 5, 3, 4, dtype=np.float32)
    Hs, cache = rnn.rnn_forward(*args32)
    assert Hs.dtype == np.float32
    grads = rnn.rnn_backward(rng.standard_normal(Hs.shape).astype(np.float32), cache)
    assert all(g.dtype == np.float32 for g in grads)
    h, c = rnn.rnn_step_forward(args32[0][:, 0], *args32[1:])
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn.rnn_step_backward(np.ones_like(h), c))
    assert rnn.rnn_step_jacobians(cache).dtype == np.float32
    args64 = [a.astype(np.float64) for a in args32]
    Hs64, _ = rnn.rnn_forward(*args64)
    np.testing.assert_allclose(Hs, Hs64, rtol=1e-5, atol=1e-6)
    mixed = list(args32)
    mixed[3] = args64[3]
    assert rnn.rnn_forward(*mixed)[0].dtype == np.float64
    assert rnn.rnn_forward(*[a.astype(int) for a in args32])[0].dtype == np.float64



@pytest.mark.parametrize("seed", range(4))
def test_float32_gradients_match_float64_to_float32_precision(seed):
    """The float32 backward pass must give the float64 gradients (of the same float32
    inputs) to within float32 rounding, accumulated over T = 50 steps: measured about
    1e-7 to 3e-7 relative (eps32 = 1.2e-7); 32 eps32 = 3.8e-6 leaves room for that
    accumulation but fails if anything drops to lower precision (float16: eps 1e-3) or
    loses a term."""
    rng = np.random.default_rng(seed)
    args32 = draw(rng, 3, 50, 4, 6, dtype=np.float32)
    dHs32 = rng.standard_normal((3, 50, 6)).astype(np.float32)
    Hs32, cache32 = rnn.rnn_forward(*args32)
    grads32 = rnn.rnn_backward(dHs32, cache32)
    Hs64, cache64 = rnn.rnn_forward(*[a.astype(np.float64) for a in args32])
    grads64 = rnn.rnn_backward(dHs32.astype(np.float64), cache64)
    tol = 32 * np.finfo(np.float32).eps
    for name, g32, g64 in zip(["dX", "dh0", "dWx", "dWh", "db"], grads32, grads64):
        assert g32.dtype == np.float32 and g64.dtype == np.float64
        err = np.linalg.norm(g32 - g64) / np.linalg.norm(g64)
        assert err < tol, (name, err)

def test_error_messages():
    rng = np.random.default_rng(2)
    X, h0, Wx, Wh, b = draw(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=re.escape("X: expected a 3-D array of shape (N, T, D), got shape (2, 4)")):
        rnn.rnn_forward(X[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("x: expected a 2-D array of shape (N, D), got shape (2, 3, 4)")):
        rnn.rnn_step_forward(X, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("Wx: expected 4 rows to match X's D = 4 (X has shape (2, 3, 4)), got Wx of shape (3, 5)")):
        rnn.rnn_forward(X, h0, Wx[:3], Wh, b)
    with pytest.raises(ValueError, match=re.escape("Wh: expected shape (5, 5) to match Wx's M = 5, got shape (5, 4)")):
        rnn.rnn_forward(X, h0, Wx, Wh[:, :4], b)
    with pytest.raises(ValueError, match=re.escape("Wh: expected a 2-D array of shape (M, M), got shape (5,)")):
        rnn.rnn_forward(X, h0, Wx, Wh[0], b)
    with pytest.raises(ValueError, match=re.escape("b: expected shape (5,) to match Wx's M = 5, got shape (4,)")):
        rnn.rnn_forward(X, h0, Wx, Wh, b[:4])
    with pytest.raises(ValueError, match=re.escape("h0: expected shape (2, 5) (N samples, M hidden units), got shape (3, 5)")):
        rnn.rnn_forward(X, np.zeros((3, 5)), Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("h_prev: expected shape (2, 5) (N samples, M hidden units), got shape (2, 4)")):
        rnn.rnn_step_forward(X[:, 0], h0[:, :4], Wx, Wh, b)
    bad = X.copy()
    bad[1, 2, 3] = np.nan
    with pytest.raises(ValueError, match=re.escape("X: expected finite values, got 1 NaN and 0 infinite entries (first at index (1, 2, 3))")):
        rnn.rnn_forward(bad, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="Wh: expected finite values, got 0 NaN and 5 infinite"):
        rnn.rnn_forward(X, h0, Wx, np.where(np.eye(5) > 0, np.inf, Wh), b)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("dHs: expected the shape of the forward's output (2, 3, 5), got shape (2, 5)")):
        rnn.rnn_backward(Hs[:, -1], cache)
    with pytest.raises(ValueError, match="dHs: expected finite values, got 1 NaN"):
        rnn.rnn_backward(np.where(Hs == Hs[0, 0, 0], np.nan, Hs), cache)
    for k in (0, -2, 1.5, True, "3"):
        with pytest.raises(ValueError, match=re.escape(f"bptt_steps: expected None or a positive int (the chunk length), got {k!r}")):
            rnn.rnn_backward(Hs, cache, bptt_steps=k)
    h, c = rnn.rnn_step_forward(X[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=re.escape("dh: expected the shape of the forward's output (2, 5), got shape (5,)")):
        rnn.rnn_step_backward(h[0], c)


# --- issue 11: the dtype rule and the aliasing contract -----------------------------------


def _rnn_args(dtypes):
    rng = np.random.default_rng(31)
    shapes = [(3, 4, 2), (3, 5), (2, 5), (5, 5), (5,)]
    return [(rng.standard_normal(s) * 0.5).astype(d) for s, d in zip(shapes, dtypes)]


@pytest.mark.parametrize("dtypes, d_dtype, want", [
    ([np.float32] * 5, np.float64, np.float32),
    ([np.float64] * 5, np.float32, np.float64),
    ([np.float32] * 4 + [np.float64], np.float32, np.float64),
    ([np.float16] + [np.float32] * 4, np.float32, np.float64),
])
def test_rnn_gradients_have_the_forward_dtype(dtypes, d_dtype, want):
    X, h0, Wx, Wh, b = _rnn_args(dtypes)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    assert Hs.dtype == want
    grads = rnn.rnn_backward(np.ones(Hs.shape, dtype=d_dtype), cache)
    assert [g.dtype for g in grads] == [np.dtype(want)] * 5
    h, step = rnn.rnn_step_forward(X[:, 0], h0, Wx, Wh, b)
    assert h.dtype == want
    grads = rnn.rnn_step_backward(np.ones(h.shape, dtype=d_dtype), step)
    assert [g.dtype for g in grads] == [np.dtype(want)] * 5


def test_rnn_cache_holds_the_inputs_and_the_returned_states():
    # documented: references, not copies, so an in-place edit before the backward shows
    X, h0, Wx, Wh, b = _rnn_args([np.float64] * 5)
    Hs, cache = rnn.rnn_forward(X, h0, Wx, Wh, b)
    assert cache.X is X and cache.h0 is h0 and cache.Wx is Wx and cache.Wh is Wh
    assert cache.Hs is Hs
    dHs = np.ones_like(Hs)
    grads = rnn.rnn_backward(dHs, cache)
    for g in grads:  # the gradients are new arrays
        assert not any(np.shares_memory(g, a) for a in (X, h0, Wx, Wh, b, Hs, dHs))
    Hs[:, -1] = 0.0
    assert not np.allclose(rnn.rnn_backward(dHs, cache)[2], grads[2])
    h, step = rnn.rnn_step_forward(X[:, 0], h0, Wx, Wh, b)
    assert step.h is h and step.h_prev is h0 and step.Wx is Wx
