"""Numba kernels for CSR sparse data (``data``, ``indices``, ``indptr`` arrays).

Same contract and same block decomposition as :mod:`kmeanskit._kernels.dense`; sparse data
is never centred (that would make it dense), so there is no shift.
"""

import numpy as np
from numba import njit, prange

from .dense import _block_rows


@njit(cache=True, inline="always")
def _centre_sq_norms(centers):
    k, d = centers.shape
    c_sq = np.zeros(k, dtype=centers.dtype)
    for j in range(k):
        for f in range(d):
            c_sq[j] += centers[j, f] * centers[j, f]
    return c_sq


@njit(parallel=True, cache=True)
def lloyd_pass(
    data, indices, indptr, weights, centers, c_sq, labels, block_sums, block_weights, update
):
    """Assign every row to its nearest centre and, if ``update``, accumulate weighted sums.

    Distances are ``||c||^2 - 2 x . c``; ``x . c`` for all k centres is accumulated over the
    row's non-zeros from the transposed centres, so each non-zero reads one contiguous row.
    """
    n = indptr.shape[0] - 1
    k = centers.shape[0]
    n_blocks = block_weights.shape[0]
    centers_t = np.ascontiguousarray(centers.T)
    changed = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        dots = np.empty(k, dtype=centers.dtype)
        if update:
            block_sums[b, :, :] = 0.0
            block_weights[b, :] = 0.0
        for row in range(start, stop):
            dots[:] = 0.0
            for p in range(indptr[row], indptr[row + 1]):
                v = data[p]
                col = indices[p]
                for j in range(k):
                    dots[j] += v * centers_t[col, j]
            best = 0
            best_dist = c_sq[0] - 2 * dots[0]
            for j in range(1, k):
                dist = c_sq[j] - 2 * dots[j]
                if dist < best_dist:
                    best_dist = dist
                    best = j
            if labels[row] != best:
                changed[b] += 1
                labels[row] = best
            if update:
                w = weights[row]
                block_weights[b, best] += w
                for p in range(indptr[row], indptr[row + 1]):
                    block_sums[b, best, indices[p]] += w * data[p]
    return changed.sum()


@njit(cache=True, inline="always")
def _row_sq_dist(data, indices, indptr, row, centers, c, c_sq):
    """||x_row - centers[c]||^2 in float64 as ||c||^2 + sum over non-zeros of (x-c)^2 - c^2."""
    s = np.float64(c_sq[c])
    for p in range(indptr[row], indptr[row + 1]):
        cv = np.float64(centers[c, indices[p]])
        diff = np.float64(data[p]) - cv
        s += diff * diff - cv * cv
    return max(s, 0.0)


@njit(parallel=True, cache=True)
def inertia(data, indices, indptr, weights, centers, labels, n_blocks):
    """Weighted sum of squared distances of each row to its assigned centre (float64)."""
    n = indptr.shape[0] - 1
    c_sq = _centre_sq_norms(centers)
    partial = np.zeros(n_blocks, dtype=np.float64)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        acc = 0.0
        for row in range(start, stop):
            acc += weights[row] * _row_sq_dist(
                data, indices, indptr, row, centers, labels[row], c_sq
            )
        partial[b] = acc
    total = 0.0
    for b in range(n_blocks):
        total += partial[b]
    return total


@njit(parallel=True, cache=True)
def sq_dist_to_assigned(data, indices, indptr, centers, labels):
    """Squared distance (float64) of each row to its assigned centre."""
    n = indptr.shape[0] - 1
    c_sq = _centre_sq_norms(centers)
    out = np.empty(n, dtype=np.float64)
    for row in prange(n):
        out[row] = _row_sq_dist(data, indices, indptr, row, centers, labels[row], c_sq)
    return out


@njit(parallel=True, cache=True)
def sq_distances(data, indices, indptr, centers):
    """(n, k) squared Euclidean distances, for ``transform``."""
    n = indptr.shape[0] - 1
    k = centers.shape[0]
    c_sq = _centre_sq_norms(centers)
    out = np.empty((n, k), dtype=centers.dtype)
    for row in prange(n):
        for j in range(k):
            out[row, j] = _row_sq_dist(data, indices, indptr, row, centers, j, c_sq)
    return out


@njit(parallel=True, cache=True)
def two_nearest(data, indices, indptr, centers):
    """Index of the nearest centre, and the squared distances (float64) to the nearest and
    the second-nearest, for every row."""
    n = indptr.shape[0] - 1
    k = centers.shape[0]
    c_sq = _centre_sq_norms(centers)
    labels = np.empty(n, dtype=np.int64)
    nearest = np.empty(n, dtype=np.float64)
    second = np.empty(n, dtype=np.float64)
    for row in prange(n):
        best, best_d, second_d = 0, np.inf, np.inf
        for j in range(k):
            dist = _row_sq_dist(data, indices, indptr, row, centers, j, c_sq)
            if dist < best_d:
                best, second_d, best_d = j, best_d, dist
            elif dist < second_d:
                second_d = dist
        labels[row] = best
        nearest[row] = best_d
        second[row] = second_d
    return labels, nearest, second
