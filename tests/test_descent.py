"""Tests for bpnet_lib.descent: the iterates of gradient descent on problems whose
path is known in closed form, convergence and divergence, dtypes and error messages."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib.descent import gradient_descent, heavy_ball

FAST = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def quadratic(n, rng):
    """g(theta) = 1/2 theta^T A theta - b^T theta with A symmetric positive definite."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(0.5, 3.0, size=n)
    A = (Q * lam) @ Q.T
    b = rng.standard_normal(n)
    return A, b, lam


@FAST
@given(n=st.integers(1, 5), steps=st.integers(0, 12), seed=seeds)
def test_iterates_of_a_quadratic_match_the_closed_form(n, steps, seed):
    # theta_t - theta* = (I - lr A)^t (theta_0 - theta*), exactly.
    rng = np.random.default_rng(seed)
    A, b, lam = quadratic(n, rng)
    lr = rng.uniform(0.1, 1.9) / lam.max()
    theta0 = rng.standard_normal(n)
    star = np.linalg.solve(A, b)
    thetas = gradient_descent(lambda th: A @ th - b, theta0, lr, steps)
    assert thetas.shape == (steps + 1, n) and thetas.dtype == np.float64
    M = np.eye(n) - lr * A
    expected = np.stack([star + np.linalg.matrix_power(M, t) @ (theta0 - star)
                         for t in range(steps + 1)])
    np.testing.assert_allclose(thetas, expected, rtol=1e-10, atol=1e-12)


def test_converges_below_two_over_the_largest_eigenvalue_and_diverges_above():
    rng = np.random.default_rng(0)
    A, b, lam = quadratic(4, rng)
    star = np.linalg.solve(A, b)
    grad = lambda th: A @ th - b
    good = gradient_descent(grad, np.zeros(4), 1.9 / lam.max(), 2000)
    np.testing.assert_allclose(good[-1], star, rtol=1e-10, atol=1e-12)
    bad = gradient_descent(grad, np.zeros(4), 2.1 / lam.max(), 200)
    assert np.linalg.norm(bad[-1] - star) > 100 * np.linalg.norm(star)


def test_stops_at_the_first_non_finite_iterate():
    thetas = gradient_descent(lambda th: th, np.array([1.0]), 1e4, 10_000)
    assert 1 < len(thetas) < 10_001
    assert np.all(np.isfinite(thetas))
    thetas = gradient_descent(lambda th: np.array([np.inf]), np.array([1.0]), 0.1, 5)
    assert thetas.shape == (1, 1)


def test_zero_steps_returns_the_start_and_the_start_is_not_modified():
    theta0 = np.array([1.0, -2.0])
    seen = []
    def grad(th):
        seen.append(th)
        th[0] = 99.0          # a careless grad_fn writing into its argument
        return np.ones(2)
    np.testing.assert_array_equal(gradient_descent(grad, theta0, 0.5, 0), [theta0])
    thetas = gradient_descent(grad, theta0, 0.5, 3)
    np.testing.assert_array_equal(theta0, [1.0, -2.0])
    np.testing.assert_allclose(thetas[:, 1], [-2.0, -2.5, -3.0, -3.5])


def test_float32_stays_float32_and_integers_become_float64():
    th32 = gradient_descent(lambda th: 2 * th, np.ones(3, dtype=np.float32), 0.25, 4)
    assert th32.dtype == np.float32
    np.testing.assert_allclose(th32[-1], 0.5**4, rtol=1e-6)
    th64 = gradient_descent(lambda th: 2 * th, [1, 2], 0.25, 1)
    assert th64.dtype == np.float64
    np.testing.assert_allclose(th64[-1], [0.5, 1.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(theta0=np.zeros((2, 2))), "theta0: expected a non-empty 1-D array of shape (P,), got shape (2, 2)"),
        (dict(theta0=np.zeros(0)), "theta0: expected a non-empty 1-D array of shape (P,), got shape (0,)"),
        (dict(theta0=[np.nan]), "theta0: expected finite values"),
        (dict(lr=0.0), "lr: expected a finite number > 0, got 0.0"),
        (dict(lr=-1), "lr: expected a finite number > 0, got -1"),
        (dict(lr=np.inf), "lr: expected a finite number > 0, got inf"),
        (dict(lr="0.1"), "lr: expected a positive number, got '0.1'"),
        (dict(lr=True), "lr: expected a positive number, got True"),
        (dict(steps=-1), "steps: expected an integer >= 0, got -1"),
        (dict(steps=2.0), "steps: expected an integer >= 0, got 2.0"),
        (dict(grad_fn=lambda th: np.zeros(3)), "grad_fn: expected a real array of theta's shape (2,), got shape (3,)"),
        (dict(grad_fn=lambda th: "no"), "grad_fn: expected a real array of theta's shape (2,), got shape ()"),
    ],
)
def test_bad_input_raises_a_value_error_naming_what_was_expected(kwargs, match):
    args = dict(grad_fn=lambda th: th, theta0=np.zeros(2), lr=0.1, steps=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=re.escape(match)):
        gradient_descent(**args)


