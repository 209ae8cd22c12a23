"""Tests for bpnet_lib.gradcheck: the finite-difference referee must itself be right,
must leave its input untouched, and must be able to fail."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from bpnet_lib.gradcheck import (
    check_gradients,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)

FAST = settings(max_examples=25, deadline=None)
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- numerical_gradient


@FAST
@given(shape=shapes, seed=seeds)
def test_numerical_gradient_of_sum_of_cubes(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    grad = numerical_gradient(lambda x: np.sum(x**3), x)
    assert grad.shape == shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-7, atol=1e-8)


@FAST
@given(shape=shapes, seed=seeds)
def test_numerical_gradient_of_sin(shape, seed):
    x = np.random.default_rng(seed).uniform(-3, 3, size=shape)
    grad = numerical_gradient(lambda x: np.sum(np.sin(x)), x)
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-6, atol=1e-9)


@FAST
@given(n=st.integers(1, 6), seed=seeds)
def test_numerical_gradient_of_quadratic_form(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))  # not symmetric: the answer is (A + A^T) x, not 2 A x
    x = rng.standard_normal(n)
    grad = numerical_gradient(lambda x: x @ A @ x, x)
    np.testing.assert_allclose(grad, (A + A.T) @ x, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_through_a_closure():
    # CS231n style: f ignores its argument and reads W from the enclosing scope.
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((5, 3)), rng.standard_normal((3, 2))
    grad = numerical_gradient(lambda _: np.sum((X @ W) ** 2), W)
    np.testing.assert_allclose(grad, 2 * X.T @ (X @ W), rtol=1e-7)


def test_numerical_gradient_of_a_scalar_array_and_an_empty_array():
    x = np.array(0.7)
    assert numerical_gradient(lambda x: float(x) ** 2, x) == pytest.approx(1.4, rel=1e-9)
    empty = np.zeros((0, 3))
    assert numerical_gradient(lambda x: 1.0, empty).shape == (0, 3)


def test_numerical_gradient_on_a_non_contiguous_view():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((4, 6))
    before = base.copy()
    x = base[:, ::2]  # every other column: a strided view
    grad = numerical_gradient(lambda x: np.sum(x**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-7, atol=1e-8)
    assert base.tobytes() == before.tobytes()


def _values_that_naive_restoring_would_change():
    """Values where x + h - 2h + h != x in float64, so only saving x_i restores it."""
    x = np.array([[0.1, 1 / 3, 2 / 7], [np.pi, -1e-3, 123.456]])
    h = 1e-5
    naive = ((x + h) - 2 * h) + h
    assert np.any(naive != x)  # the test below would catch a naive restore
    return x


def test_x_is_restored_bit_for_bit():
    x = _values_that_naive_restoring_would_change()
    before = x.copy()
    numerical_gradient(lambda x: np.sum(np.exp(x)), x)
    assert x.tobytes() == before.tobytes()
    numerical_gradient_array(np.tanh, x, np.ones_like(x) * 0.5)
    assert x.tobytes() == before.tobytes()


@pytest.mark.parametrize("calls_before_failure", [0, 1, 2, 5])
def test_x_is_restored_when_f_raises(calls_before_failure):
    x = _values_that_naive_restoring_would_change()
    before = x.copy()
    calls = []

    def f(x):
        if len(calls) == calls_before_failure:
            raise RuntimeError("boom")
        calls.append(1)
        return np.sum(x**2)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert x.tobytes() == before.tobytes()

    calls.clear()
    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient_array(lambda x: f(x) * x, x, np.ones_like(x))
    assert x.tobytes() == before.tobytes()


def test_x_is_restored_when_f_returns_a_non_scalar():
    x = _values_that_naive_restoring_would_change()
    before = x.copy()
    with pytest.raises(ValueError, match=r"f\(x\): expected a scalar, got an array of shape \(2, 3\)"):
        numerical_gradient(lambda x: x * 2, x)
    assert x.tobytes() == before.tobytes()


# ---------------------------------------------------------- numerical_gradient_array


@FAST
@given(n=st.integers(1, 4), d=st.integers(1, 4), m=st.integers(1, 4), seed=seeds)
def test_numerical_vjp_of_matrix_product(n, d, m, seed):
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((n, d)), rng.standard_normal((d, m))
    dout = rng.standard_normal((n, m))
    np.testing.assert_allclose(
        numerical_gradient_array(lambda x: x @ W, x, dout), dout @ W.T, rtol=1e-7, atol=1e-9
    )
    np.testing.assert_allclose(
        numerical_gradient_array(lambda _: x @ W, W, dout), x.T @ dout, rtol=1e-7, atol=1e-9
    )


@FAST
@given(shape=shapes, seed=seeds)
def test_numerical_vjp_of_tanh(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    dx = numerical_gradient_array(np.tanh, x, dout)
    np.testing.assert_allclose(dx, dout * (1 - np.tanh(x) ** 2), rtol=1e-6, atol=1e-9)


def test_numerical_vjp_when_f_returns_x_itself():
    # The identity returns the very array being perturbed; outputs must be copied.
    rng = np.random.default_rng(2)
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(numerical_gradient_array(lambda x: x, x, dout), dout, rtol=1e-9)


def test_numerical_vjp_changes_shape():
    # f maps (2, 3) -> (3,): dout has the output's shape, dx the input's.
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((2, 3)), rng.standard_normal(3)
    dx = numerical_gradient_array(lambda x: x.sum(axis=0), x, dout)
    np.testing.assert_allclose(dx, np.broadcast_to(dout, (2, 3)), rtol=1e-9)


def test_numerical_vjp_rejects_dout_of_the_wrong_shape():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"dout: expected shape \(3, 2\) \(the shape of f\(x\)\), got shape \(2, 3\)"):
        numerical_gradient_array(lambda x: x.T, x, np.ones((2, 3)))


# ------------------------------------------------------------- input validation


@pytest.mark.parametrize("fn", ["scalar", "array"])
def test_x_must_be_float64(fn):
    def call(x):
        if fn == "scalar":
            return numerical_gradient(lambda x: np.sum(x), x)
        return numerical_gradient_array(lambda x: x, x, np.ones(np.shape(x)))

    with pytest.raises(ValueError, match=r"x: expected a float64 array, got dtype float32; finite differences need float64"):
        call(np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"x: expected a float64 array, got dtype int64"):
        call(np.arange(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"x: expected a float64 ndarray \(it is perturbed in place\), got list"):
        call([1.0, 2.0])
    with pytest.raises(ValueError, match=r"x: expected a float64 ndarray \(it is perturbed in place\), got float"):
        call(1.0)
    read_only = np.ones(3)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=r"x: expected a writeable array \(it is perturbed in place\), got a read-only one"):
        call(read_only)
    with pytest.raises(ValueError, match=r"x: expected finite values, got 1 NaN and 0 infinite entries"):
        call(np.array([1.0, np.nan]))


@pytest.mark.parametrize("h", [0, -1e-5, np.inf, "1e-5", True])
def test_step_must_be_positive(h):
    with pytest.raises(ValueError, match=r"eps: expected a positive finite step such as 1e-5, got"):
        numerical_gradient(np.sum, np.ones(2), eps=h)


# --------------------------------------------------------------- relative_error


def test_relative_error_exact_values():
    a = np.array([[3.0, -4.0], [0.5, 2.0]])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, np.zeros_like(a)) == 1.0
    assert relative_error(np.zeros_like(a), a) == 1.0
    # ||(1,0) - (0,1)|| / (1 + 1) = sqrt(2) / 2
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2, rel=1e-15)
    # ||(3,4) - (0,0)...||: a = (3, 4), b = (3, 0): |(0, 4)| / (5 + 3) = 0.5
    assert relative_error([3.0, 4.0], [3.0, 0.0]) == 0.5


@FAST
@given(shape=shapes, seed=seeds, k=st.integers(-20, 20), c=st.floats(1e-3, 1e3))
def test_relative_error_properties(shape, seed, k, c):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    r = relative_error(a, b)
    assert 0.0 <= r <= 1.0  # triangle inequality
    assert relative_error(b, a) == r  # symmetric, exactly
    assert relative_error(2.0**k * a, 2.0**k * b) == r  # powers of two scale exactly
    assert relative_error(c * a, c * b) == pytest.approx(r, rel=1e-12)
    assert relative_error(-c * a, -c * b) == pytest.approx(r, rel=1e-12)
    assert relative_error(a, -a) == 1.0


def test_relative_error_is_not_fooled_by_entries_near_zero():
    # Elementwise |a-b|/|a| would be 1 on the first entry; both gradients are right.
    analytic = np.array([0.0, 2.0, -1.5])
    numerical = np.array([1e-11, 2.0 + 1e-10, -1.5])
    assert relative_error(analytic, numerical) < 1e-10


def test_relative_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"b: expected shape \(2, 3\) \(the shape of a\), got shape \(3, 2\)"):
        relative_error(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"a: expected finite values"):
        relative_error([np.nan], [1.0])


# -------------------------------------------------------------- check_gradients


def _affine(rng, n=5, d=4, m=4):
    x, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    return x, W, b


def test_check_gradients_passes_a_correct_backward():
    rng = np.random.default_rng(10)
    x, W, b = _affine(rng, n=5, d=3, m=4)
    args = (x, W, b)
    before = [a.copy() for a in args]
    errors = check_gradients(
        lambda x, W, b: np.tanh(x @ W + b),
        args,
        lambda dout: _tanh_affine_backward(dout, x, W, b),
    )
    assert len(errors) == 3 and max(errors) < 1e-8
    for a, a0 in zip(args, before):
        assert a.tobytes() == a0.tobytes()


def _tanh_affine_backward(dout, x, W, b):
    dz = dout * (1 - np.tanh(x @ W + b) ** 2)
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


def test_check_gradients_catches_a_transposed_weight_gradient():
    rng = np.random.default_rng(11)
    x, W, b = _affine(rng, d=4, m=4)  # square W, so the transposed gradient has the right shape

    def wrong_backward(dout):
        return dout @ W.T, (x.T @ dout).T, dout.sum(axis=0)

    with pytest.raises(AssertionError, match=r"argument 1 \(shape \(4, 4\)\): relative error \d\.\d{3}e[+-]\d+ > tol 1\.0e-07"):
        check_gradients(lambda x, W, b: x @ W + b, (x, W, b), wrong_backward)


def test_check_gradients_catches_a_factor_of_two():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 5))
    with pytest.raises(AssertionError, match=r"argument 0 \(shape \(3, 5\)\): relative error 3\.333e-01"):
        # 2 * correct against correct: ||g|| / (2||g|| + ||g||) = 1/3
        check_gradients(lambda x: x**2, (x,), lambda dout: (2 * (2 * x * dout),))


def test_check_gradients_names_every_failing_argument():
    rng = np.random.default_rng(13)
    x, W, b = _affine(rng)
    with pytest.raises(AssertionError) as info:
        check_gradients(
            lambda x, W, b: x @ W + b,
            (x, W, b),
            lambda dout: (dout @ W.T, 2 * x.T @ dout, -dout.sum(axis=0)),
        )
    message = str(info.value)
    assert "argument 0" not in message
    assert "argument 1 (shape (4, 4))" in message and "argument 2 (shape (4,))" in message
    assert "largest difference at index" in message


def test_random_dout_catches_what_dout_of_ones_hides():
    # dout.T instead of dout: invisible when dout is all ones (symmetric), caught otherwise.
    rng = np.random.default_rng(14)
    x, W = rng.standard_normal((4, 4)), rng.standard_normal((4, 4))

    def wrong_backward(dout):
        return (dout.T @ W.T, x.T @ dout)

    errors = check_gradients(lambda x, W: x @ W, (x, W), wrong_backward, dout=np.ones((4, 4)))
    assert max(errors) < 1e-8  # the trap: passes with ones
    with pytest.raises(AssertionError, match=r"argument 0 \(shape \(4, 4\)\)"):
        check_gradients(lambda x, W: x @ W, (x, W), wrong_backward)


def test_a_gradient_that_ignores_dout_fails():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 2))
    right_for_ones = (np.cos(x),)  # the gradient of sum(sin(x)), i.e. dout = 1
    with pytest.raises(AssertionError, match=r"argument 0 \(shape \(3, 2\)\)"):
        check_gradients(np.sin, (x,), lambda dout: right_for_ones)
    assert check_gradients(np.sin, (x,), lambda dout: (dout * np.cos(x),))[0] < 1e-8


def test_check_gradients_draws_dout_from_rng():
    rng = np.random.default_rng(16)
    x = rng.standard_normal((2, 3))
    seen = []

    def backward(dout):
        seen.append(dout)
        return (3 * x**2 * dout,)

    check_gradients(lambda x: x**3, (x,), backward)
    check_gradients(lambda x: x**3, (x,), backward, rng=None)
    check_gradients(lambda x: x**3, (x,), backward, rng=np.random.default_rng(1))
    check_gradients(lambda x: x**3, (x,), backward, rng=1)
    np.testing.assert_array_equal(seen[0], np.random.default_rng(0).standard_normal((2, 3)))
    np.testing.assert_array_equal(seen[0], seen[1])
    np.testing.assert_array_equal(seen[2], seen[3])
    assert not np.array_equal(seen[0], seen[2])
    assert not np.allclose(seen[0], 1.0)


def test_check_gradients_with_a_fixed_sequence():
    rng = np.random.default_rng(17)
    x, W = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    dout = rng.standard_normal((3, 4))
    errors = check_gradients(lambda x, W: x @ W, [x, W], [dout @ W.T, x.T @ dout], dout=dout)
    assert max(errors) < 1e-8
    # A scalar function needs no dout: the sequence is just its gradient.
    A = rng.standard_normal((2, 2))
    v = rng.standard_normal(2)
    assert check_gradients(lambda v: v @ A @ v, [v], [(A + A.T) @ v])[0] < 1e-8
    with pytest.raises(AssertionError, match=r"argument 0 \(shape \(2,\)\)"):
        check_gradients(lambda v: v @ A @ v, [v], [2 * A @ v])  # right only for symmetric A


def test_check_gradients_tolerance():
    rng = np.random.default_rng(18)
    x = rng.standard_normal(4)
    slightly_off = lambda dout: (dout * np.cos(x) * (1 + 1e-5),)  # noqa: E731
    with pytest.raises(AssertionError):
        check_gradients(np.sin, (x,), slightly_off)
    assert check_gradients(np.sin, (x,), slightly_off, tol=1e-4)[0] < 1e-4


def test_non_finite_outputs_raise_instead_of_passing():
    # A NaN would compare False with "> tol" and slip through; it is refused up front.
    x = np.array([1.0, -1.0])
    before = x.copy()
    with np.errstate(invalid="ignore"):
        with pytest.raises(ValueError, match=r"f\(x\): expected finite values, got 1 NaN"):
            check_gradients(lambda x: np.sum(np.sqrt(np.abs(x) - 1.0)), (x,), [np.zeros(2)])
    assert x.tobytes() == before.tobytes()


def test_check_gradients_validation():
    x, W = np.ones((2, 3)), np.ones((3, 3))
    fun = lambda x, W: x @ W  # noqa: E731
    dout = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"grads: expected 2 gradients \(one per argument\), got 1"):
        check_gradients(fun, (x, W), [x], dout=dout)
    with pytest.raises(ValueError, match=r"grads: expected 2 gradients \(one per argument\), got 3"):
        check_gradients(fun, (x, W), lambda d: (x, W, W), dout=dout)
    with pytest.raises(ValueError, match=r"grads\[1\]: expected shape \(3, 3\) \(the shape of args\[1\]\), got shape \(3,\)"):
        check_gradients(fun, (x, W), [x, np.ones(3)], dout=dout)
    with pytest.raises(ValueError, match=r"grads\[0\]: expected shape \(2, 3\) \(the shape of args\[0\]\), got shape \(3, 2\)"):
        check_gradients(fun, (x, W), [x.T, W], dout=dout)
    with pytest.raises(ValueError, match=r"dout: expected shape \(2, 3\) \(the shape of fun\(\*args\)\), got shape \(3, 2\)"):
        check_gradients(fun, (x, W), [x, W], dout=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"dout: expected the upstream gradient that the fixed grads were computed for \(fun returns shape \(2, 3\)\), got None"):
        check_gradients(fun, (x, W), [x, W])
    with pytest.raises(ValueError, match=r"args\[1\]: expected a float64 array, got dtype float32"):
        check_gradients(fun, (x, W.astype(np.float32)), [x, W], dout=dout)
    with pytest.raises(ValueError, match=r"tol: expected a non-negative number such as 1e-7, got -1"):
        check_gradients(fun, (x, W), [x, W], dout=dout, tol=-1)
    with pytest.raises(ValueError, match=r"eps: expected a positive finite step"):
        check_gradients(fun, (x, W), [x, W], dout=dout, eps=0.0)
    with pytest.raises(ValueError, match=r"grads\[0\]: expected finite values, got 6 NaN and 0 infinite entries"):
        check_gradients(fun, (x, W), [np.full((2, 3), np.nan), W], dout=dout)


# ------------------------------------------- issue 11: extreme scales and bad returns


def _unscaled_relative_error(a, b):
    """The formula as it was computed before issue 11, fine for ordinary inputs."""
    denom = max(np.linalg.norm(a) + np.linalg.norm(b), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denom)


@pytest.mark.parametrize("scale", [1e-300, 1e-170, 1e-160, 1.0, 1e160, 1e170, 1e300])
def test_relative_error_is_right_at_extreme_scales(scale):
    # Unscaled, the squares of 1e-170 underflow to 0 (err 0) and of 1e170 overflow (err nan).
    a = np.full(3, scale)
    assert relative_error(a, np.zeros(3)) == 1.0
    assert relative_error(np.zeros(3), a) == 1.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, a) == 0.0
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3, rel=1e-15)
    assert relative_error(2 * a, a) == pytest.approx(1 / 3, rel=1e-15)


def test_relative_error_at_the_ends_of_the_float_range():
    tiny = np.full(3, 5e-324)  # the smallest subnormal
    assert relative_error(tiny, np.zeros(3)) == 1.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    huge = np.full(3, np.finfo(np.float64).max)
    assert relative_error(huge, -huge) == 1.0  # huge - (-huge) overflows unscaled
    assert relative_error(huge, huge / 2) == pytest.approx(1 / 3, rel=1e-15)


@FAST
@given(shape=shapes, seed=seeds, k=st.integers(-100, 100))
def test_relative_error_is_unchanged_for_ordinary_inputs(shape, seed, k):
    # Scaling by a power of two is exact, so ordinary values keep their bits.
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 10.0**k
    b = a + rng.standard_normal(shape) * 10.0 ** (k - rng.integers(0, 12))
    assert relative_error(a, b) == _unscaled_relative_error(a, b)


def test_check_gradients_rejects_a_wrong_gradient_at_tiny_scale():
    # Issue 11: err(1e-170 d, 3e-170 d) came out 0, so a 3x-wrong gradient passed.
    with pytest.raises(AssertionError, match=r"argument 0 \(shape \(2, 2\)\): relative error 5\.000e-01"):
        check_gradients(lambda W: 1e-170 * W, [np.ones((2, 2))], lambda d: (3e-170 * d,))
    with pytest.raises(AssertionError, match=r"relative error 5\.000e-01"):
        check_gradients(lambda W: 1e170 * W, [np.ones((2, 2))], lambda d: (3e170 * d,))
    # ... and the right gradients still pass at both scales.
    for scale in (1e-170, 1e170):
        errors = check_gradients(lambda W: scale * W, [np.ones((2, 2))], lambda d: (scale * d,))
        assert errors[0] < 1e-9


def test_numerical_gradient_with_tiny_and_huge_values():
    x = np.array([1.0, -2.0])
    assert relative_error(numerical_gradient(lambda v: 1e-170 * np.sum(v**3), x),
                          1e-170 * 3 * x**2) < 1e-9
    assert relative_error(numerical_gradient(lambda v: 1e170 * np.sum(v**3), x),
                          1e170 * 3 * x**2) < 1e-9
    # Tiny points need no special step: the absolute step eps differentiates fine.
    t = np.array([1e-170, -3e-170])
    assert relative_error(numerical_gradient(lambda v: np.sum(5.0 * v), t), np.full(2, 5.0)) < 1e-9
    # Huge points need a step in proportion, and then agree.
    big = np.array([1e170, -2e170])
    assert relative_error(numerical_gradient(lambda v: np.sum(np.sin(v / 1e170)), big, eps=1e165),
                          np.cos(big / 1e170) / 1e170) < 1e-9


def test_a_step_lost_to_rounding_raises_instead_of_returning_zero():
    # x + 1e-5 == x at 1e170, so every difference was 0: a gradient of 0 for np.sum.
    msg = r"eps: expected a step that moves x\[1\] = 1e\+170, got eps = 1e-05, which float64 rounds away"
    for fn in (lambda x: numerical_gradient(np.sum, x),
               lambda x: numerical_gradient_array(lambda v: 2 * v, x, np.ones(2))):
        x = np.array([1.0, 1e170])
        with pytest.raises(ValueError, match=msg):
            fn(x)
        assert x.tolist() == [1.0, 1e170]  # restored
    with pytest.raises(ValueError, match=r"eps: expected a step that moves args\[0\]\[0, 0\] = 1e\+170"):
        check_gradients(lambda W: W, [np.full((2, 2), 1e170)], lambda d: (d,))


def test_numerical_gradient_divides_by_the_realised_step():
    # At 1e11 the step 1e-5 rounds to 1.53e-5 either way; dividing by 2e-5 gave 1.53, not 1.
    x = np.array([1e11])
    assert numerical_gradient(np.sum, x)[0] == 1.0
    assert numerical_gradient_array(lambda v: v, x, np.ones(1))[0] == 1.0


def test_overflowing_differences_raise():
    x = np.array([1.0])
    with np.errstate(over="ignore"):
        with pytest.raises(ValueError, match=r"f\(x\): expected a finite central difference at x\[0\]"):
            numerical_gradient(lambda v: 1.5e308 * np.sign(v[0] - 1.0), x)
        with pytest.raises(ValueError, match=r"f\(x\): expected a finite central difference at x\[0\]"):
            numerical_gradient_array(lambda v: 1.5e308 * np.sign(v - 1.0), x, np.ones(1))


@pytest.mark.parametrize(
    "value, error, message",
    [
        (None, TypeError, r"f\(x\): expected a real number, got NoneType"),
        ("1.0", TypeError, r"f\(x\): expected a real number, got str"),
        (1 + 2j, TypeError, r"f\(x\): expected a real number, got a complex number"),
        (np.array([1 + 0j]), TypeError, r"f\(x\): expected a real number, got a complex number"),
        (np.nan, ValueError, r"f\(x\): expected a finite number, got nan"),
        (np.inf, ValueError, r"f\(x\): expected a finite number, got inf"),
    ],
)
def test_numerical_gradient_names_a_bad_return_value(value, error, message):
    x = np.array([1.0, 2.0])
    with pytest.raises(error, match=message):
        numerical_gradient(lambda _: value, x)
    assert x.tolist() == [1.0, 2.0]


# --- issue 11: check_gradients names what it cannot use ------------------------------------


def test_check_gradients_names_args_grads_and_rng_that_are_not_what_it_needs():
    x = np.ones(2)
    with pytest.raises(TypeError, match=r"^args: expected a list of float64 arrays, one per "
                                        r"argument of fun, got int$"):
        check_gradients(lambda W: W, 5, lambda d: (d,))          # was "'int' object is not iterable"
    for returned, shown in ((None, "NoneType"), (5, "int"), (np.ones(2), "ndarray")):
        with pytest.raises(TypeError, match=re.escape(
                f"grads(dout): expected a sequence of 1 gradients (one per argument, e.g. a "
                f"tuple (dX,) for one), got {shown}")):
            check_gradients(lambda W: 2 * W, [x], lambda d, r=returned: r)
    with pytest.raises(TypeError, match=r"^grads: expected a sequence of 1 gradients"):
        check_gradients(lambda W: np.sum(W), [x], np.ones(2))   # the rows would be read as gradients
    with pytest.raises(TypeError, match=r"^rng: expected a numpy.random.Generator, an int seed "
                                        r"or None, got str$"):
        check_gradients(lambda W: W, [x], lambda d: (d,), rng="a")  # was a SeedSequence error
    assert check_gradients(lambda W: 2 * W, [x], lambda d: (2 * d,), rng=np.int64(3))[0] < 1e-9


def test_check_gradients_refuses_arguments_that_share_memory():
    # perturbing args[0] moved args[1] too, so a right gradient of W * V failed (error 1/3)
    a = np.full(2, 2.0)
    with pytest.raises(ValueError, match=re.escape(
            "args[1]: expected an array that shares no memory with args[0]")):
        check_gradients(lambda W, V: W * V, [a, a], lambda d: (d * a, d * a))
    P = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match=r"^args\[1\]: expected an array that shares no memory"):
        check_gradients(lambda U, V: U.sum() * V.sum(), [P[0], P[:, 1]], lambda d: (d, d))
    b = a.copy()
    errors = check_gradients(lambda W, V: W * V, [a, b], lambda d: (d * b, d * a))
    assert max(errors) < 1e-9
