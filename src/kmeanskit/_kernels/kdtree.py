"""Numba kernels for the kd-tree filtering solver (Kanungo et al. 2002).

The tree is a perfect binary tree in heap layout (node ``i`` has children ``2i + 1`` and
``2i + 2``): every node is split at the median of its widest dimension until the leaves hold
at most ``leaf_size`` rows, so all leaves sit at one depth and a level's nodes can be built
in parallel. ``order`` lists the rows in tree order; node ``i`` holds ``order[start[i]:
stop[i]]``. Each node keeps the tight bounding box of its (shifted) rows and their weighted
float64 sum, so a node whose every point is nearer to one centre than to all others is
assigned whole, without looking at its rows.

The filtering pass walks each of a fixed set of subtrees (the nodes at one depth) depth
first, carrying the list of centres that may still be nearest to some point of the node.
Blocks of the pass are those subtrees, which depend only on the data's shape, so sums are
reduced in a fixed order and results do not depend on the number of threads.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True)
def tree_depth(n, leaf_size):
    """Depth of the perfect tree whose leaves hold at most ``leaf_size`` of ``n`` rows."""
    depth = 0
    size = n
    while size > leaf_size:
        size = (size + 1) // 2
        depth += 1
    return depth


PIVOT_SAMPLE = 31
"""Keys whose median is a node's split value (evenly spaced over the node's rows); nodes of
fewer than SMALL_NODE rows use SMALL_SAMPLE keys, where sorting would cost more than the
split saves."""
SMALL_NODE = 1024
SMALL_SAMPLE = 7


@njit(cache=True, inline="always")
def _split_value(rows, a, b, f, sample):
    """The median of a few evenly spaced keys (column ``f``) of ``rows[a:b]``, sorted by
    insertion into ``sample``."""
    m = b - a
    s = min(m, PIVOT_SAMPLE if m >= SMALL_NODE else SMALL_SAMPLE)
    for t in range(s):
        key = np.float64(rows[a + (t * m) // s, f])
        u = t
        while u > 0 and sample[u - 1] > key:
            sample[u] = sample[u - 1]
            u -= 1
        sample[u] = key
    return sample[s // 2]


@njit(cache=True, inline="always")
def _goes_left(key, value, or_equal):
    return key < value or (or_equal and key == value)


@njit(cache=True, inline="always")
def _partition(rows, order, a, b, f, value, or_equal):
    """Move the rows of ``rows[a:b]`` whose key (column ``f``) is below ``value`` (or equal
    to it, if ``or_equal``) before the others, ``order`` alongside; return where the others
    start."""
    d = rows.shape[1]
    i = a
    j = b - 1
    while True:
        while i <= j and _goes_left(rows[i, f], value, or_equal):
            i += 1
        while i <= j and not _goes_left(rows[j, f], value, or_equal):
            j -= 1
        if i >= j:
            return i
        for g in range(d):
            rows[i, g], rows[j, g] = rows[j, g], rows[i, g]
        order[i], order[j] = order[j], order[i]
        i += 1
        j -= 1


SERIAL_NODES = 4
"""Levels of fewer nodes than this are split on one thread."""


@njit(cache=True)
def _split_node(rows, order, start, stop, lo, hi, node):
    """Split ``node``'s rows along the widest side of its box into its two children (their
    boxes: the parent's, cut at the split value)."""
    d = rows.shape[1]
    a, b = start[node], stop[node]
    widest = 0
    for f in range(1, d):
        if hi[node, f] - lo[node, f] > hi[node, widest] - lo[node, widest]:
            widest = f
    mid = b
    split = hi[node, widest]
    if b - a > 1:
        sample = np.empty(PIVOT_SAMPLE, dtype=np.float64)
        split = _split_value(rows, a, b, widest, sample)
        mid = _partition(rows, order, a, b, widest, split, False)
        if mid == a:  # many keys equal the split value: they go left instead
            mid = _partition(rows, order, a, b, widest, split, True)
        if mid == b:  # every key is equal: any cut is as good
            mid = a + (b - a) // 2
    for child in (2 * node + 1, 2 * node + 2):
        for f in range(d):
            lo[child, f] = lo[node, f]
            hi[child, f] = hi[node, f]
    start[2 * node + 1], stop[2 * node + 1] = a, mid
    start[2 * node + 2], stop[2 * node + 2] = mid, b
    hi[2 * node + 1, widest] = split
    lo[2 * node + 2, widest] = split


