"""Cluster-quality metrics: inertia, silhouette (exact, sampled, simplified), Calinski-Harabasz,
Davies-Bouldin, and Fränti's centroid index.

The exact metrics agree with :mod:`sklearn.metrics` on the same labels (to 1e-6 or better);
they are our own code, in float64, with memory linear in n: the silhouette streams its pairwise
distances instead of storing an n x n (or chunk x n) matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._kernels import dense
from ._kernels.metrics import distance_sums_per_cluster
from ._parallel import kernel_section
from ._random import as_generator
from ._validation import check_input, check_sample_weight

DENSE_BUDGET_BYTES = 512 * 2**20
"""Largest sparse input the pairwise metrics densify (they need every coordinate)."""


# ----------------------------------------------------------------------------- validation
def _label_codes(labels, n_samples: int, *, need_two: bool = True):
    """Labels as codes ``0..k-1`` and the distinct labels they stand for (any hashable labels
    allowed, as in scikit-learn)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got an array of shape {labels.shape}.")
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but X has {n_samples} rows; give one label "
            "per row."
        )
    names, codes = np.unique(labels, return_inverse=True)
    if need_two and not 2 <= names.size <= n_samples - 1:
        raise ValueError(
            f"Number of labels is {names.size}. Valid values are 2 to n_samples - 1 (inclusive)."
        )
    return codes.astype(np.int64).ravel(), names


def _check_labels(labels, n_samples: int, *, need_two: bool = True) -> tuple[np.ndarray, int]:
    """Labels as codes ``0..k-1`` and their number k."""
    codes, names = _label_codes(labels, n_samples, need_two=need_two)
    return codes, names.size


def _dense_input(X, name: str = "X") -> np.ndarray:
    X = check_input(X, name)
    if sp.issparse(X):
        if X.shape[0] * X.shape[1] * 8 > DENSE_BUDGET_BYTES:
            raise ValueError(
                f"{name} is a sparse matrix of shape {X.shape}; this metric needs it dense and "
                f"that would take more than {DENSE_BUDGET_BYTES // 2**20} MiB. Pass "
                "sample_size to work on a sample of the rows."
            )
        X = X.toarray()
    return X


def _cluster_means(X: np.ndarray, codes: np.ndarray, n_labels: int, weights=None):
    """(k, d) float64 weighted means and (k,) total weights."""
    n = X.shape[0]
    w = np.ones(n) if weights is None else weights
    membership = sp.csr_matrix((w, (codes, np.arange(n))), shape=(n_labels, n))
    totals = np.asarray(membership.sum(axis=1)).ravel()
    sums = np.asarray(membership @ X.astype(np.float64, copy=False))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / totals[:, None], totals


