"""Beyond one machine's memory: the Dask backend against dask-ml, and out-of-core throughput.

    python benchmarks/scale.py [--n 10000000] [--seeds 3] [--ooc-n 4000000]

1. Dask: ``kmeanskit.distributed.KMeans`` and ``dask_ml.cluster.KMeans`` (both k-means|| then
   Lloyd, tol 1e-4, defaults otherwise) on the same ``distributed.LocalCluster(n_workers=2,
   threads_per_worker=1, processes=True)`` and the same persisted float32 dask array (a mixture
   of 16 Gaussians in 16-D, generated on the workers), one seed at a time, alternating.
   Seconds per fit (median), inertia of every fit computed by one shared function from the
   returned centres, the ratio.
2. Out of core: ``KMeans.fit`` on a ``.npy`` file (streamed, 64 MiB windows) against the
   in-memory fit of the same array, same initial centres, 10 Lloyd iterations (tol 0): rows
   per second (n x iterations / seconds), and ``MiniBatchKMeans`` on the file against memory.

Writes ``benchmarks/SCALE.md``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
D, K = 16, 16


def _mixture_block(n, seed, block):
    rng = np.random.default_rng([seed, block])
    means = np.random.default_rng(seed).normal(scale=3.0, size=(K, D)).astype(np.float32)
    return means[rng.integers(0, K, n)] + rng.standard_normal((n, D), dtype=np.float32)


def mixture(n: int, chunk: int, seed: int = 0):
    """An (n, 16) float32 dask array, every block generated where it lives."""
    import dask
    import dask.array as da

    sizes = [min(chunk, n - s) for s in range(0, n, chunk)]
    blocks = [
        da.from_delayed(dask.delayed(_mixture_block)(m, seed, b), (m, D), dtype=np.float32)
        for b, m in enumerate(sizes)
    ]
    return da.concatenate(blocks)


def dask_section(n: int, seeds: int, chunk: int) -> list[str]:
    import dask.array as da  # noqa: F401
    import distributed
    from dask_ml.cluster import KMeans as DaskMLKMeans

    from kmeanskit.distributed import KMeans

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        X = mixture(n, chunk).persist()
        distributed.wait(X)
        KMeans(K, random_state=0, max_iter=2).fit(X[:200_000])  # warm the workers
        shared = KMeans(K, init=np.zeros((K, D), np.float32)).fit(X[:1000])

        def inertia(centres):
            shared.cluster_centers_ = centres.astype(np.float32)
            return -shared.score(X)

        rows = {"kmeanskit.distributed": ([], []), "dask-ml": ([], [])}
        for seed in range(seeds):
            for name in rows:
                model = (
                    KMeans(K, random_state=seed)
                    if name == "kmeanskit.distributed"
                    else DaskMLKMeans(n_clusters=K, random_state=seed)
                )
                time.sleep(0.5)
                start = time.perf_counter()
                model.fit(X)
                seconds = time.perf_counter() - start
                rows[name][0].append(seconds)
                rows[name][1].append(inertia(np.asarray(model.cluster_centers_)))
                print(f"{name} seed {seed}: {seconds:.2f} s, inertia {rows[name][1][-1]:.6g}")
        workers = len(client.scheduler_info()["workers"])
    ours_t, ours_i = rows["kmeanskit.distributed"]
    theirs_t, theirs_i = rows["dask-ml"]
    lines = [
        f"## 1. Dask: n = {n:,}, d = {D}, k = {K}, float32 ({n * D * 4 / 2**20:.0f} MiB), "
        f"{workers} worker processes x 1 thread, chunks of {chunk:,} rows, {seeds} seeds",
        "",
        "| implementation | median s per fit | mean inertia | inertia vs dask-ml |",
        "|---|---|---|---|",
    ]
    for name, (times, inertias) in rows.items():
        rel = statistics.mean(inertias) / statistics.mean(theirs_i) - 1
        lines.append(
            f"| {name} | {statistics.median(times):.2f} | {statistics.mean(inertias):.6g} | "
            f"{rel:+.3%} |"
        )
    speedup = statistics.median(theirs_t) / statistics.median(ours_t)
    lines += [
        "",
        f"**kmeanskit.distributed is {speedup:.2f}x faster than dask-ml** (ratio of medians), at "
        "mean inertia "
        f"{statistics.mean(ours_i) / statistics.mean(theirs_i) - 1:+.3%} relative to dask-ml's.",
        "",
    ]
    return lines


def ooc_section(n: int) -> list[str]:
    from kmeanskit import KMeans, MiniBatchKMeans

    X = np.empty((n, D), dtype=np.float32)
    for start in range(0, n, 1_000_000):
        m = min(1_000_000, n - start)
        X[start : start + m] = _mixture_block(m, 0, start)
    init = np.ascontiguousarray(X[:: n // K][:K])
    iters = 10
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        np.save(path, X)
        KMeans(K, init=init, max_iter=1).fit(X[:10000])  # warm up
        times = {"in memory": [], "streamed .npy": []}
        for _ in range(3):
            for name in times:
                start = time.perf_counter()
                KMeans(K, init=init, max_iter=iters, tol=0.0, algorithm="lloyd").fit(
                    X if name == "in memory" else path
                )
                times[name].append(time.perf_counter() - start)
        mb = {"in memory": [], "streamed .npy": []}
        for _ in range(3):
            for name in mb:
                start = time.perf_counter()
                MiniBatchKMeans(K, random_state=0, max_no_improvement=None, max_iter=1).fit(
                    X if name == "in memory" else path
                )
                mb[name].append(time.perf_counter() - start)
    lines = [
        f"## 2. Out of core: n = {n:,}, d = {D}, k = {K}, float32 ({n * D * 4 / 2**20:.0f} MiB "
        "file, in the page cache: this measures the streaming machinery, not the disk)",
        "",
        f"KMeans, same initial centres, {iters} Lloyd iterations (tol 0), median of 3:",
        "",
        "| input | median s | rows/s | vs in memory |",
        "|---|---|---|---|",
    ]
    base = statistics.median(times["in memory"])
    for name, values in times.items():
        t = statistics.median(values)
        lines.append(f"| {name} | {t:.2f} | {n * iters / t:,.0f} | {base / t:.2f}x |")
    lines += [
        "",
        "MiniBatchKMeans, one pass in batches of 1024 (max_iter=1), median of 3 (the file run "
        "gathers each batch's rows through read-only maps of 16 MiB pieces of the file):",
        "",
        "| input | median s | rows/s | vs in memory |",
        "|---|---|---|---|",
    ]
    base = statistics.median(mb["in memory"])
    for name, values in mb.items():
        t = statistics.median(values)
        lines.append(f"| {name} | {t:.2f} | {n / t:,.0f} | {base / t:.2f}x |")
    return lines + [""]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=500_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ooc-n", type=int, default=4_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "SCALE.md")
    args = parser.parse_args(argv)
    header = [
        "# Scale: Dask backend and out-of-core fits",
        "",
        f"`python benchmarks/scale.py --n {args.n} --seeds {args.seeds} --ooc-n {args.ooc_n}`, "
        f"one run on {platform.machine()} with {os.cpu_count()} cores, Python "
        f"{platform.python_version()}.",
        "",
    ]
    lines = header + dask_section(args.n, args.seeds, args.chunk) + ooc_section(args.ooc_n)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
