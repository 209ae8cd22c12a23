"""Tests for bpnet_lib.optim: SGD, momentum and weight decay against hand computation,
in-place updates on real models, and error messages."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import bpnet as bp
from bpnet_lib import network as nn
from bpnet_lib.descent import heavy_ball
from bpnet_lib.optim import SGD


class Fixed:
    """A 'model' whose gradients are set by hand."""

    def __init__(self, **params):
        self.p = {k: np.array(v, dtype=float) for k, v in params.items()}
        self.g = {k: np.zeros_like(v) for k, v in self.p.items()}

    def params(self):
        return self.p

    def grads(self):
        return self.g


def test_plain_sgd_by_hand():
    m = Fixed(w=[1.0, -2.0], b=[0.5])
    opt = SGD(m, lr=0.1)
    m.g["w"][...] = [0.5, 1.0]
    m.g["b"][...] = [-3.0]
    w = m.p["w"]
    opt.step()
    assert m.p["w"] is w  # updated in place
    np.testing.assert_allclose(m.p["w"], [0.95, -2.1])
    np.testing.assert_allclose(m.p["b"], [0.8])


def test_momentum_by_hand():
    # v1 = -0.05, -0.1; v2 = 0.9 v1 - 0.1 g = -0.095, -0.19; v3 = -0.1355, -0.271
    m = Fixed(w=[1.0, -2.0])
    opt = SGD(m, lr=0.1, momentum=0.9)
    m.g["w"][...] = [0.5, 1.0]
    expected = [[0.95, -2.1], [0.855, -2.29], [0.7195, -2.561]]
    for want in expected:
        opt.step()
        np.testing.assert_allclose(m.p["w"], want, rtol=1e-14)
    np.testing.assert_allclose(opt.velocity["w"], [-0.1355, -0.271], rtol=1e-14)


def test_weight_decay_by_hand():
    m = Fixed(w=[2.0, -1.0])
    opt = SGD(m, lr=0.1, momentum=0.5, weight_decay=0.01)
    m.g["w"][...] = [1.0, 1.0]
    opt.step()  # g + 0.01 w = [1.02, 0.99]; v = -0.1 g
    np.testing.assert_allclose(m.p["w"], [2.0 - 0.102, -1.0 - 0.099])
    opt.step()  # v = 0.5 v - 0.1 (g + 0.01 w)
    v2 = 0.5 * np.array([-0.102, -0.099]) - 0.1 * (1 + 0.01 * np.array([1.898, -1.099]))
    np.testing.assert_allclose(m.p["w"], np.array([1.898, -1.099]) + v2)


def test_equals_the_pytorch_form_of_momentum():
    rng = np.random.default_rng(0)
    lr, beta, wd = 0.05, 0.8, 1e-3
    m = Fixed(w=rng.standard_normal((3, 2)))
    theta, buf = m.p["w"].copy(), np.zeros((3, 2))
    opt = SGD(m, lr=lr, momentum=beta, weight_decay=wd)
    for _ in range(20):
        g = rng.standard_normal((3, 2))
        m.g["w"][...] = g
        opt.step()
        buf = beta * buf + (g + wd * theta)  # v <- beta v + g, theta <- theta - lr v
        theta = theta - lr * buf
    np.testing.assert_allclose(m.p["w"], theta, rtol=1e-12)


def test_momentum_speeds_up_an_ill_conditioned_quadratic():
    A = np.diag([1.0, 100.0])  # loss 1/2 w^T A w, gradient A w, condition number 100

    def steps(momentum, lr):
        m = Fixed(w=[1.0, 1.0])
        opt = SGD(m, lr=lr, momentum=momentum)
        for t in range(1, 2000):
            m.g["w"][...] = A @ m.p["w"]
            opt.step()
            if np.linalg.norm(m.p["w"]) < 1e-6:
                return t
        return np.inf

    plain, heavy = steps(0.0, 1 / 100), steps(0.8, 1 / 100)
    assert heavy < plain / 3


def test_updates_a_sequential_and_a_bpnet_in_place():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))
    X, dY = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    before = {k: v.copy() for k, v in model.params().items()}
    model.forward(X)
    model.backward(dY)
    SGD(model, lr=0.3).step()
    for k, v in model.params().items():
        np.testing.assert_allclose(v, before[k] - 0.3 * model.grads()[k])
    assert model.params()["0.W"] is model[0].W

    net = bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=rng)
    B1 = net.B[0].copy()
    (G1, _) = net.loss_and_grads(X, rng.integers(0, 2, 5))[1]
    SGD(net, lr=0.1).step()
    np.testing.assert_allclose(net.B[0], B1 - 0.1 * G1)


def test_learning_rate_can_change_between_steps():
    m = Fixed(w=[1.0])
    opt = SGD(m, lr=0.1)
    m.g["w"][...] = [1.0]
    opt.step()
    opt.lr = 0.5
    opt.step()
    np.testing.assert_allclose(m.p["w"], [1.0 - 0.1 - 0.5])
    opt.zero_grad()
    assert m.g["w"][0] == 0


def test_errors():
    m = Fixed(w=[1.0])
    for kw, match in [({"lr": 0.0}, "lr"), ({"lr": -1}, "lr"), ({"lr": "0.1"}, "lr"),
                      ({"lr": 0.1, "momentum": 1.0}, "momentum"),
                      ({"lr": 0.1, "momentum": -0.1}, "momentum"),
                      ({"lr": 0.1, "weight_decay": -1e-4}, "weight_decay")]:
        with pytest.raises(ValueError, match=match):
            SGD(m, **kw)
    with pytest.raises(ValueError, match="params\\(\\) and grads\\(\\)"):
        SGD(object(), lr=0.1)
    bad = Fixed(w=[1.0])
    bad.g = {"v": np.zeros(1)}
    with pytest.raises(ValueError, match="same keys"):
        SGD(bad, lr=0.1).step()
    bad.g = {"w": np.zeros(2)}
    with pytest.raises(ValueError, match="expected the shape"):
        SGD(bad, lr=0.1).step()
    opt = SGD(m, lr=0.1)
    opt.lr = 0
    with pytest.raises(ValueError, match="lr"):
        opt.step()


def test_decay_filter_decays_only_the_chosen_parameters():
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))
    for p in model.params().values():
        p += rng.standard_normal(p.shape)  # nonzero biases, so decaying them would show
    X, dY = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    model.forward(X)
    model.backward(dY)
    before = {k: v.copy() for k, v in model.params().items()}
    SGD(model, lr=0.1, weight_decay=0.3, decay_filter=lambda name: name.endswith("W")).step()
    for k, v in model.params().items():
        decay = 0.3 * before[k] if k.endswith("W") else 0.0
        np.testing.assert_allclose(v, before[k] - 0.1 * (model.grads()[k] + decay), rtol=1e-14)
    assert not np.allclose(model.params()["0.b"], before["0.b"] - 0.1 * (model.grads()["0.b"] + 0.3 * before["0.b"]))
    with pytest.raises(ValueError, match="decay_filter: expected a function"):
        SGD(model, lr=0.1, decay_filter="W")


@settings(max_examples=20, deadline=None)
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 4)), beta=st.floats(0.0, 0.95),
       wd=st.floats(0.0, 0.1), seed=st.integers(0, 2**32 - 1))
def test_momentum_and_decay_give_the_heavy_ball_on_the_penalised_quadratic(shape, beta, wd, seed):
    """SGD's velocity form equals descent.heavy_ball's two-step recursion on L + wd/2 |theta|^2."""
    rng = np.random.default_rng(seed)
    n = shape[0] * shape[1]
    M = rng.standard_normal((n, n))
    A = M @ M.T / n + np.eye(n)
    c = rng.standard_normal(n)
    m = Fixed(w=rng.standard_normal(shape))
    start = m.p["w"].ravel().copy()
    opt = SGD(m, lr=0.05, momentum=beta, weight_decay=wd)
    path = [start]
    for _ in range(15):
        m.g["w"][...] = (A @ m.p["w"].ravel() - c).reshape(shape)
        opt.step()
        path.append(m.p["w"].ravel().copy())
    expected = heavy_ball(lambda th: A @ th - c + wd * th, start, 0.05, beta, 15)
    np.testing.assert_allclose(np.array(path), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("attr, value", [
    ("momentum", 1.5), ("momentum", 1.0), ("momentum", -0.1), ("momentum", np.nan), ("momentum", "0.9"),
    ("weight_decay", -1e-3), ("weight_decay", np.inf), ("weight_decay", None), ("lr", np.nan),
])
def test_step_revalidates_hyper_parameters_changed_after_construction(attr, value):
    # issue 11: opt.momentum = 1.5 made the iterates diverge without a word
    m = Fixed(w=[1.0, 2.0])
    m.g["w"][:] = [0.5, -0.5]
    opt = SGD(m, lr=0.1, momentum=0.5, weight_decay=1e-3)
    setattr(opt, attr, value)
    with pytest.raises(ValueError, match=f"^{attr}: expected a number in"):
        opt.step()
    assert m.p["w"].tolist() == [1.0, 2.0]  # nothing was updated


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_step_refuses_non_finite_gradients_naming_the_parameter(bad):
    m = Fixed(w=[1.0, 2.0], b=[0.5])
    m.g["b"][0] = bad
    opt = SGD(m, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=re.escape("grads()['b']: expected finite values, got")):
        opt.step()
    # checked before any update: no parameter and no velocity was touched
    assert m.p["w"].tolist() == [1.0, 2.0] and m.p["b"].tolist() == [0.5]
    assert opt.velocity == {}


class Custom:
    """A custom model that returns whatever arrays it holds, as a reader's own class might."""

    def __init__(self, W, dW, b=(0.5,)):
        self.b, self.db = np.array(b, dtype=float), np.ones(len(b))
        self.W, self.dW = W, dW

    def params(self):
        return {"b": self.b, "W": self.W}

    def grads(self):
        return {"b": self.db, "W": self.dW}