def _sq_dist_to_centre(X: np.ndarray, centers: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Squared distance (float64) of every row to the centre of its label."""
    X = np.ascontiguousarray(X)
    centers = np.ascontiguousarray(centers, dtype=X.dtype)
    shift = np.zeros(X.shape[1], dtype=X.dtype)
    with kernel_section():
        return dense.sq_dist_to_assigned(X, shift, centers, codes.astype(np.int32))


# ----------------------------------------------------------------------------- inertia
def inertia(X, labels, centers=None, sample_weight=None) -> float:
    """Weighted sum of squared distances of the points to their cluster's centre.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        Cluster of every point. With ``centers`` they must be integers indexing its rows.
    centers : array-like of shape (n_clusters, n_features), default=None
        The centres; ``None`` uses the (weighted) mean of every cluster.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    float

    Examples
    --------
    >>> from kmeanskit.metrics import inertia
    >>> inertia([[0.0], [2.0], [10.0]], [0, 0, 1])
    2.0
    """
    X = _dense_input(X)
    weights = check_sample_weight(sample_weight, X)
    if centers is None:
        codes, n_labels = _check_labels(labels, X.shape[0], need_two=False)
        centers, _ = _cluster_means(X, codes, n_labels, weights)
    else:
        centers = check_input(centers, "centers")
        if centers.shape[1] != X.shape[1]:
            raise ValueError(f"centers has {centers.shape[1]} features but X has {X.shape[1]}.")
        codes = np.asarray(labels)
        if codes.shape != (X.shape[0],) or not np.issubdtype(codes.dtype, np.integer):
            raise ValueError("labels must be one integer per row of X when centers are given.")
        if codes.size and (codes.min() < 0 or codes.max() >= centers.shape[0]):
            raise ValueError(f"labels must index the {centers.shape[0]} rows of centers.")
        codes = codes.astype(np.int64)
    return float(weights @ _sq_dist_to_centre(X, centers, codes))


# ----------------------------------------------------------------------------- silhouette
def _prepare_pairwise(X, metric: str) -> np.ndarray:
    """A float64 copy ready for streamed pairwise distances: centred (Euclidean distances do
    not change, and the GEMM expansion keeps its digits), or row-normalised for cosine."""
    if metric not in ("euclidean", "cosine"):
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}.")
    X = _dense_input(X).astype(np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1)
        if (norms == 0).any():
            raise ValueError(
                f"metric='cosine' is undefined for all-zero rows; row {int(np.argmax(norms == 0))}"
                " is all zeros."
            )
        X /= norms[:, None]
    else:
        X -= X.mean(axis=0)
    return X


def _silhouette_of_rows(X, codes, n_labels, rows, metric) -> np.ndarray:
    """Exact silhouette of the points ``rows`` against all points (rows of ``X``, float64)."""
    by_cluster = np.argsort(codes, kind="stable")
    position = np.empty_like(by_cluster)
    position[by_cluster] = np.arange(by_cluster.size)
    sizes = np.bincount(codes, minlength=n_labels)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    with kernel_section():
        sums = distance_sums_per_cluster(
            np.ascontiguousarray(X[by_cluster]), offsets, position[rows], metric == "cosine"
        )
    sizes = sizes.astype(np.float64)
    own = codes[rows]
    own_size = sizes[own]
    a = sums[np.arange(rows.size), own] / np.maximum(own_size - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = sums / sizes
    means[np.arange(rows.size), own] = np.inf
    b = means.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (b - a) / np.maximum(a, b)
    s[own_size <= 1] = 0.0  # a point alone in its cluster scores 0 (Rousseeuw's convention)
    return np.nan_to_num(s)


def silhouette_samples(X, labels, *, metric: str = "euclidean") -> np.ndarray:
    """Silhouette coefficient of every point, exact.

    ``s = (b - a) / max(a, b)`` with ``a`` the mean distance to the other points of its cluster
    and ``b`` the mean distance to the points of the nearest other cluster; 0 for a point alone
    in its cluster. O(n^2 d) time, O(n k) memory (distances are streamed, never stored).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    metric : {"euclidean", "cosine"}, default="euclidean"

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> from kmeanskit.metrics import silhouette_samples
    >>> silhouette_samples([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]).round(3).tolist()
    [0.905, 0.895, 0.895, 0.905]
    """
    X = _prepare_pairwise(X, metric)
    codes, n_labels = _check_labels(labels, X.shape[0])
    rows = np.arange(X.shape[0], dtype=np.int64)
    return _silhouette_of_rows(X, codes, n_labels, rows, metric)


def silhouette_score(
    X, labels, *, metric: str = "euclidean", sample_size: int | None = None, random_state=None
) -> float:
    """Mean silhouette coefficient, exact or (like scikit-learn) on a random subset of rows.

    With ``sample_size`` the rows are subsampled without replacement and the silhouette is
    computed within the subsample, as :func:`sklearn.metrics.silhouette_score` does. For an
    estimate of the full data's silhouette with a confidence interval, use
    :func:`silhouette_estimate`.

    Examples
    --------
    >>> from kmeanskit.metrics import silhouette_score
    >>> round(silhouette_score([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]), 4)
    0.8997
    """
    if sample_size is not None:
        X = check_input(X, "X")
        n = X.shape[0]
        if not 1 <= sample_size <= n:
            raise ValueError(f"sample_size must be between 1 and n_samples={n}, got {sample_size}.")
        rows = np.sort(as_generator(random_state).choice(n, sample_size, replace=False))
        X, labels = X[rows], np.asarray(labels)[rows]
    return float(np.mean(silhouette_samples(X, labels, metric=metric)))


@dataclass(frozen=True)
class SilhouetteEstimate:
    """Mean silhouette of a random sample of rows, each scored against all rows.

    Attributes
    ----------
    mean, low, high : float
        The estimate and its confidence interval.
    std_error : float
    sample_size : int
    confidence : float
    """

    mean: float
    low: float
    high: float
    std_error: float
    sample_size: int
    confidence: float


def silhouette_estimate(
    X,
    labels,
    *,
    sample_size: int = 2000,
    confidence: float = 0.95,
    metric: str = "euclidean",
    random_state=None,
) -> SilhouetteEstimate:
    """Estimate the mean silhouette of large data, with a confidence interval.

    ``sample_size`` rows are drawn without replacement and each one's silhouette is computed
    exactly against *all* n rows, so every sampled value is exact and only the choice of rows
    is random: the mean is unbiased and the interval is the normal one, ``mean +- z * sd /
    sqrt(m)`` with the finite-population correction. O(m n d) time.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit.metrics import silhouette_estimate
    >>> noise = np.random.default_rng(0).random((1000, 2))
    >>> X = np.r_[np.zeros((500, 2)), np.full((500, 2), 10.0)] + noise
    >>> est = silhouette_estimate(X, [0] * 500 + [1] * 500, sample_size=100, random_state=0)
    >>> est.low <= est.mean <= est.high, round(est.mean, 2)
    (True, 0.96)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)):
        raise ValueError(f"sample_size must be a positive integer, got {sample_size!r}.")
    if sample_size < 1:
        raise ValueError(f"sample_size must be a positive integer, got {sample_size}.")
    X = _prepare_pairwise(X, metric)
    codes, n_labels = _check_labels(labels, X.shape[0])
    return _estimate(X, codes, n_labels, int(sample_size), confidence, metric, random_state)


