"""Same initial centres => same labels and inertia as scikit-learn's Lloyd."""

import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans as SkKMeans
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.feature_extraction.text import TfidfVectorizer

from kmeanskit import KMeans
from kmeanskit.datasets import load_texts

from ._data import shared_set

RTOL = {np.float64: 1e-6, np.float32: 1e-4}


def _blobs():
    X, _ = make_blobs(n_samples=3000, n_features=6, centers=7, cluster_std=2.5, random_state=1)
    return X, 7


def _iris():
    return load_iris().data, 3


def _digits():
    return load_digits().data, 10


def _s1():
    X, gt = shared_set("s-sets", "s1")
    return X, gt.shape[0]


def _tfidf():
    texts, topics = load_texts()
    return TfidfVectorizer().fit_transform(texts), len(set(topics))


DATASETS = {"blobs": _blobs, "iris": _iris, "digits": _digits, "s1": _s1, "tfidf": _tfidf}


def _initial_centres(X, k, seed):
    if sp.issparse(X):
        rows = np.random.default_rng(seed).choice(X.shape[0], size=k, replace=False)
        return X[rows].toarray()
    centres, _ = sk_kmeans_plusplus(X, k, random_state=seed)
    return centres


def assert_same_as_sklearn(
    X, init, dtype, sample_weight=None, max_iter=300, tol=1e-4, algorithm="lloyd"
):
    X = X.astype(dtype)
    init = np.asarray(init, dtype=dtype)
    ref = SkKMeans(len(init), init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm="lloyd")
    ours = KMeans(len(init), init=init, n_init=1, max_iter=max_iter, tol=tol, algorithm=algorithm)
    ref.fit(X, sample_weight=sample_weight)
    ours.fit(X, sample_weight=sample_weight)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=RTOL[dtype])
    scale = np.abs(ref.cluster_centers_).max()
    np.testing.assert_allclose(
        ours.cluster_centers_, ref.cluster_centers_, rtol=0, atol=RTOL[dtype] * scale
    )
    assert ours.cluster_centers_.dtype == dtype
    assert ours.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    return ours


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "kdtree"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("seed", [0, 1])
def test_same_init_same_result_as_sklearn_lloyd(name, dtype, seed, algorithm):
    X, k = DATASETS[name]()
    assert_same_as_sklearn(X, _initial_centres(X, k, seed), dtype, algorithm=algorithm)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "kdtree"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["blobs", "tfidf"])
def test_same_result_with_sample_weight(name, dtype, algorithm):
    X, k = DATASETS[name]()
    weights = np.random.default_rng(0).uniform(0.0, 3.0, size=X.shape[0])
    assert_same_as_sklearn(
        X, _initial_centres(X, k, 0), dtype, sample_weight=weights, algorithm=algorithm
    )


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "kdtree"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_result_at_fixed_iterations(dtype, algorithm):
    """tol=0 and few iterations: the path that stops on max_iter, not on convergence."""
    X, k = _blobs()
    ours = assert_same_as_sklearn(
        X, _initial_centres(X, k, 3), dtype, max_iter=3, tol=0, algorithm=algorithm
    )
    assert ours.n_iter_ == 3


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "yinyang", "kdtree"])
def test_empty_clusters_are_relocated_like_sklearn(algorithm):
    """Two initial centres far from all the data: both clusters start empty."""
    X, _ = make_blobs(n_samples=500, n_features=2, centers=3, random_state=0)
    init = np.vstack([X[:3], [[1e3, 1e3], [-1e3, 1e3]]])
    ours = assert_same_as_sklearn(X, init, np.float64, algorithm=algorithm)
    assert np.unique(ours.labels_).size == 5


def test_sparse_and_dense_agree():
    """Same data as CSR and as an array. Continuous values: TF-IDF rows orthogonal to two unit
    centres are exact ties, which the (centred) dense and (uncentred) sparse paths may break
    differently."""
    X = sp.random(2000, 40, density=0.2, format="csr", random_state=0, dtype=np.float64)
    init = X[:5].toarray()
    sparse_fit = KMeans(5, init=init).fit(X)
    dense_fit = KMeans(5, init=init).fit(X.toarray())
    np.testing.assert_array_equal(sparse_fit.labels_, dense_fit.labels_)
    np.testing.assert_allclose(sparse_fit.inertia_, dense_fit.inertia_, rtol=1e-10)
    np.testing.assert_allclose(
        sparse_fit.transform(X), dense_fit.transform(X.toarray()), atol=1e-10
    )


