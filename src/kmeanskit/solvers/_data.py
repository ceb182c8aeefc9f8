"""The data as solvers see it: one interface over dense and CSR input.

A solver never branches on the storage format; it calls these methods, which dispatch to the
dense or sparse kernels. Dense rows are used through a *shift* subtracted chunk by chunk
inside the kernels, which gives the accuracy of centred data without copying it. Solvers
iterate with the data's weighted mean as shift; fitted centres are always used with
:func:`centres_shift`, so ``predict(X)`` reproduces ``labels_`` bit for bit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._kernels import dense, sparse
from .._kernels.blocks import CHUNK_ROWS, n_blocks_for, tile_rows_for, window_bounds
from .._validation import unit_weights


def sq_norms(centers: np.ndarray) -> np.ndarray:
    """Squared row norms, rounded exactly as scikit-learn's ``row_norms`` rounds them."""
    return np.einsum("ij,ij->i", centers, centers)


def centres_shift(centers: np.ndarray) -> np.ndarray:
    """The shift used with fitted centres: their mean, in their dtype."""
    return centers.mean(axis=0, dtype=np.float64).astype(centers.dtype)


class _DenseRows:
    """What dense data in memory and streamed from disk share: the dense kernels run on
    ``windows`` of rows (all of them at once in memory)."""

    sparse = False

    def windows(self, n_blocks: int, tile_rows: int):
        """``(first_row, rows)`` pieces for kernels with ``n_blocks`` blocks of tiles of
        ``tile_rows`` rows."""
        raise NotImplementedError

    def moments(self, weights, with_variance: bool = True) -> tuple[np.ndarray, float]:
        """Weighted column mean (in the data's dtype) and mean column variance (0.0 without
        ``with_variance``: a fit with ``tol=0`` needs no variance, and skips its pass)."""
        return _moments(self, weights, with_variance)

    def lloyd_pass(
        self,
        weights,
        shift,
        centers,
        labels,
        block_sums,
        block_weights,
        update,
        block_members=None,
        block_inertia=None,
    ):
        """The fused assignment (and accumulation) pass of :func:`dense.lloyd_pass` over the
        windows; with ``block_members`` the blocks receive the changes of the rows that changed
        cluster, not the sums of all; with ``block_inertia``, each block's inertia too."""
        n = self.shape[0]
        tile_rows = tile_rows_for(centers.shape[0], self.dtype.itemsize)
        c_sq = sq_norms(centers)
        changes_only = block_members is not None
        if not changes_only:
            block_members = np.zeros((block_weights.shape[0], 0), dtype=np.int64)
        if block_inertia is None:
            block_inertia = np.zeros(0)
        n_changed = 0
        for start, rows in self.windows(block_weights.shape[0], tile_rows):
            n_changed += dense.lloyd_pass(
                rows,
                weights,
                shift,
                centers,
                c_sq,
                labels,
                block_sums,
                block_weights,
                block_members,
                block_inertia,
                update,
                changes_only,
                tile_rows,
                start,
                n,
            )
        return n_changed

    def inertia(self, weights, shift, centers, labels, n_blocks):
        return _inertia(self, weights, shift, centers, labels, n_blocks)

    def nearest_and_inertia(self, weights, shift, centers, labels) -> float:
        """Label every row with its nearest centre (in ``labels``) and return the inertia
        against them, in one pass over the rows (:func:`dense.lloyd_pass`)."""
        n, d = self.shape
        n_blocks = n_blocks_for(n, centers.shape[0], d)
        no_sums, no_weights = _no_accumulators(n_blocks)
        block_inertia = np.zeros(n_blocks)
        self.lloyd_pass(
            weights, shift, centers, labels, no_sums, no_weights, False, block_inertia=block_inertia
        )
        return _sum_in_order(block_inertia)


class DenseData(_DenseRows):
    """C-contiguous float32/float64 data."""

    def __init__(self, X: np.ndarray):
        self.X = X
        self.dtype = X.dtype
        self.shape = X.shape

    def windows(self, n_blocks: int, tile_rows: int):
        return ((0, self.X),)

    def sq_dist_to_assigned(self, shift, centers, labels):
        return dense.sq_dist_to_assigned(self.X, shift, centers, labels)

    def shifted_row(self, i: int, shift) -> np.ndarray:
        return self.X[i].astype(np.float64) - shift

    def sq_distances(self, shift, centers, n_blocks):
        return dense.sq_distances(self.X, shift, centers, n_blocks)

    def two_nearest(self, shift, centers):
        n, d = self.shape
        return dense.two_nearest(self.X, shift, centers, n_blocks_for(n, 1, d))


