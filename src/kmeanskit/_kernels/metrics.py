"""Numba kernels for cluster-quality metrics.

Pairwise distances are streamed: a block of query rows against a block of points at a time,
through BLAS GEMM (``|x|^2 + |y|^2 - 2 x.y`` in float64), with the few distances small enough
for that expansion to have cancelled recomputed directly. Nothing n x n (or m x n) is stored.
"""

import numpy as np
from numba import njit, prange

COLUMN_BLOCK = 2048
"""Points per GEMM block (with QUERY_BLOCK rows: a 1 MiB float64 tile)."""

QUERY_BLOCK = 64
"""Query rows handled together; the unit of parallel work."""

_CANCELLATION = 1e-3
"""Below this fraction of |x|^2 + |y|^2 a GEMM distance is recomputed directly."""


@njit(parallel=True, cache=True)
def distance_sums_per_cluster(X_sorted, offsets, rows, squared):
    """For each point ``i`` in ``rows``: the sum of its distances to the points of each cluster.

    Parameters
    ----------
    X_sorted : (n, d) float64, C-contiguous, the points *sorted by cluster*: cluster ``c`` is
        the rows ``offsets[c]:offsets[c + 1]``, so each cluster's sum is a plain reduction.
    offsets : (k + 1,) int64
    rows : (m,) int64, the (sorted-order) rows whose sums are wanted.
    squared : bool, sum half squared distances instead of distances (for cosine distance on
        unit-norm rows, where ``1 - cos = ||u - v||^2 / 2``).

    Returns
    -------
    sums : (m, k) float64; a point's distance to itself (zero) is included.
    """
    n, d = X_sorted.shape
    k = offsets.shape[0] - 1
    m = rows.shape[0]
    sq = np.empty(n, dtype=np.float64)
    for j in prange(n):
        acc = 0.0
        for f in range(d):
            acc += X_sorted[j, f] * X_sorted[j, f]
        sq[j] = acc
    sums = np.zeros((m, k), dtype=np.float64)
    n_query_blocks = (m + QUERY_BLOCK - 1) // QUERY_BLOCK
    for qb in prange(n_query_blocks):
        q0 = qb * QUERY_BLOCK
        q1 = min(q0 + QUERY_BLOCK, m)
        queries = np.empty((q1 - q0, d), dtype=np.float64)
        for r in range(q1 - q0):
            queries[r, :] = X_sorted[rows[q0 + r], :]
        for c in range(k):
            for start in range(offsets[c], offsets[c + 1], COLUMN_BLOCK):
                stop = min(start + COLUMN_BLOCK, offsets[c + 1])
                dots = np.dot(queries, X_sorted[start:stop].T)
                for r in range(q1 - q0):
                    i = rows[q0 + r]
                    total = 0.0
                    for j in range(stop - start):
                        y = start + j
                        dist = sq[i] + sq[y] - 2.0 * dots[r, j]
                        if dist <= _CANCELLATION * (sq[i] + sq[y]):
                            dist = 0.0
                            for f in range(d):
                                diff = X_sorted[i, f] - X_sorted[y, f]
                                dist += diff * diff
                        total += 0.5 * dist if squared else np.sqrt(dist)
                    sums[q0 + r, c] += total
    return sums