def test_transform_score_and_fit_transform_match_sklearn():
    X, k = _blobs()
    init = _initial_centres(X, k, 0)
    ref = SkKMeans(k, init=init, n_init=1).fit(X)
    ours = KMeans(k, init=init, n_init=1).fit(X)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.fit_transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.score(X), ref.score(X), rtol=1e-9)
    # a point on a centre is at distance exactly zero
    assert ours.transform(ours.cluster_centers_).diagonal().max() < 1e-12


def test_default_fit_quality_matches_sklearn_on_blobs():
    """Our own seeding + Lloyd is as good as sklearn's defaults (mean inertia over seeds)."""
    X, _ = make_blobs(n_samples=5000, n_features=4, centers=10, random_state=3)
    ours = np.mean([KMeans(10, random_state=s).fit(X).inertia_ for s in range(5)])
    ref = np.mean([SkKMeans(10, random_state=s).fit(X).inertia_ for s in range(5)])
    assert ours <= ref * 1.02


@pytest.mark.parametrize("algorithm", ["hamerly", "yinyang", "kdtree"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, k", [("blobs", 64), ("digits", 40)])
def test_bounded_solvers_with_many_clusters(name, k, dtype, algorithm):
    """Enough centres for Yinyang to form several groups and search some of them directly."""
    X = _blobs_many()[0] if name == "blobs" else _digits()[0]
    assert_same_as_sklearn(X, _initial_centres(X, k, 0), dtype, algorithm=algorithm)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["blobs", "digits", "s1"])
def test_hamerly_neighbour_search_same_result_as_sklearn_lloyd(name, dtype, monkeypatch):
    """Hamerly's search of a failed row among its centre's listed neighbours within 2u
    (hamerly.uses_neighbour_lists) forced on at small k and d, with short lists so that some
    rows still go to the tile: the fit is sklearn's."""
    hamerly = importlib.import_module("kmeanskit.solvers.hamerly")  # the module, not the solver
    monkeypatch.setattr(hamerly, "uses_neighbour_lists", lambda k, d: True)
    monkeypatch.setattr(hamerly, "NEIGHBOURS_LISTED", 0.4)
    X, k = DATASETS[name]()
    assert_same_as_sklearn(X, _initial_centres(X, k, 0), dtype, algorithm="hamerly")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hamerly_with_listed_neighbours_at_large_k(dtype):
    """k = 160, d = 64: the default lists (k / 8 per centre)."""
    X, _ = make_blobs(n_samples=8000, n_features=64, centers=200, cluster_std=4.0, random_state=4)
    assert_same_as_sklearn(X, _initial_centres(X, 160, 0), dtype, algorithm="hamerly")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("offset", [0.0, 1e3])
@pytest.mark.parametrize("n_clusters, n_features", [(256, 32), (16, 16)])
def test_hamerly_final_step_from_bounds_is_predicts(dtype, offset, n_clusters, n_features):
    """From d = 16 (with neighbour lists or without) the final E-step is one more pass
    whose bounds confirm most labels; the rest are searched by predict's own E-step.
    labels_ must equal predict(X) and inertia_ equal -score(X), on data far from the origin
    too (frames differ more), and when the bounds confirm nothing (every row searched the
    predict way)."""
    hamerly = importlib.import_module("kmeanskit.solvers.hamerly")
    bounds = importlib.import_module("kmeanskit._kernels.bounds")
    X, _ = make_blobs(
        n_samples=6000, n_features=n_features, centers=300, cluster_std=3.0, random_state=5
    )
    X = (X + offset).astype(dtype)
    init = _initial_centres(X, n_clusters, 0)
    assert n_features >= hamerly.FINAL_FROM_BOUNDS_MIN_FEATURES
    original = bounds.unconfirmed_rows
    for confirm in (True, False):
        searched = []

        def spy(X, *args, confirm=confirm, searched=searched):
            rows = original(X, *args) if confirm else np.arange(X.shape[0], dtype=np.int64)
            searched.append(rows.size)
            return rows

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(bounds, "unconfirmed_rows", spy)
            km = KMeans(n_clusters, init=init, n_init=1, max_iter=6, tol=0.0, algorithm="hamerly")
            km.fit(X)
        assert len(searched) == 1 and (searched[0] < len(X) / 2 or not confirm)
        np.testing.assert_array_equal(km.labels_, km.predict(X))
        assert km.inertia_ == pytest.approx(-km.score(X), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bounded_solvers_with_an_outlier_centre_are_sklearns(dtype):
    """A few rows far from the rest give a centre of their own, ~1e3 times farther out than
    the others: the expansion's error on it is huge, but no row's bound or final label may
    depend on it (bounds._error_reach). Same fit as sklearn's Lloyd, labels_ equal
    predict(X), and the final E-step still confirms rows by their bounds."""
    bounds = importlib.import_module("kmeanskit._kernels.bounds")
    X, _ = make_blobs(n_samples=6000, n_features=32, centers=300, cluster_std=3.0, random_state=5)
    X[:3] += 3e4
    X = X.astype(dtype)
    init = _initial_centres(X, 256, 0)
    assert np.abs(init).max() > 1e4  # k-means++ gives the outliers a centre
    for algorithm in ("hamerly", "yinyang"):
        assert_same_as_sklearn(X, init, dtype, algorithm=algorithm)
    searched = []
    original = bounds.unconfirmed_rows

    def spy(*args):
        rows = original(*args)
        searched.append(rows.size)
        return rows

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bounds, "unconfirmed_rows", spy)
        km = KMeans(256, init=init, n_init=1, max_iter=10, tol=0.0, algorithm="hamerly").fit(X)
    np.testing.assert_array_equal(km.labels_, km.predict(X))
    # float32's expansion errs far more: rows whose lower bound is barely above their
    # distance (a direct search's, or one past the far movers') stay unconfirmed: 52% of
    # them before rows past their list tried the far movers, 66% since; before the reach,
    # every row was
    assert searched and searched[0] < (0.7 if dtype == np.float32 else 0.05) * len(X)


def test_unconfirmed_rows_confirm_only_labels_predict_gives():
    """Rows the bounds confirm after a pass keep the label predict's E-step gives, and near
    ties (a row equally far from two centres) are left unconfirmed."""
    bounds = importlib.import_module("kmeanskit._kernels.bounds")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(64, 16)).astype(np.float32) * 3
    X = (centres[rng.integers(0, 64, 3000)] + rng.normal(size=(3000, 16))).astype(np.float32)
    km = KMeans(64, init=centres, n_init=1, max_iter=1, tol=0.0).fit(X)
    fitted = km.cluster_centers_
    X[:50] = 0.5 * (fitted[0] + fitted[1])  # midway: a tie to rounding
    labels = km.predict(X).astype(np.int32)
    sq = ((X[:, None, :].astype(np.float64) - km.cluster_centers_[None]) ** 2).sum(axis=2)
    ordered = np.sort(np.sqrt(sq), axis=1)
    upper = ordered[:, 0] * (1 + 1e-6)
    lower = ordered[:, 1] * (1 - 1e-6)
    shift = np.zeros(16, dtype=np.float32)
    c = km.cluster_centers_.astype(np.float32)
    frame = (np.zeros(16), float((c.astype(np.float64) ** 2).sum(axis=1).max()), 100.0, 1.2e-7)
    margin = 4.0 * 20 * float(np.finfo(np.float32).eps)
    row_sq = (X.astype(np.float64) ** 2).sum(axis=1)
    args = (np.zeros(64), margin, labels, upper, lower, frame)
    rows = bounds.unconfirmed_rows(X, shift, row_sq, c, *args)
    assert set(range(50)) <= set(rows.tolist())
    confirmed = np.setdiff1d(np.arange(len(X)), rows)
    assert confirmed.size > 2000
    np.testing.assert_array_equal(labels[confirmed], sq[confirmed].argmin(axis=1))


