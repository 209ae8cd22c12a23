"""Tests for bpnet_lib.symbolic: SymPy derivatives agree with the textbook closed forms,
with finite differences, and with NumPy; the checker can fail and says where."""

import re

import numpy as np
import pytest
import sympy

from bpnet_lib import gradcheck
from bpnet_lib.symbolic import (
    assert_equal,
    flatten,
    gradient,
    hessian,
    jacobian,
    matrix,
    substitute,
    to_numpy,
    vector,
)

# Shapes that break symmetry: no square matrix where a transpose could hide.
RECT = [(2, 3, 4), (3, 1, 2), (1, 2, 3)]


# ------------------------------------------------------------------ construction


def test_matrix_and_vector_symbols():
    W = matrix("W", 2, 3)
    assert W.shape == (2, 3)
    assert W[0, 1].name == "W_{1,2}" and W[1, 2].name == "W_{2,3}"
    assert all(s.is_real for s in W)
    assert sympy.latex(W[0, 1]) == "W_{1,2}"
    x = vector("x", 3)
    assert x.shape == (3, 1)
    assert [s.name for s in x] == ["x_{1}", "x_{2}", "x_{3}"]
    assert all(s.is_real for s in x)
    assert {W: 1}[W] == 1  # hashable, so it can key substitute's mapping


@pytest.mark.parametrize(
    "args, match",
    [
        (("W", 0, 3), r"rows: expected a positive integer, got 0"),
        (("W", 2, 1.5), r"cols: expected a positive integer, got 1.5"),
        (("", 2, 2), r"name: expected a non-empty string such as 'W', got ''"),
    ],
)
def test_matrix_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        matrix(*args)


def test_vector_rejects_bad_length():
    with pytest.raises(ValueError, match=r"n: expected a positive integer, got True"):
        vector("x", True)