def _estimate(X, codes, n_labels, sample_size, confidence, metric, random_state):
    """``silhouette_estimate`` on data from :func:`_prepare_pairwise` and label codes."""
    n = X.shape[0]
    m = min(sample_size, n)
    rows = np.sort(as_generator(random_state).choice(n, m, replace=False)).astype(np.int64)
    values = _silhouette_of_rows(X, codes, n_labels, rows, metric)
    mean = float(values.mean())
    correction = math.sqrt((n - m) / (n - 1)) if n > 1 else 0.0
    std_error = float(values.std(ddof=1) / math.sqrt(m) * correction) if m > 1 else 0.0
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    return SilhouetteEstimate(
        mean, mean - z * std_error, mean + z * std_error, std_error, m, confidence
    )


def simplified_silhouette_score(X, labels, centers=None) -> float:
    """Silhouette with distances to centroids instead of to every point: O(n k d).

    ``a`` is the distance to the point's own centre, ``b`` to the nearest other centre
    (Hruschka et al. 2004). Close to the exact silhouette for compact clusters and cheap
    enough for any n.

    Examples
    --------
    >>> from kmeanskit.metrics import simplified_silhouette_score
    >>> round(simplified_silhouette_score([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]), 2)
    0.95
    """
    X = _dense_input(X)
    codes, n_labels = _check_labels(labels, X.shape[0])
    if centers is None:
        centers, _ = _cluster_means(X, codes, n_labels)
    else:
        centers = check_input(centers, "centers").astype(np.float64)
        if centers.shape != (n_labels, X.shape[1]):
            raise ValueError(
                f"centers must have shape ({n_labels}, {X.shape[1]}), got {centers.shape}."
            )
    from .solvers._data import DenseData, distances

    with kernel_section():
        dist = distances(DenseData(np.ascontiguousarray(X, dtype=np.float64)), centers)
    own = dist[np.arange(X.shape[0]), codes].copy()
    dist[np.arange(X.shape[0]), codes] = np.inf
    other = dist.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (other - own) / np.maximum(own, other)
    return float(np.mean(np.nan_to_num(s)))


