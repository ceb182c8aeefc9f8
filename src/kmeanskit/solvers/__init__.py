"""K-means solvers. Each one has the same contract::

    solve(data, weights, centers_init, *, max_iter, tol, shift, verbose) -> KMeansResult

where ``data`` comes from :func:`kmeanskit.solvers._data.as_solver_data`, so that every solver
is tested the same way: same initial centres => same result as the reference Lloyd.
"""

from ._result import KMeansResult
from .hamerly import hamerly
from .lloyd import lloyd

SOLVERS = {
    "lloyd": lloyd,
    "hamerly": hamerly,
    # scikit-learn's name for its bound-based exact solver; ours is Hamerly's (O(n) bounds)
    "elkan": hamerly,
}

__all__ = ["KMeansResult", "SOLVERS", "hamerly", "lloyd"]
