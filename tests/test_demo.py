"""The README's main job: ``kmeanskit demo`` as an installed command and as a function."""

import subprocess
import sys

import numpy as np

from kmeanskit.demo import run_demo


def test_demo_finds_the_four_synthetic_segments():
    lines = []
    summary = run_demo(print_fn=lines.append)
    assert summary["sizes"].sum() == 300
    # the generator's segments have 70, 80, 60 and 90 members; k-means recovers them closely
    assert sorted(summary["sizes"]) == sorted([75, 80, 59, 86])
    assert any("inertia" in line for line in lines)
    # centres are reported in original units: ages in years, incomes in k$
    assert 18 <= summary["centers"][:, 0].min() and summary["centers"][:, 0].max() <= 80
    assert np.isfinite(summary["inertia"])


def test_demo_command_runs_in_a_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "kmeanskit", "demo", "-k", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "k=3" in out and "inertia" in out
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 3


def test_demo_rejects_bad_k():
    proc = subprocess.run(
        [sys.executable, "-m", "kmeanskit", "demo", "-k", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "-k must be a positive integer" in proc.stderr


def test_import_is_light():
    code = (
        "import sys, kmeanskit; "
        "heavy = [m for m in ('numba', 'sklearn', 'matplotlib', 'dask', 'scipy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
