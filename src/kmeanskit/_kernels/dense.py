"""Numba kernels for dense, C-contiguous data.

Every kernel works on *blocks* of consecutive rows whose boundaries depend only on the data's
shape (see :func:`kmeanskit._kernels.blocks.n_blocks_for`), never on the number of threads.
Per-block partial results are reduced in block order, so results are bit-identical whether the
kernels run on 1 thread or 64.

Rows are shifted by ``x_shift`` (the data mean) chunk by chunk as they are read, which gives the
accuracy of centred data without ever copying the data.
"""

import numpy as np
from numba import njit, prange

from .blocks import CHUNK_ROWS
from .gemm import gemm_nt
from .prefetch import prefetch_rows

_CANCELLATION = 1e-3
"""Below this fraction of ||x||^2 + ||c||^2 the GEMM expansion has lost most of its digits."""


@njit(cache=True, inline="always")
def _block_rows(b, n_blocks, n):
    """First and last-plus-one row of block ``b`` (blocks are whole chunks of CHUNK_ROWS)."""
    n_chunks = (n + CHUNK_ROWS - 1) // CHUNK_ROWS
    per_block = (n_chunks + n_blocks - 1) // n_blocks
    start = min(b * per_block * CHUNK_ROWS, n)
    stop = min((b + 1) * per_block * CHUNK_ROWS, n)
    return start, stop


@njit(cache=True, inline="always")
def accumulate_changes(
    X, weights, x_shift, previous, labels, start, stop, sums, cluster_weights, members
):
    """How the rows ``start:stop`` that changed cluster, from ``previous`` (their labels
    before the pass; -1: none yet) to ``labels``, change each cluster's weighted float64 sum
    of shifted rows, its weight and its number of members of positive weight.

    ``sums`` (k, d), ``cluster_weights`` (k,) and ``members`` (k,) int64 are one block's
    changes; they are reset here. Rows are taken in order, and a row leaving a cluster
    subtracts exactly what it added, so on the first pass (every ``previous`` -1) the changes
    are bit-identical to Lloyd's fused accumulation. The bound-based solvers keep running
    totals of these changes (:func:`fold_changes`): once most rows are confirmed in their
    cluster, a pass reads only the few rows that moved instead of every row.
    """
    sums[:, :] = 0.0
    cluster_weights[:] = 0.0
    members[:] = 0
    for i in range(start, stop):
        new = labels[i]
        old = previous[i - start]
        if new != old:
            _move_row(X, x_shift, i, weights[i], old, new, sums, cluster_weights, members)


@njit(cache=True, inline="always")
def _move_row(X, x_shift, i, w, old, new, sums, cluster_weights, members):
    """Move the shifted row ``i`` of ``X``, of weight ``w``, from cluster ``old`` (-1: none)
    to ``new`` in one block's changes (see :func:`accumulate_changes`)."""
    positive = 1 if w > 0 else 0
    if old >= 0:
        cluster_weights[old] -= w
        members[old] -= positive
        for f in range(X.shape[1]):
            sums[old, f] -= w * (X[i, f] - x_shift[f])
    cluster_weights[new] += w
    members[new] += positive
    for f in range(X.shape[1]):
        sums[new, f] += w * (X[i, f] - x_shift[f])


@njit(cache=True, inline="always")
def tile_argmin(values, m, c_sq, best, best_v):
    """``best[i] = argmin_j values[j, i]`` for the first ``m`` columns of a tile of
    :func:`tile_values`, and ``best_v[i]`` (at least m) that minimum, ``c_sq[j] - 2 x_i.c_j``.

    ``values`` is (k, tile rows): one row per centre, so the loop over the tile's rows is
    innermost and contiguous and compiles to SIMD compare-and-select, with no branch to
    mispredict. Ties go to the lowest index (strict ``<``), as in scikit-learn. Each value
    read is replaced by ``c_sq[j]``, which primes the tile for the next GEMM.
    """
    k = values.shape[0]
    row = values[0]
    c0 = c_sq[0]
    for i in range(m):
        best_v[i] = row[i]
        best[i] = 0
        row[i] = c0
    for j in range(1, k):
        cj = c_sq[j]
        label = np.int32(j)
        row = values[j]
        for i in range(m):
            v = row[i]
            row[i] = cj
            old = best_v[i]
            best[i] = label if v < old else best[i]
            best_v[i] = min(v, old)


@njit(cache=True, inline="always")
def _keep_two_nearest(v, label, best_v, second_v, best):
    """The two smallest values and the label of the smallest after offering ``v`` (of
    ``label``) to ``best_v`` <= ``second_v`` (of ``best``): strict ``<``, so ties keep the
    earlier label. Written as selects on one comparison each, so loops of it vectorise
    (measured: min/max of this shape did not, 0.23 against 0.65-0.96 ns per distance). The
    callers store the label, then the runner-up, then the smallest value: the reverse order
    measured 12% slower in Yinyang's and Hamerly's GEMM-tile scan."""
    closer = v < best_v
    best = label if closer else best
    second_v = best_v if closer else (v if v < second_v else second_v)
    best_v = v if closer else best_v
    return best_v, second_v, best


