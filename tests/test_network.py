"""Tests for bpnet_lib.network: whole-model gradient checks with random upstream gradients
over random widths and depths, the params/grads protocol, modes, repr and error messages."""

import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bpnet_lib import layers as L
from bpnet_lib import network as nn
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)
KINKED = (nn.ReLU, nn.ELU)  # finite differences must not straddle 0 here
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "elu": nn.ELU}


def kink_inputs(model, X):
    """The inputs of every ReLU/ELU layer, found by running the layers one by one."""
    out, inputs = X, []
    for layer in model:
        if isinstance(layer, KINKED):
            inputs.append(out)
        out = layer.forward(out)
    return inputs


def check_model(model, X, rng):
    """Gradient check of ``model.forward`` with respect to X and every parameter."""
    names = list(model.params())

    def grads(dout):
        dX = model.backward(dout)
        return [dX] + [model.grads()[k].copy() for k in names]

    return check_gradients(
        lambda *args: model.forward(X), [X] + [model.params()[k] for k in names], grads, rng=rng
    )


def random_mlp(rng, widths, acts):
    layers = []
    for k, (n, m) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(n, m, rng=rng))
        layers[-1].b[...] = 0.3 * rng.standard_normal(m)  # non-zero biases
        if k < len(acts):
            layers.append(ACTIVATIONS[acts[k]]())
    return nn.Sequential(*layers)


# --- gradient checks -------------------------------------------------------------


@FAST
@given(
    seed=seeds,
    N=st.integers(1, 5),
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    data=st.data(),
)
def test_sequential_gradients(seed, N, widths, data):
    acts = data.draw(
        st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=len(widths) - 1,
                 max_size=len(widths) - 1)
    )
    rng = np.random.default_rng(seed)
    model = random_mlp(rng, widths, acts)
    X = rng.standard_normal((N, widths[0]))
    assume(all(np.min(np.abs(z)) > 1e-3 for z in kink_inputs(model, X)))
    errors = check_model(model, X, rng)
    assert max(errors) < 1e-7


@FAST
@given(seed=seeds, N=st.integers(1, 5), D=st.integers(1, 5), M=st.integers(1, 5))
def test_linear_matches_affine_and_gradients(seed, N, D, M):
    rng = np.random.default_rng(seed)
    layer = nn.Linear(D, M, rng=rng)
    layer.b[...] = rng.standard_normal(M)
    X = rng.standard_normal((N, D))
    np.testing.assert_array_equal(layer.forward(X), X @ layer.W + layer.b)
    check_model(nn.Sequential(layer), X, rng)
    dY = rng.standard_normal((N, M))
    layer.forward(X)
    dX = layer.backward(dY)
    np.testing.assert_allclose(dX, dY @ layer.W.T)
    np.testing.assert_allclose(layer.dW, X.T @ dY)
    np.testing.assert_allclose(layer.db, dY.sum(axis=0))


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.ELU(), nn.ELU(0.3)])
def test_activation_layers_wrap_the_core(layer):
    rng = np.random.default_rng(1)
    X = rng.uniform(0.1, 2, (3, 4)) * rng.choice([-1, 1], (3, 4))
    name = type(layer).__name__.lower()
    kw = {"alpha": layer.alpha} if name == "elu" else {}
    Y_core, cache = getattr(L, f"{name}_forward")(X, **kw)
    np.testing.assert_array_equal(layer.forward(X), Y_core)
    dY = rng.standard_normal(X.shape)
    np.testing.assert_array_equal(layer.backward(dY), getattr(L, f"{name}_backward")(dY, cache))
    assert layer.params() == {} and layer.grads() == {} and layer.num_parameters() == 0
    check_model(nn.Sequential(layer), X, rng)


def test_dropout_layer_train_and_eval():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 40))
    layer = nn.Dropout(0.4, rng=7)
    Y = layer.forward(X)
    kept = Y != 0
    np.testing.assert_allclose(Y[kept], X[kept] / 0.6)
    assert 0.5 < kept.mean() < 0.7
    dY = rng.standard_normal(X.shape)
    np.testing.assert_allclose(layer.backward(dY), dY * kept / 0.6)
    layer.eval()
    np.testing.assert_array_equal(layer.forward(X), X)
    np.testing.assert_array_equal(layer.backward(dY), dY)


