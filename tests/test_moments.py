"""The weighted column moments every solver shifts the data by (and ``tol`` scales by)."""

import numpy as np
import pytest
import scipy.sparse as sp

from kmeanskit.solvers._data import CsrData, DenseData


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_moments_are_the_weighted_mean_and_mean_variance(dtype):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(70_000, 5)) * [1, 10, 100, 0.1, 1] + 1e3).astype(dtype)
    weights = rng.uniform(0, 3, size=X.shape[0])
    mean, mean_variance = DenseData(X).moments(weights)
    expected = np.average(X.astype(np.float64), axis=0, weights=weights)
    variance = np.average((X - expected) ** 2, axis=0, weights=weights).mean()
    assert mean.dtype == dtype
    np.testing.assert_allclose(mean, expected.astype(dtype), rtol=1e-6)
    assert mean_variance == pytest.approx(variance, rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_variance_the_mean_is_the_same_bits_and_the_variance_zero(dtype):
    """``tol=0`` skips the variance's pass; the shift, and so every later result, is
    unchanged."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5_000, 3)).astype(dtype) + 7
    weights = rng.uniform(0, 1, size=X.shape[0])
    mean, mean_variance = DenseData(X).moments(weights)
    mean_only, zero = DenseData(X).moments(weights, with_variance=False)
    np.testing.assert_array_equal(mean_only, mean)
    assert zero == 0.0 and mean_variance > 0
    sparse_mean, sparse_zero = CsrData(sp.csr_matrix(X)).moments(weights, with_variance=False)
    assert sparse_zero == 0.0 and not sparse_mean.any()
    assert CsrData(sp.csr_matrix(X)).moments(weights)[1] == pytest.approx(mean_variance)