@njit(cache=True, inline="always")
def tile_two_nearest(values, m, c_sq, best, best_v, second_v):
    """As :func:`tile_argmin`, and ``second_v[i]``, the second smallest of ``values[j, i]``
    over ``j`` (equal to ``best_v[i]`` when two centres tie), branch-free."""
    two_nearest_of_rows(values, m, c_sq, 0, values.shape[0], best, best_v, second_v)


@njit(cache=True, inline="always")
def two_nearest_of_rows(values, m, c_sq, first, stop, best, best_v, second_v):
    """:func:`tile_two_nearest` over the tile's rows ``first:stop`` only (Yinyang's groups):
    ``best[i]`` is the row ``j`` in that range with the smallest ``values[j, i]`` (the lowest
    such row on ties), ``best_v[i]`` that value, ``second_v[i]`` the second. The rows read
    are primed again with ``c_sq`` (see :func:`tile_argmin`)."""
    for i in range(m):
        best_v[i] = np.inf
        second_v[i] = np.inf
        best[i] = first
    for j in range(first, stop):
        cj = c_sq[j]
        label = np.int32(j)
        row = values[j]
        for i in range(m):
            v, second, nearest = _keep_two_nearest(row[i], label, best_v[i], second_v[i], best[i])
            row[i] = cj
            best[i] = nearest
            second_v[i] = second
            best_v[i] = v


@njit(cache=True, inline="always")
def error_reach(x_sq, near_sq):
    """A squared norm past which a centre lies farther than ``r = sqrt(near_sq)`` from
    ``x``, whatever its value computed by the GEMM expansion: a centre ``c`` with
    ``||c|| > ||x|| + r`` is at least ``||c|| - ||x|| > r`` away. So a lower bound drawn
    from ``near_sq`` need only allow for the expansion's error on centres within that
    norm, ``margin (||x||^2 + reach)``, not on the largest centre (one far outlier's centre
    would otherwise void every row's bound). Returns ``2 (||x||^2 + r^2)`` (a hair over),
    which is at least ``(||x|| + r)^2`` and at most twice it, with no square root: it sits
    in loops over every searched row (measured: 0.65 of 2.8 ms per 512k rows in Hamerly's
    tile bounds with the two square roots)."""
    return 2.0 * (x_sq + max(near_sq, 0.0)) * (1.0 + 1e-9)


@njit(cache=True)
def primed_tile(c_sq, tile_rows, searched):
    """A tile for :func:`tile_values`, (k, tile_rows), row ``j`` filled with ``c_sq[j]``;
    (0, tile_rows) when nothing is ``searched`` through BLAS."""
    values = np.empty((c_sq.shape[0] if searched else 0, tile_rows), dtype=c_sq.dtype)
    for j in range(values.shape[0]):
        values[j, :] = c_sq[j]
    return values


@njit(cache=True, inline="always")
def tile_values(xbuf, m, centers, values):
    """``values[j, i] = c_sq[j] - 2 c_j.x_i`` for the first ``m`` rows of ``xbuf``, through
    BLAS GEMM (:func:`kmeanskit._kernels.gemm.gemm_nt`), into a tile whose row ``j`` holds
    ``c_sq[j]`` (:func:`primed_tile`; the scans prime it again as they read it)."""
    gemm_nt(centers, xbuf, values, m, -2.0, 1.0)
    return values


DIRECT_MAX_FEATURES = 16
"""Up to this many features :func:`lloyd_pass` computes a tile's distances itself
(:func:`tile_argmin_direct`) instead of through BLAS. Measured on the 2-core machine, Lloyd
fits of 10 iterations on 200k-row mixtures, direct against BLAS: 0.72x the time at d = 3,
k = 64; 0.74-0.77x at d = 8 (k = 16, 256); 0.87-0.93x at d = 16 (k = 32, 256); but
1.06-1.18x at d = 32 and 1.4-2.1x at d = 64, where BLAS's register blocking wins."""
DIRECT_TILE_ROWS = 256
"""Rows of a direct tile: the transposed rows stay in the core's first-level cache."""


@njit(cache=True, inline="always")
def direct_width(n_features):
    """Features a direct tile holds: ``d`` up to 3, else ``d`` padded with zero features to
    a multiple of 4 (a zero feature adds exactly 0 to a value, so padding changes nothing)."""
    return n_features if n_features <= 3 else (n_features + 3) // 4 * 4


