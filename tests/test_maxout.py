"""Tests for the maxout layer of bpnet_lib.layers: values against a plain loop, the
gradient against finite differences with a random upstream gradient, ties, special
cases (q = 1 is the identity, pieces (z, 0) give the ReLU), dtypes and error messages."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpnet_lib import layers as L
from bpnet_lib.gradcheck import check_gradients

FAST = settings(max_examples=40, deadline=None)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 5)


def well_separated(rng, N, M, q, gap=0.1):
    """An (N, M*q) input whose entries are all at least ``gap`` apart (no near-ties).

    Finite differences with step eps move one entry by eps; if two entries of a group were
    closer than eps the perturbation could change the arg-max, and the numerical gradient
    would average two subgradients.
    """
    values = gap * rng.permutation(N * M * q).astype(float) + 0.01 * rng.random(N * M * q)
    return (values - values.mean()).reshape(N, M * q)


def loop_maxout(X, q):
    """The definition, one group at a time."""
    N, Mq = X.shape
    Y = np.empty((N, Mq // q))
    for n in range(N):
        for m in range(Mq // q):
            Y[n, m] = max(X[n, m * q + j] for j in range(q))
    return Y


# --- values and gradients ---------------------------------------------------------


@FAST
@given(seed=seeds, N=sizes, M=sizes, q=st.integers(1, 4))
def test_forward_matches_the_definition(seed, N, M, q):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, M * q))
    Y, cache = L.maxout_forward(X, q)
    assert Y.shape == (N, M)
    np.testing.assert_array_equal(Y, loop_maxout(X, q))
    assert cache.argmax.shape == (N, M) and cache.shape == (N, M * q) and cache.q == q
    assert cache.argmax.min() >= 0 and cache.argmax.max() < q


@FAST
@given(seed=seeds, N=sizes, M=sizes, q=st.integers(1, 4))
def test_backward_matches_finite_differences(seed, N, M, q):
    rng = np.random.default_rng(seed)
    X = well_separated(rng, N, M, q)
    _, cache = L.maxout_forward(X, q)
    check_gradients(
        lambda X: L.maxout_forward(X, q)[0],
        [X],
        lambda d: [L.maxout_backward(d, cache)],
        rng=rng,
    )


@FAST
@given(seed=seeds, N=sizes, M=sizes, q=st.integers(2, 4))
def test_backward_routes_each_gradient_to_the_argmax(seed, N, M, q):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, M * q))
    dY = rng.standard_normal((N, M))
    _, cache = L.maxout_forward(X, q)
    dX = L.maxout_backward(dY, cache).reshape(N, M, q)
    groups = X.reshape(N, M, q)
    is_max = groups == groups.max(axis=2, keepdims=True)
    # exactly one nonzero slot per group, at a maximum, carrying the upstream gradient
    assert np.all(np.count_nonzero(dX, axis=2) <= 1)
    np.testing.assert_array_equal(dX.sum(axis=2), dY)
    assert np.all((dX == 0) | is_max)


def test_ties_send_the_gradient_to_the_first_argmax():
    X = np.array([[1.0, 3.0, 3.0, 0.0, -2.0, -2.0, -2.0, -5.0]])  # M = 2 groups of q = 4
    Y, cache = L.maxout_forward(X, 4)
    np.testing.assert_array_equal(Y, [[3.0, -2.0]])
    np.testing.assert_array_equal(cache.argmax, [[1, 0]])
    dX = L.maxout_backward(np.array([[0.7, -1.3]]), cache)
    np.testing.assert_array_equal(dX, [[0.0, 0.7, 0.0, 0.0, -1.3, 0.0, 0.0, 0.0]])


def test_k_equal_one_is_the_identity():
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    Y, cache = L.maxout_forward(X, 1)
    np.testing.assert_array_equal(Y, X)
    np.testing.assert_array_equal(L.maxout_backward(dY, cache), dY)


def test_pieces_z_and_zero_give_the_relu():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((4, 6))
    Z[0, 0] = 0.0  # a tie: maxout's first-arg-max rule and relu'(0) = 0 must still agree
    dY = rng.standard_normal((4, 6))
    pieces = np.stack([np.zeros_like(Z), Z], axis=2).reshape(4, 12)  # (0, z): 0 wins ties
    Y, cache = L.maxout_forward(pieces, 2)
    Y_relu, relu_cache = L.relu_forward(Z)
    np.testing.assert_array_equal(Y, Y_relu)
    dpieces = L.maxout_backward(dY, cache).reshape(4, 6, 2)
    np.testing.assert_array_equal(dpieces[..., 1], L.relu_backward(dY, relu_cache))


def test_cache_layout():
    _, cache = L.maxout_forward(np.arange(12.0).reshape(2, 6), 3)
    assert isinstance(cache, L.MaxoutCache) and cache._fields == ("argmax", "shape", "q", "dtype")
    np.testing.assert_array_equal(cache.argmax, [[2, 2], [2, 2]])


# --- dtypes --------------------------------------------------------------------


def test_dtypes():
    rng = np.random.default_rng(2)
    X32 = rng.standard_normal((3, 6)).astype(np.float32)
    Y, cache = L.maxout_forward(X32, 2)
    assert Y.dtype == np.float32
    assert L.maxout_backward(np.ones((3, 3), np.float32), cache).dtype == np.float32
    Y, cache = L.maxout_forward(np.arange(6).reshape(1, 6), 3)  # integers become float64
    assert Y.dtype == np.float64
    assert L.maxout_backward([[1, 2]], cache).dtype == np.float64


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("q", [0, -2, 2.0, 1.5, True, "2", None])
def test_bad_k(q):
    with pytest.raises(ValueError, match=r"q: expected a positive integer \(pieces per maxout unit\), got"):
        L.maxout_forward(np.zeros((2, 4)), q)


def test_columns_must_split_into_groups():
    msg = re.escape(
        "X: expected a number of columns divisible by q = 3 (M groups of q consecutive "
        "pieces), got shape (2, 7)"
    )
    with pytest.raises(ValueError, match=msg):
        L.maxout_forward(np.zeros((2, 7)), 3)


def test_input_must_be_a_finite_matrix():
    with pytest.raises(ValueError, match=re.escape("X: expected a 2-D array of shape (N, M*q), got shape (6,)")):
        L.maxout_forward(np.zeros(6), 2)
    X = np.zeros((2, 4))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"X: expected finite values, got 1 NaN"):
        L.maxout_forward(X, 2)


def test_backward_checks_the_upstream_gradient():
    _, cache = L.maxout_forward(np.zeros((2, 6)), 3)
    msg = re.escape("dY: expected the shape of the forward's output (2, 2), got shape (2, 3)")
    with pytest.raises(ValueError, match=msg):
        L.maxout_backward(np.zeros((2, 3)), cache)
    with pytest.raises(ValueError, match=r"dY: expected finite values, got 0 NaN and 1 infinite"):
        L.maxout_backward(np.array([[0.0, np.inf], [0.0, 0.0]]), cache)
