"""Clustering documents by cosine similarity: spherical k-means and top terms per cluster.

Examples
--------
>>> from sklearn.feature_extraction.text import TfidfVectorizer
>>> from kmeanskit.apps import SphericalKMeans, top_terms
>>> texts = ["red apple pie", "apple pie recipe", "stock market falls", "market stock rally"]
>>> vectorizer = TfidfVectorizer()
>>> km = SphericalKMeans(2, random_state=0).fit(vectorizer.fit_transform(texts))
>>> sorted(terms[0] for terms in top_terms(km, vectorizer.get_feature_names_out(), 1))
['apple', 'market']
"""

from __future__ import annotations

import numpy as np

from ..estimator import KMeans


class SphericalKMeans(KMeans):
    """k-means on the unit sphere: documents are grouped by cosine similarity.

    Rows are scaled to unit length (a copy; TF-IDF rows usually are already; all-zero rows,
    such as empty documents, stay zero and join cluster 0), and after every update each centre
    is scaled back to unit length (Dhillon & Modha 2001). The nearest centre of a row is then
    its most cosine-similar one. Everything else — parameters, sparse CSR input, solvers,
    seeding, ``sample_weight``, reproducibility — is :class:`kmeanskit.KMeans`'s; ``predict``,
    ``transform`` and ``score`` scale their rows too.

    Attributes
    ----------
    cluster_centers_ : ndarray (n_clusters, n_features), unit-length centres.
    inertia_ : float
        Sum over rows of the squared distance to the centre, ``2 * (1 - cosine)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.1], [3.0, 0.2], [0.1, 1.0], [0.2, 5.0]])
    >>> km = SphericalKMeans(2, random_state=0).fit(X)
    >>> bool(km.labels_[0] == km.labels_[1] != km.labels_[2] == km.labels_[3])
    True
    >>> np.linalg.norm(km.cluster_centers_, axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    _spherical = True

    def cosine_similarity(self, X) -> np.ndarray:
        """(n, k) cosine similarity of every row to every centre (``1 - transform(X)**2 / 2``).

        Examples
        --------
        >>> import numpy as np
        >>> km = SphericalKMeans(1, random_state=0).fit(np.array([[1.0, 0.0], [2.0, 0.0]]))
        >>> km.cosine_similarity(np.array([[1.0, 1.0]])).round(6).tolist()
        [[0.707107]]
        """
        return 1.0 - self.transform(X).astype(np.float64) ** 2 / 2.0


def top_terms(model, feature_names, n: int = 10) -> list[list[str]]:
    """The ``n`` features with the largest weight in each centre (terms for TF-IDF data).

    Works with any fitted model that has ``cluster_centers_`` (KMeans, SphericalKMeans).
    """
    names = np.asarray(feature_names)
    centres = np.asarray(model.cluster_centers_)
    if centres.shape[1] != names.shape[0]:
        raise ValueError(f"{names.shape[0]} feature names for {centres.shape[1]} features.")
    order = np.argsort(-centres, axis=1, kind="stable")[:, :n]
    return [names[row].tolist() for row in order]
