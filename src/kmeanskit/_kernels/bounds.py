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
    error_reach,
    primed_tile,
    tile_two_nearest,
    tile_two_nearest_direct,
    tile_values,
    transposed_tile,
)
from .yinyang import _store_lower


@njit(cache=True, inline="always")
def _search_tile(data, xbuf, xt, terms, m, pending, centers, c_sq, margin, tile, state, changes):
    """The two nearest centres of ``m`` queued rows; reset their bounds and labels, and move
    the rows whose label changed in the block's ``changes`` to the clusters' sums. Returns
    the number of label changes.

    ``data`` is ``(X, weights, x_shift, row_sq)`` (``row_sq``: every row's squared norm,
    filled by the first pass, see :func:`_tile_bounds`), ``state`` is
    ``(labels, upper, lower)`` and
    ``changes`` is one block's ``(sums, cluster_weights, members)``. The rows are in ``xbuf``
    (one per row, for GEMM) or, when ``terms`` is not empty, in the transposed ``xt`` for
    Lloyd's small-d search (:func:`tile_two_nearest_direct`, the same values as
    :func:`kmeanskit._kernels.dense.tile_argmin_direct`). ``tile`` holds the buffers: the
    primed tile of values (:func:`kmeanskit._kernels.dense.primed_tile`), the nearest label,
    the two smallest values of ``||c||^2 - 2 x.c`` and three float64 rows (the rows'
    ``||x||^2`` and the two new bounds).

    The queued rows are in row order, so moving them here, while they are in cache, gives
    the same sums as :func:`kmeanskit._kernels.dense.accumulate_changes` after the pass.
    """
    X, weights, x_shift, row_sq = data
    labels, upper, lower = state
    sums, cluster_weights, members = changes
    values, nearest, v1, v2, x_sq, new_upper, new_lower = tile
    direct = terms.shape[0] > 0
    if direct:
        tile_two_nearest_direct(xt, m, terms, nearest, v1, v2)
    else:
        tile_two_nearest(tile_values(xbuf, m, centers, values), m, c_sq, nearest, v1, v2)
    rows = (xbuf, xt, pending, row_sq, labels[pending[0]] < 0)
    _tile_bounds(rows, m, c_sq, nearest, v1, v2, margin, x_sq, new_upper, new_lower)
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


@njit(cache=True)
def _tile_bounds(rows, m, c_sq, nearest, v1, v2, margin, x_sq, new_upper, new_lower):
    """The new bounds of a searched tile's ``m`` rows (in ``new_upper``, ``new_lower``) from
    their two smallest values ``v1``, ``v2`` of ``||c||^2 - 2 x.c`` and their nearest
    centres; ``x_sq`` receives the rows' squared norms.

    ``rows`` is ``(xbuf, xt, pending, row_sq, first)``. In the first pass (``first``: the
    rows have no label yet) the norms are summed from the tile (``xbuf``, one row per row,
    or the transposed ``xt`` when ``xbuf`` is empty) and kept in ``row_sq`` at the rows'
    indices ``pending``; later passes read them from there. Measured on the 2-core machine:
    the sums cost 1.1 of 2.8 ms per 512k rows of this function at d = 16.

    Compiled on its own rather than inlined into the pass's parallel loop, and with the
    nearest centres' norms gathered in a loop of their own: the bounds' loop then
    vectorises. Measured (alternated processes, median of 15 same-init fits, 4 rounds),
    blobs-500k-d16-k32: 0.093 against 0.0965 s."""
    xbuf, xt, pending, row_sq, first = rows
    if first:  # along the tile a feature at a time, so the sums vectorise
        for p in range(m):
            x_sq[p] = 0.0
        if xbuf.shape[0] == 0:
            for f in range(xt.shape[0]):
                row = xt[f]
                for p in range(m):
                    value = np.float64(row[p])
                    x_sq[p] += value * value
        else:
            for p in range(m):
                total = 0.0
                for f in range(xbuf.shape[1]):
                    value = np.float64(xbuf[p, f])
                    total += value * value
                x_sq[p] = total
        for p in range(m):
            row_sq[pending[p]] = x_sq[p]
    else:
        for p in range(m):
            x_sq[p] = row_sq[pending[p]]
    c_sq_max = 0.0
    for j in range(c_sq.shape[0]):
        c_sq_max = max(c_sq_max, np.float64(c_sq[j]))
    for p in range(m):  # gathered apart: a gather kept the loop below from vectorising
        new_upper[p] = c_sq[nearest[p]]
    for p in range(m):
        upper_sq = x_sq[p] + np.float64(v1[p])
        second_sq = x_sq[p] + np.float64(v2[p])
        # the expansion errs by up to margin (||x||^2 + ||c||^2) on a centre's value: the
        # nearest's own norm bounds its error; for the others, see error_reach
        reach_sq = error_reach(x_sq[p], second_sq)
        new_upper[p] = np.sqrt(max(upper_sq, 0.0) + margin * (x_sq[p] + new_upper[p]))
        err = margin * (x_sq[p] + min(c_sq_max, reach_sq))
        new_lower[p] = np.sqrt(max(second_sq - err, 0.0))


