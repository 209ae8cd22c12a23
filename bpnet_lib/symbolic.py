"""Symbolic matrices for deriving gradients and checking them with SymPy.

A chapter writes a loss on small matrices of named real symbols
(``W = matrix("W", 2, 3)``), lets SymPy differentiate it entry by entry, and
checks that the result equals the closed form it derived by hand
(``assert_equal(gradient(J, W), X.T @ dY)``) -- a check on that instance; the
proof for every size is the index derivation, or SymPy's own matrix calculus on
``MatrixSymbol`` objects of symbolic size. Then it turns the formula into a
NumPy function (:func:`to_numpy`) and checks it against what ``bpnet_lib``
computes. Gradients keep the shape of the variable, the way backpropagation
writes ``dW``; Jacobians use the row-major ``vec``, the order of
``ndarray.ravel()``. This is the only module of the library that imports SymPy.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import sympy

__all__ = [
    "matrix",
    "vector",
    "tensor",
    "flatten",
    "jacobian",
    "gradient",
    "hessian",
    "assert_equal",
    "to_numpy",
    "substitute",
]


def _check_count(n, name: str) -> int:
    """Return ``n`` as an int, requiring a positive integer."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name}: expected a positive integer, got {n!r}")
    return int(n)


def _check_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string such as 'W', got {name!r}")
    return name


def matrix(name: str, rows: int, cols: int) -> sympy.ImmutableMatrix:
    """A matrix of real symbols ``name_{i,j}`` with 1-based indices.

    The matrix is immutable, hence hashable, so it can be a key of the
    ``mapping`` given to :func:`substitute`; it computes like any
    ``sympy.Matrix`` (``W.T``, ``W @ x``, ``sympy.trace``).

    Parameters
    ----------
    name : str
        The letter, e.g. ``"W"``; entries print in LaTeX as ``W_{1,2}``.
    rows, cols : int
        The shape.

    Returns
    -------
    sympy.ImmutableMatrix, shape (rows, cols)
        Entry ``[i, j]`` (0-based) is the real symbol ``name_{i+1,j+1}``.
    """
    name = _check_name(name)
    rows, cols = _check_count(rows, "rows"), _check_count(cols, "cols")
    return sympy.ImmutableMatrix(
        rows, cols, lambda i, j: sympy.Symbol(f"{name}_{{{i + 1},{j + 1}}}", real=True)
    )


def vector(name: str, n: int) -> sympy.ImmutableMatrix:
    """A column vector of real symbols ``name_{i}`` with 1-based indices.

    Immutable (hence hashable), like :func:`matrix`.

    Parameters
    ----------
    name : str
        The letter, e.g. ``"x"``.
    n : int
        The length.

    Returns
    -------
    sympy.ImmutableMatrix, shape (n, 1)
    """
    name = _check_name(name)
    n = _check_count(n, "n")
    return sympy.ImmutableMatrix(n, 1, lambda i, _: sympy.Symbol(f"{name}_{{{i + 1}}}", real=True))


def tensor(name: str, shape) -> np.ndarray:
    """An array of real symbols of any order, ``name_{i,j,...}`` with 0-based indices.

    For the images and kernels of a convolution, ``(N, C, n_h, n_w)`` and ``(F, C, kh, kw)``,
    which :func:`matrix` cannot hold. The result is a NumPy array of dtype ``object``, so
    it slices, pads, flips and transposes like the arrays of the numeric library, and its
    entries compute like any SymPy expression. The indices are 0-based, as NumPy writes
    them (``X[0, 1, 2, 3]`` is ``X_{0,1,2,3}``). To differentiate by it or lambdify it,
    flatten it: ``sympy.Matrix(T.ravel())`` is a column of its symbols in row-major order.

    Parameters
    ----------
    name : str
        The letter, e.g. ``"X"``.
    shape : tuple of int
        The shape, each entry positive.

    Returns
    -------
    ndarray of sympy.Symbol, dtype object, shape ``shape``
        Entry ``[i, j, ...]`` is the real symbol ``name_{i,j,...}``.
    """
    name = _check_name(name)
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"shape: expected a tuple of positive integers, got {shape!r}") from None
    if not dims:
        raise ValueError(f"shape: expected at least one axis, got {shape!r}")
    dims = tuple(_check_count(n, "shape") for n in dims)
    T = np.empty(dims, dtype=object)
    for index in np.ndindex(*dims):
        T[index] = sympy.Symbol(f"{name}_{{{','.join(str(i) for i in index)}}}", real=True)
    return T


