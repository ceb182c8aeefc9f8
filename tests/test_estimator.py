"""Behaviour of KMeans beyond the reference comparison: n_init, verbose, random_state, I/O."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kmeanskit import KMeans

X, Y = make_blobs(n_samples=600, n_features=3, centers=5, cluster_std=2.0, random_state=2)


def test_n_init_keeps_the_best_run(monkeypatch):
    from kmeanskit import solvers

    results = []
    original = solvers.SOLVERS["lloyd"]

    def recording(*args, **kwargs):
        results.append(original(*args, **kwargs))
        return results[-1]

    monkeypatch.setitem(solvers.SOLVERS, "lloyd", recording)
    km = KMeans(5, init="random", n_init=6, random_state=0, refine=None, algorithm="lloyd")
    km.fit(X)
    assert len(results) == 6
    assert len({round(r.inertia, 6) for r in results}) > 1  # the runs really differ
    assert km.inertia_ == min(r.inertia for r in results)


def test_n_init_auto():
    from kmeanskit.estimator import KMeans as K

    assert K(3)._check_params() == 1
    assert K(3, init="random")._check_params() == 10
    assert K(3, init=lambda X, k, random_state: X[:k])._check_params() == 10
    assert K(3, init=X[:3])._check_params() == 1


def test_verbose_reports_iterations(capsys):
    KMeans(5, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "Initialization complete" in out
    assert "Iteration 0, inertia" in out
    assert "Converged at iteration" in out


@pytest.mark.parametrize(
    "state_a, state_b",
    [(3, 3), (np.random.RandomState(3), np.random.RandomState(3))],
)
def test_random_state_reproducible(state_a, state_b):
    a = KMeans(5, random_state=state_a).fit(X)
    b = KMeans(5, random_state=state_b).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_generator_random_state_and_callable_init():
    seen = {}

    def my_init(data, k, random_state):
        seen["state"] = random_state
        return data[random_state.choice(len(data), size=k, replace=False)]

    km = KMeans(5, init=my_init, n_init=2, random_state=np.random.default_rng(1)).fit(X)
    assert isinstance(seen["state"], np.random.RandomState)
    assert km.cluster_centers_.shape == (5, 3)


def test_pickle_round_trip_and_clone():
    km = KMeans(5, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(km))
    np.testing.assert_array_equal(again.predict(X), km.predict(X))
    assert clone(km).get_params() == km.get_params()


def test_dataframe_feature_names_and_pandas_output():
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    km = KMeans(5, random_state=0).set_output(transform="pandas").fit(df)
    assert list(km.feature_names_in_) == ["a", "b", "c"]
    out = km.transform(df)
    assert list(out.columns) == [f"kmeans{i}" for i in range(5)]
    assert list(km.get_feature_names_out()) == list(out.columns)


def test_in_a_pipeline():
    pipe = make_pipeline(StandardScaler(), KMeans(5, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (len(X),)


def test_finds_well_separated_blobs():
    from sklearn.metrics import adjusted_rand_score

    Xb, yb = make_blobs(n_samples=2000, centers=6, cluster_std=0.3, random_state=0)
    km = KMeans(6, random_state=0, n_init=3).fit(Xb)
    assert adjusted_rand_score(yb, km.labels_) > 0.99


def test_k_equals_n_and_k_equals_one():
    km = KMeans(len(X[:20]), random_state=0).fit(X[:20])
    assert km.inertia_ == pytest.approx(0.0, abs=1e-9)
    one = KMeans(1).fit(X)
    np.testing.assert_allclose(one.cluster_centers_[0], X.mean(axis=0), rtol=1e-12)


def test_memmap_input(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X.astype(np.float32))
    mm = np.load(path, mmap_mode="r")
    km = KMeans(5, random_state=0).fit(mm)
    ref = KMeans(5, random_state=0).fit(np.array(mm))
    np.testing.assert_array_equal(km.labels_, ref.labels_)


def test_concurrent_fits_from_threads_under_every_threading_layer():
    """numba's workqueue layer aborts on concurrent parallel calls; kmeanskit serialises them."""
    import subprocess
    import sys

    code = """
import threading, numpy as np, numba
from kmeanskit import KMeans
X = np.random.default_rng(0).normal(size=(5000, 4))
def work(seed):
    for _ in range(3):
        KMeans(4, random_state=seed).fit(X).predict(X)
threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print(numba.threading_layer())
"""
    for layer in ("workqueue", "default"):
        env = {**__import__("os").environ, "NUMBA_THREADING_LAYER": layer}
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        if layer == "workqueue":
            assert proc.stdout.strip() == "workqueue"


def test_auto_algorithm_rule():
    from kmeanskit.solvers import SOLVERS, choose_solver, hamerly

    assert KMeans().algorithm == "auto"
    assert choose_solver("auto", 1024, 16, sparse=False) == "hamerly"
    assert choose_solver("auto", 1024, 15, sparse=False) == "lloyd"
    assert choose_solver("auto", 8, 16, sparse=False) == "hamerly"
    assert choose_solver("auto", 31, 32, sparse=False) == "hamerly"
    assert choose_solver("auto", 32, 32, sparse=False) == "hamerly"
    assert choose_solver("auto", 1024, 31, sparse=False) == "hamerly"
    assert choose_solver("auto", 1024, 3, sparse=False) == "lloyd"
    assert choose_solver("auto", 128, 2, sparse=False) == "kdtree"
    assert choose_solver("auto", 127, 2, sparse=False) == "lloyd"
    assert choose_solver("auto", 16, 64, sparse=False) == "hamerly"
    assert choose_solver("auto", 15, 64, sparse=False) == "hamerly"
    assert choose_solver("auto", 16, 63, sparse=False) == "hamerly"
    assert choose_solver("auto", 8, 2, sparse=False) == "lloyd"
    assert choose_solver("auto", 128, 1, sparse=False) == "kdtree"
    assert choose_solver("kdtree", 8, 2, sparse=True) == "lloyd"  # trees: dense only
    assert choose_solver("auto", 1024, 128, sparse=False) == "hamerly"
    assert choose_solver("auto", 1000, 64, sparse=True) == "lloyd"
    assert choose_solver("elkan", 3, 2, sparse=False) == "elkan"
    assert choose_solver("yinyang", 300, 10, sparse=True) == "lloyd"  # bounds: dense only
    assert SOLVERS["elkan"] is hamerly


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_auto_with_many_clusters_equals_lloyd(dtype):
    """k = 150 at d = 64 makes "auto" run Hamerly with its neighbour lists."""
    Xk, _ = make_blobs(n_samples=6000, n_features=64, centers=160, random_state=0)
    Xk = Xk.astype(dtype)
    init = Xk[np.random.default_rng(0).choice(len(Xk), 150, replace=False)]
    auto = KMeans(150, init=init).fit(Xk)
    lloyd = KMeans(150, init=init, algorithm="lloyd").fit(Xk)
    np.testing.assert_array_equal(auto.labels_, lloyd.labels_)
    np.testing.assert_allclose(auto.inertia_, lloyd.inertia_, rtol=1e-6)
    assert auto.n_iter_ == lloyd.n_iter_
