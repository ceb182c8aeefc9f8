"""K-means solvers. Each one has the same contract::

    solve(data, weights, centers_init, *, max_iter, tol, shift, verbose) -> KMeansResult

where ``data`` comes from :func:`kmeanskit.solvers._data.as_solver_data`, so that every solver
is tested the same way: same initial centres => same result as the reference Lloyd.
"""

from ._result import KMeansResult
from .hamerly import hamerly
from .lloyd import lloyd
from .yinyang import yinyang

SOLVERS = {
    "lloyd": lloyd,
    "hamerly": hamerly,
    "yinyang": yinyang,
    # scikit-learn's name for its bound-based exact solver; ours is Hamerly's (O(n) bounds)
    "elkan": hamerly,
}

AUTO_HAMERLY_MIN_CLUSTERS = 64
"""From benchmarks/RESULTS.md (same init, 20 iterations, 2 cores): Hamerly beats Lloyd at
k = 64, 256 and 1024 (by 1.07-1.35x) and loses at k = 8, 16 and 32 (by 1.1-1.9x), where
Lloyd's GEMM is cheap and the bound bookkeeping is not."""


def choose_solver(algorithm: str, n_clusters: int, sparse: bool) -> str:
    """The solver ``algorithm`` names; ``"auto"`` applies the measured rule above.

    Examples
    --------
    >>> choose_solver("auto", 8, sparse=False), choose_solver("auto", 256, sparse=False)
    ('lloyd', 'hamerly')
    """
    if algorithm != "auto":
        return algorithm
    if sparse:  # Hamerly runs Lloyd on CSR input anyway
        return "lloyd"
    return "hamerly" if n_clusters >= AUTO_HAMERLY_MIN_CLUSTERS else "lloyd"


__all__ = ["KMeansResult", "SOLVERS", "choose_solver", "hamerly", "lloyd", "yinyang"]