def flatten(M) -> list:
    """Entries of ``M`` in row-major order (the order of ``ndarray.ravel()``).

    Parameters
    ----------
    M : sympy.Matrix, a scalar expression, or a list/tuple of these
        Lists are flattened item after item.

    Returns
    -------
    list, one item per entry of ``M`` (of each item of a list, in turn)
    """
    if isinstance(M, sympy.MatrixBase):
        return list(M)  # SymPy iterates row by row
    if isinstance(M, (list, tuple)):
        return [entry for item in M for entry in flatten(item)]
    return [sympy.sympify(M)]


def _symbols(x, name: str = "x") -> list:
    """``flatten(x)``, requiring every entry to be a symbol."""
    entries = flatten(x)
    for s in entries:
        if not isinstance(s, sympy.Symbol):
            raise ValueError(
                f"{name}: expected symbols (or matrices of symbols) to differentiate by, "
                f"got {s} ({type(s).__name__})"
            )
    return entries


def _expression(value, name: str):
    """``sympy.sympify(value)``, raising ``TypeError`` naming ``name`` for None or a non-formula."""
    try:
        out = None if value is None else sympy.sympify(value)
    except (sympy.SympifyError, TypeError, ValueError):
        out = None
    if out is None:
        raise TypeError(
            f"{name}: expected a SymPy expression or a number, got {type(value).__name__}"
        )
    return out


def _scalar(f, name: str = "f"):
    """Return ``f`` as a scalar expression; a 1x1 Matrix (e.g. ``x.T @ A @ x``) counts."""
    if isinstance(f, sympy.MatrixBase):
        if f.shape != (1, 1):
            raise ValueError(
                f"{name}: expected a scalar expression (or a 1x1 Matrix), "
                f"got a Matrix of shape {f.shape}"
            )
        return f[0, 0]
    return _expression(f, name)


def jacobian(f, x) -> sympy.Matrix:
    r"""Jacobian of ``vec(f)`` with respect to ``vec(x)``, both row-major.

    Parameters
    ----------
    f : sympy.Matrix, or a scalar expression (one entry)
    x : sympy.Matrix, a symbol, or a list of symbols/matrices
        The variables, flattened row-major (and item after item for a list).

    Returns
    -------
    jac : sympy.Matrix, one row per entry of ``f`` and one column per entry of ``x``

        .. math::

           \Big[\frac{\partial\, \mathrm{vec}(f)}{\partial\, \mathrm{vec}(x)}\Big]_{ab}
           = \frac{\partial\, \mathrm{vec}(f)_a}{\partial\, \mathrm{vec}(x)_b}.
    """
    return sympy.Matrix(flatten(f)).jacobian(_symbols(x))


def gradient(f, x):
    r"""Gradient of a scalar ``f``, shaped like ``x`` (``dX`` as backprop writes it).

    Parameters
    ----------
    f : scalar expression, or a 1x1 Matrix such as ``x.T @ A @ x``
    x : sympy.Matrix, a symbol, or a list of symbols
        The variable.

    Returns
    -------
    sympy.Matrix of ``x``'s shape if ``x`` is a Matrix; a scalar expression if
    ``x`` is a symbol; a column Matrix of shape (n, 1) if ``x`` is a list of
    n symbols.

        .. math::

           \Big(\frac{\partial f}{\partial x}\Big)_{ij} = \frac{\partial f}{\partial x_{ij}}.
    """
    f = _scalar(f)
    syms = _symbols(x)
    derivs = [sympy.diff(f, s) for s in syms]
    if isinstance(x, sympy.MatrixBase):
        return sympy.Matrix(x.rows, x.cols, derivs)
    if isinstance(x, sympy.Symbol):
        return derivs[0]
    return sympy.Matrix(len(derivs), 1, derivs)


