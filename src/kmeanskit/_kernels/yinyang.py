"""Numba kernels for Yinyang k-means (Ding et al. 2015), dense data.

The centres are split into groups (centres sorted by group: ``members[group_start[g]:
group_start[g + 1]]``). Each point keeps an upper bound on the distance to its own centre
and, per group, a lower bound on the distance to every centre of the group other than its
own (float32, rounded down, so n x groups x 4 bytes). After the centres move, a group's bound
drops by the largest move in the group, not by the largest move overall as in Hamerly's
single bound, so far more points are confirmed without computing a distance; a point that
fails searches only the groups whose bound is below its upper bound, and within a group
skips the centres that its old bound minus their move already rules out (the local filter).

Searched distances are computed directly in float64 (no expansion, no cancellation). Rows
that have no bounds yet, or whose open groups hold more than ``max_direct`` centres, go
through the same GEMM tile and argmin as Lloyd, and their bounds are reset from it, widened
by the expansion's worst-case rounding error. Bounds are drifted lazily: the kernel applies
last iteration's moves to a row as it reads its bounds, so there is no extra pass over them.
As in Hamerly's pass, only the rows whose label changed update the clusters' sums
(:func:`kmeanskit._kernels.dense.accumulate_changes`).
"""

import numpy as np
from numba import njit, prange

from .dense import (
    _block_rows,
    accumulate_changes,
    error_reach,
    primed_tile,
    tile_values,
    two_nearest_of_rows,
)

_ROUND_DOWN = 1.0 - 1e-6
"""Float32 bounds are stored scaled by this, so rounding to float32 never raises them."""


@njit(cache=True, inline="always")
def _store_lower(v):
    """A float32 lower bound no larger than ``v`` (and never negative)."""
    if v <= 0.0:
        return np.float32(0.0)
    return np.float32(v * _ROUND_DOWN)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _sq_dist(x, centers, p):
    """Squared Euclidean distance between the float64 row ``x`` and ``centers[p]``."""
    s = 0.0
    for f in range(x.shape[0]):
        diff = x[f] - centers[p, f]
        s += diff * diff
    return s


@njit(cache=True, inline="always")
def _search_tile(
    xbuf, m, pending, centers, c_sq, members, group_start, margin, tile, labels, upper, lower
):
    """GEMM + argmin for ``m`` queued rows, as Lloyd; reset all their bounds. Returns changes.

    ``centers`` and ``c_sq`` are in group order, so each group's values are consecutive
    rows of the tile; every loop over the tile's rows is innermost and compiles to SIMD
    selects, as in :func:`kmeanskit._kernels.dense.tile_argmin`. Ties go to the lower centre
    index, as in Lloyd's argmin (``members`` is ascending within a group). ``tile`` holds the
    buffers: the primed tile of values (:func:`kmeanskit._kernels.dense.primed_tile`); per
    group and row the two smallest values of ``||c||^2 - 2 x.c`` and the tile row (position
    in group order) of the nearest centre; per row the nearest centre overall, its value and
    its group.
    """
    values, g_min, g_second, g_label, nearest, nearest_v, nearest_g = tile
    k = c_sq.shape[0]
    d = xbuf.shape[1]
    n_groups = group_start.shape[0] - 1
    tile_values(xbuf, m, centers, values)
    for g in range(n_groups):  # per group: its nearest row of the tile, and the two values
        two_nearest_of_rows(
            values, m, c_sq, group_start[g], group_start[g + 1], g_label[g], g_min[g], g_second[g]
        )
    for p in range(m):
        nearest_v[p] = g_min[0, p]
        nearest[p] = members[g_label[0, p]]
        nearest_g[p] = 0
    for g in range(1, n_groups):
        group = np.int32(g)
        for p in range(m):
            v = g_min[g, p]
            label = np.int32(members[g_label[g, p]])
            old = nearest_v[p]
            closer = (v < old) | ((v == old) & (label < nearest[p]))
            nearest[p] = label if closer else nearest[p]
            nearest_g[p] = group if closer else nearest_g[p]
            nearest_v[p] = v if closer else old
    c_sq_max = 0.0
    for q in range(k):
        c_sq_max = max(c_sq_max, np.float64(c_sq[q]))
    changed = 0
    for p in range(m):
        x_sq = 0.0
        for f in range(d):
            x_sq += np.float64(xbuf[p, f]) * np.float64(xbuf[p, f])
        i = pending[p]
        best = nearest[p]
        # the nearest's own norm bounds its error; a group's, the norms within reach
        upper[i] = np.sqrt(
            max(x_sq + np.float64(nearest_v[p]), 0.0) + margin * (x_sq + np.float64(c_sq[best]))
        )
        best_g = nearest_g[p]
        err_max = margin * (x_sq + c_sq_max)
        for g in range(n_groups):
            vg = x_sq + np.float64(g_second[g, p] if g == best_g else g_min[g, p])
            err = err_max
            if err > 1e-3 * vg:  # only then does the reach matter
                err = margin * (x_sq + min(c_sq_max, error_reach(x_sq, vg)))
            lower[i, g] = _store_lower(np.sqrt(max(vg - err, 0.0)))
        if labels[i] != best:
            changed += 1
            labels[i] = best
    return changed


