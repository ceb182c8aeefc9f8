"""K-means solvers. Each one has the same contract::

    solve(data, weights, centers_init, *, max_iter, tol, shift, verbose) -> KMeansResult

where ``data`` comes from :func:`kmeanskit.solvers._data.as_solver_data`, so that every solver
is tested the same way: same initial centres => same result as the reference Lloyd.
"""

from ._result import KMeansResult
from .hamerly import hamerly
from .kdtree import kdtree
from .lloyd import lloyd
from .yinyang import yinyang

SOLVERS = {
    "lloyd": lloyd,
    "hamerly": hamerly,
    "kdtree": kdtree,
    "yinyang": yinyang,
    # scikit-learn's name for its bound-based exact solver; ours is the fastest of ours
    "elkan": yinyang,
}

AUTO_KDTREE_MAX_FEATURES = 3
AUTO_KDTREE_3D_MIN_CLUSTERS = 64
"""From benchmarks/SOLVERS.md (float32 mixtures, n = 200k, same init, 20 iterations, the
tree's build included, 2 cores): the kd-tree is the fastest solver at d = 2 for every k
measured, 16 to 1024 (1.1-1.5x Lloyd at k = 16, 4.9x at k = 1024), and at d = 3 from k = 64
on (1.1-2.7x); at d = 3 and k <= 32 Lloyd was 11-39% faster in two runs of the grid. At d = 4
it wins only at k = 1024 (by 10%, left out of the rule); from d = 6 on it loses everywhere (a
box in many dimensions is rarely owned by one centre)."""
AUTO_YINYANG_MIN_FEATURES = 32
AUTO_YINYANG_MIN_CLUSTERS = 32
"""From benchmarks/SOLVERS.md (same grid): at d = 32 and 64, Yinyang beats Lloyd for every
k >= 32 (1.04-2.4x; Hamerly is ahead of both at d = 64, k = 16, and level with Yinyang at
d = 32, k = 32). Up to d = 16 Lloyd is the fastest for every k, 1024 included: since its tile
became SIMD across rows (the run before it had Yinyang ahead from k = 256 at every d), the
bound bookkeeping costs more than the distances it saves where a distance is cheap."""


def choose_solver(algorithm: str, n_clusters: int, n_features: int, sparse: bool) -> str:
    """The solver ``algorithm`` names; ``"auto"`` applies the measured rule above.

    Examples
    --------
    >>> choose_solver("auto", 8, 2, sparse=False), choose_solver("auto", 256, 32, sparse=False)
    ('kdtree', 'yinyang')
    >>> choose_solver("auto", 8, 3, sparse=False), choose_solver("auto", 1024, 16, sparse=False)
    ('lloyd', 'lloyd')
    """
    if sparse:  # bounds and trees are kept for dense rows only; CSR always runs Lloyd
        return "lloyd"
    if algorithm != "auto":
        return algorithm
    if n_features < AUTO_KDTREE_MAX_FEATURES or (
        n_features == AUTO_KDTREE_MAX_FEATURES and n_clusters >= AUTO_KDTREE_3D_MIN_CLUSTERS
    ):
        return "kdtree"
    if n_features >= AUTO_YINYANG_MIN_FEATURES and n_clusters >= AUTO_YINYANG_MIN_CLUSTERS:
        return "yinyang"
    return "lloyd"


__all__ = ["KMeansResult", "SOLVERS", "choose_solver", "hamerly", "kdtree", "lloyd", "yinyang"]