@njit(cache=True, fastmath={"reassoc", "contract"})
def _sq_distance(x, centers, j):
    """Squared distance between the shifted row ``x`` and ``centers[j]``, summed from
    differences (no cancellation) in their dtype, reassociated so it vectorises over the
    features: float32 rows are summed in float32, twice as wide as float64. Its relative
    error is below ``(d + 4) eps`` of the dtype (a rounding per difference and per square,
    ``d - 1`` per sum of non-negative terms), which the callers' ``margin`` covers."""
    s = x[0] - x[0]  # a zero of the row's dtype (rows are finite)
    for f in range(x.shape[0]):
        diff = x[f] - centers[j, f]
        s += diff * diff
    return np.float64(s)


@njit(cache=True)
def _search_neighbours(x, a, a_sq, u, centers, margin, neighbours):
    """The nearest centre to row ``x`` among its centre ``a`` (computed squared distance
    ``a_sq``, ``u`` no less than the true distance) and ``a``'s listed neighbours within
    ``2u`` of ``a``; no other centre can be nearer (see :func:`centre_neighbours`, whose
    output ``neighbours`` is, less its ``half_sep``). Callers make sure ``2u < beyond[a]``.
    Ties go to the lower index; two centres whose distances agree to ``margin`` relative are
    a near-tie, which may go the other way than Lloyd's expansion takes it.

    Returns the nearest centre, an upper bound on its distance and a lower bound on the
    distance to every other centre: the second nearest of those computed, or the nearest
    of those ruled out less ``u``, whichever is smaller (both widened by ``margin``, the
    relative error of :func:`_sq_distance`).
    """
    listed, listed_distance, count, beyond = neighbours
    limit = 2.0 * u
    best = a
    best_sq = a_sq
    second_sq = np.inf
    ruled_out = beyond[a]  # no centre left out of the list is nearer to a than this
    for q in range(count[a]):  # nearest first
        distance = np.float64(listed_distance[a, q])
        if distance > limit:  # it and all after it are too far from a to be nearer to x
            ruled_out = distance
            break
        j = listed[a, q]
        s = _sq_distance(x, centers, j)
        if s < best_sq or (s == best_sq and j < best):
            second_sq = best_sq
            best_sq = s
            best = j
        else:
            second_sq = min(second_sq, s)
    upper = np.sqrt(best_sq * (1.0 + margin))
    return best, upper, min(np.sqrt(second_sq * (1.0 - margin)), ruled_out - u)


@njit(parallel=True, cache=True)
def hamerly_pass(
    X,
    weights,
    x_shift,
    row_sq,
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
    neighbours,
    far,
):
    """One assignment pass with Hamerly's pruning, and its changes to the clusters' sums.

    A label of -1 (the first pass) forces a search; ``search_all`` searches every row without
    tightening bounds (cheaper when most rows would fail the test anyway). ``moved`` (k,) is
    how far each centre moved since the last pass (zeros on the first): each row's bounds are
    loosened by it as the row is read (:func:`loosened_bounds`), so no pass of its own goes
    over them. ``row_sq`` (n,) holds every row's squared norm, filled by the first pass.
    ``margin``
    times ``||x||^2 + ||c||^2`` bounds the rounding error of the GEMM expansion, and
    ``margin`` relative that of a distance summed from differences (:func:`_sq_distance`,
    which tightens a row's upper bound). ``block_sums``,
    ``block_weights`` and ``block_members`` receive each block's changes to the clusters'
    sums, as :func:`kmeanskit._kernels.dense.accumulate_changes` would give them.
    ``neighbours`` is ``(listed, listed_distance, count, beyond)`` from
    :func:`centre_neighbours`, or empty arrays for none. With lists, a row that fails its
    test and whose ``2u`` stays below ``beyond[a]`` is searched directly among its centre's
    neighbours within ``2u`` (:func:`_search_neighbours`: distances from differences, so a
    near tie may go the other way than Lloyd's expansion takes it); one whose ``2u`` reaches
    past the list is tested again with the distances to the centres that moved farthest,
    ``far = (movers, tau)`` from :func:`far_movers` (an empty ``movers``: none), and goes to
    the tile only if it fails (:func:`bound_past_far_movers`). Returns the number of label
    changes and the number of rows that failed their bounds (under ``search_all``: failed
    the loose test).
    """
    n, d = X.shape
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
    listed_first = neighbours[0].shape[1] > 0
    movers, tau = far  # rows that reach past their list test these before the tile
    beyond = neighbours[3]
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        xbuf = np.empty((0 if direct else tile_rows, d), dtype=X.dtype)
        xt = np.zeros((padded, tile_rows) if direct else (0, 0), dtype=X.dtype)
        tile = (
            primed_tile(c_sq, tile_rows, not direct),
            np.empty(tile_rows, dtype=np.int32),
            np.empty(tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=X.dtype),
            np.empty(tile_rows, dtype=np.float64),
            np.empty(tile_rows, dtype=np.float64),
            np.empty(tile_rows, dtype=np.float64),
        )
        pending = np.empty(tile_rows, dtype=np.int64)
        x = np.empty(d, dtype=X.dtype)  # a row being tightened or searched directly
        sums, cluster_weights, members = block_sums[b], block_weights[b], block_members[b]
        changes = (sums, cluster_weights, members)
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
                        for f in range(d):
                            x[f] = X[i, f] - x_shift[f]
                        a_sq = _sq_distance(x, centers, a)
                        u = np.sqrt(a_sq * (1.0 + margin))  # no less than the true distance
                        search = u > bound
                        if search and listed_first and 2.0 * u < beyond[a]:
                            best, u, low = _search_neighbours(
                                x, a, a_sq, u, centers, margin, neighbours
                            )
                            search = False
                            if best != a:
                                block_changed += 1
                                labels[i] = best
                                _move_row(
                                    X,
                                    x_shift,
                                    i,
                                    weights[i],
                                    a,
                                    best,
                                    sums,
                                    cluster_weights,
                                    members,
                                )
                        elif search and movers.shape[0] > 0:  # past the list: before the tile
                            low = bound_past_far_movers(
                                x, a, lower[i], tau, centers, margin, movers
                            )
                            search = u > max(half_sep[a], low)
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
                    (X, weights, x_shift, row_sq),
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