def test_model_with_dropout_gradients_for_a_fixed_mask():
    rng = np.random.default_rng(3)
    drop = nn.Dropout(0.5, rng=0)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng), nn.Tanh(), drop, nn.Linear(6, 3, rng=rng))
    X = rng.standard_normal((5, 4))

    def forward(*_):
        drop.rng = np.random.default_rng(11)  # the same mask at every perturbed point
        return model.forward(X)

    names = list(model.params())

    def grads(dout):
        forward()
        return [model.backward(dout)] + [model.grads()[k].copy() for k in names]

    check_gradients(forward, [X] + [model.params()[k] for k in names], grads, rng=rng)


# --- the params/grads protocol -----------------------------------------------------


def test_params_and_grads_are_flat_dicts_with_the_same_keys():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    assert list(model.params()) == ["0.W", "0.b", "2.W", "2.b"]
    assert model.parameters().keys() == model.grads().keys() == model.params().keys()
    assert model.params()["0.W"] is model[0].W  # the layers' own arrays
    assert model.grads()["2.b"] is model[2].db
    for k, p in model.params().items():
        assert model.grads()[k].shape == p.shape
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_nested_sequential_keys():
    inner = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())
    model = nn.Sequential(nn.Linear(2, 3, rng=1), inner, nn.Linear(3, 1, rng=2))
    assert list(model.params()) == ["0.W", "0.b", "1.0.W", "1.0.b", "2.W", "2.b"]
    check_model(model, np.random.default_rng(0).standard_normal((4, 2)), np.random.default_rng(1))


class Scale(nn.Layer):
    """A custom layer Y = a * X with one parameter: the protocol is all Sequential needs."""

    def __init__(self):
        super().__init__()
        self.a, self.da = np.array([1.5]), np.zeros(1)

    def forward(self, X):
        self._cache = X
        return self.a * X

    def backward(self, dout):
        X = self._saved()
        self.da[...] = np.sum(dout * X)
        return self.a * dout

    def params(self):
        return {"a": self.a}

    def grads(self):
        return {"a": self.da}


def test_custom_layers_fit_the_protocol():
    rng = np.random.default_rng(4)
    model = nn.Sequential(nn.Linear(3, 2, rng=rng), Scale(), nn.Sigmoid())
    assert "1.a" in model.params()
    check_model(model, rng.standard_normal((4, 3)), rng)
    with pytest.raises(RuntimeError, match="before forward"):
        Scale().backward(np.ones(2))


def test_backward_overwrites_gradients_and_zero_grad():
    rng = np.random.default_rng(5)
    model = nn.Sequential(nn.Linear(3, 2, rng=rng))
    X, dY = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    model.forward(X)
    model.backward(dY)
    first = model.grads()["0.W"].copy()
    model.backward(dY)
    np.testing.assert_array_equal(model.grads()["0.W"], first)  # not accumulated
    model.zero_grad()
    assert all(np.all(g == 0) for g in model.grads().values())


def test_cache_is_overwritten_by_every_forward():
    rng = np.random.default_rng(6)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))
    X1, X2, dY = rng.standard_normal((5, 3)), rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    model.forward(X1)
    model.forward(X2)
    dX = model.backward(dY)
    assert dX.shape == X2.shape
    fresh = nn.Sequential(*model.layers)
    fresh.forward(X2)
    np.testing.assert_array_equal(fresh.backward(dY), dX)


def test_linear_init_and_dtype():
    layer = nn.Linear(400, 300, rng=0)
    assert layer.W.shape == (400, 300) and layer.b.shape == (300,)
    assert np.all(layer.b == 0)
    assert abs(layer.W.var() / (2 / 400) - 1) < 0.03  # He by default
    assert nn.Linear(5, 3, rng=0, init="glorot_uniform").W.max() <= np.sqrt(6 / 8)
    np.testing.assert_array_equal(nn.Linear(5, 3, rng=3).W, nn.Linear(5, 3, rng=3).W)
    small = nn.Linear(5, 3, rng=0, dtype=np.float32)
    assert small.W.dtype == small.b.dtype == small.dW.dtype == np.float32
    assert small.forward(np.ones((2, 5), dtype=np.float32)).dtype == np.float32


# --- issue 11: a model keeps its parameter dtype; the aliasing contract -----------------


