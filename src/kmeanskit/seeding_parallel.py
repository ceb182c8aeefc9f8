"""k-means|| seeding (Bahmani et al. 2012, "Scalable k-means++").

k-means++ needs k passes over the data, one per centre. k-means|| needs a handful: each round
samples every point independently with probability ``l * w * D(x)^2 / phi`` (about ``l = 2k``
points per round), the distances to all of a round's points come from one GEMM pass, and the
few thousand candidates gathered are then weighted by the mass they attract and reduced to k
centres by greedy k-means++ and a short weighted Lloyd on the candidates alone.

Like k-means++, the draws walk the rows in the canonical order of
:func:`kmeanskit.seeding.canonical_order`, so the result depends on the data as a set of
weighted points, not on the order of its rows. It is the seeding of choice when passes over
the data are expensive (large n, data streamed or spread over machines).

Examples
--------
>>> from sklearn.datasets import make_blobs
>>> from kmeanskit import KMeans
>>> X, y = make_blobs(5000, centers=6, cluster_std=0.3, random_state=0)
>>> km = KMeans(6, init="k-means||", random_state=0).fit(X)
>>> sorted(len(set(y[km.labels_ == c])) for c in range(6))  # one blob per cluster
[1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._kernels import seeding as kernels
from ._kernels.blocks import n_blocks_for
from .seeding import _dense_row, canonical_order, greedy_kmeans_plusplus
from .solvers import lloyd
from .solvers._data import DenseData, as_solver_data, nearest_with_distances

N_ROUNDS = 5
"""Sampling rounds; Bahmani et al. find 5 rounds with l = 2k as good as k-means++."""

OVERSAMPLING = 2.0
"""Expected points sampled per round, as a multiple of n_clusters."""

RECLUSTER_MAX_ITER = 30
"""Weighted Lloyd iterations on the candidates after their k-means++ seeding."""

RECLUSTER_MAX_SWAPS = 64
"""Most swap trials on the candidates (fewer for small k: 2k + 20, as ``refine="swap"``)."""

AUTO_PARALLEL_MIN_SAMPLES = 20_000
AUTO_PARALLEL_MIN_CLUSTERS = 32
AUTO_PARALLEL_HIGH_D_FEATURES = 16
AUTO_PARALLEL_HIGH_D_MIN_CLUSTERS = 16
"""From benchmarks/INIT.md (default fits seeded each way, float32 mixtures, n = 20k-200k,
d = 2-128, k = 8-256, 2 cores): from k = 32 on, k-means|| and its fit took 0.37-0.94x the
time of greedy k-means++ and its fit, and from k = 16 on with d >= 16 0.31-0.77x, at a mean
inertia 0.4% higher at worst and down to 6.5% lower. At k = 16 with d = 2, and at k = 8, the
k passes of k-means++ cost less than the 5 rounds and the candidates' reclustering: k-means||
took 0.91-1.73x the time at d = 2. At k = 8 with d >= 16 it was mixed (0.43-0.93x, but 1.28x
and 1.39x on two of the six), so left to k-means++. Below 20k rows both take milliseconds."""


def choose_init(init: str, n_samples: int, n_features: int, n_clusters: int) -> str:
    """The seeding ``init`` names; ``"auto"`` applies the measured rule above.

    Examples
    --------
    >>> choose_init("auto", 100_000, 2, 8), choose_init("auto", 100_000, 2, 32)
    ('k-means++', 'k-means||')
    >>> choose_init("auto", 100_000, 2, 16), choose_init("auto", 100_000, 16, 16)
    ('k-means++', 'k-means||')
    >>> choose_init("auto", 10_000, 16, 64), choose_init("random", 100_000, 16, 64)
    ('k-means++', 'random')
    """
    if init != "auto":
        return init
    many_clusters = n_clusters >= AUTO_PARALLEL_MIN_CLUSTERS or (
        n_features >= AUTO_PARALLEL_HIGH_D_FEATURES
        and n_clusters >= AUTO_PARALLEL_HIGH_D_MIN_CLUSTERS
    )
    if n_samples >= AUTO_PARALLEL_MIN_SAMPLES and many_clusters:
        return "k-means||"
    return "k-means++"


def kmeans_parallel(
    X,
    n_clusters: int,
    weights: np.ndarray,
    rng: np.random.Generator,
    order: np.ndarray | None = None,
    n_rounds: int = N_ROUNDS,
    oversampling: float = OVERSAMPLING,
) -> np.ndarray:
    """k-means|| on validated data; returns the (n_clusters, d) initial centres.

    Falls back to greedy k-means++ on all the data when the rounds gather fewer distinct
    candidates than ``n_clusters`` (tiny or nearly constant data).
    """
    n, d = X.shape
    if order is None:
        order = canonical_order(X)
    data = as_solver_data(X)
    n_blocks = n_blocks_for(n, 1, d)

    target = (1.0 - rng.random(1)) * float(weights.sum())
    first = int(kernels.sample_in_order(order, weights[order], target)[0])
    chosen = [np.array([first])]
    owner, closest = nearest_with_distances(data, _dense_row(X, first)[None, :])
    owner = owner.astype(np.int64)
    n_candidates = 1

    per_round = oversampling * n_clusters
    for _ in range(n_rounds):
        potential = kernels.total_mass(weights, closest, n_blocks)
        if potential <= 0.0:  # every point sits on a candidate
            break
        # one uniform draw per row, handed out in canonical order: order-independent sampling
        threshold = per_round * (weights[order] * closest[order]) / potential
        positions = np.flatnonzero(rng.random(n) < threshold)
        if positions.size == 0:
            continue
        new = order[positions]
        if sp.issparse(X):
            new_centers = X[new].toarray()
        else:
            new_centers = X[new]
        labels, dist = nearest_with_distances(data, new_centers)
        closer = dist < closest
        closest[closer] = dist[closer]
        owner[closer] = labels[closer] + n_candidates
        chosen.append(new)
        n_candidates += new.size

    rows = np.concatenate(chosen)
    mass = np.bincount(owner, weights=weights, minlength=n_candidates)
    keep = mass > 0.0
    if np.count_nonzero(keep) < n_clusters:
        centers, _ = greedy_kmeans_plusplus(X, n_clusters, weights, rng, order=order)
        return centers
    rows, mass = rows[keep], mass[keep]
    candidates = X[rows].toarray() if sp.issparse(X) else np.asarray(X[rows])
    candidates = np.ascontiguousarray(candidates, dtype=X.dtype)
    return reduce_candidates(candidates, mass, n_clusters, rng, n_samples=n)


def reduce_candidates(candidates, mass, n_clusters: int, rng, *, n_samples: int) -> np.ndarray:
    """k centres from the weighted candidates of the rounds: greedy k-means++ on them, a short
    weighted Lloyd, then swap trials (:mod:`kmeanskit.refine`), all on the candidates only.

    The candidates stand for the data (each weighted by the mass it attracts), so a swap that
    repairs a local optimum there repairs the seeding, without a pass over the data. A trial
    costs about three passes over the candidates; the trials are capped so that together they
    cost about one pass over the ``n_samples`` rows (and at most ``RECLUSTER_MAX_SWAPS``).
    Measured on a 16-cluster 16-D mixture (benchmarks/SCALE.md's data, 1M rows, 4 seeds):
    without the swaps k-means|| then Lloyd ended 20% above the optimum in half the seeds.
    """
    from .refine import SwapSettings, swap_refine

    data = DenseData(candidates)
    shift, _ = data.moments(mass)
    seeds, _ = greedy_kmeans_plusplus(candidates, n_clusters, mass, rng)
    refined = lloyd(data, mass, seeds, max_iter=RECLUSTER_MAX_ITER, tol=0.0, shift=shift)
    if n_clusters >= 3 and candidates.shape[0] > n_clusters:
        thorough = SwapSettings.thorough(n_clusters)
        cap = min(RECLUSTER_MAX_SWAPS, max(2, n_samples // (3 * candidates.shape[0])))
        settings = SwapSettings(
            max_trials=min(cap, thorough.max_trials), patience=min(cap, thorough.patience)
        )
        refined = swap_refine(
            data,
            mass,
            refined,
            lloyd,
            rng,
            settings=settings,
            max_iter=RECLUSTER_MAX_ITER,
            tol=0.0,
            shift=shift,
        )
    return refined.centers
