"""Every script in examples/ runs on the data that ships with the project and writes its outputs."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_customer_segmentation(tmp_path):
    out = run_example("customer_segmentation.py", tmp_path)
    assert "k = 4" in out
    profiles = pd.read_csv(tmp_path / "profiles.csv")
    assert profiles["size"].sum() == 300 and "plan=trial" in profiles.columns
    assert (tmp_path / "segments.png").exists() and (tmp_path / "choose-k.png").exists()


def test_image_compression(tmp_path):
    out = run_example("image_compression.py", tmp_path)
    psnr = float(out.split("PSNR")[1].split("dB")[0])
    assert (
        psnr > 25 and (tmp_path / "china-16.png").exists() and (tmp_path / "compare.png").exists()
    )


def test_anomaly_detection(tmp_path):
    out = run_example("anomaly_detection.py", tmp_path)
    assert "5 of 5 planted transactions flagged" in out
    ranked = pd.read_csv(tmp_path / "ranked.csv")
    assert ranked["score"].is_monotonic_decreasing and (tmp_path / "anomalies.png").exists()


def test_text_clustering(tmp_path):
    out = run_example("text_clustering.py", tmp_path)
    after_lsa = float(out.split("(adjusted Rand): ")[1].split(" after LSA")[0])
    assert after_lsa >= 0.9
    for topic in ("astronomy", "cooking", "sport", "finance"):
        assert f"mostly {topic}" in out
    assert (tmp_path / "terms.png").exists()


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_is_tested(name):
    assert f"def test_{name.removesuffix('.py')}" in Path(__file__).read_text()