@njit(cache=True)
def _group_search(
    x, a, u_sq, lb, group_drift, moved, centers64, group_of, members, group_start, lower_row
):
    """Search the groups that may hold a centre nearer than ``a`` (squared distance ``u_sq``).

    ``lb`` holds the row's group bounds after this iteration's drift; ``lower_row`` receives
    the new bounds. Distances are compared squared; square roots are taken per group.
    Returns the new label, its exact distance and the number of distances computed.
    """
    n_groups = group_start.shape[0] - 1
    u = np.sqrt(u_sq)
    best = a
    best_d = u
    best_sq = u_sq  # compared exactly, so that exact ties go to the lowest index as in Lloyd
    best_group = -1  # the group of the best so far, when it is not a
    for g in range(n_groups):
        lower_row[g] = _store_lower(lb[g])
    computed = 0
    for g in range(n_groups):
        if lb[g] > best_d:  # an exact tie may still hold a lower index: search it
            continue
        lb_old = lb[g] + group_drift[g]  # the bound before drifting, for the local filter
        m1 = np.inf  # squared distances in this group: nearest, and a bound on the rest
        m1j = -1
        m2 = np.inf
        for q in range(group_start[g], group_start[g + 1]):
            j = members[q]
            if j == a:
                continue
            floor = lb_old - moved[j]  # no nearer than this: it was >= lb_old, moved[j] since
            if floor > best_d:
                m2 = min(m2, floor * floor)  # a bound for the group, never a candidate
                continue
            s = _sq_dist(x, centers64, q)
            computed += 1
            m1j = j if s < m1 else m1j
            m2 = min(m2, max(m1, s))
            m1 = min(m1, s)
        if m1 < best_sq or (m1 == best_sq and m1j < best):  # ties: lowest index, as Lloyd
            if best_group >= 0:  # the previous winner becomes one of its group's others
                lower_row[best_group] = _store_lower(min(np.float64(lower_row[best_group]), best_d))
            best = m1j
            best_sq = m1
            best_d = np.sqrt(m1)
            best_group = g
            lower_row[g] = _store_lower(np.sqrt(m2))
        else:
            lower_row[g] = _store_lower(np.sqrt(min(m1, m2)))
    if best != a:
        # a's own group never counted a; now it is one of the others
        ga = group_of[a]
        lower_row[ga] = _store_lower(min(np.float64(lower_row[ga]), u))
    return best, best_d, computed