def hessian(f, x) -> sympy.Matrix:
    r"""Hessian of a scalar ``f`` with respect to the entries of ``x``.

    Parameters
    ----------
    f : scalar expression, or a 1x1 Matrix
    x : sympy.Matrix, a symbol, or a list of symbols/matrices; n entries in all
        Flattened row-major.

    Returns
    -------
    hess : sympy.Matrix, shape (n, n)

        .. math::

           \big[\nabla^2 f\big]_{ab} = \frac{\partial^2 f}{\partial\, \mathrm{vec}(x)_a\, \partial\, \mathrm{vec}(x)_b}.
    """
    f = _scalar(f)
    syms = _symbols(x)
    return sympy.Matrix(len(syms), len(syms), lambda a, b: sympy.diff(f, syms[a], syms[b]))


def _vanishes(d) -> tuple[bool, object]:
    """Whether ``d`` simplifies to zero, and the simplest form found."""
    expanded = sympy.expand(d)
    if expanded == 0:
        return True, expanded
    simplified = sympy.simplify(d)
    if simplified == 0:
        return True, simplified
    both = sympy.simplify(expanded)
    return both == 0, both


def _shape(a):
    return a.shape if isinstance(a, sympy.MatrixBase) else ()


def assert_equal(a, b, msg: str = "") -> None:
    """Assert that two formulas are equal entry by entry.

    Each difference ``a[i, j] - b[i, j]`` must vanish under ``sympy.expand``,
    ``sympy.simplify`` or ``sympy.simplify(sympy.expand(.))``.

    Parameters
    ----------
    a, b : scalar expressions, or Matrices of the same shape
        A 1x1 Matrix may be compared with a scalar. NumPy arrays are read as
        Matrices (a 1-D array as a column).
    msg : str, optional
        Said first in the failure message, e.g. which equation is checked.

    Returns
    -------
    None
        Like ``assert``, a passing check shows nothing: a cell that ends with it
        prints no stray ``True``.

    Raises
    ------
    AssertionError
        At the first entry whose difference does not vanish, showing its
        index, both sides and the simplified difference.
    ValueError
        If ``a`` and ``b`` have different shapes.
    TypeError
        If ``a`` or ``b`` is None or something SymPy cannot read as a formula.
    """
    if isinstance(a, np.ndarray):
        a = sympy.Matrix(a)
    if isinstance(b, np.ndarray):
        b = sympy.Matrix(b)
    for value, name in ((a, "a"), (b, "b")):
        if not isinstance(value, sympy.MatrixBase):
            _expression(value, name)  # None, or an object SymPy cannot read: TypeError
    shape_a, shape_b = _shape(a), _shape(b)
    if shape_a != shape_b:
        if {shape_a, shape_b} == {(), (1, 1)}:
            a, b = _scalar(a, "a"), _scalar(b, "b")
        else:
            raise ValueError(
                f"b: expected shape {shape_a if shape_a else 'scalar'} (the shape of a), "
                f"got {shape_b if shape_b else 'a scalar'}"
            )
    if isinstance(a, sympy.MatrixBase):
        pairs = [((i, j), a[i, j], b[i, j]) for i in range(a.rows) for j in range(a.cols)]
    else:
        pairs = [((), sympy.sympify(a), sympy.sympify(b))]
    for index, lhs, rhs in pairs:
        ok, diff = _vanishes(lhs - rhs)
        if not ok:
            where = f"entry {index} differs" if index else "the expressions differ"
            prefix = f"{msg}: " if msg else ""
            raise AssertionError(
                f"{prefix}{where}: a = {lhs}, b = {rhs}, "
                f"and a - b simplifies to {diff}, not 0"
            )
    return None


