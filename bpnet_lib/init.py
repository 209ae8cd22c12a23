r"""Weight initialisation: pick the variance of the weights so signals keep their size.

A unit of a fully connected layer computes :math:`z_j = \sum_{i=1}^{n} y_i w_{ij}` from
``n = fan_in`` inputs. If the :math:`y_i` and the :math:`w_{ij}` are independent, the weights
have mean 0, and every input has the same second moment, then each product has variance
:math:`\mathbb{E}[y^2]\operatorname{Var}(w)` and the ``n`` uncorrelated terms add up:

.. math::

   \operatorname{Var}(z) = n\, \mathbb{E}[y^2]\, \operatorname{Var}(w)
   \;=\; n \operatorname{Var}(y) \operatorname{Var}(w) \quad\text{when } \mathbb{E}[y] = 0.

Keeping :math:`\operatorname{Var}(z) = \operatorname{Var}(y)` layer after layer, for an
activation that is close to the identity near 0 (tanh), gives LeCun's choice
:math:`\operatorname{Var}(w) = 1/n_{\text{in}}`. Asking the same of the gradients flowing
backwards (where ``fan_out`` plays the role of ``n``) and compromising between the two gives
Glorot and Bengio's :math:`2/(n_{\text{in}} + n_{\text{out}})`, again for tanh-like units. The
logistic sigmoid is :math:`\tfrac12 + z/4` near 0, a quarter of tanh's slope, so the same
argument asks for weights four times larger in scale (sixteen times the variance), as
Bengio (2012, *Practical recommendations for gradient-based training of deep
architectures*) recommends; no scheme here does that, multiply a Glorot draw by 4.
After a ReLU, half of the pre-activations are zeroed, so
:math:`\mathbb{E}[y^2] = \tfrac12 \operatorname{Var}(z_{\text{prev}})` and the factor 2 of
He et al., :math:`2/n_{\text{in}}`, restores the balance. A uniform distribution on
:math:`[-a, a]` has variance :math:`a^2/3`, so the uniform variants use
:math:`a = \sqrt{3 \operatorname{Var}(w)}`. Every function here has the signature
``(fan_in, fan_out, rng, dtype=np.float64) -> W`` with ``W`` of shape ``(fan_in, fan_out)``;
biases are initialised to zero by the layers themselves.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_finite

__all__ = [
    "lecun_normal",
    "lecun_uniform",
    "glorot_normal",
    "glorot_uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "variance",
    "get",
]


def _fans(fan_in, fan_out) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` as positive ints, or raise ``ValueError``."""
    for name, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(fan_in), int(fan_out)