def test_flatten_is_row_major_like_ravel():
    W = matrix("W", 2, 3)
    names = [s.name for s in flatten(W)]
    assert names == ["W_{1,1}", "W_{1,2}", "W_{1,3}", "W_{2,1}", "W_{2,2}", "W_{2,3}"]
    index = np.arange(6).reshape(2, 3).ravel()
    assert [flatten(W)[k] for k in index] == [W[k // 3, k % 3] for k in index]
    x = vector("x", 2)
    assert flatten([W, x]) == list(W) + list(x)
    assert flatten(x[0] ** 2) == [x[0] ** 2]


# ------------------------------------------------------------------- jacobian


def test_jacobian_shape_and_row_major_order():
    W, x = matrix("W", 2, 3), vector("x", 3)
    y = W * x  # (2, 1)
    assert jacobian(y, x).shape == (2, 3)
    assert_equal(jacobian(y, x), W)
    J = jacobian(y, W)
    assert J.shape == (2, 6)
    # d y_i / d W_{kl} = [i == k] x_l : with row-major vec(W) this is I_2 kron x^T
    expected = sympy.Matrix(sympy.BlockDiagMatrix(x.T, x.T))
    assert_equal(J, expected)


def test_jacobian_of_a_matrix_function_of_a_matrix():
    X, W = matrix("X", 3, 2), matrix("W", 2, 4)
    Y = X * W  # (3, 4): vec(Y) has 12 entries, vec(W) 8
    J = jacobian(Y, W)
    assert J.shape == (12, 8)
    # row (i, j) of vec(Y), column (k, l) of vec(W): X_{i,k} [j == l]  (= X kron I_4)
    expected = sympy.Matrix(12, 8, lambda a, b: X[a // 4, b // 4] * (1 if a % 4 == b % 4 else 0))
    assert_equal(J, expected)
    assert jacobian(sympy.trace(Y[:, :3]), [X, W]).shape == (1, 14)


def test_jacobian_needs_symbols():
    x = vector("x", 2)
    with pytest.raises(ValueError, match=r"x: expected symbols \(or matrices of symbols\) to differentiate by, got x_\{1\} \+ 1 \(Add\)"):
        jacobian(x[0] * x[1], [x[0] + 1])


# ------------------------------------------------------------------- gradient


@pytest.mark.parametrize("n", [1, 3, 4])
def test_gradient_of_quadratic_form(n):
    A, x = matrix("A", n, n), vector("x", n)
    f = x.T * A * x  # a 1x1 Matrix, accepted as a scalar
    g = gradient(f, x)
    assert g.shape == (n, 1)
    assert assert_equal(g, (A + A.T) * x) is None
    if n > 1:
        with pytest.raises(AssertionError, match=r"missing transpose: entry \(0, 0\) differs"):
            assert_equal(g, 2 * A * x, msg="missing transpose")


@pytest.mark.parametrize("p, q, r", RECT)
def test_gradient_of_trace_AXB(p, q, r):
    A, X, B = matrix("A", p, q), matrix("X", q, r), matrix("B", r, p)
    g = gradient(sympy.trace(A * X * B), X)
    assert g.shape == (q, r)  # shaped like X, as backprop writes dL/dX
    assert_equal(g, A.T * B.T)


@pytest.mark.parametrize("n, d, m", RECT)
def test_gradients_of_a_linear_layer(n, d, m):
    # L = sum(G * (X W)), G the upstream gradient: dL/dW = X^T G, dL/dX = G W^T.
    X, W, G = matrix("X", n, d), matrix("W", d, m), matrix("G", n, m)
    L = sum(G.multiply_elementwise(X * W))
    assert_equal(gradient(L, W), X.T * G)
    assert_equal(gradient(L, X), G * W.T)


def test_gradient_of_squared_error():
    W, x, y = matrix("W", 2, 3), vector("x", 3), vector("y", 2)
    r = W * x - y
    L = (r.T * r)[0, 0] / 2
    assert_equal(gradient(L, W), r * x.T)
    assert_equal(gradient(L, x), W.T * r)


def test_gradient_by_symbol_and_by_list():
    x = vector("x", 2)
    f = x[0] ** 2 * x[1]
    assert_equal(gradient(f, x[0]), 2 * x[0] * x[1])
    g = gradient(f, [x[1], x[0]])
    assert g.shape == (2, 1)
    assert_equal(g, sympy.Matrix([x[0] ** 2, 2 * x[0] * x[1]]))


def test_gradient_needs_a_scalar():
    W = matrix("W", 2, 3)
    with pytest.raises(ValueError, match=r"f: expected a scalar expression \(or a 1x1 Matrix\), got a Matrix of shape \(2, 3\)"):
        gradient(W, W)


# -------------------------------------------------------------------- hessian


def test_hessian_of_quadratic_form():
    A, x = matrix("A", 3, 3), vector("x", 3)
    H = hessian(x.T * A * x, x)
    assert H.shape == (3, 3)
    assert_equal(H, A + A.T)


def test_hessian_is_symmetric_and_is_the_jacobian_of_the_gradient():
    W = matrix("W", 2, 2)
    x = vector("x", 2)
    L = sum(sympy.tanh(e) for e in W * x) + sympy.exp(W[0, 1] * x[1]) * W[1, 0]
    H = hessian(L, [W, x])
    assert H.shape == (6, 6)
    assert_equal(H, H.T)
    assert_equal(H, jacobian(sympy.Matrix(flatten(gradient(L, [*flatten(W), *flatten(x)]))), [W, x]))


# --------------------------------------------------------------- assert_equal


def test_assert_equal_needs_simplify_not_just_expand():
    x = vector("x", 2)
    assert_equal(sympy.sin(x[0]) ** 2 + sympy.cos(x[0]) ** 2, 1)
    assert_equal(sympy.Matrix([[sympy.tanh(x[1]).diff(x[1])]]), 1 - sympy.tanh(x[1]) ** 2)
    sigma = 1 / (1 + sympy.exp(-x[0]))
    assert_equal(sigma.diff(x[0]), sigma * (1 - sigma))


def test_assert_equal_shows_the_first_failing_entry():
    W = matrix("W", 2, 3)
    wrong = sympy.Matrix(W)
    wrong[1, 2] = 2 * W[1, 2]
    wrong[1, 0] = W[1, 0] + 1
    with pytest.raises(AssertionError) as info:
        assert_equal(W, wrong, msg="eq. (3.1)")
    message = str(info.value)
    assert message.startswith("eq. (3.1): entry (1, 0) differs")
    assert "a - b simplifies to -1, not 0" in message
    with pytest.raises(AssertionError, match=r"^the expressions differ: a = x_\{1\}\*\*2, b = x_\{1\}, and a - b simplifies to"):
        x = vector("x", 1)[0]
        assert_equal(x**2, x)


def test_assert_equal_rejects_different_shapes():
    W = matrix("W", 2, 3)
    with pytest.raises(ValueError, match=r"b: expected shape \(2, 3\) \(the shape of a\), got \(3, 2\)"):
        assert_equal(W, W.T)
    with pytest.raises(ValueError, match=r"b: expected shape \(2, 3\) \(the shape of a\), got a scalar"):
        assert_equal(W, W[0, 0])
    with pytest.raises(ValueError, match=r"b: expected shape scalar \(the shape of a\), got \(2, 3\)"):
        assert_equal(W[0, 0], W)


def test_assert_equal_accepts_numpy_and_1x1():
    M = sympy.Matrix([[1, 2], [3, 4]])
    assert_equal(M, np.array([[1, 2], [3, 4]]))
    x = vector("x", 2)
    assert_equal(x.T * x, x[0] ** 2 + x[1] ** 2)


# ------------------------------------------------------------------- to_numpy


def test_to_numpy_agrees_with_numpy():
    rng = np.random.default_rng(0)
    A, x = matrix("A", 3, 3), vector("x", 3)
    grad = to_numpy(gradient(x.T * A * x, x), [A, x])
    An, xn = rng.standard_normal((3, 3)), rng.standard_normal((3, 1))
    out = grad(An, xn)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (3, 1)
    np.testing.assert_allclose(out, (An + An.T) @ xn, rtol=1e-13)
    value = to_numpy((x.T * A * x)[0, 0], [A, x])(An, xn)
    assert isinstance(value, float)
    assert value == pytest.approx((xn.T @ An @ xn).item(), rel=1e-13)


@pytest.mark.parametrize("n, d, m", RECT)
def test_to_numpy_of_a_symbolic_gradient_matches_finite_differences(n, d, m):
    # The whole chain: SymPy derives, lambdify evaluates, gradcheck referees.
    rng = np.random.default_rng(n * 100 + d * 10 + m)
    X, W, G = matrix("X", n, d), matrix("W", d, m), matrix("G", n, m)
    L = sum(G.multiply_elementwise((X * W).applyfunc(sympy.tanh)))
    dW = to_numpy(gradient(L, W), [X, W, G])
    Xn, Wn, Gn = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal((n, m))
    numeric = gradcheck.numerical_gradient(lambda _: np.sum(Gn * np.tanh(Xn @ Wn)), Wn)
    assert gradcheck.relative_error(dW(Xn, Wn, Gn), numeric) < 1e-8


def test_to_numpy_with_symbols_and_constant_entries():
    x = vector("x", 2)
    f = to_numpy(sympy.Matrix([[x[0] * x[1], 0], [1, sympy.sin(x[1])]]), [x[0], x[1]])
    np.testing.assert_allclose(f(2.0, 0.5), [[1.0, 0.0], [1.0, np.sin(0.5)]], rtol=1e-15)
    single = to_numpy(x[0] + 2 * x[1], x)  # a single Matrix instead of a list
    assert single(np.array([[1.0], [3.0]])) == 7.0


def test_to_numpy_rejects_complex_values():
    # Issue 11: np.asarray(value, dtype=float64) kept the real part with only a ComplexWarning.
    A, x = matrix("A", 2, 2), vector("x", 2)
    t = sympy.Symbol("t", real=True)
    f, g = to_numpy(A * x, [A, x]), to_numpy(t**2, [t])
    with pytest.raises(TypeError, match=r"values\[0\]: expected real numbers, got the complex number \(1\+2j\)"):
        g(1 + 2j)
    with pytest.raises(TypeError, match=r"values\[0\]: expected real numbers, got the complex number"):
        g(np.complex128(3.0))  # complex even with a zero imaginary part: the type is wrong
    with pytest.raises(TypeError, match=r"values\[0\]: expected real numbers, got a complex array \(dtype complex128\)"):
        g(np.array([1.0, 2j]))  # a grid
    with pytest.raises(TypeError, match=r"values\[1\]: expected real numbers, got a complex array \(dtype complex128\)"):
        f(np.eye(2), np.array([[1j], [1.0]]))
    assert g(3.0) == 9.0 and g(3) == 9.0  # real values still work


def test_to_numpy_refuses_complex_results_and_non_numbers():
    # Issue 11: a Matrix expr with a complex entry lost its imaginary part (ComplexWarning
    # only), a scalar one failed inside float(); None came out as nan and "2" as 2.0.
    t = sympy.Symbol("t", real=True)
    complex_entry = to_numpy(sympy.Matrix([t, t + sympy.I]), [t])
    with pytest.raises(ValueError, match=re.escape(
            "expr: expected real values, got the complex value (2+1j) at these values")):
        complex_entry(2.0)
    with pytest.raises(ValueError, match=re.escape("got the complex value (1+1j)")):
        complex_entry(np.array([1.0, 2.0]))  # on a grid too
    with pytest.raises(ValueError, match=re.escape("expr: expected real values, got the complex value 3j")):
        to_numpy(3 * sympy.I * t, [t])(1.0)
    # an imaginary part of exactly 0 is a real number written as complex: kept
    assert to_numpy(t + 0 * sympy.I, [t])(2.0) == 2.0
    g = to_numpy(t**2, [t])
    for value, shown in ((None, "None (NoneType)"), ("2", "'2' (str)"),
                         (np.array(["1", "2"]), "an array of dtype <U1")):
        with pytest.raises(TypeError, match="^" + re.escape(f"values[0]: expected real numbers, got {shown}") + "$"):
            g(value)
    with pytest.raises(ValueError, match=r"^values: expected values at which expr fits in float64"):
        g(1e200)  # Python floats raise OverflowError (34, 'Numerical result out of range')
    assert g(True) == 1.0 and g(np.float32(2)) == 4.0
    assert g(sympy.Rational(1, 2)) == 0.25 and g(sympy.Float(3)) == 9.0   # SymPy numbers too
    A = matrix("A", 2, 2)
    assert to_numpy(A, [A])(sympy.Matrix([[1, 2], [3, 4]])).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match=r"^values\[0\]: expected real numbers, got I \(ImaginaryUnit\)$"):
        g(sympy.I)


def test_to_numpy_validation():
    A, x = matrix("A", 2, 2), vector("x", 2)
    with pytest.raises(ValueError, match=r"symbols: expected every free symbol of expr, got none for x_\{1\}, x_\{2\}"):
        to_numpy(A * x, [A])
    f = to_numpy(A * x, [A, x])
    with pytest.raises(ValueError, match=r"values\[1\]: expected shape \(2, 1\) \(the shape of symbols\[1\]\), got shape \(2,\)"):
        f(np.eye(2), np.ones(2))
    with pytest.raises(ValueError, match=r"values: expected 2 \(one per item of symbols\), got 1"):
        f(np.eye(2))


# ----------------------------------------------------------------- substitute


def test_substitute_matrices_and_symbols():
    rng = np.random.default_rng(1)
    A, x = matrix("A", 2, 3), vector("x", 3)
    An = rng.integers(-5, 5, size=(2, 3))
    xn = rng.integers(-5, 5, size=(3, 1))
    out = substitute(A * x, {A: An, x: xn})
    assert out.free_symbols == set()
    assert out == sympy.Matrix(An @ xn)  # integers stay exact
    c = sympy.Symbol("c", real=True)
    assert substitute(c * x[0] ** 2, {c: 3, x: [[2], [0], [0]]}) == 12
    # mutable Matrices (e.g. results of gradient) are unhashable: pass pairs
    g = gradient((x.T * x)[0, 0], x)
    assert substitute(g, [(sympy.Matrix(x), np.ones((3, 1), dtype=int))]) == sympy.Matrix([2, 2, 2])
    Af = rng.standard_normal((2, 3))
    np.testing.assert_allclose(
        np.array(substitute(A * x, {A: Af, x: np.ones((3, 1))}), dtype=float), Af @ np.ones((3, 1))
    )


def test_substitute_validation():
    A, x = matrix("A", 2, 3), vector("x", 3)
    with pytest.raises(ValueError, match=r"mapping\[Matrix\(.*\)\]: expected shape \(2, 3\) \(the shape of the symbolic matrix\), got shape \(3, 2\)"):
        substitute(A * x, {A: np.ones((3, 2))})
    with pytest.raises(ValueError, match=r"expected shape \(3, 1\) .*got shape \(3,\)"):
        substitute(A * x, {x: np.ones(3)})
    with pytest.raises(ValueError, match=r"mapping\[x_\{1\}\]: expected a number for a symbol, got shape \(2,\)"):
        substitute(x[0], {x[0]: [1, 2]})
    with pytest.raises(ValueError, match=r"mapping: expected symbols or Matrices of symbols as keys, got 2\*x_\{1\} \(Mul\)"):
        substitute(x[0], {2 * x[0]: 1})


def test_to_numpy_broadcasts_scalar_symbols_over_a_grid():
    x, y = sympy.symbols("x y", real=True)
    f = sympy.sin(x) * y + 2
    fn = to_numpy(f, [x, y])
    xs = np.linspace(-1, 1, 5)[None, :]
    ys = np.linspace(0, 2, 3)[:, None]
    np.testing.assert_allclose(fn(xs, ys), np.sin(xs) * ys + 2, rtol=1e-15)
    g = to_numpy(sympy.Matrix([[x * y], [sympy.Integer(3)]]), [x, y])
    out = g(xs, ys)
    assert out.shape == (2, 1, 3, 5)
    np.testing.assert_allclose(out[0, 0], xs * ys, rtol=1e-15)
    np.testing.assert_array_equal(out[1, 0], np.full((3, 5), 3.0))
    with pytest.raises(ValueError, match="broadcastable"):
        fn(np.zeros(2), np.zeros(3))


# ------------------------------------------------------------------ tensors of any order


def test_tensor_symbols_and_shape():
    from bpnet_lib.symbolic import tensor

    T = tensor("X", (1, 2, 3, 2))
    assert T.shape == (1, 2, 3, 2) and T.dtype == object
    assert T[0, 1, 2, 0] == sympy.Symbol("X_{0,1,2,0}", real=True)
    assert len(set(T.ravel())) == T.size
    assert all(s.is_real for s in T.ravel())
    v = tensor("b", 3)
    assert v.shape == (3,) and v[2] == sympy.Symbol("b_{2}", real=True)
    # it slices and flips like a NumPy array, and differentiates like SymPy
    L = sum(T[0, :, ::-1, :].ravel() * np.arange(T[0].size).reshape(T[0].shape).ravel())
    assert sympy.diff(L, T[0, 0, 2, 0]) == 0 and sympy.diff(L, T[0, 1, 0, 1]) == 11
    fn = to_numpy(sympy.Matrix([L]), [sympy.Matrix(T.ravel())])
    values = np.arange(12.0)
    np.testing.assert_allclose(fn(values.reshape(-1, 1))[0, 0],
                               np.sum(values.reshape(T.shape)[0, :, ::-1, :].ravel() * np.arange(12)))


@pytest.mark.parametrize("shape, match", [((2, 0), "shape: expected a positive integer, got 0"),
                                          ((), "shape: expected at least one axis"),
                                          (None, "shape: expected a tuple of positive integers")])
def test_tensor_rejects_bad_shapes(shape, match):
    from bpnet_lib.symbolic import tensor

    with pytest.raises(ValueError, match=match):
        tensor("X", shape)


def test_to_numpy_cse_agrees_on_a_nested_expression():
    """cse=True compiles a chain of nested tanh's (repeated subtrees) to the same values."""
    x, w = sympy.symbols("x w", real=True)
    h = x
    for _ in range(4):
        h = sympy.tanh(w * h + x)
    expr = sympy.Matrix([[h, sympy.diff(h, w)], [sympy.diff(h, x), h**2]])
    plain, shared = to_numpy(expr, [x, w]), to_numpy(expr, [x, w], cse=True)
    for xv, wv in [(0.3, -1.2), (2.0, 0.7)]:
        np.testing.assert_allclose(shared(xv, wv), plain(xv, wv), rtol=1e-13, atol=1e-15)
    grid = np.linspace(-1, 1, 5)  # the per-entry path, used for grids
    np.testing.assert_allclose(shared(grid, 0.5), plain(grid, 0.5), rtol=1e-13, atol=1e-15)


def test_none_or_a_non_mapping_is_named():
    # issue 11: SymPy's "Cannot represent derivative of <class 'NoneType'>", "unsupported
    # operand type(s) for -", "'NoneType' object is not iterable"
    x = sympy.Symbol("x", real=True)
    for call, name in ((lambda: gradient(None, [x]), "f"), (lambda: hessian(None, [x]), "f"),
                       (lambda: assert_equal(sympy.Matrix([x]), None), "b"),
                       (lambda: assert_equal(None, x), "a")):
        with pytest.raises(TypeError, match=f"^{name}: expected a SymPy expression or a number, got NoneType$"):
            call()
    for mapping in (None, 5):
        with pytest.raises(TypeError, match=r"^mapping: expected a dict or an iterable of \(key, value\) pairs"):
            substitute(x + 1, mapping)
    with pytest.raises(ValueError, match=r"^mapping: expected \(key, value\) pairs, got"):
        substitute(x + 1, [x])
    assert substitute(x + 1, zip([x], [2])) == 3 and substitute(x + 1, [(x, 2)]) == 3
    assert_equal(x + x, 2 * x)
