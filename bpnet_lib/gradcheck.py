"""Finite-difference gradient checking: the referee for every backward pass.

The derivative of ``f`` along one entry of ``x`` is approximately
``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, with an error of order ``eps**2``.
Doing this for every entry gives a numerical gradient that is slow but hard to
get wrong, so an analytic gradient is trusted only once the two agree to a
small :func:`relative_error`, which is computed scaled so that it is right for
gradients of any size, ``1e-170`` or ``1e170`` as well as 1. For array-valued functions we check the
vector-Jacobian product ``sum(dout * f(x))`` against a *random* upstream
gradient ``dout``, because ``dout`` of all ones hides transposes and summations
over the wrong axis. This module imports NumPy only, so every test and chapter
can use it.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_float_array, check_finite

__all__ = [
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
    "check_gradients",
]


def _check_point(x, name: str) -> np.ndarray:
    """Return ``x`` if it can be perturbed in place: a writeable, finite float64 ndarray."""
    if not isinstance(x, np.ndarray):
        raise ValueError(
            f"{name}: expected a float64 ndarray (it is perturbed in place), "
            f"got {type(x).__name__}"
        )
    if x.dtype != np.float64:
        raise ValueError(
            f"{name}: expected a float64 array, got dtype {x.dtype}; finite differences "
            f"need float64, because with eps = 1e-5 a float32 difference f(x+eps) - f(x-eps) "
            f"keeps only two or three significant digits"
        )
    if not x.flags.writeable:
        raise ValueError(
            f"{name}: expected a writeable array (it is perturbed in place), got a read-only one"
        )
    check_finite(x, name)
    return x


def _check_step(eps) -> float:
    """Return the step ``eps`` as a float, requiring it to be positive and finite."""
    if (
        isinstance(eps, bool)
        or not isinstance(eps, numbers.Real)
        or not np.isfinite(eps)
        or eps <= 0
    ):
        raise ValueError(f"eps: expected a positive finite step such as 1e-5, got {eps!r}")
    return float(eps)


def _scalar_value(value, name: str) -> float:
    """Return ``value`` as a float, requiring it to hold exactly one finite real number."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    if np.iscomplexobj(arr):
        raise TypeError(
            f"{name}: expected a real number, got a complex number (dtype {arr.dtype}); "
            f"its imaginary part would be dropped"
        )
    if arr.size != 1:
        raise ValueError(f"{name}: expected a scalar, got an array of shape {arr.shape}")
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise ValueError(f"{name}: expected a finite number, got {out!r}")
    return out


def _step(x: np.ndarray, i, old, eps: float, name: str) -> float:
    """The step that ``x[i] = old + eps`` and ``x[i] = old - eps`` really take, ``2 eps`` rounded.

    ``old + eps`` is rounded to a float64 near ``old``, so the two points are not exactly
    ``2 eps`` apart; dividing by the distance between the points actually evaluated (the
    classic remedy, Numerical Recipes section 5.7) removes that error. Where ``eps`` is below
    half a unit in the last place of ``old`` (``|old|`` above about ``1e11`` for ``eps = 1e-5``)
    both points round to ``old`` and there is no difference to take, so this raises rather than
    return a gradient of 0.
    """
    h = float((old + eps) - (old - eps))
    if not h > 0:
        raise ValueError(
            f"eps: expected a step that moves {name}{list(i)} = {float(old):.6g}, got eps = "
            f"{eps:.3g}, which float64 rounds away ({name} + eps == {name}); use an eps of "
            f"order 1e-5 * |{name}|"
        )
    return h