def _blobs_many():
    X, _ = make_blobs(n_samples=6000, n_features=8, centers=60, cluster_std=1.5, random_state=2)
    return X, 60


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 8, 16])
def test_hamerly_at_small_d_is_lloyd_bit_for_bit(d, dtype):
    """Up to DIRECT_MAX_FEATURES Hamerly searches the rows its bounds cannot confirm with
    Lloyd's own small-d kernel and keeps its running sums in the same row order, so on data
    without near ties the two fits are identical: labels, centres and inertia. From d = 16
    Hamerly's final step confirms labels from its bounds and sums the inertia apart
    (data.inertia, each row's squares reassociated): equal to float64 rounding."""
    rng = np.random.default_rng(d)
    X = (rng.normal(size=(4000, d)) + rng.integers(0, 6, size=(4000, 1))).astype(dtype)
    init = X[rng.choice(len(X), 24, replace=False)]
    fits = [
        KMeans(24, init=init, n_init=1, max_iter=15, tol=0.0, algorithm=a).fit(X)
        for a in ("lloyd", "hamerly")
    ]
    np.testing.assert_array_equal(fits[1].labels_, fits[0].labels_)
    np.testing.assert_array_equal(fits[1].cluster_centers_, fits[0].cluster_centers_)
    hamerly = importlib.import_module("kmeanskit.solvers.hamerly")
    if d < hamerly.FINAL_FROM_BOUNDS_MIN_FEATURES:
        assert fits[1].inertia_ == fits[0].inertia_
    else:
        assert fits[1].inertia_ == pytest.approx(fits[0].inertia_, rel=1e-14)