@njit(cache=True, inline="always")
def _feature_columns(centers, dtype):
    """The centres in ``dtype``, features first: ``columns[f, j]`` is centre ``j``'s feature f."""
    k, d = centers.shape
    columns = np.empty((d, k), dtype=dtype)
    for f in range(d):
        for j in range(k):
            columns[f, j] = centers[j, f]
    return columns


@njit(cache=True, inline="always")
def _sq_distances_from(columns, i, sq):
    """Squared distances from centre ``i`` to every centre into ``sq`` (``inf`` for ``i``).

    Summed from differences in the columns' dtype, so nothing cancels (the GEMM expansion
    loses digits for close centres); relative error below ``(d + 4) eps``. The features are
    the outer loop and the centres the inner, contiguous one, so it vectorises."""
    d, k = columns.shape
    for j in range(k):
        sq[j] = 0.0
    for f in range(d):
        own = columns[f, i]
        column = columns[f]
        for j in range(k):
            diff = own - column[j]
            sq[j] += diff * diff
    sq[i] = np.inf


_INF_BITS = np.array([np.inf]).view(np.int64)[0]


@njit(cache=True)
def _as_float(bits):
    """The float64 whose bit pattern is the int64 ``bits``."""
    box = np.empty(1, dtype=np.int64)
    box[0] = bits
    return box.view(np.float64)[0]


@njit(cache=True)
def _nearest_and_farthest(sq):
    """The smallest value of ``sq`` and its largest finite one (0 if none), SIMD-wide.

    ``sq`` holds no NaN and no negative value, whose bit patterns order as int64s do: numba
    compiles an int64 min/max to SIMD, a float one (with its NaN rules, even under fastmath)
    to a scalar chain, 0.1 against 1 us for 1024 values. Not inlined: numba compiles an
    inlined function in a prange body without its own flags and vectorisation."""
    bits = sq.view(np.int64)
    nearest = _INF_BITS
    farthest = np.int64(0)
    for j in range(bits.shape[0]):
        value = bits[j]
        nearest = min(nearest, value)
        farthest = max(farthest, value if value < _INF_BITS else np.int64(0))
    return _as_float(nearest), _as_float(farthest)


@njit(parallel=True, cache=True)
def half_separations(centers):
    """Half the distance from every centre to its nearest other centre (inf when k == 1).

    The squared distances come from :func:`_sq_distances_from`; the result is shrunk by
    1e-12 relative so the rounding of the sum and the square root cannot take it past the
    true value. 2.7 ms for k = 1024, d = 32 on the 2-core machine, against 7-14 ms for the
    numpy expansion it replaced (which also left OpenBLAS's threads spinning against the
    next pass).

    Examples
    --------
    >>> half_separations(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 6.0]]))
    array([2.5, 1. , 1. ])
    """
    k = centers.shape[0]
    columns = _feature_columns(centers, np.float64)
    out = np.empty(k, dtype=np.float64)
    for i in prange(k):
        sq = np.empty(k, dtype=np.float64)
        _sq_distances_from(columns, i, sq)
        nearest, _ = _nearest_and_farthest(sq)
        out[i] = 0.5 * np.sqrt(nearest) * (1.0 - 1e-12)
    return out


