"""The bound-based solvers' running cluster sums: changes of the rows that moved, folded into
totals, against a recount of every row; and the final E-step's fused inertia."""

import numpy as np
import pytest

from kmeanskit._kernels.dense import accumulate_changes, fold_changes
from kmeanskit.solvers._data import DenseData, _nearest, _shifted_centres, assign


def _recount(X, weights, shift, labels, k):
    """Every row's weighted shifted values summed per label, in row order (float64)."""
    sums = np.zeros((k, X.shape[1]))
    cluster_weights = np.zeros(k)
    for i, c in enumerate(labels):
        cluster_weights[c] += weights[i]
        sums[c] += weights[i] * (X[i] - shift).astype(np.float64)
    return sums, cluster_weights


def _changes(X, weights, shift, previous, labels, k):
    sums = np.empty((1, k, X.shape[1]))
    cluster_weights = np.empty((1, k))
    members = np.empty((1, k), dtype=np.int64)
    accumulate_changes(
        X, weights, shift, previous, labels, 0, len(X), sums[0], cluster_weights[0], members[0]
    )
    return sums, cluster_weights, members


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_running_totals_follow_a_recount(dtype):
    """First pass (from -1) bit-identical to the recount; after passes of random moves, equal
    to rounding; members counted for positive weights only."""
    rng = np.random.default_rng(0)
    n, d, k = 500, 3, 6
    X = rng.normal(size=(n, d)).astype(dtype)
    shift = X.mean(axis=0).astype(dtype)
    weights = rng.uniform(0.1, 3.0, size=n)
    weights[::7] = 0.0
    totals, total_weights = np.zeros((k, d)), np.zeros(k)
    total_members = np.zeros(k, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int32)
    for step in range(6):
        new = labels.copy()
        moving = rng.random(n) < (1.0 if step == 0 else 0.1)
        new[moving] = rng.integers(k, size=moving.sum())
        sums, cluster_weights, members = _changes(X, weights, shift, labels, new, k)
        empty = fold_changes(sums, cluster_weights, members, totals, total_weights, total_members)
        labels = new
        want_sums, want_weights = _recount(X, weights, shift, labels, k)
        if step == 0:
            np.testing.assert_array_equal(totals, want_sums)
            np.testing.assert_array_equal(total_weights, want_weights)
        np.testing.assert_allclose(totals, want_sums, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(total_weights, want_weights, rtol=1e-12)
        positive = np.bincount(labels[weights > 0], minlength=k)
        np.testing.assert_array_equal(total_members, positive)
        assert empty == np.sum(want_weights == 0)


def test_a_cluster_that_empties_has_exactly_zero_weight():
    """Weights whose additions and subtractions leave a rounding residue (0.1 + 0.2 - 0.1 -
    0.2 != 0 in float64): the emptied cluster is empty, as in Lloyd's recount, not a cluster
    of weight 1e-17 whose mean would be noise."""
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    shift = np.zeros(2)
    weights = np.array([0.1, 0.2, 0.3])
    totals, total_weights = np.zeros((2, 2)), np.zeros(2)
    total_members = np.zeros(2, dtype=np.int64)
    previous = np.full(3, -1, dtype=np.int32)
    first = np.array([0, 0, 1], dtype=np.int32)
    fold_changes(
        *_changes(X, weights, shift, previous, first, 2), totals, total_weights, total_members
    )
    assert (0.1 + 0.2) - 0.2 - 0.1 != 0.0  # the residue a plain running sum would keep
    # row 1 leaves cluster 0, then row 0: the other order than they joined it
    middle = np.array([0, 1, 1], dtype=np.int32)
    second = np.array([1, 1, 1], dtype=np.int32)
    fold_changes(
        *_changes(X, weights, shift, first, middle, 2),
        totals,
        total_weights,
        total_members,
    )
    empty = fold_changes(
        *_changes(X, weights, shift, middle, second, 2),
        totals,
        total_weights,
        total_members,
    )
    assert empty == 1
    assert total_weights[0] == 0.0 and np.all(totals[0] == 0.0)
    assert total_members.tolist() == [0, 3]
    np.testing.assert_allclose(total_weights[1], 0.6)
    np.testing.assert_allclose(totals[1], weights @ X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 17, 40])  # the direct and the BLAS search
