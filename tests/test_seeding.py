"""Greedy k-means++ and random init: reproducible, order-invariant, weight-aware."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs

from kmeanskit import KMeans, kmeans_plusplus


def _blobs(n=2000, k=10, seed=0):
    X, _ = make_blobs(
        n, n_features=3, centers=k, cluster_std=0.05, center_box=(-50, 50), random_state=seed
    )
    return X


def test_centres_are_rows_of_x():
    X = _blobs()
    centers, indices = kmeans_plusplus(X, 10, random_state=0)
    np.testing.assert_array_equal(centers, X[indices])
    assert np.unique(indices).size == 10


def test_reproducible_and_seed_dependent():
    X = _blobs()
    a = kmeans_plusplus(X, 10, random_state=3)[1]
    b = kmeans_plusplus(X, 10, random_state=3)[1]
    c = kmeans_plusplus(X, 10, random_state=4)[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_one_seed_per_well_separated_blob():
    """With tight, distant blobs, greedy k-means++ should almost always hit every blob."""
    hits = 0
    for seed in range(20):
        X, y = make_blobs(
            1000, n_features=2, centers=8, cluster_std=0.01, center_box=(-20, 20), random_state=seed
        )
        _, idx = kmeans_plusplus(X, 8, random_state=seed)
        hits += np.unique(y[idx]).size == 8
    assert hits >= 19


def test_row_order_does_not_change_the_chosen_points():
    X = _blobs()
    perm = np.random.default_rng(0).permutation(len(X))
    a, _ = kmeans_plusplus(X, 10, random_state=7)
    b, _ = kmeans_plusplus(X[perm], 10, random_state=7)
    np.testing.assert_array_equal(a, b)


def test_weight_equals_repetition():
    X = _blobs(n=300)
    weights = np.random.default_rng(1).integers(0, 4, size=len(X))
    repeated = np.repeat(X, weights, axis=0)
    a, _ = kmeans_plusplus(X, 10, sample_weight=weights, random_state=5)
    b, _ = kmeans_plusplus(repeated, 10, random_state=5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_zero_weight_points_are_never_chosen(init):
    X = _blobs(n=200)
    weights = np.zeros(len(X))
    weights[::4] = 1.0
    for seed in range(5):
        km = KMeans(5, init=init, n_init=1, max_iter=1, random_state=seed)
        centers = km._initial_centers(X, weights, np.random.default_rng(seed), None)
        chosen = [np.flatnonzero((X == c).all(axis=1)) for c in centers]
        assert all(weights[rows].max() > 0 for rows in chosen)


def test_float32_and_sparse_inputs():
    X = _blobs().astype(np.float32)
    centers, idx = kmeans_plusplus(X, 10, random_state=0)
    assert centers.dtype == np.float32
    Xs = sp.csr_matrix(X)
    centers_sparse, idx_sparse = kmeans_plusplus(Xs, 10, random_state=0)
    np.testing.assert_array_equal(idx, idx_sparse)
    np.testing.assert_array_equal(centers, centers_sparse)


def test_random_init_draws_distinct_rows():
    X = _blobs(n=100)
    km = KMeans(10, init="random", n_init=1, random_state=0)
    centers = km._initial_centers(X, np.ones(len(X)), np.random.default_rng(0), None)
    assert np.unique(centers, axis=0).shape[0] == 10


def test_same_result_for_any_thread_count():
    X = _blobs(n=20000).astype(np.float32)
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            results.append(kmeans_plusplus(X, 10, random_state=0))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kept_candidate_distances_give_the_seeds_of_a_second_pass(dtype, monkeypatch):
    """Updating the nearest distances from the kept candidate distances must choose exactly
    the points that reading X again chooses (weighted, with duplicate rows)."""
    import kmeanskit.seeding as seeding

    rng = np.random.default_rng(4)
    X = np.vstack([_blobs(n=3000, k=12), _blobs(n=50, k=3)[:10].repeat(20, axis=0)])
    X = X.astype(dtype)
    w = rng.uniform(0.0, 3.0, len(X))
    kept = kmeans_plusplus(X, 25, sample_weight=w, random_state=2)
    monkeypatch.setattr(seeding, "KEPT_DISTANCES_BYTES", 0)
    reread = kmeans_plusplus(X, 25, sample_weight=w, random_state=2)
    np.testing.assert_array_equal(kept[1], reread[1])
    np.testing.assert_array_equal(kept[0], reread[0])


@pytest.mark.parametrize("duplicates", [False, True])
def test_canonical_order_is_the_stable_sort_of_the_projection(duplicates):
    """The quicksort shortcut gives the stable order: exactly, with or without tied rows."""
    from kmeanskit._kernels.seeding import projection
    from kmeanskit.seeding import canonical_order

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3))
    if duplicates:  # tied projections, in rows far apart, and zero rows (0.0 and -0.0)
        X[2500:] = X[:2500]
        X[[7, 99, 4000]] = 0.0
        X[1234] = -0.0
    direction = np.random.default_rng(20121121).standard_normal(3)
    expected = np.argsort(projection(X, direction), kind="stable")
    np.testing.assert_array_equal(canonical_order(X), expected)
    np.testing.assert_array_equal(canonical_order(sp.csr_matrix(X)), expected)
