"""Initial centres: greedy k-means++ and random sampling.

Both samplers walk the rows in a *canonical order* (sorted by a fixed random projection of
their values) when they turn a random number into a row. The chosen points therefore depend
only on the data as a set of weighted points: shuffling the rows, or replacing ``m`` identical
rows by one row of weight ``m``, gives the same initial centres for the same ``random_state``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ._kernels import seeding as kernels
from ._kernels.blocks import n_blocks_for
from ._parallel import kernel_section
from ._random import as_generator
from ._validation import check_input, check_n_clusters, check_sample_weight


def canonical_order(X) -> np.ndarray:
    """Row order that depends only on the rows' values (stable argsort of a fixed projection).

    Identical rows project to identical values; distinct rows collide only by an exact
    floating-point coincidence of a random Gaussian projection.
    """
    direction = np.random.default_rng(20121121).standard_normal(X.shape[1])
    if sp.issparse(X):
        proj = np.asarray(X @ direction, dtype=np.float64).ravel()
    else:
        proj = kernels.projection(X, direction)
    # Without ties every sort gives the one ascending order, and numpy's quicksort is 2-3x
    # faster than its stable sort; ties (duplicate rows) need the stable one.
    order = np.argsort(proj)
    ranked = proj[order]
    if np.any(ranked[1:] == ranked[:-1]):
        order = np.argsort(proj, kind="stable")
    return order


def _dense_row(X, i: int) -> np.ndarray:
    if sp.issparse(X):
        return X[[i]].toarray()[0]
    return np.asarray(X[i])


def _sparse_sq_dist_to(X, x_sq_norms, point):
    """Squared distances (float64) of every CSR row to one dense point."""
    point = point.astype(np.float64)
    d = x_sq_norms - 2.0 * np.asarray(X @ point, dtype=np.float64).ravel() + point @ point
    return np.maximum(d, 0.0)


KEPT_DISTANCES_BYTES = 64 * 2**20
"""Largest (candidates x rows) array of distances greedy k-means++ keeps from one step's
candidate pass for the update of the chosen one; above it, the update reads X again."""


def greedy_kmeans_plusplus(X, n_clusters, weights, rng, n_local_trials=None, order=None):
    """Greedy k-means++ on validated data; returns (centers, indices).

    At each step ``n_local_trials`` candidates are drawn with probability proportional to
    ``w * D(x)^2`` and the one that lowers the potential most is kept (Arthur & Vassilvitskii
    2007; the greedy variant of scikit-learn and of the original paper's experiments).
    """
    n, d = X.shape
    if n_local_trials is None:
        n_local_trials = 2 + int(math.log(n_clusters))
    if order is None:
        order = canonical_order(X)
    n_blocks = n_blocks_for(n, n_local_trials, d)
    sparse = sp.issparse(X)
    if sparse:
        x_sq_norms = np.asarray(X.multiply(X).sum(axis=1), dtype=np.float64).ravel()

    centers = np.empty((n_clusters, d), dtype=X.dtype)
    indices = np.empty(n_clusters, dtype=np.int64)

    # draw the first centre with probability proportional to its weight
    total = float(weights.sum())
    target = (1.0 - rng.random(1)) * total
    mass_sorted = weights[order]  # each row's sampling mass, in canonical order
    first = kernels.sample_in_order(order, mass_sorted, target)
    indices[0] = first[0]
    centers[0] = _dense_row(X, indices[0])

    if sparse:
        closest = _sparse_sq_dist_to(X, x_sq_norms, centers[0])
        weights_sorted = mass_sorted.copy()  # the weights in canonical order, gathered once
        np.multiply(weights_sorted, closest[order], out=mass_sorted)
    else:
        rank = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
        kernels.inverse_permutation(order, rank)
        closest = np.full(n, np.inf, dtype=np.float64)
        kernels.update_closest(X, centers[0], closest, weights, rank, mass_sorted)
        keep = n_local_trials * n * X.dtype.itemsize <= KEPT_DISTANCES_BYTES
        distances = np.empty((n_local_trials, n) if keep else (0, 0), dtype=X.dtype)
    potential = kernels.total_mass(weights, closest, n_blocks)

    for c in range(1, n_clusters):
        targets = (1.0 - rng.random(n_local_trials)) * potential
        cand_ids = kernels.sample_in_order(order, mass_sorted, targets)
        if cand_ids[0] < 0:  # every remaining point coincides with a centre
            cand_ids[:] = order[0]
        candidates = np.stack([_dense_row(X, i) for i in cand_ids])
        if sparse:
            dists = [_sparse_sq_dist_to(X, x_sq_norms, cand) for cand in candidates]
            pots = np.array([weights @ np.minimum(closest, dist) for dist in dists])
        else:
            pots = kernels.candidate_potentials(
                X, weights, closest, candidates, n_blocks, distances
            )
        best = int(np.argmin(pots))
        indices[c] = cand_ids[best]
        centers[c] = candidates[best]
        if sparse:
            np.minimum(closest, dists[best], out=closest)
            np.multiply(weights_sorted, closest[order], out=mass_sorted)
        elif keep:
            kernels.take_closest(distances[best], closest, weights, rank, mass_sorted)
        else:
            kernels.update_closest(X, centers[c], closest, weights, rank, mass_sorted)
        potential = pots[best]
    return centers, indices


def random_init(X, n_clusters, weights, rng, order=None):
    """``n_clusters`` distinct rows drawn without replacement, with probability ∝ weight."""
    if order is None:
        order = canonical_order(X)
    p = weights[order] / weights.sum()
    if np.count_nonzero(p) < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} samples with a positive "
            f"sample_weight; got {np.count_nonzero(p)}."
        )
    positions = rng.choice(order.shape[0], size=n_clusters, replace=False, p=p)
    indices = order[positions]
    if sp.issparse(X):
        centers = X[indices].toarray()
    else:
        centers = np.asarray(X[indices])
    return centers.astype(X.dtype, copy=False), indices


def kmeans_plusplus(
    X,
    n_clusters: int,
    *,
    sample_weight=None,
    random_state=None,
    n_local_trials: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose initial cluster centres with greedy k-means++.

    Same signature and return values as :func:`sklearn.cluster.kmeans_plusplus`, with our own
    implementation: parallel numba kernels, direct (cancellation-free) distances in the data's
    dtype with float64 sums, and sampling in a canonical row order so that the result does not
    depend on the order of the rows.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data to pick seeds from.
    n_clusters : int
        The number of centres to choose.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the points; ``None`` gives every point weight one. Points of weight zero
        are never chosen.
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seed of the random draws.
    n_local_trials : int, default=None
        Candidates tried at each step; ``None`` means ``2 + int(log(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The initial centres, in the dtype of ``X`` (float32 stays float32).
    indices : ndarray of shape (n_clusters,)
        Row of ``X`` each centre was taken from.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit import kmeans_plusplus
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> centers, indices = kmeans_plusplus(X, n_clusters=2, random_state=0)
    >>> centers.shape, sorted(set(X[indices, 0].tolist()))
    ((2, 2), [1.0, 10.0])
    """
    X = check_input(X, "X")
    check_n_clusters(n_clusters, X)
    weights = check_sample_weight(sample_weight, X)
    if n_local_trials is not None and (
        not isinstance(n_local_trials, (int, np.integer)) or n_local_trials < 1
    ):
        raise ValueError(f"n_local_trials must be a positive integer, got {n_local_trials!r}.")
    rng = as_generator(random_state)
    with kernel_section():
        return greedy_kmeans_plusplus(X, n_clusters, weights, rng, n_local_trials)
