"""The iteration loop every exact solver shares; solvers differ only in their assignment step.

An assignment step assigns every row to its nearest centre (by whatever means: full GEMM,
bounds) and fills per-block float64 sums (:class:`BlockSums`): of every row, or only of the
rows that changed cluster, which the loop adds to running totals. The loop reduces them,
relocates empty clusters, moves the centres and decides convergence exactly as
scikit-learn's Lloyd does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._kernels.blocks import n_blocks_for
from .._kernels.dense import fold_changes, move_centres, reduce_blocks
from ._data import assign
from ._result import KMeansResult


def relocate_empty_clusters(data, weights, shift, centers_old, labels, sums, cluster_weights):
    """Give each empty cluster the point farthest from its centre, as scikit-learn does.

    Works on the float64 sums before they are averaged: the point is moved out of its old
    cluster's sum into the empty cluster (its label is left for the next assignment). Only
    points with positive weight qualify, farthest first, ties to the lower index; copies of
    a point already taken are skipped, so relocation never creates two equal centres.
    """
    empty = np.flatnonzero(cluster_weights == 0)
    if empty.size == 0:
        return
    distances = data.sq_dist_to_assigned(shift, centers_old, labels)
    candidates = np.flatnonzero(weights > 0)
    ranked = candidates[np.argsort(-distances[candidates], kind="stable")]
    taken: list[np.ndarray] = []
    for row in ranked:
        if len(taken) == empty.size:
            break
        x = data.shifted_row(int(row), shift)
        if any(np.array_equal(x, t) for t in taken):
            continue  # a copy of a point already used: two equal centres would tie forever
        cluster = empty[len(taken)]
        taken.append(x)
        w = weights[row]
        old = labels[row]
        sums[old] -= w * x
        cluster_weights[old] -= w
        sums[cluster] = w * x
        cluster_weights[cluster] = w


def unit_centres(shifted: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Centres (float64, shifted coordinates) scaled to unit length in original coordinates;
    a zero centre stays zero."""
    original = shifted + shift
    norms = np.sqrt(np.einsum("ij,ij->i", original, original))
    original[norms > 0] /= norms[norms > 0, None]
    return original - shift


class BlockSums:
    """The per-block float64 accumulators an assignment step fills, and their reduction.

    With ``of_changes`` False a step fills every block's sums of its rows per cluster
    (``sums`` (n_blocks, k, d), ``weights`` (n_blocks, k)) and :meth:`reduce` adds them in
    block order. With ``of_changes`` True it fills only the changes made by the rows whose
    label changed, and ``members`` (n_blocks, k) int64, the change in each cluster's number
    of members of positive weight (:func:`kmeanskit._kernels.dense.accumulate_changes`);
    :meth:`reduce` adds them to running totals (:func:`kmeanskit._kernels.dense.fold_changes`).
    """

    def __init__(self, n_blocks: int, k: int, d: int, of_changes: bool):
        self.sums = np.empty((n_blocks, k, d), dtype=np.float64)
        self.weights = np.empty((n_blocks, k), dtype=np.float64)
        self.members = np.empty((n_blocks, k if of_changes else 0), dtype=np.int64)
        self.of_changes = of_changes
        if of_changes:
            self._totals = np.zeros((k, d), dtype=np.float64)
            self._total_weights = np.zeros(k, dtype=np.float64)
            self._total_members = np.zeros(k, dtype=np.int64)

    def reduce(self, sums: np.ndarray, cluster_weights: np.ndarray) -> int:
        """Every cluster's sum and weight into ``sums`` and ``cluster_weights`` (the caller's
        to change); returns the number of clusters of zero weight."""
        if not self.of_changes:
            return reduce_blocks(self.sums, self.weights, sums, cluster_weights)
        empty = fold_changes(
            self.sums,
            self.weights,
            self.members,
            self._totals,
            self._total_weights,
            self._total_members,
        )
        sums[:] = self._totals
        cluster_weights[:] = self._total_weights
        return empty


