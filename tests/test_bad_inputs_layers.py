"""Issue 11: a sweep of bad inputs over every public name of activations, pool, margin,
losses, conv, layers and rnn (the functional layers; their cache NamedTuples are swept as
the ``cache`` argument of the backward functions that take them).

Designed as tests/test_bad_inputs_edges.py: each case replaces ONE argument of a valid call
by a bad value (wrong ndim or shape, N = 0, NaN, +-inf, complex, strings, None, negative,
zero or fractional sizes, out-of-range or fractional labels, wrong caches). The call must
raise ``ValueError`` or ``TypeError`` whose message starts with that argument's name. A
second table feeds valid calls arrays of other dtypes and layouts (int, bool, float16,
float32, read-only, non-contiguous) and huge values (1e300): the call must then return
finite numbers equal to the float64 reference, or refuse naming the argument.
``test_every_public_name_is_swept`` fails when a module gains a public name no case calls.
"""

import importlib
import re

import numpy as np
import pytest

from bpnet_lib import activations as act
from bpnet_lib import conv, layers, losses, margin, pool, rnn
from bad_input_helpers import as_float64_list, read_only, variants

MODULES = ("activations", "pool", "margin", "losses", "conv", "layers", "rnn")

rng0 = np.random.default_rng(0)
X43 = rng0.standard_normal((4, 3))
W32 = rng0.standard_normal((3, 2))
B2 = rng0.standard_normal(2)
Y4 = np.array([0, 1, 0, 1])
S4 = rng0.standard_normal(4)
IMG = rng0.standard_normal((2, 1, 4, 4))            # (N, C, H, W)
KER = rng0.standard_normal((2, 1, 3, 3))            # (F, C, kh, kw)
KB = rng0.standard_normal(2)
SEQ = rng0.standard_normal((2, 3, 3))               # (N, T, D)
H0 = rng0.standard_normal((2, 4))                   # (N, M)
WX = rng0.standard_normal((3, 4)) * 0.5
WH = rng0.standard_normal((4, 4)) * 0.5
BH = rng0.standard_normal(4)

# --- bad values by kind -------------------------------------------------------------------

VALUES = {             # for an array of any shape (elementwise functions)
    "NaN": np.array([0.0, np.nan, 1.0]), "+inf": np.array([0.0, np.inf, 1.0]),
    "-inf": np.array([0.0, -np.inf, 1.0]), "complex": np.array([1.0 + 1j, 0.0]),
    "strings": np.array(["a", "b"]), "None": None, "object": np.array([1.0, None]),
}


def features(shape):
    """Bad arrays for an argument of ``shape``: wrong ndim, N = 0 and the bad values."""
    good = np.ones(shape)
    out = {"ndim-1": np.ones(shape[1:]) if len(shape) > 1 else np.ones((1, 1)),
           "ndim+1": good[..., None], "N=0": np.ones((0,) + tuple(shape[1:]))}
    for label in ("NaN", "+inf", "-inf"):
        a = good.copy()
        a.flat[1] = {"NaN": np.nan, "+inf": np.inf, "-inf": -np.inf}[label]
        out[label] = a
    out.update({"complex": good + 1j, "strings": np.full(shape, "a"), "None": None,
                "scalar": 1.0})
    return out


def no_empty(table):
    return {k: v for k, v in table.items() if k != "N=0"}


LABELS = {             # for integer labels of shape (4,) in 0..1
    "0.5": np.array([0.5, 1, 0, 1]), "NaN": np.array([np.nan, 1, 0, 1]),
    "inf": np.array([np.inf, 1, 0, 1]), "2-D": Y4[:, None], "short": Y4[:3],
    "strings": np.array(list("abab")), "None": None, "1e20": np.array([1e20, 1, 0, 1]),
    "negative": np.array([-1, 1, 0, 1]), "K": np.array([2, 1, 0, 1]),
    "complex": Y4 + 0j,
}
POSINT = {"0": 0, "-1": -1, "2.5": 2.5, "True": True, "'3'": "3", "None": None,
          "nan": float("nan")}
NONNEG_INT = {"-1": -1, "2.5": 2.5, "True": True, "'3'": "3", "None": None}
NONNEG = {"-1": -1.0, "nan": float("nan"), "inf": float("inf"), "'1'": "1", "None": None,
          "True": True}
POSITIVE = dict(NONNEG, zero=0.0)
REDUCTION = {"'avg'": "avg", "None": None, "1": 1}
AXIS = {"5": 5, "-3": -3, "1.5": 1.5, "'0'": "0", "True": True}
FLAG = {"'no'": "no", "None": None, "1.0": 1.0}
PAIR = dict(POSINT, **{"(2, 0)": (2, 0), "(2, -1)": (2, -1), "(2,)": (2,), "(2, 2.5)": (2, 2.5)})



# valid forward passes whose caches the backward sweeps use
def _cache(fn, *args, **kw):
    return fn(*args, **kw)[1]


MAXC = _cache(pool.maxpool2d_forward, IMG)
AVGC = _cache(pool.avgpool2d_forward, IMG)
NAIVEC = _cache(pool.maxpool2d_forward_naive, IMG)
COSC = _cache(margin.cosine_logits_forward, X43, W32)
CCOSC = _cache(margin.centred_cosine_logits_forward, X43, W32)
LSC = _cache(margin.lsoftmax_logits_forward, X43, W32, Y4, 2)
CONVC = _cache(conv.conv2d_forward, IMG, KER, KB, padding=1)
CONVNC = _cache(conv.conv2d_forward_naive, IMG, KER, KB, padding=1)
AFFC = _cache(layers.affine_forward, X43, W32, B2)
ACTC = _cache(layers.relu_forward, X43)
ELUC = _cache(layers.elu_forward, X43)
ARC = _cache(layers.affine_relu_forward, X43, W32, B2)
DROPC = _cache(layers.dropout_forward, X43, 0.5, np.random.default_rng(0))
MAXOC = _cache(layers.maxout_forward, np.ones((4, 4)), 2)
STEPC = _cache(rnn.rnn_step_forward, H0[:, :3], H0, WX, WH, BH)
RNNC = _cache(rnn.rnn_forward, SEQ, H0, WX, WH, BH)


def caches(*others):
    """Wrong caches: not a cache at all, and the caches of other functions."""
    out = {"None": None, "5": 5, "tuple": (1, 2)}
    out.update({type(c).__name__: c for c in others})
    return out


def wrong_shape(shape):
    return {"wrong shape": np.ones(tuple(s + 1 for s in shape)), **features(shape)}


