"""Issue 11: a sweep of bad inputs over the public functions of gradcheck, metric, bpnet,
init, network (Sequential, Dropout, ELU, Flatten), data, symbolic, train and optim.

Each case replaces ONE argument of a valid call by a bad value (wrong ndim or shape, N = 0,
NaN, +-inf, complex, strings, None, negative, zero or fractional sizes, out-of-range or
fractional labels, non-bool flags, non-callables). The call must raise ``ValueError`` or
``TypeError`` whose message names that argument (as the caller wrote it). A second table
feeds the same valid calls arrays of other dtypes and layouts (int, bool, float32,
read-only, non-contiguous): the call must then return finite numbers equal to the float64
reference (to float32 precision for float32).
"""

import re

import numpy as np
import pytest
import sympy

from bpnet_lib import bpnet as bp
from bpnet_lib import data, gradcheck, init, losses, metric, symbolic, train
from bpnet_lib import network as nn
from bpnet_lib.optim import SGD
from bad_input_helpers import as_float64_list, read_only, variants

rng0 = np.random.default_rng(0)
X43 = rng0.standard_normal((4, 3))
Y4 = np.array([0, 1, 0, 1])
C23 = rng0.standard_normal((2, 3))
_x, _y = sympy.symbols("x y", real=True)

# --- bad values by kind -------------------------------------------------------------------

FEATURES = {           # for an (N, D) float array
    "1-D": np.ones(3), "3-D": np.ones((2, 2, 2)), "N=0": np.ones((0, 3)),
    "NaN": np.array([[0.0, np.nan, 1.0]] * 4), "+inf": np.array([[0.0, np.inf, 1.0]] * 4),
    "-inf": np.array([[0.0, -np.inf, 1.0]] * 4), "complex": X43 + 1j,
    "strings": np.array([["a", "b", "c"]] * 4), "None": None, "scalar": 1.0,
}
LABELS = {             # for integer labels of shape (4,) in 0..1
    "0.5": np.array([0.5, 1, 0, 1]), "NaN": np.array([np.nan, 1, 0, 1]),
    "inf": np.array([np.inf, 1, 0, 1]), "2-D": Y4[:, None], "short": Y4[:3],
    "strings": np.array(list("abab")), "None": None, "1e20": np.array([1e20, 1, 0, 1]),
}
LABELS_IN_K = dict(LABELS, **{"negative": np.array([-1, 1, 0, 1]), "K": np.array([2, 1, 0, 1])})
POSINT = {"0": 0, "-1": -1, "2.5": 2.5, "True": True, "'3'": "3", "None": None,
          "nan": float("nan")}
FRACTION = {"0": 0, "1": 1, "-0.1": -0.1, "nan": float("nan"), "inf": float("inf"),
            "'0.5'": "0.5", "None": None, "True": True}
NONNEG = {"-1": -1.0, "nan": float("nan"), "inf": float("inf"), "'1'": "1", "None": None,
          "True": True}
FLAG = {"'no'": "no", "0": 0, "None": None, "1.0": 1.0}
CALLABLE = {"5": 5, "None": None, "'f'": "f"}
SHAPES = ("1-D", "3-D", "N=0", "scalar")
RNG = {"'a'": "a", "1.5": 1.5, "True": True, "[1]": [1.5]}


def _model():
    return nn.Sequential(nn.Linear(3, 2, rng=0))


class _Params:
    """A minimal model for SGD with one bad parameter or gradient."""

    def __init__(self, W, dW):
        self.W, self.dW = W, dW

    def params(self):
        return {"W": self.W}

    def grads(self):
        return {"W": self.dW}



def _bpnet_loss(H, reduction="sum"):
    net = bp.BPNet([3, 4, 2], ["tanh", "softmax"], reduction=reduction, rng=0)
    net.forward(X43)
    return net.loss(H)


def _bpnet_mse(H):
    net = bp.BPNet([3, 4, 2], ["tanh", "identity"], loss="mse", rng=0)
    net.forward(X43)
    return net.loss(H)


def _to_numpy(value):
    return symbolic.to_numpy(_x**2 + _y, [_x, _y])(value, 1.0)


