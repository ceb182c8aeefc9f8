"""Bad input gets a clear error that names the problem; the caller's data is never modified."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from kmeanskit import KMeans, MiniBatchKMeans, kmeans_plusplus
from kmeanskit._validation import check_input

X_OK = np.random.default_rng(0).normal(size=(50, 3))


@pytest.mark.parametrize(
    "value, word", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
)
def test_non_finite_values_name_the_column(value, word):
    X = X_OK.copy()
    X[7, 2] = value
    with pytest.raises(ValueError, match=rf"contains {word} in column 2"):
        KMeans(2).fit(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("row, value", [(0, np.nan), (123_457, np.inf), (-1, -np.inf)])
def test_non_finite_values_in_large_data_are_found(dtype, row, value):
    """From 2**20 values the check runs in parallel (numba): a value anywhere is found; a
    finite value near the float32 limit is no NaN, but too large to square (refused as
    such in float32, accepted in float64); ordinary data passes untouched."""
    X = np.ones((262_200, 4), dtype=dtype)
    X[row, 3] = value
    with pytest.raises(ValueError, match="in column 3"):
        check_input(X)
    X[row, 3] = np.finfo(np.float32).max
    if dtype == np.float32:
        with pytest.raises(ValueError, match="overflow float32"):
            check_input(X)
    else:
        assert check_input(X) is X
    X[row, 3] = -3.0
    assert check_input(X) is X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "value, word", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
)
@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
def test_fit_finds_non_finite_values_through_its_column_sums(dtype, value, word, algorithm):
    """KMeans.fit checks dense data's finiteness from the column sums it needs anyway: a
    value anywhere is named, also in a row of zero weight and with an explicit init (no
    seeding before the check); finite float64 values whose sum overflows (their squares
    would too) are named as too large, not as NaN."""
    X = np.random.default_rng(1).normal(size=(3000, 4)).astype(dtype)
    X[1234, 3] = value
    weights = np.ones(len(X))
    weights[1234] = 0.0
    for init, sample_weight in (("k-means++", None), (X_OK[:3, :].repeat(2, 1)[:, :4], weights)):
        with pytest.raises(ValueError, match=rf"contains {word} in column 3"):
            KMeans(3, init=init, n_init=1, algorithm=algorithm).fit(X, sample_weight=sample_weight)
    huge = np.full((40, 2), 1e308)
    huge[20:] = -1e308
    with pytest.raises(ValueError, match="overflow float64"):
        KMeans(2, n_init=1, random_state=0, algorithm=algorithm).fit(huge)


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20), (np.float64, 1e160)])
def test_values_whose_squares_overflow_are_refused(dtype, scale, tmp_path):
    """Values so large that squared distances overflow the dtype used to give a silently
    wrong clustering (float32 at 1e20: a third of the labels agreed with the unscaled fit's).
    fit (in memory, streamed from a file, mini-batch from a file, Dask), predict (in memory
    and from a file) and the functional seeding refuse them, naming the size and the remedy;
    values just below the limit still cluster as the unscaled data do."""
    from kmeanskit._validation import largest_safe_magnitude

    rng = np.random.default_rng(0)
    base = rng.normal(size=(2000, 4)) + rng.integers(0, 3, size=(2000, 1)) * 5
    X = (base * scale).astype(dtype)
    for algorithm in ("lloyd", "hamerly"):
        with pytest.raises(ValueError, match=f"overflow {np.dtype(dtype).name}"):
            KMeans(3, n_init=1, random_state=0, algorithm=algorithm).fit(X)
    path = tmp_path / "huge.npy"
    np.save(path, X)
    with pytest.raises(ValueError, match="overflow"):
        KMeans(3, n_init=1, random_state=0, init=X[:3]).fit(str(path))
    with pytest.raises(ValueError, match="overflow"):
        MiniBatchKMeans(3, random_state=0, batch_size=256).fit(str(path))
    with pytest.raises(ValueError, match="Divide X by a constant"):
        kmeans_plusplus(X, 3, random_state=0)
    km = KMeans(3, n_init=1, random_state=0).fit(base.astype(dtype))
    with pytest.raises(ValueError, match="overflow"):
        km.predict(X)
    with pytest.raises(ValueError, match="overflow"):
        km.predict(str(path))
    da = pytest.importorskip("dask.array")
    from kmeanskit.distributed import KMeans as DaskKMeans

    with pytest.raises(ValueError, match="overflow"):
        DaskKMeans(3, random_state=0).fit(da.from_array(X, chunks=500))
    # just below the limit: the same partition as the unscaled data's (the seeding's
    # probabilities round differently at this scale, so the labels may be permuted)
    near = largest_safe_magnitude(dtype, 4) / np.abs(base).max() / 2
    big = KMeans(3, n_init=1, random_state=0).fit((base * near).astype(dtype))
    assert adjusted_rand_score(big.labels_, km.labels_) == 1.0
    assert np.isfinite(big.inertia_)


def test_large_sparse_data_with_nan_names_the_column():
    X = sp.random(2_000, 1_000, density=0.6, format="csr", random_state=0, dtype=np.float32)
    assert X.nnz >= 1 << 20
    X.data[-5] = np.nan
    column = X.indices[-5]
    with pytest.raises(ValueError, match=f"NaN in column {column}"):
        check_input(X)


def test_non_finite_dataframe_value_names_the_column_by_name():
    df = pd.DataFrame(X_OK, columns=["age", "income", "score"])
    df.loc[3, "income"] = np.nan
    with pytest.raises(ValueError, match=r"NaN in column 1 \('income'\)"):
        KMeans(2).fit(df)


def test_non_finite_sparse_value_names_the_column():
    X = sp.csr_matrix(np.eye(5))
    X.data[3] = np.nan
    with pytest.raises(ValueError, match="NaN in column 3"):
        KMeans(2).fit(X)


def test_non_finite_at_predict_time():
    km = KMeans(2, random_state=0).fit(X_OK)
    X = X_OK.copy()
    X[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN in column 1"):
        km.predict(X)


def test_non_numeric_dataframe_columns_are_named():
    df = pd.DataFrame({"age": [20, 30, 40], "city": ["a", "b", "c"], "plan": ["x", "y", "z"]})
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) \['city', 'plan'\].*one-hot"):
        KMeans(2).fit(df)


def test_object_array_of_strings():
    X = np.array([["1.0", "2.0"], ["a", "3.0"], ["4.0", "5.0"]], dtype=object)
    with pytest.raises(TypeError, match="not numbers"):
        KMeans(2).fit(X)


def test_object_array_of_numbers_is_accepted():
    km = KMeans(2, random_state=0).fit(X_OK.astype(object))
    assert km.cluster_centers_.dtype == np.float64


def test_empty_input():
    with pytest.raises(ValueError, match="0 sample"):
        KMeans(2).fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="0 feature"):
        KMeans(2).fit(np.empty((5, 0)))


def test_one_dimensional_input():
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        KMeans(2).fit(np.arange(10.0))


def test_three_dimensional_input():
    with pytest.raises(ValueError, match="3"):
        KMeans(2).fit(np.zeros((4, 2, 2)))


def test_more_clusters_than_samples():
    with pytest.raises(ValueError, match="n_samples=5 should be >= n_clusters=6"):
        KMeans(6).fit(X_OK[:5])


def test_fewer_distinct_points_than_clusters_warns():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 10, axis=0)
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(2\).*n_clusters \(3\)"):
        km = KMeans(3, random_state=0).fit(X)
    assert np.unique(km.labels_).size == 2


@pytest.mark.parametrize(
    "weights, error, match",
    [
        (np.ones(49), ValueError, r"sample_weight.shape == \(49,\), expected \(50,\)"),
        (np.ones((50, 2)), ValueError, "sample_weight.shape"),
        (-np.ones(50), ValueError, "non-negative.*index 0"),
        (np.zeros(50), ValueError, "zero for every sample"),
        (np.r_[np.nan, np.ones(49)], ValueError, "NaN or infinity"),
        (["a"] * 50, TypeError, "sample_weight must hold numbers"),
    ],
)
def test_bad_sample_weight(weights, error, match):
    with pytest.raises(error, match=match):
        KMeans(2).fit(X_OK, sample_weight=weights)


def test_init_array_of_wrong_shape():
    with pytest.raises(
        ValueError,
        match=r"initial centers \(3, 3\) does not match the number "
        r"of clusters 2",
    ):
        KMeans(2, init=X_OK[:3]).fit(X_OK)
    with pytest.raises(ValueError, match="number of features of the data 3"):
        KMeans(2, init=X_OK[:2, :2]).fit(X_OK)


def test_init_array_with_nan():
    init = X_OK[:2].copy()
    init[0, 0] = np.nan
    with pytest.raises(ValueError, match="init"):
        KMeans(2, init=init).fit(X_OK)


def test_callable_init_returning_wrong_shape():
    def bad_init(X, k, random_state):
        return X[: k + 1]

    with pytest.raises(ValueError, match="does not match the number of clusters"):
        KMeans(2, init=bad_init).fit(X_OK)


def test_explicit_init_with_n_init_warns():
    with pytest.warns(RuntimeWarning, match="only one init"):
        KMeans(2, init=X_OK[:2], n_init=5).fit(X_OK)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"init": "kmeans"}, "init must be"),
        ({"n_init": 0}, "n_init"),
        ({"n_init": "many"}, "n_init"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"tol": float("nan")}, "tol"),
        ({"algorithm": "fast"}, "algorithm"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        KMeans(**{"n_clusters": 2, **params}).fit(X_OK)


def test_predict_with_wrong_number_of_features():
    km = KMeans(2, random_state=0).fit(X_OK)
    with pytest.raises(ValueError, match="X has 2 features, but KMeans is expecting 3"):
        km.predict(X_OK[:, :2])


def test_callers_data_is_never_modified():
    rng = np.random.default_rng(1)
    arrays = {
        "float64": rng.normal(size=(300, 4)) * 100 + 1e4,
        "float32": rng.normal(size=(300, 4)).astype(np.float32) + 50,
        "fortran": np.asfortranarray(rng.normal(size=(300, 4))),
    }
    weights = rng.uniform(0, 2, size=300)
    for X in arrays.values():
        before, w_before = X.copy(), weights.copy()
        init = X[:3].copy()
        km = KMeans(3, random_state=0, copy_x=False).fit(X, sample_weight=weights)
        km.predict(X), km.transform(X), km.score(X, sample_weight=weights)
        KMeans(3, init=init).fit(X)
        KMeans(3, random_state=0, algorithm="kdtree").fit(X, sample_weight=weights)
        kmeans_plusplus(X, 3, sample_weight=weights, random_state=0)
        np.testing.assert_array_equal(X, before)
        np.testing.assert_array_equal(weights, w_before)
        np.testing.assert_array_equal(init, X[:3])
    # a CSR matrix with duplicate entries is summed on a copy, never in place
    dup = sp.csr_matrix((np.ones(4), np.array([0, 0, 1, 1]), np.array([0, 2, 4])), shape=(2, 3))
    before = (dup.data.copy(), dup.indices.copy(), dup.indptr.copy())
    KMeans(1, random_state=0).fit(dup)
    for a, b in zip(before, (dup.data, dup.indices, dup.indptr), strict=True):
        np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    X = X_OK.astype(np.float32)
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float32
    assert km.transform(X).dtype == np.float32
    assert km.labels_.dtype == np.int32


def test_kmeans_plusplus_errors():
    with pytest.raises(ValueError, match="n_samples=50 should be >= n_clusters=51"):
        kmeans_plusplus(X_OK, 51)
    with pytest.raises(ValueError, match="n_local_trials"):
        kmeans_plusplus(X_OK, 2, n_local_trials=0)
    with pytest.raises(ValueError, match="NaN"):
        kmeans_plusplus(np.array([[np.nan, 1.0], [1.0, 2.0]]), 1)