def _read_only(values):
    a = np.array(values, dtype=float)
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("W, error, message", [
    (_read_only([1.0, 2.0]), ValueError,
     "params()['W']: expected a writeable array (it is updated in place), got a read-only one"),
    (np.array([1, 2]), TypeError,
     "params()['W']: expected a floating-point array (it is updated in place by fractional "
     "steps), got dtype int64"),
    (np.array([1 + 0j, 2]), TypeError,
     "params()['W']: expected a floating-point array (it is updated in place by fractional "
     "steps), got dtype complex128"),
    ([1.0, 2.0], TypeError,
     "params()['W']: expected the model's own float ndarray (it is updated in place), got list"),
])
def test_step_refuses_a_parameter_it_cannot_update_naming_it(W, error, message):
    # issue 11: NumPy errors ("output array is read-only", a ufunc casting error,
    # "'list' object has no attribute 'shape'") that did not say which parameter
    m = Custom(W, np.ones(2))
    opt = SGD(m, lr=0.1, momentum=0.9)
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        opt.step()
    assert m.b.tolist() == [0.5] and opt.velocity == {}  # nothing updated before the check


@pytest.mark.parametrize("dW, message", [
    (None, "grads()['W']: expected an array of numbers, got dtype object"),
    (np.array(["a", "b"]), "grads()['W']: expected an array of numbers, got dtype <U1"),
    (np.array([1j, 0]), "grads()['W']: expected real numbers, got dtype complex128"),
    ([1.0], "grads()['W']: expected the shape of the parameter (2,), got (1,)"),
])
def test_step_refuses_a_gradient_that_is_not_real_numbers_naming_it(dW, message):
    m = Custom(np.array([1.0, 2.0]), dW)
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        SGD(m, lr=0.1).step()
    assert m.b.tolist() == [0.5] and m.W.tolist() == [1.0, 2.0]