class StreamedData(_DenseRows):
    """Dense rows streamed from a :class:`kmeanskit.streaming.RowSource` a window at a time.

    The same kernels as :class:`DenseData` on windows cut at the kernels' block and tile
    boundaries, so every result is bit-identical to the in-memory one. Only Lloyd runs on it
    (the bound-based solvers keep per-row state that is as large as the data's labels times
    the number of bounds, and read rows out of order).
    """

    def __init__(self, source):
        self.source = source
        self.dtype = source.dtype
        self.shape = source.shape

    def windows(self, n_blocks: int, tile_rows: int):
        bounds = window_bounds(self.shape[0], n_blocks, tile_rows, self.source.max_rows)
        return self.source.windows(bounds)

    def sq_dist_to_assigned(self, shift, centers, labels):
        out = np.empty(self.shape[0], dtype=np.float64)
        for start, rows in self.source.windows():
            stop = start + rows.shape[0]
            out[start:stop] = dense.sq_dist_to_assigned(rows, shift, centers, labels[start:stop])
        return out

    def shifted_row(self, i: int, shift) -> np.ndarray:
        return self.source.read(i, i + 1)[0].astype(np.float64) - shift


def _moments(data, weights, with_variance: bool) -> tuple[np.ndarray, float]:
    """Weighted column mean (in the data's dtype) and mean column variance (or 0.0), in one
    or two passes over ``data.windows`` (float64 partial sums per block, reduced in block
    order). Records ``data.largest``, the largest magnitude of any value read (for
    :func:`kmeanskit._validation.check_magnitude`; NaN is left to the mean)."""
    n, d = data.shape
    n_blocks = n_blocks_for(n, 1, d)
    total = dense.total_weight(weights)
    partial = np.zeros((n_blocks, d), dtype=np.float64)
    largest = np.zeros((n_blocks, d), dtype=data.dtype)
    mean = np.zeros(d, dtype=np.float64)
    var = np.zeros(d, dtype=np.float64)
    for squared in (False, True) if with_variance else (False,):
        partial[:] = 0.0
        for start, rows in data.windows(n_blocks, CHUNK_ROWS):
            dense.column_moment_partials(rows, weights, start, n, mean, squared, partial, largest)
        if squared:
            var = np.add.reduce(partial, axis=0) / total
        else:
            mean = np.add.reduce(partial, axis=0) / total
    data.largest = float(largest.max()) if largest.size else 0.0
    return mean.astype(data.dtype), float(var.mean())


def _inertia(data, weights, shift, centers, labels, n_blocks) -> float:
    """Exact weighted sum of squared distances to the assigned centres (float64)."""
    n = data.shape[0]
    partial = np.zeros(n_blocks, dtype=np.float64)
    for start, rows in data.windows(n_blocks, CHUNK_ROWS):
        dense.inertia_partials(rows, weights, shift, centers, labels, start, n, partial)
    return _sum_in_order(partial)


def _sum_in_order(partial: np.ndarray) -> float:
    """The blocks' partial sums added in block order (no pairwise summation)."""
    total = 0.0
    for value in partial.tolist():
        total += value
    return total


