"""The kd-tree filtering solver: the tree it builds, and Lloyd's iterations from it."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from kmeanskit import KMeans
from kmeanskit._kernels import kdtree as kernels
from kmeanskit.solvers import choose_solver, kdtree, lloyd
from kmeanskit.solvers._data import as_solver_data


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, leaf", [(1, 4), (7, 2), (1000, 8), (4097, 32)])
def test_tree_nodes_hold_their_rows_boxes_and_sums(n, leaf, dtype):
    rng = np.random.default_rng(n)
    X = (rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1]).astype(dtype)
    X[: n // 3] = X[0]  # duplicates: many keys equal the split value
    weights = rng.uniform(0.5, 2.0, size=n)
    shift = X.mean(axis=0).astype(dtype)
    depth = int(kernels.tree_depth(n, leaf))
    rows, order, start, stop, lo, hi, sums, total = kernels.build(X, weights, shift, depth)
    np.testing.assert_array_equal(np.sort(order), np.arange(n))
    shifted = X - shift  # in X's dtype, as Lloyd's tiles hold the rows
    np.testing.assert_array_equal(rows, shifted[order])
    first_leaf = 2**depth - 1
    sizes = stop[first_leaf:] - start[first_leaf:]
    # near-halves: leaves close to ``leaf`` rows, but equal keys stay on one side
    assert sizes.sum() == n and sizes.max() <= 2 * leaf + n // 3
    for node in range(2 ** (depth + 1) - 1):
        members = order[start[node] : stop[node]]
        if node < first_leaf:  # children split the rows in two, left then right
            left, right = 2 * node + 1, 2 * node + 2
            assert start[left] == start[node] and stop[right] == stop[node]
            assert stop[left] == start[right]
        if members.size == 0:
            assert total[node] == 0 and node > 0
            continue
        np.testing.assert_array_equal(lo[node], shifted[members].min(axis=0))
        np.testing.assert_array_equal(hi[node], shifted[members].max(axis=0))
        expected = weights[members] @ shifted[members].astype(np.float64)
        np.testing.assert_allclose(sums[node], expected, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(total[node], weights[members].sum(), rtol=1e-12)


@pytest.mark.parametrize("d, k", [(1, 4), (2, 8), (3, 30), (8, 16)])
def test_same_iterations_as_lloyd_on_low_dimensional_data(d, k):
    X, _ = make_blobs(20_000, d, centers=k, cluster_std=2.0, random_state=d)
    init = X[np.random.default_rng(0).choice(len(X), k, replace=False)]
    data, weights = as_solver_data(X), np.ones(len(X))
    for max_iter in (1, 3, 300):
        a = lloyd(data, weights, init, max_iter=max_iter, tol=0.0)
        b = kdtree(data, weights, init, max_iter=max_iter, tol=0.0)
        np.testing.assert_allclose(b.inertia, a.inertia, rtol=1e-12)
        np.testing.assert_array_equal(b.labels, a.labels)
        assert b.n_iter == a.n_iter


@pytest.mark.parametrize("d, k", [(2, 8), (8, 16)])
def test_float32_pass_is_exact(d, k):
    """In float32 the tree compares exact (float64) distances, so one pass moves the centres
    to the means of the exact nearest-centre partition. (Lloyd's float32 GEMM expansion can
    decide a near-tie the other way, so the two are compared only after a full fit.)"""
    X, _ = make_blobs(20_000, d, centers=k, cluster_std=2.0, random_state=d)
    X = X.astype(np.float32)
    init = X[np.random.default_rng(0).choice(len(X), k, replace=False)]
    one_pass = KMeans(k, init=init, max_iter=1, algorithm="kdtree").fit(X)
    x, c = X.astype(np.float64), init.astype(np.float64)
    nearest = ((x[:, None] - c[None]) ** 2).sum(-1).argmin(axis=1)
    means = np.array([x[nearest == j].mean(axis=0) for j in range(k)])
    np.testing.assert_allclose(one_pass.cluster_centers_, means, rtol=0, atol=1e-5)
    full = KMeans(k, init=init, algorithm="kdtree").fit(X)
    reference = KMeans(k, init=init, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(full.inertia_, reference.inertia_, rtol=1e-3)


def test_nodes_change_owner_between_passes():
    """Centres that jump across the data make nodes owned by one centre, then by another,
    then mixed, then owned again: every pass must leave exactly the brute-force labels,
    sums and change count, although owned nodes are skipped when their owner stays."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 1.0, size=(3000, 2))
    weights = rng.uniform(0.5, 1.5, size=len(X))
    shift = np.zeros(2)
    depth = int(kernels.tree_depth(len(X), 4))
    tree = kernels.build(X, weights, shift, depth)
    n_nodes = tree[1].shape[0]
    owner = np.full(n_nodes, -1, dtype=np.int64)
    owner_pass = np.full(n_nodes, -2, dtype=np.int64)
    labels = np.full(len(X), -1, dtype=np.int32)
    tree_labels = labels.copy()
    block_sums = np.empty((4, 3, 2))
    block_weights = np.empty((4, 3))
    sequence = [
        [[0.2, 0.2], [0.8, 0.8], [5.0, 5.0]],
        [[0.2, 0.2], [0.8, 0.8], [5.0, 5.0]],  # unchanged: nothing moves
        [[0.8, 0.8], [0.2, 0.2], [5.0, 5.0]],  # owners swap
        [[0.5, 0.5], [0.5, 0.6], [0.4, 0.5]],  # everything mixed
        [[0.8, 0.8], [0.2, 0.2], [5.0, 5.0]],  # owned again, by the owners of two passes ago
        [[0.8, 0.8], [0.2, 0.2], [5.0, 5.0]],
    ]
    for this_pass, centres in enumerate(sequence, start=1):
        c = np.array(centres)
        before = labels.copy()
        changed = kernels.filter_pass(
            weights,
            c,
            *tree,
            depth,
            2,
            owner,
            owner_pass,
            this_pass,
            labels,
            tree_labels,
            block_sums,
            block_weights,
        )
        expected = np.argmin(((X[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        np.testing.assert_array_equal(labels, expected)
        np.testing.assert_array_equal(tree_labels, expected[tree[1]])
        assert changed == (before != expected).sum()
        sums = np.add.reduce(block_sums, axis=0)
        for j in range(3):
            np.testing.assert_allclose(sums[j], weights[expected == j] @ X[expected == j])
            np.testing.assert_allclose(block_weights.sum(0)[j], weights[expected == j].sum())


def test_swap_refinement_reuses_the_tree_and_matches_lloyd():
    X, _ = make_blobs(5000, 2, centers=12, cluster_std=0.6, random_state=4)
    a = KMeans(12, random_state=0, algorithm="lloyd", refine="swap").fit(X)
    b = KMeans(12, random_state=0, algorithm="kdtree", refine="swap").fit(X)
    np.testing.assert_allclose(b.inertia_, a.inertia_, rtol=1e-9)
    np.testing.assert_array_equal(b.labels_, a.labels_)


def test_identical_rows_and_weights():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 700, axis=0)
    weights = np.tile([1.0, 0.0, 2.5], 700)
    init = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    a = KMeans(3, init=init, algorithm="lloyd").fit(X, sample_weight=weights)
    b = KMeans(3, init=init, algorithm="kdtree").fit(X, sample_weight=weights)
    np.testing.assert_array_equal(b.labels_, a.labels_)
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, atol=1e-12)
    assert b.inertia_ == pytest.approx(a.inertia_)


def test_auto_picks_the_tree_for_few_dimensions_and_many_clusters_only():
    assert choose_solver("auto", 256, 2, sparse=False) == "kdtree"
    assert choose_solver("auto", 64, 2, sparse=False) == "lloyd"
    assert choose_solver("auto", 1024, 3, sparse=False) == "lloyd"
    assert choose_solver("auto", 1024, 4, sparse=False) == "lloyd"  # the tree loses from d = 4
    assert choose_solver("kdtree", 8, 2, sparse=True) == "lloyd"