@njit(cache=True, inline="always")
def direct_terms(centers, c_sq):
    """The centres as :func:`tile_argmin_direct` reads them: row ``j`` is ``c_sq[j]`` then
    ``-2 c_j``, padded with zeros to :func:`direct_width` features."""
    k, d = centers.shape
    terms = np.zeros((k, direct_width(d) + 1), dtype=centers.dtype)
    for j in range(k):
        terms[j, 0] = c_sq[j]
        for f in range(d):
            terms[j, f + 1] = -2 * centers[j, f]
    return terms


@njit(cache=True, inline="always")
def with_constant_width(kernel, width, args):
    """``kernel(args, width)``, with ``width`` a compile-time constant when it is one the
    direct kernels meet up to ``DIRECT_MAX_FEATURES`` (1-3, then multiples of 4: see
    :func:`direct_width`); any other width is passed as it is.

    The kernels' loops over features are then unrolled for their exact length, the
    coefficients stay in registers and a row's values load as one group (see
    :func:`transposed_tile` and :func:`tile_argmin_direct` for what that is worth). ``args``
    is the tuple the kernel unpacks (numba does not call a function argument with
    ``*args``). Returns what the kernel returns."""
    if width == 1:
        return kernel(args, 1)
    if width == 2:
        return kernel(args, 2)
    if width == 3:
        return kernel(args, 3)
    if width == 4:
        return kernel(args, 4)
    if width == 8:
        return kernel(args, 8)
    if width == 12:
        return kernel(args, 12)
    if width == 16:
        return kernel(args, 16)
    return kernel(args, width)


@njit(cache=True, inline="always")
def _direct_value(xt, i, centre_terms, width):
    """``||c||^2 - 2 c . x_i`` for the column ``i`` of the transposed tile ``xt`` and the
    centre whose :func:`direct_terms` row is ``centre_terms``: one chain of additions in
    feature order, which the caller's contraction turns into one fused multiply-add per
    feature. ``width`` is a compile-time constant at every call, so the chain is unrolled
    and the coefficients stay in registers."""
    value = centre_terms[0]
    for f in range(width):
        value = value + centre_terms[f + 1] * xt[f, i]
    return value


@njit(cache=True, inline="always")
def _transpose_rows(args, d):
    """:func:`transposed_tile` for ``d`` features (a constant where it can be)."""
    flat, x_shift, first, m, xt = args
    for i in range(m):
        row = (first + i) * d
        for f in range(d):
            xt[f, i] = flat[row + f] - x_shift[f]


@njit(cache=True)
def transposed_tile(X, x_shift, first, m, xt):
    """``xt[f, i] = X[first + i, f] - x_shift[f]`` for the ``m`` rows from ``first`` of the
    C-contiguous ``X``: the shifted tile as the direct search reads it (padded features are
    left as they are, zero).

    The rows are read through the flat array with the number of features a compile-time
    constant (:func:`with_constant_width`), so the loads of a row are one group that LLVM
    vectorises with shuffles; measured on the 2-core machine, per value, against the
    two-dimensional loop: 0.51-0.60 against 1.4-1.7 ns at d = 2-3 and 0.55-0.69 against
    0.88 ns at d = 8.
    """
    with_constant_width(_transpose_rows, X.shape[1], (X.reshape(-1), x_shift, first, m, xt))


@njit(cache=True, inline="always")
def _argmin_sweep(args, width):
    """:func:`tile_argmin_direct` for a tile of ``width`` features (a constant)."""
    xt, m, terms, best, best_v = args
    k = terms.shape[0]
    for j in range(0, k, 2):
        j1 = min(j + 1, k - 1)
        terms0 = terms[j]
        terms1 = terms[j1]
        label0 = np.int32(j)
        label1 = np.int32(j1)
        for i in range(m):
            a = _direct_value(xt, i, terms0, width)
            b = _direct_value(xt, i, terms1, width)
            old = best_v[i]
            label = label0 if a < old else best[i]
            old = min(a, old)
            best[i] = label1 if b < old else label
            best_v[i] = min(b, old)


@njit(cache=True, fastmath={"contract"})
def tile_argmin_direct(xt, m, terms, best, best_v):
    """As :func:`tile_argmin`, computing ``||c||^2 - 2 x . c`` itself from a transposed tile
    ``xt`` (:func:`direct_width` features, m columns). Ties go to the lowest index.

    Two centres per sweep over the tile's rows, each row's two values computed in registers
    (:func:`_direct_value`) and compared at once, so no value is stored; an odd last centre
    is paired with itself. The width is dispatched to a constant, so each sweep is compiled
    for its exact number of features (measured on the 2-core machine, per distance against
    the former sweep that stored four features at a time: 0.53-0.71x at d = 2-3,
    0.60-0.84x at d = 8, 0.79-1.02x at d = 16).

    Compiled on its own (not inlined) and with floating-point contraction only, so each
    product and sum is one fused multiply-add (no reassociation: a row's value depends only
    on that row). Measured on the 2-core machine against the inlined multiply-then-add form,
    on 500k x 8 float32 rows with k = 16: 2.2 ms per pass against 4.2 ms; the caller's other
    arithmetic (the float64 sums) keeps separate roundings."""
    for i in range(m):
        best_v[i] = np.inf
        best[i] = 0
    with_constant_width(_argmin_sweep, xt.shape[0], (xt, m, terms, best, best_v))