def to_numpy(expr, symbols, cse=False):
    """Turn a formula into a NumPy function, via ``sympy.lambdify(modules="numpy")``.

    Parameters
    ----------
    expr : scalar expression, or sympy.Matrix
    symbols : list of symbols and/or Matrices of symbols (or a single one)
        The arguments of the returned function, in order. Every free symbol
        of ``expr`` must appear.
    cse : bool, default False
        Compile with common subexpression elimination (``lambdify(..., cse=True)``):
        each repeated subexpression is printed and evaluated once, which makes large
        nested expressions (a chain rule unrolled through time, say) much faster to
        compile and run. SymPy's elimination order depends on Python's hash seed, so
        the last bits of a result can then differ from one process to the next.

    Returns
    -------
    fn : callable
        ``fn(*values)`` takes one value per item of ``symbols``: a number for
        a symbol, an array of the Matrix's shape for a Matrix (read
        row-major). It returns an ndarray of float64 of ``expr.shape`` for a
        Matrix ``expr`` and a float for a scalar one. Values for scalar
        symbols may also be arrays of a common (broadcastable) shape ``grid``,
        to evaluate on a grid: the result then has shape ``grid`` for a scalar
        ``expr`` and ``expr.shape + grid`` for a Matrix.

    Raises
    ------
    ValueError
        If ``expr`` has a free symbol missing from ``symbols`` (when building
        ``fn``), or ``fn`` gets the wrong number of values or a value of the
        wrong shape (when calling it).
        ``fn`` also raises ``ValueError`` if ``expr`` evaluates to a complex number
        with a nonzero imaginary part (``x + sympy.I``), or overflows Python's floats.
    TypeError
        If ``fn`` gets a complex value (when calling it): it would otherwise keep
        only the real part; or a value that is not a number (``None``, a string).
    """
    items = list(symbols) if isinstance(symbols, (list, tuple)) else [symbols]
    flat = _symbols(items, "symbols")
    is_matrix = isinstance(expr, sympy.MatrixBase)
    expr = expr if is_matrix else sympy.sympify(expr)
    missing = expr.free_symbols - set(flat)
    if missing:
        names = sorted(str(s) for s in missing)
        raise ValueError(
            f"symbols: expected every free symbol of expr, got none for {', '.join(names)}"
        )
    compiled = sympy.lambdify(flat, expr, modules="numpy", cse=cse)
    entries = list(expr) if is_matrix else [expr]
    shape = expr.shape if is_matrix else ()

    @functools.cache
    def entry_fns():  # one function per entry, built only if a grid evaluation needs them
        return [sympy.lambdify(flat, e, modules="numpy", cse=cse) for e in entries]

    def fn(*values):
        if len(values) != len(items):
            raise ValueError(
                f"values: expected {len(items)} (one per item of symbols), got {len(values)}"
            )
        numbers_in, batch = [], []
        for k, (item, value) in enumerate(zip(items, values)):
            if np.iscomplexobj(value):
                # np.asarray(value, dtype=float64) would keep the real part with only a warning
                what = (f"the complex number {value!r}" if np.ndim(value) == 0
                        else f"a complex array (dtype {np.asarray(value).dtype})")
                raise TypeError(f"values[{k}]: expected real numbers, got {what}")
            arr = _real_values(value, f"values[{k}]")
            if isinstance(item, sympy.MatrixBase):
                if arr.shape != item.shape:
                    raise ValueError(
                        f"values[{k}]: expected shape {item.shape} (the shape of symbols[{k}]), "
                        f"got shape {arr.shape}"
                    )
                numbers_in.extend(float(v) for v in arr.ravel())
            elif arr.ndim == 0:
                numbers_in.append(float(arr))
            else:
                numbers_in.append(arr)
                batch.append(arr.shape)
        if not batch:
            out = _real(_evaluate(compiled, numbers_in))
            return out.reshape(shape) if is_matrix else float(out)
        try:
            bshape = np.broadcast_shapes(*batch)
        except ValueError:
            raise ValueError(
                f"values: expected arrays of broadcastable shapes for the scalar symbols, "
                f"got shapes {batch}"
            ) from None
        out = np.stack([np.broadcast_to(_real(_evaluate(g, numbers_in)), bshape)
                        for g in entry_fns()])
        return out.reshape(shape + bshape) if is_matrix else out.reshape(bshape)

    return fn


