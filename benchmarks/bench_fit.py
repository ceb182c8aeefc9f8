"""First benchmark: kmeanskit vs scikit-learn, same initial centres, same iterations.

    python benchmarks/bench_fit.py [--n 500000] [--d 16] [--k 32] [--iters 20] [--repeats 5]
                                   [--cluster-std 6.0]

Both fits run in this one process on the same float32 data from the same initial centres with
``tol=0`` and ``max_iter=iters``, so they do the same work. A warm-up fit of each comes first
(numba compiles, or loads its cache, on first use); then fits alternate between the two
libraries and the medians are reported with the final inertia of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs

from kmeanskit import KMeans, kmeans_plusplus


def _time_fit(make, X):
    start = time.perf_counter()
    model = make().fit(X)
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cluster-std", type=float, default=6.0, help="blob spread (overlap)")
    args = parser.parse_args()

    # the default spread makes blobs overlap, so that Lloyd does not converge before max_iter
    X, _ = make_blobs(
        args.n, n_features=args.d, centers=args.k, cluster_std=args.cluster_std, random_state=0
    )
    X = X.astype(np.float32)
    init, _ = kmeans_plusplus(X, args.k, random_state=0)

    makers = {
        "kmeanskit": lambda: KMeans(args.k, init=init, n_init=1, max_iter=args.iters, tol=0),
        "kmeanskit-hamerly": lambda: KMeans(
            args.k, init=init, n_init=1, max_iter=args.iters, tol=0, algorithm="hamerly"
        ),
        "sklearn-lloyd": lambda: SkKMeans(
            args.k, init=init, n_init=1, max_iter=args.iters, tol=0, algorithm="lloyd"
        ),
        "sklearn-elkan": lambda: SkKMeans(
            args.k, init=init, n_init=1, max_iter=args.iters, tol=0, algorithm="elkan"
        ),
    }
    times = {name: [] for name in makers}
    inertia = {}
    n_iter = {}
    for make in makers.values():  # warm-up
        _time_fit(make, X)
    for _ in range(args.repeats):
        for name, make in makers.items():
            seconds, model = _time_fit(make, X)
            times[name].append(seconds)
            inertia[name] = model.inertia_
            n_iter[name] = model.n_iter_

    print(
        f"make_blobs n={args.n} d={args.d} k={args.k} cluster_std={args.cluster_std} float32, "
        f"same init, tol=0, max_iter={args.iters}, median of {args.repeats}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    base = statistics.median(times["sklearn-lloyd"])
    for name in makers:
        med = statistics.median(times[name])
        print(
            f"{name:>14}: {med:7.3f} s  {n_iter[name]} iterations  "
            f"({med / n_iter[name] * 1e3:6.1f} ms/iter)  "
            f"speed-up vs sklearn {base / med:5.2f}x  inertia {inertia[name]:.6e}"
        )
    for name in ("kmeanskit", "kmeanskit-hamerly"):
        rel = abs(inertia[name] - inertia["sklearn-lloyd"]) / inertia["sklearn-lloyd"]
        print(f"relative inertia difference {name} vs sklearn-lloyd: {rel:.2e}")


if __name__ == "__main__":
    main()