@FAST
@given(n=st.integers(1, 5), steps=st.integers(0, 12), beta=st.floats(0.0, 0.95), seed=seeds)
def test_heavy_ball_iterates_of_a_quadratic_match_the_block_matrix_power(n, steps, beta, seed):
    # (theta_{t+1} - s, theta_t - s) = [[(1 + beta) I - lr A, -beta I], [I, 0]] (theta_t - s, theta_{t-1} - s)
    rng = np.random.default_rng(seed)
    A, b, lam = quadratic(n, rng)
    lr = rng.uniform(0.1, 1.9) / lam.max()
    theta0 = rng.standard_normal(n)
    star = np.linalg.solve(A, b)
    thetas = heavy_ball(lambda th: A @ th - b, theta0, lr, beta, steps)
    assert thetas.shape == (steps + 1, n)
    Phi = np.block([[(1 + beta) * np.eye(n) - lr * A, -beta * np.eye(n)], [np.eye(n), np.zeros((n, n))]])
    state = np.concatenate([theta0 - star, theta0 - star])  # theta_{-1} = theta_0
    expected = [theta0]
    for _ in range(steps):
        state = Phi @ state
        expected.append(star + state[:n])
    np.testing.assert_allclose(thetas, np.array(expected), rtol=1e-10, atol=1e-12)


def test_heavy_ball_without_momentum_is_gradient_descent_and_with_it_is_faster():
    rng = np.random.default_rng(1)
    A, b, lam = quadratic(3, rng)
    A = A + np.diag([0.0, 0.0, 40.0])  # ill-conditioned
    grad = lambda th: A @ th - b
    lam = np.linalg.eigvalsh(A)
    np.testing.assert_array_equal(heavy_ball(grad, np.zeros(3), 0.01, 0.0, 20),
                                  gradient_descent(grad, np.zeros(3), 0.01, 20))
    star = np.linalg.solve(A, b)
    # the optimal parameters of the chapter's theorem: rate (sqrt(L) - sqrt(l)) / (sqrt(L) + sqrt(l))
    lr = 4 / (np.sqrt(lam.max()) + np.sqrt(lam.min())) ** 2
    beta = ((np.sqrt(lam.max()) - np.sqrt(lam.min())) / (np.sqrt(lam.max()) + np.sqrt(lam.min()))) ** 2
    hb = heavy_ball(grad, np.zeros(3), lr, beta, 150)
    gd = gradient_descent(grad, np.zeros(3), 2 / (lam.max() + lam.min()), 150)
    assert np.linalg.norm(hb[-1] - star) < 1e-8 < np.linalg.norm(gd[-1] - star)


def test_heavy_ball_stops_at_the_first_non_finite_iterate_and_checks_its_input():
    thetas = heavy_ball(lambda th: th, np.array([1.0]), 1e4, 0.5, 10_000)
    assert 1 < len(thetas) < 10_001 and np.all(np.isfinite(thetas))
    assert heavy_ball(lambda th: 2 * th, np.ones(2, dtype=np.float32), 0.1, 0.5, 3).dtype == np.float32
    for beta, match in [(1.0, "momentum: expected a number in \\[0, 1\\), got 1.0"),
                        (-0.1, "momentum: expected a number in \\[0, 1\\)"), (True, "momentum")]:
        with pytest.raises(ValueError, match=match):
            heavy_ball(lambda th: th, np.zeros(2), 0.1, beta, 3)
    with pytest.raises(ValueError, match=re.escape("grad_fn: expected a real array of theta's shape (2,)")):
        heavy_ball(lambda th: np.zeros(3), np.zeros(2), 0.1, 0.5, 3)
    with pytest.raises(ValueError, match="lr: expected a finite number > 0"):
        heavy_ball(lambda th: th, np.zeros(2), 0.0, 0.5, 3)