def _difference(num: float, h: float, i, name: str) -> float:
    """``num / h``, raising instead of returning an infinity when the quotient overflows."""
    with np.errstate(over="ignore"):
        g = np.float64(num) / h
    if not np.isfinite(g):
        raise ValueError(
            f"f(x): expected a finite central difference at {name}{list(i)}, got an overflow "
            f"({num:.6g} / {h:.6g}); the function's values are too large for float64 differences"
        )
    return float(g)


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    r"""Gradient of a scalar function by central differences.

    Each entry of ``x`` is moved to ``x_i + eps`` and ``x_i - eps`` *in place*, and
    ``f(x)`` is called with the perturbed array itself; the original value is
    put back afterwards, bit for bit, even when ``f`` raises. So ``f`` may
    either use its argument (``lambda x: np.sum(x**3)``) or ignore it and close
    over arrays that share memory with ``x`` (``lambda _: loss(X, W)`` to
    differentiate with respect to ``W``), as in CS231n.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar (a number or an array with one entry).
    x : ndarray of float64, any shape S
        The point. It must be writeable; it is restored before returning.
    eps : float, optional
        The step. ``1e-5`` balances the truncation error (order ``eps**2``)
        against rounding error (order ``eps_mach / eps``, with the machine epsilon
        ``eps_mach`` = 2.2e-16) in float64. It is an absolute step, so for entries
        far from 1 in size pass one in proportion (``1e-5 * |x_i|`` for
        ``|x_i| = 1e170``).

    Returns
    -------
    grad : ndarray of float64, shape S
        The numerical gradient, one entry per entry of ``x``:

        .. math::

           \frac{\partial f}{\partial x_i} \approx
           \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon}.

        The denominator is the distance between the two points actually
        evaluated, ``(x_i + eps) - (x_i - eps)`` in float64, which is ``2 eps``
        up to the rounding of ``x_i + eps``.

    Raises
    ------
    ValueError
        If ``x`` is not a writeable, finite float64 ndarray, if ``eps`` is not
        positive or is too small to move some ``x_i`` in float64 (then every
        difference would be 0), if ``f`` returns more than one number or a NaN or
        infinity, or if a difference quotient overflows.
    TypeError
        If ``f`` returns something that is not a real number (``None``, a
        string, a complex number).
    """
    x = _check_point(x, "x")
    eps = _check_step(eps)
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index", "zerosize_ok"], op_flags=["readonly"])
    while not it.finished:
        i = it.multi_index
        old = x[i].copy()
        h = _step(x, i, old, eps, "x")
        try:
            x[i] = old + eps
            f_plus = _scalar_value(f(x), "f(x)")
            x[i] = old - eps
            f_minus = _scalar_value(f(x), "f(x)")
        finally:
            x[i] = old
        with np.errstate(over="ignore"):
            diff = f_plus - f_minus
        grad[i] = _difference(diff, h, i, "x")
        it.iternext()
    return grad


def _output(f, x: np.ndarray, name: str) -> np.ndarray:
    """Call ``f(x)`` and return a float64 *copy* (``f`` may return a view of ``x``)."""
    return np.array(as_float_array(f(x), name), dtype=np.float64, copy=True)


def numerical_gradient_array(f, x: np.ndarray, dout, eps: float = 1e-5) -> np.ndarray:
    r"""Vector-Jacobian product of an array function by central differences.

    This is what a backward pass computes: given the upstream gradient
    ``dout`` of some loss with respect to ``f(x)``, the gradient of that loss
    with respect to ``x``. ``x`` is perturbed in place and restored exactly as
    in :func:`numerical_gradient`; the outputs of ``f`` are copied, so ``f`` may
    even return ``x`` itself.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array of some shape T.
    x : ndarray of float64, shape S
        The point; writeable, restored before returning.
    dout : array_like, shape T
        Upstream gradient, the same shape as ``f(x)``.
    eps : float, optional
        The step.

    Returns
    -------
    dx : ndarray of float64, shape S

        .. math::

           dx_i \approx \sum_j \mathrm{dout}_j\,
           \frac{f_j(x + \epsilon e_i) - f_j(x - \epsilon e_i)}{2\epsilon}.

    Raises
    ------
    ValueError
        If ``x`` is not a writeable, finite float64 ndarray, if ``eps`` is not
        positive or is too small to move some ``x_i`` in float64, if ``dout``
        does not have the shape of ``f(x)``, or if ``f`` returns NaN or
        infinity or a difference quotient overflows. As in
        :func:`numerical_gradient`, the denominator is the realised step
        ``(x_i + eps) - (x_i - eps)``.
    """
    return _numerical_vjp(f, x, dout, eps, "x")