def _rng(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator``: ``rng`` itself, or one seeded by an int (or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise ValueError(
        f"rng: expected a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


def _float_dtype(dtype) -> np.dtype:
    """Return ``dtype`` as float32 or float64, or raise ``TypeError``.

    Weights drawn with variance ``2/n`` and cast to an integer dtype would be all zeros, so
    nothing but the two floating dtypes is accepted.
    """
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    # (``None in (float32, float64)`` is True: NumPy reads a comparison with None as one
    # with the default dtype float64, so an unknown name must be caught before)
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        got = dt if dt is not None else repr(dtype)
        raise TypeError(f"dtype: expected float32 or float64, got {got}")
    return dt


def _weights(initialiser, fan_in: int, fan_out: int, rng, dtype) -> np.ndarray:
    """Call ``initialiser(fan_in, fan_out, rng, dtype=dtype)`` and check what it returns.

    A user's callable may return anything: the result must be finite real numbers of shape
    ``(fan_in, fan_out)`` (else ``ValueError`` or ``TypeError`` naming ``init``); it is
    returned in ``dtype``.
    """
    W = np.asarray(initialiser(fan_in, fan_out, rng, dtype=dtype))
    if W.dtype == object or not (np.issubdtype(W.dtype, np.number) or W.dtype == np.bool_) \
            or np.iscomplexobj(W):
        raise TypeError(
            f"init: expected an initialiser returning real numbers, got dtype {W.dtype}"
        )
    if W.shape != (fan_in, fan_out):
        raise ValueError(
            f"init: expected an initialiser returning shape ({fan_in}, {fan_out}), "
            f"got shape {W.shape}"
        )
    with np.errstate(over="ignore"):  # 1e300 cast to float32 is inf, refused just below
        W = W.astype(dtype, copy=False)
    check_finite(W, "init")
    return W


def _normal(var: float, fan_in: int, fan_out: int, rng, dtype) -> np.ndarray:
    dtype = _float_dtype(dtype)
    W = _rng(rng).normal(0.0, np.sqrt(var), size=(fan_in, fan_out))
    return W.astype(dtype, copy=False)


def _uniform(var: float, fan_in: int, fan_out: int, rng, dtype) -> np.ndarray:
    dtype = _float_dtype(dtype)
    a = np.sqrt(3.0 * var)
    W = _rng(rng).uniform(-a, a, size=(fan_in, fan_out))
    return W.astype(dtype, copy=False)


def variance(name: str, fan_in: int, fan_out: int) -> float:
    """The target variance of scheme ``name`` ("lecun", "glorot"/"xavier" or "he").

    .. math::

       \\operatorname{Var}(w) = \\frac{1}{n_{\\text{in}}},\\quad
       \\frac{2}{n_{\\text{in}} + n_{\\text{out}}},\\quad
       \\frac{2}{n_{\\text{in}}}
    """
    if not isinstance(name, str):
        raise TypeError(
            f"name: expected a scheme name 'lecun', 'glorot', 'xavier' or 'he', got "
            f"{type(name).__name__} {name!r}"
        )
    fan_in, fan_out = _fans(fan_in, fan_out)
    scheme = name.split("_")[0]
    if scheme == "lecun":
        return 1.0 / fan_in
    if scheme in ("glorot", "xavier"):
        return 2.0 / (fan_in + fan_out)
    if scheme == "he":
        return 2.0 / fan_in
    raise ValueError(f"name: expected 'lecun', 'glorot', 'xavier' or 'he', got {name!r}")


def lecun_normal(fan_in, fan_out, rng, dtype=np.float64):
    r"""LeCun normal: :math:`w \sim \mathcal{N}(0, 1/n_{\text{in}})`.

    From :math:`\operatorname{Var}(z) = n_{\text{in}} \operatorname{Var}(y)\operatorname{Var}(w)`,
    :math:`\operatorname{Var}(z) = \operatorname{Var}(y)` holds when
    :math:`\operatorname{Var}(w) = 1/n_{\text{in}}`: the right scale for zero-mean
    activations such as tanh.

    Parameters
    ----------
    fan_in, fan_out : int
        :math:`n_{\text{in}} = D` and :math:`n_{\text{out}} = M`.
    rng : numpy.random.Generator or int or None
        Source of the draws (an int seeds a new generator).
    dtype : numpy dtype, default float64
        float32 or float64.

    Returns
    -------
    W : ndarray, shape (D, M)

    Raises
    ------
    ValueError
        If a fan is not a positive integer, or ``rng`` is not a generator, an int or None.
    TypeError
        If ``dtype`` is not float32 or float64 (an integer dtype would truncate every
        weight to 0).
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _normal(1.0 / fan_in, fan_in, fan_out, rng, dtype)


def lecun_uniform(fan_in, fan_out, rng, dtype=np.float64):
    r"""LeCun uniform: :math:`w \sim U(-a, a)`, :math:`a = \sqrt{3/n_{\text{in}}}`.

    Same variance :math:`1/n_{\text{in}}` as :func:`lecun_normal`, since
    :math:`\operatorname{Var}(U(-a, a)) = a^2/3`. Parameters and return as there.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _uniform(1.0 / fan_in, fan_in, fan_out, rng, dtype)


def glorot_normal(fan_in, fan_out, rng, dtype=np.float64):
    r"""Glorot (Xavier) normal: :math:`w \sim \mathcal{N}(0, 2/(n_{\text{in}} + n_{\text{out}}))`.

    The forward pass keeps :math:`\operatorname{Var}(z) = \operatorname{Var}(y)` when
    :math:`n_{\text{in}}\operatorname{Var}(w) = 1`; the backward pass, where
    :math:`\mathrm{d}\mathbf{y} = W\,\mathrm{d}\mathbf{z}` sums over :math:`n_{\text{out}}` terms, keeps the gradient's variance
    when :math:`n_{\text{out}}\operatorname{Var}(w) = 1`. The harmonic compromise
    :math:`\operatorname{Var}(w) = 1/\bar n` with :math:`\bar n = (n_{\text{in}} +
    n_{\text{out}})/2` is Glorot and Bengio's. Parameters and return as in
    :func:`lecun_normal`.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _normal(2.0 / (fan_in + fan_out), fan_in, fan_out, rng, dtype)


def glorot_uniform(fan_in, fan_out, rng, dtype=np.float64):
    r"""Glorot (Xavier) uniform: :math:`a = \sqrt{6/(n_{\text{in}} + n_{\text{out}})}`.

    Same variance as :func:`glorot_normal`. Parameters and return as in :func:`lecun_normal`.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _uniform(2.0 / (fan_in + fan_out), fan_in, fan_out, rng, dtype)


def he_normal(fan_in, fan_out, rng, dtype=np.float64):
    r"""He (Kaiming) normal: :math:`w \sim \mathcal{N}(0, 2/n_{\text{in}})`, for ReLU layers.

    If the previous pre-activation is symmetric around 0, a ReLU keeps half of it, so
    :math:`\mathbb{E}[y^2] = \tfrac12\operatorname{Var}(z_{\text{prev}})` and
    :math:`\operatorname{Var}(z) = \tfrac12 n_{\text{in}} \operatorname{Var}(w)
    \operatorname{Var}(z_{\text{prev}})`; the pre-activations keep their variance when
    :math:`\operatorname{Var}(w) = 2/n_{\text{in}}`. Parameters and return as in
    :func:`lecun_normal`.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _normal(2.0 / fan_in, fan_in, fan_out, rng, dtype)


def he_uniform(fan_in, fan_out, rng, dtype=np.float64):
    r"""He (Kaiming) uniform: :math:`a = \sqrt{6/n_{\text{in}}}`.

    Same variance as :func:`he_normal`. Parameters and return as in :func:`lecun_normal`.
    """
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _uniform(2.0 / fan_in, fan_in, fan_out, rng, dtype)


xavier_normal = glorot_normal
xavier_uniform = glorot_uniform

_BY_NAME = {
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    # a bare scheme name means its normal variant
    "lecun": lecun_normal,
    "glorot": glorot_normal,
    "xavier": glorot_normal,
    "he": he_normal,
}


def get(name):
    """Return the initialiser called ``name`` (a callable is returned unchanged).

    Parameters
    ----------
    name : str or callable
        One of ``lecun_normal``, ``lecun_uniform``, ``glorot_normal``,
        ``glorot_uniform``, ``xavier_normal``, ``xavier_uniform``, ``he_normal``,
        ``he_uniform``, or a bare ``lecun``, ``glorot``, ``xavier``, ``he`` meaning the
        normal variant; or a callable ``(fan_in, fan_out, rng, dtype) -> W``.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in _BY_NAME:
        return _BY_NAME[name.lower()]
    raise ValueError(f"init: expected one of {sorted(_BY_NAME)} or a callable, got {name!r}")