_BISECTION_STEPS = 10
"""Halvings of the ratio between the squared radii of a centre's nearest and farthest other
centre (of the range while the nearest is at 0), to find the radius that lists its
neighbours: the list may miss those within ~1/1000 of that ratio's logarithm."""


@njit(cache=True)
def _count_below(sq, threshold):
    """How many values of ``sq`` are below ``threshold`` (branch-free, so it vectorises; not
    inlined, so that it does inside a prange body)."""
    count = np.int32(0)
    for j in range(sq.shape[0]):
        count += np.int32(1) if sq[j] < threshold else np.int32(0)
    return count


@njit(cache=True)
def _sort_by_distance(distance, index, n, buffers):
    """Sort ``distance[:n]`` (float32, non-negative) ascending, ``index[:n]`` (int32) along,
    ties by index. Each pair becomes one int64 key, the distance's bits above the index's
    (non-negative floats order as their bits do), sorted by a counting sort on the bits'
    leading part into at least ``n`` buckets and an insertion sort, which has little left
    to do: integer work only (0.4 against 0.85 ms a pass at k = 1024 with float keys).
    ``buffers`` is (keys, sorted keys, bucket counts) scratch of at least n, n, 2n + 1."""
    if n < 2:
        return
    keys, ordered, counts = buffers
    bits = distance[:n].view(np.int32)
    low = bits[0]
    high = bits[0]
    for q in range(n):
        low = min(low, bits[q])
        high = max(high, bits[q])
        keys[q] = (np.int64(bits[q]) << 32) | np.int64(index[q])
    shift = 0
    while (high - low) >> shift >= 2 * n:
        shift += 1
    n_buckets = ((high - low) >> shift) + 1
    counts[: n_buckets + 1] = 0
    for q in range(n):
        counts[((bits[q] - low) >> shift) + 1] += 1
    for bucket in range(n_buckets):
        counts[bucket + 1] += counts[bucket]
    for q in range(n):
        bucket = (bits[q] - low) >> shift
        ordered[counts[bucket]] = keys[q]
        counts[bucket] += 1
    for q in range(1, n):
        key = ordered[q]
        p = q
        while p > 0 and ordered[p - 1] > key:
            ordered[p] = ordered[p - 1]
            p -= 1
        ordered[p] = key
    for q in range(n):
        bits[q] = np.int32(ordered[q] >> 32)
        index[q] = np.int32(ordered[q] & 0xFFFFFFFF)


CENTRE_CHUNK = 32
"""Centres per GEMM of :func:`centre_neighbours`' distances (and per unit of parallel work)."""


@njit(cache=True, inline="always")
def _chunk_dots(shifted, rows, chunk, dots):
    """Dot products of the centres ``rows`` (at most CENTRE_CHUNK of them) with every
    centre, by GEMM, into ``dots`` (CENTRE_CHUNK, k); rows past ``len(rows)`` are of zeros.
    The chunk is copied whole into ``chunk`` first: numba's dot of a sliced array takes a
    generic path ~30x slower."""
    d = shifted.shape[1]
    for r in range(CENTRE_CHUNK):
        for f in range(d):
            chunk[r, f] = shifted[rows[r], f] if r < rows.shape[0] else 0.0
    np.dot(chunk, shifted.T, dots)


@njit(cache=True)
def _sq_lower_from(dots_row, c_sq, a, sq):
    """Lower bounds on the squared distances from centre ``a`` to every centre, into ``sq``
    (``inf`` for ``a``): ``||c_a||^2 + ||c_j||^2 - 2 c_a.c_j`` from the float64 GEMM row
    ``dots_row``, less ``4 (d + 4) eps`` times ``||c_a||^2 + ||c_j||^2``, well over the
    expansion's worst-case error (``d eps`` of that for the products), never below 0; 0
    where a square or a product overflowed."""
    margin = 4.0 * (dots_row.shape[0] + 4) * np.finfo(np.float64).eps
    own = c_sq[a]
    for j in range(sq.shape[0]):
        dot = dots_row[j]
        both = own + c_sq[j]
        value = both - 2.0 * dot - margin * both
        sq[j] = value if (value > 0.0 and both < np.inf and np.abs(dot) < np.inf) else 0.0
    sq[a] = np.inf


