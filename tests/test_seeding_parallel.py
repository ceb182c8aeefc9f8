"""init="k-means||": reproducible, order-invariant, thread-count-invariant, finds the blobs."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs

from kmeanskit import KMeans
from kmeanskit.seeding_parallel import kmeans_parallel


def _blobs(n=3000, k=10, seed=0, std=0.05):
    return make_blobs(
        n, n_features=3, centers=k, cluster_std=std, center_box=(-50, 50), random_state=seed
    )


def _seeds(X, k, seed, weights=None):
    weights = np.ones(X.shape[0]) if weights is None else weights
    return kmeans_parallel(X, k, weights, np.random.default_rng(seed))


def test_one_centre_per_well_separated_blob():
    hits = 0
    for seed in range(10):
        X, y = _blobs(seed=seed)
        centers = _seeds(X, 10, seed)
        nearest_blob = [y[np.argmin(((X - c) ** 2).sum(axis=1))] for c in centers]
        hits += np.unique(nearest_blob).size == 10
    assert hits == 10


def test_reproducible_and_seed_dependent():
    X, _ = _blobs(std=2.0)
    a, b, c = _seeds(X, 10, 3), _seeds(X, 10, 3), _seeds(X, 10, 4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_row_order_does_not_change_the_centres():
    X, _ = _blobs(std=2.0)
    perm = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(_seeds(X, 10, 7), _seeds(X[perm], 10, 7), rtol=1e-12)


def test_same_result_for_any_thread_count():
    X, _ = _blobs(n=20000, std=2.0)
    X = X.astype(np.float32)
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            results.append(_seeds(X, 10, 0))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])


def test_zero_weight_points_carry_no_mass():
    """Centres come from the positive-weight points only (here: one blob far from the rest)."""
    X, y = _blobs(k=4)
    weights = (y != 0).astype(float)
    centers = _seeds(X, 3, 0, weights)
    blob0 = X[y == 0].mean(axis=0)
    assert np.sqrt(((centers - blob0) ** 2).sum(axis=1)).min() > 1.0


def test_falls_back_when_there_are_few_distinct_points():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), 50, axis=0)
    centers = _seeds(X, 3, 0)
    assert np.unique(centers, axis=0).shape[0] == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_and_sparse_agree(dtype):
    X, _ = _blobs(std=2.0)
    X = np.abs(X).astype(dtype)
    X[X < 20] = 0.0  # make it sparse-ish
    dense = _seeds(X, 10, 1)
    sparse = _seeds(sp.csr_matrix(X), 10, 1)
    assert dense.dtype == sparse.dtype == dtype
    np.testing.assert_allclose(dense, sparse, rtol=1e-4 if dtype == np.float32 else 1e-9)


def test_estimator_uses_it_and_runs_once_by_default():
    X, y = _blobs()
    km = KMeans(10, init="k-means||", random_state=0).fit(X)
    assert km._check_params() == 1
    assert km.inertia_ < KMeans(10, init="random", n_init=1, random_state=0).fit(X).inertia_ * 2
    # every blob gets exactly one cluster
    assert all(np.unique(km.labels_[y == b]).size == 1 for b in range(10))


def test_auto_rule():
    from kmeanskit.seeding_parallel import choose_init

    assert choose_init("auto", 20_000, 2, 32) == "k-means||"
    assert choose_init("auto", 19_999, 2, 32) == "k-means++"
    assert choose_init("auto", 20_000, 2, 31) == "k-means++"
    assert choose_init("auto", 20_000, 16, 16) == "k-means||"
    assert choose_init("auto", 20_000, 15, 16) == "k-means++"
    assert choose_init("auto", 20_000, 128, 15) == "k-means++"
    assert choose_init("auto", 10**7, 2, 1024) == "k-means||"
    for named in ("k-means++", "k-means||", "random"):
        assert choose_init(named, 10**7, 128, 1024) == choose_init(named, 10, 1, 2) == named


@pytest.mark.parametrize("n, expected", [(20_000, "k-means||"), (19_999, "k-means++")])
def test_default_init_is_the_rule(n, expected):
    X = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    params = {"n_clusters": 32, "random_state": 3, "max_iter": 1, "refine": None}
    default = KMeans(**params).fit(X)
    assert default.init == "auto" and default._check_params() == 1
    named = KMeans(init=expected, **params).fit(X)
    np.testing.assert_array_equal(default.cluster_centers_, named.cluster_centers_)