@njit(cache=True, inline="always")
def _two_nearest_sweep(args, width):
    """:func:`tile_two_nearest_direct` for a tile of ``width`` features (a constant).

    The centres in pairs, then an odd last one alone: a pair's loop has no condition in it
    (measured on the 2-core machine, d = 16, k = 32: 0.50 ns per distance against 0.78 for
    the former loop, which tested in every row whether the pair was the last centre with
    itself; Lloyd's argmin takes 0.48)."""
    xt, m, terms, best, best_v, second_v = args
    k = terms.shape[0]
    for j in range(0, k - 1, 2):
        terms0 = terms[j]
        terms1 = terms[j + 1]
        label0 = np.int32(j)
        label1 = np.int32(j + 1)
        for i in range(m):
            a = _direct_value(xt, i, terms0, width)
            b = _direct_value(xt, i, terms1, width)
            v, second, nearest = _keep_two_nearest(a, label0, best_v[i], second_v[i], best[i])
            v, second, nearest = _keep_two_nearest(b, label1, v, second, nearest)
            best[i] = nearest
            second_v[i] = second
            best_v[i] = v
    if k % 2 == 1:
        terms0 = terms[k - 1]
        label0 = np.int32(k - 1)
        for i in range(m):
            v, second, nearest = _keep_two_nearest(
                _direct_value(xt, i, terms0, width), label0, best_v[i], second_v[i], best[i]
            )
            best[i] = nearest
            second_v[i] = second
            best_v[i] = v


@njit(cache=True, fastmath={"contract"})
def tile_two_nearest_direct(xt, m, terms, best, best_v, second_v):
    """As :func:`tile_argmin_direct` (the same values, the same nearest centre), and
    ``second_v[i]``, the second smallest value (Hamerly's lower bound); branch-free. An odd
    last centre is swept alone, so it is counted once."""
    for i in range(m):
        best_v[i] = np.inf
        second_v[i] = np.inf
        best[i] = 0
    with_constant_width(_two_nearest_sweep, xt.shape[0], (xt, m, terms, best, best_v, second_v))