@njit(parallel=True, cache=True)
def build(X, weights, x_shift, depth):
    """The tree over the rows of ``X`` shifted by ``x_shift``.

    Returns ``rows`` (the shifted rows in tree order, in X's dtype: the values Lloyd's tiles
    hold), ``order`` (int64, the row of X at each position), ``start``/``stop`` (positions of
    each node's rows), ``lo``/``hi`` (tight bounding boxes, float64), ``sums`` (weighted
    float64 sums of the rows) and ``total`` (summed weights). A node is split along its
    widest side at the median of a sample of its keys, so its halves are nearly, not
    exactly, equal; a node of one row leaves its right child empty.
    """
    n, d = X.shape
    n_nodes = 2 ** (depth + 1) - 1
    order = np.arange(n)
    rows = np.empty((n, d), dtype=X.dtype)
    for i in prange(n):
        for f in range(d):
            rows[i, f] = X[i, f] - x_shift[f]
    start = np.zeros(n_nodes, dtype=np.int64)
    stop = np.zeros(n_nodes, dtype=np.int64)
    stop[0] = n
    lo = np.empty((n_nodes, d), dtype=np.float64)
    hi = np.empty((n_nodes, d), dtype=np.float64)
    sums = np.zeros((n_nodes, d), dtype=np.float64)
    total = np.zeros(n_nodes, dtype=np.float64)
    # the root's box, then each level's boxes derived from the split (only to choose the
    # widest side; the tight boxes are computed from the leaves afterwards)
    for f in range(d):
        lo[0, f] = np.inf
        hi[0, f] = -np.inf
    for i in range(n):
        for f in range(d):
            lo[0, f] = min(lo[0, f], np.float64(rows[i, f]))
            hi[0, f] = max(hi[0, f], np.float64(rows[i, f]))
    for level in range(depth):
        first = 2**level - 1
        if 2**level < SERIAL_NODES:  # a parallel region would cost more than it shares
            for p in range(2**level):
                _split_node(rows, order, start, stop, lo, hi, first + p)
        else:
            for p in prange(2**level):
                _split_node(rows, order, start, stop, lo, hi, first + p)
    # tight boxes and sums: leaves from their rows, inner nodes from their children
    first_leaf = 2**depth - 1
    for p in prange(2**depth):
        node = first_leaf + p
        for f in range(d):
            lo[node, f] = np.inf
            hi[node, f] = -np.inf
        for t in range(start[node], stop[node]):
            w = weights[order[t]]
            total[node] += w
            for f in range(d):
                v = rows[t, f]
                lo[node, f] = min(lo[node, f], np.float64(v))
                hi[node, f] = max(hi[node, f], np.float64(v))
                sums[node, f] += w * v
    for level in range(depth - 1, -1, -1):
        first = 2**level - 1
        for p in prange(2**level):
            node = first + p
            left, right = 2 * node + 1, 2 * node + 2
            total[node] = total[left] + total[right]
            for f in range(d):
                lo[node, f] = min(lo[left, f], lo[right, f])
                hi[node, f] = max(hi[left, f], hi[right, f])
                sums[node, f] = sums[left, f] + sums[right, f]
    return rows, order, start, stop, lo, hi, sums, total


@njit(cache=True, inline="always")
def _nearest(point, centers, candidates, m):
    """The candidate of ``candidates[:m]`` nearest to ``point`` (exact float64 squared
    distances; ties to the lowest centre index, candidates being in increasing order)."""
    d = point.shape[0]
    best = candidates[0]
    best_dist = np.inf
    for c in range(m):
        j = candidates[c]
        dist = 0.0
        for f in range(d):
            diff = np.float64(point[f]) - centers[j, f]
            dist += diff * diff
        if dist < best_dist:
            best_dist = dist
            best = j
    return best


