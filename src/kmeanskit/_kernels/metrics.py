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
def distance_sums_per_cluster(X_t, offsets, rows, squared):
    """For each column ``i`` in ``rows``: the sum of its distances to the points of each cluster.

    Parameters
    ----------
    X_t : (d, n) float64, the points transposed and *sorted by cluster*: cluster ``c`` is the
        columns ``offsets[c]:offsets[c + 1]``. The inner loops then run over contiguous points
        of one cluster, vectorised whatever d is, and each cluster's sum is a plain reduction.
    offsets : (k + 1,) int64
    rows : (m,) int64, the columns whose sums are wanted.
    squared : bool, sum half squared distances instead of distances (for cosine distance on
        unit-norm rows, where ``1 - cos = ||u - v||^2 / 2``).

    Returns
    -------
    sums : (m, k) float64; a point's distance to itself (zero) is included.
    """
    d, n = X_t.shape
    k = offsets.shape[0] - 1
    m = rows.shape[0]
    sums = np.zeros((m, k), dtype=np.float64)
    for r in prange(m):
        i = rows[r]
        buf = np.empty(COLUMN_BLOCK, dtype=np.float64)
        for c in range(k):
            total = 0.0
            for start in range(offsets[c], offsets[c + 1], COLUMN_BLOCK):
                width = min(COLUMN_BLOCK, offsets[c + 1] - start)
                buf[:width] = 0.0
                for f in range(d):
                    xf = X_t[f, i]
                    for j in range(width):
                        diff = xf - X_t[f, start + j]
                        buf[j] += diff * diff
                if squared:
                    for j in range(width):
                        total += 0.5 * buf[j]
                else:
                    for j in range(width):
                        total += np.sqrt(buf[j])
            sums[r, c] = total
    return sums
