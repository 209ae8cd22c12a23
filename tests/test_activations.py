"""Tests for bpnet_lib.activations: derivatives against finite differences, extreme inputs,
known identities, dtype preservation and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import activations as A
from bpnet_lib.gradcheck import check_gradients, numerical_gradient_array

FAST = settings(max_examples=30, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def away_from_zero(z, eps=1e-3):
    """Move entries with |z| < eps to +-0.5, so finite differences never straddle a kink."""
    z = z.copy()
    small = np.abs(z) < eps
    z[small] = np.where(np.signbit(z[small]), -0.5, 0.5)
    return z


@pytest.fixture
def strict():
    """Turn every warning into an error, and NumPy overflow / invalid / divide into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


# --- gradients of the element-wise activations --------------------------------

ELEMENTWISE = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad, False),
    "tanh": (A.tanh, A.tanh_grad, False),
    "relu": (A.relu, A.relu_grad, True),
    "elu": (A.elu, A.elu_grad, False),
    "elu_alpha_0.3": (lambda z: A.elu(z, alpha=0.3), lambda z: A.elu_grad(z, alpha=0.3), True),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@FAST
@given(seed=seeds, shape=shapes)
def test_elementwise_grad_matches_finite_differences(name, seed, shape):
    f, grad, has_kink = ELEMENTWISE[name]
    rng = np.random.default_rng(seed)
    # |z| <= 3: in the saturated tails f' is so small that the rounding error of the
    # central difference (eps |f| / h) would dominate; the tails are tested exactly below
    z = np.clip(2 * rng.standard_normal(shape), -3, 3)
    if has_kink:
        z = away_from_zero(z)
    check_gradients(f, [z], lambda d: [d * grad(z)], rng=rng)


# --- softmax family: vector-Jacobian products along any axis -------------------


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, axis


@FAST
@given(seed=seeds, sa=shape_and_axis())
def test_softmax_vjp_along_any_axis(seed, sa):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    z = 2 * rng.standard_normal(shape)
    p = A.softmax(z, axis=axis)

    def vjp(d):  # J^T d = p * (d - <d, p>) along the axis
        return [p * (d - np.sum(d * p, axis=axis, keepdims=True))]

    check_gradients(lambda z: A.softmax(z, axis=axis), [z], vjp, rng=rng)


@FAST
@given(seed=seeds, sa=shape_and_axis())
def test_log_softmax_and_logsumexp_vjps(seed, sa):
    shape, axis = sa
    rng = np.random.default_rng(seed)
    z = 2 * rng.standard_normal(shape)
    p = A.softmax(z, axis=axis)
    check_gradients(
        lambda z: A.log_softmax(z, axis=axis),
        [z],
        lambda d: [d - p * np.sum(d, axis=axis, keepdims=True)],
        rng=rng,
    )
    check_gradients(
        lambda z: A.logsumexp(z, axis=axis, keepdims=True),
        [z],
        lambda d: [d * p],
        rng=rng,
    )


