"""suggest_k against the time budget of issue 4, in one process and one run.

    python benchmarks/suggest_k.py [--n 100000] [--d 16] [--true-k 8]

Budget: for every k in 2..15, three default ``sklearn.cluster.KMeans`` fits plus one
``sklearn.metrics.silhouette_score(sample_size=10000)``, timed here on the same data. Writes
``benchmarks/SUGGEST_K.md`` with both times, their ratio and what suggest_k chose.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--true-k", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "SUGGEST_K.md")
    args = parser.parse_args(argv)

    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.datasets import make_blobs
    from sklearn.metrics import silhouette_score

    from kmeanskit import suggest_k

    X, _ = make_blobs(args.n, args.d, centers=args.true_k, cluster_std=2.0, random_state=0)
    X = X.astype(np.float32)
    ks = range(2, 16)
    suggest_k(X[:2000], [2, 3], random_state=0)  # warm-up: imports and the numba cache

    start = time.perf_counter()
    result = suggest_k(X, ks, random_state=0)
    ours = time.perf_counter() - start
    print(result, flush=True)
    print(f"suggest_k: {ours:.1f} s", flush=True)

    per_k = []
    start = time.perf_counter()
    for k in ks:
        t = time.perf_counter()
        for seed in range(3):
            labels = SkKMeans(k, random_state=seed).fit(X).labels_
        silhouette_score(X, labels, sample_size=10_000, random_state=0)
        per_k.append(time.perf_counter() - t)
    budget = time.perf_counter() - start
    print(f"budget (3 sklearn fits + sampled silhouette per k): {budget:.1f} s", flush=True)

    lines = [
        "# suggest_k against its time budget",
        "",
        f"Command: `python benchmarks/suggest_k.py --n {args.n} --d {args.d} "
        f"--true-k {args.true_k}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; date {time.strftime('%Y-%m-%d')}",
        "",
        f"Data: make_blobs n={args.n} d={args.d} with {args.true_k} centres (cluster_std=2, "
        "float32); k in 2..15.",
        "",
        "| | seconds |",
        "|---|---|",
        f"| kmeanskit `suggest_k` (5 methods, gap with 10 references) | {ours:.1f} |",
        f"| budget: 3 default sklearn fits + `silhouette_score(sample_size=10000)` per k "
        f"| {budget:.1f} |",
        f"| ratio (suggest_k / budget) | {ours / budget:.2f} |",
        "",
        f"suggest_k chose k = {result.k} (true k = {args.true_k}): {result.reasoning}",
        "",
        "Per-k seconds of suggest_k (fit, silhouette estimate, CH, DB, 10 gap references) and "
        "of the budget:",
        "",
        "| k | suggest_k | budget |",
        "|---|---|---|",
    ]
    for k, mine, theirs in zip(ks, result.table["seconds"], per_k, strict=True):
        lines.append(f"| {k} | {mine:.2f} | {theirs:.2f} |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