def test_final_e_step_inertia_is_fused_and_exact(dtype, d):
    """``assign`` labels and sums the inertia in one pass; the same labels and, to rounding,
    the same inertia as labelling first and summing in a second pass."""
    rng = np.random.default_rng(d)
    X = rng.normal(size=(3000, d)).astype(dtype)
    centers = X[:7].copy()
    weights = rng.uniform(0.0, 2.0, size=3000)
    data = DenseData(X)
    labels, inertia = assign(data, weights, centers)
    shift, shifted = _shifted_centres(data, centers)
    two_pass_labels = _nearest(data, weights, shift, shifted, None)
    np.testing.assert_array_equal(labels, two_pass_labels)
    by_hand = float(weights @ ((X.astype(np.float64) - centers[labels]) ** 2).sum(axis=1))
    np.testing.assert_allclose(inertia, by_hand, rtol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(
        inertia, data.inertia(weights, shift, shifted, labels, 8), rtol=1e-13
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [3, 40])  # the direct search and the BLAS one
def test_lloyd_pass_changes_fold_to_its_sums_of_every_row(dtype, d):
    """Lloyd's running sums (``lloyd_pass`` with ``block_members``): the first pass is
    bit-identical to the pass that sums every row, later passes (random centres, so many
    rows move) fold to those sums to rounding, and a cluster that empties is exactly empty."""
    rng = np.random.default_rng(d)
    n, k = 3000, 7
    X = rng.normal(size=(n, d)).astype(dtype)
    data = DenseData(X)
    shift = X.mean(axis=0).astype(dtype)
    weights = rng.uniform(0.1, 3.0, size=n)
    weights[::5] = 0.0
    n_blocks = 3
    labels = np.full(n, -1, dtype=np.int32)
    totals, total_weights = np.zeros((k, d)), np.zeros(k)
    total_members = np.zeros(k, dtype=np.int64)
    sums, cluster_weights = np.empty((n_blocks, k, d)), np.empty((n_blocks, k))
    members = np.empty((n_blocks, k), dtype=np.int64)
    full_sums, full_weights = np.empty((n_blocks, k, d)), np.empty((n_blocks, k))
    for step in range(5):
        centres = (X[rng.choice(n, k, replace=False)] - shift).astype(dtype)
        if step == 3:
            centres[k - 1] = 1e3  # nobody's nearest: the cluster empties
        previous = labels.copy()
        changed = data.lloyd_pass(
            weights, shift, centres, labels, sums, cluster_weights, True, members
        )
        assert changed == np.sum(previous != labels)
        empty = fold_changes(sums, cluster_weights, members, totals, total_weights, total_members)
        again = previous.copy()
        data.lloyd_pass(weights, shift, centres, again, full_sums, full_weights, True)
        np.testing.assert_array_equal(again, labels)
        want_sums, want_weights = full_sums.sum(axis=0), full_weights.sum(axis=0)
        if step == 0:
            np.testing.assert_array_equal(sums, full_sums)
            np.testing.assert_array_equal(cluster_weights, full_weights)
        np.testing.assert_allclose(totals, want_sums, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(total_weights, want_weights, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(total_members, np.bincount(labels[weights > 0], minlength=k))
        if step == 3:
            assert total_weights[k - 1] == 0.0 and np.all(totals[k - 1] == 0.0)
            assert empty >= 1


def test_sparse_lloyd_pass_refuses_running_sums():
    """The CSR pass sums every row; asked for changes only it says so instead of leaving the
    members unfilled (the Lloyd solver never asks: it keeps running sums for dense data)."""
    import scipy.sparse as sp

    from kmeanskit.solvers._data import CsrData

    X = sp.random(50, 4, density=0.5, format="csr", random_state=0, dtype=np.float64)
    data = CsrData(X)
    k, n_blocks = 3, 1
    centres = X[:k].toarray()
    with pytest.raises(ValueError, match="sums every row"):
        data.lloyd_pass(
            np.ones(50),
            np.zeros(4),
            centres,
            np.full(50, -1, dtype=np.int32),
            np.empty((n_blocks, k, 4)),
            np.empty((n_blocks, k)),
            True,
            np.empty((n_blocks, k), dtype=np.int64),
        )