def _small_models(dtype):
    return {
        "linear": (nn.Linear(3, 2, rng=0, dtype=dtype), (4, 3)),
        "conv": (nn.Conv2D(2, 3, 3, padding=1, rng=0, dtype=dtype), (2, 2, 4, 4)),
        "sequential": (nn.Sequential(nn.Conv2D(1, 2, 3, padding=1, rng=0, dtype=dtype), nn.ReLU(),
                                     nn.MaxPool2D(2), nn.Flatten(), nn.Linear(8, 3, rng=1, dtype=dtype),
                                     nn.Tanh()), (2, 1, 4, 4)),
    }


@pytest.mark.parametrize("name", ["linear", "conv", "sequential"])
@pytest.mark.parametrize("dtype, data_dtype", [
    (np.float32, np.float64), (np.float32, np.int64), (np.float32, np.float16),
    (np.float64, np.float32), (np.float32, np.float32),
])
def test_a_model_keeps_its_parameter_dtype(name, dtype, data_dtype):
    # was: a float32 model fed float64 returned float64 and cast float64 gradients into its
    # float32 dW
    model, shape = _small_models(dtype)[name]
    X = np.random.default_rng(3).standard_normal(shape)
    Y = model.forward(X.astype(data_dtype))
    assert Y.dtype == dtype
    dY = np.random.default_rng(4).standard_normal(Y.shape)  # float64 upstream gradient
    dX = model.backward(dY)
    assert dX.dtype == dtype
    assert all(p.dtype == dtype for p in model.params().values())
    assert all(g.dtype == dtype for g in model.grads().values())
    # the float32 numbers are the float64 computation's, rounded
    ref, _ = _small_models(np.float64)[name]
    for p_ref, p in zip(ref.params().values(), model.params().values()):
        p_ref[...] = p
    ref.forward(X.astype(data_dtype).astype(np.float64))
    ref.backward(dY)
    for g_ref, g in zip(ref.grads().values(), model.grads().values()):
        np.testing.assert_allclose(g, g_ref, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("make", [
    lambda dtype: nn.Linear(3, 2, rng=0, dtype=dtype),
    lambda dtype: nn.Conv2D(1, 2, 3, rng=0, dtype=dtype),
])
@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.complex128, np.longdouble])
def test_layer_dtype_other_than_float32_or_float64_is_a_type_error(make, dtype):
    # was a ValueError here and a TypeError in BPNet and init
    with pytest.raises(TypeError, match=f"dtype: expected float32 or float64, got {np.dtype(dtype)}"):
        make(dtype)


def test_linear_cache_holds_its_input_and_its_own_weights():
    # documented: the cache holds references, so an in-place update of W between forward
    # and backward changes dX (an optimiser step belongs after the backward)
    layer = nn.Linear(3, 2, rng=0)
    X = np.random.default_rng(1).standard_normal((4, 3))
    layer.forward(X)
    assert layer._cache.X is X and layer._cache.W is layer.W
    dY = np.ones((4, 2))
    dX = layer.backward(dY)
    layer.W *= 2
    np.testing.assert_allclose(layer.backward(dY), 2 * dX)
    layer.forward(X.astype(np.float32))  # a converted input is a copy
    assert layer._cache.X.dtype == np.float64


def test_flatten_returns_views_as_documented():
    X = np.random.default_rng(2).standard_normal((2, 3, 4))
    f = nn.Flatten()
    Y = f.forward(X)
    assert np.shares_memory(Y, X)
    dY = np.ones((2, 12))
    assert np.shares_memory(f.backward(dY), dY)


def test_dropout_at_test_time_returns_new_arrays():
    # was: backward returned the caller's dout object itself
    layer = nn.Dropout(0.5, rng=0).eval()
    X = np.ones((2, 3))
    Y = layer.forward(X)
    dY = np.ones((2, 3))
    dX = layer.backward(dY)
    assert not np.shares_memory(Y, X) and not np.shares_memory(dX, dY)
    np.testing.assert_array_equal(dX, dY)


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.ELU()],
                         ids=["relu", "sigmoid", "tanh", "elu"])
def test_activation_layer_keeps_the_output_it_returned(layer):
    X = np.random.default_rng(3).standard_normal((3, 4))
    Y = layer.forward(X)
    assert layer._cache.out is Y
    dX = layer.backward(np.ones_like(Y))
    Y -= 10  # documented: an in-place edit of the output before backward changes dX
    assert not np.array_equal(layer.backward(np.ones_like(Y)), dX)