def _fit(**changes):
    model = _model()
    args = dict(model=model, loss_fn=losses.softmax_cross_entropy, X=X43, y=Y4, epochs=1,
                batch_size=2, optimizer=SGD(model, lr=0.1), rng=0, progress=False)
    args.update(changes)
    return train.fit(**args)


# (id, function of the bad value, argument name the message must give, table of values)
SWEEPS = [
    # gradcheck
    ("relative_error a", lambda v: gradcheck.relative_error(v, X43), "a",
     {k: v for k, v in FEATURES.items() if k not in SHAPES}),       # any shape is fine
    ("numerical_gradient x", lambda v: gradcheck.numerical_gradient(np.sum, v), "x",
     dict({k: v for k, v in FEATURES.items() if k not in SHAPES}, int=np.ones((2, 2), int),
          list=[[1.0]], read_only=read_only([1.0]))),
    ("numerical_gradient eps", lambda v: gradcheck.numerical_gradient(np.sum, np.ones(2), eps=v),
     "eps", dict(NONNEG, zero=0.0)),
    ("numerical_gradient f", lambda v: gradcheck.numerical_gradient(lambda x: v, np.ones(2)),
     "f(x)", {"None": None, "string": "a", "complex": 1j, "array": np.ones(2), "nan": np.nan}),
    ("numerical_gradient_array dout",
     lambda v: gradcheck.numerical_gradient_array(lambda x: 2 * x, X43.copy(), v), "dout",
     FEATURES),
    ("check_gradients args", lambda v: gradcheck.check_gradients(lambda W: W, v, lambda d: (d,)),
     "args", {"5": 5, "None": None, "ndarray": np.ones(2), "list of int": [np.ones(2, int)]}),
    ("check_gradients grads",
     lambda v: gradcheck.check_gradients(lambda W: 2 * W, [np.ones(2)], lambda d: v), "grads",
     {"None": None, "5": 5, "ndarray": np.ones(2), "wrong count": (np.ones(2), np.ones(2)),
      "NaN": (np.array([np.nan, 1.0]),), "wrong shape": (np.ones(3),)}),
    ("check_gradients tol",
     lambda v: gradcheck.check_gradients(lambda W: W, [np.ones(2)], lambda d: (d,), tol=v),
     "tol", {"-1": -1.0, "nan": float("nan"), "'1'": "1", "None": None, "True": True}),
    ("check_gradients rng",
     lambda v: gradcheck.check_gradients(lambda W: W, [np.ones(2)], lambda d: (d,), rng=v),
     "rng", RNG),
    # metric
    ("pairwise_distances X", metric.pairwise_distances, "X", FEATURES),
    ("gram_sq_distances X", metric.gram_sq_distances, "X", FEATURES),
    ("affinity_matrix y", metric.affinity_matrix, "y",
     dict({k: v for k, v in LABELS.items() if k != "short"}, negative=np.array([-1, 0]),
          empty=np.array([], int))),
    ("affinity_matrix K", lambda v: metric.affinity_matrix(Y4, K=v), "K",
     {"0": 0, "2.5": 2.5, "True": True, "'2'": "2", "-1": -1}),
    ("contrastive_loss X", lambda v: metric.contrastive_loss(v, Y4), "X",
     dict(FEATURES, **{"N=1": np.ones((1, 3))})),
    ("contrastive_loss y", lambda v: metric.contrastive_loss(X43, v), "y", LABELS),
    ("contrastive_loss margin", lambda v: metric.contrastive_loss(X43, Y4, margin=v), "margin",
     NONNEG),
    ("contrastive_loss reduction", lambda v: metric.contrastive_loss(X43, Y4, reduction=v),
     "reduction", {"'avg'": "avg", "None": None, "1": 1}),
    ("contrastive_loss_matrix X", lambda v: metric.contrastive_loss_matrix(v, Y4), "X", FEATURES),
    ("contrastive_loss_matrix y", lambda v: metric.contrastive_loss_matrix(X43, v), "y", LABELS),
    ("triplet_loss Xa", lambda v: metric.triplet_loss(v, X43, X43), "Xa", FEATURES),
    ("triplet_loss Xn", lambda v: metric.triplet_loss(X43, X43, v), "Xn",
     dict(FEATURES, wrong_shape=np.ones((3, 3)))),
    ("triplet_loss margin", lambda v: metric.triplet_loss(X43, X43, X43, margin=v), "margin",
     NONNEG),
    ("triplet_kinds Xp", lambda v: metric.triplet_kinds(X43, v, X43), "Xp", FEATURES),
    ("center_loss X", lambda v: metric.center_loss(v, Y4, C23), "X", FEATURES),
    ("center_loss y", lambda v: metric.center_loss(X43, v, C23), "y", LABELS_IN_K),
    ("center_loss centers", lambda v: metric.center_loss(X43, Y4, v), "centers",
     dict(FEATURES, wrong_D=np.ones((2, 4)))),
    ("center_update gamma", lambda v: metric.center_update(X43, Y4, C23, gamma=v), "gamma",
     dict(NONNEG, **{"1.5": 1.5})),
    # bpnet
    ("BPNet widths", lambda v: bp.BPNet(v, ["softmax"]), "widths",
     {"5": 5, "'32'": "32", "None": None, "[3]": [3], "[3, 0]": [3, 0], "[3, 2.0]": [3, 2.0],
      "[3, -2]": [3, -2]}),
    ("BPNet activations", lambda v: bp.BPNet([3, 2], v), "activations",
     {"None": None, "'softmax'": "softmax", "[]": [], "['foo']": ["foo"],
      "['relu'] with CE": ["relu"]}),
    ("BPNet loss", lambda v: bp.BPNet([3, 2], ["softmax"], loss=v), "loss",
     {"'foo'": "foo", "None": None, "['mse']": ["mse"]}),
    ("BPNet reduction", lambda v: bp.BPNet([3, 2], ["softmax"], reduction=v), "reduction",
     {"'avg'": "avg", "None": None}),
    ("BPNet rng", lambda v: bp.BPNet([3, 2], ["softmax"], rng=v), "rng", RNG),
    ("BPNet init", lambda v: bp.BPNet([3, 2], ["softmax"], init=v), "init",
     {"'foo'": "foo", "5": 5, "wrong shape": lambda n, m, rng, dtype: np.ones((1, 1)),
      "NaN": lambda n, m, rng, dtype: np.full((n, m), np.nan)}),
    ("BPNet dtype", lambda v: bp.BPNet([3, 2], ["softmax"], dtype=v), "dtype",
     {"int64": np.int64, "float16": np.float16, "complex": complex, "'foo'": "foo", "bool": bool}),
    ("BPNet.forward X", lambda v: bp.BPNet([3, 2], ["softmax"], rng=0).forward(v), "X",
     dict(FEATURES, wrong_D=np.ones((4, 2)))),
    ("BPNet.loss H", _bpnet_loss, "H", dict(LABELS_IN_K, wrong_rows=np.full((4, 2), 0.3),
                                             NaN_rows=np.full((4, 2), np.nan))),
    ("BPNet.loss (mse) H", _bpnet_mse, "H", {"NaN": np.full((4, 2), np.nan),
                                           "huge": np.full((4, 2), 1e300),
                                           "wrong shape": np.ones((4, 3))}),
    ("BPNet.backward_sample x",
     lambda v: bp.BPNet([3, 2], ["softmax"], rng=0).backward_sample(v, 0), "x",
     {"2-D": np.ones((1, 3)), "NaN": np.array([np.nan, 0, 0]), "short": np.ones(2),
      "None": None, "complex": np.ones(3) * 1j}),
    ("BPNet.backward_sample h",
     lambda v: bp.BPNet([3, 2], ["softmax"], rng=0).backward_sample(np.ones(3), v), "h",
     {"1.5": 1.5, "2": 2, "-1": -1, "nan": np.nan, "True": True, "bad probs": np.array([2.0, -1.0]),
      "short": np.ones(1)}),
    ("BPNet.from_sequential seq", bp.BPNet.from_sequential, "seq",
     {"5": 5, "None": None, "[]": [], "[ReLU]": [nn.ReLU()],
      "mismatched": [nn.Linear(2, 3, rng=0), nn.Linear(4, 2, rng=0)]}),
    # init
    *[(f"init.{name} {arg}", (lambda v, name=name, arg=arg: getattr(init, name)(
        **dict(dict(fan_in=3, fan_out=2, rng=0), **{arg: v}))), arg, table)
      for name in ("lecun_normal", "lecun_uniform", "glorot_normal", "glorot_uniform",
                   "he_normal", "he_uniform")
      for arg, table in (("fan_in", POSINT), ("fan_out", POSINT), ("rng", RNG))],
    *[(f"init.{name} dtype", (lambda v, name=name: getattr(init, name)(3, 2, 0, dtype=v)),
       "dtype", {"int64": np.int64, "bool": bool, "complex": complex, "float16": np.float16})
      for name in ("he_normal", "glorot_uniform")],
    ("init.variance name", lambda v: init.variance(v, 3, 2), "name",
     {"3": 3, "None": None, "'foo'": "foo"}),
    ("init.variance fan_in", lambda v: init.variance("he", v, 2), "fan_in", POSINT),
    ("init.get name", init.get, "init", {"5": 5, "None": None, "'foo'": "foo"}),
    # network
    ("Sequential layers", lambda v: nn.Sequential(v), "layers",
     {"5": 5, "None": None, "function": np.tanh}),
    ("Sequential.forward X", lambda v: _model().forward(v), "X",     # N = 0 runs (empty output)
     dict({k: v for k, v in FEATURES.items() if k != "N=0"}, wrong_D=np.ones((4, 2)))),
    ("Sequential.train mode", lambda v: _model().train(v), "mode",
     {"'eval'": "eval", "0": 0, "None": None}),
    ("Dropout p_drop", lambda v: nn.Dropout(v, rng=0), "p_drop",
     {"1.0": 1.0, "-0.1": -0.1, "nan": float("nan"), "'0.5'": "0.5", "None": None}),
    ("Dropout rng", lambda v: nn.Dropout(0.5, rng=v), "rng", dict(RNG, None_=None)),
    ("ELU alpha", lambda v: nn.ELU(alpha=v), "alpha", NONNEG),
    ("Flatten.forward X", lambda v: nn.Flatten().forward(v), "X",
     {k: FEATURES[k] for k in ("1-D", "NaN", "strings", "None", "scalar", "complex")}),
    # data
    ("xor n_per_corner", lambda v: data.xor(v), "n_per_corner", POSINT),
    ("xor noise", lambda v: data.xor(5, noise=v), "noise", dict(NONNEG, huge=1.7e308)),
    ("xor rng", lambda v: data.xor(5, rng=v), "rng", RNG),
    ("two_spirals n", lambda v: data.two_spirals(v), "n", POSINT),
    ("two_spirals noise", lambda v: data.two_spirals(5, noise=v), "noise",
     dict(NONNEG, huge=1.7e308)),
    ("stratified_split y", data.stratified_split, "y",
     {k: LABELS[k] for k in ("0.5", "NaN", "inf", "2-D", "strings")} | {"empty": np.array([], int)}),
    ("stratified_split test_size", lambda v: data.stratified_split(Y4, test_size=v),
     "test_size", FRACTION),
    ("stratified_split seed", lambda v: data.stratified_split(Y4, seed=v), "seed", RNG),
    ("train_val_test_split val_size",
     lambda v: data.train_val_test_split(np.arange(20) % 2, val_size=v), "val_size", FRACTION),
    ("one_hot y", lambda v: data.one_hot(v, 2), "y",
     {k: v for k, v in LABELS_IN_K.items() if k != "short"}),      # any length is fine
    ("one_hot K", lambda v: data.one_hot(Y4, v), "K", POSINT),
    ("minibatches X", lambda v: data.minibatches(v, None, 2, rng=0), "X",
     {k: FEATURES[k] for k in ("NaN", "strings", "None", "scalar", "complex")}),
    ("minibatches y", lambda v: data.minibatches(X43, v, 2, rng=0), "y",
     {"short": Y4[:3], "scalar": 1}),
    ("minibatches batch_size", lambda v: data.minibatches(X43, Y4, v, rng=0), "batch_size",
     POSINT),
    ("minibatches rng", lambda v: data.minibatches(X43, Y4, 2, rng=v), "rng",
     dict(RNG, None_=None)),
    ("minibatches shuffle", lambda v: data.minibatches(X43, Y4, 2, rng=0, shuffle=v), "shuffle",
     FLAG),
    ("minibatches drop_last", lambda v: data.minibatches(X43, Y4, 2, rng=0, drop_last=v),
     "drop_last", FLAG),
    # symbolic
    ("symbolic.matrix rows", lambda v: symbolic.matrix("W", v, 2), "rows", POSINT),
    ("symbolic.matrix name", lambda v: symbolic.matrix(v, 2, 2), "name",
     {"5": 5, "''": "", "None": None}),
    ("symbolic.vector n", lambda v: symbolic.vector("v", v), "n", POSINT),
    ("symbolic.tensor shape", lambda v: symbolic.tensor("T", v), "shape",
     {"(2, -1)": (2, -1), "(2, 0)": (2, 0), "(2, 2.5)": (2, 2.5), "None": None}),
    ("to_numpy values", _to_numpy, "values",
     {"None": None, "'2'": "2", "complex": 1 + 2j, "complex array": np.array([1j]),
      "huge": 1e200, "strings": np.array(["1"])}),
    ("to_numpy symbols", lambda v: symbolic.to_numpy(_x + _y, v), "symbols",
     {"missing y": [_x], "number": [1], "None": None}),
    # train
    ("accuracy scores", lambda v: train.accuracy(v, Y4), "scores",
     {k: FEATURES[k] for k in ("3-D", "NaN", "+inf", "complex", "strings", "None",
                               "scalar")}),
    ("accuracy y", lambda v: train.accuracy(np.ones((4, 2)), v), "y", LABELS_IN_K),
    ("evaluate X", lambda v: train.evaluate(_model(), losses.softmax_cross_entropy, v, Y4), "X",
     {k: FEATURES[k] for k in ("N=0", "NaN", "strings", "None", "scalar", "complex")}),
    ("evaluate batch_size",
     lambda v: train.evaluate(_model(), losses.softmax_cross_entropy, X43, Y4, batch_size=v),
     "batch_size", {k: v for k, v in POSINT.items() if k != "None"}),   # None: one batch
    ("evaluate loss_fn", lambda v: train.evaluate(_model(), v, X43, Y4), "loss_fn",
     dict(CALLABLE, returns_None=lambda S, y: None, returns_str=lambda S, y: ("a", S))),
    ("fit X", lambda v: _fit(X=v), "X",
     {k: FEATURES[k] for k in ("N=0", "NaN", "strings", "None", "scalar", "complex")}),
    ("fit y", lambda v: _fit(y=v), "y", LABELS_IN_K),
    ("fit epochs", lambda v: _fit(epochs=v), "epochs",
     {"-1": -1, "2.5": 2.5, "True": True, "'3'": "3", "None": None}),
    ("fit batch_size", lambda v: _fit(batch_size=v), "batch_size", POSINT),
    ("fit optimizer", lambda v: _fit(optimizer=v), "optimizer", CALLABLE),
    ("fit loss_fn", lambda v: _fit(loss_fn=v), "loss_fn",
     dict(CALLABLE, returns_float=lambda S, y: 1.0,
          returns_vector=lambda S, y: (np.ones(3), S))),
    ("fit callback", lambda v: _fit(callback=v), "callback", {"5": 5, "'f'": "f"}),
    ("fit rng", lambda v: _fit(rng=v), "rng", dict(RNG, None_=None)),
    ("fit progress", lambda v: _fit(progress=v), "progress", FLAG),
    ("fit X_val", lambda v: _fit(X_val=v, y_val=Y4), "X_val",
     {k: FEATURES[k] for k in ("N=0", "scalar")}),
    ("fit y_val", lambda v: _fit(X_val=X43, y_val=v), "y_val", {"short": Y4[:3], "scalar": 1}),
    ("fit early_stopping", lambda v: _fit(early_stopping=v), "early_stopping",
     {"5": 5, "no X_val": train.EarlyStopping()}),
    ("EarlyStopping patience", lambda v: train.EarlyStopping(patience=v), "patience", POSINT),
    ("EarlyStopping min_delta", lambda v: train.EarlyStopping(min_delta=v), "min_delta", NONNEG),
    # more of the same modules
    ("pairwise_distances_backward ddist",
     lambda v: metric.pairwise_distances_backward(v, metric.pairwise_distances_forward(X43)[1]),
     "ddist", dict(FEATURES, wrong_shape=np.ones((4, 3)))),
    ("pairwise_distances_backward cache",
     lambda v: metric.pairwise_distances_backward(np.ones((4, 4)), v), "cache",
     {"None": None, "pair of ints": (1, 2), "2-D diff": (np.ones((4, 4)), np.ones((4, 4)))}),
    ("center_steps centers", lambda v: metric.center_steps(X43, Y4, v), "centers",
     dict(FEATURES, wrong_D=np.ones((2, 4)))),
    ("triplet_kinds margin", lambda v: metric.triplet_kinds(X43, X43, X43, margin=v), "margin",
     NONNEG),
    ("numerical_gradient_array x",
     lambda v: gradcheck.numerical_gradient_array(lambda x: x, v, np.ones(2)), "x",
     {"int": np.ones(2, int), "list": [1.0, 2.0], "read-only": read_only([1.0, 2.0]),
      "NaN": np.array([np.nan, 1.0]), "float32": np.ones(2, np.float32)}),
    ("check_gradients dout",
     lambda v: gradcheck.check_gradients(lambda W: 2 * W, [np.ones(2)], [np.ones(2)], dout=v),
     "dout", {"wrong shape": np.ones(3), "NaN": np.array([np.nan, 1.0]), "None (array out)": None,
              "strings": np.array(["a", "b"])}),
    ("check_gradients eps",
     lambda v: gradcheck.check_gradients(lambda W: W, [np.ones(2)], lambda d: (d,), eps=v),
     "eps", dict(NONNEG, zero=0.0, tiny=1e-300)),
    ("Sequential.backward dout",     # named as the last layer's dY, after "layer 0 (...): "
     lambda v: (lambda m: (m.forward(X43), m.backward(v)))(_model()), "dY",
     {"wrong shape": np.ones((4, 3)), "NaN": np.full((4, 2), np.nan), "None": None,
      "strings": np.array([["a", "b"]] * 4)}),
    ("train_val_test_split test_size",
     lambda v: data.train_val_test_split(np.arange(20) % 2, test_size=v), "test_size", FRACTION),
    ("train_val_test_split seed",
     lambda v: data.train_val_test_split(np.arange(20) % 2, seed=v), "seed",
     {"'a'": "a", "1.5": 1.5, "True": True, "None": None}),
    ("digits test_size", lambda v: data.digits(test_size=v), "test_size", FRACTION),
    ("digits val_size", lambda v: data.digits(val_size=v), "val_size",
     {k: v for k, v in FRACTION.items() if k != "None"}),
    ("symbolic.jacobian x", lambda v: symbolic.jacobian(_x**2, v), "x",
     {"number": [1], "None": None, "expression": [_x + 1]}),
    ("symbolic.gradient f", lambda v: symbolic.gradient(v, [_x]), "f",
     {"vector": sympy.Matrix([_x, _x]), "None": None}),
    ("symbolic.hessian f", lambda v: symbolic.hessian(v, [_x]), "f",
     {"vector": sympy.Matrix([_x, _x]), "None": None}),
    ("symbolic.assert_equal b", lambda v: symbolic.assert_equal(sympy.Matrix([_x]), v), "b",
     {"wrong shape": sympy.Matrix([_x, _x]), "None": None}),
    ("symbolic.substitute mapping", lambda v: symbolic.substitute(_x + _y, v), "mapping",
     {"number key": {1: 2}, "array for a symbol": {_x: np.ones(2)},
      "wrong shape": {symbolic.vector("v", 2): np.ones(3)}, "None": None, "5": 5}),
    ("BPNet.to_sequential (softmax hidden)",
     lambda v: bp.BPNet([3, 3, 2], [v, "identity"], loss="mse").to_sequential(), "activations",
     {"'softmax'": "softmax"}),
    ("Sequential.predict X", lambda v: _model().predict(v), "X",
     {k: FEATURES[k] for k in ("NaN", "strings", "None", "scalar", "complex")}),
    # optim
    ("SGD model", lambda v: SGD(v, lr=0.1), "model", {"5": 5, "None": None}),
    ("SGD lr", lambda v: SGD(_model(), lr=v), "lr", dict(NONNEG, zero=0.0)),
    ("SGD momentum", lambda v: SGD(_model(), lr=0.1, momentum=v), "momentum",
     dict(NONNEG, one=1.0)),
    ("SGD weight_decay", lambda v: SGD(_model(), lr=0.1, weight_decay=v), "weight_decay", NONNEG),
    ("SGD decay_filter", lambda v: SGD(_model(), lr=0.1, decay_filter=v), "decay_filter",
     {"5": 5, "'W'": "W"}),
    ("SGD.step params()", lambda v: SGD(_Params(v, np.ones(2)), lr=0.1).step(), "params()",
     {"read-only": read_only([1.0, 2.0]), "int": np.array([1, 2]), "list": [1.0, 2.0],
      "complex": np.array([1j, 2])}),
    ("SGD.step grads()", lambda v: SGD(_Params(np.ones(2), v), lr=0.1).step(), "grads()",
     {"None": None, "NaN": np.array([np.nan, 1.0]), "inf": np.array([np.inf, 1.0]),
      "complex": np.array([1j, 0]), "strings": np.array(["a", "b"]), "wrong shape": np.ones(3)}),
]