# ----------------------------------------------------------------------------- CH and DB
def calinski_harabasz_score(X, labels) -> float:
    """Calinski-Harabasz index: between- over within-cluster dispersion (higher is better).

    Examples
    --------
    >>> from kmeanskit.metrics import calinski_harabasz_score
    >>> calinski_harabasz_score([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1])
    200.0
    """
    X = _dense_input(X)
    codes, k = _check_labels(labels, X.shape[0])
    return _calinski_harabasz(X, _cluster_stats(X, codes, k))


def _cluster_stats(X, codes, k) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What CH and DB both need: codes, cluster means, sizes, squared distances to the mean."""
    centers, sizes = _cluster_means(X, codes, k)
    return codes, centers, sizes, _sq_dist_to_centre(X, centers, codes)


def _calinski_harabasz(X, stats) -> float:
    _, centers, sizes, sq_dist = stats
    n, k = X.shape[0], centers.shape[0]
    mean = X.mean(axis=0, dtype=np.float64)
    between = float(sizes @ ((centers - mean) ** 2).sum(axis=1))
    within = float(sq_dist.sum())
    if within == 0.0:
        return 1.0
    return between * (n - k) / (within * (k - 1))


def davies_bouldin_score(X, labels) -> float:
    """Davies-Bouldin index: mean over clusters of the worst similarity ratio (lower is better).

    Examples
    --------
    >>> from kmeanskit.metrics import davies_bouldin_score
    >>> davies_bouldin_score([[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1])
    0.1
    """
    X = _dense_input(X)
    codes, k = _check_labels(labels, X.shape[0])
    return _davies_bouldin(_cluster_stats(X, codes, k))


def _davies_bouldin(stats) -> float:
    codes, centers, sizes, sq_dist = stats
    spread = np.bincount(codes, weights=np.sqrt(sq_dist), minlength=centers.shape[0]) / sizes
    gaps = np.sqrt(((centers[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(spread, 0) or np.allclose(gaps, 0):
        return 0.0
    gaps[gaps == 0] = np.inf
    ratios = (spread[:, None] + spread[None, :]) / gaps
    return float(np.mean(ratios.max(axis=1)))


# ----------------------------------------------------------------------------- centroid index
def _orphans(source: np.ndarray, target: np.ndarray, chunk: int = 1024) -> int:
    """Targets that no source centroid has as its nearest."""
    hit = np.zeros(target.shape[0], dtype=bool)
    t_sq = (target**2).sum(axis=1)
    for start in range(0, source.shape[0], chunk):
        block = source[start : start + chunk]
        # exact enough for ranking: both sets are centroids, not near-duplicate points
        d = t_sq[None, :] - 2.0 * block @ target.T
        hit[d.argmin(axis=1)] = True
    return int(target.shape[0] - hit.sum())


def centroid_index(centers_a, centers_b) -> int:
    """Fränti's centroid index (CI) between two sets of centroids.

    Every centroid of one set is mapped to its nearest in the other; the centroids that
    nothing maps to are *orphans*. CI is the larger orphan count of the two directions: the
    number of clusters located wrongly. CI = 0 means the same cluster structure (Fränti,
    Rezaei & Zhao 2014).

    Parameters
    ----------
    centers_a, centers_b : array-like of shape (k_a, d) and (k_b, d)

    Returns
    -------
    int

    Examples
    --------
    >>> from kmeanskit.metrics import centroid_index
    >>> truth = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]
    >>> centroid_index([[0.1, 0.0], [9.0, 0.5], [0.0, 9.8]], truth)
    0
    >>> centroid_index([[0.1, 0.0], [0.2, 0.0], [0.0, 9.8]], truth)
    1
    """
    a = check_input(centers_a, "centers_a").astype(np.float64)
    b = check_input(centers_b, "centers_b").astype(np.float64)
    if sp.issparse(a) or sp.issparse(b):
        raise TypeError("centroid_index needs dense arrays of centroids.")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"centers_a has {a.shape[1]} features and centers_b {b.shape[1]}; they must match."
        )
    return max(_orphans(a, b), _orphans(b, a))


__all__ = [
    "SilhouetteEstimate",
    "calinski_harabasz_score",
    "centroid_index",
    "davies_bouldin_score",
    "inertia",
    "silhouette_estimate",
    "silhouette_samples",
    "silhouette_score",
    "simplified_silhouette_score",
]