@njit(cache=True, inline="always")
def _filter(node, lo, hi, centers, parent, n_parent, out, midpoint):
    """Write into ``out`` the centres of ``parent[:n_parent]`` that may be nearest to some
    point of ``node``'s box; return how many (``midpoint``: a (d,) float64 buffer).

    The candidate ``z*`` nearest to the box's midpoint is kept. Another candidate ``z`` is
    dropped when it is farther than ``z*`` from every point of the box: the box's corner
    most in the direction of ``z - z*`` is still nearer to ``z*`` (by more than the rounding
    error of the test, so that near-ties are decided row by row at the leaves)."""
    d = lo.shape[1]
    for f in range(d):
        midpoint[f] = 0.5 * (lo[node, f] + hi[node, f])
    best = _nearest(midpoint, centers, parent, n_parent)
    m = 0
    for c in range(n_parent):
        j = parent[c]
        if j != best:
            # min over the box of ||z - p||^2 - ||z* - p||^2, a linear function of p
            gap = 0.0
            scale = 0.0
            for f in range(d):
                step = np.float64(centers[j, f]) - centers[best, f]
                corner = hi[node, f] if step > 0 else lo[node, f]
                term = step * ((np.float64(centers[j, f]) + centers[best, f]) - 2.0 * corner)
                gap += term
                scale += abs(term)
            if gap <= 1e-12 * scale:
                out[m] = j
                m += 1
        else:
            out[m] = j
            m += 1
    return m


@njit(parallel=True, cache=True)
def filter_pass(
    weights,
    centers,
    rows,
    order,
    start,
    stop,
    lo,
    hi,
    node_sums,
    node_total,
    depth,
    top_depth,
    owner,
    owner_pass,
    this_pass,
    labels,
    tree_labels,
    block_sums,
    block_weights,
):
    """Assign every row to its nearest centre by filtering the tree; fill per-block sums.

    Block ``b`` is the subtree under the ``b``-th node at ``top_depth`` (blocks beyond
    ``2**top_depth`` are zeroed). A node found to be owned by one centre adds its stored sum;
    its rows' labels are rewritten only if it was not owned by the same centre in the
    previous pass (``owner``/``owner_pass`` remember that), because nothing else can have
    touched them since. ``tree_labels`` holds the same labels in tree order, so that rows are
    compared where they lie; ``labels`` (row order) is written only where a label changes.
    Returns the number of labels that changed.
    """
    d = rows.shape[1]
    k = centers.shape[0]
    n_top = 2**top_depth
    first_top = n_top - 1
    block_sums[:, :, :] = 0.0
    block_weights[:, :] = 0.0
    changed = np.zeros(n_top, dtype=np.int64)
    for b in prange(n_top):
        sums = block_sums[b]
        cw = block_weights[b]
        levels = depth - top_depth + 1
        candidates = np.empty((levels + 1, k), dtype=np.int64)
        counts = np.empty(levels + 1, dtype=np.int64)
        for j in range(k):
            candidates[0, j] = j
        counts[0] = k
        midpoint = np.empty(d, dtype=np.float64)
        stack_node = np.empty(2 * levels + 2, dtype=np.int64)
        stack_level = np.empty(2 * levels + 2, dtype=np.int64)
        top = 0
        stack_node[0] = first_top + b
        stack_level[0] = 0
        n_changed = 0
        while top >= 0:
            node = stack_node[top]
            level = stack_level[top]
            top -= 1
            if stop[node] == start[node]:
                continue  # the empty right child of a one-row node
            m = _filter(
                node,
                lo,
                hi,
                centers,
                candidates[level],
                counts[level],
                candidates[level + 1],
                midpoint,
            )
            if m == 1:
                j = candidates[level + 1, 0]
                cw[j] += node_total[node]
                for f in range(d):
                    sums[j, f] += node_sums[node, f]
                if not (owner[node] == j and owner_pass[node] == this_pass - 1):
                    for t in range(start[node], stop[node]):
                        if tree_labels[t] != j:
                            tree_labels[t] = j
                            labels[order[t]] = j
                            n_changed += 1
                owner[node] = j
                owner_pass[node] = this_pass
            elif level + top_depth == depth:  # a leaf: row by row
                for t in range(start[node], stop[node]):
                    j = _nearest(rows[t], centers, candidates[level + 1], m)
                    if tree_labels[t] != j:
                        tree_labels[t] = j
                        labels[order[t]] = j
                        n_changed += 1
                    w = weights[order[t]]
                    cw[j] += w
                    for f in range(d):
                        sums[j, f] += w * rows[t, f]
            else:
                counts[level + 1] = m
                top += 1
                stack_node[top] = 2 * node + 2
                stack_level[top] = level + 1
                top += 1
                stack_node[top] = 2 * node + 1
                stack_level[top] = level + 1
        changed[b] = n_changed
    return changed.sum()