CASES = [pytest.param(fn, arg, value, id=f"{name} = {label}")
         for name, fn, arg, table in SWEEPS for label, value in table.items()]


@pytest.mark.parametrize("fn, arg, value", CASES)
def test_bad_input_raises_naming_the_argument(fn, arg, value):
    with np.errstate(all="raise"):   # a NumPy warning on the way would be a silent number
        with pytest.raises((ValueError, TypeError)) as info:
            out = fn(value)
            if hasattr(out, "__next__"):  # a generator checks its arguments when called
                next(out)
    # the message starts with the argument's name; a Sequential prefixes the layer it was in
    message = re.sub(r"^layer \d+ \(.*?\): ", "", str(info.value))
    name = arg if arg != "layers" else "layers[0]"
    assert message.startswith(name), f"message does not start by naming {arg!r}: {info.value}"


# --- other dtypes and layouts: the float64 answer ------------------------------------------



INT_X = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
BOOL_X = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])

DTYPE_CASES = [
    ("pairwise_distances", lambda A: metric.pairwise_distances(A)),
    ("gram_sq_distances", lambda A: metric.gram_sq_distances(A)),
    ("contrastive_loss", lambda A: metric.contrastive_loss(A, Y4)),
    ("contrastive_loss_matrix", lambda A: metric.contrastive_loss_matrix(A, Y4)),
    ("triplet_loss", lambda A: metric.triplet_loss(A, A[::-1], A[[1, 2, 3, 0]])),
    ("center_loss", lambda A: metric.center_loss(A, Y4, C23)),
    ("center_update", lambda A: metric.center_update(A, Y4, C23)),
    ("relative_error", lambda A: gradcheck.relative_error(A, A + 1)),
    ("BPNet.forward", lambda A: bp.BPNet([3, 4, 2], ["tanh", "softmax"], rng=0).forward(A)),
    ("Sequential.forward", lambda A: _model().forward(A)),
    ("Flatten.forward", lambda A: nn.Flatten().forward(A)),
    ("accuracy", lambda A: train.accuracy(A, np.array([2, 2, 0, 1]))),
    ("evaluate", lambda A: train.evaluate(_model(), losses.softmax_cross_entropy, A, Y4)),
]



@pytest.mark.parametrize("base", [INT_X, BOOL_X], ids=["integral", "zero-one"])
@pytest.mark.parametrize("name, fn", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_other_dtypes_and_layouts_give_the_float64_answer(name, fn, base):
    with np.errstate(all="raise"):
        reference = as_float64_list(fn(base.copy()))
        for label, A, rtol in variants(base, float16_and_list=False):
            got = as_float64_list(fn(A))
            for g, r in zip(got, reference):
                assert np.all(np.isfinite(g)), f"{name} on {label}: not finite"
                np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol,
                                           err_msg=f"{name} on {label} input")
            if label == "read-only":
                assert not A.flags.writeable  # untouched


def test_sweep_size():
    # the count the note reports; a table that shrank would show here
    assert len(CASES) >= 500 and len(DTYPE_CASES) * 2 >= 26
