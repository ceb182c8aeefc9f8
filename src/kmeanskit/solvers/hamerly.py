"""Hamerly's exact k-means: Lloyd's iterations with most distance computations skipped."""

from __future__ import annotations

import numpy as np

from .._kernels import bounds
from .._kernels.blocks import n_blocks_for, tile_rows_for
from ._data import DenseData, _shifted_centres, assign, sq_norms
from ._loop import BlockSums, iterate
from ._result import KMeansResult

SEARCH_ALL_FRACTION = 0.5
"""Above this fraction of rows searched in one pass, the next pass searches every row..."""

SEARCH_ALL_MAX_CLUSTERS = 64
"""...if k is at most this. Searching every row resets every row's bounds, which pays for
the search where a search is cheap; at larger k it costs more than the tests it saves.
Measured on the 2-core machine, same init, 20 iterations, 9 alternated fits, this rule
against testing every row on every pass: blobs-500k (k = 32) 7.0 against 7.6 ms/iter,
china (k = 64) and blobs-100k (k = 8) equal, embeddings (k = 256) 41.8 against 34.6 and
k = 1024 44.4 against 36.9 ms/iter."""


NEIGHBOURS_LISTED = 1 / 8
"""Neighbours listed per centre, as a fraction of k, for the search of a row that fails
its bounds among its centre's neighbours within 2u
(:func:`kmeanskit._kernels.bounds.centre_neighbours`); a row whose 2u reaches past the
list is searched through the tile. Measured at k = 1024, d = 32 (benchmarks/run.py's
workload): k / 16, k / 8 and k / 4 gave fits of 0.56, 0.57 and 0.66 s; longer lists send
rows with more candidates to the direct search, where one costs ~5 ns against ~0.8 ns in the
tile."""


def uses_neighbour_lists(n_clusters: int, n_features: int) -> bool:
    """Whether Hamerly searches failed rows among listed neighbours: from d = 16 and k = 64
    on, where k x d >= 8192. From benchmarks/HAMERLY_NEIGHBOURS.md (n = 100k float32
    mixtures, same init, 20 iterations, 2 cores): with lists the fit is 1.07-1.36x faster
    wherever the rule turns them on, and 0.68-1.00x below it at d <= 32, where listing the
    neighbours (k^2 d per pass) costs more than the searches save (at d = 8 even at
    k = 1024: 0.94x, the tile's own small-d kernel being cheap). Left off, a little short:
    d = 64 at k <= 64 and d = 128 at k = 32 (1.04-1.08x).

    Examples
    --------
    >>> uses_neighbour_lists(1024, 32), uses_neighbour_lists(1024, 8), uses_neighbour_lists(256, 16)
    (True, False, False)
    """
    return n_features >= 16 and n_clusters >= 64 and n_clusters * n_features >= 8192


FINAL_FROM_BOUNDS_MIN_FEATURES = 16
"""From this many features the final E-step is one more pass whose bounds confirm most
labels (:func:`kmeanskit._kernels.bounds.unconfirmed_rows`), not a Lloyd pass. Measured on
the 2-core machine (same init, 20 iterations, alternated processes, median of 11-15 fits,
2-3 rounds), bounds against Lloyd: 0.96x the fit's time at 500k x 16, k = 32 and
0.92-0.97x at 300k x 16, k = 16; level at d = 8, k = 32 and d = 4, k = 128; 1.03x on the
china pixels (d = 3, k = 64) and 1.00-1.04x at 100k x 2, k = 8, where Lloyd's small-d
E-step is cheap. With neighbour lists (d >= 16 too) its Lloyd pass was 36-39 ms of a
0.39 s fit at k = 1024."""

PATCH_MAX_MOVED = 1 / 4
"""The lists are patched when at most this fraction of the centres moved, else listed
afresh. Measured at k = 1024, d = 32 (1024 x 32 random centres, 128 listed): a patch took
0.24, 0.59 and 1.46 ms for 8, 64 and 256 moved centres, a fresh listing 2.1 ms."""

PATCH_MIN_LISTED = 3 / 4
"""Patched lists whose total length falls below this fraction of the last fresh listing's
are listed afresh."""


class NeighbourLists:
    """Every centre's listed neighbours (:func:`kmeanskit._kernels.bounds.centre_neighbours`)
    from pass to pass: listed afresh when many centres moved, else patched for the few that
    did (:func:`kmeanskit._kernels.bounds.patch_neighbours`), until patching has thinned
    the lists below :data:`PATCH_MIN_LISTED` of what the last fresh listing held."""

    def __init__(self, n_listed: int):
        self.n_listed = n_listed
        self.lists = None
        self.fresh_total = 0

    def update(self, centers: np.ndarray, moved: np.ndarray) -> tuple:
        """The lists for ``centers``, which moved by ``moved`` since the last call."""
        changed = moved > 0
        if self.lists is not None and changed.sum() <= PATCH_MAX_MOVED * moved.shape[0]:
            bounds.patch_neighbours(centers, changed, self.lists)
            if self.lists[3].sum() >= PATCH_MIN_LISTED * self.fresh_total:
                return self.lists
        self.lists = bounds.centre_neighbours(centers, self.n_listed)
        self.fresh_total = int(self.lists[3].sum())
        return self.lists


NO_FAR_MOVERS = (np.zeros(0, dtype=np.int64), 0.0)

NO_NEIGHBOURS = (
    np.zeros((0, 0), dtype=np.int32),
    np.zeros((0, 0), dtype=np.float32),
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.float64),
)


