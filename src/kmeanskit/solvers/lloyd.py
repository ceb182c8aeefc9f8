"""Lloyd's algorithm: assign every point to its nearest centre, move centres to the means."""

from __future__ import annotations

import numpy as np

from .._kernels.blocks import n_blocks_for
from ._result import KMeansResult


def relocate_empty_clusters(data, weights, centers_old, labels, sums, cluster_weights):
    """Give each empty cluster the point farthest from its centre, as scikit-learn does.

    Works on the float64 sums before they are averaged: the point is moved out of its old
    cluster's sum into the empty cluster. Only points with positive weight qualify (a
    weightless point cannot hold a cluster), farthest first, ties to the lower index.
    """
    empty = np.flatnonzero(cluster_weights == 0)
    if empty.size == 0:
        return
    distances = data.sq_dist_to_assigned(centers_old, labels)
    candidates = np.flatnonzero(weights > 0)
    ranked = candidates[np.argsort(-distances[candidates], kind="stable")]
    for cluster, row in zip(empty, ranked[: empty.size], strict=False):
        w = weights[row]
        x = data.shifted_row(row)
        old = labels[row]
        sums[old] -= w * x
        cluster_weights[old] -= w
        sums[cluster] = w * x
        cluster_weights[cluster] = w


def lloyd(data, weights, centers_init, *, max_iter=300, tol=0.0, verbose=False) -> KMeansResult:
    """Run Lloyd iterations from ``centers_init`` (original coordinates).

    Stops on strict convergence (no label changed) or when the squared centre shift summed
    over clusters is ``<= tol`` (an absolute tolerance: the estimator scales it by the data's
    variance). Iterates exactly as ``sklearn.cluster.KMeans(algorithm="lloyd")``, so the same
    initial centres give the same labels and inertia.

    Parameters
    ----------
    data : DenseData or CsrData
    weights : (n,) float64
    centers_init : (k, d) array in the data's dtype
    max_iter : int
    tol : float, absolute tolerance on the summed squared centre shift
    verbose : bool, print the inertia of every iteration

    Returns
    -------
    KMeansResult
    """
    n, d = data.shape
    k = centers_init.shape[0]
    n_blocks = n_blocks_for(n, k, d)
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_weights = np.empty((n_blocks, k), dtype=np.float64)
    labels = np.full(n, -1, dtype=np.int32)
    centers = np.ascontiguousarray(centers_init - data.shift, dtype=data.dtype)

    strict = False
    converged = False
    for iteration in range(max_iter):
        n_changed = data.lloyd_pass(weights, centers, labels, block_sums, block_weights, True)
        sums = np.add.reduce(block_sums, axis=0)
        cluster_weights = np.add.reduce(block_weights, axis=0)
        relocate_empty_clusters(data, weights, centers, labels, sums, cluster_weights)
        filled = cluster_weights > 0
        new_centers = centers.astype(np.float64)
        new_centers[filled] = sums[filled] / cluster_weights[filled, None]
        new_centers = new_centers.astype(data.dtype)
        shift = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
        if verbose:
            inertia = data.inertia(weights, centers, labels, n_blocks)
            print(f"Iteration {iteration}, inertia {inertia}.")
        centers = new_centers
        if n_changed == 0:
            strict = converged = True
            if verbose:
                print(f"Converged at iteration {iteration}: strict convergence.")
            break
        if shift <= tol:
            converged = True
            if verbose:
                print(
                    f"Converged at iteration {iteration}: center shift {shift} within "
                    f"tolerance {tol}."
                )
            break

    if not strict:  # labels must match the final centres
        data.lloyd_pass(weights, centers, labels, block_sums, block_weights, False)
    inertia = data.inertia(weights, centers, labels, n_blocks)
    centers_out = (centers + data.shift).astype(data.dtype)
    return KMeansResult(centers_out, labels, inertia, iteration + 1, converged)