# assign_step(centers, labels, block_sums) -> number of labels changed
AssignStep = Callable[[np.ndarray, np.ndarray, BlockSums], int]
# on_move(labels, per-centre Euclidean displacement) -> None, e.g. to loosen bounds
OnMove = Callable[[np.ndarray, np.ndarray], None]
# final_step(centres in the loop's frame, returned centres, labels of the last pass)
#   -> (labels, inertia), as assign gives them
FinalStep = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, float]]


def iterate(
    data,
    weights,
    centers_init,
    *,
    max_iter: int,
    tol: float,
    shift: np.ndarray,
    verbose: bool,
    assign_step: AssignStep,
    on_move: OnMove | None = None,
    spherical: bool = False,
    sums_of_changes: bool = False,
    final_step: FinalStep | None = None,
) -> KMeansResult:
    """Run assignment/update iterations from ``centers_init`` (original coordinates).

    ``sums_of_changes``: the assignment step fills its :class:`BlockSums` with the changes
    of the rows that changed cluster only (the bound-based solvers), not with every row's.
    ``final_step`` replaces the final E-step (:func:`kmeanskit.solvers._data.assign`) with
    one that must give the same labels and inertia, e.g. from bounds.

    ``spherical`` scales every moved centre to unit length in original coordinates (spherical
    k-means: on unit-length rows the nearest centre is then the most cosine-similar one).

    Stops on strict convergence (no label changed) or when the squared centre shift summed
    over clusters is ``<= tol``. The returned labels and inertia are computed against the
    returned centres by :func:`kmeanskit.solvers._data.assign`, as ``predict`` computes them.
    """
    n, d = data.shape
    k = centers_init.shape[0]
    n_blocks = n_blocks_for(n, k, d)
    block_sums = BlockSums(n_blocks, k, d, sums_of_changes)
    labels = np.full(n, -1, dtype=np.int32)
    centers = np.ascontiguousarray(centers_init - shift, dtype=data.dtype)

    sums = np.empty((k, d), dtype=np.float64)
    cluster_weights = np.empty(k, dtype=np.float64)
    moved_sq = np.empty(k, dtype=np.float64)

    converged = False
    for iteration in range(max_iter):
        n_changed = assign_step(centers, labels, block_sums)
        # one compiled call for the reduction and one for the move: the numpy steps they
        # replace cost ~50 us per iteration, 5% of a 60 ms fit of 46 iterations
        if block_sums.reduce(sums, cluster_weights):
            relocate_empty_clusters(data, weights, shift, centers, labels, sums, cluster_weights)
        new_centers = np.empty_like(centers)
        if spherical:
            filled = cluster_weights > 0
            moved = centers.astype(np.float64)
            moved[filled] = sums[filled] / cluster_weights[filled, None]
            new_centers[:] = unit_centres(moved, shift)
            moved_sq[:] = ((new_centers.astype(np.float64) - centers) ** 2).sum(axis=1)
        else:
            move_centres(sums, cluster_weights, centers, new_centers, moved_sq)
        if verbose:
            inertia = data.inertia(weights, shift, centers, labels, n_blocks)
            print(f"Iteration {iteration}, inertia {inertia}.")
        centers = new_centers
        if on_move is not None:
            on_move(labels, np.sqrt(moved_sq))
        if n_changed == 0:
            converged = True
            if verbose:
                print(f"Converged at iteration {iteration}: strict convergence.")
            break
        center_shift = float(moved_sq.sum())
        if center_shift <= tol:
            converged = True
            if verbose:
                print(
                    f"Converged at iteration {iteration}: center shift {center_shift} within "
                    f"tolerance {tol}."
                )
            break

    centers_out = np.ascontiguousarray((centers + shift).astype(data.dtype))
    # final E-step against the returned centres, exactly as predict() will compute it
    if final_step is not None:
        labels, inertia = final_step(centers, centers_out, labels)
    else:
        labels, inertia = assign(data, weights, centers_out, out=labels)
    return KMeansResult(centers_out, labels, inertia, iteration + 1, converged)