class CsrData:
    """CSR data; never centred (that would make it dense), so every shift is zero."""

    sparse = True

    def __init__(self, X):
        self.X = X
        self.dtype = X.dtype
        self.shape = X.shape
        self._arrays = (X.data, X.indices, X.indptr)

    def moments(self, weights, with_variance: bool = True) -> tuple[np.ndarray, float]:
        if not with_variance:
            return np.zeros(self.shape[1], dtype=self.dtype), 0.0
        total = weights.sum()
        mean = np.asarray(self.X.T @ weights).ravel() / total
        mean_sq = np.asarray(self.X.multiply(self.X).T @ weights).ravel() / total
        variance = float(np.maximum(mean_sq - mean**2, 0.0).mean())
        return np.zeros(self.shape[1], dtype=self.dtype), variance

    def lloyd_pass(
        self, weights, shift, centers, labels, block_sums, block_weights, update, block_members=None
    ):
        if block_members is not None:
            raise ValueError("the sparse Lloyd pass sums every row; it keeps no running sums")
        return sparse.lloyd_pass(
            *self._arrays,
            weights,
            centers,
            sq_norms(centers),
            labels,
            block_sums,
            block_weights,
            update,
        )

    def inertia(self, weights, shift, centers, labels, n_blocks):
        return sparse.inertia(*self._arrays, weights, centers, labels, n_blocks)

    def nearest_and_inertia(self, weights, shift, centers, labels) -> float:
        _nearest(self, weights, shift, centers, labels)
        n_blocks = n_blocks_for(self.shape[0], centers.shape[0], self.shape[1])
        return self.inertia(weights, shift, centers, labels, n_blocks)

    def sq_dist_to_assigned(self, shift, centers, labels):
        return sparse.sq_dist_to_assigned(*self._arrays, centers, labels)

    def shifted_row(self, i: int, shift) -> np.ndarray:
        return self.X[[i]].toarray()[0].astype(np.float64)

    def sq_distances(self, shift, centers, n_blocks):
        return sparse.sq_distances(*self._arrays, centers)

    def two_nearest(self, shift, centers):
        return sparse.two_nearest(*self._arrays, centers)


def as_solver_data(X) -> DenseData | CsrData | StreamedData:
    """Wrap validated data (C-contiguous ndarray, canonical CSR or a row source) for the
    solvers."""
    from ..streaming import RowSource

    if isinstance(X, RowSource):
        return StreamedData(X)
    return CsrData(X) if sp.issparse(X) else DenseData(X)


def _shifted_centres(data, centers) -> tuple[np.ndarray, np.ndarray]:
    """The shift used against fitted centres (zero for CSR) and the centres minus it."""
    centers = np.ascontiguousarray(centers, dtype=data.dtype)
    d = data.shape[1]
    shift = np.zeros(d, dtype=data.dtype) if data.sparse else centres_shift(centers)
    return shift, np.ascontiguousarray(centers - shift)


def _no_accumulators(n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty block sums and weights, for a pass that only assigns labels."""
    return np.zeros((n_blocks, 0, 0)), np.zeros((n_blocks, 0))


def _labels_array(n: int, out: np.ndarray | None) -> np.ndarray:
    """``out`` (or a new (n,) int32 array) filled with -1, for a pass to write labels into."""
    labels = np.empty(n, dtype=np.int32) if out is None else out
    labels.fill(-1)
    return labels


def _nearest(data, weights, shift, shifted, out: np.ndarray | None) -> np.ndarray:
    """Label of the nearest (shifted) centre for every row, through the Lloyd kernel."""
    n = data.shape[0]
    n_blocks = n_blocks_for(n, shifted.shape[0], data.shape[1])
    labels = _labels_array(n, out)
    no_sums, no_weights = _no_accumulators(n_blocks)
    data.lloyd_pass(weights, shift, shifted, labels, no_sums, no_weights, False)
    return labels


def assign(data, weights, centers, out: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Labels and inertia of the data against fitted centres (original coordinates).

    The one routine behind ``labels_``/``inertia_`` at the end of a fit and behind
    ``predict``/``score``, so that both give the same answer for the same data. ``out``, an
    (n,) int32 array, receives the labels instead of a new array.
    """
    shift, shifted = _shifted_centres(data, centers)
    labels = _labels_array(data.shape[0], out)
    return labels, data.nearest_and_inertia(weights, shift, shifted, labels)


def nearest_with_distances(data, centers) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest of ``centers`` for every row and its squared distance (float64).

    The argmin comes from the GEMM kernel, as in :func:`assign`; the distance to the chosen
    centre is then computed directly, so it does not suffer the expansion's cancellation.
    """
    shift, shifted = _shifted_centres(data, centers)
    labels = _nearest(data, unit_weights(data.shape[0]), shift, shifted, None)
    return labels, data.sq_dist_to_assigned(shift, shifted, labels)


def distances(data, centers) -> np.ndarray:
    """(n, k) Euclidean distances to fitted centres, in the data's dtype."""
    n, d = data.shape
    shift, shifted = _shifted_centres(data, centers)
    sq = data.sq_distances(shift, shifted, n_blocks_for(n, shifted.shape[0], d))
    return np.sqrt(sq, out=sq)