# (id "module.name arg", function of the bad value, name the message must give, table)
SWEEPS = [
    # activations: elementwise, any shape
    *[(f"activations.{n} z", getattr(act, n), "z", VALUES)
      for n in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "elu",
                "elu_grad", "softmax", "log_softmax", "logsumexp")],
    ("activations.elu alpha", lambda v: act.elu(X43, alpha=v), "alpha", NONNEG),
    ("activations.elu_grad alpha", lambda v: act.elu_grad(X43, alpha=v), "alpha", NONNEG),
    ("activations.softmax axis", lambda v: act.softmax(X43, axis=v), "axis", AXIS),
    ("activations.log_softmax axis", lambda v: act.log_softmax(X43, axis=v), "axis", AXIS),
    ("activations.logsumexp axis", lambda v: act.logsumexp(X43, axis=v), "axis", AXIS),
    ("activations.logsumexp keepdims", lambda v: act.logsumexp(X43, keepdims=v), "keepdims",
     FLAG),
    ("activations.softmax_jacobian z", act.softmax_jacobian, "z",
     dict(no_empty(features((3,))), **{"2-D": X43, "empty": np.ones(0)})),
    # pool
    *[(f"pool.{n} X", getattr(pool, n), "X", no_empty(features((2, 1, 4, 4))))
      for n in ("maxpool2d_forward", "avgpool2d_forward", "maxpool2d_forward_naive",
                "avgpool2d_forward_naive")],
    *[(f"pool.{n} size", lambda v, n=n: getattr(pool, n)(IMG, size=v), "size",
       dict(PAIR, too_big=5)) for n in ("maxpool2d_forward", "avgpool2d_forward",
                                        "maxpool2d_forward_naive", "avgpool2d_forward_naive")],
    *[(f"pool.{n} stride", lambda v, n=n: getattr(pool, n)(IMG, stride=v), "stride",
       {k: v for k, v in PAIR.items() if k != "None"})           # None: stride = size
      for n in ("maxpool2d_forward", "avgpool2d_forward", "maxpool2d_forward_naive",
                "avgpool2d_forward_naive")],
    ("pool.maxpool2d_backward dY", lambda v: pool.maxpool2d_backward(v, MAXC), "dY",
     wrong_shape((2, 1, 2, 2))),
    ("pool.avgpool2d_backward dY", lambda v: pool.avgpool2d_backward(v, AVGC), "dY",
     wrong_shape((2, 1, 2, 2))),
    ("pool.maxpool2d_backward_naive dY", lambda v: pool.maxpool2d_backward_naive(v, NAIVEC),
     "dY", wrong_shape((2, 1, 2, 2))),
    ("pool.avgpool2d_backward_naive dY", lambda v: pool.avgpool2d_backward_naive(v, NAIVEC),
     "dY", wrong_shape((2, 1, 2, 2))),
    ("pool.MaxPool2dCache via maxpool2d_backward cache",
     lambda v: pool.maxpool2d_backward(np.ones((2, 1, 2, 2)), v), "cache", caches(AVGC, NAIVEC)),
    ("pool.AvgPool2dCache via avgpool2d_backward cache",
     lambda v: pool.avgpool2d_backward(np.ones((2, 1, 2, 2)), v), "cache", caches(MAXC, NAIVEC)),
    ("pool.PoolNaiveCache via maxpool2d_backward_naive cache",
     lambda v: pool.maxpool2d_backward_naive(np.ones((2, 1, 2, 2)), v), "cache",
     caches(MAXC, AVGC)),
    ("pool.PoolNaiveCache via avgpool2d_backward_naive cache",
     lambda v: pool.avgpool2d_backward_naive(np.ones((2, 1, 2, 2)), v), "cache",
     caches(MAXC, AVGC)),
    # margin
    ("margin.chebyshev c", lambda v: margin.chebyshev(v, 2), "c", VALUES),  # T_m: any real c
    ("margin.chebyshev m", lambda v: margin.chebyshev(0.5, v), "m", NONNEG_INT),
    ("margin.margin_segment c", lambda v: margin.margin_segment(v, 2), "c",
     dict(VALUES, **{"1.5": 1.5, "-1.5": np.array([-1.5, 0.0])})),
    ("margin.margin_segment m", lambda v: margin.margin_segment(0.5, v), "m", POSINT),
    ("margin.psi_from_cos c", lambda v: margin.psi_from_cos(v, 2), "c", VALUES),  # clips
    ("margin.psi_from_cos m", lambda v: margin.psi_from_cos(0.5, v), "m", POSINT),
    ("margin.psi varphi", lambda v: margin.psi(v, 2), "varphi",
     dict(VALUES, **{"-1": -1.0, "4": 4.0})),
    ("margin.psi m", lambda v: margin.psi(0.5, v), "m", POSINT),
    ("margin.cosine_logits_forward X", lambda v: margin.cosine_logits_forward(v, W32), "X",
     dict(features((4, 3)), wrong_D=np.ones((4, 2)), zero_row=np.zeros((4, 3)))),
    ("margin.cosine_logits_forward W", lambda v: margin.cosine_logits_forward(X43, v), "W",
     dict(no_empty(features((3, 2))), wrong_D=np.ones((2, 2)), zero_col=np.zeros((3, 2)))),
    ("margin.cosine_logits_forward scale",
     lambda v: margin.cosine_logits_forward(X43, W32, scale=v), "scale", POSITIVE),
    ("margin.cosine_logits_forward normalize_features",
     lambda v: margin.cosine_logits_forward(X43, W32, normalize_features=v),
     "normalize_features", FLAG),
    ("margin.cosine_logits_backward dZ", lambda v: margin.cosine_logits_backward(v, COSC), "dZ",
     wrong_shape((4, 2))),
    ("margin.cosine_logits_backward cache",
     lambda v: margin.cosine_logits_backward(np.ones((4, 2)), v), "cache", caches(LSC)),
    ("margin.centred_cosine_logits_forward X",
     lambda v: margin.centred_cosine_logits_forward(v, W32), "X",
     dict(features((4, 3)), wrong_D=np.ones((4, 2)))),
    ("margin.centred_cosine_logits_forward W",
     lambda v: margin.centred_cosine_logits_forward(X43, v), "W", no_empty(features((3, 2)))),
    ("margin.centred_cosine_logits_backward dZ",
     lambda v: margin.centred_cosine_logits_backward(v, CCOSC), "dZ", wrong_shape((4, 2))),
    ("margin.centred_cosine_logits_backward cache",
     lambda v: margin.centred_cosine_logits_backward(np.ones((4, 2)), v), "cache", caches(LSC)),
    ("margin.lsoftmax_logits_forward X",
     lambda v: margin.lsoftmax_logits_forward(v, W32, Y4, 2), "X",
     dict(features((4, 3)), wrong_D=np.ones((4, 2)), zero_row=np.zeros((4, 3)))),
    ("margin.lsoftmax_logits_forward W",
     lambda v: margin.lsoftmax_logits_forward(X43, v, Y4, 2), "W",
     dict(no_empty(features((3, 2))), zero_col=np.zeros((3, 2)))),
    ("margin.lsoftmax_logits_forward y",
     lambda v: margin.lsoftmax_logits_forward(X43, W32, v, 2), "y", LABELS),
    ("margin.lsoftmax_logits_forward m",
     lambda v: margin.lsoftmax_logits_forward(X43, W32, Y4, v), "m", POSINT),
    ("margin.lsoftmax_logits_forward normalize_weights",
     lambda v: margin.lsoftmax_logits_forward(X43, W32, Y4, 2, normalize_weights=v),
     "normalize_weights", FLAG),
    ("margin.lsoftmax_logits_forward omega",
     lambda v: margin.lsoftmax_logits_forward(X43, W32, Y4, 2, omega=v), "omega",
     NONNEG),
    ("margin.lsoftmax_logits_backward dZ",
     lambda v: margin.lsoftmax_logits_backward(v, LSC), "dZ", wrong_shape((4, 2))),
    ("margin.lsoftmax_logits_backward cache",
     lambda v: margin.lsoftmax_logits_backward(np.ones((4, 2)), v), "cache", caches(COSC)),
    ("margin.feature_incay_loss X", lambda v: margin.feature_incay_loss(v), "X",
     features((4, 3))),
    ("margin.feature_incay_loss mask", lambda v: margin.feature_incay_loss(X43, mask=v), "mask",
     {"short": np.ones(3, bool), "2": np.array([2, 0, 1, 1]), "NaN": np.array([np.nan, 1, 0, 1]),
      "strings": np.array(list("abab")), "2-D": np.ones((4, 1), bool)}),
    ("margin.feature_incay_loss lam", lambda v: margin.feature_incay_loss(X43, lam=v), "lam",
     NONNEG),
    ("margin.feature_incay_loss xi", lambda v: margin.feature_incay_loss(X43, xi=v), "xi",
     POSITIVE),
    ("margin.feature_incay_loss reduction",
     lambda v: margin.feature_incay_loss(X43, reduction=v), "reduction", REDUCTION),
    # losses
    ("losses.mse_loss Y", lambda v: losses.mse_loss(v, X43), "Y", wrong_shape((4, 3))),
    ("losses.mse_loss H", lambda v: losses.mse_loss(X43, v), "H", wrong_shape((4, 3))),
    ("losses.mse_loss reduction", lambda v: losses.mse_loss(X43, X43, reduction=v),
     "reduction", REDUCTION),
    ("losses.softmax_cross_entropy Z", lambda v: losses.softmax_cross_entropy(v, Y4), "Z",
     dict(features((4, 2)), wrong_N=np.ones((3, 2)))),
    ("losses.softmax_cross_entropy y", lambda v: losses.softmax_cross_entropy(X43[:, :2], v),
     "y", LABELS),
    ("losses.softmax_cross_entropy reduction",
     lambda v: losses.softmax_cross_entropy(X43, Y4, reduction=v), "reduction", REDUCTION),
    ("losses.logistic_loss s", lambda v: losses.logistic_loss(v, Y4), "s",
     dict(features((4,)), wrong_N=np.ones(3))),
    ("losses.logistic_loss y", lambda v: losses.logistic_loss(S4, v), "y", LABELS),
    ("losses.logistic_loss reduction", lambda v: losses.logistic_loss(S4, Y4, reduction=v),
     "reduction", REDUCTION),
    ("losses.logistic_pm1_loss s", lambda v: losses.logistic_pm1_loss(v, 2 * Y4 - 1), "s",
     dict(features((4,)), wrong_N=np.ones(3))),
    ("losses.logistic_pm1_loss y", lambda v: losses.logistic_pm1_loss(S4, v), "y",
     {"0/1": Y4, "0.5": np.array([0.5, 1, -1, 1]), "NaN": np.array([np.nan, 1, -1, 1]),
      "short": np.array([1, -1, 1]), "None": None, "strings": np.array(list("abab")),
      "2": np.array([2, 1, -1, 1])}),
    ("losses.logistic_pm1_loss reduction",
     lambda v: losses.logistic_pm1_loss(S4, 2 * Y4 - 1, reduction=v), "reduction", REDUCTION),
    ("losses.multiclass_hinge_loss S", lambda v: losses.multiclass_hinge_loss(v, Y4), "S",
     dict(features((4, 2)), wrong_N=np.ones((3, 2)))),
    ("losses.multiclass_hinge_loss y",
     lambda v: losses.multiclass_hinge_loss(X43[:, :2], v), "y", LABELS),
    ("losses.multiclass_hinge_loss margin",
     lambda v: losses.multiclass_hinge_loss(X43, Y4, margin=v), "margin", NONNEG),
    ("losses.multiclass_hinge_loss reduction",
     lambda v: losses.multiclass_hinge_loss(X43, Y4, reduction=v), "reduction", REDUCTION),
    # conv
    ("conv.conv_output_size n", lambda v: conv.conv_output_size(v, 3), "n", POSINT),
    ("conv.conv_output_size k", lambda v: conv.conv_output_size(4, v), "k",
     dict(POSINT, too_big=7)),
    ("conv.conv_output_size stride", lambda v: conv.conv_output_size(4, 3, stride=v), "stride",
     POSINT),
    ("conv.conv_output_size padding", lambda v: conv.conv_output_size(4, 3, padding=v),
     "padding", NONNEG_INT),
    ("conv.im2col X", lambda v: conv.im2col(v, 3, 3), "X", no_empty(features((2, 1, 4, 4)))),
    ("conv.im2col kh", lambda v: conv.im2col(IMG, v, 3), "kh", dict(POSINT, too_big=5)),
    ("conv.im2col kw", lambda v: conv.im2col(IMG, 3, v), "kw", dict(POSINT, too_big=5)),
    ("conv.im2col stride", lambda v: conv.im2col(IMG, 3, 3, stride=v), "stride", PAIR),
    ("conv.im2col padding", lambda v: conv.im2col(IMG, 3, 3, padding=v), "padding",
     {"-1": -1, "2.5": 2.5, "True": True, "None": None, "(1, -1)": (1, -1)}),
    ("conv.col2im cols", lambda v: conv.col2im(v, (2, 1, 4, 4), 3, 3), "cols",
     dict(features((9, 8)), wrong_shape=np.ones((9, 9)))),
    ("conv.col2im input_shape", lambda v: conv.col2im(np.ones((9, 8)), v, 3, 3),
     "input_shape", {"(2, 1, 4)": (2, 1, 4), "(2, 1, 4, -4)": (2, 1, 4, -4),
                     "(2, 1, 4, 4.0)": (2, 1, 4, 4.0), "None": None, "5": 5,
                     "(2, 1, 5, 5)": (2, 1, 5, 5)}),
    ("conv.col2im kh", lambda v: conv.col2im(np.ones((9, 8)), (2, 1, 4, 4), v, 3), "kh",
     POSINT),
    ("conv.col2im stride", lambda v: conv.col2im(np.ones((9, 8)), (2, 1, 4, 4), 3, 3, stride=v),
     "stride", PAIR),
    ("conv.flip_kernel W", conv.flip_kernel, "W",
     {k: v for k, v in features((2, 1, 3, 3)).items() if k not in ("N=0",)}),
    ("conv.dilate A", conv.dilate, "A",
     dict({k: v for k, v in features((2, 1, 2, 2)).items() if k not in ("ndim-1", "ndim+1", "N=0")},
          **{"1-D": np.ones(2)})),
    ("conv.dilate stride", lambda v: conv.dilate(np.ones((2, 1, 2, 2)), stride=v), "stride",
     PAIR),
    *[(f"conv.{n} X", lambda v, n=n: getattr(conv, n)(v, KER, KB), "X",
       dict(no_empty(features((2, 1, 4, 4))), wrong_C=np.ones((2, 2, 4, 4)),
            small=np.ones((2, 1, 2, 2))))
      for n in ("conv2d_forward", "conv2d_forward_naive")],
    *[(f"conv.{n} W", lambda v, n=n: getattr(conv, n)(IMG, v, KB), "W",
       dict(no_empty(features((2, 1, 3, 3))), F0=np.ones((0, 1, 3, 3))))
      for n in ("conv2d_forward", "conv2d_forward_naive")],
    *[(f"conv.{n} b", lambda v, n=n: getattr(conv, n)(IMG, KER, v), "b",
       dict(no_empty(features((2,))), wrong_F=np.ones(3)))
      for n in ("conv2d_forward", "conv2d_forward_naive")],
    *[(f"conv.{n} stride", lambda v, n=n: getattr(conv, n)(IMG, KER, KB, stride=v), "stride",
       PAIR) for n in ("conv2d_forward", "conv2d_forward_naive")],
    *[(f"conv.{n} padding", lambda v, n=n: getattr(conv, n)(IMG, KER, KB, padding=v),
       "padding", {"-1": -1, "2.5": 2.5, "True": True, "None": None, "(1, -1)": (1, -1)})
      for n in ("conv2d_forward", "conv2d_forward_naive")],
    ("conv.conv2d_backward dY", lambda v: conv.conv2d_backward(v, CONVC), "dY",
     wrong_shape((2, 2, 4, 4))),
    ("conv.conv2d_backward_naive dY", lambda v: conv.conv2d_backward_naive(v, CONVNC), "dY",
     wrong_shape((2, 2, 4, 4))),
    ("conv.Conv2dCache via conv2d_backward cache",
     lambda v: conv.conv2d_backward(np.ones((2, 2, 4, 4)), v), "cache", caches(MAXC, AFFC)),
    ("conv.Conv2dNaiveCache via conv2d_backward_naive cache",
     lambda v: conv.conv2d_backward_naive(np.ones((2, 2, 4, 4)), v), "cache",
     caches(MAXC, AFFC)),
    ("conv.conv2d_backward_input_flipped dY",
     lambda v: conv.conv2d_backward_input_flipped(v, KER, (2, 1, 4, 4), padding=1), "dY",
     wrong_shape((2, 2, 4, 4))),
    ("conv.conv2d_backward_input_flipped W",
     lambda v: conv.conv2d_backward_input_flipped(np.ones((2, 2, 4, 4)), v, (2, 1, 4, 4),
                                                  padding=1), "W",
     dict(no_empty(features((2, 1, 3, 3))), wrong_F=np.ones((3, 1, 3, 3)))),
    ("conv.conv2d_backward_input_flipped input_shape",
     lambda v: conv.conv2d_backward_input_flipped(np.ones((2, 2, 4, 4)), KER, v, padding=1),
     "input_shape", {"(2, 1, 4)": (2, 1, 4), "(2, 1, 4, -4)": (2, 1, 4, -4), "None": None,
                     "(2, 1, 4, 4.0)": (2, 1, 4, 4.0), "(2, 2, 4, 4)": (2, 2, 4, 4)}),
    ("conv.conv2d_backward_input_flipped stride",
     lambda v: conv.conv2d_backward_input_flipped(np.ones((2, 2, 4, 4)), KER, (2, 1, 4, 4),
                                                  stride=v, padding=1), "stride", PAIR),
    ("conv.conv2d_as_matrix W", lambda v: conv.conv2d_as_matrix(v, (1, 4, 4)), "W",
     no_empty(features((2, 1, 3, 3)))),
    ("conv.conv2d_as_matrix input_shape", lambda v: conv.conv2d_as_matrix(KER, v),
     "input_shape", {"(1, 4)": (1, 4), "(1, 4, -4)": (1, 4, -4), "None": None,
                     "(1, 4, 4.0)": (1, 4, 4.0), "(2, 4, 4)": (2, 4, 4), "(1, 2, 2)": (1, 2, 2)}),
    ("conv.conv2d_as_matrix stride", lambda v: conv.conv2d_as_matrix(KER, (1, 4, 4), stride=v),
     "stride", PAIR),
    ("conv.conv2d_as_matrix padding",
     lambda v: conv.conv2d_as_matrix(KER, (1, 4, 4), padding=v), "padding",
     {"-1": -1, "2.5": 2.5, "True": True, "None": None}),
    # layers
    ("layers.affine_forward X", lambda v: layers.affine_forward(v, W32, B2), "X",
     dict(no_empty(features((4, 3))), wrong_D=np.ones((4, 2)))),
    ("layers.affine_forward W", lambda v: layers.affine_forward(X43, v, B2), "W",
     dict(no_empty(features((3, 2))), wrong_D=np.ones((2, 2)))),
    ("layers.affine_forward b", lambda v: layers.affine_forward(X43, W32, v), "b",
     dict(no_empty(features((2,))), wrong_M=np.ones(3), **{"2-D": np.ones((1, 2))})),
    ("layers.affine_relu_forward X", lambda v: layers.affine_relu_forward(v, W32, B2), "X",
     dict(no_empty(features((4, 3))), wrong_D=np.ones((4, 2)))),
    ("layers.affine_relu_forward b", lambda v: layers.affine_relu_forward(X43, W32, v), "b",
     dict(no_empty(features((2,))), wrong_M=np.ones(3))),
    *[(f"layers.{n} X", getattr(layers, n), "X", VALUES)       # any shape
      for n in ("relu_forward", "sigmoid_forward", "tanh_forward", "elu_forward")],
    ("layers.elu_forward alpha", lambda v: layers.elu_forward(X43, alpha=v), "alpha", NONNEG),
    *[(f"layers.{n} dY", lambda v, n=n, c=c: getattr(layers, n)(v, c), "dY",
       wrong_shape(shape)) for n, c, shape in (
        ("affine_backward", AFFC, (4, 2)), ("relu_backward", ACTC, (4, 3)),
        ("sigmoid_backward", ACTC, (4, 3)), ("tanh_backward", ACTC, (4, 3)),
        ("elu_backward", ELUC, (4, 3)), ("affine_relu_backward", ARC, (4, 2)),
        ("dropout_backward", DROPC, (4, 3)), ("maxout_backward", MAXOC, (4, 2)))],
    ("layers.AffineCache via affine_backward cache",
     lambda v: layers.affine_backward(np.ones((4, 2)), v), "cache", caches(ACTC, CONVC)),
    ("layers.ActivationCache via relu_backward cache",
     lambda v: layers.relu_backward(np.ones((4, 3)), v), "cache", caches(AFFC, ELUC)),
    ("layers.ActivationCache via sigmoid_backward cache",
     lambda v: layers.sigmoid_backward(np.ones((4, 3)), v), "cache", caches(AFFC)),
    ("layers.ActivationCache via tanh_backward cache",
     lambda v: layers.tanh_backward(np.ones((4, 3)), v), "cache", caches(AFFC)),
    ("layers.EluCache via elu_backward cache",
     lambda v: layers.elu_backward(np.ones((4, 3)), v), "cache", caches(AFFC)),
    ("layers.AffineReluCache via affine_relu_backward cache",
     lambda v: layers.affine_relu_backward(np.ones((4, 2)), v), "cache", caches(AFFC, ACTC)),
    ("layers.DropoutCache via dropout_backward cache",
     lambda v: layers.dropout_backward(np.ones((4, 3)), v), "cache", caches(ACTC, MAXOC)),
    ("layers.MaxoutCache via maxout_backward cache",
     lambda v: layers.maxout_backward(np.ones((4, 2)), v), "cache", caches(DROPC, ACTC)),
    ("layers.dropout_forward X",
     lambda v: layers.dropout_forward(v, 0.5, np.random.default_rng(0)), "X", VALUES),
    ("layers.dropout_forward p_drop",
     lambda v: layers.dropout_forward(X43, v, np.random.default_rng(0)), "p_drop",
     {"1.0": 1.0, "-0.1": -0.1, "nan": float("nan"), "'0.5'": "0.5", "None": None,
      "True": True}),
    ("layers.dropout_forward rng", lambda v: layers.dropout_forward(X43, 0.5, v), "rng",
     {"'a'": "a", "1.5": 1.5, "True": True, "[1.5]": [1.5]}),
    ("layers.dropout_forward train",
     lambda v: layers.dropout_forward(X43, 0.5, np.random.default_rng(0), train=v), "train",
     FLAG),
    ("layers.maxout_forward X", lambda v: layers.maxout_forward(v, 2), "X",
     dict(no_empty(features((4, 4))), odd=np.ones((4, 3)))),
    ("layers.maxout_forward q", lambda v: layers.maxout_forward(np.ones((4, 4)), v), "q",
     dict(POSINT, divisible=3)),
    # rnn
    ("rnn.rnn_step_forward x", lambda v: rnn.rnn_step_forward(v, H0, WX, WH, BH), "x",
     dict(no_empty(features((2, 3))), wrong_N=np.ones((3, 3)), wrong_D=np.ones((2, 2)))),
    ("rnn.rnn_step_forward h_prev", lambda v: rnn.rnn_step_forward(H0[:, :3], v, WX, WH, BH),
     "h_prev", dict(no_empty(features((2, 4))), wrong_M=np.ones((2, 3)))),
    ("rnn.rnn_step_forward Wx", lambda v: rnn.rnn_step_forward(H0[:, :3], H0, v, WH, BH), "Wx",
     no_empty(features((3, 4)))),
    ("rnn.rnn_step_forward Wh", lambda v: rnn.rnn_step_forward(H0[:, :3], H0, WX, v, BH), "Wh",
     dict(no_empty(features((4, 4))), wrong_shape=np.ones((4, 3)))),
    ("rnn.rnn_step_forward b", lambda v: rnn.rnn_step_forward(H0[:, :3], H0, WX, WH, v), "b",
     dict(no_empty(features((4,))), wrong_M=np.ones(3))),
    ("rnn.rnn_forward X", lambda v: rnn.rnn_forward(v, H0, WX, WH, BH), "X",
     dict(no_empty(features((2, 3, 3))), wrong_N=np.ones((3, 3, 3)))),
    ("rnn.rnn_forward h0", lambda v: rnn.rnn_forward(SEQ, v, WX, WH, BH), "h0",
     dict(no_empty(features((2, 4))), wrong_M=np.ones((2, 3)))),
    ("rnn.rnn_forward Wx", lambda v: rnn.rnn_forward(SEQ, H0, v, WH, BH), "Wx",
     dict(no_empty(features((3, 4))), wrong_D=np.ones((2, 4)))),
    ("rnn.rnn_step_backward dh", lambda v: rnn.rnn_step_backward(v, STEPC), "dh",
     wrong_shape((2, 4))),
    ("rnn.RNNStepCache via rnn_step_backward cache",
     lambda v: rnn.rnn_step_backward(np.ones((2, 4)), v), "cache", caches(RNNC, AFFC)),
    ("rnn.rnn_backward dHs", lambda v: rnn.rnn_backward(v, RNNC), "dHs",
     wrong_shape((2, 3, 4))),
    ("rnn.RNNCache via rnn_backward cache",
     lambda v: rnn.rnn_backward(np.ones((2, 3, 4)), v), "cache", caches(STEPC, AFFC)),
    ("rnn.rnn_backward bptt_steps",
     lambda v: rnn.rnn_backward(np.ones((2, 3, 4)), RNNC, bptt_steps=v), "bptt_steps",
     {k: v for k, v in POSINT.items() if k != "None"}),         # None: full BPTT
    ("rnn.rnn_step_jacobians cache", rnn.rnn_step_jacobians, "cache", caches(STEPC, AFFC)),
    ("rnn.jacobian_product_norms cache", rnn.jacobian_product_norms, "cache",
     caches(STEPC, AFFC)),
]