@njit(parallel=True, cache=True)
def lloyd_pass(
    X,
    weights,
    x_shift,
    centers,
    c_sq,
    labels,
    block_sums,
    block_weights,
    block_members,
    block_inertia,
    update,
    changes_only,
    tile_rows,
    row_offset,
    n_total,
):
    """Assign every row to its nearest centre and, if ``update``, accumulate weighted sums
    (of every row, or, if ``changes_only``, of the changes made by the rows whose label
    changed); if ``block_inertia`` is not empty, sum the rows' exact squared distances to
    their centres.

    Distances come from ``||c||^2 - 2 (x - shift) . c`` computed by BLAS GEMM on tiles of
    ``tile_rows`` rows, fused with the argmin, so the n x k distance matrix never exists. A
    tile's values are laid out one row per centre (:func:`tile_values`), which makes the
    argmin SIMD across rows; measured on the 2-core machine, GEMM + argmin of a tile take
    0.4-0.8x the time of the row-per-point layout at d = 3-128, k = 16-1024.

    ``X`` may be a *window* of the data: rows ``row_offset`` to ``row_offset + len(X)`` of
    ``n_total`` (data streamed from disk, :mod:`kmeanskit.streaming`). Blocks are those of
    the whole data; a block's sums (and inertia) are reset by the window holding its first
    row and carried on, in row order, by the windows after it, so a pass over consecutive
    windows gives bit-identical sums to one call on all rows, provided every window starts
    at a block start or a whole number of tiles into a block
    (:func:`kmeanskit._kernels.blocks.window_bounds`). In memory, ``row_offset = 0`` and
    ``n_total = len(X)``.

    Parameters
    ----------
    X : (m, d) float32 or float64, the caller's data or a window of it (read only).
    weights : (n_total,) float64 sample weights.
    x_shift : (d,) same dtype as X, subtracted from every row.
    centers : (k, d) same dtype as X, in shifted coordinates.
    c_sq : (k,) same dtype as X, squared norms of the centres (the caller computes them with
        ``np.einsum`` as scikit-learn does, so exact ties break the same way).
    labels : (n_total,) int32, previous labels in, new labels out.
    block_sums : (n_blocks, k, d) float64 output (ignored when ``update`` is False).
    block_weights : (n_blocks, k) float64 output (ignored when ``update`` is False).
    block_members : (n_blocks, k) int64 output with ``changes_only``, else ignored: each
        block's change in the clusters' numbers of members of positive weight.
    block_inertia : (n_blocks,) float64 output, or empty for none: each block's weighted sum
        of squared distances of its rows to their new centres, in float64 by differences,
        tile by tile in row order (:func:`tile_inertia`). This is the final E-step's inertia, from
        the rows while they are in cache: one pass over the data instead of two.
    update : bool
    changes_only : bool, with ``update``: fill each block's *changes* to the clusters' sums,
        weights and members (:func:`accumulate_changes`, row by row in order, from the labels
        ``labels`` held before the pass) instead of its sums of every row. The loop keeps
        running totals of them (:func:`fold_changes`); once few rows change cluster, a pass
        adds a few rows instead of all of them (at 5M x 8 x 16 the sums of every row cost
        19 ms of a 46 ms pass). The first pass (every label -1) gives the same bits as the
        sums of every row.
    tile_rows : int, rows per GEMM tile (see :func:`kmeanskit._kernels.blocks.tile_rows_for`).
    row_offset, n_total : int, where the window lies in the data.

    Returns
    -------
    n_changed : int, the number of rows of the window whose label changed.
    """
    m_window, d = X.shape
    n_blocks = block_weights.shape[0]
    changed = np.zeros(n_blocks, dtype=np.int64)
    window_stop = row_offset + m_window
    with_inertia = block_inertia.shape[0] > 0
    direct = d <= DIRECT_MAX_FEATURES
    if direct:
        tile_rows = DIRECT_TILE_ROWS  # windows are cut at whole tiles of a multiple of it
    terms = direct_terms(centers, c_sq) if direct else np.zeros((0, 0), dtype=X.dtype)
    padded = terms.shape[1] - 1
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n_total)
        if row_offset <= start <= window_stop:
            if update:
                block_sums[b, :, :] = 0.0
                block_weights[b, :] = 0.0
                if changes_only:
                    block_members[b, :] = 0
            if with_inertia:
                block_inertia[b] = 0.0
        lo = max(start, row_offset)
        hi = min(stop, window_stop)
        if lo >= hi:
            continue
        # the shifted rows of a tile: transposed (and zero-padded) for the direct search,
        # as they are for BLAS
        xbuf = np.empty((tile_rows, d) if not direct else (0, d), dtype=X.dtype)
        xt = np.zeros((padded, tile_rows) if direct else (0, 0), dtype=X.dtype)
        values = primed_tile(c_sq, tile_rows, not direct)
        nearest = np.empty(tile_rows, dtype=np.int32)
        nearest_v = np.empty(tile_rows, dtype=X.dtype)
        by_feature = np.empty(d if with_inertia else 0)
        block_changed = 0
        for chunk_start in range(lo, hi, tile_rows):
            m = min(tile_rows, hi - chunk_start)
            local = chunk_start - row_offset
            if direct:
                # rows two tiles ahead come in while this tile computes (see .prefetch).
                # Not before a GEMM tile: measured at 200k x 128, k = 256, the hints cost
                # 1-2 ms of a 48 ms pass, and hints for every line of the rows, into L1 or
                # L2, before the GEMM or spread through the argmin, gained nothing.
                prefetch_rows(X, local + 2 * tile_rows, local + 3 * tile_rows)
                transposed_tile(X, x_shift, local, m, xt)
                tile_argmin_direct(xt, m, terms, nearest, nearest_v)
            else:
                _shifted_chunk(X, x_shift, local, m, xbuf)
                tile_argmin(tile_values(xbuf, m, centers, values), m, c_sq, nearest, nearest_v)
            if update and changes_only:
                sums = block_sums[b]
                cluster_weights = block_weights[b]
                members = block_members[b]
                for i in range(m):
                    row = chunk_start + i
                    old = labels[row]
                    new = nearest[i]
                    if new != old:
                        block_changed += 1
                        labels[row] = new
                        _move_row(
                            X,
                            x_shift,
                            local + i,
                            weights[row],
                            old,
                            new,
                            sums,
                            cluster_weights,
                            members,
                        )
            else:
                for i in range(m):  # branch-free, so it vectorises
                    row = chunk_start + i
                    block_changed += labels[row] != nearest[i]
                    labels[row] = nearest[i]
            if update and not changes_only:
                sums = block_sums[b]
                cluster_weights = block_weights[b]
                for i in range(m):
                    best = nearest[i]
                    w = weights[chunk_start + i]
                    cluster_weights[best] += w
                    if direct:  # the same shifted values, read where they are contiguous
                        for f in range(d):
                            sums[best, f] += w * (X[local + i, f] - x_shift[f])
                    else:
                        for f in range(d):
                            sums[best, f] += w * xbuf[i, f]
            if with_inertia:
                block_inertia[b] = tile_inertia(
                    X,
                    x_shift,
                    local,
                    m,
                    centers,
                    nearest,
                    weights[chunk_start:],
                    block_inertia[b],
                    by_feature,
                )
        changed[b] = block_changed
    return changed.sum()


