"""What every suggest_k method chooses on data with a known number of clusters.

    python benchmarks/choose_k_sets.py [--out benchmarks/CHOOSE_K.md]

Sets: make_blobs of several shapes, and the A, S, unbalance and DIM sets of
../shared/datasets/clustering-benchmark (skipped with a message when absent). k ranges over
2 .. max(16, 2 k_true). Writes a Markdown table with the choice of each method and the
consensus, failures included; docs/choosing-k.md quotes it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _sets import FRANTI_SETS, benchmark_sets

HERE = Path(__file__).resolve().parent
SHARED_SETS = [
    (folder, name)
    for folder, name in FRANTI_SETS
    if folder in ("a-sets", "s-sets", "unbalance")
    or name in ("dim032", "dim064", "dim128", "dim256")
]


def blob_sets():
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(3000, 2, centers=3, random_state=0)
    yield "blobs 3 round, d=2", X, 3
    X, _ = make_blobs(5000, 10, centers=6, cluster_std=1.5, random_state=1)
    yield "blobs 6, d=10", X, 6
    X, _ = make_blobs(4000, 2, centers=4, cluster_std=[0.5, 1.0, 1.5, 2.5], random_state=2)
    yield "blobs 4 unequal spread", X, 4
    X, _ = make_blobs(4000, 2, centers=5, random_state=3)
    yield "blobs 5 anisotropic", X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), 5
    X, _ = make_blobs([2000, 500, 100], 3, centers=None, random_state=4)
    yield "blobs 3 unequal sizes", X, 3


def shared_sets():
    for name, X, truth in benchmark_sets(SHARED_SETS):
        yield name, X, len(truth)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "CHOOSE_K.md")
    args = parser.parse_args(argv)

    from kmeanskit import suggest_k
    from kmeanskit.choose_k import METHODS, _gap_choice

    rows = []
    for name, X, true_k in [*blob_sets(), *shared_sets()]:
        t = time.perf_counter()
        result = suggest_k(X, range(2, max(16, 2 * true_k) + 1), random_state=0)
        seconds = time.perf_counter() - t
        t = result.table
        picks = [result.chosen[m] for m in METHODS]
        picks.append(_gap_choice(t["k"], t["gap"], t["gap_se"], "tibshirani"))
        rows.append((name, X.shape, true_k, picks, result.k, seconds))
        print(name, X.shape, true_k, picks, result.k, flush=True)

    def cell(k, true_k):
        return "–" if k is None else (f"**{k}**" if k == true_k else f"{k} ✗")

    lines = [
        "| data | n × d | true k | elbow | silhouette | gap | CH | DB | consensus | seconds "
        "| gap, Tibshirani's rule |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, shape, true_k, picks, k, seconds in rows:
        lines.append(
            f"| {name} | {shape[0]} × {shape[1]} | {true_k} | "
            + " | ".join(cell(p, true_k) for p in picks[:-1])
            + f" | {cell(k, true_k)} | {seconds:.1f} | {cell(picks[-1], true_k)} |"
        )
    names = [*METHODS, "gap (Tibshirani's rule)"]
    hits = {m: sum(r[3][i] == r[2] for r in rows) for i, m in enumerate(names)}
    consensus_hits = sum(r[4] == r[2] for r in rows)
    lines += [
        "",
        "Right choices out of "
        + f"{len(rows)}: "
        + ", ".join(f"{m} {h}" for m, h in hits.items())
        + f", consensus {consensus_hits}.",
    ]
    header = [
        "# suggest_k on data with a known number of clusters",
        "",
        "Command: `python benchmarks/choose_k_sets.py`; k in 2..max(16, 2 k_true), "
        "random_state=0, default settings (3 restarts per k, gap with the global 1-SE rule; the "
        "last column is what Tibshirani's own rule would choose). **Bold**: the true k; ✗: a "
        "wrong choice.",
        "",
    ]
    args.out.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
