"""kmeanskit.metrics against sklearn.metrics on the same labels, and their own properties."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import metrics as skm
from sklearn.datasets import load_iris, make_blobs

from kmeanskit import KMeans
from kmeanskit import metrics as km


def _sets():
    X, y = make_blobs(1500, 5, centers=6, cluster_std=2.0, random_state=0)
    iris = load_iris()
    yield "blobs", X, y
    yield "blobs-f32", X.astype(np.float32), y
    yield "iris-strings", iris.data, iris.target_names[iris.target]
    yield "far-from-origin", X + 1e4, y


@pytest.mark.parametrize("name,X,y", list(_sets()), ids=[s[0] for s in _sets()])
def test_exact_metrics_agree_with_sklearn(name, X, y):
    Xd = X.astype(np.float64)
    np.testing.assert_allclose(
        km.silhouette_samples(X, y), skm.silhouette_samples(Xd, y), rtol=0, atol=1e-6
    )
    assert km.silhouette_score(X, y) == pytest.approx(skm.silhouette_score(Xd, y), abs=1e-6)
    assert km.calinski_harabasz_score(X, y) == pytest.approx(
        skm.calinski_harabasz_score(Xd, y), rel=1e-6
    )
    assert km.davies_bouldin_score(X, y) == pytest.approx(skm.davies_bouldin_score(Xd, y), rel=1e-6)


def test_cosine_silhouette_agrees_with_sklearn():
    X, y = make_blobs(800, 6, centers=4, random_state=1)
    np.testing.assert_allclose(
        km.silhouette_samples(X, y, metric="cosine"),
        skm.silhouette_samples(X, y, metric="cosine"),
        atol=1e-6,
    )


def test_sparse_input_is_accepted():
    X, y = make_blobs(300, 4, centers=3, random_state=0)
    X = np.abs(X)
    assert km.silhouette_score(sp.csr_matrix(X), y) == pytest.approx(skm.silhouette_score(X, y))
    assert km.calinski_harabasz_score(sp.csr_matrix(X), y) == pytest.approx(
        skm.calinski_harabasz_score(X, y)
    )


def test_singleton_clusters_score_zero_like_sklearn():
    X = np.array([[0.0], [0.1], [5.0], [9.0]])
    y = [0, 0, 1, 2]
    np.testing.assert_allclose(km.silhouette_samples(X, y), skm.silhouette_samples(X, y))
    assert km.silhouette_samples(X, y)[2] == 0.0


def test_sampled_score_is_the_exact_score_of_the_sample():
    X, y = make_blobs(2000, 3, centers=5, random_state=0)
    rows = np.sort(np.random.default_rng(4).choice(2000, 300, replace=False))
    assert km.silhouette_score(X, y, sample_size=300, random_state=4) == pytest.approx(
        skm.silhouette_score(X[rows], y[rows]), abs=1e-12
    )


def test_estimate_of_the_whole_sample_is_exact_with_zero_error():
    X, y = make_blobs(500, 3, centers=4, random_state=0)
    est = km.silhouette_estimate(X, y, sample_size=500, random_state=0)
    assert est.mean == pytest.approx(skm.silhouette_score(X, y), abs=1e-9)
    assert est.std_error == 0.0 and est.low == est.high == est.mean


def test_estimate_interval_covers_the_truth_at_its_confidence():
    X, y = make_blobs(3000, 2, centers=5, cluster_std=3.0, random_state=0)
    truth = skm.silhouette_score(X, y)
    covered = 0
    for seed in range(40):
        est = km.silhouette_estimate(X, y, sample_size=150, confidence=0.9, random_state=seed)
        assert est.low < est.mean < est.high
        covered += est.low <= truth <= est.high
    assert 30 <= covered <= 40  # 90% nominal: 36 expected


def test_simplified_silhouette_by_hand():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 4, 200)
    centers = np.array([X[y == c].mean(axis=0) for c in range(4)])
    dist = np.sqrt(((X[:, None, :] - centers[None]) ** 2).sum(axis=2))
    a = dist[np.arange(200), y]
    dist[np.arange(200), y] = np.inf
    b = dist.min(axis=1)
    expected = np.mean((b - a) / np.maximum(a, b))
    assert km.simplified_silhouette_score(X, y) == pytest.approx(expected, rel=1e-9)
    assert km.simplified_silhouette_score(X, y, centers) == pytest.approx(expected, rel=1e-9)


def test_inertia_matches_the_estimator_and_the_definition():
    X, _ = make_blobs(1000, 4, centers=5, random_state=0)
    model = KMeans(5, random_state=0).fit(X)
    assert km.inertia(X, model.labels_, model.cluster_centers_) == pytest.approx(
        model.inertia_, rel=1e-10
    )
    labels = model.labels_
    by_hand = sum(((X[labels == c] - X[labels == c].mean(0)) ** 2).sum() for c in range(5))
    assert km.inertia(X, labels) == pytest.approx(by_hand, rel=1e-10)
    w = np.random.default_rng(0).random(1000)
    assert km.inertia(X, labels, model.cluster_centers_, sample_weight=w) == pytest.approx(
        float(w @ ((X - model.cluster_centers_[labels]) ** 2).sum(axis=1)), rel=1e-10
    )


def test_centroid_index():
    truth = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    perm = truth[[2, 0, 3, 1]] + 0.3
    assert km.centroid_index(perm, truth) == 0
    two_in_one = truth.copy()
    two_in_one[1] = [0.5, 0.5]  # two centroids in one cluster, none in another
    assert km.centroid_index(two_in_one, truth) == 1
    assert km.centroid_index(truth[:2], truth) == 2  # fewer centroids: the missing ones count
    with pytest.raises(ValueError, match="features"):
        km.centroid_index(truth, truth[:, :1])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda X, y: km.silhouette_score(X, y[:-1]), "one label per row"),
        (lambda X, y: km.silhouette_score(X, np.zeros(len(X))), "Number of labels is 1"),
        (lambda X, y: km.calinski_harabasz_score(X, np.arange(len(X))), "Number of labels"),
        (lambda X, y: km.silhouette_score(X, y, metric="manhattan"), "metric must be"),
        (lambda X, y: km.silhouette_score(X, y, sample_size=0), "sample_size"),
        (lambda X, y: km.silhouette_estimate(X, y, confidence=1.5), "confidence"),
        (lambda X, y: km.inertia(X, y, np.zeros((2, 3))), "features"),
        (lambda X, y: km.inertia(X, y + 5, np.zeros((2, 2))), "index"),
    ],
)
def test_errors_name_the_problem(call, match):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_nan_and_zero_rows_are_rejected():
    X = np.array([[0.0, 0.0], [1.0, np.nan], [5.0, 5.0]])
    with pytest.raises(ValueError, match="NaN"):
        km.davies_bouldin_score(X, [0, 0, 1])
    with pytest.raises(ValueError, match="all zeros"):
        km.silhouette_score([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [0, 1, 1], metric="cosine")


def test_input_is_not_modified():
    X, y = make_blobs(200, 3, centers=3, random_state=0)
    X32 = X.astype(np.float32)
    before = X32.copy()
    km.silhouette_samples(X32, y, metric="cosine")
    km.davies_bouldin_score(X32, y)
    np.testing.assert_array_equal(X32, before)
