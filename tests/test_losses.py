"""Tests for bpnet_lib.losses: gradients against finite differences, extreme scores,
known values and identities, reductions, dtypes and error messages."""

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import losses as Lo
from bpnet_lib.activations import sigmoid, softmax
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 6)
reductions = st.sampled_from(["mean", "sum"])


@pytest.fixture
def strict():
    """Turn every warning into an error, and NumPy overflow / invalid / divide into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def check_loss_gradient(loss, S, rng):
    """Check dS against finite differences, with a random (not 1) upstream scalar c."""
    c = rng.uniform(0.5, 2.0) * rng.choice([-1, 1])
    _, dS = loss(S)
    check_gradients(lambda S: c * loss(S)[0], [S], [c * dS])


# --- gradient checks -----------------------------------------------------------------


@FAST
@given(seed=seeds, N=sizes, K=sizes, reduction=reductions)
def test_mse_gradient(seed, N, K, reduction):
    rng = np.random.default_rng(seed)
    Y, H = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    check_loss_gradient(lambda Y: Lo.mse_loss(Y, H, reduction), Y, rng)


@FAST
@given(seed=seeds, N=sizes, K=sizes, reduction=reductions)
def test_softmax_cross_entropy_gradient_labels(seed, N, K, reduction):
    rng = np.random.default_rng(seed)
    Z, y = 3 * rng.standard_normal((N, K)), rng.integers(0, K, N)
    check_loss_gradient(lambda Z: Lo.softmax_cross_entropy(Z, y, reduction), Z, rng)


@FAST
@given(seed=seeds, N=sizes, K=sizes, reduction=reductions)
def test_softmax_cross_entropy_gradient_probability_rows(seed, N, K, reduction):
    rng = np.random.default_rng(seed)
    Z, Y = 3 * rng.standard_normal((N, K)), rng.dirichlet(np.ones(K), N)
    check_loss_gradient(lambda Z: Lo.softmax_cross_entropy(Z, Y, reduction), Z, rng)
    _, dZ = Lo.softmax_cross_entropy(Z, Y, reduction)
    np.testing.assert_allclose(dZ * (N if reduction == "mean" else 1), softmax(Z) - Y, atol=1e-15)


@FAST
@given(seed=seeds, N=sizes, reduction=reductions)
def test_logistic_gradients(seed, N, reduction):
    rng = np.random.default_rng(seed)
    s, y01 = 4 * rng.standard_normal(N), rng.integers(0, 2, N)
    check_loss_gradient(lambda s: Lo.logistic_loss(s, y01, reduction), s, rng)
    check_loss_gradient(lambda s: Lo.logistic_pm1_loss(s, 2 * y01 - 1, reduction), s, rng)


@FAST
@given(seed=seeds, N=sizes, K=st.integers(2, 6), margin=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
       reduction=reductions)
def test_hinge_gradient(seed, N, K, margin, reduction):
    rng = np.random.default_rng(seed)
    while True:  # redraw until no class sits within 1e-3 of the hinge's kink
        S, y = rng.standard_normal((N, K)), rng.integers(0, K, N)
        margins = S - S[np.arange(N), y][:, None] + margin
        margins[np.arange(N), y] = 1.0
        if np.min(np.abs(margins)) > 1e-3:
            break
    check_loss_gradient(lambda S: Lo.multiclass_hinge_loss(S, y, margin, reduction), S, rng)


# --- extreme scores: finite, exact, silent ----------------------------------------------


def test_softmax_cross_entropy_extremes(strict):
    Z = np.array([[1e4, 0.0], [1e4, 0.0], [-1e4, 1e4]])
    loss, dZ = Lo.softmax_cross_entropy(Z, [0, 1, 0], reduction="sum")
    assert loss == 0.0 + 1e4 + 2e4
    np.testing.assert_array_equal(dZ, [[0.0, 0.0], [1.0, -1.0], [-1.0, 1.0]])
    loss, dZ = Lo.softmax_cross_entropy(Z, [[0.5, 0.5], [0, 1], [1, 0]], reduction="sum")
    assert loss == 0.5e4 + 1e4 + 2e4
    np.testing.assert_array_equal(dZ, [[0.5, -0.5], [1.0, -1.0], [-1.0, 1.0]])


def test_logistic_extremes(strict):
    s = np.array([1e4, 1e4, -1e4, -1e4])
    loss, ds = Lo.logistic_loss(s, [1, 0, 1, 0], reduction="sum")
    assert loss == 2e4
    np.testing.assert_array_equal(ds, [0.0, 1.0, -1.0, 0.0])
    loss, ds = Lo.logistic_pm1_loss(s, [1, -1, 1, -1], reduction="sum")
    assert loss == 2e4
    np.testing.assert_array_equal(ds, [0.0, 1.0, -1.0, 0.0])
    loss, _ = Lo.logistic_loss(np.float32([1e4, -1e4]), [0, 1], reduction="sum")
    assert loss == np.float32(2e4)


def test_confident_predictions_keep_their_tiny_losses():
    # -log sigma(40) = log(1 + e^-40) and -log softmax([40, 0])_0: ~4.25e-18, not 0
    tiny = np.log1p(np.exp(-40.0))
    loss, ds = Lo.logistic_loss([40.0], [1])
    assert loss == pytest.approx(tiny, rel=1e-15) and ds[0] == pytest.approx(-tiny, rel=1e-12)
    loss, ds = Lo.logistic_pm1_loss([40.0], [1])
    assert loss == pytest.approx(tiny, rel=1e-15) and ds[0] == pytest.approx(-tiny, rel=1e-12)
    loss, dZ = Lo.softmax_cross_entropy([[40.0, 0.0]], [0])
    assert loss == pytest.approx(tiny, rel=1e-15)
    np.testing.assert_allclose(dZ, [[-tiny, tiny]], rtol=1e-12)


def test_hinge_and_mse_extremes(strict):
    loss, dS = Lo.multiclass_hinge_loss([[1e4, -1e4, 0.0]], [1], reduction="sum")
    assert loss == (2e4 + 1) + (1e4 + 1)
    np.testing.assert_array_equal(dS, [[1.0, -2.0, 1.0]])
    loss, _ = Lo.mse_loss([[1e4]], [[-1e4]], reduction="sum")
    assert loss == 0.5 * 4e8


# --- known values and identities ---------------------------------------------------------


def test_known_values():
    # CS231n's hinge example: scores (3.2, 5.1, -1.7), true class 0 -> 2.9
    loss, dS = Lo.multiclass_hinge_loss([[3.2, 5.1, -1.7]], [0])
    assert loss == pytest.approx(2.9)
    np.testing.assert_array_equal(dS, [[-1.0, 1.0, 0.0]])
    loss, dY = Lo.mse_loss([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 4.0]])
    assert loss == pytest.approx((4 + 9) / 2 / 2)
    np.testing.assert_array_equal(dY, [[0.0, 1.0], [1.5, 0.0]])
    loss, _ = Lo.softmax_cross_entropy(np.zeros((3, 4)), [0, 1, 3])
    assert loss == pytest.approx(np.log(4))
    loss, ds = Lo.logistic_loss([0.0], [1])
    assert loss == pytest.approx(np.log(2)) and ds[0] == -0.5


def test_hinge_ties_count_as_not_violating():
    # s_1 - s_0 + margin == 0 exactly: on the kink, subgradient entry 0
    loss, dS = Lo.multiclass_hinge_loss([[1.0, 0.0]], [0], margin=1.0)
    assert loss == 0.0
    np.testing.assert_array_equal(dS, [[0.0, 0.0]])
    loss, dS = Lo.multiclass_hinge_loss(np.zeros((2, 3)), [0, 2], margin=0.0)
    assert loss == 0.0
    np.testing.assert_array_equal(dS, np.zeros((2, 3)))


@FAST
@given(seed=seeds, N=sizes, K=sizes)
def test_identities(seed, N, K):
    rng = np.random.default_rng(seed)
    Z, y = 3 * rng.standard_normal((N, K)), rng.integers(0, K, N)
    s, y01 = 3 * rng.standard_normal(N), rng.integers(0, 2, N)
    # one-hot probability rows give the same as integer labels
    # (the label branch computes p_y - 1 as expm1(log p_y): equal up to rounding, ~1e-17)
    for a, b in zip(Lo.softmax_cross_entropy(Z, y), Lo.softmax_cross_entropy(Z, np.eye(K)[y])):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    # the two logistic losses are one loss in two label conventions
    for a, b in zip(Lo.logistic_loss(s, y01), Lo.logistic_pm1_loss(s, 2 * y01 - 1)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    # against the textbook formulas, at moderate scores (the naive forms lose digits when
    # a loss is small, hence the absolute tolerance)
    p = softmax(Z)
    naive = -np.sum(np.log(p[np.arange(N), y]))
    np.testing.assert_allclose(Lo.softmax_cross_entropy(Z, y, "sum")[0], naive, rtol=1e-12, atol=1e-14)
    sig = sigmoid(s)
    naive = -np.sum(y01 * np.log(sig) + (1 - y01) * np.log(1 - sig))
    np.testing.assert_allclose(Lo.logistic_loss(s, y01, "sum")[0], naive, rtol=1e-10, atol=1e-14)


LOSSES = {
    "mse": lambda S, r, y, y01: Lo.mse_loss(S, S[::-1] + 1.0, r),
    "ce_labels": lambda S, r, y, y01: Lo.softmax_cross_entropy(S, y, r),
    "ce_rows": lambda S, r, y, y01: Lo.softmax_cross_entropy(S, softmax(S[::-1]), r),
    "logistic": lambda S, r, y, y01: Lo.logistic_loss(S[:, 0], y01, r),
    "logistic_pm1": lambda S, r, y, y01: Lo.logistic_pm1_loss(S[:, 0], 2 * y01 - 1, r),
    "hinge": lambda S, r, y, y01: Lo.multiclass_hinge_loss(S, y, 1.0, r),
}


@pytest.mark.parametrize("name", LOSSES)
@FAST
@given(seed=seeds, N=sizes, K=sizes)
def test_sum_is_N_times_mean(name, seed, N, K):
    rng = np.random.default_rng(seed)
    S, y, y01 = rng.standard_normal((N, K)), rng.integers(0, K, N), rng.integers(0, 2, N)
    loss_sum, grad_sum = LOSSES[name](S, "sum", y, y01)
    loss_mean, grad_mean = LOSSES[name](S, "mean", y, y01)
    np.testing.assert_allclose(loss_sum, N * loss_mean, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad_sum, N * grad_mean, rtol=1e-13, atol=1e-15)


# --- dtypes --------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_float32_in_float32_out(name):
    rng = np.random.default_rng(5)
    S, y, y01 = rng.standard_normal((4, 3)), rng.integers(0, 3, 4), rng.integers(0, 2, 4)
    loss32, grad32 = LOSSES[name](S.astype(np.float32), "mean", y, y01)
    loss64, grad64 = LOSSES[name](S, "mean", y, y01)
    assert loss32.dtype == np.float32 and grad32.dtype == np.float32
    assert loss64.dtype == np.float64 and grad64.dtype == np.float64
    np.testing.assert_allclose(loss32, loss64, rtol=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-6)


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_bad_reduction_and_nan(name):
    S, y, y01 = np.zeros((2, 3)), np.array([0, 2]), np.array([0, 1])
    with pytest.raises(ValueError, match=r"reduction: expected 'mean' or 'sum', got 'avg'"):
        LOSSES[name](S, "avg", y, y01)
    S[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"expected finite values, got 1 NaN"):
        LOSSES[name](S, "mean", y, y01)


@pytest.mark.parametrize(
    "call, msg",
    [
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [0, 3]),
         "y: expected labels in 0..2 (K = 3 classes), got [3]"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [0, -1]),
         "y: expected labels in 0..2 (K = 3 classes), got [-1]"),
        (lambda: Lo.multiclass_hinge_loss(np.zeros((2, 3)), [5, 0]),
         "y: expected labels in 0..2 (K = 3 classes), got [5]"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]),
         "y: expected integer labels of shape (2,), got shape (3,)"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [0.5, 1]),
         "y: expected integer class labels, got dtype float64"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), np.zeros((2, 3, 1))),
         "y: expected integer labels of shape (2,) or probability rows of shape (2, 3), "
         "got shape (2, 3, 1)"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [[1, 0, 0], [0.5, 0.4, 0]]),
         "y: expected each row to sum to 1 (tolerance 1e-06), got row 1 summing to 0.9"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), [[1, 0, 0], [1.5, -0.5, 0]]),
         "y: expected probabilities >= 0, got -0.5 in row 1 (column 1)"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((2, 3)), np.full((2, 2), 0.5)),
         "y: expected probability rows of shape (2, 3) (N, K), got shape (2, 2)"),
        (lambda: Lo.softmax_cross_entropy(np.zeros(3), [0]),
         "Z: expected a 2-D array of shape (N, K), got shape (3,)"),
        (lambda: Lo.softmax_cross_entropy(np.zeros((0, 3)), []),
         "Z: expected at least one sample (N >= 1), got shape (0, 3)"),
        (lambda: Lo.mse_loss(np.zeros((2, 3)), np.zeros((3, 2))),
         "H: expected the shape of Y (2, 3), got shape (3, 2)"),
        (lambda: Lo.mse_loss(np.zeros(3), np.zeros(3)),
         "Y: expected a 2-D array of shape (N, K), got shape (3,)"),
        (lambda: Lo.logistic_loss(np.zeros(3), [0, 1, 2]),
         "y: expected labels in {0, 1}, got [2.0]"),
        (lambda: Lo.logistic_loss(np.zeros(3), [0, 1]),
         "y: expected labels of shape (3,), got shape (2,)"),
        (lambda: Lo.logistic_loss(np.zeros((3, 1)), [0, 1, 1]),
         "s: expected a 1-D array of shape (N,), got shape (3, 1)"),
        (lambda: Lo.logistic_pm1_loss(np.zeros(2), [0, 1]),
         "y: expected labels in {-1, +1}, got [0.0]"),
        (lambda: Lo.logistic_pm1_loss(np.zeros(2), [1, np.nan]),
         "y: expected finite values, got 1 NaN"),
        (lambda: Lo.multiclass_hinge_loss(np.zeros((2, 3)), [0, 1], margin=-1.0),
         "margin: expected a finite number >= 0, got -1.0"),
        (lambda: Lo.multiclass_hinge_loss(np.zeros((2, 3)), [0, 1], margin="1"),
         "margin: expected a number >= 0, got '1'"),
    ],
)
def test_error_messages(call, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        call()


# --- issue 11: a float label too big for int64 ------------------------------------------


@pytest.mark.parametrize("bad", [1e20, -1e20, 3.0])
def test_softmax_cross_entropy_reports_the_out_of_range_label_given(bad):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value encountered in cast" either
        with pytest.raises(ValueError, match=re.escape(f"got [{bad!r}]")):
            Lo.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, bad]))


def test_softmax_cross_entropy_integral_float_labels_still_work():
    Z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    a = Lo.softmax_cross_entropy(Z, np.array([1.0, 2.0]))
    b = Lo.softmax_cross_entropy(Z, np.array([1, 2]))
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


# --- issue 11: the dtype rule: the scores decide, targets never do ----------------------------


@pytest.mark.parametrize("dtype, want", [(np.float32, np.float32), (np.float64, np.float64),
                                         (np.float16, np.float64), (np.int64, np.float64)])
def test_loss_and_gradient_have_the_dtype_of_the_scores(dtype, want):
    rng = np.random.default_rng(0)
    S = (rng.standard_normal((4, 3)) * 3).astype(dtype)
    s = (rng.standard_normal(4) * 3).astype(dtype)
    y = np.array([0, 2, 1, 2])
    P = np.full((4, 3), 1 / 3)  # float64 targets
    cases = [
        Lo.mse_loss(S, P), Lo.softmax_cross_entropy(S, y), Lo.softmax_cross_entropy(S, P),
        Lo.multiclass_hinge_loss(S, y), Lo.logistic_loss(s, np.array([0.0, 1, 1, 0])),
        Lo.logistic_pm1_loss(s, np.array([-1, 1, 1, -1])),
    ]
    for loss, grad in cases:
        assert np.asarray(loss).dtype == want and grad.dtype == want
        assert not np.shares_memory(grad, S) and not np.shares_memory(grad, s)