CASES = [pytest.param(fn, arg, value, label, id=f"{name} = {label}")
         for name, fn, arg, table in SWEEPS for label, value in table.items()]


@pytest.mark.parametrize("fn, arg, value, label", CASES)
def test_bad_input_raises_naming_the_argument(fn, arg, value, label):
    with np.errstate(all="raise"):   # a NumPy warning on the way would be a silent number
        with pytest.raises((ValueError, TypeError)) as info:
            fn(value)
    assert_names(str(info.value), arg, label)


# bad values that are wrong only together with another argument (a mismatch of shapes, a
# window larger than the input): the message may start with the other argument's name
# ("W: expected 2 rows to match X's D = 2"), as long as it names this one too
RELATIONS = {"wrong shape", "wrong_D", "wrong_N", "wrong_M", "wrong_C", "wrong_F", "too_big", "small",
             "divisible", "(2, 1, 5, 5)", "(2, 2, 4, 4)", "(2, 4, 4)", "(1, 2, 2)"}


def assert_names(message, arg, label):
    """The message starts with ``arg:`` (or a list ``kh, kw:`` holding it)."""
    head = message.split(":", 1)[0]
    if arg in [h.strip() for h in head.split(",")]:
        return
    if label in RELATIONS and re.search(rf"(?<![\w.]){re.escape(arg)}(?![\w(])", message):
        return
    pytest.fail(f"message does not start by naming {arg!r}: {message}")


