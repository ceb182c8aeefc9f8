"""Better solutions than one Lloyd run: swap moves accepted only when the inertia drops.

Lloyd's algorithm stops at the nearest local optimum, and the typical one it stops at puts two
centres in one true cluster while one centre covers two (Fränti & Sieranoja 2018). No local
move of the centres repairs that; moving one centre does. :func:`swap_refine` starts from a
converged solution and repeats *trials*: remove one centre, put it inside another cluster,
run a few Lloyd iterations, keep the result when its inertia is lower, restore the old one
otherwise (random swap, Fränti 2018, with the centres chosen as in k-means-u*, Fritzke 2017,
and I-k-means-+, Ismkhan 2018).

Which centre moves, and where to:

- the centre whose removal costs least: its cost is the rise in inertia if its points went
  to their second-nearest centre, computed exactly for every centre in one pass;
- into the cluster with the largest sum of squared distances (its error), at a point drawn
  from that cluster with probability proportional to its squared distance from the centre.

A pair (centre, cluster) that failed is not tried again until a trial succeeds; the next
pair is the next by ``error - removal cost``. Every ``random_every``-th trial is a random
swap instead (a uniformly chosen centre moved to a point drawn in proportion to its weight),
so that the search does not depend on the estimates alone. The search stops after
``max_trials`` trials or ``patience`` failed trials in a row; a final Lloyd run to
convergence then polishes the best solution. Everything is drawn from one generator, so the
result is reproducible for a given seed and does not depend on the number of threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ._progress import Progress, ProgressCallback
from .solvers import KMeansResult

CANDIDATES = 32
"""Guided pairs are drawn from the CANDIDATES cheapest centres to remove and the CANDIDATES
clusters of largest error (at most CANDIDATES**2 pairs between two successes)."""

SolveFn = Callable[..., KMeansResult]


@dataclass(frozen=True)
class SwapSettings:
    """The knobs of :func:`swap_refine`, with measured defaults (benchmarks/QUALITY.md).

    Attributes
    ----------
    max_trials : int
        Largest number of swap trials.
    patience : int
        Stop after this many failed trials in a row.
    local_iter : int
        Lloyd iterations run after a swap before its inertia is compared.
    random_every : int
        Every ``random_every``-th trial is a uniformly random swap (0: never).
    """

    max_trials: int
    patience: int
    local_iter: int = 2
    random_every: int = 4

    @classmethod
    def thorough(cls, n_clusters: int) -> SwapSettings:
        """``refine="swap"``: up to ``2 k + 20`` trials, stopping after ``max(10, k // 4)``
        failures in a row (CI = 0 on every benchmark set in benchmarks/QUALITY.md)."""
        return cls(max_trials=2 * n_clusters + 20, patience=max(10, n_clusters // 4))

    @classmethod
    def trials(cls, count: int) -> SwapSettings:
        """Exactly ``count`` trials at most, with no early stop."""
        return cls(max_trials=count, patience=count)


LIGHT_TRIALS = 2
"""Trials of ``refine="auto"`` (the default) after a seeded fit. On the study sets of
benchmarks/QUALITY.md (A, S, unbalance, D31, R15; 40 seeds) 2 trials raise the success rate
(CI = 0) of one greedy k-means++ run from 2-93% to 92-100% for about 1-3 ms on those sets
(a fit of about scikit-learn's default time); 3 trials gain little more (97-100%)."""


def cluster_statistics(data, weights, shift, centers) -> tuple[np.ndarray, ...]:
    """Labels, each cluster's error (weighted squared distances) and removal cost.

    The removal cost of centre ``j`` is the rise in inertia if ``j`` were deleted and its
    points went to their second-nearest centre. One pass over the data through GEMM tiles
    (never the whole n x k matrix).

    Returns
    -------
    labels : (n,) int64, nearest centre per row
    nearest : (n,) float64, squared distance to it
    error : (k,) float64
    removal_cost : (k,) float64
    """
    k = centers.shape[0]
    labels, nearest, second = data.two_nearest(shift, centers)
    error = np.bincount(labels, weights * nearest, minlength=k)
    removal_cost = np.bincount(labels, weights * (second - nearest), minlength=k)
    return labels, nearest, error, removal_cost


def _draw(rng: np.random.Generator, mass: np.ndarray) -> int:
    """Index drawn with probability proportional to ``mass`` (uniform if it is all zero)."""
    total = float(mass.sum())
    if total <= 0:
        return int(rng.integers(mass.size))
    return int(min(np.searchsorted(np.cumsum(mass), rng.random() * total, "right"), mass.size - 1))


def swap_refine(
    data,
    weights: np.ndarray,
    start: KMeansResult,
    solve: SolveFn,
    rng: np.random.Generator,
    *,
    settings: SwapSettings,
    max_iter: int,
    tol: float,
    shift: np.ndarray,
    verbose: bool = False,
    progress: bool | ProgressCallback = False,
    spherical: bool = False,
) -> KMeansResult:
    """Improve a converged k-means solution by swap trials (see the module docstring).

    Parameters
    ----------
    data : DenseData or CsrData
    weights : (n,) float64
    start : KMeansResult, a converged solution on ``data``
    solve : the solver that produced it (same contract as :mod:`kmeanskit.solvers`)
    rng : numpy.random.Generator, the only source of randomness
    settings : SwapSettings
    max_iter, tol, shift : as for the solver; used by the final polishing run
    verbose : bool, print every trial
    progress : bool or callback ``(done, total, message)``, one step per trial
    spherical : bool, spherical k-means (centres of unit length)

    Returns
    -------
    KMeansResult
        Never a higher inertia than ``start``; ``swaps`` is the number of accepted trials and
        ``n_iter`` the iterations of the final Lloyd run.

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit.refine import SwapSettings, swap_refine
    >>> from kmeanskit.solvers import lloyd
    >>> from kmeanskit.solvers._data import as_solver_data
    >>> X = np.array([[0.0], [0.2], [5.0], [5.2], [10.0], [10.2]])
    >>> data, w, shift = as_solver_data(X), np.ones(6), np.zeros(1)
    >>> stuck = lloyd(data, w, np.array([[0.0], [0.2], [7.5]]), tol=0.0, shift=shift)
    >>> round(stuck.inertia, 2)
    25.04
    >>> better = swap_refine(data, w, stuck, lloyd, np.random.default_rng(0),
    ...                      settings=SwapSettings(20, 20), max_iter=300, tol=0.0, shift=shift)
    >>> round(better.inertia, 2)
    0.06
    """
    k = start.centers.shape[0]
    if k < 2 or settings.max_trials < 1:
        return start
    best = start
    swaps = 0
    tried: set[tuple[int, int]] = set()
    failures = 0

    def local(centers: np.ndarray, iters: int, tolerance: float) -> KMeansResult:
        return solve(
            data,
            weights,
            centers,
            max_iter=iters,
            tol=tolerance,
            shift=shift,
            spherical=spherical,
        )

    with Progress(settings.max_trials, "swap trials", progress) as report:
        statistics = None  # of ``best``; kept until a trial succeeds
        for trial in range(1, settings.max_trials + 1):
            if statistics is None:
                shifted = np.ascontiguousarray(best.centers - shift, dtype=data.dtype)
                statistics = cluster_statistics(data, weights, shift, shifted)
            labels, nearest, error, removal_cost = statistics
            random_trial = settings.random_every and trial % settings.random_every == 0
            if random_trial:
                moved = int(rng.integers(k))
                row = _draw(rng, weights)
                target = int(labels[row])
                kind = "random"
            else:
                pair = _next_pair(error, removal_cost, tried)
                if pair is None:  # every pair tried since the last success
                    break
                moved, target = pair
                members = np.flatnonzero(labels == target)
                row = int(members[_draw(rng, weights[members] * nearest[members])])
                kind = "guided"
            new_centers = best.centers.copy()
            new_centers[moved] = _row(data, row)
            candidate = local(new_centers, settings.local_iter, 0.0)
            accepted = candidate.inertia < best.inertia * (1.0 - 1e-12)
            message = (
                f"{kind} swap {trial}: centre {moved} into cluster {target}: "
                f"inertia {best.inertia:.6g} -> {candidate.inertia:.6g}"
                + (" accepted" if accepted else " rejected")
            )
            if verbose:
                print(message)
            report.step(message)
            if accepted:
                best, failures, statistics = candidate, 0, None
                swaps += 1
                tried.clear()
            else:
                failures += 1
                if not random_trial:
                    tried.add((moved, target))
                if failures >= settings.patience:
                    break
    if swaps == 0:
        return start
    final = local(best.centers, max_iter, tol)
    if final.inertia > best.inertia:  # Lloyd never raises the inertia; kept as a guard
        final = best
    return replace(final, swaps=swaps)


def _row(data, i: int) -> np.ndarray:
    """Row ``i`` of the data as a dense vector in its dtype (original coordinates)."""
    row = data.X[i]
    return (row.toarray()[0] if hasattr(row, "toarray") else row).astype(data.dtype)


def _next_pair(
    error: np.ndarray, removal_cost: np.ndarray, tried: set[tuple[int, int]]
) -> tuple[int, int] | None:
    """The untried (centre to move, cluster to put it in) with the largest estimated gain
    ``error[target] - removal_cost[moved]``; None when every pair has been tried."""
    m = min(error.size, CANDIDATES)
    movable = np.argsort(removal_cost, kind="stable")[:m]
    # a cluster whose points all sit on its centre (or that has none) cannot gain from a split
    targets = np.argsort(-error, kind="stable")[: min(m, int(np.count_nonzero(error > 0)))]
    gain = error[targets][None, :] - removal_cost[movable][:, None]
    for flat in np.argsort(-gain, axis=None, kind="stable"):
        moved, target = int(movable[flat // targets.size]), int(targets[flat % targets.size])
        if moved != target and (moved, target) not in tried:
            return moved, target
    return None
