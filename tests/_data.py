"""Data sets the tests share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "clustering-benchmark"


def shared_set(folder: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Points and ground-truth centroids of one Fränti set from ../shared/datasets."""
    data = SHARED / folder / f"{name}.txt"
    if not data.exists():
        pytest.skip(f"shared data set {data} is absent (../shared/datasets not beside the repo)")
    gt = SHARED / folder / f"{name}-gt.txt"
    return np.loadtxt(data), np.loadtxt(gt)