# N = 0 (and T = 0) is no error for a batch forward: the answer is an empty batch
EMPTY = [
    ("pool.maxpool2d_forward", lambda: pool.maxpool2d_forward(np.ones((0, 1, 4, 4)))[0],
     (0, 1, 2, 2)),
    ("pool.avgpool2d_forward", lambda: pool.avgpool2d_forward(np.ones((0, 1, 4, 4)))[0],
     (0, 1, 2, 2)),
    ("pool.maxpool2d_forward_naive",
     lambda: pool.maxpool2d_forward_naive(np.ones((0, 1, 4, 4)))[0], (0, 1, 2, 2)),
    ("pool.avgpool2d_forward_naive",
     lambda: pool.avgpool2d_forward_naive(np.ones((0, 1, 4, 4)))[0], (0, 1, 2, 2)),
    ("conv.im2col", lambda: conv.im2col(np.ones((0, 1, 4, 4)), 3, 3), (9, 0)),
    ("conv.dilate", lambda: conv.dilate(np.ones((0, 1, 2, 2)), 2), (0, 1, 3, 3)),
    ("conv.conv2d_forward", lambda: conv.conv2d_forward(np.ones((0, 1, 4, 4)), KER, KB)[0],
     (0, 2, 2, 2)),
    ("conv.conv2d_forward_naive",
     lambda: conv.conv2d_forward_naive(np.ones((0, 1, 4, 4)), KER, KB)[0], (0, 2, 2, 2)),
    ("layers.affine_forward", lambda: layers.affine_forward(np.ones((0, 3)), W32, B2)[0], (0, 2)),
    ("layers.affine_relu_forward",
     lambda: layers.affine_relu_forward(np.ones((0, 3)), W32, B2)[0], (0, 2)),
    ("rnn.rnn_forward (T = 0)", lambda: rnn.rnn_forward(np.ones((2, 0, 3)), H0, WX, WH, BH)[0],
     (2, 0, 4)),
]


