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
"""From benchmarks/SOLVERS.md (float32 mixtures, n = 200k, same init, 20 iterations, the
tree's build included, 2 cores): the kd-tree is the fastest solver at d = 2 and 3 for every k
measured, 16 to 1024 (1.2-1.3x Lloyd at k = 16, 1.7-4.0x the best other solver at k >= 128);
at d = 4 it loses to Lloyd for k <= 64 and wins by 6-27% above (left out of the rule: the gain
is small and one threshold on d is simpler); at d = 6 it loses everywhere (a box in many
dimensions is rarely owned by one centre)."""
AUTO_YINYANG_MIN_CLUSTERS = 128
AUTO_YINYANG_HIGH_D_MIN_CLUSTERS = 32
AUTO_YINYANG_HIGH_D = 64
"""From benchmarks/SOLVERS.md (same grid): above d = 3, Yinyang beats Lloyd at k >= 256 for
every d measured (1.1-2.3x) and at k >= 32 for d = 64 (1.3-2.3x); at k = 128 and d = 4-16 the
two are within 10% either way (Yinyang ahead in the previous run, behind in this one); Lloyd
wins at k <= 64 for d <= 16, where its GEMM is cheap and the bound bookkeeping is not.
Hamerly is never clearly fastest."""


def choose_solver(algorithm: str, n_clusters: int, n_features: int, sparse: bool) -> str:
    """The solver ``algorithm`` names; ``"auto"`` applies the measured rule above.

    Examples
    --------
    >>> choose_solver("auto", 8, 2, sparse=False), choose_solver("auto", 256, 16, sparse=False)
    ('kdtree', 'yinyang')
    >>> choose_solver("auto", 8, 16, sparse=False)
    'lloyd'
    """
    if sparse:  # bounds and trees are kept for dense rows only; CSR always runs Lloyd
        return "lloyd"
    if algorithm != "auto":
        return algorithm
    if n_features <= AUTO_KDTREE_MAX_FEATURES:
        return "kdtree"
    if n_clusters >= AUTO_YINYANG_MIN_CLUSTERS:
        return "yinyang"
    if n_features >= AUTO_YINYANG_HIGH_D and n_clusters >= AUTO_YINYANG_HIGH_D_MIN_CLUSTERS:
        return "yinyang"
    return "lloyd"


__all__ = ["KMeansResult", "SOLVERS", "choose_solver", "hamerly", "kdtree", "lloyd", "yinyang"]
