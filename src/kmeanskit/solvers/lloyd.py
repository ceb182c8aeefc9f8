"""Lloyd's algorithm: assign every point to its nearest centre, move centres to the means."""

from __future__ import annotations

from ._loop import iterate
from ._result import KMeansResult


def lloyd(
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
    """Run Lloyd iterations from ``centers_init`` (original coordinates).

    Every iteration computes all n x k distances, a GEMM tile of 256 rows at a time fused with
    the argmin and the accumulation. Iterates exactly as
    ``sklearn.cluster.KMeans(algorithm="lloyd")``, so the same initial centres give the same
    labels and inertia.

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
    spherical : bool, scale the centres to unit length after every update (spherical k-means)

    Returns
    -------
    KMeansResult
    """
    if shift is None:
        shift, _ = data.moments(weights)

    running_sums = not data.sparse  # dense: add only the rows that changed cluster

    def assign_step(centers, labels, block_sums):
        return data.lloyd_pass(
            weights,
            shift,
            centers,
            labels,
            block_sums.sums,
            block_sums.weights,
            True,
            block_sums.members if running_sums else None,
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
        sums_of_changes=running_sums,
    )