@njit(parallel=True, cache=True)
def centre_neighbours(centers, n_listed):
    """Each centre's nearest other centres, for Hamerly's search of a row that fails its test.

    A row at distance ``u`` from its centre ``a`` can only be nearer to a centre ``j`` with
    ``||c_j - c_a|| <= 2u`` (otherwise ``||x - c_j|| >= ||c_j - c_a|| - u > u``), so the
    search needs only the centres within ``2u`` of ``a``, and those farther bound the rest.

    The squared distances come from one float64 GEMM per :data:`CENTRE_CHUNK` centres, about
    the centres' mean, lowered by the expansion's worst-case error (:func:`_sq_lower_from`),
    so every distance, half separation and ``beyond`` returned is a lower bound; float64
    holds the squares of any float32 centres. At k = 1024, d = 32 on the 2-core machine the
    whole call takes ~2.7 ms, against 3.6-4.2 ms when the distances were summed from
    differences in float32 (2.4 ms of it) and sorted by float keys. A centre's list holds
    every centre below the largest squared radius, found by halving between its nearest and
    its farthest other centre, under which at most ``n_listed`` lie, sorted by
    :func:`_sort_by_distance`.

    Parameters
    ----------
    centers : (k, d) array, any float dtype.
    n_listed : int, the most neighbours listed per centre.

    Returns
    -------
    half_sep : (k,) float64, half the distance from each centre to its nearest other.
    listed : (k, n_listed) int32, centre ``a``'s listed neighbours in ``listed[a, :count[a]]``,
        nearest first (ties by index): every centre nearer to ``a`` than ``beyond[a]``.
    listed_distance : (k, n_listed) float32, their distances from ``a``, rounded down.
    count : (k,) int64.
    beyond : (k,) float64, no larger than the distance from ``a`` to any centre not listed
        (``inf`` when every other centre is listed).

    Examples
    --------
    >>> c = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> half_sep, listed, distance, count, beyond = centre_neighbours(c, 2)
    >>> listed[0, : count[0]], distance[0, : count[0]]
    (array([1, 2], dtype=int32), array([0.999999, 2.999997], dtype=float32))
    >>> bool(3.0 < beyond[0] <= 7.0)
    True
    """
    k, d = centers.shape
    shifted, c_sq = _about_mean(centers)
    half_sep = np.empty(k, dtype=np.float64)
    listed = np.zeros((k, n_listed), dtype=np.int32)
    listed_distance = np.zeros((k, n_listed), dtype=np.float32)
    count = np.zeros(k, dtype=np.int64)
    beyond = np.empty(k, dtype=np.float64)
    lists = (half_sep, listed, listed_distance, count, beyond)
    n_chunks = (k + CENTRE_CHUNK - 1) // CENTRE_CHUNK
    for c in prange(n_chunks):
        first = c * CENTRE_CHUNK
        chunk = np.empty((CENTRE_CHUNK, d), dtype=np.float64)
        dots = np.empty((CENTRE_CHUNK, k), dtype=np.float64)
        _chunk_dots(shifted, np.arange(first, min(k, first + CENTRE_CHUNK)), chunk, dots)
        sq = np.empty(k, dtype=np.float64)  # lower bounds on the squared distances
        scratch = _listing_scratch(n_listed)
        for a in range(first, min(k, first + CENTRE_CHUNK)):
            _sq_lower_from(dots[a - first], c_sq, a, sq)
            _list_centre(a, sq, scratch, lists)
    return lists


@njit(parallel=True, cache=True)
def patch_neighbours(centers, changed, lists):
    """Bring :func:`centre_neighbours`' output ``lists`` up to date, in place, after the
    centres flagged in ``changed`` moved (the others are bit for bit where they were).

    Only the distances to the moved centres are computed (one GEMM of them against every
    centre): a moved centre is listed afresh, as :func:`centre_neighbours` lists it; every
    other centre drops the moved centres from its list and takes back those now nearer
    than its ``beyond``, in order. A full list keeps its nearest and lowers ``beyond`` to
    the nearest centre it had to leave out. So every returned value remains a lower bound
    and every centre nearer than ``beyond`` stays listed, though a list may hold fewer
    than it could (:func:`centre_neighbours` lists afresh). Late in a fit few centres move
    (at k = 1024, d = 32: 8-160 of them in the last half of 20 passes), and this costs a
    fraction of a full listing.

    Examples
    --------
    >>> c = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> lists = centre_neighbours(c, 2)
    >>> c[3, 0] = 0.5
    >>> patch_neighbours(c, np.array([False, False, False, True]), lists)
    >>> half_sep, listed, distance, count, beyond = lists
    >>> listed[0, : count[0]], listed[3, : count[3]], round(float(half_sep[0]), 6)
    (array([3, 1], dtype=int32), array([0, 1], dtype=int32), 0.25)
    """
    half_sep, listed, listed_distance, count, beyond = lists
    k, d = centers.shape
    n_listed = listed.shape[1]
    moved = np.flatnonzero(changed)
    shifted, c_sq = _about_mean(centers)
    sq_moved = np.empty((moved.shape[0], k), dtype=np.float64)  # row r: from moved[r]
    n_chunks = (moved.shape[0] + CENTRE_CHUNK - 1) // CENTRE_CHUNK
    for c in prange(n_chunks):
        first = c * CENTRE_CHUNK
        rows = moved[first : first + CENTRE_CHUNK]
        chunk = np.empty((CENTRE_CHUNK, d), dtype=np.float64)
        dots = np.empty((CENTRE_CHUNK, k), dtype=np.float64)
        _chunk_dots(shifted, rows, chunk, dots)
        scratch = _listing_scratch(n_listed)
        for r in range(rows.shape[0]):
            a = moved[first + r]
            _sq_lower_from(dots[r], c_sq, a, sq_moved[first + r])
            _list_centre(a, sq_moved[first + r], scratch, lists)
    n_moved = moved.shape[0]
    n_chunks = (k + CENTRE_CHUNK - 1) // CENTRE_CHUNK
    for c in prange(n_chunks):
        scratch = (
            np.empty(n_moved, dtype=np.float32),  # the moved centres a list takes back
            np.empty(n_moved, dtype=np.int32),
            (
                np.empty(n_moved, dtype=np.int64),
                np.empty(n_moved, dtype=np.int64),
                np.empty(2 * n_moved + 1, dtype=np.int64),
            ),
            np.empty(n_listed, dtype=np.float32),  # the merged list
            np.empty(n_listed, dtype=np.int32),
        )
        for a in range(c * CENTRE_CHUNK, min(k, (c + 1) * CENTRE_CHUNK)):
            if not changed[a]:
                _patch_list(a, changed, moved, sq_moved, scratch, lists)


