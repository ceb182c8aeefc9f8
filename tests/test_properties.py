"""Invariants of the solver, checked on data that hypothesis chooses."""

import importlib
from contextlib import contextmanager
from unittest.mock import patch

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeanskit import KMeans

# the module, not the function that kmeanskit.solvers exports under the same name
yinyang_solver = importlib.import_module("kmeanskit.solvers.yinyang")
kdtree_solver = importlib.import_module("kmeanskit.solvers.kdtree")

SETTINGS = settings(max_examples=40, deadline=None)
# duplicated rows may give duplicated initial centres: the warning is expected there
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@st.composite
def problems(draw):
    """Data (shape, offset, scale, duplicates, float32/64, weights) and initial centres."""
    n = draw(st.integers(2, 300))
    d = draw(st.integers(1, 6))
    k = draw(st.integers(1, min(n, 8)))
    seed = draw(st.integers(0, 2**32 - 1))
    offset = draw(st.sampled_from([0.0, 1.0, -1e3, 1e5]))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    duplicates = draw(st.booleans())
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale + offset
    if duplicates:
        X = X[rng.integers(0, max(1, n // 3), size=n)]
    X = X.astype(dtype)
    weights = rng.uniform(0.1, 3.0, size=n) if weighted else None
    # distinct initial centres: two equal centres are an exact tie for every point, which
    # floating-point rounding (not the data) decides
    distinct = np.unique(X, axis=0)
    init = distinct[rng.choice(len(distinct), size=min(k, len(distinct)), replace=False)]
    return X, weights, init


def _sq_distances(X, centers):
    return ((X[:, None, :].astype(np.float64) - centers[None].astype(np.float64)) ** 2).sum(-1)


def _tolerance(X, centers):
    eps = np.finfo(X.dtype).eps
    scale = (np.abs(X).max() + np.abs(centers).max()) ** 2
    return 64 * eps * scale


@SETTINGS
@given(problems())
def test_labels_are_the_nearest_centre(problem):
    X, weights, init = problem
    km = KMeans(len(init), init=init, n_init=1).fit(X, sample_weight=weights)
    d2 = _sq_distances(X, km.cluster_centers_)
    own = d2[np.arange(len(X)), km.labels_]
    assert (own <= d2.min(axis=1) + _tolerance(X, km.cluster_centers_)).all()
    np.testing.assert_array_equal(km.predict(X), km.labels_)


@SETTINGS
@given(problems(), st.integers(2, 8))
def test_inertia_never_increases_across_iterations(problem, iterations):
    X, weights, init = problem
    inertias = [
        KMeans(len(init), init=init, n_init=1, max_iter=m, tol=0)
        .fit(X, sample_weight=weights)
        .inertia_
        for m in range(1, iterations + 1)
    ]
    slack = 1e-9 if X.dtype == np.float64 else 1e-5
    for before, after in zip(inertias, inertias[1:], strict=False):
        assert after <= before * (1 + slack) + 1e-300


@SETTINGS
@given(problems(), st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter_given_the_same_init(problem, seed):
    X, weights, init = problem
    perm = np.random.default_rng(seed).permutation(len(X))
    a = KMeans(len(init), init=init, n_init=1).fit(X, sample_weight=weights)
    w_perm = None if weights is None else weights[perm]
    b = KMeans(len(init), init=init, n_init=1).fit(X[perm], sample_weight=w_perm)
    rtol = 1e-9 if X.dtype == np.float64 else 1e-4
    np.testing.assert_allclose(b.inertia_, a.inertia_, rtol=rtol, atol=1e-12)
    # labels may differ only where a point is (numerically) equidistant from two centres
    d2 = _sq_distances(X[perm], b.cluster_centers_)
    tol = _tolerance(X, b.cluster_centers_) + rtol * d2.min(axis=1)
    differ = b.labels_ != a.labels_[perm]
    gap = d2[differ, a.labels_[perm][differ]] - d2[differ, b.labels_[differ]]
    assert (np.abs(gap) <= tol[differ]).all()


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "kdtree"])
@SETTINGS
@given(problem=problems())
def test_identical_results_with_one_and_two_threads(algorithm, problem):
    X, weights, init = problem
    before = numba.get_num_threads()
    fits = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            km = KMeans(len(init), init=init, n_init=1, algorithm=algorithm)
            with small_groups(direct_fraction=1.0):
                fits.append(km.fit(X, sample_weight=weights))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(fits[0].labels_, fits[1].labels_)
    np.testing.assert_array_equal(fits[0].cluster_centers_, fits[1].cluster_centers_)
    assert fits[0].inertia_ == fits[1].inertia_


@pytest.mark.parametrize("threads", [1, 2])
def test_default_fit_reproducible_for_any_thread_count(threads):
    """k-means++ seeding + Lloyd on bigger data: bit-identical for 1 and 2 threads."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50_000, 8)).astype(np.float32)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(threads)
        km = KMeans(16, random_state=0, max_iter=20).fit(X)
    finally:
        numba.set_num_threads(before)
    numba.set_num_threads(1 if threads == 2 else 2)
    try:
        other = KMeans(16, random_state=0, max_iter=20).fit(X)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(km.cluster_centers_, other.cluster_centers_)
    assert km.inertia_ == other.inertia_


@contextmanager
def small_groups(direct_fraction):
    """Yinyang with two centres per group, so that hypothesis's small k still makes several
    groups; ``direct_fraction`` 1 searches every failing row one distance at a time, 0 sends
    them all through the GEMM tile. The kd-tree gets leaves of 2 rows, so that small data
    still makes a deep tree whose inner nodes are assigned whole."""
    with (
        patch.object(yinyang_solver, "CENTRES_PER_GROUP", 2),
        patch.object(yinyang_solver, "DIRECT_FRACTION", direct_fraction),
        patch.object(kdtree_solver, "LEAF_SIZE", 2),
    ):
        yield


@pytest.mark.parametrize(
    "algorithm, direct_fraction",
    [("hamerly", None), ("yinyang", 0.0), ("yinyang", 1.0), ("kdtree", None)],
)
@SETTINGS
@given(problem=problems())
def test_bounded_solvers_equal_lloyd_from_the_same_init(algorithm, direct_fraction, problem):
    X, weights, init = problem
    a = KMeans(len(init), init=init, n_init=1).fit(X, sample_weight=weights)
    with small_groups(direct_fraction if direct_fraction is not None else 1.0):
        b = KMeans(len(init), init=init, n_init=1, algorithm=algorithm)
        b.fit(X, sample_weight=weights)
    rtol = 1e-9 if X.dtype == np.float64 else 1e-4
    np.testing.assert_allclose(b.inertia_, a.inertia_, rtol=rtol, atol=1e-12)
    d2 = _sq_distances(X, b.cluster_centers_)
    tol = _tolerance(X, b.cluster_centers_) + rtol * d2.min(axis=1)
    differ = b.labels_ != a.labels_
    gap = d2[differ, a.labels_[differ]] - d2[differ, b.labels_[differ]]
    assert (np.abs(gap) <= tol[differ]).all()
