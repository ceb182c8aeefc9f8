"""The README's main job (``kmeanskit demo``; its outputs are checked in test_cli.py) and a
light ``import kmeanskit``."""

import os
import subprocess
import sys


def test_python_dash_m_runs_the_command(tmp_path):
    """``python -m kmeanskit`` is the same command as the console script."""
    proc = subprocess.run(
        [sys.executable, "-m", "kmeanskit", "demo", "-k", "3", "--seed", "1", "-o", "d"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "k = 3" in proc.stdout and (tmp_path / "d" / "centroids.csv").exists()


def test_demo_rejects_bad_k(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "kmeanskit", "demo", "-k", "0"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 1 and "-k must be a positive integer" in proc.stderr


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
