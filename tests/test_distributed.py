"""The Dask backend on a real two-process LocalCluster: the single-machine result from the same
initial centres, k-means|| seeding, dask inputs and outputs, and a worker killed mid-fit."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

from sklearn.datasets import make_blobs  # noqa: E402

from kmeanskit import KMeans  # noqa: E402
from kmeanskit.distributed import KMeans as DaskKMeans  # noqa: E402


def _cluster():
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        silence_logs=logging.ERROR,
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as client:
        yield client


def _blobs(n=20_000, d=4, k=6, dtype=np.float32, seed=0):
    X, _ = make_blobs(n, n_features=d, centers=k, cluster_std=1.0, random_state=seed)
    return X.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_init_gives_the_single_machine_result(client, dtype):
    X = _blobs(dtype=dtype)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    init = X[:6].copy()
    chunks = ((5000, 7000, 3000, 5000), (4,))  # uneven blocks
    dX = da.from_array(X, chunks=chunks)
    ours = DaskKMeans(6, init=init).fit(dX, sample_weight=weights)
    single = KMeans(6, init=init, algorithm="lloyd").fit(X, sample_weight=weights)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.cluster_centers_, single.cluster_centers_, rtol=tol, atol=tol)
    np.testing.assert_array_equal(ours.labels_.compute(), single.labels_)
    assert ours.inertia_ == pytest.approx(single.inertia_, rel=1e-6)
    assert ours.n_iter_ == single.n_iter_
    assert ours.cluster_centers_.dtype == dtype


def test_empty_clusters_are_relocated_like_the_single_machine_solver(client):
    X = _blobs(6000, d=2, k=4, dtype=np.float64, seed=1)
    init = np.vstack([X[:3], [[1e3, 1e3]]])  # the last centre attracts no point
    dX = da.from_array(X, chunks=1500)
    ours = DaskKMeans(4, init=init).fit(dX)
    single = KMeans(4, init=init, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, single.cluster_centers_, rtol=1e-10)


def test_kmeans_parallel_seeding_is_reproducible_and_good(client):
    X = _blobs(30_000, d=5, k=8, seed=2)
    dX = da.from_array(X, chunks=4000)
    a = DaskKMeans(8, random_state=0).fit(dX)
    b = DaskKMeans(8, random_state=0).fit(dX)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    single = KMeans(8, random_state=0).fit(X)
    assert a.inertia_ <= 1.02 * single.inertia_


def test_dataframes_in_dask_arrays_out(client):
    import pandas as pd

    X = _blobs(4000, d=3, k=3, dtype=np.float64, seed=3)
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=4)
    km = DaskKMeans(3, random_state=0).fit(frame)
    labels = km.predict(frame)
    distances = km.transform(frame)
    assert isinstance(labels, da.Array) and isinstance(distances, da.Array)
    single = KMeans(3, init=km.cluster_centers_).fit(X)
    np.testing.assert_array_equal(labels.compute(), single.predict(X))
    np.testing.assert_allclose(distances.compute(), single.transform(X), rtol=1e-10)
    assert km.score(frame) == pytest.approx(single.score(X), rel=1e-10)
    words = dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), npartitions=1)
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) \['b'\]"):
        DaskKMeans(1).fit(words)


def test_errors_name_the_problem(client):
    X = _blobs(1000, dtype=np.float64)
    bad = X.copy()
    bad[600, 2] = np.nan
    with pytest.raises(ValueError, match="NaN in column 2"):
        DaskKMeans(3).fit(da.from_array(bad, chunks=250))
    with pytest.raises(ValueError, match="n_samples=1000 should be >= n_clusters=2000"):
        DaskKMeans(2000).fit(da.from_array(X, chunks=250))
    with pytest.raises(ValueError, match="init must be 'k-means||'"):
        DaskKMeans(3, init="random").fit(da.from_array(X, chunks=250))
    unknown = da.from_array(X, chunks=250)[da.from_array(X[:, 0] > 0, chunks=250)]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        DaskKMeans(3).fit(unknown)
    km = DaskKMeans(3, random_state=0).fit(da.from_array(X, chunks=250))
    with pytest.raises(ValueError, match="X has 2 features"):
        km.predict(da.from_array(X[:, :2]))


def test_a_worker_killed_mid_fit_changes_nothing():
    """Kill one of two worker processes during the Lloyd iterations: Dask recomputes what it
    held and the fit returns the result of an undisturbed fit, or fails with a clear error."""
    X = _blobs(200_000, d=8, k=8, seed=4)
    init = X[:8].copy()
    with _cluster() as cluster, distributed.Client(cluster) as client:
        dX = da.from_array(X, chunks=25_000)
        DaskKMeans(8, init=init, max_iter=2).fit(dX)  # warm the workers (numba cache)
        started = time.perf_counter()
        undisturbed = DaskKMeans(8, init=init, max_iter=40, tol=0.0).fit(dX)
        seconds = time.perf_counter() - started
        pids = list(client.run(os.getpid).values())
        outcome = {}

        def fit():
            try:
                outcome["model"] = DaskKMeans(8, init=init, max_iter=40, tol=0.0).fit(dX)
            except RuntimeError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=fit)
        worker.start()
        time.sleep(0.4 * seconds)
        assert worker.is_alive(), "the fit ended before a worker could be killed"
        os.kill(pids[0], signal.SIGKILL)
        worker.join(timeout=300)
        assert not worker.is_alive()
    print("killed worker, outcome:", sorted(outcome), f"undisturbed fit {seconds:.1f} s")
    if "error" in outcome:
        assert "could not finish the fit" in str(outcome["error"])
    else:
        np.testing.assert_array_equal(
            outcome["model"].cluster_centers_, undisturbed.cluster_centers_
        )
        assert outcome["model"].inertia_ == undisturbed.inertia_
