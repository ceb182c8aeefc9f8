"""The data as solvers see it: one interface over dense and CSR input.

A solver never branches on the storage format; it calls these methods, which dispatch to the
dense or sparse kernels. Dense data is used through a shift (its weighted mean) applied on the
fly, so the solvers work in centred coordinates without copying the data.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._kernels import dense, sparse
from .._kernels.blocks import n_blocks_for


def sq_norms(centers: np.ndarray) -> np.ndarray:
    """Squared row norms, rounded exactly as scikit-learn's ``row_norms`` rounds them."""
    return np.einsum("ij,ij->i", centers, centers)


class DenseData:
    """C-contiguous float32/float64 data with its weighted column mean as shift."""

    def __init__(self, X: np.ndarray, weights: np.ndarray):
        self.X = X
        self.dtype = X.dtype
        self.shape = X.shape
        blocks = n_blocks_for(X.shape[0], 1, X.shape[1])
        mean, var = dense.weighted_moments(X, weights, blocks)
        self.shift = mean.astype(X.dtype)
        self.mean_variance = float(var.mean())

    def lloyd_pass(self, weights, centers, labels, block_sums, block_weights, update):
        return dense.lloyd_pass(
            self.X,
            weights,
            self.shift,
            centers,
            sq_norms(centers),
            labels,
            block_sums,
            block_weights,
            update,
        )

    def inertia(self, weights, centers, labels, n_blocks):
        return dense.inertia(self.X, weights, self.shift, centers, labels, n_blocks)

    def sq_dist_to_assigned(self, centers, labels):
        return dense.sq_dist_to_assigned(self.X, self.shift, centers, labels)

    def shifted_row(self, i: int) -> np.ndarray:
        return self.X[i].astype(np.float64) - self.shift

    def sq_distances(self, centers, n_blocks):
        return dense.sq_distances(self.X, self.shift, centers, n_blocks)


class CsrData:
    """CSR data; never centred, so the shift is zero."""

    def __init__(self, X: sp.csr_matrix | sp.csr_array, weights: np.ndarray):
        self.X = X
        self.dtype = X.dtype
        self.shape = X.shape
        self._arrays = (X.data, X.indices, X.indptr)
        self.shift = np.zeros(X.shape[1], dtype=X.dtype)
        total = weights.sum()
        mean = np.asarray(X.T @ weights).ravel() / total
        mean_sq = np.asarray(X.multiply(X).T @ weights).ravel() / total
        self.mean_variance = float(np.maximum(mean_sq - mean**2, 0.0).mean())

    def lloyd_pass(self, weights, centers, labels, block_sums, block_weights, update):
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

    def inertia(self, weights, centers, labels, n_blocks):
        return sparse.inertia(*self._arrays, weights, centers, labels, n_blocks)

    def sq_dist_to_assigned(self, centers, labels):
        return sparse.sq_dist_to_assigned(*self._arrays, centers, labels)

    def shifted_row(self, i: int) -> np.ndarray:
        return self.X[[i]].toarray()[0].astype(np.float64)

    def sq_distances(self, centers, n_blocks):
        return sparse.sq_distances(*self._arrays, centers)


def as_solver_data(X, weights: np.ndarray) -> DenseData | CsrData:
    """Wrap validated data (C-contiguous ndarray or canonical CSR) for the solvers."""
    return CsrData(X, weights) if sp.issparse(X) else DenseData(X, weights)
