"""Tests for bpnet_lib.bpnet: the B-matrix formulation against finite differences, against
Sequential (to 1e-12), per-sample against matrix form, and the ones column's (lack of)
gradient."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bpnet_lib import bpnet as bp
from bpnet_lib import losses as Lo
from bpnet_lib import network as nn
from bpnet_lib import optim
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)
HIDDEN = ["identity", "relu", "sigmoid", "tanh", "elu"]


def make_net(rng, widths, acts, loss, reduction):
    net = bp.BPNet(widths, acts, loss=loss, reduction=reduction, rng=rng)
    for B in net.B:
        B[0] = 0.3 * rng.standard_normal(B.shape[1])  # non-zero bias rows
    return net


def targets(rng, net, N):
    K = net.widths[-1]
    if net.loss_name == "cross_entropy":
        return rng.dirichlet(np.ones(K), size=N) if rng.random() < 0.5 else rng.integers(0, K, N)
    return rng.standard_normal((N, K))


def away_from_kinks(net, X):
    net.forward(X)
    for k, g in enumerate(net.activations, start=1):
        if g in ("relu", "elu") and np.min(np.abs(net.Z[k])) < 1e-3:
            return False
    return True


def gradients_resolvable(net, X, H, h=1e-5, tol=1e-7):
    """True when every gradient is large enough for central differences to resolve.

    The central difference carries a rounding error of up to about eps * |J| / h (about
    2e-11 * |J| for h = 1e-5). For the relative error to stay below ``tol`` whatever that
    rounding does, a gradient's norm must exceed noise / tol, about 2e-4 * |J|. Smaller
    gradients (a saturated width-1 tanh layer, say) cannot be checked to 1e-7 by any
    correct implementation, so such draws are skipped rather than tolerated.
    """
    net.forward(X)
    J = abs(float(net.loss(H)))
    noise = np.finfo(np.float64).eps * max(J, 1.0) / h
    dB = net.backward(H)
    return all(np.linalg.norm(g) > noise / tol for g in [net.dY[0], *dB])


def check_net(net, X, H, rng, wrt_X=True):
    """Gradient check of c * J with respect to every B^(k) (and X) for a random scalar c."""
    c = rng.uniform(0.5, 2.0) * rng.choice([-1, 1])
    J = lambda *_: c * (net.forward(X), net.loss(H))[1]  # noqa: E731
    net.forward(X)
    dB = net.backward(H)
    args, grads = list(net.B), [c * G for G in dB]
    if wrt_X:
        args, grads = [X] + args, [c * net.dY[0]] + grads
    return check_gradients(J, args, grads)


@st.composite
def networks(draw):
    widths = draw(st.lists(st.integers(1, 5), min_size=2, max_size=5))
    loss = draw(st.sampled_from(["cross_entropy", "mse"]))
    if loss == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    acts = draw(st.lists(st.sampled_from(HIDDEN), min_size=len(widths) - 2, max_size=len(widths) - 2))
    out = "softmax" if loss == "cross_entropy" else draw(
        st.sampled_from(["identity", "sigmoid", "tanh", "softmax"]))
    return widths, acts + [out], loss, draw(st.sampled_from(["sum", "mean"]))


# --- gradients ------------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 5), spec=networks())
def test_gradients_match_finite_differences(seed, N, spec):
    widths, acts, loss, reduction = spec
    rng = np.random.default_rng(seed)
    net = make_net(rng, widths, acts, loss, reduction)
    X, H = rng.standard_normal((N, widths[0])), targets(rng, net, N)
    assume(away_from_kinks(net, X))
    assume(gradients_resolvable(net, X, H))
    assert max(check_net(net, X, H, rng)) < 1e-7


@FAST
@given(seed=seeds, N=st.integers(1, 5), spec=networks())
def test_per_sample_gradients_sum_to_the_matrix_form(seed, N, spec):
    widths, acts, loss, reduction = spec
    rng = np.random.default_rng(seed)
    net = make_net(rng, widths, acts, loss, reduction)
    X, H = rng.standard_normal((N, widths[0])), targets(rng, net, N)
    J, dB = net.loss_and_grads(X, H)
    summed = [np.zeros_like(B) for B in net.B]
    for n in range(N):
        for S, G in zip(summed, net.backward_sample(X[n], H[n])):
            S += G
    scale = N if reduction == "mean" else 1
    for S, G in zip(summed, dB):
        np.testing.assert_allclose(S, scale * G, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("hidden", HIDDEN + ["softmax"])
@pytest.mark.parametrize("out", ["identity", "sigmoid", "tanh", "softmax", "relu", "elu"])
def test_every_activation_in_every_position(hidden, out):
    """Each g^(k) as a hidden layer and as the output (MSE); a softmax anywhere uses its
    Jacobian-vector product y * (dy - (dy . y))."""
    for seed in range(100):  # the first seed whose pre-activations keep clear of 0
        rng = np.random.default_rng(seed)
        net = make_net(rng, [3, 4, 3], [hidden, out], "mse", "mean")
        X, H = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
        if away_from_kinks(net, X):
            break
    assert max(check_net(net, X, H, rng)) < 1e-7
    J, dB = net.loss_and_grads(X, H)
    per_sample = [net.backward_sample(X[n], H[n]) for n in range(5)]
    for k, G in enumerate(dB):
        np.testing.assert_allclose(sum(p[k] for p in per_sample) / 5, G, rtol=1e-12, atol=1e-14)


def test_per_sample_is_the_outer_product_of_columns():
    rng = np.random.default_rng(0)
    net = make_net(rng, [3, 4], ["identity"], "mse", "sum")
    x, h = rng.standard_normal(3), rng.standard_normal(4)
    (dB,) = net.backward_sample(x, h)
    y_hat = np.concatenate([[1.0], x])[:, None]  # column [1; x]
    dz = (net.B[0].T @ y_hat) - h[:, None]  # column y - h (identity output)
    np.testing.assert_allclose(dB, y_hat @ dz.T)  # not dz y_hat^T: that is B's transpose
    assert dB.shape == net.B[0].shape


@pytest.mark.parametrize("loss, out", [("cross_entropy", "softmax"), ("mse", "identity")])
def test_output_gradient_is_Y_minus_H(loss, out):
    rng = np.random.default_rng(1)
    net = make_net(rng, [3, 5, 4], ["tanh", out], loss, "sum")
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    net.loss_and_grads(X, y)
    H = np.eye(4)[y]
    np.testing.assert_allclose(net.dZ[-1], net.Y[-1] - H, rtol=0, atol=1e-15)
    net.reduction = "mean"
    net.backward(y)
    np.testing.assert_allclose(net.dZ[-1], (net.Y[-1] - H) / 6, rtol=0, atol=1e-15)


# --- the ones column --------------------------------------------------------------------


def test_ones_column_receives_no_gradient():
    rng = np.random.default_rng(2)
    net = make_net(rng, [3, 4, 5, 2], ["sigmoid", "tanh", "softmax"], "cross_entropy", "sum")
    X, y = rng.standard_normal((7, 3)), rng.integers(0, 2, 7)
    net.loss_and_grads(X, y)
    for k in range(1, 4):
        full = net.dZ[k] @ net.B[k - 1].T  # gradient w.r.t. [1, Y^(k-1)], ones column first
        np.testing.assert_allclose(net.dY[k - 1], full[:, 1:], rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(net.dB[k - 1][0], net.dZ[k].sum(axis=0))  # bias row
    check_net(net, X, y, rng)


@pytest.mark.parametrize(
    "wrong",
    [lambda B: B[:-1], lambda B: B[1:] + B[:1], lambda B: np.vstack([np.zeros_like(B[:1]), B[2:]])],
    ids=["drop-last-row", "add-bias-row", "zero-first-weight-row"],
)
def test_wrong_bias_handling_breaks_the_gradient_check(monkeypatch, wrong):
    rng = np.random.default_rng(3)
    net = make_net(rng, [3, 4, 4, 3], ["tanh", "sigmoid", "softmax"], "cross_entropy", "sum")
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    check_net(net, X, y, rng)
    monkeypatch.setattr(bp, "drop_bias_row", wrong)
    with pytest.raises(AssertionError, match="gradient check failed"):
        check_net(net, X, y, rng)


# --- BPNet == Sequential --------------------------------------------------------------------


@FAST
@given(seed=seeds, N=st.integers(1, 6), spec=networks())
def test_agrees_with_sequential(seed, N, spec):
    widths, acts, loss, reduction = spec
    assume("softmax" not in acts[:-1] and not (loss == "mse" and acts[-1] == "softmax"))
    rng = np.random.default_rng(seed)
    net = make_net(rng, widths, acts, loss, reduction)
    X = rng.standard_normal((N, widths[0]))
    y = rng.integers(0, widths[-1], N)
    H = y if loss == "cross_entropy" else rng.standard_normal((N, widths[-1]))
    J, dB = net.loss_and_grads(X, H)

    seq = net.to_sequential()
    S = seq.forward(X)
    loss_fn = Lo.softmax_cross_entropy if loss == "cross_entropy" else Lo.mse_loss
    L, dS = loss_fn(S, H, reduction=reduction)
    dX = seq.backward(dS)
    np.testing.assert_allclose(L, J, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dX, net.dY[0], rtol=1e-12, atol=1e-12)
    linears = [layer for layer in seq if isinstance(layer, nn.Linear)]
    for lin, G in zip(linears, dB):
        np.testing.assert_allclose(np.vstack([lin.db, lin.dW]), G, rtol=1e-12, atol=1e-12)

    back = bp.BPNet.from_sequential(seq, loss=loss, reduction=reduction)
    assert back.activations == net.activations and back.widths == net.widths
    for B1, B2 in zip(back.B, net.B):
        np.testing.assert_array_equal(B1, B2)
        assert not np.shares_memory(B1, B2)


def test_from_sequential_copies_weights():
    seq = nn.Sequential(nn.Linear(4, 6, rng=0), nn.ReLU(), nn.Linear(6, 6, rng=1),
                        nn.Linear(6, 3, rng=2))
    seq[0].b[...] = np.arange(6)
    net = bp.BPNet.from_sequential(seq)
    assert net.activations == ["relu", "identity", "softmax"]
    np.testing.assert_array_equal(net.B[0], np.vstack([seq[0].b, seq[0].W]))
    net.B[0][0, 0] = 100.0
    assert seq[0].b[0] == 0.0
    mse = bp.BPNet.from_sequential(nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sigmoid()), loss="mse")
    assert mse.activations == ["sigmoid"] and mse.loss_name == "mse"


# --- forward, loss, stability -----------------------------------------------------------


def test_forward_is_the_notes_formula():
    rng = np.random.default_rng(4)
    net = make_net(rng, [3, 4, 2], ["relu", "softmax"], "cross_entropy", "sum")
    X = rng.standard_normal((5, 3))
    Y = net.forward(X)
    Z1 = np.hstack([np.ones((5, 1)), X]) @ net.B[0]
    Y1 = np.maximum(Z1, 0)
    Z2 = np.hstack([np.ones((5, 1)), Y1]) @ net.B[1]
    np.testing.assert_allclose(Y, np.exp(Z2) / np.exp(Z2).sum(axis=1, keepdims=True))
    H = np.eye(2)[[0, 1, 1, 0, 1]]
    np.testing.assert_allclose(net.loss(H), -np.trace(H.T @ np.log(Y)))
    assert net.B[0].shape == (4, 4) and net.B[1].shape == (5, 2)
    assert "B1 (4, 4) relu, B2 (5, 2) softmax" in repr(net)


def test_cross_entropy_is_stable_for_huge_logits():
    net = bp.BPNet([2, 3], ["softmax"], rng=0)
    net.B[0] = np.array([[0.0, 0, 0], [1e4, -1e4, 0], [0, 0, 0]])
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    J, (dB,) = net.loss_and_grads(X, [1, 1])  # log Y^(l) would be log 0 = -inf
    np.testing.assert_allclose(J, 2e4, rtol=1e-12)
    assert np.all(np.isfinite(dB))


def test_trains_with_sgd_on_xor():
    rng = np.random.default_rng(5)
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 1, 1, 0])
    net = bp.BPNet([2, 8, 2], ["tanh", "softmax"], reduction="mean", rng=rng, init="glorot")
    opt = optim.SGD(net, lr=0.5, momentum=0.9)
    first = net.loss_and_grads(X, y)[0]
    for _ in range(300):
        net.loss_and_grads(X, y)
        opt.step()
    assert net.loss_and_grads(X, y)[0] < 0.05 * first
    np.testing.assert_array_equal(net.predict(X), y)


# --- errors ------------------------------------------------------------------------------


def test_errors():
    with pytest.raises(ValueError, match="activations\\[0\\]: expected one of"):
        bp.BPNet([2, 3, 2], ["swish", "softmax"])
    with pytest.raises(ValueError, match="'softmax' for loss='cross_entropy'"):
        bp.BPNet([2, 3, 2], ["relu", "sigmoid"])
    with pytest.raises(ValueError, match="expected 2 names"):
        bp.BPNet([2, 3, 2], ["softmax"])
    with pytest.raises(ValueError, match="widths"):
        bp.BPNet([2], [])
    with pytest.raises(ValueError, match="single string"):
        bp.BPNet([2, 3, 2], "relu")
    with pytest.raises(ValueError, match="widths"):
        bp.BPNet([2, 0], ["softmax"])
    with pytest.raises(ValueError, match="loss"):
        bp.BPNet([2, 2], ["softmax"], loss="hinge")
    with pytest.raises(ValueError, match="reduction"):
        bp.BPNet([2, 2], ["softmax"], reduction="avg")
    with pytest.raises(ValueError, match="init"):
        bp.BPNet([2, 2], ["softmax"], init="ones")
    net = bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        net.backward([0, 1])
    with pytest.raises(RuntimeError, match="before forward"):
        net.loss([0, 1])
    with pytest.raises(ValueError, match="n_0 = 3"):
        net.forward(np.ones((2, 4)))
    net.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="labels in 0..1"):
        net.backward([0, 2])
    with pytest.raises(ValueError, match="summing to 1"):
        net.backward(np.array([[0.5, 0.4], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        net.backward(np.ones((3, 2)) / 2)
    with pytest.raises(ValueError, match="x: expected shape"):
        net.backward_sample(np.ones(2), 0)
    with pytest.raises(ValueError, match="labels in 0..1"):
        net.backward_sample(np.ones(3), 5)
    with pytest.raises(ValueError, match="Dropout"):
        bp.BPNet.from_sequential(nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5, rng=0)))
    with pytest.raises(ValueError, match="ELU"):
        bp.BPNet.from_sequential(nn.Sequential(nn.Linear(2, 2, rng=0), nn.ELU(2.0)), loss="mse")
    with pytest.raises(ValueError, match="Linear last layer"):
        bp.BPNet.from_sequential(nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU()))
    with pytest.raises(ValueError, match="hidden layer"):
        bp.BPNet([2, 3, 2], ["softmax", "identity"], loss="mse").to_sequential()


# --- issue 11: silent wrong answers ------------------------------------------------------


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_empty_batch_is_rejected_naming_X(reduction):
    # J / N with N = 0 was nan for reduction="mean"; softmax_cross_entropy refuses N = 0 too
    net = bp.BPNet([2, 3, 2], ["tanh", "softmax"], reduction=reduction, rng=0)
    with pytest.raises(ValueError, match=r"X: expected at least one sample .*\(0, 2\)"):
        net.forward(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="X: expected at least one sample"):
        net.loss_and_grads(np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="Z: expected at least one sample"):
        Lo.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, dtype=int), reduction=reduction)
    # one sample is still fine and finite
    J, grads = net.loss_and_grads(np.ones((1, 2)), np.array([1]))
    assert np.isfinite(J) and all(np.all(np.isfinite(G)) for G in grads)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128, "int64"])
def test_non_float_dtype_is_rejected(dtype):
    # an integer dtype truncated every He weight (|w| < 1 mostly) to 0
    with pytest.raises(TypeError, match="dtype: expected float32 or float64"):
        bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=0, dtype=dtype)


def test_float_dtypes_still_accepted():
    for dtype in (np.float32, np.float64, "float32"):
        net = bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=0, dtype=dtype)
        assert all(B.dtype == np.dtype(dtype) for B in net.B)
        assert np.any(net.B[0][1:] != 0)


# --- issue 11: a BPNet keeps its parameter dtype ------------------------------------------


@pytest.mark.parametrize("loss, acts", [("cross_entropy", ["tanh", "softmax"]),
                                        ("mse", ["elu", "sigmoid"])])
@pytest.mark.parametrize("data_dtype", [np.float64, np.int64, np.float16])
def test_float32_bpnet_stays_float32_on_other_data(loss, acts, data_dtype):
    # was: a float32 BPNet fed float64 computed, and returned gradients, in float64
    net = bp.BPNet([3, 4, 2], acts, loss=loss, rng=0, dtype=np.float32)
    X = (np.random.default_rng(1).standard_normal((5, 3)) * 2).astype(data_dtype)
    H = np.array([0, 1, 1, 0, 1]) if loss == "cross_entropy" else np.full((5, 2), 0.25)
    J, grads = net.loss_and_grads(X, H)
    assert np.asarray(J).dtype == np.float32
    assert all(A.dtype == np.float32 for A in net.Y + net.Z[1:] + grads + net.dY + net.dZ[1:]
               if A is not None)
    assert all(G.dtype == np.float32 for G in net.backward_sample(X[0], H[0]))
    ref = bp.BPNet([3, 4, 2], acts, loss=loss, rng=0, dtype=np.float64)
    ref.B = [B.astype(np.float64) for B in net.B]
    J64, grads64 = ref.loss_and_grads(X.astype(np.float64), H)
    np.testing.assert_allclose(J, J64, rtol=1e-5)
    for G, G64 in zip(grads, grads64):
        np.testing.assert_allclose(G, G64, rtol=1e-4, atol=1e-5)


def test_float16_dtype_is_a_type_error_as_for_linear():
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got float16"):
        bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=0, dtype=np.float16)
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got float16"):
        nn.Linear(3, 4, rng=0, dtype=np.float16)


def test_float32_sequential_round_trip_keeps_float32():
    seq = nn.Sequential(nn.Linear(3, 4, rng=0, dtype=np.float32), nn.Tanh(),
                        nn.Linear(4, 2, rng=1, dtype=np.float32))
    net = bp.BPNet.from_sequential(seq)
    assert all(B.dtype == np.float32 for B in net.B)
    assert net.forward(np.ones((2, 3))).dtype == np.float32
    assert seq.forward(np.ones((2, 3))).dtype == np.float32


# --- issue 11: a non-iterable seq ----------------------------------------------------------


def test_from_sequential_non_iterable_is_a_type_error_naming_seq():
    with pytest.raises(TypeError, match=r"seq: expected a Sequential \(or a list of layers\), got int"):
        bp.BPNet.from_sequential(5)


def test_from_sequential_refuses_linear_layers_whose_sizes_do_not_chain():
    # issue 11: Linear(2, 3) then Linear(4, 2) gave a BPNet with B1 (3, 3) and B2 (5, 2),
    # which only failed later, in forward, with a matmul error
    seq = [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=0)]
    with pytest.raises(ValueError, match=re.escape(
            "seq[2]: expected a Linear with 3 inputs (the outputs of seq[0]), got 4 inputs")):
        bp.BPNet.from_sequential(seq)
    ok = bp.BPNet.from_sequential([nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=0)])
    assert ok.widths == [2, 3, 2]


@pytest.mark.parametrize("widths, activations, message", [
    (5, ["softmax"], "widths: expected a list of layer widths n_0, ..., n_l, got int 5"),
    ("32", ["softmax"], "widths: expected a list of layer widths n_0, ..., n_l, got str '32'"),
    ([3, 2], None, "activations: expected a list of 1 names (one per layer), got NoneType None"),
])
def test_non_iterable_widths_or_activations_name_the_argument(widths, activations, message):
    # these were "'int' object is not iterable" (and "32" was read as widths [3, 2])
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        bp.BPNet(widths, activations)


@pytest.mark.parametrize("init, error, message", [
    (lambda n, m, rng, dtype: np.ones((1, 1)), ValueError,
     "init: expected an initialiser returning shape (3, 2), got shape (1, 1)"),
    (lambda n, m, rng, dtype: np.full((n, m), np.nan), ValueError,
     "init: expected finite values, got 6 NaN and 0 infinite entries (first at index (0, 0))"),
    (lambda n, m, rng, dtype: np.full((n, m), 1e300), ValueError,   # inf in float32
     "init: expected finite values, got 0 NaN and 6 infinite entries (first at index (0, 0))"),
    (lambda n, m, rng, dtype: np.ones((n, m)) * 1j, TypeError,
     "init: expected an initialiser returning real numbers, got dtype complex128"),
    (lambda n, m, rng, dtype: None, TypeError,
     "init: expected an initialiser returning real numbers, got dtype object"),
])
def test_a_callable_init_that_returns_bad_weights_is_refused(init, error, message):
    # issue 11: a wrong shape was a vstack error; NaN weights were stored silently
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        bp.BPNet([3, 2], ["softmax"], init=init, dtype=np.float32)


def test_a_callable_init_of_integers_is_cast_to_the_float_dtype():
    net = bp.BPNet([3, 2], ["softmax"], init=lambda n, m, rng, dtype: np.ones((n, m), int))
    assert net.B[0].dtype == np.float64 and np.array_equal(net.B[0][1:], np.ones((3, 2)))


def test_forward_overflow_names_X_not_the_activation_input():
    # Z^(1) overflowing to inf failed inside relu with "z: expected finite values" (an
    # internal name), and with an identity output it would have returned inf
    for acts, loss in ((["relu", "softmax"], "cross_entropy"), (["tanh", "identity"], "mse")):
        net = bp.BPNet([4, 3, 2], acts, loss=loss, rng=0)
        Y_before = net.forward(np.ones((2, 4)))
        with pytest.raises(ValueError, match="^" + re.escape(
                "X: expected inputs small enough for every Z^(k) = [1, Y^(k-1)] B^(k) to fit in "
                "float64 (at most 1.8e+308), got inputs for which one overflows") + "$"):
            net.forward(np.full((2, 4), 1.7e308))
        assert net.Y[-1] is Y_before      # the state of the last successful forward is kept
    net = bp.BPNet([2, 2], ["identity"], loss="mse", init=lambda n, m, rng, dtype: 1e300 * np.ones((n, m)))
    with pytest.raises(ValueError, match=r"^X: expected inputs small enough for every Z\^\(k\)"):
        net.forward(np.full((1, 2), 1e10))


def test_forward_with_diverged_weights_names_B():
    net = bp.BPNet([3, 4, 2], ["relu", "softmax"], rng=0)
    net.B[1][2, 0] = np.nan                  # as after a diverged training step
    with pytest.raises(ValueError, match=re.escape(
            "B: expected finite weights, got NaN or infinity in B^(2) (self.B[1]); has training diverged?")):
        net.forward(np.ones((2, 3)))


def test_mse_loss_whose_sum_overflows_but_mean_does_not():
    # 0.5 ||Y - H||^2 summed over 3 samples is 3e308 (inf with a RuntimeWarning); the mean
    # 1e308 fits, and is now returned; a loss that does not fit raises naming H
    net = bp.BPNet([2, 3, 2], ["tanh", "identity"], loss="mse", reduction="mean", rng=0)
    Y = net.forward(np.ones((3, 2)))
    H = np.full((3, 2), 1e154)
    assert net.loss(H) == pytest.approx(0.5 * np.sum(((Y - H) / 1e154) ** 2) / 3 * 1e308, rel=1e-14)
    net.reduction = "sum"
    with pytest.raises(ValueError, match=re.escape(
            "H: expected targets close enough to Y^(l) for loss J = ||Y^(l) - H||^2 / 2 to fit "
            "in float64 (at most 1.8e+308), got targets for which it overflows")):
        net.loss(H)
    assert net.loss(Y) == 0      # ordinary targets: unchanged


def test_backward_whose_gradient_overflows_names_X_and_H():
    # dB^(2) = [1, Y^(1)]^T dZ^(2) with dZ^(2) = Y - H of order 1.7e308 summed over 3
    # samples came out inf and NaN (with only a RuntimeWarning)
    net = bp.BPNet([2, 3, 2], ["tanh", "identity"], loss="mse", rng=0)
    net.forward(np.ones((3, 2)))
    good = net.backward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="^" + re.escape(
            "X, H: expected inputs and targets small enough for every gradient dB^(k) to fit in "
            "float64 (at most 1.8e+308), got ones for which dB^(") + r"[12]\) overflows$"):
        net.backward(np.full((3, 2), 1.7e308))
    assert net.dB[1] is good[1]    # the gradients of the last successful backward are kept
