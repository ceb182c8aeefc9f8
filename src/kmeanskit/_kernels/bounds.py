"""Numba kernels for Hamerly's bound-based exact k-means (Hamerly 2010), dense data.

Each point keeps an upper bound on the distance to its own centre and a lower bound on the
distance to every other centre. When the upper bound is below both the lower bound and half
the distance from its centre to the nearest other centre, the point cannot change cluster and
no distance is computed. The points that fail the test are queued into a tile and searched
exactly as Lloyd does (GEMM + argmin, or Lloyd's own small-d kernel up to
``DIRECT_MAX_FEATURES``), so labels follow Lloyd's rounding; their new
bounds are widened by the expansion's worst-case rounding error so they remain true bounds.
Only the rows whose label changed update the clusters' sums, in row order, from the search
tile while the rows are in cache (the same sums as
:func:`kmeanskit._kernels.dense.accumulate_changes` would give): identical to Lloyd's recount
on the first pass, equal to rounding after it.
"""

import numpy as np
from numba import njit, prange

from .dense import (
    DIRECT_MAX_FEATURES,
    DIRECT_TILE_ROWS,
    _block_rows,
    _move_row,
    _shifted_chunk,
    direct_terms,
    tile_dots,
    tile_two_nearest,
    tile_two_nearest_direct,
    transposed_tile,
)


@njit(cache=True, inline="always")
def _search_tile(data, xbuf, xt, terms, m, pending, centers, c_sq, margin, tile, state, changes):
    """The two nearest centres of ``m`` queued rows; reset their bounds and labels, and move
    the rows whose label changed in the block's ``changes`` to the clusters' sums. Returns
    the number of label changes.

    ``data`` is ``(X, weights, x_shift)``, ``state`` is ``(labels, upper, lower)`` and
    ``changes`` is one block's ``(sums, cluster_weights, members)``. The rows are in ``xbuf``
    (one per row, for GEMM) or, when ``terms`` is not empty, in the transposed ``xt`` for
    Lloyd's small-d search (:func:`tile_two_nearest_direct`, the same values as
    :func:`kmeanskit._kernels.dense.tile_argmin_direct`). ``tile`` holds the buffers: the
    products, the nearest label, the two smallest values of ``||c||^2 - 2 x.c`` and three
    float64 rows (``||x||^2`` and the two new bounds).

    The queued rows are in row order, so moving them here, while they are in cache, gives
    the same sums as :func:`kmeanskit._kernels.dense.accumulate_changes` after the pass.
    """
    X, weights, x_shift = data
    labels, upper, lower = state
    sums, cluster_weights, members = changes
    dots_buf, nearest, v1, v2, x_sq, new_upper, new_lower = tile
    direct = terms.shape[0] > 0
    if direct:
        tile_two_nearest_direct(xt, m, terms, nearest, v1, v2)
    else:
        tile_two_nearest(tile_dots(xbuf, m, centers, dots_buf), c_sq, nearest, v1, v2)
    d = centers.shape[1]
    c_sq_max = 0.0
    for j in range(c_sq.shape[0]):
        c_sq_max = max(c_sq_max, np.float64(c_sq[j]))
    # the squared norms and the bounds a row at a time along the tile, so they vectorise
    for p in range(m):
        x_sq[p] = 0.0
    if direct:
        for f in range(d):
            row = xt[f]
            for p in range(m):
                value = np.float64(row[p])
                x_sq[p] += value * value
    else:
        for p in range(m):
            total = 0.0
            for f in range(d):
                value = np.float64(xbuf[p, f])
                total += value * value
            x_sq[p] = total
    for p in range(m):
        err = margin * (x_sq[p] + c_sq_max)
        new_upper[p] = np.sqrt(max(x_sq[p] + np.float64(v1[p]), 0.0) + err)
        new_lower[p] = np.sqrt(max(x_sq[p] + np.float64(v2[p]) - err, 0.0))
    changed = 0
    for p in range(m):
        i = pending[p]
        upper[i] = new_upper[p]
        lower[i] = new_lower[p]
        best = nearest[p]
        old = labels[i]
        if old != best:
            changed += 1
            labels[i] = best
            _move_row(X, x_shift, i, weights[i], old, best, sums, cluster_weights, members)
    return changed