def test_step_accepts_gradients_given_as_lists_or_ints():
    m = Custom(np.array([1.0, 2.0]), [1, -1])
    SGD(m, lr=0.5).step()
    assert m.W.tolist() == [0.5, 2.5] and m.b.tolist() == [0.0]


def test_decay_filter_must_return_a_bool():
    # a filter returning "no" (truthy) decayed the parameter it meant to spare
    m = Fixed(w=[1.0, 2.0], b=[0.5])
    opt = SGD(m, lr=0.1, weight_decay=0.1, decay_filter=lambda name: "no" if name == "b" else True)
    with pytest.raises(TypeError, match=re.escape("decay_filter: expected True or False for 'b', got str 'no'")):
        opt.step()
    assert m.p["w"].tolist() == [1.0, 2.0] and m.p["b"].tolist() == [0.5]  # nothing updated
    SGD(m, lr=0.1, weight_decay=0.1, decay_filter=lambda name: np.bool_(name == "w")).step()
    assert m.p["w"].tolist() == pytest.approx([0.99, 1.98]) and m.p["b"].tolist() == [0.5]


def test_zero_grad_names_a_gradient_it_cannot_zero():
    m = Custom(np.array([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(TypeError, match=re.escape("grads()['W']: expected a writeable ndarray to set to zero, got list")):
        SGD(m, lr=0.1).zero_grad()
    assert m.db.tolist() == [1.0]      # checked before any gradient was zeroed