@FAST
@given(seed=seeds, K=st.integers(1, 7))
def test_softmax_jacobian_equals_finite_differences(seed, K):
    rng = np.random.default_rng(seed)
    z = 2 * rng.standard_normal(K)
    J = A.softmax_jacobian(z)
    assert J.shape == (K, K)
    numerical = np.array(
        [numerical_gradient_array(A.softmax, z, np.eye(K)[i]) for i in range(K)]
    )  # row i = gradient of p_i
    np.testing.assert_allclose(J, numerical, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(J, J.T)
    np.testing.assert_allclose(J.sum(axis=1), 0, atol=1e-15)
    check_gradients(A.softmax, [z], lambda d: [J.T @ d], rng=rng)


# --- extreme inputs: finite, exact, silent --------------------------------------


def test_sigmoid_extremes(strict):
    np.testing.assert_array_equal(A.sigmoid([-1e4, 0.0, 1e4]), [0.0, 0.5, 1.0])
    # the negative tail keeps full relative precision (1 - sigmoid(40) would give 0)
    np.testing.assert_allclose(A.sigmoid(-40.0), np.exp(-40.0) / (1 + np.exp(-40.0)), rtol=1e-15)
    np.testing.assert_array_equal(A.sigmoid_grad([-1e4, 1e4]), [0.0, 0.0])
    np.testing.assert_array_equal(A.sigmoid(np.float32([-1e4, 1e4])), np.float32([0, 1]))


def test_softmax_family_extremes(strict):
    np.testing.assert_array_equal(A.log_softmax([1e4, 0.0]), [0.0, -1e4])
    np.testing.assert_array_equal(A.log_softmax([-1e4, 1e4]), [-2e4, 0.0])
    np.testing.assert_array_equal(A.softmax([1e4, 0.0]), [1.0, 0.0])
    np.testing.assert_array_equal(A.softmax([-1e4, -1e4]), [0.5, 0.5])
    assert A.logsumexp([1e4, 0.0]) == 1e4
    assert A.logsumexp([-1e4, -1e4]) == pytest.approx(-1e4 + np.log(2), rel=1e-15)
    np.testing.assert_array_equal(A.logsumexp([[1e4, 1e4], [-1e4, 0]], axis=0), [1e4, 1e4])
    J = A.softmax_jacobian([1e4, 0.0, -1e4])
    assert np.all(np.isfinite(J))
    np.testing.assert_array_equal(J, np.zeros((3, 3)))


def test_tanh_relu_elu_extremes(strict):
    np.testing.assert_array_equal(A.tanh([-1e4, 1e4]), [-1.0, 1.0])
    np.testing.assert_array_equal(A.tanh_grad([-1e4, 1e4]), [0.0, 0.0])
    np.testing.assert_array_equal(A.relu([-1e4, 1e4]), [0.0, 1e4])
    np.testing.assert_array_equal(A.elu([-1e4, 1e4], alpha=2.0), [-2.0, 1e4])
    np.testing.assert_array_equal(A.elu_grad([-1e4, 1e4], alpha=2.0), [0.0, 1.0])
    np.testing.assert_array_equal(A.elu(np.float32([-1e4, 1e4])), np.float32([-1, 1e4]))


def test_log_softmax_keeps_tiny_log_probabilities(strict):
    # log p_0 = -log(1 + e^-40) = -e^-40 (to 1e-35); a plain log(1 + ...) would round it to 0
    np.testing.assert_allclose(A.log_softmax([40.0, 0.0]), [-np.exp(-40.0), -40.0], rtol=1e-15)
    assert A.logsumexp([40.0, 0.0]) - 40.0 == 0.0  # e^-40 is below 40's last digit anyway
    np.testing.assert_allclose(A.logsumexp([0.0, -40.0]), np.exp(-40.0), rtol=1e-15)
    np.testing.assert_allclose(A.logsumexp([[1.0, 1.0], [2.0, 2.0]], axis=0), np.log(np.e + np.e**2))
    assert A.logsumexp([3.0, 3.0]) == pytest.approx(3.0 + np.log(2.0), rel=1e-15)  # tied maxima


# --- identities and conventions ------------------------------------------------


@FAST
@given(seed=seeds, shape=shapes)
def test_identities(seed, shape):
    rng = np.random.default_rng(seed)
    z = 5 * rng.standard_normal(shape)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(A.sigmoid(-z), 1 - A.sigmoid(z), atol=1e-15)
    assert np.all(A.sigmoid_grad(z) <= 0.25)
    np.testing.assert_allclose(A.softmax(z).sum(axis=-1), 1.0)
    np.testing.assert_allclose(A.softmax(z + 123.0), A.softmax(z), atol=1e-15)
    np.testing.assert_allclose(A.log_softmax(z), np.log(A.softmax(z)), atol=1e-12)
    np.testing.assert_allclose(A.log_softmax(z), z - A.logsumexp(z, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(
        A.logsumexp(z), np.log(np.sum(np.exp(z), axis=-1)), rtol=1e-13, atol=1e-13
    )
    np.testing.assert_allclose(A.elu(z, alpha=0.0), A.relu(z))


def test_grads_at_known_points():
    assert A.sigmoid_grad(0.0) == 0.25
    assert A.tanh_grad(0.0) == 1.0
    np.testing.assert_array_equal(A.relu_grad([-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])  # relu'(0) = 0
    np.testing.assert_array_equal(A.elu_grad([0.0], alpha=0.3), [0.3])  # left branch at 0
    np.testing.assert_array_equal(A.elu_grad([0.0], alpha=0.0), A.relu_grad([0.0]))
    np.testing.assert_allclose(A.elu_grad([-2.0], alpha=0.5), A.elu([-2.0], alpha=0.5) + 0.5)


def test_logsumexp_keepdims_shapes():
    z = np.arange(24.0).reshape(2, 3, 4)
    assert A.logsumexp(z).shape == (2, 3)
    assert A.logsumexp(z, axis=1).shape == (2, 4)
    assert A.logsumexp(z, axis=0, keepdims=True).shape == (1, 3, 4)


# --- dtypes ----------------------------------------------------------------------

ALL = {
    "sigmoid": A.sigmoid,
    "sigmoid_grad": A.sigmoid_grad,
    "tanh": A.tanh,
    "tanh_grad": A.tanh_grad,
    "relu": A.relu,
    "relu_grad": A.relu_grad,
    "elu": lambda z: A.elu(z, alpha=np.float64(0.5)),
    "elu_grad": lambda z: A.elu_grad(z, alpha=np.float64(0.5)),
    "softmax": A.softmax,
    "log_softmax": A.log_softmax,
    "logsumexp": A.logsumexp,
    "softmax_jacobian": lambda z: A.softmax_jacobian(z[0]),
}


@pytest.mark.parametrize("name", ALL)
def test_dtype_preserved(name):
    z = np.array([[-2.0, 0.5, 3.0], [1.0, -1.0, 0.0]])
    assert ALL[name](z.astype(np.float32)).dtype == np.float32
    assert ALL[name](z).dtype == np.float64
    assert ALL[name](z.astype(np.int64)).dtype == np.float64
    np.testing.assert_allclose(ALL[name](z.astype(np.float32)), ALL[name](z), rtol=1e-6, atol=1e-7)


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_nan_and_inf_rejected(name):
    with pytest.raises(ValueError, match=r"z: expected finite values, got 1 NaN"):
        ALL[name](np.array([[0.0, np.nan, 1.0]]))
    with pytest.raises(ValueError, match=r"z: expected finite values, got 0 NaN and 1 infinite"):
        ALL[name](np.array([[0.0, np.inf, 1.0]]))


def test_non_numeric_rejected():
    with pytest.raises(ValueError, match=r"z: expected an array of numbers, got dtype <U"):
        A.sigmoid(["a", "b"])


@pytest.mark.parametrize("f", [A.softmax, A.log_softmax, A.logsumexp])
def test_softmax_family_bad_axis_or_shape(f):
    with pytest.raises(ValueError, match=r"z: expected an array with at least 1 dimension"):
        f(3.0)
    with pytest.raises(ValueError, match=r"axis: expected an axis of a 2-D array, got axis=2"):
        f(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"z: expected at least one entry along axis 1, got shape \(2, 0\)"):
        f(np.zeros((2, 0)), axis=1)


def test_softmax_jacobian_needs_a_vector():
    with pytest.raises(ValueError, match=r"z: expected a 1-D array of shape \(K,\), got shape \(2, 3\)"):
        A.softmax_jacobian(np.zeros((2, 3)))


@pytest.mark.parametrize("alpha", [-1.0, np.inf, "1", True, None])
def test_elu_bad_alpha(alpha):
    with pytest.raises(ValueError, match=r"alpha: expected a .*number >= 0, got"):
        A.elu([1.0], alpha=alpha)
    with pytest.raises(ValueError, match=r"alpha: expected a .*number >= 0, got"):
        A.elu_grad([1.0], alpha=alpha)


# --- issue 11: a non-integer axis ------------------------------------------------------


@pytest.mark.parametrize("f", [A.softmax, A.log_softmax, A.logsumexp])
@pytest.mark.parametrize("axis", [1.0, "1", None, True])
def test_non_int_axis_is_a_type_error_naming_axis(f, axis):
    with pytest.raises(TypeError, match=r"axis: expected an int, got"):
        f(np.ones((2, 3)), axis=axis)


def test_numpy_int_axis_still_works():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(A.softmax(z, axis=np.int64(1)), A.softmax(z, axis=1))


# --- issue 11: the dtype rule and new arrays ------------------------------------------------

_ACTIVATION_FUNCTIONS = [A.sigmoid, A.sigmoid_grad, A.tanh, A.tanh_grad, A.relu, A.relu_grad,
                         A.elu, A.elu_grad, A.softmax, A.log_softmax, A.logsumexp]


@pytest.mark.parametrize("f", _ACTIVATION_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype, want", [(np.float32, np.float32), (np.float64, np.float64),
                                         (np.float16, np.float64), (np.int64, np.float64),
                                         (np.bool_, np.float64)])
def test_activation_dtype_rule_and_new_arrays(f, dtype, want):
    z = (np.random.default_rng(0).standard_normal((3, 4)) * 3).astype(dtype)
    before = z.copy()
    out = f(z)
    assert out.dtype == want
    assert not np.shares_memory(out, z)
    np.testing.assert_array_equal(z, before)
