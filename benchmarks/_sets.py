"""The public clustering benchmark sets of ../shared/datasets/clustering-benchmark.

Read in place (never copied into the repository). A set whose files are absent is skipped
with a message naming the missing file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "clustering-benchmark"

FRANTI_SETS = [
    ("a-sets", "a1"),
    ("a-sets", "a2"),
    ("a-sets", "a3"),
    ("s-sets", "s1"),
    ("s-sets", "s2"),
    ("s-sets", "s3"),
    ("s-sets", "s4"),
    ("unbalance", "unbalance"),
    ("birch", "birch1"),
    ("birch", "birch2"),
    ("dim", "dim032"),
    ("dim", "dim064"),
    ("dim", "dim128"),
    ("dim", "dim256"),
    ("dim", "dim512"),
    ("dim", "dim1024"),
    *(("g2", f"g2-2-{sd}") for sd in range(10, 101, 10)),
    *(("g2", f"g2-{d}-100") for d in (4, 8, 16, 32, 64)),
]
"""P. Fränti's basic benchmark, with the original ground-truth centroids where they exist."""

GAUSSIAN_SIPU_SETS = [("sipu", "d31"), ("sipu", "r15")]
"""The k-means-shaped sets of clustering-data-v1 (centroids are per-label means)."""

OTHER_SETS = [
    *(
        ("sipu", name)
        for name in ("aggregation", "compound", "flame", "jain", "pathbased", "spiral")
    ),
    *(
        ("uci", name)
        for name in ("ecoli", "glass", "ionosphere", "sonar", "statlog", "wdbc", "wine", "yeast")
    ),
    ("other", "iris"),
]
"""Sets that are not k-means shaped (non-convex shapes, real measurements): reported for
robustness, with no target (centroids are per-label means)."""

ALL_SETS = FRANTI_SETS + GAUSSIAN_SIPU_SETS + OTHER_SETS


def _load(folder: str, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    base = SHARED / folder
    if folder in ("sipu", "uci", "other"):
        data, truth = base / f"{name}.data.gz", base / f"{name}.centroids.txt"
    else:
        data, truth = base / f"{name}.txt", base / f"{name}-gt.txt"
        if not truth.exists():
            truth = base / f"{name}.centroids.txt"
    for path in (data, truth):
        if not path.exists():
            print(f"skipping {name}: {path} is absent")
            return None
    return np.loadtxt(data, dtype=np.float64, ndmin=2), np.loadtxt(truth, ndmin=2)


def benchmark_sets(
    sets: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """Yield ``(name, X, true_centroids)`` for every set present (all of them by default)."""
    for folder, name in ALL_SETS if sets is None else sets:
        loaded = _load(folder, name)
        if loaded is not None:
            yield (name, *loaded)
