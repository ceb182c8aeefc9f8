"""Lloyd, Hamerly, Yinyang and the kd-tree against each other over k and d: the evidence for
"auto".

    python benchmarks/solvers.py [--n 200000] [--iters 20] [--repeats 3] [--d 2 3] [--k 16 64]

For every (d, k) in the grid, one embeddings-like Gaussian mixture (float32, as in
benchmarks/run.py), k-means++ centres from seed 0, ``iters`` iterations with ``tol=0`` by each
solver, fits interleaved; the median seconds per iteration (a fit's time over its
iterations, so the kd-tree's one-off build is included) and the winner. The kd-tree is timed
only up to d = KDTREE_MAX_D: beyond that its pruning fails and a fit takes minutes. Writes
``benchmarks/SOLVERS.md``; ``kmeanskit.solvers.choose_solver`` states the rule it supports.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SOLVERS = ("lloyd", "hamerly", "yinyang", "kdtree")
GRID_D = (2, 3, 4, 6, 16, 32, 64)
KDTREE_MAX_D = 6
GRID_K = (16, 32, 64, 128, 256, 1024)


def mixture(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    """Anisotropic Gaussian components of unequal sizes (the run.py "mixture" workload)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(k, d)) * 2.0
    comp = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 2.0)))
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    return (means[comp] + rng.normal(size=(n, d)) * scales[comp]).astype(np.float32)


def time_solvers(X: np.ndarray, k: int, iters: int, repeats: int) -> dict[str, float]:
    """Median seconds per iteration of each solver from the same k-means++ centres."""
    from kmeanskit import KMeans, kmeans_plusplus

    init, _ = kmeans_plusplus(X, k, random_state=0)
    solvers = [s for s in SOLVERS if s != "kdtree" or X.shape[1] <= KDTREE_MAX_D]
    times: dict[str, list[float]] = {s: [] for s in solvers}
    inertia: dict[str, float] = {}
    for _ in range(repeats):
        for solver in solvers:
            start = time.perf_counter()
            km = KMeans(k, init=init, n_init=1, max_iter=iters, tol=0, algorithm=solver).fit(X)
            times[solver].append((time.perf_counter() - start) / iters)
            inertia[solver] = km.inertia_
    spread = max(inertia.values()) / min(inertia.values()) - 1
    # float32 near-ties (GEMM expansion vs exact distances) may send a run elsewhere
    assert spread < 1e-3, f"solvers disagree: {inertia}"
    return {s: statistics.median(t) for s, t in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--d", type=int, nargs="+", default=list(GRID_D), help="features")
    parser.add_argument("--k", type=int, nargs="+", default=list(GRID_K), help="clusters")
    parser.add_argument("--out", type=Path, default=HERE / "SOLVERS.md")
    args = parser.parse_args(argv)

    from kmeanskit import KMeans

    KMeans(4, algorithm="yinyang").fit(mixture(2000, 3, 4))  # warm-up: the numba cache
    rows = []
    for d in args.d:
        for k in args.k:
            X = mixture(args.n, d, k)
            t = time_solvers(X, k, args.iters, args.repeats)
            best = min(t, key=t.get)
            rows.append((d, k, t, best))
            cells = "  ".join(f"{s} {v:.4f}" for s, v in t.items())
            print(f"d={d:<4} k={k:<5} {cells}  -> {best}", flush=True)

    lines = [
        "# Exact solvers over k and d",
        "",
        f"Command: `python benchmarks/solvers.py --n {args.n} --iters {args.iters} "
        f"--repeats {args.repeats}"
        + (f" --d {' '.join(map(str, args.d))}" if args.d != list(GRID_D) else "")
        + (f" --k {' '.join(map(str, args.k))}" if args.k != list(GRID_K) else "")
        + (f" --out {args.out.name}" if args.out != HERE / "SOLVERS.md" else "")
        + "`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; float32 Gaussian mixture, "
        "k-means++ centres, fixed iterations, median seconds per iteration.",
        "",
        "| d | k | " + " | ".join(SOLVERS) + " | fastest | vs lloyd |",
        "|---|---|" + "---|" * len(SOLVERS) + "---|---|",
    ]
    for d, k, t, best in rows:
        cells = " | ".join(f"{t[s]:.4f}" if s in t else "—" for s in SOLVERS)
        lines.append(f"| {d} | {k} | {cells} | {best} | {t['lloyd'] / t[best]:.2f}x |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
