"""Flagging unusual rows by their distance to the nearest k-means centre.

Examples
--------
>>> import numpy as np
>>> from kmeanskit.apps import AnomalyDetector
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(0, 1, (200, 2)), [[12.0, 12.0]]])
>>> detector = AnomalyDetector(n_clusters=2, contamination=0.005, random_state=0).fit(X)
>>> int(np.flatnonzero(detector.predict(X) == -1)[0])
200
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin


def _rows(X, index) -> np.ndarray:
    """Rows ``index`` of a DataFrame, sparse matrix or array-like, as a float64 array."""
    if hasattr(X, "iloc"):
        return X.iloc[index].to_numpy(dtype=np.float64)
    if hasattr(X, "tocsr"):
        return X.tocsr()[index].toarray().astype(np.float64)
    return np.asarray(X, dtype=np.float64)[index]


class AnomalyDetector(OutlierMixin, BaseEstimator):
    """k-means outlier detection: a row is as unusual as it is far from its nearest centre,
    measured in that cluster's own typical distance.

    The score of a row is its distance to the nearest centre divided by the median distance of
    that cluster's training rows, so a loose cluster does not flag all its members and a tight
    one still flags a stray point. Outliers tend to capture clusters of their own (a centre on
    a lone point scores it 0), so clusters with fewer than ``max(2, contamination * n)``
    training rows count as *small*, and rows nearest a small cluster are scored against the
    nearest large one instead (the idea of CBLOF, He et al. 2003). The threshold is the
    ``1 - contamination`` quantile of the training scores. Conventions follow scikit-learn's
    outlier detectors: ``predict`` gives -1 for anomalies and 1 otherwise; ``score_samples``
    is higher for more normal rows.

    Parameters
    ----------
    n_clusters : int, default=8
    contamination : float in (0, 0.5], default=0.01
        Expected share of anomalies in the training data.
    random_state : int or None
    n_init : int, default=3

    Attributes
    ----------
    kmeans_ : KMeans
    scale_ : ndarray (n_clusters,), the median distance of each cluster's training rows.
    small_ : ndarray of bool (n_clusters,), the clusters too small to count as normal.
    threshold_ : float, scores above it are anomalies.
    scores_ : ndarray, the anomaly score of every training row.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [5.0]])
    >>> d = AnomalyDetector(n_clusters=2, contamination=0.15, random_state=0).fit(X)
    >>> d.predict([[0.15], [5.2]]).tolist()
    [1, -1]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        contamination: float = 0.01,
        random_state: int | None = None,
        n_init: int = 3,
    ):
        self.n_clusters = n_clusters
        self.contamination = contamination
        self.random_state = random_state
        self.n_init = n_init

    def fit(self, X, y=None) -> AnomalyDetector:
        from .. import KMeans

        c = self.contamination
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not 0 < c <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5]; got {c!r}.")
        self.kmeans_ = KMeans(
            self.n_clusters, n_init=self.n_init, random_state=self.random_state
        ).fit(X)
        labels, distances = self.kmeans_.nearest(X)
        k = self.kmeans_.n_clusters
        sizes = np.bincount(labels, minlength=k)
        small = sizes < max(2, int(np.ceil(c * len(labels))))
        self.small_ = small if not small.all() else np.zeros(k, dtype=bool)
        scale = np.ones(k)
        for j in range(k):
            mine = distances[labels == j]
            typical = np.median(mine) if mine.size else 0.0
            scale[j] = typical if typical > 0 else 1.0  # a cluster of copies: plain distance
        self.scale_ = scale
        self.scores_ = self._scores(X, labels, distances)
        self.threshold_ = float(np.quantile(self.scores_, 1.0 - c))
        return self

    def _scores(self, X, labels, distances) -> np.ndarray:
        scores = distances / self.scale_[labels]
        stray = np.flatnonzero(self.small_[labels])
        if stray.size:  # rows nearest a small cluster: scaled distance to the nearest large one
            rows = _rows(X, stray)
            large = np.flatnonzero(~self.small_)
            centres = self.kmeans_.cluster_centers_[large].astype(float)
            gaps = np.sqrt(((rows[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
            scores[stray] = (gaps / self.scale_[large]).min(axis=1)
        return scores

    def anomaly_score(self, X) -> np.ndarray:
        """Distance to the nearest centre over that cluster's median distance (higher = odder)."""
        labels, distances = self.kmeans_.nearest(X)
        return self._scores(X, labels, distances)

    def score_samples(self, X) -> np.ndarray:
        """Opposite of :meth:`anomaly_score` (scikit-learn's convention: higher is normal)."""
        return -self.anomaly_score(X)

    def decision_function(self, X) -> np.ndarray:
        """Negative for anomalies, positive for normal rows."""
        return self.threshold_ - self.anomaly_score(X)

    def predict(self, X) -> np.ndarray:
        """-1 for anomalies, 1 for normal rows."""
        return np.where(self.anomaly_score(X) > self.threshold_, -1, 1)