@njit(cache=True, inline="always")
def _row_sq_distance(X, x_shift, i, centers, c):
    """Squared distance of the shifted row ``i`` of ``X`` to centre ``c``, by differences in
    float64 (exact up to rounding: nothing cancels)."""
    s = 0.0
    for f in range(X.shape[1]):
        diff = np.float64(X[i, f] - x_shift[f]) - np.float64(centers[c, f])
        s += diff * diff
    return s


@njit(cache=True, inline="always")
def _inertia_rows(args, d):
    """:func:`tile_inertia` for ``d`` features (a constant where it can be)."""
    flat, x_shift, first, m, centers, nearest, weights, inertia = args
    for i in range(m):
        row = (first + i) * d
        c = nearest[i]
        distance = 0.0
        for f in range(d):
            diff = np.float64(flat[row + f] - x_shift[f]) - np.float64(centers[c, f])
            distance += diff * diff
        inertia += weights[i] * distance
    return inertia


@njit(cache=True)
def tile_inertia(X, x_shift, first, m, centers, nearest, weights, inertia, by_feature):
    """``inertia`` plus the weighted squared distances of the ``m`` shifted rows from
    ``first`` of the C-contiguous ``X`` to their centres ``nearest[:m]`` (``weights[:m]``),
    by float64 differences as :func:`_row_sq_distance` takes them, in an order fixed by
    ``d`` and the tile alone.

    Up to ``DIRECT_MAX_FEATURES`` features, row by row in order, each row's squares in
    feature order, with the rows read as :func:`transposed_tile` reads them (d a
    compile-time constant). With more, one row's squares would be a chain of ``d``
    dependent additions (measured: 15 of the 64 ms of Lloyd's final E-step on 200k x 128
    rows); instead each feature's weighted squares are summed over the tile's rows in order
    into ``by_feature`` ((d,) float64 scratch), a loop that vectorises across features, and
    the tile adds those sums in feature order (measured in a /tmp harness, 200k x 128
    rows out of cache: 8.5 against 26 ms)."""
    d = X.shape[1]
    if d <= DIRECT_MAX_FEATURES:
        args = (X.reshape(-1), x_shift, first, m, centers, nearest, weights, inertia)
        return with_constant_width(_inertia_rows, d, args)
    by_feature[:] = 0.0
    for i in range(m):
        x = X[first + i]
        centre = centers[nearest[i]]
        w = weights[i]
        for f in range(d):
            diff = np.float64(x[f] - x_shift[f]) - np.float64(centre[f])
            by_feature[f] += w * (diff * diff)
    for f in range(d):
        inertia += by_feature[f]
    return inertia


@njit(parallel=True, cache=True, fastmath=True)
def inertia_partials(X, weights, x_shift, centers, labels, row_offset, n_total, partial):
    """Add each block's exact weighted sum of squared distances of its rows in the window
    ``X`` (rows ``row_offset:row_offset + len(X)`` of ``n_total``) to their assigned centres
    to ``partial`` (n_blocks,) float64, row by row in order (see :func:`lloyd_pass`)."""
    m_window = X.shape[0]
    n_blocks = partial.shape[0]
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n_total)
        acc = partial[b]
        for row in range(max(start, row_offset), min(stop, row_offset + m_window)):
            acc += weights[row] * _row_sq_distance(
                X, x_shift, row - row_offset, centers, labels[row]
            )
        partial[b] = acc


@njit(parallel=True, cache=True, fastmath=True)
def sq_dist_to_assigned(X, x_shift, centers, labels):
    """Squared distance (float64) of each row to its assigned centre."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in prange(n):
        out[i] = _row_sq_distance(X, x_shift, i, centers, labels[i])
    return out


@njit(cache=True, inline="always")
def _sq_norms(centers, dtype):
    """The centres' squared norms, summed in the data's dtype."""
    k, d = centers.shape
    c_sq = np.zeros(k, dtype=dtype)
    for j in range(k):
        for f in range(d):
            c_sq[j] += centers[j, f] * centers[j, f]
    return c_sq


@njit(cache=True, inline="always")
def _centre_terms(centers, dtype):
    """The transposed centres (for GEMM) and their squared norms, in the data's dtype."""
    return np.ascontiguousarray(centers.T), _sq_norms(centers, dtype)


@njit(cache=True, inline="always")
def _exact_sq_distance(xbuf, i, centers, j):
    """Squared distance of row ``i`` of a shifted tile to centre ``j``, by differences in
    float64 (no expansion, so nothing cancels)."""
    s = 0.0
    for f in range(xbuf.shape[1]):
        diff = np.float64(xbuf[i, f]) - np.float64(centers[j, f])
        s += diff * diff
    return s


