"""Tests for bpnet_lib.data: shapes, determinism for a seed, stratification, no test-set
leakage in standardisation, one-hot rows, and mini-batches that cover an epoch once."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from bpnet_lib import data


def test_xor():
    X, y = data.xor(n_per_corner=30, noise=0.1, rng=0)
    assert X.shape == (120, 2) and y.shape == (120,) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [60, 60]
    corner = np.round(X).astype(int)  # noise 0.1: every point rounds to its corner
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])
    X2, y2 = data.xor(n_per_corner=30, noise=0.1, rng=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, data.xor(n_per_corner=30, noise=0.1, rng=1)[0])
    Xc, yc = data.xor(n_per_corner=2, noise=0.0, rng=np.random.default_rng(3))
    assert sorted(map(tuple, Xc)) == [(0, 0)] * 2 + [(0, 1)] * 2 + [(1, 0)] * 2 + [(1, 1)] * 2


def test_two_spirals():
    X, y = data.two_spirals(n=100, noise=0.0, rng=0)
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [100, 100]
    # spiral 1 is spiral 0 turned by pi
    a = X[y == 0][np.lexsort(X[y == 0].T)]
    b = -X[y == 1]
    np.testing.assert_allclose(a, b[np.lexsort(b.T)])
    assert np.abs(X).max() <= 1.0
    X1, y1 = data.two_spirals(n=100, noise=0.05, rng=4)
    X2, y2 = data.two_spirals(n=100, noise=0.05, rng=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


def test_digits_shapes_and_determinism():
    X_train, y_train, X_test, y_test = data.digits()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X_train.dtype == X_test.dtype == np.float64
    assert y_train.shape == (1347,) and y_test.shape == (450,) and y_train.dtype.kind == "i"
    assert set(np.unique(y_train)) == set(range(10))
    again = data.digits()
    for a, b in zip(again, (X_train, y_train, X_test, y_test)):
        np.testing.assert_array_equal(a, b)
    other = data.digits(seed=1)
    assert not np.array_equal(other.y_test, y_test)
    assert again.X_train is not None  # attribute access on the named tuple


def test_digits_split_is_a_stratified_partition():
    raw = load_digits()
    y = raw.target
    train_idx, test_idx = data.stratified_split(y, test_size=0.25, seed=0)
    assert np.intersect1d(train_idx, test_idx).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(y.size))
    for c in range(10):
        n_c = np.sum(y == c)
        assert np.sum(y[test_idx] == c) == round(0.25 * n_c)
    # the unstandardised split is those rows of the data
    X_train, y_train, X_test, y_test = data.digits(standardize=False)
    np.testing.assert_array_equal(X_train, raw.data[train_idx])
    np.testing.assert_array_equal(y_test, y[test_idx])
    # proportions: each class's share of the test set within 1/45 of its share overall
    share = np.bincount(y) / y.size
    np.testing.assert_allclose(np.bincount(y_test) / y_test.size, share, atol=1 / 45)
    small = data.stratified_split(np.array([0, 0, 1, 1, 1, 2, 2]), test_size=0.1, seed=0)[1]
    assert sorted(np.array([0, 0, 1, 1, 1, 2, 2])[small]) == [0, 1, 2]  # >= 1 per class


def test_digits_standardisation_uses_training_statistics_only():
    Xr_train, _, Xr_test, _ = data.digits(standardize=False)
    X_train, _, X_test, _ = data.digits()
    mu, s = Xr_train.mean(axis=0), Xr_train.std(axis=0)
    s[s == 0] = 1
    np.testing.assert_allclose(X_train, (Xr_train - mu) / s)
    np.testing.assert_allclose(X_test, (Xr_test - mu) / s)
    varying = Xr_train.std(axis=0) > 0
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0)[varying], 1)


def test_digits_test_rows_do_not_influence_the_training_set(monkeypatch):
    """Leakage check: replace every test image by garbage; the training set must not move."""
    import sklearn.datasets

    raw = load_digits()
    _, test_idx = data.stratified_split(raw.target, test_size=0.25, seed=0)
    before = data.digits()
    poisoned = load_digits()
    poisoned.data[test_idx] = 1000.0 + 50 * np.random.default_rng(0).random((test_idx.size, 64))
    monkeypatch.setattr(sklearn.datasets, "load_digits", lambda: poisoned)
    after = data.digits()
    np.testing.assert_array_equal(after.X_train, before.X_train)
    np.testing.assert_array_equal(after.y_test, before.y_test)
    assert not np.allclose(after.X_test, before.X_test)


def test_one_hot():
    H = data.one_hot([2, 0, 1, 2], 3)
    np.testing.assert_array_equal(H, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert H.dtype == np.float64
    with pytest.raises(ValueError, match="labels in 0..2"):
        data.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="K: expected a positive integer"):
        data.one_hot([0], 0)
    with pytest.raises(ValueError, match="shape \\(N,\\)"):
        data.one_hot([[0, 1]], 2)


def test_minibatches_cover_each_sample_once():
    X = np.arange(23.0)[:, None] * np.ones((1, 2))
    y = np.arange(23)
    batches = list(data.minibatches(X, y, 5, rng=0))
    assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), y)
    assert not np.array_equal(seen, y)  # shuffled
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], yb)  # rows stay paired
    again = np.concatenate([yb for _, yb in data.minibatches(X, y, 5, rng=0)])
    np.testing.assert_array_equal(seen, again)  # deterministic for a seed
    rng = np.random.default_rng(0)
    e1 = np.concatenate([yb for _, yb in data.minibatches(X, y, 5, rng)])
    e2 = np.concatenate([yb for _, yb in data.minibatches(X, y, 5, rng)])
    assert not np.array_equal(e1, e2)  # a fresh order each epoch from one generator
    ordered = [yb for _, yb in data.minibatches(X, y, 10, shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(ordered), y)
    assert [yb for _, yb in data.minibatches(X, None, 30, shuffle=False)] == [None]


def test_minibatches_drop_last():
    X, y = np.arange(23.0)[:, None], np.arange(23)
    full = [yb for _, yb in data.minibatches(X, y, 5, rng=0)]
    kept = [yb for _, yb in data.minibatches(X, y, 5, rng=0, drop_last=True)]
    assert [len(b) for b in kept] == [5, 5, 5, 5]  # the 3-sample remainder is left out
    for a, b in zip(full, kept):  # the same shuffle: the same first four batches
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(1)
    out = [np.setdiff1d(y, np.concatenate([yb for _, yb in data.minibatches(X, y, 5, rng, drop_last=True)]))
           for _ in range(2)]
    assert all(len(o) == 3 for o in out) and not np.array_equal(out[0], out[1])  # who sits out varies
    exact = [len(yb) for _, yb in data.minibatches(X[:20], y[:20], 5, rng=0, drop_last=True)]
    assert exact == [5, 5, 5, 5]  # nothing to drop
    with pytest.raises(ValueError, match="batch_size: expected at most N = 23 with drop_last=True"):
        data.minibatches(X, y, 24, rng=0, drop_last=True)
    assert [len(yb) for _, yb in data.minibatches(X, y, 24, rng=0)] == [23]  # without: one short batch


def test_errors():
    with pytest.raises(ValueError, match="n_per_corner"):
        data.xor(n_per_corner=0)
    with pytest.raises(ValueError, match="noise"):
        data.two_spirals(n=10, noise=-1)
    with pytest.raises(ValueError, match="rng"):
        data.xor(rng=None)
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=1.0)
    # checked when minibatches() is called, not at the first next()
    with pytest.raises(ValueError, match="y: expected 4 rows"):
        data.minibatches(np.ones((4, 2)), np.ones(3), 2, rng=0)
    with pytest.raises(ValueError, match="batch_size"):
        data.minibatches(np.ones((4, 2)), None, 0, rng=0)
    with pytest.raises(ValueError, match="rng"):
        data.minibatches(np.ones((4, 2)), None, 2, rng=None)


@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(2, 40), min_size=1, max_size=6), val=st.floats(0.05, 0.6),
       test=st.floats(0.05, 0.6), seed=st.integers(0, 1000))
def test_train_val_test_split_is_a_stratified_partition_keeping_the_test_set(counts, val, test, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    y = y[np.random.default_rng(seed).permutation(y.size)]
    tr, va, te = data.train_val_test_split(y, val_size=val, test_size=test, seed=seed)
    both = np.concatenate([tr, va, te])
    np.testing.assert_array_equal(np.sort(both), np.arange(y.size))          # a partition
    np.testing.assert_array_equal(te, data.stratified_split(y, test, seed)[1])  # the same test set
    for c, n_c in enumerate(counts):
        n_test = min(max(round(test * n_c), 1), n_c - 1)
        assert np.sum(y[te] == c) == n_test
        rest = n_c - n_test
        n_val = round(val * rest) if rest < 2 else min(max(round(val * rest), 1), rest - 1)
        assert np.sum(y[va] == c) == n_val
    again = data.train_val_test_split(y, val_size=val, test_size=test, seed=seed)
    for a, b in zip(again, (tr, va, te)):
        np.testing.assert_array_equal(a, b)


def test_digits_with_a_validation_set():
    three = data.digits(val_size=0.2)
    two = data.digits()
    assert isinstance(three, data.DigitsValSplit) and len(three) == 6
    np.testing.assert_array_equal(three.y_test, two.y_test)
    assert three.X_train.shape == (1078, 64) and three.X_val.shape == (269, 64) and three.X_test.shape == (450, 64)
    raw = data.digits(val_size=0.2, standardize=False)
    # the validation images are training images of the two-way split, held out
    rows = {tuple(r) for r in data.digits(standardize=False).X_train}
    assert all(tuple(r) in rows for r in raw.X_val)
    mu, s0 = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)   # training part only
    s0[s0 == 0] = 1
    for part, raw_part in ((three.X_val, raw.X_val), (three.X_test, raw.X_test), (three.X_train, raw.X_train)):
        np.testing.assert_allclose(part, (raw_part - mu) / s0)
    share = np.bincount(three.y_val) / three.y_val.size
    np.testing.assert_allclose(share, np.bincount(three.y_train) / three.y_train.size, atol=0.01)
    with pytest.raises(ValueError, match="val_size: expected a fraction in \\(0, 1\\), got 0"):
        data.digits(val_size=0)
    with pytest.raises(ValueError, match="seed: expected an int"):
        data.train_val_test_split(np.zeros(4, dtype=int), seed=1.5)


# --- issue 11: non-finite labels and noise ---------------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 0.5])
def test_split_labels_must_be_finite_integers(bad):
    # a NaN label equals nothing, so its samples fell out of both parts (6 indices for 8)
    y = np.array([0, 0, 1, 1, 0, 1, bad, 0], dtype=float)
    with pytest.raises(ValueError, match="y: expected finite integer class labels"):
        data.stratified_split(y)
    with pytest.raises(ValueError, match="y: expected finite integer class labels"):
        data.train_val_test_split(y)


def test_split_still_accepts_integral_float_and_int_labels():
    y_int = np.array([0, 0, 1, 1, 0, 1, 2, 2])
    for y in (y_int, y_int.astype(float), y_int.tolist()):
        tr, te = data.stratified_split(y, 0.25, seed=0)
        assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(8))
    np.testing.assert_array_equal(data.stratified_split(y_int.astype(float))[1],
                                  data.stratified_split(y_int)[1])


@pytest.mark.parametrize("noise", [np.inf, np.nan, float("inf")])
def test_noise_must_be_finite(noise):
    with pytest.raises(ValueError, match="noise: expected a finite number >= 0"):
        data.xor(5, noise=noise)
    with pytest.raises(ValueError, match="noise: expected a finite number >= 0"):
        data.two_spirals(5, noise=noise)
    X, _ = data.xor(5, noise=0.0)
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("noise", [1e308, 1.7e308])
def test_noise_so_large_that_the_points_overflow_is_refused(noise):
    # a finite noise whose product with a normal draw overflows gave infinite points too
    # (with only a RuntimeWarning)
    with pytest.raises(ValueError, match=re.escape(
            f"noise: expected a standard deviation small enough for the points to be finite "
            f"float64 numbers, got {noise!r}")):
        data.xor(50, noise=noise)
    with pytest.raises(ValueError, match=r"^noise: expected a standard deviation small enough"):
        data.two_spirals(50, noise=noise)
    X, _ = data.xor(5, noise=1e300)          # huge but representable: returned as drawn
    assert np.all(np.isfinite(X)) and np.abs(X).max() > 1e299


def test_stratified_split_names_an_empty_y_and_a_bad_seed():
    with pytest.raises(ValueError, match=re.escape(
            "y: expected at least one label to split (N >= 1), got shape (0,)")):
        data.stratified_split(np.array([], dtype=int))     # was a NumPy concatenate error
    with pytest.raises(ValueError, match="^seed: expected a numpy.random.Generator or an int seed, got str$"):
        data.stratified_split([0, 1, 0, 1], seed="a")      # the message said rng


@pytest.mark.parametrize("flag", ["shuffle", "drop_last"])
def test_minibatch_flags_must_be_bools(flag):
    # shuffle="no" shuffled (a non-empty string is true)
    X, y = np.arange(8.0).reshape(4, 2), np.arange(4)
    with pytest.raises(TypeError, match=f"^{flag}: expected True or False, got str 'no'$"):
        data.minibatches(X, y, 2, rng=0, **{flag: "no"})
    assert len(list(data.minibatches(X, y, 3, rng=0, **{flag: np.bool_(False)}))) == 2


def test_digits_standardize_must_be_a_bool():
    with pytest.raises(TypeError, match="^standardize: expected True or False, got int 0$"):
        data.digits(standardize=0)