# --- modes, predict, repr ------------------------------------------------------------


def test_train_eval_propagate_and_predict_uses_eval_mode():
    rng = np.random.default_rng(7)
    model = nn.Sequential(nn.Linear(4, 8, rng=rng), nn.ReLU(), nn.Dropout(0.5, rng=1),
                          nn.Linear(8, 3, rng=rng))
    X = rng.standard_normal((6, 4))
    assert all(layer.training for layer in model)
    pred = model.predict(X)
    assert model.training and model[2].training  # mode restored
    np.testing.assert_array_equal(pred, model.predict(X))  # no dropout noise
    model.eval()
    assert not any(layer.training for layer in model)
    np.testing.assert_array_equal(pred, np.argmax(model.forward(X), axis=1))
    assert pred.shape == (6,) and pred.dtype.kind == "i"
    model.train()
    assert all(layer.training for layer in model)


def test_repr_lists_layers_shapes_and_count():
    model = nn.Sequential(nn.Linear(64, 128, rng=0), nn.ReLU(), nn.Linear(128, 10, rng=1),
                          nn.Dropout(0.1, rng=0), nn.ELU(0.5))
    text = repr(model)
    assert "(0) Linear(64, 128)  W (64, 128), b (128,)" in text
    assert "(1) ReLU()" in text and "(3) Dropout(p_drop=0.1)" in text
    assert "ELU(alpha=0.5)" in text
    assert text.endswith("9,610 parameters")
    assert model.num_parameters() == 9610
    assert len(model) == 5


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layer", [nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.ELU(),
              nn.Dropout(0.2, rng=0), nn.Sequential(nn.Linear(2, 2, rng=0))]
)
def test_backward_before_forward(layer):
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 3)))


def test_wrong_shapes_between_layers_name_the_layer():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(5, 2, rng=1))
    with pytest.raises(ValueError, match=re.escape("layer 2 (Linear(5, 2))")) as info:
        model.forward(np.ones((2, 3)))
    assert "expected 5 features" in str(info.value) and "(2, 4)" in str(info.value)


def test_errors_for_bad_input():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="expected a 2-D array"):
        layer.forward(np.ones(3))
    with pytest.raises(ValueError, match="expected 3 features"):
        layer.forward(np.ones((4, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="dY: expected the shape"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="finite"):
        layer.forward(np.full((1, 3), np.nan))
    with pytest.raises(ValueError, match="init: expected one of"):
        nn.Linear(3, 2, rng=0, init="kaiming_magic")
    with pytest.raises(TypeError, match="dtype: expected float32 or float64, got int64"):
        nn.Linear(3, 2, rng=0, dtype=np.int64)
    with pytest.raises(ValueError, match="expected a layer"):
        nn.Sequential(nn.Linear(3, 2, rng=0), np.tanh)
    with pytest.raises(ValueError, match="p_drop"):
        nn.Dropout(1.0, rng=0)
    with pytest.raises(ValueError, match="rng"):
        nn.Dropout(0.5, rng=None)
    with pytest.raises(ValueError, match="alpha"):
        nn.ELU(-1.0)
    with pytest.raises(ValueError, match="K >= 2"):
        nn.Sequential(nn.Linear(3, 1, rng=0)).predict(np.ones((2, 3)))


# --- issue 11: backward after a forward that raised ----------------------------------------


class _Switch(nn.Layer):
    """Identity, or raises ValueError on forward when ``fail`` is set."""

    def __init__(self):
        super().__init__()
        self.fail = False

    def forward(self, X):
        if self.fail:
            raise ValueError("switched off")
        return X

    def backward(self, dout):
        return dout


def test_backward_after_failed_forward_raises_until_a_forward_completes():
    switch = _Switch()
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), switch, nn.Linear(4, 2, rng=1))
    rng = np.random.default_rng(0)
    X, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    model.forward(X)
    dX_ok = model.backward(dout)
    grads_ok = {k: v.copy() for k, v in model.grads().items()}
    # layers 0 and 1 cache a new input, layer 2 raises, layer 3 keeps the old cache: before the
    # fix, backward ran on that mixture without a word
    switch.fail = True
    with pytest.raises(ValueError, match="layer 2 .*switched off"):
        model.forward(rng.standard_normal((5, 3)))
    with pytest.raises(RuntimeError, match="last forward did not complete"):
        model.backward(dout)
    # a failure in the very first layer too
    switch.fail = False
    with pytest.raises(ValueError, match="layer 0"):
        model.forward(np.ones((5, 4)))
    with pytest.raises(RuntimeError, match="last forward did not complete"):
        model.backward(dout)
    # a later successful forward makes backward work again, with the numbers of a clean run
    model.forward(X)
    np.testing.assert_array_equal(model.backward(dout), dX_ok)
    for k, v in model.grads().items():
        np.testing.assert_array_equal(v, grads_ok[k])


