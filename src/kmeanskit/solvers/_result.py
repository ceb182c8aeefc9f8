from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KMeansResult:
    """What one k-means run returns.

    Attributes
    ----------
    centers : (k, d) ndarray in the data's dtype and original coordinates.
    labels : (n,) int32 ndarray, the nearest centre of every sample.
    inertia : float, weighted sum of squared distances to the assigned centres.
    n_iter : int, iterations run.
    converged : bool, whether the run stopped before ``max_iter`` (strict or tol).
    swaps : int, accepted swap trials (:mod:`kmeanskit.refine`) before the final run.
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    swaps: int = 0