@njit(cache=True)
def _count_listed_moved(listed, changed):
    """How many of the centres ``listed`` moved (branch-free)."""
    total = 0
    for q in range(listed.shape[0]):
        total += 1 if changed[listed[q]] else 0
    return total


@njit(cache=True)
def _patch_list(a, changed, moved, sq_moved, scratch, lists):
    """Centre ``a``'s part of :func:`patch_neighbours` (``a`` did not move): the moved
    centres nearer than ``beyond[a]`` are sorted and merged into its list without the moved
    ones, up to its length, ties by index; the first left out lowers ``beyond[a]``."""
    half_sep, listed, listed_distance, count, beyond = lists
    back_distance, back, sort_buffers, merged_distance, merged = scratch
    n_listed = listed.shape[1]
    n_back = 0
    for r in range(moved.shape[0]):
        sq = sq_moved[r, a]  # a lower bound: a centre at or past beyond stays out
        if sq < beyond[a] * beyond[a]:
            back_distance[n_back] = _store_lower(np.sqrt(sq) * (1.0 - 1e-12))
            back[n_back] = moved[r]
            n_back += 1
    if n_back == 0 and _count_listed_moved(listed[a, : count[a]], changed) == 0:
        return  # no moved centre was or is near enough to be listed
    kept = 0  # drop the moved centres, keeping the order
    for q in range(count[a]):
        j = listed[a, q]
        if not changed[j]:
            listed[a, kept] = j
            listed_distance[a, kept] = listed_distance[a, q]
            kept += 1
    _sort_by_distance(back_distance, back, n_back, sort_buffers)
    p = 0  # the next of the kept list, and of those taken back
    q = 0
    n = 0
    while n < n_listed and (p < kept or q < n_back):
        take_back = p == kept or (
            q < n_back
            and (
                back_distance[q] < listed_distance[a, p]
                or (back_distance[q] == listed_distance[a, p] and back[q] < listed[a, p])
            )
        )
        if take_back:
            merged_distance[n] = back_distance[q]
            merged[n] = back[q]
            q += 1
        else:
            merged_distance[n] = listed_distance[a, p]
            merged[n] = listed[a, p]
            p += 1
        n += 1
    if p < kept:  # the nearest left out, of either
        beyond[a] = min(beyond[a], np.float64(listed_distance[a, p]))
    if q < n_back:
        beyond[a] = min(beyond[a], np.float64(back_distance[q]))
    listed[a, :n] = merged[:n]
    listed_distance[a, :n] = merged_distance[:n]
    count[a] = n
    nearest = beyond[a] if n == 0 else min(np.float64(listed_distance[a, 0]), beyond[a])
    half_sep[a] = 0.5 * nearest


@njit(cache=True)
def _about_mean(centers):
    """The centres in float64 less their mean (less to cancel in the GEMM expansion), and
    their squared norms."""
    k, d = centers.shape
    mean = np.zeros(d, dtype=np.float64)
    for j in range(k):
        for f in range(d):
            mean[f] += centers[j, f]
    mean /= max(k, 1)
    shifted = np.empty((k, d), dtype=np.float64)
    c_sq = np.zeros(k, dtype=np.float64)
    for j in range(k):
        for f in range(d):
            value = np.float64(centers[j, f]) - mean[f]
            shifted[j, f] = value
            c_sq[j] += value * value
    return shifted, c_sq


