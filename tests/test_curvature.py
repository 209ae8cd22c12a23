"""Tests for bpnet_lib.curvature: flat parameter vectors, gradient functions, finite-difference
and R-operator Hessian-vector products against closed forms and each other, dense Hessians and
power iteration."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import curvature, losses
from bpnet_lib import network as nn
from bpnet_lib.activations import softmax
from bpnet_lib.gradcheck import relative_error

FAST = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)
ACTIVATIONS = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def mlp(widths, act, rng, jitter=0.3):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b, rng=rng, init="glorot"))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[act]())
    model = nn.Sequential(*layers)
    for p in model.params().values():  # nonzero biases, so no symmetry hides a wrong rule
        p += jitter * rng.standard_normal(p.shape)
    return model


def problem(rng, widths=(4, 5, 3), act="tanh", N=7):
    model = mlp(list(widths), act, rng)
    X = rng.standard_normal((N, widths[0]))
    y = rng.integers(0, widths[-1], N)
    return model, X, y


def test_parameter_vector_round_trip_and_copy():
    rng = np.random.default_rng(0)
    model, _, _ = problem(rng)
    theta = curvature.parameter_vector(model)
    assert theta.shape == (model.num_parameters(),)
    np.testing.assert_array_equal(theta, np.concatenate([p.ravel() for p in model.params().values()]))
    theta[0] += 1.0  # a copy: the model does not move
    assert model.params()["0.W"].ravel()[0] != theta[0]
    new = rng.standard_normal(theta.size)
    W = model.params()["0.W"]
    curvature.set_parameter_vector(model, new)
    assert model.params()["0.W"] is W  # in place
    np.testing.assert_array_equal(curvature.parameter_vector(model), new)
    with pytest.raises(ValueError, match=rf"theta: expected shape \({theta.size},\)"):
        curvature.set_parameter_vector(model, new[:-1])
    with pytest.raises(ValueError, match="params"):
        curvature.parameter_vector(object())


def test_gradient_function_matches_backward_and_restores_the_parameters():
    rng = np.random.default_rng(1)
    model, X, y = problem(rng)
    theta0 = curvature.parameter_vector(model)
    grad = curvature.gradient_function(model, losses.softmax_cross_entropy, X, y)
    theta = theta0 + 0.1 * rng.standard_normal(theta0.size)
    g = grad(theta)
    np.testing.assert_array_equal(curvature.parameter_vector(model), theta0)  # put back
    curvature.set_parameter_vector(model, theta)
    loss, dS = losses.softmax_cross_entropy(model.forward(X), y)
    model.backward(dS)
    np.testing.assert_array_equal(g, np.concatenate([v.ravel() for v in model.grads().values()]))
    assert grad.loss(theta) == loss and grad.calls == 1


@FAST
@given(P=st.integers(1, 6), seed=seeds)
def test_hvp_of_a_quadratic_is_the_matrix_product(P, seed):
    # The gradient A theta - b is linear, so the central difference has no truncation error.
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((P, P))
    A, b = M + M.T, rng.standard_normal(P)
    calls = []
    def grad(th):
        calls.append(1)
        return A @ th - b
    theta, d = rng.standard_normal(P), rng.standard_normal(P)
    np.testing.assert_allclose(curvature.hvp(grad, theta, d), A @ d, rtol=1e-7, atol=1e-8)
    assert len(calls) == 2  # two gradients, whatever P is
    np.testing.assert_array_equal(curvature.hvp(grad, theta, np.zeros(P)), np.zeros(P))
    assert len(calls) == 2  # a zero direction costs nothing
    np.testing.assert_allclose(curvature.hessian(grad, theta), A, rtol=1e-7, atol=1e-8)


@FAST
@given(act=st.sampled_from(["tanh", "sigmoid"]), depth=st.integers(1, 3), N=st.integers(1, 6),
       seed=seeds)
def test_hvp_rop_agrees_with_finite_differences_on_smooth_networks(act, depth, N, seed):
    rng = np.random.default_rng(seed)
    widths = [int(w) for w in rng.integers(1, 5, depth + 1)] + [int(rng.integers(2, 4))]
    model, X, y = problem(rng, widths, act, N)
    theta = curvature.parameter_vector(model)
    d = rng.standard_normal(theta.size)
    grad = curvature.gradient_function(model, losses.softmax_cross_entropy, X, y)
    exact = curvature.hvp_rop(model, X, y, d)
    assert relative_error(curvature.hvp(grad, theta, d), exact) < 1e-6
    np.testing.assert_array_equal(curvature.parameter_vector(model), theta)  # not modified


def test_hvp_rop_on_relu_networks_away_from_kinks():
    # With eps = 1e-7 and these seeds no hidden unit changes sign between theta +- eps d.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        model, X, y = problem(rng, (6, 8, 5, 4), "relu", 9)
        theta = curvature.parameter_vector(model)
        d = rng.standard_normal(theta.size)
        grad = curvature.gradient_function(model, losses.softmax_cross_entropy, X, y)
        assert relative_error(curvature.hvp(grad, theta, d, eps=1e-7), curvature.hvp_rop(model, X, y, d)) < 1e-6


def test_hvp_rop_of_softmax_regression_equals_the_closed_form():
    # One Linear layer: H = (1/N) sum_n (x_n x_n^T) kron (diag p_n - p_n p_n^T) on (W, b)
    # with the bias as an extra input 1 (params order: W row-major, then b).
    rng = np.random.default_rng(2)
    D, K, N = 3, 4, 11
    model = nn.Sequential(nn.Linear(D, K, rng=rng))
    model[0].b[...] = rng.standard_normal(K)
    X, y = rng.standard_normal((N, D)), rng.integers(0, K, N)
    P_ = softmax(model.forward(X), axis=1)
    Hw = sum(np.kron(np.outer(x, x), np.diag(p) - np.outer(p, p)) for x, p in zip(X, P_)) / N
    Hwb = sum(np.kron(x[:, None], np.diag(p) - np.outer(p, p)) for x, p in zip(X, P_)) / N
    Hb = sum(np.diag(p) - np.outer(p, p) for p in P_) / N
    H = np.block([[Hw, Hwb], [Hwb.T, Hb]])
    for _ in range(3):
        d = rng.standard_normal(D * K + K)
        np.testing.assert_allclose(curvature.hvp_rop(model, X, y, d), H @ d, rtol=1e-12, atol=1e-14)


def test_hvp_rop_is_linear_and_symmetric():
    rng = np.random.default_rng(3)
    model, X, y = problem(rng, (5, 6, 4, 3), "sigmoid", 8)
    P = model.num_parameters()
    d, e = rng.standard_normal(P), rng.standard_normal(P)
    Hd, He = curvature.hvp_rop(model, X, y, d), curvature.hvp_rop(model, X, y, e)
    np.testing.assert_allclose(curvature.hvp_rop(model, X, y, 2 * d - 3 * e), 2 * Hd - 3 * He,
                               rtol=1e-10, atol=1e-12)
    assert abs(e @ Hd - d @ He) < 1e-12 * (abs(e @ Hd) + 1)  # e^T H d = d^T H e


def test_dense_hessian_is_symmetric_and_matches_rop_columns():
    rng = np.random.default_rng(4)
    model, X, y = problem(rng, (3, 4, 3), "tanh", 6)
    theta = curvature.parameter_vector(model)
    grad = curvature.gradient_function(model, losses.softmax_cross_entropy, X, y)
    H_fd = curvature.hessian(grad, theta)
    H_rop = np.column_stack([curvature.hvp_rop(model, X, y, e) for e in np.eye(theta.size)])
    np.testing.assert_allclose(H_rop, H_rop.T, atol=1e-14)
    assert relative_error(H_fd, H_rop) < 1e-7
    assert grad.calls == 2 * theta.size


def test_power_iteration_finds_the_eigenvalue_of_largest_magnitude():
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    for eigenvalues in ([5.0, 2.0, 1.0, 0.5, -1.0, -0.5, 0.1, 0.0],      # positive dominant
                        [-6.0, 2.0, 1.0, 0.5, -1.0, -0.5, 0.1, 3.0]):    # negative dominant
        A = (Q * eigenvalues) @ Q.T
        estimate, d, history = curvature.power_iteration(lambda v: A @ v, 8, steps=500, rng=1)
        top = eigenvalues[int(np.argmax(np.abs(eigenvalues)))]
        assert abs(estimate - top) < 1e-10 * abs(top)
        assert abs(abs(d @ Q[:, int(np.argmax(np.abs(eigenvalues)))]) - 1) < 1e-8
        assert history.ndim == 1 and 2 <= len(history) <= 500  # tol=0: until two estimates are equal
        assert history[-1] == estimate
    loose, _, history_loose = curvature.power_iteration(lambda v: A @ v, 8, steps=500, rng=1, tol=1e-6)
    assert len(history_loose) < len(history) and abs(loose + 6) < 1e-4  # stopped earlier, close


@pytest.mark.parametrize("call, match", [
    (lambda: curvature.hvp(lambda t: t, np.zeros(2), np.ones(3)), r"d: expected a 1-D array of shape \(2,\)"),
    (lambda: curvature.hvp(lambda t: t, np.zeros(2), np.ones(2), eps=0), "eps: expected a positive"),
    (lambda: curvature.hvp(lambda t: np.ones(3), np.zeros(2), np.ones(2)), r"grad_fn: expected a gradient of shape \(2,\)"),
    (lambda: curvature.power_iteration(lambda v: v, 0), "P: expected a positive integer"),
    (lambda: curvature.power_iteration(lambda v: v, 2, steps=0), "steps: expected a positive integer"),
    (lambda: curvature.power_iteration(lambda v: v, 2, tol=-1), "tol: expected a number >= 0"),
    (lambda: curvature.power_iteration(lambda v: v[:1], 2), r"matvec: expected a product of shape \(2,\)"),
    (lambda: curvature.power_iteration(lambda v: v, 2, rng="a"), "rng: expected"),
    (lambda: curvature.gradient_function(object(), None, None, None), "model: expected an object"),
])
def test_bad_input_raises_a_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_hvp_rop_rejects_what_it_cannot_differentiate():
    rng = np.random.default_rng(6)
    model, X, y = problem(rng)
    with pytest.raises(ValueError, match="model: expected a Sequential"):
        curvature.hvp_rop(model[0], X, y, np.zeros(model[0].num_parameters()))
    with_dropout = nn.Sequential(nn.Linear(4, 3, rng=0), nn.Dropout(0.5, rng=0), nn.Linear(3, 2, rng=0))
    with pytest.raises(ValueError, match="layer 1"):
        curvature.hvp_rop(with_dropout, X, y, np.zeros(with_dropout.num_parameters()))
    with pytest.raises(ValueError, match=r"d: expected a 1-D array of shape"):
        curvature.hvp_rop(model, X, y, np.zeros(3))
    with pytest.raises(ValueError, match=r"y: expected integer labels of shape \(7,\)"):
        curvature.hvp_rop(model, X, y[:3], np.zeros(model.num_parameters()))
    with pytest.raises(ValueError, match="X: expected 4 features"):
        curvature.hvp_rop(model, X[:, :2], y, np.zeros(model.num_parameters()))
