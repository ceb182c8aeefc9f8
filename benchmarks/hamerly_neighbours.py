"""Hamerly with and without its neighbour lists over k and d: the evidence for
``kmeanskit.solvers.hamerly.uses_neighbour_lists``.

    python benchmarks/hamerly_neighbours.py [--n 100000] [--iters 20] [--d 8 16] [--k 64]

For every (d, k), one embeddings-like Gaussian mixture (float32, as in benchmarks/run.py),
k-means++ centres from seed 0 and ``iters`` iterations with ``tol=0``, Hamerly with the
lists forced on and forced off, fits alternated; the median seconds of a fit. Writes
``benchmarks/HAMERLY_NEIGHBOURS.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import time
from pathlib import Path

from solvers import mixture

HERE = Path(__file__).resolve().parent
GRID_D = (8, 16, 32, 64, 128)
GRID_K = (32, 64, 128, 256, 512, 1024)


def time_lists(X, k: int, iters: int, repeats: int) -> tuple[float, float]:
    """Median seconds of a Hamerly fit with the neighbour lists off, and on."""
    from kmeanskit import KMeans, kmeans_plusplus

    module = importlib.import_module("kmeanskit.solvers.hamerly")
    rule = module.uses_neighbour_lists
    init, _ = kmeans_plusplus(X, k, random_state=0)
    times: dict[bool, list[float]] = {False: [], True: []}
    inertia = {}
    try:
        for _ in range(repeats):
            for on in (False, True):
                module.uses_neighbour_lists = lambda k, d, on=on: on
                start = time.perf_counter()
                km = KMeans(k, init=init, n_init=1, max_iter=iters, tol=0, algorithm="hamerly")
                km.fit(X)
                times[on].append(time.perf_counter() - start)
                inertia[on] = km.inertia_
    finally:
        module.uses_neighbour_lists = rule
    # float32 near-ties (the tile's expansion against exact distances) may part the runs
    assert abs(inertia[True] / inertia[False] - 1) < 1e-3, inertia
    return statistics.median(times[False]), statistics.median(times[True])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--d", type=int, nargs="+", default=list(GRID_D), help="features")
    parser.add_argument("--k", type=int, nargs="+", default=list(GRID_K), help="clusters")
    parser.add_argument("--out", type=Path, default=HERE / "HAMERLY_NEIGHBOURS.md")
    args = parser.parse_args(argv)

    from kmeanskit.solvers.hamerly import uses_neighbour_lists

    rows = []
    for d in args.d:
        for k in args.k:
            off, on = time_lists(mixture(args.n, d, k), k, args.iters, args.repeats)
            rows.append((d, k, off, on))
            print(f"d={d:<4} k={k:<5} off {off:.3f}  on {on:.3f}  {off / on:.2f}x", flush=True)
    lines = [
        "# Hamerly's neighbour lists over k and d",
        "",
        f"Command: `python benchmarks/hamerly_neighbours.py --n {args.n} --iters {args.iters} "
        f"--repeats {args.repeats}"
        + (f" --d {' '.join(map(str, args.d))}" if args.d != list(GRID_D) else "")
        + (f" --k {' '.join(map(str, args.k))}" if args.k != list(GRID_K) else "")
        + "`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores; float32 Gaussian mixture, "
        "k-means++ centres, fixed iterations, median seconds of a fit (alternated).",
        "",
        "| d | k | lists off s | lists on s | speed-up | rule |",
        "|---|---|---|---|---|---|",
    ]
    for d, k, off, on in rows:
        rule = "on" if uses_neighbour_lists(k, d) else "off"
        lines.append(f"| {d} | {k} | {off:.3f} | {on:.3f} | {off / on:.2f}x | {rule} |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