@njit(cache=True)
def _listing_scratch(n_listed):
    """The index buffer (the compaction writes one past the list) and the sort's buffers
    that :func:`_list_centre` needs."""
    return (
        np.empty(n_listed + 1, dtype=np.int32),
        np.empty(n_listed + 1, dtype=np.int64),
        np.empty(n_listed + 1, dtype=np.int64),
        np.empty(2 * n_listed + 2, dtype=np.int64),
    )


@njit(cache=True)
def _list_centre(a, sq, scratch, lists):
    """Centre ``a``'s entries of :func:`centre_neighbours`' output ``lists`` from ``sq``,
    lower bounds on its squared distances to every centre (``inf`` for itself)."""
    half_sep, listed, listed_distance, count, beyond = lists
    index, keys, ordered, counts = scratch
    k = sq.shape[0]
    n_listed = listed.shape[1]
    nearest, farthest = _nearest_and_farthest(sq)
    half_sep[a] = 0.5 * np.sqrt(nearest) * (1.0 - 1e-12)
    if k - 1 <= n_listed:
        threshold = np.inf  # every other centre fits
    else:  # the largest radius (found by halving) below which at most n_listed lie
        low = nearest
        high = farthest
        for _ in range(_BISECTION_STEPS):
            # halving the ratio, not the range: one far centre (an outlier's) would leave
            # the range's halvings too coarse to list any near one
            middle = np.sqrt(low * high) if low > 0.0 else 0.5 * (low + high)
            if _count_below(sq, middle) <= n_listed:
                low = middle
            else:
                high = middle
        threshold = low
    # the list in index order, compacted without a branch
    found = 0
    for j in range(k):
        index[found] = j
        found += 1 if sq[j] < threshold else 0  # never past n_listed, by the halving
    for q in range(found):
        listed[a, q] = index[q]
        listed_distance[a, q] = _store_lower(np.sqrt(sq[index[q]]) * (1.0 - 1e-12))
    count[a] = found
    beyond[a] = np.sqrt(threshold) * (1.0 - 1e-12)
    _sort_by_distance(listed_distance[a], listed[a], found, (keys, ordered, counts))


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


FAR_MOVERS = 16
"""Centres that moved farthest whose distances a row reaching past its neighbour list
computes before it goes to the GEMM tile (:func:`bound_past_far_movers`). Hamerly's single
lower bound drops by the largest move of any centre, and at large k a few centres keep
moving far after the median one has stopped (k = 1024, d = 32: by 0.3-8 against a median
gap of 4.8 between a row's two nearest centres), so most rows fail their test in every pass.
Measured at k = 1024, d = 32 (same init, 20 iterations, alternated processes, medians of 15
fits, 4 rounds): 0.259-0.267 against 0.274-0.289 s; embeddings (k = 256, d = 128) 0.202-0.215
against 0.216-0.227 s."""


@njit(cache=True)
def far_movers(moved):
    """The :data:`FAR_MOVERS` centres that moved farthest (fewer when moves tie), and
    ``tau``, the largest move of any other centre.

    Examples
    --------
    >>> movers, tau = far_movers(np.array([0.0, 3.0, 0.5, 0.0, 2.0]))
    >>> sorted(movers.tolist()), tau
    ([1, 2, 4], 0.0)
    """
    order = np.argsort(moved)
    k = moved.shape[0]
    n_far = min(FAR_MOVERS, k)
    tau = moved[order[k - n_far - 1]] if k > n_far else 0.0
    count = 0  # those that moved farther than tau: the rest are covered by it
    for q in range(k - n_far, k):
        count += 1 if moved[order[q]] > tau else 0
    return order[k - count :].copy(), tau


@njit(cache=True)
def bound_past_far_movers(x, a, lower_before, tau, centers, margin, movers):
    """A lower bound on the distance from row ``x`` (shifted, of centre ``a``) to every other
    centre after a move, from its bound ``lower_before`` before it: every centre but the far
    ``movers`` (:func:`far_movers`) came at most ``tau`` nearer, and the movers' distances
    are computed (:func:`_sq_distance`, widened by its relative error ``margin``). Hamerly's
    loosened bound takes the largest move of all instead; this costs at most
    :data:`FAR_MOVERS` distances, against a GEMM row of all k for a row that fails."""
    nearest = np.inf
    for q in range(movers.shape[0]):
        j = movers[q]
        if j != a:
            nearest = min(nearest, _sq_distance(x, centers, j))
    return min(lower_before - tau, np.sqrt(nearest * (1.0 - margin)))


@njit(cache=True, inline="always")
def loosened_bounds(upper, lower, i, a, moved, farthest, runner_up):
    """Row ``i``'s bounds after the centres moved by ``moved`` (``farthest`` and
    ``runner_up`` from :func:`_two_largest`): its own centre ``a`` may be ``moved[a]``
    farther, every other centre nearer by at most the largest move among them."""
    return upper[i] + moved[a], lower[i] - (runner_up if a == farthest else moved[farthest])