@njit(parallel=True, cache=True)
def yinyang_pass(
    X,
    weights,
    x_shift,
    centers,
    c_sq,
    centers64,
    position,
    group_of,
    members,
    group_start,
    half_sep,
    moved,
    group_drift,
    margin,
    labels,
    upper,
    lower,
    block_sums,
    block_weights,
    block_members,
    max_direct,
    tile_rows,
):
    """One assignment pass with Yinyang's filters, and its changes to the clusters' sums.

    Parameters
    ----------
    X, weights, x_shift, labels, tile_rows
        As :func:`kmeanskit._kernels.dense.lloyd_pass`.
    block_sums, block_weights, block_members
        Each block's changes to the clusters' sums, weights and members
        (:func:`kmeanskit._kernels.dense.accumulate_changes`).
    centers, c_sq : (k, d) and (k,), the centres and their squared norms in the data's dtype,
        in group order (``centers[members]``).
    centers64 : the same centres in float64.
    position : (k,) int64, each centre's row in the group order.
    group_of : (k,) int64, each centre's group.
    members, group_start : the groups (see the module docstring).
    half_sep : (k,) float64, half the distance from each centre to its nearest other centre.
    moved, group_drift : (k,) and (groups,) float64, how far each centre and, at most, each
        group's centres moved since the last pass (zeros on the first pass).
    margin : float, relative rounding error of the GEMM expansion (see hamerly).
    upper : (n,) float64, lower : (n, groups) float32 bounds, updated in place.
    max_direct : int, a row whose open groups hold more centres than this is searched through
        the GEMM tile (a distance there costs a fraction of a directly computed one).

    Returns
    -------
    n_changed : int, rows whose label changed.
    direct : int, distances computed one by one.
    tiled : int, rows searched through the GEMM tile.
    """
    n, d = X.shape
    n_groups = group_start.shape[0] - 1
    n_blocks = block_weights.shape[0]
    changed = np.zeros(n_blocks, dtype=np.int64)
    direct = np.zeros(n_blocks, dtype=np.int64)
    tiled = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        xbuf = np.empty((tile_rows, d), dtype=X.dtype)
        tile = (
            primed_tile(c_sq, tile_rows, True),
            np.empty((n_groups, tile_rows), dtype=X.dtype),
            np.empty((n_groups, tile_rows), dtype=X.dtype),
            np.empty((n_groups, tile_rows), dtype=np.int32),
            np.empty(tile_rows, dtype=np.int32),
            np.empty(tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=np.int32),
        )
        pending = np.empty(tile_rows, dtype=np.int64)
        x = np.empty(d, dtype=np.float64)
        lb = np.empty(n_groups, dtype=np.float64)
        previous = labels[start:stop].copy()
        m = 0
        for i in range(start, stop):
            a = labels[i]
            search = a < 0
            if not search:
                u = upper[i] + moved[a]
                glob = np.inf
                for g in range(n_groups):
                    lb[g] = np.float64(lower[i, g]) - group_drift[g]
                    glob = min(glob, lb[g])
                bound = max(glob, half_sep[a])
                if u > bound:
                    for f in range(d):
                        x[f] = np.float64(X[i, f] - x_shift[f])
                    u_sq = _sq_dist(x, centers64, position[a])
                    u = np.sqrt(u_sq)
                    direct[b] += 1
                if u <= bound:
                    upper[i] = u
                    for g in range(n_groups):
                        lower[i, g] = _store_lower(lb[g])
                else:
                    open_centres = 0
                    for g in range(n_groups):
                        if lb[g] < u:
                            open_centres += group_start[g + 1] - group_start[g]
                    if open_centres > max_direct:
                        search = True
                    else:
                        best, best_d, computed = _group_search(
                            x,
                            a,
                            u_sq,
                            lb,
                            group_drift,
                            moved,
                            centers64,
                            group_of,
                            members,
                            group_start,
                            lower[i],
                        )
                        direct[b] += computed
                        upper[i] = best_d
                        if best != a:
                            labels[i] = best
                            changed[b] += 1
            if search:
                for f in range(d):
                    xbuf[m, f] = X[i, f] - x_shift[f]
                pending[m] = i
                m += 1
            if m == tile_rows or (m > 0 and i == stop - 1):  # a full tile, or the block's end
                changed[b] += _search_tile(
                    xbuf,
                    m,
                    pending,
                    centers,
                    c_sq,
                    members,
                    group_start,
                    margin,
                    tile,
                    labels,
                    upper,
                    lower,
                )
                tiled[b] += m
                m = 0
        accumulate_changes(
            X,
            weights,
            x_shift,
            previous,
            labels,
            start,
            stop,
            block_sums[b],
            block_weights[b],
            block_members[b],
        )
    return changed.sum(), direct.sum(), tiled.sum()
