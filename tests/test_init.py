"""Tests for bpnet_lib.init: empirical mean and variance of large seeded draws within
six standard errors, uniform bounds, names, and the variance-preservation argument itself."""

import numpy as np
import pytest

from bpnet_lib import init

# fan_in != fan_out, so a scheme that used the wrong fan would be caught
FAN_IN, FAN_OUT = 300, 700
VARIANCES = {
    "lecun": 1 / FAN_IN,
    "glorot": 2 / (FAN_IN + FAN_OUT),
    "he": 2 / FAN_IN,
}
# kurtosis E[w^4] / Var(w)^2: 3 for a normal, 9/5 for a uniform
KURTOSIS = {"normal": 3.0, "uniform": 1.8}
NAMES = [f"{s}_{d}" for s in VARIANCES for d in KURTOSIS]


@pytest.mark.parametrize("name", NAMES)
def test_empirical_mean_and_variance(name):
    scheme, dist = name.split("_")
    var = VARIANCES[scheme]
    W = init.get(name)(FAN_IN, FAN_OUT, np.random.default_rng(0))
    n = W.size
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == np.float64
    # standard errors: of the mean sqrt(var / n); of the sample variance
    # var * sqrt((kurtosis - 1) / n). Six of them: a false alarm has probability ~1e-9.
    assert abs(W.mean()) < 6 * np.sqrt(var / n)
    assert abs(W.var() - var) < 6 * var * np.sqrt((KURTOSIS[dist] - 1) / n)
    assert init.variance(scheme, FAN_IN, FAN_OUT) == pytest.approx(var)


@pytest.mark.parametrize("scheme", VARIANCES)
def test_uniform_bounds(scheme):
    a = np.sqrt(3 * VARIANCES[scheme])
    W = init.get(f"{scheme}_uniform")(FAN_IN, FAN_OUT, 1)
    assert np.all(np.abs(W) <= a)
    assert np.abs(W).max() > 0.999 * a  # and it fills the interval


def test_normal_is_normal():
    W = init.he_normal(FAN_IN, FAN_OUT, 2) / np.sqrt(2 / FAN_IN)
    inside = np.mean(np.abs(W) < 1)  # 68.27 % of a standard normal, standard error ~1e-3
    assert abs(inside - 0.6827) < 0.006


def test_names_aliases_and_determinism():
    assert init.xavier_normal is init.glorot_normal and init.xavier_uniform is init.glorot_uniform
    assert init.get("he") is init.he_normal and init.get("HE_UNIFORM") is init.he_uniform
    assert init.get("xavier") is init.glorot_normal and init.get("lecun") is init.lecun_normal
    f = lambda n, m, rng, dtype=np.float64: np.zeros((n, m), dtype)  # noqa: E731
    assert init.get(f) is f
    np.testing.assert_array_equal(init.he_normal(4, 3, 5), init.he_normal(4, 3, 5))
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(init.he_normal(4, 3, rng), init.he_normal(4, 3, 5))
    assert not np.array_equal(init.he_normal(4, 3, rng), init.he_normal(4, 3, 5))  # advanced
    assert init.glorot_uniform(4, 3, 0, dtype=np.float32).dtype == np.float32


def test_variance_is_preserved_through_a_deep_relu_stack():
    """The argument of the module docstring, run: He keeps E[z^2] level through ReLUs,
    LeCun (and Glorot, equal here since fan_in = fan_out) halve it at every layer."""
    rng = np.random.default_rng(3)
    width, depth = 256, 10
    X = rng.standard_normal((512, width))
    second_moment = {}
    for name in ("he_normal", "lecun_normal", "glorot_uniform"):
        z = X
        for _ in range(depth):
            z = np.maximum(z, 0) @ init.get(name)(width, width, rng)
        second_moment[name] = np.mean(z**2) / np.mean(X**2)
    assert 0.5 < second_moment["he_normal"] < 2
    assert second_moment["lecun_normal"] < 2.0**-depth * 2
    assert second_moment["glorot_uniform"] < 2.0**-depth * 2


def test_identity_layer_keeps_the_variance_with_lecun():
    rng = np.random.default_rng(4)
    y = 3.0 * rng.standard_normal((2000, 400))
    z = y @ init.lecun_normal(400, 50, rng)
    assert abs(z.var() / y.var() - 1) < 0.1  # Var(z) = n Var(y) Var(w) = Var(y)


def test_errors():
    with pytest.raises(ValueError, match="init: expected one of"):
        init.get("orthogonal")
    with pytest.raises(ValueError, match="fan_in: expected a positive integer"):
        init.he_normal(0, 3, 0)
    with pytest.raises(ValueError, match="fan_out: expected a positive integer"):
        init.glorot_normal(3, 2.5, 0)
    with pytest.raises(ValueError, match="rng"):
        init.lecun_uniform(3, 2, "seed")
    with pytest.raises(ValueError, match="name"):
        init.variance("kaiming", 3, 2)


# --- issue 11: integer dtypes and a non-string scheme name -------------------------------

_ALL_INITS = ["lecun_normal", "lecun_uniform", "glorot_normal", "glorot_uniform",
              "xavier_normal", "xavier_uniform", "he_normal", "he_uniform"]


@pytest.mark.parametrize("name", _ALL_INITS)
@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8, np.bool_, np.complex64, "int32"])
def test_non_float_dtype_raises_type_error(name, dtype):
    # cast to an integer dtype, N(0, 2/3) draws were silently all zeros
    with pytest.raises(TypeError, match="dtype: expected float32 or float64"):
        getattr(init, name)(3, 2, 0, dtype=dtype)


@pytest.mark.parametrize("name", _ALL_INITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, "float32", np.dtype(np.float64)])
def test_float_dtypes_still_work(name, dtype):
    W = getattr(init, name)(3, 2, 0, dtype=dtype)
    assert W.shape == (3, 2) and W.dtype == np.dtype(dtype) and np.any(W != 0)


def test_variance_with_a_non_string_name_is_a_clear_error():
    with pytest.raises(TypeError, match=r"name: expected a scheme name .* got int 3"):
        init.variance(3, 3, 2)
    with pytest.raises(TypeError, match="name: expected a scheme name"):
        init.variance(None, 3, 2)
    assert init.variance("he", 4, 2) == 0.5


def test_an_unknown_dtype_name_is_refused_not_read_as_float64():
    # issue 11: np.dtype("foo") fails, and the None left behind compared equal to float64
    # (NumPy reads dtype == None as dtype == float64), so dtype="foo" built float64 weights
    with pytest.raises(TypeError, match=r"^dtype: expected float32 or float64, got 'foo'$"):
        init.he_normal(3, 2, 0, dtype="foo")
    from bpnet_lib import bpnet
    with pytest.raises(TypeError, match=r"^dtype: expected float32 or float64, got 'foo'$"):
        bpnet.BPNet([3, 2], ["softmax"], dtype="foo")