@njit(cache=True, inline="always")
def _tile_sq_distances(xbuf, m, centers, centers_t, c_sq, dots):
    """``dots[:m]`` = squared distances of the ``m`` shifted rows in ``xbuf`` to every centre.

    Computed through GEMM; entries small enough for the expansion to have cancelled (a point
    on or near a centre) are recomputed exactly, so a point that is a centre is at distance 0.
    """
    k, d = centers.shape
    np.dot(xbuf[:m], centers_t, dots[:m])
    for i in range(m):
        x_sq = 0.0
        for f in range(d):
            x_sq += xbuf[i, f] * xbuf[i, f]
        for j in range(k):
            dist = x_sq + c_sq[j] - 2 * dots[i, j]
            if dist <= _CANCELLATION * (x_sq + c_sq[j]):
                # the expansion cancelled: a near-zero distance, recompute it exactly
                dist = _exact_sq_distance(xbuf, i, centers, j)
            dots[i, j] = max(dist, 0.0)


@njit(cache=True, inline="always")
def _shifted_chunk(X, x_shift, chunk_start, m, xbuf):
    d = X.shape[1]
    for i in range(m):
        for f in range(d):
            xbuf[i, f] = X[chunk_start + i, f] - x_shift[f]


@njit(parallel=True, cache=True)
def sq_distances(X, x_shift, centers, n_blocks):
    """(n, k) squared Euclidean distances, for ``transform`` (see :func:`_tile_sq_distances`)."""
    n, d = X.shape
    k = centers.shape[0]
    centers_t, c_sq = _centre_terms(centers, X.dtype)
    out = np.empty((n, k), dtype=X.dtype)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        xbuf = np.empty((CHUNK_ROWS, d), dtype=X.dtype)
        for chunk_start in range(start, stop, CHUNK_ROWS):
            m = min(CHUNK_ROWS, stop - chunk_start)
            _shifted_chunk(X, x_shift, chunk_start, m, xbuf)
            _tile_sq_distances(
                xbuf, m, centers, centers_t, c_sq, out[chunk_start : chunk_start + m]
            )
    return out


@njit(cache=True)
def total_weight(weights):
    """Sum of the weights, in index order."""
    total = 0.0
    for i in range(weights.shape[0]):
        total += weights[i]
    return total


@njit(parallel=True, cache=True)
def column_moment_partials(X, weights, row_offset, n_total, center, squared, partial, largest):
    """Add, per block and column, ``w * x`` (or ``w * (x - center)^2`` when ``squared``) over
    the rows of the window ``X`` to ``partial`` (n_blocks, d) float64, in row order; without
    ``squared``, raise ``largest`` (n_blocks, d), in X's dtype, to the largest ``|x|`` read
    per block and column (for the magnitude check of
    :func:`kmeanskit._validation.check_magnitude`; 0.76 -> 1.3 ms a call at 500k x 16
    float32 on the 2-core machine).

    Two passes of it give the weighted mean and variance of every column; windows are as in
    :func:`lloyd_pass`, so streamed and in-memory moments are bit-identical.
    """
    m_window, d = X.shape
    n_blocks = partial.shape[0]
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n_total)
        for row in range(max(start, row_offset), min(stop, row_offset + m_window)):
            i = row - row_offset
            w = weights[row]
            for f in range(d):
                if squared:
                    diff = X[i, f] - center[f]
                    partial[b, f] += w * diff * diff
                else:
                    partial[b, f] += w * X[i, f]
                    size = abs(X[i, f])
                    largest[b, f] = size if size > largest[b, f] else largest[b, f]


@njit(cache=True)
def label_counts(labels, n_clusters):
    """Number of rows per label, without the int64 copy ``np.bincount`` makes of int32 labels."""
    counts = np.zeros(n_clusters, dtype=np.int64)
    for i in range(labels.shape[0]):
        counts[labels[i]] += 1
    return counts