@pytest.mark.parametrize("name, call, shape", EMPTY, ids=[c[0] for c in EMPTY])
def test_an_empty_batch_gives_an_empty_answer(name, call, shape):
    with np.errstate(all="raise"):
        assert call().shape == shape


# --- other dtypes, layouts and extreme values: the float64 answer -------------------------



def _zero_one(shape):
    return (np.arange(int(np.prod(shape))).reshape(shape) * 7 % 3 == 0).astype(float)


def _integral(shape):
    return (np.arange(int(np.prod(shape))).reshape(shape) * 5 % 7 - 3).astype(float)


# (name, function of one array, shape of that array)
DTYPE_CASES = [
    *[(f"activations.{n}", getattr(act, n), (4, 3))
      for n in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "elu",
                "elu_grad", "softmax", "log_softmax", "logsumexp")],
    ("activations.softmax_jacobian", act.softmax_jacobian, (3,)),
    ("pool.maxpool2d_forward", lambda A: pool.maxpool2d_forward(A)[0], (2, 1, 4, 4)),
    ("pool.avgpool2d_forward", lambda A: pool.avgpool2d_forward(A)[0], (2, 1, 4, 4)),
    ("pool.maxpool2d_backward", lambda A: pool.maxpool2d_backward(A, MAXC), (2, 1, 2, 2)),
    ("pool.avgpool2d_backward", lambda A: pool.avgpool2d_backward(A, AVGC), (2, 1, 2, 2)),
    # (the 4th entry prepares the base array, before its other dtypes are made)
    ("margin.chebyshev", lambda A: margin.chebyshev(A, 3), (4, 3), lambda A: A / 4),
    ("margin.margin_segment", lambda A: margin.margin_segment(A, 3), (4, 3), lambda A: A / 4),
    ("margin.psi_from_cos", lambda A: margin.psi_from_cos(A, 3), (4, 3), lambda A: A / 4),
    ("margin.psi", lambda A: margin.psi(A, 3), (4, 3), np.abs),
    ("margin.cosine_logits_forward", lambda A: margin.cosine_logits_forward(A, W32)[0],
     (4, 3), lambda A: A + 5),
    ("margin.cosine_logits_forward W", lambda A: margin.cosine_logits_forward(X43, A)[0],
     (3, 2), lambda A: A + 5),
    ("margin.centred_cosine_logits_forward",
     lambda A: margin.centred_cosine_logits_forward(A, W32)[0], (4, 3), lambda A: A + 5 * _zero_one(A.shape)),
    ("margin.cosine_logits_backward", lambda A: margin.cosine_logits_backward(A, COSC), (4, 2)),
    ("margin.lsoftmax_logits_forward",
     lambda A: margin.lsoftmax_logits_forward(A, W32, Y4, 2)[0], (4, 3), lambda A: A + 5),
    ("margin.feature_incay_loss", lambda A: margin.feature_incay_loss(A), (4, 3),
     lambda A: A + 5),
    ("losses.mse_loss", lambda A: losses.mse_loss(A, X43), (4, 3)),
    ("losses.softmax_cross_entropy", lambda A: losses.softmax_cross_entropy(A, Y4), (4, 3)),
    ("losses.logistic_loss", lambda A: losses.logistic_loss(A, Y4), (4,)),
    ("losses.logistic_pm1_loss", lambda A: losses.logistic_pm1_loss(A, 2 * Y4 - 1), (4,)),
    ("losses.multiclass_hinge_loss", lambda A: losses.multiclass_hinge_loss(A, Y4), (4, 3)),
    ("conv.im2col", lambda A: conv.im2col(A, 3, 3), (2, 1, 4, 4)),
    ("conv.col2im", lambda A: conv.col2im(A, (2, 1, 4, 4), 3, 3), (9, 8)),
    ("conv.flip_kernel", conv.flip_kernel, (2, 1, 3, 3)),
    ("conv.dilate", lambda A: conv.dilate(A, 2), (2, 1, 2, 2)),
    ("conv.conv2d_forward", lambda A: conv.conv2d_forward(A, KER, KB, padding=1)[0],
     (2, 1, 4, 4)),
    ("conv.conv2d_forward W", lambda A: conv.conv2d_forward(IMG, A, KB)[0], (2, 1, 3, 3)),
    ("conv.conv2d_forward_naive", lambda A: conv.conv2d_forward_naive(A, KER, KB)[0],
     (2, 1, 4, 4)),
    ("conv.conv2d_backward", lambda A: conv.conv2d_backward(A, CONVC), (2, 2, 4, 4)),
    ("conv.conv2d_backward_input_flipped",
     lambda A: conv.conv2d_backward_input_flipped(A, KER, (2, 1, 4, 4), padding=1),
     (2, 2, 4, 4)),
    ("conv.conv2d_as_matrix", lambda A: conv.conv2d_as_matrix(A, (1, 4, 4)), (2, 1, 3, 3)),
    ("layers.affine_forward", lambda A: layers.affine_forward(A, W32, B2)[0], (4, 3)),
    ("layers.affine_forward W", lambda A: layers.affine_forward(X43, A, B2)[0], (3, 2)),
    ("layers.affine_backward", lambda A: layers.affine_backward(A, AFFC), (4, 2)),
    ("layers.relu_forward", lambda A: layers.relu_forward(A)[0], (4, 3)),
    ("layers.sigmoid_forward", lambda A: layers.sigmoid_forward(A)[0], (4, 3)),
    ("layers.tanh_forward", lambda A: layers.tanh_forward(A)[0], (4, 3)),
    ("layers.elu_forward", lambda A: layers.elu_forward(A)[0], (4, 3)),
    ("layers.relu_backward", lambda A: layers.relu_backward(A, ACTC), (4, 3)),
    ("layers.elu_backward", lambda A: layers.elu_backward(A, ELUC), (4, 3)),
    ("layers.affine_relu_forward", lambda A: layers.affine_relu_forward(A, W32, B2)[0], (4, 3)),
    ("layers.dropout_forward",
     lambda A: layers.dropout_forward(A, 0.5, np.random.default_rng(0))[0], (4, 3)),
    ("layers.dropout_backward", lambda A: layers.dropout_backward(A, DROPC), (4, 3)),
    ("layers.maxout_forward", lambda A: layers.maxout_forward(A, 2)[0], (4, 4)),
    ("layers.maxout_backward", lambda A: layers.maxout_backward(A, MAXOC), (4, 2)),
    ("rnn.rnn_step_forward", lambda A: rnn.rnn_step_forward(A, H0, WX, WH, BH)[0], (2, 3)),
    ("rnn.rnn_forward", lambda A: rnn.rnn_forward(A, H0, WX, WH, BH)[0], (2, 3, 3)),
    ("rnn.rnn_forward Wh", lambda A: rnn.rnn_forward(SEQ, H0, WX, A, BH)[0], (4, 4),
     lambda A: A / 8),
    ("rnn.rnn_step_backward", lambda A: rnn.rnn_step_backward(A, STEPC), (2, 4)),
    ("rnn.rnn_backward", lambda A: rnn.rnn_backward(A, RNNC), (2, 3, 4)),
]