def _numerical_vjp(f, x, dout, eps, name: str) -> np.ndarray:
    """:func:`numerical_gradient_array` for an argument called ``name`` in messages."""
    x = _check_point(x, name)
    eps = _check_step(eps)
    dout = np.asarray(as_float_array(dout, "dout"), dtype=np.float64)
    out_shape = _output(f, x, "f(x)").shape
    if dout.shape != out_shape:
        raise ValueError(
            f"dout: expected shape {out_shape} (the shape of f(x)), got shape {dout.shape}"
        )
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index", "zerosize_ok"], op_flags=["readonly"])
    while not it.finished:
        i = it.multi_index
        old = x[i].copy()
        h = _step(x, i, old, eps, name)
        try:
            x[i] = old + eps
            out_plus = _output(f, x, "f(x)")
            x[i] = old - eps
            out_minus = _output(f, x, "f(x)")
        finally:
            x[i] = old
        if out_plus.shape != out_shape or out_minus.shape != out_shape:
            raise ValueError(
                f"f(x): expected the same output shape {out_shape} at every perturbed "
                f"point, got shapes {out_plus.shape} and {out_minus.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            diff = float(np.sum((out_plus - out_minus) * dout))
        grad[i] = _difference(diff, h, i, name)
        it.iternext()
    return grad


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The formula of :func:`relative_error`, without input checks.

    Both arrays are first multiplied by the same power of two, ``2**-e`` with ``2**(e-1)``
    at most the larger max-abs entry and ``2**e`` above it, as :mod:`bpnet_lib.margin` does
    for norms. A power of two scales a float64 exactly, so ordinary inputs give the
    unscaled value bit for bit, while inputs near ``1e-170`` (whose squares underflow to 0)
    or ``1e170`` (whose squares overflow) give the value of the formula instead of 0 or NaN.
    """
    big = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if big == 0.0:
        return 0.0  # both zero: equal, as documented
    e = np.frexp(big)[1]
    a, b = np.ldexp(a, -e), np.ldexp(b, -e)
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def relative_error(a, b) -> float:
    r"""Relative distance between two arrays, in ``[0, 1]``.

    Norm-based rather than elementwise: an elementwise ratio
    ``|a_i - b_i| / |a_i|`` blows up on entries that are (nearly) zero, where
    an analytic gradient of exactly ``0`` and a numerical one of ``1e-11`` are
    equally right. Taking norms over the whole array measures the error against
    the size of the gradient as a whole. The result is 0 when ``a == b``
    (including when both are zero), 1 when ``b = -a`` or one of them is zero,
    symmetric in ``a`` and ``b``, and unchanged when both are scaled by the
    same nonzero factor.

    Parameters
    ----------
    a, b : array_like, shape S
        Two arrays of the same shape, e.g. an analytic and a numerical gradient.

    Returns
    -------
    float
        With Frobenius norms over the whole array,

        .. math::

           \mathrm{err}(a, b) = \frac{\lVert a - b \rVert}
           {\lVert a \rVert + \lVert b \rVert},

        and 0 when both are zero. Around ``1e-7`` or less means the gradients
        agree in float64. Both arrays are scaled by the same power of two before
        the norms are taken, so the value is right at any scale a float64 can
        hold (``1e-300`` or ``1e300`` as well as ``1``): no square underflows to 0
        or overflows to infinity, and an ordinary input gives the same bits as
        the unscaled formula.

    Raises
    ------
    ValueError
        If the shapes differ, or an input is not finite real numbers.
    """
    a = np.asarray(as_float_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b"), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"b: expected shape {a.shape} (the shape of a), got shape {b.shape}")
    return _relative_error(a, b)


def check_gradients(fun, args, grads, dout=None, eps=1e-5, tol=1e-7, rng=None) -> list[float]:
    r"""Check analytic gradients of ``fun`` against finite differences.

    For a random upstream gradient ``dout`` the analytic gradient of
    :math:`J = \sum \mathrm{dout} \odot \mathrm{fun}(\mathrm{args})` with
    respect to each argument is compared with :func:`numerical_gradient_array`.
    ``grads`` may be given in two ways:

    * a callable ``grads(dout)`` returning one gradient per argument, usually
      the backward function: ``lambda d: affine_backward(d, cache)``. Then
      ``dout`` defaults to a standard-normal array drawn from ``rng``, never
      all ones, so a transposed or wrongly summed gradient cannot pass by
      symmetry.
    * a sequence of arrays, the gradients for one particular ``dout`` that you
      pass. ``dout`` may be omitted only if ``fun`` returns a scalar; the
      arrays are then simply the gradients of that scalar (``dout = 1``).

    Parameters
    ----------
    fun : callable
        ``fun(*args)`` returns an array of shape T, or a scalar.
    args : sequence of ndarray of float64, shapes S_1, ..., S_k
        The inputs. Each is perturbed in place and restored.
    grads : callable or sequence of array_like, shapes S_1, ..., S_k
        The analytic gradients of :math:`J` with respect to ``args``, in order.
    dout : array_like, shape T, optional
        The upstream gradient. Default: random, as described above.
    eps : float, optional
        Finite-difference step :math:`\epsilon`.
    tol : float, optional
        The largest relative error accepted for each argument.
    rng : numpy.random.Generator or int, optional
        Source of the random ``dout``; ``np.random.default_rng(0)`` if None.

    Returns
    -------
    errors : list of float, length k
        ``relative_error(grads[i], numerical_i)`` for each argument, where

        .. math::

           \mathrm{numerical}_i = \frac{\partial}{\partial\, \mathrm{args}_i}
           \sum \mathrm{dout} \odot \mathrm{fun}(\mathrm{args})
           \quad\text{(central differences)}.

    Raises
    ------
    AssertionError
        If some argument's relative error exceeds ``tol`` (or is NaN); the
        message names each failing argument's index, shape and error.
    ValueError
        If the number of gradients differs from the number of arguments, a
        gradient's shape differs from its argument's, an argument is not a
        writeable float64 ndarray or shares memory with another argument, ``dout``
        has the wrong shape, or ``eps`` is too small to move some entry of an
        argument in float64 (see :func:`numerical_gradient`).
    TypeError
        If ``args`` is not a sequence, ``grads`` (or what the callable returns) is
        not a sequence of arrays, or ``rng`` is not a Generator, an int or None.
    """
    if isinstance(args, np.ndarray) or not np.iterable(args):
        raise TypeError(
            f"args: expected a list of float64 arrays, one per argument of fun, got "
            f"{type(args).__name__}"
        )
    args = list(args)
    for k, arg in enumerate(args):
        _check_point(arg, f"args[{k}]")
        for j in range(k):
            if np.shares_memory(arg, args[j]):
                # perturbing one would move the other too: each numerical gradient would be
                # that of both together, and a right analytic gradient would fail
                raise ValueError(
                    f"args[{k}]: expected an array that shares no memory with args[{j}] (each "
                    f"argument is perturbed on its own), got one that does; pass a copy"
                )
    eps = _check_step(eps)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
        raise ValueError(f"tol: expected a non-negative number such as 1e-7, got {tol!r}")
    out = np.asarray(as_float_array(fun(*args), "fun(*args)"), dtype=np.float64)
    if dout is None:
        if callable(grads):
            if not (rng is None or isinstance(rng, np.random.Generator)
                    or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool))):
                raise TypeError(
                    f"rng: expected a numpy.random.Generator, an int seed or None, got "
                    f"{type(rng).__name__}"
                )
            rng = np.random.default_rng(0 if rng is None else rng)
            dout = rng.standard_normal(out.shape)
        elif out.size == 1:
            dout = np.ones(out.shape)
        else:
            raise ValueError(
                f"dout: expected the upstream gradient that the fixed grads were computed "
                f"for (fun returns shape {out.shape}), got None; pass dout, or pass grads "
                f"as a callable grads(dout) to have a random dout drawn"
            )
    dout = np.asarray(as_float_array(dout, "dout"), dtype=np.float64)
    if dout.shape != out.shape:
        raise ValueError(
            f"dout: expected shape {out.shape} (the shape of fun(*args)), got shape {dout.shape}"
        )
    source = "grads"
    if callable(grads):
        grads, source = grads(dout.copy()), "grads(dout)"
    if isinstance(grads, np.ndarray) or not np.iterable(grads):
        # an ndarray would be read as its rows; a single gradient must come in a list
        raise TypeError(
            f"{source}: expected a sequence of {len(args)} gradients (one per argument, "
            f"e.g. a tuple (dX,) for one), got {type(grads).__name__}"
        )
    grads = list(grads)
    if len(grads) != len(args):
        raise ValueError(
            f"grads: expected {len(args)} gradients (one per argument), got {len(grads)}"
        )
    analytic = []
    for k, (arg, grad) in enumerate(zip(args, grads)):
        grad = np.asarray(as_float_array(grad, f"grads[{k}]"), dtype=np.float64)
        if grad.shape != arg.shape:
            raise ValueError(
                f"grads[{k}]: expected shape {arg.shape} (the shape of args[{k}]), "
                f"got shape {grad.shape}"
            )
        analytic.append(grad)

    errors, failures = [], []
    for k, (arg, grad) in enumerate(zip(args, analytic)):
        numerical = _numerical_vjp(lambda _: fun(*args), arg, dout, eps, f"args[{k}]")
        err = _relative_error(grad, numerical)
        errors.append(err)
        if not err <= tol:  # also catches NaN
            worst = np.unravel_index(np.argmax(np.abs(grad - numerical)), grad.shape)
            worst = tuple(int(j) for j in worst)
            failures.append(
                f"argument {k} (shape {arg.shape}): relative error {err:.3e} > tol {tol:.1e}; "
                f"largest difference at index {worst}: analytic {grad[worst]:.6g}, "
                f"numerical {numerical[worst]:.6g}"
            )
    if failures:
        raise AssertionError("gradient check failed for " + "; ".join(failures))
    return errors
