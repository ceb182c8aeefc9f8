"""Lloyd's algorithm: assign every point to its nearest centre, move centres to the means."""

from __future__ import annotations

import numpy as np

from .._kernels.blocks import n_blocks_for
from ._data import assign
from ._result import KMeansResult


def relocate_empty_clusters(data, weights, shift, centers_old, labels, sums, cluster_weights):
    """Give each empty cluster the point farthest from its centre, as scikit-learn does.

    Works on the float64 sums before they are averaged: the point is moved out of its old
    cluster's sum into the empty cluster. Only points with positive weight qualify (a
    weightless point cannot hold a cluster), farthest first, ties to the lower index.
    """
    empty = np.flatnonzero(cluster_weights == 0)
    if empty.size == 0:
        return
    distances = data.sq_dist_to_assigned(shift, centers_old, labels)
    candidates = np.flatnonzero(weights > 0)
    ranked = candidates[np.argsort(-distances[candidates], kind="stable")]
    for cluster, row in zip(empty, ranked[: empty.size], strict=False):
        w = weights[row]
        x = data.shifted_row(row, shift)
        old = labels[row]
        sums[old] -= w * x
        cluster_weights[old] -= w
        sums[cluster] = w * x
        cluster_weights[cluster] = w


def lloyd(
    data, weights, centers_init, *, max_iter=300, tol=0.0, shift=None, verbose=False
) -> KMeansResult:
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
    shift : (d,) array or None, subtracted from rows while iterating; None means the data's
        weighted mean (pass it when running several times on the same data)
    verbose : bool, print the inertia of every iteration

    Returns
    -------
    KMeansResult
    """
    n, d = data.shape
    k = centers_init.shape[0]
    if shift is None:
        shift, _ = data.moments(weights)
    n_blocks = n_blocks_for(n, k, d)
    block_sums = np.empty((n_blocks, k, d), dtype=np.float64)
    block_weights = np.empty((n_blocks, k), dtype=np.float64)
    labels = np.full(n, -1, dtype=np.int32)
    centers = np.ascontiguousarray(centers_init - shift, dtype=data.dtype)

    converged = False
    for iteration in range(max_iter):
        n_changed = data.lloyd_pass(
            weights, shift, centers, labels, block_sums, block_weights, True
        )
        sums = np.add.reduce(block_sums, axis=0)
        cluster_weights = np.add.reduce(block_weights, axis=0)
        relocate_empty_clusters(data, weights, shift, centers, labels, sums, cluster_weights)
        filled = cluster_weights > 0
        new_centers = centers.astype(np.float64)
        new_centers[filled] = sums[filled] / cluster_weights[filled, None]
        new_centers = new_centers.astype(data.dtype)
        center_shift = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
        if verbose:
            inertia = data.inertia(weights, shift, centers, labels, n_blocks)
            print(f"Iteration {iteration}, inertia {inertia}.")
        centers = new_centers
        if n_changed == 0:
            converged = True
            if verbose:
                print(f"Converged at iteration {iteration}: strict convergence.")
            break
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
    labels, inertia = assign(data, weights, centers_out)
    return KMeansResult(centers_out, labels, inertia, iteration + 1, converged)