@pytest.mark.parametrize("base", [_integral, _zero_one], ids=["integral", "zero-one"])
@pytest.mark.parametrize("case", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_other_dtypes_and_layouts_give_the_float64_answer(case, base):
    name, fn, shape, *prep = case
    A0 = prep[0](base(shape)) if prep else base(shape)
    with np.errstate(all="raise"):
        reference = as_float64_list(fn(A0.copy()))
        for label, A, rtol in variants(A0):
            got = as_float64_list(fn(A))
            assert len(got) == len(reference)
            for g, r in zip(got, reference):
                assert np.all(np.isfinite(g)), f"{name} on {label}: not finite"
                np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol,
                                           err_msg=f"{name} on {label} input")
            if label == "read-only":
                assert not A.flags.writeable  # untouched


# Extreme but finite inputs: a finite answer equal to the float64 reference, computed here
# without the library (scaled or in closed form), or a ValueError naming the argument.
BIG = 1e300
_big = np.array([[BIG, -BIG, 0.0], [BIG, BIG, -BIG]])
EXTREME = [
    ("activations.sigmoid", lambda: act.sigmoid(_big), "z",
     np.where(_big > 0, 1.0, np.where(_big < 0, 0.0, 0.5))),
    ("activations.sigmoid_grad", lambda: act.sigmoid_grad(_big), "z",
     np.where(_big == 0, 0.25, 0.0)),
    ("activations.tanh", lambda: act.tanh(_big), "z", np.sign(_big)),
    ("activations.tanh_grad", lambda: act.tanh_grad(_big), "z", np.where(_big == 0, 1.0, 0.0)),
    ("activations.relu", lambda: act.relu(_big), "z", np.maximum(_big, 0)),
    ("activations.relu_grad", lambda: act.relu_grad(_big), "z", (_big > 0).astype(float)),
    ("activations.elu", lambda: act.elu(_big), "z", np.where(_big > 0, _big, np.where(
        _big < 0, -1.0, 0.0))),
    ("activations.elu_grad", lambda: act.elu_grad(_big), "z",
     np.where(_big > 0, 1.0, np.where(_big < 0, 0.0, 1.0))),
    ("activations.softmax", lambda: act.softmax(_big), "z",
     np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])),
    ("activations.log_softmax", lambda: act.log_softmax(np.array([[BIG, BIG]])), "z",
     np.array([[-np.log(2), -np.log(2)]])),
    ("activations.logsumexp", lambda: act.logsumexp(np.array([[BIG, BIG]])), "z",
     np.array([BIG])),
    ("activations.logsumexp (-big)", lambda: act.logsumexp(np.array([[-BIG, -BIG]])), "z",
     np.array([-BIG])),
    ("activations.softmax_jacobian", lambda: act.softmax_jacobian(np.array([BIG, -BIG])), "z",
     np.zeros((2, 2))),
    ("margin.cosine_logits_forward", lambda: margin.cosine_logits_forward(X43 * BIG, W32)[0],
     "X", margin.cosine_logits_forward(X43, W32)[0]),
    ("margin.cosine_logits_forward W",
     lambda: margin.cosine_logits_forward(X43, W32 * BIG)[0], "W",
     margin.cosine_logits_forward(X43, W32)[0]),
    ("losses.softmax_cross_entropy",
     lambda: losses.softmax_cross_entropy(np.array([[BIG, 0.0], [0.0, BIG]]),
                                          np.array([0, 1]))[0], "Z", 0.0),
    ("losses.softmax_cross_entropy (wrong class)",
     lambda: losses.softmax_cross_entropy(np.array([[BIG, 0.0]]), np.array([1]))[0], "Z", BIG),
    ("losses.logistic_loss", lambda: losses.logistic_loss(np.array([BIG, -BIG]),
                                                          np.array([1, 0]))[0], "s", 0.0),
    ("losses.logistic_loss (wrong side)",
     lambda: losses.logistic_loss(np.array([-BIG]), np.array([1]))[0], "s", BIG),
    ("losses.logistic_pm1_loss", lambda: losses.logistic_pm1_loss(np.array([BIG]),
                                                                  np.array([1]))[0], "s", 0.0),
    ("losses.multiclass_hinge_loss",
     lambda: losses.multiclass_hinge_loss(np.array([[BIG, 0.0]]), np.array([0]))[0], "S", 0.0),
    ("losses.mse_loss", lambda: losses.mse_loss(np.full((2, 2), BIG), np.zeros((2, 2)))[0],
     "Y", np.inf),                   # 1e600: beyond float64
    ("layers.affine_forward", lambda: layers.affine_forward(X43 * BIG, W32, B2)[0], "X",
     (X43 @ W32) * BIG),
    ("layers.sigmoid_forward", lambda: layers.sigmoid_forward(_big)[0], "X",
     np.where(_big > 0, 1.0, np.where(_big < 0, 0.0, 0.5))),
    ("layers.tanh_forward", lambda: layers.tanh_forward(_big)[0], "X", np.sign(_big)),
    ("layers.elu_forward", lambda: layers.elu_forward(_big)[0], "X",
     np.where(_big > 0, _big, np.where(_big < 0, -1.0, 0.0))),
    ("pool.avgpool2d_forward", lambda: pool.avgpool2d_forward(np.full((1, 1, 2, 2), BIG))[0],
     "X", np.full((1, 1, 1, 1), BIG)),
    ("conv.conv2d_forward",
     lambda: conv.conv2d_forward(IMG * BIG, KER, KB)[0], "X",
     conv.conv2d_forward(IMG, KER, np.zeros(2))[0] * BIG),
    ("conv.conv2d_forward (overflow)",
     lambda: conv.conv2d_forward(np.full((1, 1, 2, 2), 1e308), np.ones((1, 1, 2, 2)),
                                 np.zeros(1))[0], "X", np.inf),
    ("layers.affine_forward (overflow)",
     lambda: layers.affine_forward(np.full((1, 2), 1e308), np.ones((2, 1)), np.zeros(1))[0],
     "X", np.inf),
    ("rnn.rnn_forward", lambda: rnn.rnn_forward(SEQ * BIG, H0, WX, WH, BH)[0], "X",
     rnn.rnn_forward(SEQ * BIG / 1e290, H0, WX, WH, BH)[0]),
]


