"""Input checks shared by the estimators and the functional API.

Each check raises ``ValueError`` / ``TypeError`` with a message that names the argument, what
is wrong and what to do. None of them modifies the caller's data.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

_FLOAT_DTYPES = (np.float64, np.float32)
_FINITE_CHECK_ROWS = 65536
_PARALLEL_FINITE_VALUES = 1 << 20
"""From this many values the finiteness check runs in numba, on every core."""


def _column_label(j: int, feature_names) -> str:
    if feature_names is not None and j < len(feature_names):
        return f"column {j} ({feature_names[j]!r})"
    return f"column {j}"


def _check_dataframe_columns(X, name: str) -> None:
    """Name the non-numeric columns of a pandas DataFrame instead of failing on a cast."""
    if type(X).__module__.split(".")[0] != "pandas" or not hasattr(X, "columns"):
        return
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    bad = [str(c) for c, dt in X.dtypes.items() if not (is_numeric_dtype(dt) or is_bool_dtype(dt))]
    if bad:
        raise TypeError(
            f"{name} has non-numeric column(s) {bad}. k-means needs numbers: select the numeric "
            f"columns, or one-hot encode categorical ones (e.g. pandas.get_dummies)."
        )


def largest_magnitude(values: np.ndarray) -> float:
    """The largest ``|value|`` (NaN or infinity if there is one), in one pass: large
    contiguous arrays in parallel (numba, imported only then), small ones by numpy."""
    if values.size >= _PARALLEL_FINITE_VALUES and values.flags.c_contiguous:
        from ._kernels.finite import largest_magnitude as parallel_largest_magnitude

        return parallel_largest_magnitude(values.reshape(-1))
    return float(np.max(np.abs(values))) if values.size else 0.0


def check_finite(X, name: str, feature_names) -> float:
    """Raise naming the first column that holds NaN or infinity; else return the largest
    magnitude of any value (for :func:`check_magnitude`)."""
    values = X.data if sp.issparse(X) else X
    largest = largest_magnitude(values)
    if np.isfinite(largest):
        return largest
    if sp.issparse(X):
        bad = ~np.isfinite(X.data)
        first = int(np.flatnonzero(bad)[0])
        col = int(X.indices[first])
        kind = "NaN" if np.isnan(X.data[first]) else "infinity"
    else:
        for start in range(0, X.shape[0], _FINITE_CHECK_ROWS):
            chunk = X[start : start + _FINITE_CHECK_ROWS]
            bad_cols = np.flatnonzero(~np.isfinite(chunk).all(axis=0))
            if bad_cols.size:
                col = int(bad_cols[0])
                kind = "NaN" if np.isnan(chunk[:, col]).any() else "infinity"
                break
    raise ValueError(
        f"Input {name} contains {kind} in {_column_label(col, feature_names)}. "
        f"Remove or impute the missing/infinite values before clustering."
    )


def largest_safe_magnitude(dtype, n_features: int) -> float:
    """The largest ``|value|`` whose squared distances cannot overflow ``dtype``: the kernels
    square differences of shifted values (up to twice a value) and sum ``n_features`` of them,
    and the expansion ``||x||^2 + ||c||^2 - 2 x.c`` adds three such sums, so values up to
    ``sqrt(max / (16 d))`` are safe (float32: 4.6e18 / sqrt(d); float64: 3.3e153 / sqrt(d))."""
    return float(np.sqrt(np.finfo(dtype).max / (16.0 * max(1, n_features))))


def check_magnitude(largest: float, dtype, n_features: int, name: str = "X") -> None:
    """Raise if values as large as ``largest`` would overflow squared distances in ``dtype``
    (the clustering would be silently wrong: the distances saturate to infinity)."""
    limit = largest_safe_magnitude(dtype, n_features)
    if largest > limit:
        hint = "or convert it to float64 " if np.dtype(dtype) == np.float32 else ""
        raise ValueError(
            f"Input {name} holds values up to {largest:.3g} in magnitude: their squared "
            f"distances overflow {np.dtype(dtype).name} (safe up to {limit:.3g} with "
            f"{n_features} features). Divide {name} by a constant {hint}before clustering "
            f"(k-means is scale-invariant: centres scale back by the same constant)."
        )


def check_input(X, name: str = "X", *, estimator=None, reset: bool = True, finite: bool = True):
    """Validate data: 2-D, numeric, finite, float32/float64, C-contiguous or CSR.

    With ``estimator``, scikit-learn's ``validate_data`` also records (``reset=True``) or
    checks (``reset=False``) ``n_features_in_`` and ``feature_names_in_``. ``finite=False``
    leaves dense data's finiteness and magnitude to the caller, who must check them before any
    other work (:meth:`kmeanskit.KMeans.fit` does, from the pass over the columns it makes
    first anyway; see :func:`check_finite` and :func:`check_magnitude`); sparse data is always
    checked here. Values so large that squared distances would overflow the dtype are
    refused (:func:`check_magnitude`).
    """
    _check_dataframe_columns(X, name)
    kwargs = dict(
        accept_sparse="csr",
        dtype=_FLOAT_DTYPES,
        order="C",
        ensure_all_finite=False,
        accept_large_sparse=True,
    )
    try:
        if estimator is not None:
            X = validate_data(estimator, X, reset=reset, **kwargs)
        else:
            X = check_array(X, input_name=name, **kwargs)
    except (TypeError, ValueError) as exc:
        if "could not convert" in str(exc) or "argument must be" in str(exc):
            raise TypeError(
                f"{name} holds values that are not numbers ({exc}). Convert or drop the "
                f"non-numeric columns first."
            ) from exc
        raise
    feature_names = getattr(estimator, "feature_names_in_", None)
    if finite or sp.issparse(X):
        check_magnitude(check_finite(X, name, feature_names), X.dtype, X.shape[1], name)
    if sp.issparse(X) and not X.has_canonical_format:
        X = X.copy()  # sum_duplicates works in place: never on the caller's matrix
        X.sum_duplicates()
    return X


def is_integer(value) -> bool:
    """An int (NumPy integers too), and not a bool: what integer parameters must be."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_n_clusters(n_clusters, X) -> None:
    """``n_clusters`` must be a positive int no larger than the number of samples."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (numbers.Integral, np.integer)):
        raise TypeError(f"n_clusters must be an int, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters}.")
    if X.shape[0] < n_clusters:
        raise ValueError(
            f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}. "
            f"Ask for fewer clusters or give more samples."
        )


def unit_weights(n: int) -> np.ndarray:
    """n weights of one as a read-only zero-stride view: no n-sized allocation."""
    return np.broadcast_to(np.float64(1.0), (n,))


def check_sample_weight(sample_weight, X) -> np.ndarray:
    """Return float64 weights of shape (n_samples,): finite, non-negative, not all zero.

    Without weights the result is a read-only broadcast view of 1.0 (see :func:`unit_weights`).
    """
    n = X.shape[0]
    if sample_weight is None:
        return unit_weights(n)
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight), dtype=np.float64)
    try:
        weights = np.array(sample_weight, dtype=np.float64)  # a copy: never the caller's array
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sample_weight must hold numbers ({exc}).") from exc
    if weights.shape != (n,):
        raise ValueError(
            f"sample_weight.shape == {weights.shape}, expected {(n,)}: one weight per sample."
        )
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (weights < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative; found {int((weights < 0).sum())} negative "
            f"value(s), e.g. at index {int(np.flatnonzero(weights < 0)[0])}."
        )
    if not weights.any():
        raise ValueError("sample_weight is zero for every sample: nothing to cluster.")
    return weights


def check_centers(centers, X, n_clusters: int, name: str = "init") -> np.ndarray:
    """Validate user-given centres: shape (n_clusters, n_features), finite, X's dtype."""
    centers = check_array(centers, dtype=X.dtype, copy=True, order="C", input_name=name)
    if centers.shape[0] != n_clusters:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the number of "
            f"clusters {n_clusters}."
        )
    if centers.shape[1] != X.shape[1]:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the number of "
            f"features of the data {X.shape[1]}."
        )
    return centers


def warn_if_few_distinct(labels: np.ndarray, n_clusters: int) -> None:
    from sklearn.exceptions import ConvergenceWarning

    from ._kernels.dense import label_counts

    distinct = int(np.count_nonzero(label_counts(labels, n_clusters)))
    if distinct < n_clusters:
        warnings.warn(
            f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
            f"({n_clusters}). Possibly due to duplicate points in X.",
            ConvergenceWarning,
            stacklevel=3,
        )