def test_backward_after_failed_forward_with_a_non_value_error():
    class Fails(nn.Layer):
        def forward(self, X):
            raise TypeError("not a ValueError")

        def backward(self, dout):  # pragma: no cover - never reached
            return dout

    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU())
    model.forward(np.ones((3, 2)))
    model.layers.append(Fails())
    with pytest.raises(TypeError):
        model.forward(np.ones((4, 2)))
    with pytest.raises(RuntimeError, match="last forward did not complete"):
        model.backward(np.ones((4, 2)))


# --- issue 11: empty batches and negative pooling sizes -------------------------------


def test_flatten_empty_batch_keeps_the_known_width():
    f = nn.Flatten()
    out = f.forward(np.zeros((0, 2, 3, 3)))
    assert out.shape == (0, 18)
    assert f.backward(np.zeros((0, 18))).shape == (0, 2, 3, 3)


def test_conv_network_runs_on_an_empty_batch():
    model = nn.Sequential(nn.Conv2D(1, 2, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Linear(8, 3, rng=1))
    assert model.forward(np.zeros((0, 1, 4, 4))).shape == (0, 3)
    assert model.backward(np.zeros((0, 3))).shape == (0, 1, 4, 4)


@pytest.mark.parametrize("cls", [nn.MaxPool2D, nn.AvgPool2D])
@pytest.mark.parametrize("size", [-1, 0, (2, -3), (-2, 2)])
def test_pool_negative_size_is_refused_at_construction(cls, size):
    with pytest.raises(ValueError, match=r"size: expected a window of at least 1 x 1, got"):
        cls(size)


@pytest.mark.parametrize("cls", [nn.MaxPool2D, nn.AvgPool2D])
def test_pool_nonpositive_stride_is_refused_at_construction(cls):
    with pytest.raises(ValueError, match=r"stride: expected positive ints.*got \(1, -1\)"):
        cls(2, stride=(1, -1))


# --- issue 11: a training mode that is not a bool ------------------------------------------


@pytest.mark.parametrize("mode", ["eval", "False", 0.0, 1, None])
def test_train_mode_must_be_a_bool(mode):
    # train("eval") switched dropout ON (a non-empty string is true) without a word
    model = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(0.5, rng=0))
    model.eval()
    with pytest.raises(TypeError, match="^" + re.escape(
            f"mode: expected True (training) or False (evaluation), got {type(mode).__name__} {mode!r}") + "$"):
        model.train(mode)
    with pytest.raises(TypeError, match="^mode: expected True"):
        nn.Dropout(0.5, rng=0).train(mode)
    assert not model.training and not model.layers[1].training  # unchanged
    assert model.train(np.bool_(True)).training and model.layers[1].training


def test_the_same_layer_object_twice_is_refused():
    # act = ReLU(); Sequential(Linear, act, Linear, act, ...) ran, but the second forward
    # through act overwrote the cache of the first, so backward gave a wrong dX silently
    act = nn.ReLU()
    with pytest.raises(ValueError, match=re.escape(
            "layers[3]: expected a layer object of its own, got the same object as layers[1] "
            "(ReLU())")):
        nn.Sequential(nn.Linear(3, 3, rng=0), act, nn.Linear(3, 3, rng=1), act)
    shared = nn.Linear(3, 3, rng=0)
    with pytest.raises(ValueError, match=r"^layers\[1\]: expected a layer object of its own"):
        nn.Sequential([shared, shared])
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.ReLU(), nn.Linear(3, 3, rng=1), nn.ReLU())
    assert len(nn.Sequential(*model.layers)) == 4   # the same layers in a new model: fine
