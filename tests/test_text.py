"""SphericalKMeans against a plain NumPy spherical k-means, and top terms."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from kmeanskit import KMeans, load
from kmeanskit.apps import SphericalKMeans, top_terms
from kmeanskit.datasets import load_texts


def reference_spherical(X: np.ndarray, init: np.ndarray, n_iter: int):
    """Dhillon & Modha: assign by largest cosine, centre = normalised sum of its rows."""
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = init / np.linalg.norm(init, axis=1, keepdims=True)
    for _ in range(n_iter):
        labels = np.argmax(X @ C.T, axis=1)
        for j in range(len(C)):
            total = X[labels == j].sum(axis=0)
            if np.linalg.norm(total) > 0:
                C[j] = total / np.linalg.norm(total)
    return np.argmax(X @ C.T, axis=1), C


@pytest.fixture(scope="module")
def tfidf():
    texts, topics = load_texts()
    vectorizer = TfidfVectorizer(stop_words="english")
    return vectorizer.fit_transform(texts), vectorizer.get_feature_names_out(), topics


@pytest.mark.parametrize("algorithm", ["lloyd", "yinyang"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_result_as_the_reference_from_the_same_init(dtype, algorithm):
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(5, 12))
    X = np.abs(directions[rng.integers(0, 5, 600)] + 0.6 * rng.normal(size=(600, 12)))
    X *= rng.uniform(0.1, 20, size=(600, 1))  # lengths must not matter
    init = X[:5]
    ours = SphericalKMeans(5, init=init, max_iter=15, tol=0, algorithm=algorithm)
    ours.fit(X.astype(dtype))
    labels, centres = reference_spherical(X, init, ours.n_iter_)
    np.testing.assert_array_equal(ours.labels_, labels)
    np.testing.assert_allclose(
        ours.cluster_centers_, centres, atol=1e-5 if dtype == np.float32 else 1e-10
    )
    np.testing.assert_allclose(np.linalg.norm(ours.cluster_centers_, axis=1), 1.0, rtol=1e-6)
    cos = ours.cosine_similarity(X)
    np.testing.assert_array_equal(ours.predict(X * 7.0), np.argmax(cos, axis=1))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    assert ours.inertia_ == pytest.approx(2 * (1 - (unit * centres[labels]).sum(1)).sum(), rel=1e-4)


def test_sparse_equals_dense():
    """Continuous values: TF-IDF rows that share no term with two centres are exact ties,
    which the centred dense and uncentred sparse kernels may break differently."""
    X = sp.random(1500, 30, density=0.3, format="csr", random_state=0, dtype=np.float64)
    init = X[:6].toarray()
    sparse = SphericalKMeans(6, init=init).fit(X)
    dense = SphericalKMeans(6, init=init).fit(X.toarray())
    np.testing.assert_array_equal(sparse.labels_, dense.labels_)
    np.testing.assert_allclose(sparse.cluster_centers_, dense.cluster_centers_, atol=1e-10)


def test_tfidf_topics_and_top_terms(tfidf):
    X, terms, topics = tfidf
    km = SphericalKMeans(4, n_init=10, random_state=0).fit(X)
    names = top_terms(km, terms, 5)
    assert len(names) == 4 and all(len(t) == 5 for t in names)
    plain = KMeans(4, n_init=10, random_state=0).fit(X)
    # on these short texts spherical k-means does at least as well as Euclidean k-means
    spherical_ari = adjusted_rand_score(topics, km.labels_)
    assert spherical_ari >= adjusted_rand_score(topics, plain.labels_) - 0.05


def test_empty_documents_and_saving(tmp_path, tfidf):
    X, _, _ = tfidf
    with_empty = sp.vstack([X, sp.csr_matrix((1, X.shape[1]))]).tocsr()
    km = SphericalKMeans(4, random_state=0).fit(with_empty)
    assert km.labels_[-1] in range(4) and np.isfinite(km.inertia_)
    km.save(tmp_path / "text.kmk")
    back = load(tmp_path / "text.kmk")
    assert type(back) is SphericalKMeans
    np.testing.assert_array_equal(back.predict(X), km.predict(X))


def test_top_terms_checks_the_names():
    km = KMeans(2, random_state=0).fit(np.eye(4))
    with pytest.raises(ValueError, match="3 feature names for 4 features"):
        top_terms(km, ["a", "b", "c"])