@pytest.mark.parametrize("name, call, arg, expected", EXTREME, ids=[c[0] for c in EXTREME])
def test_extreme_values_give_the_reference_or_name_the_argument(name, call, arg, expected):
    """1e300 in: the float64 answer, or a refusal naming the argument.

    Where the exact answer is beyond float64 (``expected`` inf: 1e600 for the squared error
    of 1e300), float64's own answer is its overflow, inf; the library returns it as is,
    since train.fit reads an infinite output or loss as a diverged run (History.diverged).
    Everywhere else a non-finite result, or a NumPy warning on the way, fails.
    """
    expected = np.asarray(expected, dtype=float)
    overflows = bool(np.any(np.isinf(expected)))
    with np.errstate(all="raise", under="ignore", over="ignore" if overflows else "raise"):
        try:
            got = np.asarray(call(), dtype=float)
        except (ValueError, TypeError) as exc:
            assert str(exc).startswith(arg), f"{name}: message does not name {arg!r}: {exc}"
            return
        except FloatingPointError as exc:
            pytest.fail(f"{name}: NumPy warning on the way ({exc})")
    if overflows:
        assert np.all((got == expected) | ~np.isinf(expected)), f"{name}: {got}, not {expected}"
        return
    assert np.all(np.isfinite(got)), f"{name}: returned a non-finite {got}"
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=name)


