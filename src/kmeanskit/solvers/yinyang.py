"""Yinyang exact k-means: Lloyd's iterations with distance computations skipped by group."""

from __future__ import annotations

import numpy as np

from .._kernels import yinyang as kernels
from .._kernels.blocks import tile_rows_for
from .._kernels.bounds import half_separations
from ._data import sq_norms
from ._loop import iterate
from ._result import KMeansResult

CENTRES_PER_GROUP = 10
"""Ding et al. (2015) use k / 10 groups."""

GROUPING_ITERATIONS = 5
"""Lloyd iterations that cluster the initial centres into groups (as in the paper)."""

BOUNDS_BUDGET_BYTES = 256 * 2**20
"""Memory allowed for the float32 group bounds (n x groups); fewer groups above it."""

DIRECT_FRACTION = 1 / 8
"""A row whose open groups hold more than this fraction of the k centres is searched through
the GEMM tile (all k distances at once) instead of one distance at a time: a distance in the
tile costs several times less than one computed alone."""


def group_centres(centers: np.ndarray, n_groups: int) -> np.ndarray:
    """Group of every centre: a few Lloyd iterations on the centres themselves.

    Deterministic (starts from evenly spaced centres); empty groups are dropped, so groups are
    numbered 0 .. n_groups' - 1 with n_groups' <= n_groups.

    Examples
    --------
    >>> c = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> group_centres(c, 2)
    array([0, 0, 1, 1])
    """
    c = centers.astype(np.float64)
    k = c.shape[0]
    n_groups = max(1, min(n_groups, k))
    seeds = c[np.linspace(0, k - 1, n_groups).round().astype(np.int64)]
    group = np.zeros(k, dtype=np.int64)
    for _ in range(GROUPING_ITERATIONS):
        d2 = (c**2).sum(1)[:, None] - 2.0 * c @ seeds.T + (seeds**2).sum(1)[None, :]
        group = d2.argmin(axis=1)
        for g in range(n_groups):
            mine = group == g
            if mine.any():
                seeds[g] = c[mine].mean(axis=0)
    _, group = np.unique(group, return_inverse=True)  # drop empty groups, keep the order
    return group.astype(np.int64)


def n_groups_for(n_samples: int, n_clusters: int) -> int:
    """k / 10 groups, fewer when n x groups float32 bounds would exceed the budget."""
    wanted = -(-n_clusters // CENTRES_PER_GROUP)
    affordable = max(1, BOUNDS_BUDGET_BYTES // (4 * max(1, n_samples)))
    return int(max(1, min(wanted, affordable)))


def yinyang(
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
    """Exact k-means with Yinyang's group bounds (Ding et al. 2015): same iterations as Lloyd.

    The initial centres are clustered into about k / 10 groups. Every point keeps an upper
    bound on the distance to its centre and one lower bound per group, so after a move only
    the groups whose centres came close need searching, and within them only the centres
    that moved enough. Memory: n x groups float32 bounds (capped at 256 MiB by using fewer
    groups). The result equals Lloyd's from the same initial centres up to floating-point
    near-ties. Dense data only
    (:func:`kmeanskit.solvers.choose_solver` sends CSR input to Lloyd).

    Parameters and return value are those of :func:`kmeanskit.solvers.lloyd`.
    """
    if data.sparse:
        raise ValueError("bound-based solvers take dense data; choose_solver sends CSR to lloyd")
    if shift is None:
        shift, _ = data.moments(weights)
    n, d = data.shape
    k = centers_init.shape[0]
    group_of = group_centres(centers_init, n_groups_for(n, k))
    members = np.argsort(group_of, kind="stable").astype(np.int64)
    position = np.empty(k, dtype=np.int64)
    position[members] = np.arange(k)
    n_groups = int(group_of.max()) + 1
    group_start = np.searchsorted(group_of[members], np.arange(n_groups + 1)).astype(np.int64)

    margin = 4.0 * (d + 4) * float(np.finfo(data.dtype).eps)  # as in hamerly
    upper = np.empty(n, dtype=np.float64)
    lower = np.empty((n, n_groups), dtype=np.float32)
    moved = np.zeros(k, dtype=np.float64)
    group_drift = np.zeros(n_groups, dtype=np.float64)
    tile_rows = tile_rows_for(k, data.dtype.itemsize)
    max_direct = int(DIRECT_FRACTION * k)

    def assign_step(centers, labels, block_sums):
        grouped = np.ascontiguousarray(centers[members])
        changed, _, _ = kernels.yinyang_pass(
            data.X,
            weights,
            shift,
            grouped,
            sq_norms(grouped),
            grouped.astype(np.float64),
            position,
            group_of,
            members,
            group_start,
            half_separations(centers),
            moved,
            group_drift,
            margin,
            labels,
            upper,
            lower,
            block_sums.sums,
            block_sums.weights,
            block_sums.members,
            max_direct,
            tile_rows,
        )
        return changed

    def on_move(labels, displacement):
        # applied lazily by the next pass, as each row's bounds are read
        moved[:] = displacement
        group_drift[:] = np.maximum.reduceat(displacement[members], group_start[:-1])

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
        on_move=on_move,
        sums_of_changes=True,
    )
