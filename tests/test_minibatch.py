"""MiniBatchKMeans: scikit-learn's update rule step for step, its stopping rules, partial_fit,
sparse input, streaming from disk, saving."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans
from sklearn.cluster._kmeans import _mini_batch_step
from sklearn.datasets import make_blobs

from kmeanskit import KMeans, MiniBatchKMeans, load
from kmeanskit.minibatch import minibatch_step
from kmeanskit.streaming import open_rows


def _blobs(n=6000, d=5, k=6, seed=0, dtype=np.float64):
    X, _ = make_blobs(n, n_features=d, centers=k, cluster_std=1.0, random_state=seed)
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_steps_follow_scikit_learns_update_rule(dtype):
    """Same batches and same start: the same centres and absorbed weights after every step."""
    X = _blobs(dtype=dtype)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 2.0, X.shape[0])
    ours = X[:6].astype(np.float64)
    theirs = X[:6].copy()
    our_sums, their_sums = np.zeros(6), np.zeros(6, dtype=dtype)
    for _ in range(20):
        rows = rng.integers(0, X.shape[0], 256)
        batch, w = X[rows], weights[rows]
        minibatch_step(batch, w, ours, our_sums, rng, reassign=False, reassignment_ratio=0.01)
        new = np.empty_like(theirs)
        _mini_batch_step(
            batch,
            w.astype(dtype),
            theirs,
            new,
            their_sums,
            np.random.RandomState(0),
            random_reassign=False,
        )
        theirs = new
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)
    np.testing.assert_allclose(our_sums, their_sums, rtol=tol)


def test_quality_matches_scikit_learns_minibatch_and_nears_kmeans():
    X = _blobs(20_000, d=8, k=10, seed=1)
    ours = [MiniBatchKMeans(10, random_state=s).fit(X).inertia_ for s in range(5)]
    theirs = [SkMiniBatchKMeans(10, random_state=s, n_init=1).fit(X).inertia_ for s in range(5)]
    full = KMeans(10, random_state=0).fit(X).inertia_
    assert np.median(ours) <= 1.02 * np.median(theirs)
    assert np.median(ours) <= 1.05 * full


def test_reproducible_and_dtype_kept():
    X = _blobs(dtype=np.float32)
    a = MiniBatchKMeans(6, random_state=3).fit(X)
    b = MiniBatchKMeans(6, random_state=3).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(a.labels_, a.predict(X))
    assert a.inertia_ == pytest.approx(-a.score(X))


def test_stopping_rules():
    X = _blobs(2000)
    every_step = MiniBatchKMeans(
        6, batch_size=100, max_iter=3, max_no_improvement=None, random_state=0
    ).fit(X)
    assert every_step.n_steps_ == 3 * 2000 // 100
    assert every_step.n_iter_ == 3
    early = MiniBatchKMeans(
        6, batch_size=100, max_iter=50, max_no_improvement=3, random_state=0
    ).fit(X)
    assert early.n_steps_ < 50 * 2000 // 100
    by_tol = MiniBatchKMeans(
        6, batch_size=100, max_iter=50, max_no_improvement=None, tol=1e-3, random_state=0
    ).fit(X)
    assert by_tol.n_steps_ < 50 * 2000 // 100


def test_centres_that_get_no_points_are_reassigned():
    X = _blobs(3000, d=2, k=4)
    init = np.vstack([X[:3], [[1e4, 1e4]]])  # the last centre is far from every point
    km = MiniBatchKMeans(4, init=init, batch_size=200, random_state=0).fit(X)
    assert np.bincount(km.labels_, minlength=4).min() > 0
    kept = MiniBatchKMeans(
        4, init=init, batch_size=200, reassignment_ratio=0.0, random_state=0
    ).fit(X)
    assert np.bincount(kept.labels_, minlength=4)[3] == 0


def test_partial_fit_streams_pieces():
    X = _blobs(6000, d=3, k=5, seed=2)
    km = MiniBatchKMeans(5, random_state=0)
    for piece in np.array_split(X, 30):
        km.partial_fit(piece)
    assert km.n_steps_ == 30
    assert km.labels_.shape == (200,)
    full = KMeans(5, random_state=0).fit(X)
    assert -km.score(X) <= 1.1 * full.inertia_
    with pytest.raises(ValueError, match="features"):
        km.partial_fit(X[:10, :2])
    refit = MiniBatchKMeans(5, random_state=0).fit(X)
    refit.partial_fit(X[:100])  # continuing after fit
    assert refit.cluster_centers_.shape == (5, 3)


def test_sparse_input_follows_the_dense_run():
    X = _blobs(3000, d=6, k=4, seed=3)
    X[X < 0] = 0.0
    dense = MiniBatchKMeans(4, random_state=0, batch_size=256).fit(X)
    sparse = MiniBatchKMeans(4, random_state=0, batch_size=256).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(
        sparse.cluster_centers_, dense.cluster_centers_, rtol=1e-6, atol=1e-8
    )


def test_fit_on_a_file_equals_the_in_memory_fit(tmp_path):
    """The same random rows are read from the file: the very same run."""
    X = _blobs(5000, d=4, k=5, dtype=np.float32)
    np.save(tmp_path / "x.npy", X)
    memory = MiniBatchKMeans(5, random_state=0, tol=1e-4).fit(X)
    for source in (
        tmp_path / "x.npy",
        open_rows(tmp_path / "x.npy", chunk_bytes=1000),
        np.load(tmp_path / "x.npy", mmap_mode="r"),
    ):
        streamed = MiniBatchKMeans(5, random_state=0, tol=1e-4).fit(source)
        np.testing.assert_array_equal(streamed.cluster_centers_, memory.cluster_centers_)
        np.testing.assert_array_equal(streamed.labels_, memory.labels_)
        assert streamed.n_steps_ == memory.n_steps_


def test_take_reads_rows_in_any_order(tmp_path):
    X = np.arange(3000.0).reshape(1000, 3)
    np.save(tmp_path / "x.npy", X)
    X.tofile(tmp_path / "x.raw")
    rows = np.random.default_rng(0).integers(0, 900, 500)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    raw = np.memmap(
        tmp_path / "x.raw", dtype=np.float64, mode="r", offset=24 * 3, shape=(997, 3)
    )  # starts at row 3 of the raw file
    private = np.load(tmp_path / "x.npy", mmap_mode="c")
    private[rows[0]] = -1.0  # a change only the private map holds
    cases = [
        (open_rows(tmp_path / "x.npy", chunk_bytes=200), X),
        (open_rows(mapped, chunk_bytes=10**6), X),
        (open_rows(mapped[100:], chunk_bytes=10**6), X[100:]),  # a view of a memmap
        (open_rows(raw), X[3:]),
        (open_rows(private), np.where(np.arange(1000)[:, None] == rows[0], -1.0, X)),
    ]
    for source, expected in cases:
        np.testing.assert_array_equal(source.take(rows), expected[rows])
        with pytest.raises(IndexError):
            source.take([len(expected)])


def test_save_and_load(tmp_path):
    X = _blobs(1000)
    km = MiniBatchKMeans(4, random_state=0).fit(X)
    km.save(tmp_path / "m.kmk")
    back = load(tmp_path / "m.kmk")
    assert isinstance(back, MiniBatchKMeans) and back.n_steps_ == km.n_steps_
    np.testing.assert_array_equal(back.predict(X), km.predict(X))
    no_labels = MiniBatchKMeans(4, compute_labels=False, random_state=0).fit(X)
    assert not hasattr(no_labels, "labels_") and no_labels.inertia_ > 0
    no_labels.save(tmp_path / "n.kmk")
    np.testing.assert_array_equal(
        load(tmp_path / "n.kmk").cluster_centers_, no_labels.cluster_centers_
    )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"max_no_improvement": -1}, "max_no_improvement must be None or"),
        ({"init_size": 0}, "init_size must be None or a positive integer"),
        ({"reassignment_ratio": -0.5}, "reassignment_ratio must be a non-negative"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"init": "kmeans"}, "init must be"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        MiniBatchKMeans(2, **params).fit(_blobs(100))


def test_caller_data_is_not_modified():
    X = _blobs(1000)
    w = np.ones(1000)
    X_copy, w_copy = X.copy(), w.copy()
    MiniBatchKMeans(3, random_state=0).fit(X, sample_weight=w)
    MiniBatchKMeans(3, random_state=0).partial_fit(X, sample_weight=w)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(w, w_copy)