# --- every public name is swept ------------------------------------------------------------


def _public_names(module):
    mod = importlib.import_module(f"bpnet_lib.{module}")
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, o in vars(mod).items() if not n.startswith("_") and callable(o)
                 and getattr(o, "__module__", None) == mod.__name__]
    return set(names)


def _swept_names():
    ids = [s[0] for s in SWEEPS] + [c[0] for c in DTYPE_CASES] + [c[0] for c in EXTREME]
    return {i.split()[0] for i in ids}


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_is_swept(module):
    swept_bad = {s[0].split()[0] for s in SWEEPS}
    missing = {f"{module}.{n}" for n in _public_names(module)} - swept_bad
    assert not missing, f"public names with no bad-input case: {sorted(missing)}"


def test_every_public_function_with_an_array_is_swept_for_dtypes():
    # every forward function of an array (not the sizes helper, not the caches) has a dtype case
    swept = {c[0].split()[0] for c in DTYPE_CASES}
    exempt = {"conv.conv_output_size",       # sizes only
              "margin.centred_cosine_logits_backward",
              "margin.lsoftmax_logits_backward", "pool.maxpool2d_forward_naive",
              "pool.avgpool2d_forward_naive", "pool.maxpool2d_backward_naive",
              "pool.avgpool2d_backward_naive", "conv.conv2d_backward_naive",
              "layers.sigmoid_backward", "layers.tanh_backward", "layers.affine_relu_backward",
              "rnn.rnn_step_jacobians", "rnn.jacobian_product_norms"}
    functions = {f"{m}.{n}" for m in MODULES for n in _public_names(m)
                 if not n[0].isupper()}
    missing = functions - swept - exempt
    assert not missing, f"public functions with no dtype case: {sorted(missing)}"


def test_sweep_size():
    # the count the report gives; a table that shrank would show here
    assert len(CASES) >= 1100 and len(DTYPE_CASES) >= 50 and len(EXTREME) >= 30
