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
AUTO_KDTREE_3D_MIN_CLUSTERS = 256
"""From benchmarks/SOLVERS.md (float32 mixtures, n = 200k, same init, 20 iterations, the
tree's build included, 2 cores): the kd-tree is the fastest solver at d = 2 for every k
measured, 16 to 1024 (1.2-1.6x Lloyd at k = 16-32, 4.0x at k = 1024), and at d = 3 from
k = 256 on (1.5-2.0x). Since Lloyd computes small-d distances without BLAS it is the faster at
d = 3 up to k = 128 (k = 64: 0.0056 against 0.0068 s per iteration; k = 128 level); the rule
was k >= 64 before. From d = 4 on the tree loses everywhere (a box in many dimensions is
rarely owned by one centre)."""
AUTO_YINYANG_MIN_FEATURES = 32
AUTO_YINYANG_MIN_CLUSTERS = 32
AUTO_YINYANG_HIGH_D_FEATURES = 64
AUTO_YINYANG_HIGH_D_MIN_CLUSTERS = 16
"""From benchmarks/SOLVERS.md (same grid): at d = 32 and 64 the bound-based solvers beat
Lloyd for every k >= 32 (1.2-2.1x), and at d = 64 also for k = 16 (1.2x, in this run and the
one before). Yinyang and Hamerly are within 15% of each other there (Hamerly mostly ahead in
this run, Yinyang in the one before); Yinyang is kept. At d = 32, k = 16 the three are level.
At d <= 16 the runs disagree: Hamerly was ahead at d = 16, k = 32 and 256 in this run (1.1x,
1.6x) but behind Lloyd at k = 64-256 in the one before, so it stays Lloyd."""


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
    if (n_features >= AUTO_YINYANG_MIN_FEATURES and n_clusters >= AUTO_YINYANG_MIN_CLUSTERS) or (
        n_features >= AUTO_YINYANG_HIGH_D_FEATURES
        and n_clusters >= AUTO_YINYANG_HIGH_D_MIN_CLUSTERS
    ):
        return "yinyang"
    return "lloyd"


__all__ = ["KMeansResult", "SOLVERS", "choose_solver", "hamerly", "kdtree", "lloyd", "yinyang"]
