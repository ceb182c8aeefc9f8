"""K-means solvers. Each one has the same contract::

    solve(data, weights, centers_init, *, max_iter, tol, verbose) -> KMeansResult

where ``data`` comes from :func:`kmeanskit.solvers._data.as_solver_data`, so that every solver
is tested the same way: same initial centres => same result as the reference Lloyd.
"""

from ._result import KMeansResult
from .lloyd import lloyd

SOLVERS = {"lloyd": lloyd}

__all__ = ["KMeansResult", "SOLVERS", "lloyd"]