CONFIRM_CHUNK = 1024
"""Rows per unit of :func:`unconfirmed_rows`' parallel work."""


@njit(cache=True)
def _confirmation_bounds(first, stop, row_sq, frame, shift_gap, margin, confirm, terms):
    """For rows ``first:stop``, in ``terms = (low, gap, err)``: ``low``, the lower bound on
    every other centre's distance in the predict frame (raised to half the separation of
    the row's centre, less ``gap``), ``gap``, how far the rounding between the fit's frame
    and predict's can move a distance, and ``err``, the E-step's worst-case error on any
    centre nearer than ``low`` (:func:`kmeanskit._kernels.dense.error_reach`).
    ``confirm`` is ``(half_sep, labels, lower)``.

    ``gap`` is half an ``eps`` of each vector's length (the row in both frames, the centre
    in both), doubled. The row's length in the fit's frame is ``sqrt(row_sq)``; in
    predict's it is at most that plus ``shift_gap``, the distance between the frames'
    shifts, times ``1 + 1e-6`` for the rounding of the fit's differences, which is all the
    allowances need: no row is read. A loop of its own (the gather apart), so it vectorises.
    """
    half_sep, labels, lower = confirm
    low, gap, err = terms
    _, c_sq_max, c_norm_max, eps = frame
    for i in range(first, stop):
        low[i - first] = max(half_sep[labels[i]], lower[i])
    for p in range(stop - first):
        fit_norm = np.sqrt(row_sq[first + p])
        norm = (fit_norm + shift_gap) * (1.0 + 1e-6)  # in the predict frame, at most
        x_sq = norm * norm
        gap[p] = eps * (norm + fit_norm + 2.0 * c_norm_max)
        low[p] -= gap[p]
        near_sq = low[p] * low[p] if low[p] > 0.0 else 0.0
        err[p] = margin * (x_sq + min(c_sq_max, error_reach(x_sq, near_sq)))


@njit(parallel=True, cache=True)
def unconfirmed_rows(X, x_shift, row_sq, centers, half_sep, margin, labels, upper, lower, frame):
    """The rows whose label the bounds cannot confirm as the one Lloyd's E-step (as
    ``predict`` computes it) gives, right after a pass against ``centers``.

    A row's label ``a`` stands if its bounds put every other centre farther than ``a`` by
    more than that E-step can err: the GEMM expansion's worst case, ``margin`` times
    ``||x'||^2 + max ||c'||^2`` on each squared distance in the predict frame (doubled),
    after the rounding that moves rows and centres from this fit's frame into it has moved
    every distance by at most ``frame_gap`` (half an ``eps`` of each vector's length: ``x'``,
    the row in this frame and the centre in both; doubled).
    A row that fails is tightened (its distance to ``a`` computed) and tested again.

    ``row_sq`` is every row's squared norm in this fit's frame (as Hamerly's pass keeps
    it), so only the rows that must be tightened are read. ``frame`` is
    ``(shift, c_sq_max, c_norm_max, eps)``: the predict frame's shift (float64),
    its centres' largest squared norm, the largest norm of a centre in either frame or
    returned, and the data dtype's eps. Returns the unconfirmed rows' indices, ascending.
    """
    shift = frame[0]
    n, d = X.shape
    shift_gap = 0.0  # between the fit's frame and predict's
    for f in range(d):
        shift_gap += (shift[f] - np.float64(x_shift[f])) ** 2
    shift_gap = np.sqrt(shift_gap)
    unconfirmed = np.zeros(n, dtype=np.bool_)
    n_chunks = (n + CONFIRM_CHUNK - 1) // CONFIRM_CHUNK
    for c in prange(n_chunks):
        first = c * CONFIRM_CHUNK
        stop = min(n, first + CONFIRM_CHUNK)
        low = np.empty(stop - first, dtype=np.float64)
        gap = np.empty(stop - first, dtype=np.float64)
        err = np.empty(stop - first, dtype=np.float64)
        confirm = (half_sep, labels, lower)
        _confirmation_bounds(
            first, stop, row_sq, frame, shift_gap, margin, confirm, (low, gap, err)
        )
        x = np.empty(d, dtype=X.dtype)
        for i in range(first, stop):
            p = i - first
            # in the predict frame labels[i] is within upper + gap, every other centre
            # beyond low; it is the E-step's choice if the squares differ by over 2 err
            if low[p] <= 0.0 or low[p] * low[p] - (upper[i] + gap[p]) ** 2 <= 2.0 * err[p]:
                for f in range(d):
                    x[f] = X[i, f] - x_shift[f]
                u = np.sqrt(_sq_distance(x, centers, labels[i]) * (1.0 + margin))
                unconfirmed[i] = (
                    low[p] <= 0.0 or low[p] * low[p] - (u + gap[p]) ** 2 <= 2.0 * err[p]
                )
    return np.flatnonzero(unconfirmed)