def hamerly(
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
    """Exact k-means with Hamerly's bounds (Hamerly 2010): same iterations as Lloyd.

    Each point keeps one upper and one lower bound (O(n) memory, unlike Elkan's n x k), so
    once centres settle most points are confirmed in their cluster without computing any
    distance; the points that must be searched go through the same GEMM tile as Lloyd. With
    many clusters (:func:`uses_neighbour_lists`) a point that fails is first searched among
    its centre's nearest neighbours within twice its distance (no other centre can be
    nearer), from differences in the data's dtype, and goes to the tile only when that
    radius reaches past the list and its bound, taken again from its distances to the
    centres that moved farthest (:func:`kmeanskit._kernels.bounds.bound_past_far_movers`),
    still fails; the lists are patched from pass to pass for the centres that moved
    (:class:`NeighbourLists`). From d = 16
    (:data:`FINAL_FROM_BOUNDS_MIN_FEATURES`) the final E-step (labels and inertia against
    the returned centres) is one more pass: the rows whose bounds put every other centre
    farther than the E-step's worst-case error keep their label, and only the rest are
    searched by the E-step ``predict`` runs
    (:func:`bounds.unconfirmed_rows`), so ``labels_`` still equals ``predict(X)``. The
    result equals Lloyd's from the same initial centres up to floating-point ties. Dense
    data only (:func:`kmeanskit.solvers.choose_solver` sends CSR input to Lloyd).

    Parameters and return value are those of :func:`kmeanskit.solvers.lloyd`.
    """
    if data.sparse:
        raise ValueError("bound-based solvers take dense data; choose_solver sends CSR to lloyd")
    if shift is None:
        shift, _ = data.moments(weights)
    n, d = data.shape
    may_search_all = centers_init.shape[0] <= SEARCH_ALL_MAX_CLUSTERS
    # worst-case relative rounding error of ||x||^2 + ||c||^2 - 2 x.c in the data's dtype
    margin = 4.0 * (d + 4) * float(np.finfo(data.dtype).eps)
    upper = np.empty(n, dtype=np.float64)
    lower = np.empty(n, dtype=np.float64)
    moved = np.zeros(centers_init.shape[0], dtype=np.float64)  # since the last pass
    row_sq = np.empty(n, dtype=np.float64)  # the rows' squared norms, from the first pass

    tile_rows = tile_rows_for(centers_init.shape[0], data.dtype.itemsize)
    searched_last = n  # rows that failed their bounds in the previous pass

    k = centers_init.shape[0]
    n_listed = int(NEIGHBOURS_LISTED * k) if uses_neighbour_lists(k, d) else 0

    last_half_sep = None  # of the latest pass's centres
    listing = NeighbourLists(n_listed)

    def assign_step(centers, labels, block_sums, final=False):
        nonlocal searched_last, last_half_sep
        # when most rows failed their bounds last time, testing them again is wasted work
        search_all = may_search_all and searched_last > SEARCH_ALL_FRACTION * n
        if labels[0] < 0:  # the first pass searches every row: no bound is read
            half_sep, neighbours = np.zeros(k), NO_NEIGHBOURS
        elif n_listed:
            half_sep, *neighbours = listing.update(centers, moved)
        else:
            half_sep, neighbours = bounds.half_separations(centers), NO_NEIGHBOURS
        last_half_sep = half_sep
        # rows past their list try the far movers' distances before the tile; not in the
        # final pass, whose bounds confirm labels and are tightest from the tile
        far = bounds.far_movers(moved) if n_listed and not final else NO_FAR_MOVERS
        changed, searched_last = bounds.hamerly_pass(
            data.X,
            weights,
            shift,
            row_sq,
            centers,
            sq_norms(centers),
            half_sep,
            moved,
            margin,
            labels,
            upper,
            lower,
            block_sums.sums,
            block_sums.weights,
            block_sums.members,
            search_all,
            tile_rows,
            tuple(neighbours),
            far,
        )
        return changed

    def on_move(labels, displacement):
        # applied by the next pass as it reads each row's bounds
        moved[:] = displacement

    def final_step(centers, centers_out, labels):
        """The final E-step as one more pass: only the rows its bounds cannot confirm are
        searched again, by the E-step predict runs (:func:`bounds.unconfirmed_rows`)."""
        assign_step(
            centers, labels, BlockSums(n_blocks_for(n, k, d), k, d, of_changes=True), final=True
        )
        moved[:] = 0.0  # the bounds are now against these centres
        predict_shift, predict_centres = _shifted_centres(data, centers_out)
        c_sq = [sq_norms(c.astype(np.float64)) for c in (predict_centres, centers_out, centers)]
        frame = (
            predict_shift.astype(np.float64),
            float(c_sq[0].max()),
            float(np.sqrt(np.max(c_sq))),
            float(np.finfo(data.dtype).eps),
        )
        rows = bounds.unconfirmed_rows(
            data.X, shift, row_sq, centers, last_half_sep, margin, labels, upper, lower, frame
        )
        if rows.size:
            searched = DenseData(np.ascontiguousarray(data.X[rows]))
            labels[rows], _ = assign(searched, weights[rows], centers_out)
        n_blocks = n_blocks_for(n, k, d)
        return labels, data.inertia(weights, predict_shift, predict_centres, labels, n_blocks)

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
        on_move=on_move,
        sums_of_changes=True,
        final_step=final_step if d >= FINAL_FROM_BOUNDS_MIN_FEATURES else None,
    )
