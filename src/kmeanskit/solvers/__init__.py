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
    "elkan": hamerly,
}

AUTO_KDTREE_MAX_FEATURES = 2
AUTO_KDTREE_MIN_CLUSTERS = 128
"""From benchmarks/SOLVERS_LOW_D.md (float32 mixtures, n = 200k, same init, 20 iterations,
the tree's build included, 2 cores), rerun after Lloyd's small-d kernel got 1.4-2x faster:
at d = 2 Lloyd is now the fastest up to k = 64 (1.7-2.3x the kd-tree), the two are level at
k = 128 and the tree wins from k = 256 on (1.2x, 1.8x at k = 512, 2.2x at k = 1024). At d = 3
the tree no longer wins anywhere (Lloyd 1.3-3.1x faster up to k = 512, level at 1024); there
Hamerly was ahead of Lloyd from k = 256 on by 1.04-1.20x in this one run, too little (and
the runs before disagreed at small d) to leave Lloyd, which it equals bit for bit. From d = 4
on the tree loses everywhere (a box in many dimensions is rarely owned by one centre)."""
AUTO_HAMERLY_MIN_FEATURES = 16
"""From benchmarks/SOLVERS_MID_D.md (same grid at d = 4-24), rerun after Hamerly's search
got as fast as Lloyd's argmin (its two-nearest sweep lost a per-row condition): from d = 16
on Hamerly is ahead of Lloyd or level at every k (1.0-1.4x at d = 16, 1.3-1.9x at d = 24);
at d = 12 the two are level and at d <= 8 Lloyd is ahead (Hamerly's bookkeeping per row
weighs more than the few features it saves). From benchmarks/SOLVERS_HIGH_D.md (d = 32, 64
and 128, k = 16-1024), rerun after Hamerly learnt to search a failed row among its centre's
neighbours: Hamerly is the fastest at every point but one (d = 128, k = 16: Lloyd 0.0047
against 0.0055 s/iter), 1.2-1.6x ahead of Yinyang, which "auto" ran from d = 32 before (the
grids before had the two within 15%); so "auto" no longer runs Yinyang."""


def choose_solver(algorithm: str, n_clusters: int, n_features: int, sparse: bool) -> str:
    """The solver ``algorithm`` names; ``"auto"`` applies the measured rule above.

    Examples
    --------
    >>> choose_solver("auto", 128, 2, sparse=False), choose_solver("auto", 256, 32, sparse=False)
    ('kdtree', 'hamerly')
    >>> choose_solver("auto", 8, 3, sparse=False), choose_solver("auto", 1024, 16, sparse=False)
    ('lloyd', 'hamerly')
    """
    if sparse:  # bounds and trees are kept for dense rows only; CSR always runs Lloyd
        return "lloyd"
    if algorithm != "auto":
        return algorithm
    if n_features <= AUTO_KDTREE_MAX_FEATURES and n_clusters >= AUTO_KDTREE_MIN_CLUSTERS:
        return "kdtree"
    if n_features >= AUTO_HAMERLY_MIN_FEATURES:
        return "hamerly"
    return "lloyd"


__all__ = ["KMeansResult", "SOLVERS", "choose_solver", "hamerly", "kdtree", "lloyd", "yinyang"]