def _real_values(value, name: str) -> np.ndarray:
    """``value`` as float64, refusing None and strings (read as nan and as numbers).

    Numbers of any kind are accepted, SymPy's included (``sympy.Rational(1, 2)``, a
    ``sympy.Matrix`` of numbers): whatever ``float()`` reads as a real number.
    """
    raw = np.asarray(value)
    text = raw.dtype.kind in "USV" or (raw.dtype == object and any(
        v is None or isinstance(v, (str, bytes)) for v in raw.flat))
    if not text:
        try:
            return raw.astype(np.float64, copy=False)
        except (TypeError, ValueError):   # a complex SymPy number, an arbitrary object
            pass
    what = (f"{value!r} ({type(value).__name__})" if raw.ndim == 0
            else f"an array of dtype {raw.dtype}")
    raise TypeError(f"{name}: expected real numbers, got {what}")


def _evaluate(compiled, numbers_in):
    """``compiled(*numbers_in)``, with Python's float overflow reported as a ValueError."""
    try:
        return compiled(*numbers_in)
    except OverflowError as exc:  # x**2 at x = 1e200 on Python floats
        raise ValueError(
            f"values: expected values at which expr fits in float64 (at most 1.8e+308), "
            f"got values at which it overflows ({exc})"
        ) from None


def _real(out) -> np.ndarray:
    """``out`` as a float64 array, refusing a complex value rather than dropping its imaginary part."""
    out = np.asarray(out)
    if np.iscomplexobj(out):
        if np.any(out.imag != 0):
            bad = out.reshape(-1)[np.flatnonzero(out.reshape(-1).imag != 0)[0]]
            raise ValueError(
                f"expr: expected real values, got the complex value {complex(bad)} at these "
                f"values (its imaginary part would be dropped)"
            )
        out = out.real
    return out.astype(np.float64)


def substitute(expr, mapping):
    """Replace symbols (or whole symbolic matrices) by numbers.

    Parameters
    ----------
    expr : scalar expression, or sympy.Matrix
    mapping : dict, or iterable of (key, value) pairs
        Keys are symbolic Matrices, mapped to array_likes of
        the same shape (NumPy arrays, nested lists, or SymPy Matrices), or
        symbols, mapped to numbers. Integer values stay exact. The matrices
        made by :func:`matrix` and :func:`vector` are hashable and can be dict
        keys; a mutable ``sympy.Matrix`` is not, so pass pairs
        ``[(W, W_value), ...]`` for those.

    Returns
    -------
    ``expr.subs(...)`` with every entry substituted; same type and shape as
    ``expr``.

    Raises
    ------
    ValueError
        If a value's shape differs from its key's, or a key is neither a
        symbol nor a Matrix of symbols.
    """
    if isinstance(mapping, dict):
        pairs = list(mapping.items())
    elif isinstance(mapping, (str, bytes)) or not np.iterable(mapping):
        raise TypeError(
            f"mapping: expected a dict or an iterable of (key, value) pairs, got "
            f"{type(mapping).__name__}"
        )
    else:
        pairs = list(mapping)
    flat = {}
    for item in pairs:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ValueError(f"mapping: expected (key, value) pairs, got {item!r}")
        key, value = item
        if isinstance(key, sympy.MatrixBase):
            arr = np.asarray(value, dtype=object)
            if arr.shape != key.shape:
                raise ValueError(
                    f"mapping[{key}]: expected shape {key.shape} (the shape of the "
                    f"symbolic matrix), got shape {arr.shape}"
                )
            for s, v in zip(_symbols(key, "mapping"), arr.ravel()):
                flat[s] = _number(v)
        elif isinstance(key, sympy.Symbol):
            arr = np.asarray(value, dtype=object)
            if arr.shape != ():
                raise ValueError(
                    f"mapping[{key}]: expected a number for a symbol, got shape {arr.shape}"
                )
            flat[key] = _number(value)
        else:
            raise ValueError(
                f"mapping: expected symbols or Matrices of symbols as keys, "
                f"got {key} ({type(key).__name__})"
            )
    if isinstance(expr, sympy.MatrixBase):
        return expr.subs(flat)
    return sympy.sympify(expr).subs(flat)


def _number(v):
    """A SymPy number from a NumPy/Python value (``.item()`` keeps ints exact)."""
    if isinstance(v, np.generic):
        v = v.item()
    return sympy.sympify(v)
