"""Numba kernels for cluster-quality metrics.

Pairwise distances are computed directly (sums of squared differences in float64, no GEMM
expansion), so they never cancel, and streamed: every thread holds one block of distances for
one row at a time, never an n x n or chunk x n matrix.
"""

import numpy as np
from numba import njit, prange

COLUMN_BLOCK = 2048
"""Points whose distances to one row are computed together (a 16 KiB float64 buffer)."""


@njit(parallel=True, cache=True, fastmath=True)
def distance_sums_per_cluster(X_t, labels, rows, n_clusters, squared):
    """For each row ``i`` in ``rows``: the sum of its distances to the points of each cluster.

    Parameters
    ----------
    X_t : (d, n) float64, the points transposed (contiguous per feature, so the inner loop
        runs over points and vectorises whatever d is).
    labels : (n,) int64 in ``[0, n_clusters)``.
    rows : (m,) int64, the rows whose sums are wanted.
    n_clusters : int
    squared : bool, sum half squared distances instead of distances (for cosine distance on
        unit-norm rows, where ``1 - cos = ||u - v||^2 / 2``).

    Returns
    -------
    sums : (m, n_clusters) float64; a row's distance to itself (zero) is included.
    """
    d, n = X_t.shape
    m = rows.shape[0]
    sums = np.zeros((m, n_clusters), dtype=np.float64)
    for r in prange(m):
        i = rows[r]
        buf = np.empty(COLUMN_BLOCK, dtype=np.float64)
        for start in range(0, n, COLUMN_BLOCK):
            stop = min(start + COLUMN_BLOCK, n)
            width = stop - start
            buf[:width] = 0.0
            for f in range(d):
                xf = X_t[f, i]
                for j in range(width):
                    diff = xf - X_t[f, start + j]
                    buf[j] += diff * diff
            if squared:
                for j in range(width):
                    sums[r, labels[start + j]] += 0.5 * buf[j]
            else:
                for j in range(width):
                    sums[r, labels[start + j]] += np.sqrt(buf[j])
    return sums