@njit(parallel=True, cache=True)
def hamerly_pass(
    X,
    weights,
    x_shift,
    centers,
    c_sq,
    half_sep,
    moved,
    margin,
    labels,
    upper,
    lower,
    block_sums,
    block_weights,
    block_members,
    search_all,
    tile_rows,
):
    """One assignment pass with Hamerly's pruning, and its changes to the clusters' sums.

    A label of -1 (the first pass) forces a search; ``search_all`` searches every row without
    tightening bounds (cheaper when most rows would fail the test anyway). ``moved`` (k,) is
    how far each centre moved since the last pass (zeros on the first): each row's bounds are
    loosened by it as the row is read (:func:`loosened_bounds`), so no pass of its own goes
    over them. ``margin`` times
    ``||x||^2 + max ||c||^2`` bounds the rounding error of the GEMM expansion. ``block_sums``,
    ``block_weights`` and ``block_members`` receive each block's changes to the clusters'
    sums, as :func:`kmeanskit._kernels.dense.accumulate_changes` would give them. Returns the
    number of label changes and the number of rows that failed their bounds (under
    ``search_all``: failed the loose test).
    """
    n, d = X.shape
    k = centers.shape[0]
    n_blocks = block_weights.shape[0]
    changed = np.zeros(n_blocks, dtype=np.int64)
    searched = np.zeros(n_blocks, dtype=np.int64)
    pruned = np.zeros(n_blocks, dtype=np.int64)
    direct = d <= DIRECT_MAX_FEATURES  # searched as Lloyd does, without BLAS
    if direct:
        tile_rows = DIRECT_TILE_ROWS
    terms = direct_terms(centers, c_sq) if direct else np.zeros((0, 0), dtype=X.dtype)
    padded = terms.shape[1] - 1
    farthest, runner_up = _two_largest(moved)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        xbuf = np.empty((0 if direct else tile_rows, d), dtype=X.dtype)
        xt = np.zeros((padded, tile_rows) if direct else (0, 0), dtype=X.dtype)
        tile = (
            np.empty(0 if direct else k * tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=np.int32),
            np.empty(tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=np.float64),
            np.empty(tile_rows, dtype=np.float64),
            np.empty(tile_rows, dtype=np.float64),
        )
        pending = np.empty(tile_rows, dtype=np.int64)
        changes = (block_sums[b], block_weights[b], block_members[b])
        # this block's changes, filled as its tiles are searched
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
        block_members[b, :] = 0
        # counted in locals: neighbouring blocks' counters share a cache line
        block_changed = 0
        block_searched = 0
        block_pruned = 0
        i = start
        while i < stop:
            m = 0  # queue the rows that fail their bounds, up to a tile of them
            if search_all:  # every row: the next tile of rows, copied as Lloyd copies it
                m = min(tile_rows, stop - i)
                for p in range(m):
                    a = labels[i + p]
                    if a >= 0:  # count the rows that would pass the loose test
                        u, low = loosened_bounds(upper, lower, i + p, a, moved, farthest, runner_up)
                        block_pruned += u <= max(half_sep[a], low)
                    pending[p] = i + p
                if direct:
                    transposed_tile(X, x_shift, i, m, xt)
                else:
                    _shifted_chunk(X, x_shift, i, m, xbuf)
                i += m
            while i < stop and m < tile_rows:
                a = labels[i]
                search = a < 0
                if not search:
                    u, low = loosened_bounds(upper, lower, i, a, moved, farthest, runner_up)
                    bound = max(half_sep[a], low)
                    if u > bound:
                        s = 0.0
                        for f in range(d):
                            diff = np.float64(X[i, f] - x_shift[f]) - np.float64(centers[a, f])
                            s += diff * diff
                        u = np.sqrt(s)
                        search = u > bound
                    upper[i] = u  # a searched row's bounds are reset by the search
                    lower[i] = low
                if search:
                    if direct:
                        for f in range(d):
                            xt[f, m] = X[i, f] - x_shift[f]
                    else:
                        for f in range(d):
                            xbuf[m, f] = X[i, f] - x_shift[f]
                    pending[m] = i
                    m += 1
                i += 1
            if m > 0:
                block_changed += _search_tile(
                    (X, weights, x_shift),
                    xbuf,
                    xt,
                    terms,
                    m,
                    pending,
                    centers,
                    c_sq,
                    margin,
                    tile,
                    (labels, upper, lower),
                    changes,
                )
                block_searched += m
        changed[b] = block_changed
        searched[b] = block_searched
        pruned[b] = block_pruned
    return changed.sum(), searched.sum() - pruned.sum()


@njit(parallel=True, cache=True)
def half_separations(centers):
    """Half the distance from every centre to its nearest other centre (inf when k == 1).

    Squared distances are summed from float64 differences, so nothing cancels (the GEMM
    expansion loses digits for close centres); the result is shrunk by 1e-12 relative so
    the rounding of the sum and the square root cannot take it past the true value. The
    features are the outer loop and the other centres the inner, contiguous one, so it
    vectorises: 2.7 ms for k = 1024, d = 32 on the 2-core machine, against 7-14 ms for the
    numpy expansion it replaced (which also left OpenBLAS's threads spinning against the
    next pass).

    Examples
    --------
    >>> half_separations(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 6.0]]))
    array([2.5, 1. , 1. ])
    """
    k, d = centers.shape
    columns = np.empty((d, k), dtype=np.float64)
    for f in range(d):
        for j in range(k):
            columns[f, j] = centers[j, f]
    out = np.empty(k, dtype=np.float64)
    for i in prange(k):
        sq = np.zeros(k, dtype=np.float64)
        for f in range(d):
            own = columns[f, i]
            column = columns[f]
            for j in range(k):
                diff = own - column[j]
                sq[j] += diff * diff
        sq[i] = np.inf
        nearest = np.inf
        for j in range(k):
            nearest = min(nearest, sq[j])
        out[i] = 0.5 * np.sqrt(nearest) * (1.0 - 1e-12)
    return out


@njit(cache=True, inline="always")
def _two_largest(moved):
    """The centre that moved farthest, and the largest move of any other centre (0 if none)."""
    k = moved.shape[0]
    farthest = 0
    for j in range(1, k):
        if moved[j] > moved[farthest]:
            farthest = j
    runner_up = 0.0
    for j in range(k):
        if j != farthest and moved[j] > runner_up:
            runner_up = moved[j]
    return farthest, runner_up


@njit(cache=True, inline="always")
def loosened_bounds(upper, lower, i, a, moved, farthest, runner_up):
    """Row ``i``'s bounds after the centres moved by ``moved`` (``farthest`` and
    ``runner_up`` from :func:`_two_largest`): its own centre ``a`` may be ``moved[a]``
    farther, every other centre nearer by at most the largest move among them."""
    return upper[i] + moved[a], lower[i] - (runner_up if a == farthest else moved[farthest])
