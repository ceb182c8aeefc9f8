"""Kd-tree filtering k-means (Kanungo et al. 2002): Lloyd's iterations on low-dimensional data
with whole groups of points assigned at once."""

from __future__ import annotations

import numpy as np

from .._kernels import kdtree as kernels
from .._kernels.blocks import n_blocks_for
from ._loop import iterate
from ._result import KMeansResult

LEAF_SIZE = 32
"""Rows per leaf that the tree's depth is chosen for (splits at a sampled median make leaves
of about this many); leaves are searched row by row against their candidate centres."""


def _top_depth(depth: int, n_blocks: int) -> int:
    """Depth of the subtrees that are the pass's blocks: the most that fit in ``n_blocks``."""
    top = 0
    while top < depth and 2 ** (top + 1) <= n_blocks:
        top += 1
    return top


def tree_for(data, weights, shift):
    """The kd-tree of ``data`` shifted by ``shift``, built once and kept on ``data`` for
    later solves with the same weights and shift (swap refinement solves many times)."""
    key = shift.tobytes()
    cached = getattr(data, "_kdtree", None)
    if cached is not None and cached[0] == key and cached[1] is weights:
        return cached[2]
    depth = int(kernels.tree_depth(data.shape[0], LEAF_SIZE))
    tree = (depth, *kernels.build(data.X, weights, shift, depth))
    data._kdtree = (key, weights, tree)
    return tree


def kdtree(
    data,
    weights,
    centers_init,
    *,
    max_iter=300,
    tol=0.0,
    shift=None,
    verbose=False,
    spherical=False,
) -> KMeansResult:
    """Exact k-means by kd-tree filtering (Kanungo et al. 2002): same iterations as Lloyd.

    The rows are put once into a balanced kd-tree whose nodes store their bounding box and
    weighted sum. Each pass walks the tree with the list of centres that may be nearest to
    some point of the node; a centre is dropped when a box corner shows it is farther than
    another from the whole box, and a node left with one centre is assigned whole from its
    stored sum. Only the rows near cluster boundaries are looked at one by one. On data of few
    dimensions that is a small fraction of the rows; the pruning fades as ``d`` grows. The
    result equals Lloyd's from the same initial centres up to floating-point near-ties
    (distances are compared exactly in float64). Dense data in memory only.

    Parameters and return value are those of :func:`kmeanskit.solvers.lloyd`.
    """
    if data.sparse or not hasattr(data, "X"):
        raise ValueError("the kd-tree solver takes dense in-memory data")
    if shift is None:
        shift, _ = data.moments(weights)
    n, d = data.shape
    k = centers_init.shape[0]
    depth, rows, order, start, stop, lo, hi, node_sums, node_total = tree_for(data, weights, shift)
    top_depth = _top_depth(depth, n_blocks_for(n, k, d))
    owner = np.full(start.shape[0], -1, dtype=np.int64)
    owner_pass = np.full(start.shape[0], -2, dtype=np.int64)
    tree_labels = np.full(n, -1, dtype=np.int32)  # the loop's labels start at -1 too
    passes = 0

    def assign_step(centers, labels, block_sums):
        nonlocal passes
        passes += 1
        return int(
            kernels.filter_pass(
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
                passes,
                labels,
                tree_labels,
                block_sums.sums,
                block_sums.weights,
            )
        )

    return iterate(
        data,
        weights,
        centers_init,
        max_iter=max_iter,
        tol=tol,
        shift=shift,
        verbose=verbose,
        spherical=spherical,
        assign_step=assign_step,
    )