@njit(parallel=True, cache=True)
def two_nearest(X, x_shift, centers, n_blocks):
    """Index of the nearest centre, and the squared distances (float64) to the nearest and
    the second-nearest, for every row.

    The search is Lloyd's: GEMM tiles laid out one row per centre and the branch-free,
    SIMD-across-rows :func:`tile_two_nearest` (measured 3-4x faster than a row-by-row scan
    at d = 2-32), so the labels are those :func:`lloyd_pass` gives. The distance to the
    nearest is then computed directly in float64, so it has no cancellation (a point on its
    centre is at 0); the second comes from the expansion, never below the nearest.
    """
    n, d = X.shape
    k = centers.shape[0]
    tile_rows = CHUNK_ROWS
    c_sq = _sq_norms(centers, X.dtype)
    c_sq_max = np.float64(c_sq.max()) if k > 0 else 0.0
    labels = np.empty(n, dtype=np.int64)
    nearest = np.empty(n, dtype=np.float64)
    second = np.empty(n, dtype=np.float64)
    for b in prange(n_blocks):
        start, stop = _block_rows(b, n_blocks, n)
        xbuf = np.empty((tile_rows, d), dtype=X.dtype)
        values = primed_tile(c_sq, tile_rows, True)
        best = np.empty(tile_rows, dtype=np.int32)
        best_v = np.empty(tile_rows, dtype=X.dtype)
        second_v = np.empty(tile_rows, dtype=X.dtype)
        for chunk_start in range(start, stop, tile_rows):
            m = min(tile_rows, stop - chunk_start)
            _shifted_chunk(X, x_shift, chunk_start, m, xbuf)
            tile_two_nearest(tile_values(xbuf, m, centers, values), m, c_sq, best, best_v, second_v)
            for i in range(m):
                j = best[i]
                x_sq = 0.0
                exact = 0.0
                for f in range(d):
                    x = np.float64(xbuf[i, f])
                    diff = x - np.float64(centers[j, f])
                    x_sq += x * x
                    exact += diff * diff
                second_d = x_sq + np.float64(second_v[i])
                # the digits lost are those of centres within (||x|| + 2 sqrt(second))^2 in
                # norm: a centre past it is over twice as far, and so is its computed value
                # (error_reach), so a far outlier's centre does not force the exact search
                reach_sq = error_reach(x_sq, 4.0 * second_d)
                if second_d <= _CANCELLATION * (x_sq + min(c_sq_max, reach_sq)):
                    # the expansion may have cancelled: the second exactly, row by row
                    second_d = np.inf
                    for other in range(k):
                        if other != j:
                            second_d = min(second_d, _exact_sq_distance(xbuf, i, centers, other))
                row = chunk_start + i
                labels[row] = j
                nearest[row] = exact
                second[row] = max(second_d, exact)
    return labels, nearest, second


@njit(cache=True)
def batch_cluster_sums(X, weights, labels, n_clusters):
    """Weighted float64 sums of a (mini-)batch's rows per label, and the weight per label."""
    d = X.shape[1]
    sums = np.zeros((n_clusters, d), dtype=np.float64)
    cluster_weights = np.zeros(n_clusters, dtype=np.float64)
    for i in range(X.shape[0]):
        c = labels[i]
        w = weights[i]
        cluster_weights[c] += w
        for f in range(d):
            sums[c, f] += w * X[i, f]
    return sums, cluster_weights


@njit(cache=True)
def reduce_blocks(block_sums, block_weights, sums, cluster_weights):
    """``sums``/``cluster_weights`` = the per-block accumulators added in block order (what
    ``np.add.reduce(..., axis=0)`` gives, bit for bit, without its per-call overhead);
    returns the number of clusters of zero weight."""
    n_blocks, k, d = block_sums.shape
    sums[:, :] = block_sums[0]
    cluster_weights[:] = block_weights[0]
    for b in range(1, n_blocks):
        for j in range(k):
            cluster_weights[j] += block_weights[b, j]
            for f in range(d):
                sums[j, f] += block_sums[b, j, f]
    empty = 0
    for j in range(k):
        empty += cluster_weights[j] == 0
    return empty


@njit(cache=True)
def fold_changes(block_sums, block_weights, block_members, totals, total_weights, total_members):
    """Add each block's changes (:func:`accumulate_changes`) to the running totals, in block
    order; a cluster left with no member of positive weight gets a sum and weight of exactly
    zero (not the rounding residue of its additions and subtractions), so it is empty as it
    would be in Lloyd's recount. Returns the number of clusters of zero weight.

    Serial: a parallel loop over the clusters was no faster at k = 1024 (1.27 against 1.25
    ms, memory-bound) and cost ~0.6 ms an iteration at k = 8, waking the threads."""
    n_blocks, k, d = block_sums.shape
    for b in range(n_blocks):
        for j in range(k):
            total_weights[j] += block_weights[b, j]
            total_members[j] += block_members[b, j]
            for f in range(d):
                totals[j, f] += block_sums[b, j, f]
    empty = 0
    for j in range(k):
        if total_members[j] == 0:
            total_weights[j] = 0.0
            totals[j, :] = 0.0
        empty += total_weights[j] == 0
    return empty


@njit(cache=True)
def move_centres(sums, cluster_weights, centers, new_centers, moved_sq):
    """Each centre of positive weight moves to its cluster's mean (cast to the data's dtype,
    ``new_centers``); an empty one stays. ``moved_sq`` receives the squared displacements
    (float64, from the cast centres)."""
    k, d = centers.shape
    for j in range(k):
        w = cluster_weights[j]
        moved = 0.0
        for f in range(d):
            if w > 0:
                new_centers[j, f] = sums[j, f] / w
            else:
                new_centers[j, f] = centers[j, f]
            step = np.float64(new_centers[j, f]) - np.float64(centers[j, f])
            moved += step * step
        moved_sq[j] = moved
