"""Tests for bpnet_lib.metric: distances and their backward (subgradient 0 at coincident
points), the contrastive loss per pair and in matrix form (equal to each other and to a
double loop), the triplet loss and its hard/semi-hard/easy split, the center loss and
Algorithm 1's center update; finite-difference checks over random shapes with random
upstream weights, away from hinge kinks (and from d = Delta, where the squared hinge is C^1 but
its second derivative jumps, which a central difference straddling it would see); the
accuracy gap of the Gram-matrix form; extreme inputs; float32; error messages."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bpnet_lib import metric as M
from bpnet_lib.gradcheck import check_gradients, numerical_gradient, relative_error

FAST = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def features(rng, N, D, scale=1.0):
    return scale * rng.standard_normal((N, D))


def min_offdiag(D):
    return np.min(D + np.diag(np.full(D.shape[0], np.inf)))


def reference_contrastive(X, y, delta):
    total = 0.0
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            d = np.linalg.norm(X[i] - X[j])
            total += d**2 if y[i] == y[j] else max(0.0, delta - d) ** 2
    return total


# --- distances ---------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 6), D=st.integers(1, 4))
def test_pairwise_distances_backward_matches_finite_differences(seed, N, D):
    rng = np.random.default_rng(seed)
    X = features(rng, N, D)
    Dm, cache = M.pairwise_distances_forward(X)
    assume(N == 1 or min_offdiag(Dm) > 1e-2)
    errs = check_gradients(M.pairwise_distances, [X],
                           lambda d: [M.pairwise_distances_backward(d, cache)], rng=rng)
    assert errs[0] < 1e-7
    assert np.allclose(Dm, np.sqrt(M.gram_sq_distances(X)), atol=1e-12)
    assert np.array_equal(Dm, Dm.T) and np.all(np.diag(Dm) == 0)


def test_pairwise_distances_coincident_rows_use_subgradient_zero():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 3))
    X[2] = X[0]
    Dm, cache = M.pairwise_distances_forward(X)
    assert Dm[0, 2] == 0.0
    ddist = np.zeros((4, 4))
    ddist[0, 2] = 1.7
    dX = M.pairwise_distances_backward(ddist, cache)
    assert np.all(np.isfinite(dX)) and np.all(dX == 0)
    # the central difference of |t| at 0 is exactly 0 too: the subgradient 0 is what it sees
    num = numerical_gradient(lambda _: M.pairwise_distances(X)[0, 2], X)
    assert np.all(num == 0)


def test_gram_distances_lose_accuracy_far_from_origin_direct_do_not():
    X = np.array([[1e8, 0.0], [1e8, 1e-3]])
    assert M.pairwise_distances(X)[0, 1] == pytest.approx(1e-3, rel=1e-12)
    D2 = M.gram_sq_distances(X)
    assert np.all(D2 >= 0) and abs(D2[0, 1] - 1e-6) > 0.5e-6  # every digit cancelled
    X2 = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    assert np.all(M.gram_sq_distances(X2) >= 0) and M.gram_sq_distances(X2)[0, 1] == 0


# --- contrastive ---------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(2, 7), D=st.integers(1, 4), K=st.integers(1, 3),
       margin=st.floats(0.1, 3.0), reduction=st.sampled_from(["mean", "sum"]))
def test_contrastive_gradient_and_matrix_form(seed, N, D, K, margin, reduction):
    rng = np.random.default_rng(seed)
    X = features(rng, N, D)
    y = rng.integers(0, K, N)
    Dm = M.pairwise_distances(X)
    assume(min_offdiag(Dm) > 1e-2)
    # no kink at d = Delta (the squared hinge is C^1 there), but its second derivative jumps,
    # and a central difference straddling d = Delta is off by O(eps): keep the step on one side
    assume(np.min(np.abs(Dm - margin) + np.eye(N)) > 1e-3)
    loss, dX = M.contrastive_loss(X, y, margin, reduction)
    loss_m, dX_m = M.contrastive_loss_matrix(X, y, margin, reduction)
    pairs = N * (N - 1) / 2 if reduction == "mean" else 1
    assert loss == pytest.approx(reference_contrastive(X, y, margin) / pairs, rel=1e-12, abs=1e-14)
    assert loss_m == pytest.approx(loss, rel=1e-10, abs=1e-14)
    assert relative_error(dX_m, dX) < 1e-10 or np.allclose(dX, dX_m, atol=1e-14)
    w = rng.standard_normal()  # random upstream weight of the scalar loss
    errs = check_gradients(lambda X: w * M.contrastive_loss(X, y, margin, reduction)[0], [X], [w * dX])
    assert errs[0] < 1e-7 or np.linalg.norm(dX) == 0


def test_contrastive_coincident_dissimilar_pair_and_hinge_edge():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0]])
    loss, dX = M.contrastive_loss(X, [0, 1, 0], margin=2.0, reduction="sum")
    # pair (0,1) coincident dissimilar: (2 - 0)^2 = 4, subgradient 0; pair (0,2) similar: 4;
    # pair (1,2) dissimilar at exactly the margin: inactive
    assert loss == pytest.approx(8.0)
    assert np.allclose(dX, [[-4.0, 0.0], [0.0, 0.0], [4.0, 0.0]])
    assert np.array_equal(M.contrastive_loss_matrix(X, [0, 1, 0], 2.0, "sum")[1], dX)


def test_contrastive_squared_hinge_is_c1_at_the_margin():
    # one dissimilar pair at distance exactly Delta: one-sided difference quotients of the loss
    # along the pair's direction both tend to the returned gradient, 0 (no kink)
    X = np.array([[0.0, 0.0], [1.5, 0.0]])
    loss, dX = M.contrastive_loss(X, [0, 1], margin=1.5, reduction="sum")
    assert loss == 0 and not dX.any()
    for eps in (1e-3, 1e-5):
        for sign in (1, -1):
            X_moved = X.copy()
            X_moved[1, 0] += sign * eps
            slope = (M.contrastive_loss(X_moved, [0, 1], 1.5, "sum")[0] - loss) / eps
            assert abs(slope) <= 1.01 * eps  # = eps for sign -1 (loss eps^2), 0 for sign +1


def test_matrix_form_loses_accuracy_pairwise_form_does_not():
    # close dissimilar pairs far from the origin: the Gram form cancels squared norms
    y = np.array([0, 1, 0, 1, 2, 2])
    err_pair, err_matrix = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = (60 * rng.standard_normal((6, 3))).astype(np.float32)
        X[1] = X[0] + (0.03 * rng.standard_normal(3)).astype(np.float32)
        ref = M.contrastive_loss(X.astype(np.float64), y, 1.0, "sum")[1]  # same inputs, float64
        for fn, errs in ((M.contrastive_loss, err_pair), (M.contrastive_loss_matrix, err_matrix)):
            dX = fn(X, y, 1.0, "sum")[1]
            assert dX.dtype == np.float32
            errs.append(relative_error(dX.astype(np.float64), ref))
    assert max(err_pair) < 1e-6            # measured max 5e-8: float32 rounding
    assert np.median(err_matrix) > 1e-4     # measured median 5e-4, up to 6e-3
    # float64 is not immune: norms 1e7, pair 0.1 apart -- every digit of d^2 cancels
    X = np.array([[1e7, 1e7], [1e7 + 0.1, 1e7]])
    loss, dX = M.contrastive_loss(X, [0, 1], 1.0, "sum")
    assert loss == pytest.approx(0.81, rel=1e-6) and np.allclose(dX, [[1.8, 0], [-1.8, 0]], rtol=1e-6)
    loss_m, dX_m = M.contrastive_loss_matrix(X, [0, 1], 1.0, "sum")
    assert loss_m == 1.0 and not dX_m.any()  # the pair looks coincident


def test_contrastive_extreme_and_float32():
    rng = np.random.default_rng(1)
    X = 1e4 * rng.standard_normal((5, 3))
    y = [0, 1, 0, 1, 2]
    loss, dX = M.contrastive_loss(X, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dX))
    X_near = np.array([[1e6, 1e6], [1e6, 1e6 + 1e-4]])  # close, far from the origin
    loss, dX = M.contrastive_loss(X_near, [0, 1], margin=1.0, reduction="sum")
    assert loss == pytest.approx((1 - 1e-4) ** 2, rel=1e-9)
    assert np.allclose(dX, [[0, 2 * (1 - 1e-4)], [0, -2 * (1 - 1e-4)]], rtol=1e-9)
    X32 = rng.standard_normal((4, 2)).astype(np.float32)
    for fn in (M.contrastive_loss, M.contrastive_loss_matrix):
        loss, dX = fn(X32, [0, 0, 1, 1])
        assert loss.dtype == np.float32 and dX.dtype == np.float32


# --- triplet -------------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 6), D=st.integers(1, 5), margin=st.floats(0.0, 2.0),
       reduction=st.sampled_from(["mean", "sum"]))
def test_triplet_gradients(seed, N, D, margin, reduction):
    rng = np.random.default_rng(seed)
    Xa, Xp, Xn = (features(rng, N, D) for _ in range(3))
    arg = np.sum((Xa - Xp) ** 2, 1) - np.sum((Xa - Xn) ** 2, 1) + margin
    assume(np.min(np.abs(arg)) > 1e-3)
    loss, dXa, dXp, dXn = M.triplet_loss(Xa, Xp, Xn, margin, reduction)
    scale = N if reduction == "mean" else 1
    assert loss == pytest.approx(np.sum(np.maximum(arg, 0)) / scale, rel=1e-12, abs=1e-15)
    w = rng.standard_normal()
    errs = check_gradients(lambda xa, xp, xn: w * M.triplet_loss(xa, xp, xn, margin, reduction)[0],
                           [Xa, Xp, Xn], [w * dXa, w * dXp, w * dXn])
    assert max(errs) < 1e-7 or (loss == 0 and not dXa.any())
    kinds = M.triplet_kinds(Xa, Xp, Xn, margin)
    assert np.array_equal(kinds != "easy", arg > 0)


def test_triplet_kinds_agree_with_the_loss_on_the_boundary():
    # negatives placed at d_a-^2 = d_a+^2 + Delta in exact arithmetic; rounding puts the computed
    # hinge argument on either side of 0, and kinds must follow the loss every time
    rng = np.random.default_rng(3)
    Xa, Xp = rng.standard_normal((400, 2)), rng.standard_normal((400, 2))
    delta = 0.17
    u = rng.standard_normal((400, 2))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    Xn = Xa + np.sqrt(np.sum((Xa - Xp) ** 2, 1) + delta)[:, None] * u
    _, dXa, _, _ = M.triplet_loss(Xa, Xp, Xn, delta, "sum")
    active = np.any(dXa != 0, axis=1)
    kinds = M.triplet_kinds(Xa, Xp, Xn, delta)
    assert 0 < active.sum() < 400           # both sides of the boundary occur
    assert np.array_equal(kinds != "easy", active)
    assert set(kinds[active]) == {"semi-hard"}
    # exactly on it: d_a+^2 = 1, d_a-^2 = 1.25 = 1 + 0.25 in binary, arg = 0 -> easy and inactive
    one = np.zeros((1, 1))
    assert M.triplet_kinds(one, [[1.0]], [[-np.sqrt(1.25)]], 0.25)[0] == (
        "easy" if M.triplet_loss(one, [[1.0]], [[-np.sqrt(1.25)]], 0.25)[0] == 0 else "semi-hard")
    assert M.triplet_kinds(one, [[1.0]], [[1.5]], 1.25)[0] == "easy"  # 2.25 - 1 = 1.25 exactly
    assert M.triplet_loss(one, [[1.0]], [[1.5]], 1.25, "sum")[0] == 0


def test_triplet_kinds_and_float32():
    Xa = np.zeros((3, 1))
    Xp = np.ones((3, 1))                         # d_a+^2 = 1
    Xn = np.array([[0.5], [1.1], [2.0]])        # d_a-^2 = 0.25, 1.21, 4
    assert M.triplet_kinds(Xa, Xp, Xn, 0.5).tolist() == ["hard", "semi-hard", "easy"]
    loss, dXa, dXp, dXn = M.triplet_loss(Xa, Xp, Xn, 0.5, "sum")
    assert loss == pytest.approx(1.25 + 0.29)
    assert np.all(dXa[2] == 0) and np.all(dXp[2] == 0) and np.all(dXn[2] == 0)
    out = M.triplet_loss(*(x.astype(np.float32) for x in (Xa, Xp, Xn)))
    assert all(o.dtype == np.float32 for o in out)
    big = M.triplet_loss(1e4 * Xa + 1e4, 1e4 * Xp, 1e4 * Xn)
    assert all(np.all(np.isfinite(o)) for o in big)


# --- center --------------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 7), D=st.integers(1, 4), K=st.integers(1, 4),
       reduction=st.sampled_from(["mean", "sum"]))
def test_center_loss_gradient_and_update(seed, N, D, K, reduction):
    rng = np.random.default_rng(seed)
    X, C = features(rng, N, D), features(rng, K, D)
    y = rng.integers(0, K, N)
    loss, dX = M.center_loss(X, y, C, reduction)
    w = rng.standard_normal()
    errs = check_gradients(lambda X: w * M.center_loss(X, y, C, reduction)[0], [X], [w * dX])
    assert errs[0] < 1e-7
    # r_j = (gradient of the summed loss w.r.t. the centers) / (1 + N_j)
    dC = numerical_gradient(lambda C_: M.center_loss(X, y, C_, "sum")[0], C.copy())
    counts = np.bincount(y, minlength=K)
    assert relative_error(M.center_steps(X, y, C), dC / (1 + counts[:, None])) < 1e-8
    new = M.center_update(X, y, C, gamma=1.0)
    for j in range(K):
        expected = (C[j] + X[y == j].sum(0)) / (1 + counts[j])
        assert np.allclose(new[j], expected, atol=1e-12)
    assert np.array_equal(M.center_update(X, y, C, gamma=0.0), C)


def test_center_absent_class_float32_extreme():
    X = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    C = np.zeros((3, 2), dtype=np.float32)
    steps = M.center_steps(X, [0, 0], C)
    assert steps.dtype == np.float32 and np.all(steps[1:] == 0)
    assert np.allclose(steps[0], -np.array([4.0, 6.0]) / 3)
    loss, dX = M.center_loss(X, [0, 2], C)
    assert loss.dtype == np.float32 and dX.dtype == np.float32
    assert M.center_update(X, [0, 2], C, 0.5).dtype == np.float32
    loss, dX = M.center_loss(1e8 * np.ones((2, 2)), [0, 1], np.zeros((2, 2)), "sum")
    assert loss == pytest.approx(2e16) and np.all(np.isfinite(dX))


# --- errors --------------------------------------------------------------------------------


def test_error_messages():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match=re.escape("y: expected labels >= 0, got [-1]")):
        M.contrastive_loss(X, [0, -1, 1])
    with pytest.raises(ValueError, match=re.escape("y: expected integer labels of shape (3,)")):
        M.contrastive_loss(X, [0, 1])
    with pytest.raises(ValueError, match="y: expected integer class labels, got dtype float64"):
        M.contrastive_loss(X, [0, 0.5, 1])
    with pytest.raises(ValueError, match=re.escape("X: expected at least 2 samples (N >= 2)")):
        M.contrastive_loss(np.zeros((1, 2)), [0])
    with pytest.raises(ValueError, match="margin: expected a finite number >= 0, got -1"):
        M.contrastive_loss(X, [0, 1, 1], margin=-1)
    with pytest.raises(ValueError, match="margin: expected a finite number >= 0, got nan"):
        M.triplet_loss(X, X, X, margin=float("nan"))
    with pytest.raises(ValueError, match="X: expected finite values, got 1 NaN"):
        M.contrastive_loss([[0.0, np.nan], [1.0, 1.0]], [0, 1])
    with pytest.raises(ValueError, match=re.escape("X: expected a 2-D array of shape (N, D)")):
        M.pairwise_distances(np.zeros(3))
    with pytest.raises(ValueError, match=re.escape("Xn: expected the shape of Xa (3, 2), got shape (3, 3)")):
        M.triplet_loss(X, X, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=re.escape("y: expected labels in 0..1 (K = 2 classes), got [2]")):
        M.center_loss(X, [0, 1, 2], np.zeros((2, 2)))
    with pytest.raises(ValueError, match=re.escape("centers: expected 2 columns to match X's D = 2")):
        M.center_loss(X, [0, 1, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=re.escape("gamma: expected a number in [0, 1], got 1.5")):
        M.center_update(X, [0, 1, 1], np.zeros((2, 2)), gamma=1.5)
    with pytest.raises(ValueError, match="reduction: expected 'mean' or 'sum', got 'max'"):
        M.center_loss(X, [0, 1, 1], np.zeros((2, 2)), reduction="max")
    _, cache = M.pairwise_distances_forward(X)
    with pytest.raises(ValueError, match=re.escape("ddist: expected shape (3, 3) (N, N), got shape (3, 2)")):
        M.pairwise_distances_backward(np.zeros((3, 2)), cache)
    assert np.array_equal(M.affinity_matrix([0, 1, 0]), [[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    assert np.array_equal(M.affinity_matrix([0, 1], K=3), np.eye(2))
    with pytest.raises(ValueError, match=re.escape("y: expected integer labels of shape (N,) with N >= 1, got shape (2, 2)")):
        M.affinity_matrix([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=re.escape("y: expected labels in 0..1 (K = 2 classes), got [2]")):
        M.affinity_matrix([0, 2], K=2)


# --- huge features (issue 11): the true answer, or a ValueError naming the argument ----------


def test_triplet_huge_features_issue_11():
    # d_a+^2 = d_a-^2 = 1e400 overflow, but their difference is 0: the hinge argument is Delta
    for dtype, big in ((np.float64, 1e200), (np.float32, 1e30)):
        Xa, Z = np.full((1, 1), big, dtype), np.zeros((1, 1), dtype)
        loss, dXa, dXp, dXn = M.triplet_loss(Xa, Z, Z)
        assert loss == dtype(0.2) and loss.dtype == dtype
        assert dXa[0, 0] == 0 and dXp[0, 0] == dtype(-2 * big) and dXn[0, 0] == dtype(2 * big)
        assert M.triplet_kinds(Xa, Z, Z).tolist() == ["semi-hard"]
    # an easy triplet stays easy when d_a-^2 overflows, even if x_a - x_- itself overflows
    a, n = np.array([[1e308]]), np.array([[-1e308]])
    loss, *grads = M.triplet_loss(a, a, n, reduction="sum")
    assert loss == 0 and not any(g.any() for g in grads)
    assert M.triplet_kinds(a, a, n).tolist() == ["easy"]
    # a hard triplet whose loss is about 4e400: no float64 holds it
    with pytest.raises(ValueError, match=r"^Xa, Xp, Xn: expected features small enough for the "
                                         r"triplet loss to fit in float64 \(at most 1.8e\+308\)"):
        M.triplet_loss([[1e200]], [[-1e200]], [[1e200 + 1e190]])
    assert M.triplet_kinds([[1e200]], [[-1e200]], [[1e200 + 1e190]]).tolist() == ["hard"]
    # active, finite loss, but the gradient 2 (x_a - x_-) overflows
    with pytest.raises(ValueError, match=r"^Xa, Xp, Xn: .*triplet-loss gradients"):
        M.triplet_loss([[1e308]], [[-1e308]], [[-1e308]])      # x_+ = x_-: the argument is Delta


def _exact_triplet(Xa, Xp, Xn, margin):
    """Per-row hinge arguments and the three differences, in exact rational arithmetic."""
    from fractions import Fraction as F
    args, rows = [], []
    for a, p, n in zip(Xa, Xp, Xn):
        a, p, n = ([F(float(v)) for v in r] for r in (a, p, n))
        dp = sum((x - y) ** 2 for x, y in zip(a, p))
        dn = sum((x - y) ** 2 for x, y in zip(a, n))
        args.append((dp - dn + F(margin), dp + dn))
        rows.append(([y - x for x, y in zip(p, n)], [y - x for x, y in zip(a, p)],
                     [x - y for x, y in zip(a, n)]))
    return args, rows


@FAST
@given(seed=seeds, N=st.integers(1, 4), D=st.integers(1, 3), e=st.integers(0, 307),
       reduction=st.sampled_from(["mean", "sum"]))
def test_triplet_any_scale_is_exact_or_refused(seed, N, D, e, reduction):
    from fractions import Fraction as F
    rng = np.random.default_rng(seed)
    Xa, Xp, Xn = (features(rng, N, D, 10.0 ** e) for _ in range(3))
    margin = 0.2
    args, rows = _exact_triplet(Xa, Xp, Xn, margin)
    assume(all(abs(u) > F(1e-9) * s for u, s in args))     # away from the kink's rounding
    scale = F(N) if reduction == "mean" else F(1)
    top = F(np.finfo(np.float64).max)
    true_loss = sum(max(u, F(0)) for u, _ in args) / scale
    true_grads = [2 * v / scale for (u, _), r in zip(args, rows) if u > 0 for g in r for v in g]
    fits = true_loss < top and all(abs(v) < top for v in true_grads)
    assume(abs(true_loss - top) > top * F(1e-9) and all(abs(abs(v) - top) > top * F(1e-9)
                                                           for v in true_grads))
    if not fits:
        with pytest.raises(ValueError, match="^Xa, Xp, Xn: expected features small enough"):
            M.triplet_loss(Xa, Xp, Xn, margin, reduction)
        return
    loss, *grads = M.triplet_loss(Xa, Xp, Xn, margin, reduction)
    bound = sum(s for _, s in args) / scale * F(1e-14)        # rounding of d+^2 - d-^2
    assert abs(F(float(loss)) - true_loss) <= bound + F(1e-15)
    for n, ((u, _), r) in enumerate(zip(args, rows)):
        for g, row in zip(grads, r):
            want = [2 * v / scale if u > 0 else F(0) for v in row]
            assert all(abs(F(float(x)) - w) <= abs(w) * F(1e-15) for x, w in zip(g[n], want))
    assert np.array_equal(M.triplet_kinds(Xa, Xp, Xn, margin) != "easy",
                          np.array([u > 0 for u, _ in args]))


def test_random_triplets_times_1e300_issue_11():
    rng = np.random.default_rng(0)
    Xa, Xp, Xn = (1e300 * rng.standard_normal((5, 3)) for _ in range(3))
    args, _ = _exact_triplet(Xa, Xp, Xn, 0.2)
    if any(u > 0 for u, _ in args):      # an active triplet: its loss is about 1e600
        with pytest.raises(ValueError, match="triplet loss to fit in float64"):
            M.triplet_loss(Xa, Xp, Xn)
    easy = [n for n, (u, _) in enumerate(args) if u < 0]
    out = M.triplet_loss(Xa[easy], Xp[easy], Xn[easy])
    assert out[0] == 0 and not any(g.any() for g in out[1:])
    assert set(M.triplet_kinds(Xa[easy], Xp[easy], Xn[easy])) == {"easy"}


def test_gram_and_contrastive_huge_features_issue_11():
    X = np.array([[1e300, 1e300], [1e300, -1e300]])            # distance 2e300, squared 4e600
    assert np.array_equal(M.pairwise_distances(X), [[0, 2e300], [2e300, 0]])
    msg = (r"^X: expected rows whose squared distances fit in float64 \(at most 1.8e\+308\), "
           r"got rows 0 and 1 whose squared distance overflows it; the Gram form cannot")
    with pytest.raises(ValueError, match=msg):
        M.gram_sq_distances(X)
    with pytest.raises(ValueError, match=msg):
        M.contrastive_loss_matrix(X, [0, 1])
    loss, dX = M.contrastive_loss(X, [0, 1])       # far beyond the margin: 0, exactly
    assert loss == 0 and not dX.any()
    # a similar pair: the loss 4e600 overflows; the error names X, not an internal array
    with pytest.raises(ValueError, match=r"^X: expected features small enough for the squared "
                                         r"distance of a same-class pair to fit in float64"):
        M.contrastive_loss(X, [0, 0])
    with pytest.raises(ValueError, match=r"^X: .*differences between rows"):
        M.contrastive_loss([[1e308], [-1e308]], [0, 1])
    X32 = np.array([[1e20, 1e20], [1e20, -1e20]], dtype=np.float32)
    loss, dX = M.contrastive_loss(X32, [0, 1])
    assert loss == 0 and loss.dtype == np.float32 and not dX.any()
    with pytest.raises(ValueError, match=r"^X: expected rows whose squared distances fit in float32"):
        M.gram_sq_distances(X32)


def test_gram_overflowing_norms_scaled_exactly():
    # norms^2 about 1e310 overflow, the squared distance 1e308 does not: the Gram form is
    # evaluated on X / 2^k and scaled back, which is exact, so the result is what the formula
    # gives with an unbounded exponent range
    X = np.array([[1e155, 0.0], [1e155, 1e154], [1e155 + 1e153, 1e153]])
    k = 520
    D2 = M.gram_sq_distances(X)
    assert np.array_equal(D2, np.ldexp(M.gram_sq_distances(np.ldexp(X, -k)), 2 * k))
    assert D2[0, 1] == pytest.approx(1e308, rel=1e-12) and np.all(np.isfinite(D2))
    assert np.allclose(np.sqrt(D2), M.pairwise_distances(X), rtol=1e-12)
    # distances above 1.3e154 (squares overflow) come from scaled differences
    X = np.array([[1e155, 0.0], [1e155, 1e154], [0.0, 1e153]])
    Dm, cache = M.pairwise_distances_forward(X)
    assert Dm[0, 2] == pytest.approx(np.hypot(1e155, 1e153), rel=1e-15)
    dX = M.pairwise_distances_backward(np.ones((3, 3)), cache)
    assert np.all(np.isfinite(dX)) and np.allclose(np.linalg.norm(dX[1] + dX[0] + dX[2]), 0)
    loss, dX = M.contrastive_loss(X, [0, 1, 2], margin=1.0)        # every pair beyond the margin
    assert loss == 0 and not dX.any()
    with pytest.raises(ValueError, match="rows 0 and 2 whose squared distance overflows"):
        M.contrastive_loss_matrix(X, [0, 1, 2], margin=1.0)
    X = np.array([[1e155, 0.0], [1e155, 1e154], [1e155 + 1e153, 1e153]])   # norms^2 overflow only
    loss_m, dX_m = M.contrastive_loss_matrix(X, [0, 1, 2], margin=1.0)
    assert loss_m == 0 and not dX_m.any()
    loss, dX = M.contrastive_loss(X, [0, 1, 2], margin=1.0)
    assert loss == 0 and not dX.any()


def test_contrastive_mean_fits_where_the_sum_overflows():
    # squared distances 1e308, 1.44e308, 0.04e308: their sum overflows, their mean does not
    X = np.array([[0.0], [1e154], [1.2e154]])
    want_loss = (1 + 1.44 + 0.04) / 3 * 1e308                             # 8.267e307
    want_dX = np.array([[-2.2e154], [0.8e154], [1.4e154]]) * 2 / 3
    for fn in (M.contrastive_loss, M.contrastive_loss_matrix):
        loss, dX = fn(X, [0, 0, 0])
        assert loss == pytest.approx(want_loss, rel=1e-12) and np.allclose(dX, want_dX, rtol=1e-12)
        with pytest.raises(ValueError, match=r"^X: .*contrastive loss \(a sum of squared distances\)"):
            fn(X, [0, 0, 0], reduction="sum")
    # coincident rows near the largest float: X X^T overflows, the answer is 0 (both forms)
    X = np.array([[1e308, -1e308], [1e308, -1e308]])
    for fn in (M.contrastive_loss, M.contrastive_loss_matrix):
        loss, dX = fn(X, [0, 0], reduction="sum")
        assert loss == 0 and not dX.any()


# --- issue 11: huge labels and a non-integer K -----------------------------------------


def test_affinity_matrix_huge_label_costs_nothing():
    np.testing.assert_array_equal(M.affinity_matrix([0, 10**12, 0]),
                                  [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


def test_affinity_matrix_matches_one_hot_product():
    y = np.array([2, 0, 1, 2, 0])
    H = np.eye(3)[y]
    for K in (None, 3, 5):
        aff = M.affinity_matrix(y, K=K)
        assert aff.dtype == np.float64
        np.testing.assert_array_equal(aff, H @ H.T)


@pytest.mark.parametrize("K", [2.5, 2.0, "2", True])
def test_affinity_matrix_non_int_K_is_a_type_error(K):
    with pytest.raises(TypeError, match=r"K: expected an int number of classes, got"):
        M.affinity_matrix([0, 1], K=K)


@pytest.mark.parametrize("K", [0, -3])
def test_affinity_matrix_nonpositive_K(K):
    with pytest.raises(ValueError, match=r"K: expected a number of classes >= 1"):
        M.affinity_matrix([0], K=K)


def test_affinity_matrix_labels_outside_K():
    with pytest.raises(ValueError, match=r"y: expected labels in 0\.\.1 .*got \[5\]"):
        M.affinity_matrix([0, 5], K=2)


def test_affinity_matrix_float_label_too_big_for_int64_is_reported_as_given():
    with pytest.raises(ValueError, match=r"y: expected labels below 2\*\*63, got \[1e\+20\]"):
        M.affinity_matrix(np.array([0.0, 1e20]))


# --- issue 11: tiny features (squares underflow) and overflowing center sums ---------------


@pytest.mark.parametrize("scale", [1e-160, 1e-200, 1e-300])
def test_tiny_features_keep_their_distances_and_gradients(scale):
    # Rows 1e-200 apart have squared distances 1e-400, which underflow to 0: the distances
    # came out 0, the rows looked coincident, and both contrastive forms returned gradient
    # 0 (1e-201 for the matrix form) where the pushes of the dissimilar pairs are of order 1.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), np.array([0, 1, 0, 1, 2])
    D = M.pairwise_distances(X)
    np.testing.assert_allclose(M.pairwise_distances(X * scale), D * scale, rtol=1e-15)
    # the pairs are far inside the margin 1: the loss is that of coincident rows, while the
    # gradient of (1 - d)^2 is -2 (1 - d) (x_i - x_j) / d, unit vectors whatever the scale
    U = (X[:, None, :] - X[None, :, :]) / np.where(D > 0, D, 1)[:, :, None]
    differ = (y[:, None] != y[None, :]).astype(float)
    want = -2 * np.einsum("ij,ijk->ik", differ, U) / 10
    for loss_fn in (M.contrastive_loss, M.contrastive_loss_matrix):
        loss, dX = loss_fn(X * scale, y)
        assert loss == pytest.approx(8 / 10, rel=1e-12)
        np.testing.assert_allclose(dX, want, rtol=1e-9, atol=1e-12)


def test_pairwise_distances_of_ordinary_and_coincident_rows_are_unchanged():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0], [3e-160, 0.0]])
    D = M.pairwise_distances(X)
    assert D[0, 1] == 0 and D[2, 3] == 3e-160 and D[0, 2] == np.sqrt(5.0)
    loss, dX = M.contrastive_loss_matrix(np.array([[1.0, 2.0], [1.0, 2.0]]), [0, 1])
    assert loss == 1 and not dX.any()      # coincident dissimilar rows: gradient 0, as documented


def test_center_loss_and_steps_whose_sums_overflow_but_means_do_not():
    # each 0.5 ||x_n||^2 = 1e308 fits; their sum 3e308 does not: "mean" gave inf (with a
    # RuntimeWarning), and center_steps gave -inf where the step is -3e308 / 4
    X, y, C = np.full((3, 2), 1e154), np.zeros(3, dtype=int), np.zeros((1, 2))
    loss, dX = M.center_loss(X, y, C)
    assert loss == pytest.approx(1e308, rel=1e-15)
    np.testing.assert_allclose(dX, X / 3, rtol=1e-15)
    with pytest.raises(ValueError, match=r"^X: expected features small enough for the center "
                                         r"loss \(a sum of squared distances\) to fit in float64"):
        M.center_loss(X, y, C, reduction="sum")
    with pytest.raises(ValueError, match=r"^X: .*differences x_n - c_\{y_n\} to the centers"):
        M.center_loss([[1e308]], [0], [[-1e308]])
    big = np.full((3, 1), 1e308)
    np.testing.assert_allclose(M.center_steps(big, y, [[0.0]]), [[-7.5e307]], rtol=1e-15)  # -3e308 / 4
    np.testing.assert_allclose(M.center_update(big, y, [[0.0]], gamma=1), [[7.5e307]], rtol=1e-15)


def test_center_loss_with_no_centers_names_centers():
    # K = 0 was reported as "y: expected labels in 0..-1 (K = 0 classes)"
    with pytest.raises(ValueError, match=re.escape(
            "centers: expected at least one center (K >= 1), got shape (0, 3)")):
        M.center_loss(np.ones((2, 3)), [0, 0], np.ones((0, 3)))


def test_distance_backward_with_a_huge_upstream_gradient_over_a_tiny_distance():
    # (dD + dD^T) / D overflowed to inf (1e300 / 1e-200) although the gradient, dD times
    # unit vectors, is 1.4e300; a gradient that does not fit raises naming ddist
    _, cache = M.pairwise_distances_forward(np.array([[1e-200, 0.0], [0.0, 1e-200]]))
    dX = M.pairwise_distances_backward(np.full((2, 2), 1e300), cache)
    np.testing.assert_allclose(dX, 2e300 / np.sqrt(2) * np.array([[1, -1], [-1, 1]]), rtol=1e-15)
    _, cache = M.pairwise_distances_forward(np.eye(2))
    dX = M.pairwise_distances_backward(np.full((2, 2), 1e308), cache)   # dD + dD^T = 2e308
    np.testing.assert_allclose(dX, 1e308 * np.sqrt(2) * np.array([[1, -1], [-1, 1]]), rtol=1e-15)
    _, cache = M.pairwise_distances_forward(np.array([[0.0], [1.0], [2.0]]))
    with pytest.raises(ValueError, match=r"^ddist: expected an upstream gradient small enough "
                                         r"for dX to fit in float64"):
        M.pairwise_distances_backward(np.full((3, 3), 1.7e308), cache)


@pytest.mark.parametrize("cache", [None, (1, 2), (np.ones((2, 2)), np.ones((2, 2)))])
def test_distance_backward_names_a_cache_it_cannot_use(cache):
    # these were "'int' object has no attribute 'shape'", "cannot unpack", an einsum error
    with pytest.raises(TypeError, match=r"^cache: expected the DistanceCache \(diff, dist\) "
                                        r"that pairwise_distances_forward returned, got "):
        M.pairwise_distances_backward(np.ones((2, 2)), cache)
