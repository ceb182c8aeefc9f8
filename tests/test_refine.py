"""Swap refinement (kmeanskit.refine): repairs Lloyd's local optima, never makes them worse."""

from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeanskit import KMeans
from kmeanskit.apps import SphericalKMeans
from kmeanskit.metrics import centroid_index
from kmeanskit.refine import SwapSettings, cluster_statistics, swap_refine
from kmeanskit.solvers import lloyd
from kmeanskit.solvers._data import as_solver_data

GRID = np.array([[x, y] for x in (0.0, 10.0, 20.0) for y in (0.0, 10.0, 20.0)])
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "clustering-benchmark"


def nine_blobs(n_per=60, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = np.concatenate([c + rng.normal(scale=0.5, size=(n_per, 2)) for c in GRID])
    return X.astype(dtype)


def stuck_init(X):
    """Two centres in the first blob, one centre between the last two: a local optimum."""
    init = GRID.copy()
    init[7] = GRID[0] + [0.3, 0.0]
    init[8] = (GRID[7] + GRID[8]) / 2
    return init.astype(X.dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("algorithm", ["lloyd", "yinyang"])
def test_swap_repairs_a_planted_local_optimum(dtype, algorithm):
    X = nine_blobs(dtype=dtype)
    init = stuck_init(X)
    stuck = KMeans(9, init=init, algorithm=algorithm).fit(X)  # refine="auto": none for arrays
    assert centroid_index(stuck.cluster_centers_, GRID) > 0
    assert stuck.n_swaps_ == 0
    fixed = KMeans(9, init=init, algorithm=algorithm, refine="swap", random_state=0).fit(X)
    assert centroid_index(fixed.cluster_centers_, GRID) == 0
    assert fixed.n_swaps_ >= 1
    assert fixed.inertia_ < 0.5 * stuck.inertia_
    assert fixed.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(fixed.predict(X), fixed.labels_)


def test_auto_refines_seeded_fits_and_not_explicit_centres():
    X = nine_blobs()
    plain = KMeans(9, random_state=3, refine=None).fit(X)
    auto = KMeans(9, random_state=3).fit(X)
    assert auto.inertia_ <= plain.inertia_
    assert KMeans(9, init=stuck_init(X)).fit(X).n_swaps_ == 0
    budget = KMeans(9, init=stuck_init(X), refine_budget=5).fit(X)  # still an explicit init
    assert budget.n_swaps_ == 0


def test_auto_skips_two_clusters_where_no_swap_can_help(monkeypatch):
    from kmeanskit import estimator

    calls = []
    monkeypatch.setattr(estimator, "swap_refine", lambda *a, **k: calls.append(1) or a[2])
    X = nine_blobs()
    KMeans(2, random_state=0).fit(X)
    assert calls == []
    KMeans(3, random_state=0).fit(X)
    KMeans(2, random_state=0, refine="swap").fit(X)  # asked for: always run
    assert calls == [1, 1]


def test_budget_zero_is_plain_lloyd():
    X = nine_blobs()
    a = KMeans(9, random_state=1, refine=None).fit(X)
    b = KMeans(9, random_state=1, refine="swap", refine_budget=0).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_reproducible_and_independent_of_thread_count():
    X = nine_blobs(n_per=400)
    before = numba.get_num_threads()
    fits = []
    try:
        for threads in (1, 2, 2):
            numba.set_num_threads(threads)
            fits.append(KMeans(9, init=stuck_init(X), refine="swap", random_state=7).fit(X))
    finally:
        numba.set_num_threads(before)
    for other in fits[1:]:
        np.testing.assert_array_equal(fits[0].cluster_centers_, other.cluster_centers_)
        np.testing.assert_array_equal(fits[0].labels_, other.labels_)
        assert fits[0].n_swaps_ == other.n_swaps_


def test_sparse_input_is_refined_too():
    X = nine_blobs() + 30.0  # no zero coordinates: every entry is stored in the CSR matrix
    init = stuck_init(X - 30.0) + 30.0
    dense = KMeans(9, init=init, refine="swap", random_state=0).fit(X)
    csr = KMeans(9, init=init, refine="swap", random_state=0).fit(sp.csr_matrix(X))
    assert centroid_index(csr.cluster_centers_, GRID + 30.0) == 0
    np.testing.assert_allclose(csr.inertia_, dense.inertia_, rtol=1e-9)


def test_weights_count_in_the_acceptance():
    X = nine_blobs()
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    plain = KMeans(9, init=stuck_init(X)).fit(X, sample_weight=weights)
    fixed = KMeans(9, init=stuck_init(X), refine="swap", random_state=0)
    fixed.fit(X, sample_weight=weights)
    d2 = ((X - fixed.cluster_centers_[fixed.labels_]) ** 2).sum(axis=1)
    np.testing.assert_allclose(fixed.inertia_, weights @ d2, rtol=1e-10)
    assert fixed.inertia_ < plain.inertia_
    assert centroid_index(fixed.cluster_centers_, GRID) == 0


def test_spherical_centres_stay_unit_length():
    rng = np.random.default_rng(0)
    directions = np.eye(4)
    X = np.concatenate([d + rng.normal(scale=0.05, size=(50, 4)) for d in directions])
    km = SphericalKMeans(4, refine="swap", random_state=0).fit(X)
    np.testing.assert_allclose(np.linalg.norm(km.cluster_centers_, axis=1), 1.0, rtol=1e-6)


def test_verbose_prints_every_trial(capsys):
    X = nine_blobs()
    KMeans(9, init=stuck_init(X), refine="swap", refine_budget=4, verbose=1).fit(X)
    out = capsys.readouterr().out
    trials = [line for line in out.splitlines() if " swap " in line]
    assert len(trials) == 4
    assert "accepted" in out


def test_progress_callback_and_result_never_worse():
    X = nine_blobs()
    data, weights, shift = as_solver_data(X), np.ones(len(X)), np.zeros(2)
    start = lloyd(data, weights, stuck_init(X), tol=0.0, shift=shift)
    calls = []
    better = swap_refine(
        data,
        weights,
        start,
        lloyd,
        np.random.default_rng(0),
        settings=SwapSettings.trials(6),
        max_iter=300,
        tol=0.0,
        shift=shift,
        progress=lambda done, total, message: calls.append((done, total, message)),
    )
    assert better.inertia < start.inertia
    assert [c[0] for c in calls] == list(range(1, len(calls) + 1))
    assert all(total == 6 for _, total, _ in calls)
    assert "centre" in calls[0][2]


@pytest.mark.parametrize("sparse", [False, True])
def test_cluster_statistics_match_brute_force(sparse):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(700, 3))
    centers = rng.normal(size=(6, 3))
    weights = rng.uniform(0.5, 2.0, size=700)
    data = as_solver_data(sp.csr_matrix(X) if sparse else X)
    labels, nearest, error, removal = cluster_statistics(data, weights, np.zeros(3), centers)
    d2 = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    order = np.sort(d2, axis=1)
    np.testing.assert_array_equal(labels, d2.argmin(axis=1))
    np.testing.assert_allclose(nearest, order[:, 0], rtol=1e-9)
    for j in range(6):
        mine = labels == j
        np.testing.assert_allclose(error[j], weights[mine] @ order[mine, 0], rtol=1e-9)
        np.testing.assert_allclose(
            removal[j], weights[mine] @ (order[mine, 1] - order[mine, 0]), rtol=1e-9
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cluster_statistics_on_centres_and_duplicate_centres(dtype):
    # rows far from the origin that sit exactly on a centre (where the GEMM expansion would
    # cancel), and a centre given twice: the nearest distance is exactly 0 on a centre, the
    # second is never below the nearest, and two equal centres give a removal cost of 0
    rng = np.random.default_rng(2)
    centers = (1000.0 + rng.normal(size=(5, 4))).astype(dtype)
    centers[4] = centers[3]
    X = np.concatenate([np.repeat(centers, 60, axis=0), centers[:3] + rng.normal(size=(3, 4))])
    X = X.astype(dtype)
    data = as_solver_data(X)
    labels, nearest, error, removal = cluster_statistics(
        data, np.ones(len(X)), np.zeros(4), centers
    )
    on_centre = np.arange(300)
    assert np.all(nearest[on_centre] == 0.0)
    np.testing.assert_array_equal(labels[on_centre], np.minimum(on_centre // 60, 3))
    exact = ((X.astype(np.float64) - centers[labels].astype(np.float64)) ** 2).sum(axis=1)
    np.testing.assert_allclose(nearest, exact, rtol=1e-12)
    assert error[4] == 0.0 and removal[3] == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_second_nearest_with_an_outlier_centre(dtype):
    # rows sitting on centres 1000 from the origin, uncentred: the expansion cancels, so
    # their second-nearest distances must come from the exact search; one centre ~1e5 out,
    # whose own error is huge, must neither hide that nor spoil the rows near a centre
    rng = np.random.default_rng(3)
    centers = (1000.0 + rng.normal(size=(7, 4)) * 3).astype(dtype)
    centers[6] = 1e5
    near = centers[rng.integers(0, 6, 500)] + rng.normal(size=(500, 4))
    X = np.concatenate([np.repeat(centers[:6], 20, axis=0), near]).astype(dtype)
    labels, nearest, second = as_solver_data(X).two_nearest(np.zeros(4), centers)
    x64, c64 = X.astype(np.float64), centers.astype(np.float64)
    sq = ((x64[:, None, :] - c64[None]) ** 2).sum(-1)
    order = np.sort(sq, axis=1)
    on_centre = np.arange(120)
    np.testing.assert_array_equal(labels[on_centre], on_centre // 20)
    assert np.all(nearest[on_centre] == 0.0)
    np.testing.assert_allclose(second[on_centre], order[on_centre, 1], rtol=1e-9)
    assert np.all(second >= nearest)
    if dtype == np.float64:  # every row: brute force, to rounding
        np.testing.assert_array_equal(labels, sq.argmin(axis=1))
        np.testing.assert_allclose(second, order[:, 1], rtol=1e-9)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"refine": "greedy"}, "refine must be"),
        ({"refine": "swap", "refine_budget": -1}, "refine_budget"),
        ({"refine": "swap", "refine_budget": 2.5}, "refine_budget"),
        ({"refine": "swap", "refine_budget": True}, "refine_budget"),
        ({"refine": "swap", "refine_budget": "many"}, "refine_budget"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        KMeans(3, **params).fit(nine_blobs())


@pytest.mark.parametrize("k", [1, 2])
def test_tiny_problems(k):
    X = np.array([[0.0], [1.0], [10.0]])[: k + 1]
    km = KMeans(k, refine="swap", random_state=0).fit(X)
    assert len(np.unique(km.labels_)) == k


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(3, 200),
    d=st.integers(1, 4),
    k=st.integers(2, 8),
    seed=st.integers(0, 2**32 - 1),
    duplicates=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_swap_never_raises_the_inertia(n, d, k, seed, duplicates, dtype):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if duplicates:
        X = X[rng.integers(0, max(1, n // 3), size=n)]
    X = X.astype(dtype)
    k = min(k, len(np.unique(X, axis=0)))
    plain = KMeans(k, random_state=seed % 1000, refine=None).fit(X)
    swapped = KMeans(k, random_state=seed % 1000, refine="swap", refine_budget=10).fit(X)
    slack = 1e-9 if dtype == np.float64 else 1e-5
    assert swapped.inertia_ <= plain.inertia_ * (1 + slack) + 1e-12


@pytest.mark.skipif(not (SHARED / "a-sets" / "a3.txt").exists(), reason="shared data absent")
def test_every_cluster_of_a3_found():
    """A3 (50 clusters): plain k-means++ finds all of them in about 1 seed of 20."""
    X = np.loadtxt(SHARED / "a-sets" / "a3.txt")
    truth = np.loadtxt(SHARED / "a-sets" / "a3-gt.txt")
    for seed in range(5):
        km = KMeans(50, refine="swap", random_state=seed).fit(X)
        assert centroid_index(km.cluster_centers_, truth) == 0, seed
