"""Tests for bpnet_lib.margin: psi continuous and strictly decreasing on [0, pi] with the
right values at every breakpoint; the Chebyshev form equal to cos(m varphi); the cosine and
L-Softmax/A-Softmax heads against a direct arccos reference and against finite differences
(random shapes, random upstream gradient, < 1e-7); nearly parallel and antiparallel vectors,
huge norms, float32 preserved; the feature-incay penalty and its gradient; every error."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import margin as mg
from bpnet_lib.gradcheck import check_gradients
from bpnet_lib.losses import softmax_cross_entropy

FAST = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2**32 - 1)
margins = st.integers(1, 5)


@st.composite
def heads(draw):
    N, D, K = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    return N, D, K


def draw_head(seed, shape):
    N, D, K = shape
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)) * rng.uniform(0.5, 3.0, size=(N, 1))
    W = rng.standard_normal((D, K)) * rng.uniform(0.5, 3.0, size=(1, K))
    y = rng.integers(0, K, N)
    return rng, X, W, y


def reference_lsoftmax(X, W, y, m, normalize_weights=False, omega=0.0):
    """The definition, straight: arccos, the piecewise psi on the angle varphi, then the norms."""
    fn = np.linalg.norm(X, axis=1)
    wn = np.linalg.norm(W, axis=0)
    cos = np.clip(X @ W / np.outer(fn, wn), -1, 1)
    a = np.outer(fn, np.ones_like(wn) if normalize_weights else wn)
    Z = a * cos
    rows = np.arange(len(y))
    varphi = np.arccos(cos[rows, y])
    Z[rows, y] = a[rows, y] * (omega * cos[rows, y] + mg.psi(varphi, m)) / (1 + omega)
    return Z


# --- psi ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5, 7])
def test_psi_continuous_decreasing_with_known_breakpoint_values(m):
    varphi = np.linspace(0, np.pi, 20001)
    p = mg.psi(varphi, m)
    assert np.all(np.diff(p) < 0)                              # strictly decreasing
    assert p[0] == 1 and np.isclose(p[-1], 1 - 2 * m)
    assert np.max(np.abs(np.diff(p))) < 2 * m * m * np.pi / 20000  # no jumps
    for j in range(1, m):                                      # both pieces meet at -(2j - 1)
        t = j * np.pi / m
        left = (-1) ** (j - 1) * np.cos(m * t) - 2 * (j - 1)
        right = (-1) ** j * np.cos(m * t) - 2 * j
        assert np.isclose(left, -(2 * j - 1)) and np.isclose(right, -(2 * j - 1))
        assert np.isclose(mg.psi(np.array([t]), m)[0], -(2 * j - 1))
        assert np.isclose(mg.psi_from_cos(np.cos(t), m)[0], -(2 * j - 1))


@FAST
@given(m=st.integers(0, 9), seed=seeds)
def test_chebyshev_is_cos_m_varphi_and_its_derivative(m, seed):
    varphi = np.random.default_rng(seed).uniform(0.01, np.pi - 0.01, 50)
    T, dT = mg.chebyshev(np.cos(varphi), m)
    np.testing.assert_allclose(T, np.cos(m * varphi), atol=1e-12)
    # dT/dc = (d cos(m varphi)/d varphi) / (d cos varphi / d varphi) = m sin(m varphi) / sin varphi
    np.testing.assert_allclose(dT, m * np.sin(m * varphi) / np.sin(varphi), atol=1e-9)


@FAST
@given(m=margins, seed=seeds)
def test_psi_from_cos_matches_psi_and_its_slope(m, seed):
    varphi = np.random.default_rng(seed).uniform(0, np.pi, 200)
    p, dp = mg.psi_from_cos(np.cos(varphi), m)
    np.testing.assert_allclose(p, mg.psi(varphi, m), atol=1e-11)
    # d psi / d c = (d psi/d varphi)/(-sin varphi), d psi/d varphi = (-1)^(j+1) m sin(m varphi)
    j = np.minimum(np.floor(varphi * m / np.pi), m - 1)
    inner = (varphi > 1e-3) & (varphi < np.pi - 1e-3)
    expected = (-1) ** j * m * np.sin(m * varphi) / np.sin(varphi)
    np.testing.assert_allclose(dp[inner], expected[inner], atol=1e-8)


def test_psi_slope_vanishes_at_breakpoints_and_is_finite_at_the_ends():
    for m in (2, 3, 4):
        c = np.cos(np.arange(1, m) * np.pi / m)
        assert np.allclose(mg.psi_from_cos(c, m)[1], 0, atol=1e-12)
        p, dp = mg.psi_from_cos(np.array([1.0, -1.0]), m)
        assert np.allclose(p, [1, 1 - 2 * m]) and np.allclose(np.abs(dp), m * m)


def test_margin_segment_counts_breakpoints():
    c = np.cos(np.array([0.0, 0.3, 1.0, 1.7, 2.5, np.pi]))
    assert mg.margin_segment(c, 4).tolist() == [0, 0, 1, 2, 3, 3]
    assert mg.margin_segment(c, 1).tolist() == [0] * 6


# --- cosine heads ------------------------------------------------------------------------------


@FAST
@given(seed=seeds, shape=heads(), scale=st.floats(0.5, 30), nf=st.booleans())
def test_cosine_logits_values_and_gradients(seed, shape, scale, nf):
    rng, X, W, _ = draw_head(seed, shape)
    Z, cache = mg.cosine_logits_forward(X, W, scale=scale, normalize_features=nf)
    fn, wn = np.linalg.norm(X, axis=1, keepdims=True), np.linalg.norm(W, axis=0)
    expected = scale * (X / fn if nf else X) @ (W / wn)
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=1e-12)
    if nf:
        assert np.all(np.abs(Z) <= scale * (1 + 1e-12))
    errors = check_gradients(
        lambda X, W: mg.cosine_logits_forward(X, W, scale, nf)[0], [X, W],
        lambda d: mg.cosine_logits_backward(d, cache), rng=rng,
    )
    assert max(errors) < 1e-7


def test_cosine_gradients_are_orthogonal_to_their_vectors():
    rng, X, W, _ = draw_head(1, (4, 3, 5))
    Z, cache = mg.cosine_logits_forward(X, W, scale=4.0)
    dX, dW = mg.cosine_logits_backward(rng.standard_normal(Z.shape), cache)
    assert np.allclose(np.sum(dX * X, axis=1), 0) and np.allclose(np.sum(dW * W, axis=0), 0)


# --- L-Softmax / A-Softmax ----------------------------------------------------------------------


@FAST
@given(seed=seeds, shape=heads(), m=margins, nw=st.booleans(), omega=st.sampled_from([0.0, 0.5, 5.0]))
def test_lsoftmax_against_reference_and_finite_differences(seed, shape, m, nw, omega):
    rng, X, W, y = draw_head(seed, shape)
    Z, cache = mg.lsoftmax_logits_forward(X, W, y, m, normalize_weights=nw, omega=omega)
    np.testing.assert_allclose(Z, reference_lsoftmax(X, W, y, m, nw, omega), rtol=1e-10, atol=1e-10)
    errors = check_gradients(
        lambda X, W: mg.lsoftmax_logits_forward(X, W, y, m, nw, omega)[0], [X, W],
        lambda d: mg.lsoftmax_logits_backward(d, cache), rng=rng,
    )
    assert max(errors) < 1e-7


@FAST
@given(seed=seeds, shape=heads(), m=margins)
def test_lsoftmax_through_the_loss(seed, shape, m):
    rng, X, W, y = draw_head(seed, shape)

    def loss(X, W):
        return softmax_cross_entropy(mg.lsoftmax_logits_forward(X, W, y, m)[0], y)[0]

    Z, cache = mg.lsoftmax_logits_forward(X, W, y, m)
    _, dZ = softmax_cross_entropy(Z, y)
    assert max(check_gradients(loss, [X, W], list(mg.lsoftmax_logits_backward(dZ, cache)))) < 1e-7


def test_m1_is_the_plain_and_the_weight_normalised_layer():
    rng, X, W, y = draw_head(3, (6, 4, 3))
    Z, cache = mg.lsoftmax_logits_forward(X, W, y, 1)
    np.testing.assert_allclose(Z, X @ W, rtol=1e-13)
    dZ = rng.standard_normal(Z.shape)
    dX, dW = mg.lsoftmax_logits_backward(dZ, cache)
    np.testing.assert_allclose(dX, dZ @ W.T, rtol=1e-12)
    np.testing.assert_allclose(dW, X.T @ dZ, rtol=1e-12)
    Za, ca = mg.lsoftmax_logits_forward(X, W, y, 1, normalize_weights=True)
    Zc, cc = mg.cosine_logits_forward(X, W, normalize_features=False)
    np.testing.assert_allclose(Za, Zc, rtol=1e-13)
    for a, b in zip(mg.lsoftmax_logits_backward(dZ, ca), mg.cosine_logits_backward(dZ, cc)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_margin_makes_the_target_logit_smaller():
    _, X, W, y = draw_head(4, (50, 3, 4))
    Z1, _ = mg.lsoftmax_logits_forward(X, W, y, 1)
    rows = np.arange(50)
    for m in (2, 3, 4):
        Zm, _ = mg.lsoftmax_logits_forward(X, W, y, m)
        assert np.all(Zm[rows, y] <= Z1[rows, y] + 1e-12)
        off = np.ones_like(Zm, dtype=bool)
        off[rows, y] = False
        assert np.array_equal(Zm[off], Z1[off])


def test_parallel_antiparallel_and_huge_inputs():
    w = np.array([[3.0], [4.0]])
    for m in (2, 3, 4):
        for sign, psi_end in ((1, 1), (-1, 1 - 2 * m)):
            X = sign * np.array([[6.0, 8.0 + 1e-9]])         # cos varphi rounds to +-1
            Z, cache = mg.lsoftmax_logits_forward(X, w, [0], m)
            assert np.isclose(Z[0, 0], 5 * 10 * psi_end)
            dX, dW = mg.lsoftmax_logits_backward(np.ones((1, 1)), cache)
            # along the ray the target is |w||x| psi(+-1): only the radial derivative is left,
            # dz/dx = w at varphi = 0 and (2m - 1) w at varphi = pi
            np.testing.assert_allclose(dX[0], (1 if sign > 0 else 2 * m - 1) * w[:, 0], rtol=1e-6)
    rng = np.random.default_rng(5)
    X, W, y = rng.standard_normal((4, 3)) * 1e4, rng.standard_normal((3, 5)) * 1e4, rng.integers(0, 5, 4)
    Z, cache = mg.lsoftmax_logits_forward(X, W, y, 4)
    loss, dZ = softmax_cross_entropy(Z, y)
    assert np.isfinite(loss) and np.all(np.isfinite(mg.lsoftmax_logits_backward(dZ, cache)[0]))
    Zc, _ = mg.cosine_logits_forward(X * 1e100, W * 1e-100, scale=10)
    assert np.all(np.abs(Zc) <= 10 * (1 + 1e-12))


@pytest.mark.parametrize("m", [8, 16])
@pytest.mark.parametrize("nw", [False, True])
def test_large_margins_against_reference_and_finite_differences(m, nw):
    # m = 8 and 16 have 7 and 15 breakpoints: a small batch crosses many pieces
    rng, X, W, y = draw_head(10 + m, (8, 3, 4))
    Z, cache = mg.lsoftmax_logits_forward(X, W, y, m, normalize_weights=nw)
    np.testing.assert_allclose(Z, reference_lsoftmax(X, W, y, m, nw), rtol=1e-9, atol=1e-9)
    assert len(set(mg.margin_segment(cache.c, m).tolist())) >= 3
    errors = check_gradients(
        lambda X, W: mg.lsoftmax_logits_forward(X, W, y, m, nw)[0], [X, W],
        lambda d: mg.lsoftmax_logits_backward(d, cache), rng=rng,
    )
    assert max(errors) < 1e-7


def test_norms_near_the_ends_of_the_float_range():
    w = np.array([[1.0], [1.0]])
    for dtype, big, tiny in ((np.float64, 1e160, 1e-170), (np.float32, 5e19, 1e-23)):
        for x in (big, tiny):               # |x|^2 overflows / underflows, |x| itself does not
            X = np.array([[x, x]], dtype=dtype)
            Z, _ = mg.cosine_logits_forward(X, w.astype(dtype))
            assert Z.dtype == dtype and np.isclose(Z[0, 0], 1, rtol=1e-6)
            Za, _ = mg.lsoftmax_logits_forward(X, w.astype(dtype), [0], 4, normalize_weights=True)
            # the target is |x| psi(0) = |x| = sqrt(2) x (psi(1) = 1)
            assert np.isclose(Za[0, 0] / x, np.sqrt(2), rtol=1e-6)
        Zl, cl = mg.lsoftmax_logits_forward(np.array([[big, big]], dtype), w.astype(dtype), [0], 3)
        assert np.isclose(Zl[0, 0] / big, 2, rtol=1e-6)      # |w||x| psi(0) = sqrt2 sqrt2 big
        assert np.all(np.isfinite(mg.lsoftmax_logits_backward(np.ones((1, 1), dtype), cl)[0]))
    with pytest.raises(ValueError, match="X: expected every row to have a norm representable in "
                                         "float64, got an overflowing norm at row 0"):
        mg.cosine_logits_forward(np.array([[1.5e308, 1.5e308]]), w)


def test_zero_feature_accepted_exactly_where_the_logit_is_a_plain_product():
    rng, X, W, y = draw_head(6, (3, 4, 5))
    X[1] = 0
    dZ = rng.standard_normal((3, 5))
    # the cosine head without feature normalisation and A-Softmax at m = 1 are one head
    Zc, cc = mg.cosine_logits_forward(X, W, normalize_features=False)
    Za, ca = mg.lsoftmax_logits_forward(X, W, y, 1, normalize_weights=True)
    assert np.all(Zc[1] == 0) and np.all(Za[1] == 0)
    np.testing.assert_allclose(Za, Zc, rtol=1e-13, atol=1e-15)
    for a, b in zip(mg.lsoftmax_logits_backward(dZ, ca), mg.cosine_logits_backward(dZ, cc)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
    # L-Softmax at m = 1 is the plain layer, zero feature and zero weight included
    W[:, 2] = 0
    Zl, cl = mg.lsoftmax_logits_forward(X, W, y, 1, omega=0.5)
    np.testing.assert_allclose(Zl, X @ W, rtol=1e-13, atol=1e-15)
    dX, dW = mg.lsoftmax_logits_backward(dZ, cl)
    np.testing.assert_allclose(dX, dZ @ W.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dW, X.T @ dZ, rtol=1e-12, atol=1e-15)
    # where the angle is needed, a zero vector raises
    with pytest.raises(ValueError, match="X: expected every row to have a nonzero norm .* at row 1"):
        mg.lsoftmax_logits_forward(X, np.ones((4, 5)), y, 2)
    with pytest.raises(ValueError, match="W: expected every column to have a nonzero norm .* at column 2"):
        mg.lsoftmax_logits_forward(np.ones((3, 4)), W, y, 1, normalize_weights=True)
    with pytest.raises(ValueError, match="X: expected every row to have a nonzero norm .* at row 1"):
        mg.cosine_logits_forward(X, np.ones((4, 5)))


def test_parallel_gradient_matches_closed_form():
    m = 3
    w = np.array([[1.0], [2.0]])
    X = np.array([[2.0, 4.0]])
    _, cache = mg.lsoftmax_logits_forward(X, w, [0], m)
    dX, dW = mg.lsoftmax_logits_backward(np.ones((1, 1)), cache)
    # psi(1) = 1 and psi'(1) = m^2: dz/dx = m^2 w + (1 - m^2) |w| x/|x| = w for x parallel to w
    np.testing.assert_allclose(dX[0], w[:, 0], rtol=1e-12)
    np.testing.assert_allclose(dW[:, 0], X[0], rtol=1e-12)


@pytest.mark.parametrize("head", ["cos", "lsoftmax", "asoftmax"])
def test_float32_in_float32_out(head):
    rng, X, W, y = draw_head(2, (5, 3, 4))
    X32, W32 = X.astype(np.float32), W.astype(np.float32)
    if head == "cos":
        Z, cache = mg.cosine_logits_forward(X32, W32, scale=8)
        back = mg.cosine_logits_backward
        Z64, cache64 = mg.cosine_logits_forward(X, W, scale=8)
    else:
        nw = head == "asoftmax"
        Z, cache = mg.lsoftmax_logits_forward(X32, W32, y, 3, normalize_weights=nw, omega=1.0)
        back = mg.lsoftmax_logits_backward
        Z64, cache64 = mg.lsoftmax_logits_forward(X, W, y, 3, normalize_weights=nw, omega=1.0)
    dZ = rng.standard_normal(Z.shape)
    dX, dW = back(dZ.astype(np.float32), cache)
    assert Z.dtype == dX.dtype == dW.dtype == np.float32
    np.testing.assert_allclose(Z, Z64, rtol=1e-4, atol=1e-4)
    # the float32 gradients are the float64 ones to float32 precision (eps_mach = 1.2e-7), up to
    # the few roundings of the inputs and of each step
    dX64, dW64 = back(dZ, cache64)
    for g32, g64 in ((dX, dX64), (dW, dW64)):
        assert np.linalg.norm(g32 - g64) / np.linalg.norm(g64) < 20 * np.finfo(np.float32).eps
    p, dp = mg.psi_from_cos(np.float32([0.3, -0.9]), 4)
    assert p.dtype == dp.dtype == np.float32
    ends = mg.psi(np.float32([0, np.pi]), 4)                  # float32(pi) is just above pi
    assert ends.dtype == np.float32 and np.allclose(ends, [1, -7])


# --- feature incay --------------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 6), D=st.integers(1, 4), reduction=st.sampled_from(["mean", "sum"]))
def test_feature_incay_value_and_gradient(seed, N, D, reduction):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    chi = rng.integers(0, 2, N)
    loss, dX = mg.feature_incay_loss(X, chi, lam=0.7, xi=0.1, reduction=reduction)
    q = np.sum(X**2, axis=1) + 0.1
    assert np.isclose(loss, 0.7 * np.sum(chi / q) / (N if reduction == "mean" else 1))
    assert np.all(dX[chi == 0] == 0)
    assert np.all(np.sum(dX * X, axis=1) <= 0)               # the step -dX lengthens x
    fun = lambda X: mg.feature_incay_loss(X, chi, lam=0.7, xi=0.1, reduction=reduction)[0]
    assert check_gradients(fun, [X], [dX])[0] < 1e-7 or not chi.any()


def test_feature_incay_at_the_origin_and_float32():
    loss, dX = mg.feature_incay_loss(np.zeros((2, 3)), xi=0.5)
    assert np.isclose(loss, 2.0) and np.all(dX == 0)          # finite: a stationary point
    loss32, dX32 = mg.feature_incay_loss(np.ones((2, 3), np.float32))
    assert loss32.dtype == dX32.dtype == np.float32


# --- errors ---------------------------------------------------------------------------------------


def test_errors():
    X, W, y = np.ones((2, 3)), np.ones((3, 4)), np.array([0, 3])
    with pytest.raises(ValueError, match=re.escape("W: expected 3 rows (D of X (2, 3)), got shape (2, 4)")):
        mg.cosine_logits_forward(X, np.ones((2, 4)))
    with pytest.raises(ValueError, match=re.escape("X: expected a 2-D array of shape (N, D), got shape (3,)")):
        mg.cosine_logits_forward(np.ones(3), W)
    with pytest.raises(ValueError, match="X: expected every row to have a nonzero norm .* at row 1"):
        mg.cosine_logits_forward(np.array([[1.0, 0, 0], [0, 0, 0]]), W)
    with pytest.raises(ValueError, match="W: expected every column to have a nonzero norm .* at column 2"):
        mg.lsoftmax_logits_forward(X, np.array([[1.0, 1, 0, 1]] * 3), y, 2)
    with pytest.raises(ValueError, match=re.escape("scale: expected a finite number > 0, got 0")):
        mg.cosine_logits_forward(X, W, scale=0)
    with pytest.raises(ValueError, match=re.escape("m: expected an integer margin m >= 1, got 1.5")):
        mg.lsoftmax_logits_forward(X, W, y, 1.5)
    with pytest.raises(ValueError, match=re.escape("m: expected an integer margin m >= 1, got 0")):
        mg.psi(np.zeros(2), 0)
    with pytest.raises(ValueError, match=re.escape("omega: expected a finite number >= 0, got -1")):
        mg.lsoftmax_logits_forward(X, W, y, 2, omega=-1)
    with pytest.raises(ValueError, match=re.escape("y: expected labels in 0..3 (K = 4 classes), got [4]")):
        mg.lsoftmax_logits_forward(X, W, [0, 4], 2)
    with pytest.raises(ValueError, match="X: expected finite values, got 1 NaN"):
        mg.lsoftmax_logits_forward(np.array([[1.0, np.nan, 0], [1, 1, 1]]), W, y, 2)
    with pytest.raises(ValueError, match=re.escape("varphi: expected angles in [0, pi], got values in [-0.1, 1]")):
        mg.psi(np.array([-0.1, 1.0]), 2)
    with pytest.raises(ValueError, match=re.escape("m: expected an integer degree m >= 0, got -1")):
        mg.chebyshev(np.zeros(2), -1)
    _, cache = mg.cosine_logits_forward(X, W)
    with pytest.raises(ValueError, match=re.escape("dZ: expected shape (2, 4) (N, K), got shape (4, 2)")):
        mg.cosine_logits_backward(np.ones((4, 2)), cache)
    _, cache = mg.lsoftmax_logits_forward(X, W, y, 2)
    with pytest.raises(ValueError, match=re.escape("dZ: expected shape (2, 4) (N, K), got shape (2, 3)")):
        mg.lsoftmax_logits_backward(np.ones((2, 3)), cache)
    with pytest.raises(ValueError, match=re.escape("mask: expected entries in {0, 1}, got [2.0]")):
        mg.feature_incay_loss(X, [1, 2])
    with pytest.raises(ValueError, match=re.escape("mask: expected shape (2,), got shape (3,)")):
        mg.feature_incay_loss(X, [1, 0, 1])
    with pytest.raises(ValueError, match=re.escape("xi: expected a finite number > 0, got 0")):
        mg.feature_incay_loss(X, xi=0)
    with pytest.raises(ValueError, match=re.escape("reduction: expected 'mean' or 'sum', got 'max'")):
        mg.feature_incay_loss(X, reduction="max")


# --- issue 11: zero-length features ----------------------------------------------------


def test_cosine_logits_refuse_zero_features():
    with pytest.raises(ValueError, match=r"X: expected at least one feature \(D >= 1.*got shape \(2, 0\)"):
        mg.cosine_logits_forward(np.zeros((2, 0)), np.zeros((0, 3)))


def test_lsoftmax_logits_refuse_zero_features():
    with pytest.raises(ValueError, match=r"X: expected at least one feature \(D >= 1.*got shape \(2, 0\)"):
        mg.lsoftmax_logits_forward(np.zeros((2, 0)), np.zeros((0, 3)), [0, 1], 2)


@pytest.mark.parametrize("bad, message", [
    ([0.5, np.nan], "c: expected finite values, got 1 NaN and 0 infinite entries (first at index (1,))"),
    ([np.inf, 0.0], "c: expected finite values, got 0 NaN and 1 infinite entries (first at index (0,))"),
    ([-np.inf], "c: expected finite values, got 0 NaN and 1 infinite entries (first at index (0,))"),
    ([0.5 + 0.5j], "c: expected real numbers, got dtype complex128"),
    (["0.5"], "c: expected an array of numbers, got dtype <U3"),
])
def test_margin_segment_refuses_nan_inf_complex(bad, message):
    # issue 11: NaN compared false with every breakpoint and silently gave segment 0
    with pytest.raises(ValueError, match=re.escape(message)):
        mg.margin_segment(np.array(bad), 4)


def test_centred_cosine_is_pearson_and_its_backward_checks():
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    Z, cache = mg.centred_cosine_logits_forward(X, W)
    pearson = np.array([[np.corrcoef(x, w)[0, 1] for w in W.T] for x in X])
    np.testing.assert_allclose(Z, pearson, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mg.centred_cosine_logits_forward(2 * X - 1, W)[0], Z, rtol=1e-12)
    errors = check_gradients(lambda A, B: mg.centred_cosine_logits_forward(A, B)[0],
                                       [X, W], lambda d: mg.centred_cosine_logits_backward(d, cache),
                                       rng=rng)
    assert max(errors) < 1e-7


# --- issue 11: the dtype rule and the aliasing contract -----------------------------------


def _heads():
    rng = np.random.default_rng(21)
    X, W, y = 5 * rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), np.array([0, 1, 4, 2])
    assert np.all(np.abs(X.astype(np.int64)).sum(axis=1) > 0)  # no zero row once read as ints
    return {
        "cosine": (lambda xd, wd: mg.cosine_logits_forward(X.astype(xd), W.astype(wd), scale=4.0),
                   mg.cosine_logits_backward),
        "cosine_raw": (lambda xd, wd: mg.cosine_logits_forward(X.astype(xd), W.astype(wd),
                                                               normalize_features=False),
                       mg.cosine_logits_backward),
        "centred": (lambda xd, wd: mg.centred_cosine_logits_forward(X.astype(xd), W.astype(wd)),
                    mg.centred_cosine_logits_backward),
        "lsoftmax": (lambda xd, wd: mg.lsoftmax_logits_forward(X.astype(xd), W.astype(wd), y, 3),
                     mg.lsoftmax_logits_backward),
        "asoftmax": (lambda xd, wd: mg.lsoftmax_logits_forward(X.astype(xd), W.astype(wd), y, 2,
                                                               normalize_weights=True, omega=1.0),
                     mg.lsoftmax_logits_backward),
    }


@pytest.mark.parametrize("name", list(_heads()))
@pytest.mark.parametrize("xd, wd, dZ_dtype, want", [
    (np.float32, np.float32, np.float64, np.float32), (np.float64, np.float64, np.float32, np.float64),
    (np.float32, np.float64, np.float32, np.float64), (np.int64, np.float32, np.float32, np.float64),
])
def test_head_gradients_have_the_forward_dtype(name, xd, wd, dZ_dtype, want):
    forward, backward = _heads()[name]
    Z, cache = forward(xd, wd)
    assert Z.dtype == want
    dZ = np.random.default_rng(2).standard_normal(Z.shape).astype(dZ_dtype)
    assert [g.dtype for g in backward(dZ, cache)] == [np.dtype(want)] * 2


@pytest.mark.parametrize("name", list(_heads()))
def test_head_results_are_new_arrays_and_caches_as_documented(name):
    rng = np.random.default_rng(5)
    X, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    y = np.array([0, 1, 4, 2])
    kwargs = {"cosine": {}, "cosine_raw": {"normalize_features": False}}
    if name in kwargs:
        Z, cache = mg.cosine_logits_forward(X, W, **kwargs[name])
        backward, holds = mg.cosine_logits_backward, {"X": X} if name == "cosine_raw" else {}
        held = {"X": cache.X_hat}
    elif name == "centred":
        Z, cache = mg.centred_cosine_logits_forward(X, W)
        backward, holds, held = mg.centred_cosine_logits_backward, {}, {}
    else:
        Z, cache = mg.lsoftmax_logits_forward(X, W, y, 2, normalize_weights=name == "asoftmax")
        backward, holds, held = mg.lsoftmax_logits_backward, {"X": X, "W": W}, {"X": cache.X, "W": cache.W}
    for key, arr in holds.items():  # documented: these caches hold the caller's arrays
        assert held[key] is arr
    arrays = [a for a in cache if isinstance(a, np.ndarray)]
    others = [a for a in arrays if not any(a is h for h in holds.values())]
    assert not any(np.shares_memory(a, X) or np.shares_memory(a, W) for a in others)
    dZ = np.ones_like(Z)
    for g in backward(dZ, cache):
        assert not any(np.shares_memory(g, a) for a in (X, W, Z, dZ, *arrays))
    if holds:
        before = backward(dZ, cache)
        X *= 2
        after = backward(dZ, cache)
        assert not np.allclose(after[1], before[1])
