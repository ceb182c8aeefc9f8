"""The benchmark's shared pieces: the one inertia function, and the README table it writes."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from kmeanskit import KMeans

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up while executing
    spec.loader.exec_module(module)
    return module


def test_shared_inertia_matches_the_estimator(run):
    X = np.random.default_rng(0).normal(size=(3000, 5)).astype(np.float32) + 100
    km = KMeans(7, random_state=0).fit(X)
    assert run.inertia_of(X, km.cluster_centers_, chunk=1000) == pytest.approx(
        km.inertia_, rel=1e-5
    )


def test_floor_is_the_larger_of_gemm_and_memory_time(run):
    w = run.Workload("w", n=1000, d=10, k=5, dtype="float32", kind="blobs")
    floor = {"sgemm_gflops": 1.0, "bandwidth_gbs": 1.0}
    assert run.floor_seconds_per_iter(w, floor) == pytest.approx(2 * 1000 * 10 * 5 / 1e9)


def test_readme_table_is_copied_between_the_markers(run, tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# title\n\nCommand: `x`  \nMachine: m  \nDate: d  \nFloor: f\n\n## 1. Same\n\n"
        "| a |\nTotal fit time, best:\n\n| w | 1.0x |\n\n## 2. Defaults\n\n| w | 2.0x |\n\n"
        "## 3. Memory\n\n| mem |\n"
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{run.README_START}\nold\n{run.README_END}\nafter\n")
    run.update_readme(results, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n")
    assert "| w | 1.0x |" in text and "#### 2. Defaults" in text and "| w | 2.0x |" in text
    assert "old" not in text and "| mem |" not in text and "| a |" not in text


QUALITY = RUN.with_name("quality.py")


@pytest.fixture(scope="module")
def quality():
    sys.path.insert(0, str(QUALITY.parent))  # quality.py imports its neighbour _sets.py
    try:
        spec = importlib.util.spec_from_file_location("bench_quality", QUALITY)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(QUALITY.parent))
    return module


def test_quality_summary_names_the_sets_that_miss_a_target(quality):
    def result(successes, seconds):
        cis = np.array([0] * successes + [1] * (100 - successes))
        return cis, np.ones(100), np.full(100, seconds)

    rows = [
        (
            "easy",
            (10, 2),
            3,
            1.0,
            {
                "kmeanskit-swap": result(100, 0.5),
                "sklearn": result(90, 0.1),
                "kmeanskit": result(95, 0.05),
            },
        ),
        (
            "hard",
            (10, 2),
            3,
            1.0,
            {
                "kmeanskit-swap": result(97, 2.0),
                "sklearn": result(50, 0.1),
                "kmeanskit": result(40, 0.2),
            },
        ),
    ]
    summary = "\n".join(quality._summary(rows, ["kmeanskit", "kmeanskit-swap", "sklearn"]))
    assert "on 1 of 2 sets; below on hard (97%)" in summary
    assert "above on hard (20.0x)" in summary
    assert "lower on hard (40% vs 50%)" in summary and "above on hard (2.00x)" in summary


@pytest.mark.skipif(
    not (QUALITY.parents[2] / "shared" / "datasets" / "clustering-benchmark" / "s-sets").exists(),
    reason="../shared/datasets is absent",
)
def test_quality_benchmark_runs_on_a_shared_set(quality, tmp_path):
    out = tmp_path / "QUALITY.md"
    quality.main(
        [
            "--seeds",
            "2",
            "--study-seeds",
            "0",
            "--sets",
            "s1",
            "--methods",
            "kmeanskit,kmeanskit-swap,sklearn",
            "--out",
            str(out),
        ]
    )
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| s1 |"))
    assert row.startswith("| s1 | 5000 × 2 | 15 |") and row.count("%") == 6
    assert "## Against the targets" in text


def test_scale_benchmark_out_of_core_section_runs():
    """The out-of-core half of benchmarks/scale.py on a small file (the Dask half needs the
    bench extra's dask-ml and minutes; it is exercised by running the benchmark)."""
    spec = importlib.util.spec_from_file_location("bench_scale", RUN.with_name("scale.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = module.ooc_section(40_000)
    table = [line for line in lines if line.startswith("| streamed .npy")]
    assert len(table) == 2  # KMeans and MiniBatchKMeans rows
    assert all("rows/s" not in line for line in table)
    block = module.mixture(10_000, 3_000).compute()
    assert block.shape == (10_000, 16) and block.dtype == np.float32


def test_hamerly_neighbours_benchmark_runs(tmp_path):
    """The on/off evidence script runs end to end on a tiny grid and writes its table."""
    sys.path.insert(0, str(RUN.parent))  # it imports mixture from its neighbour solvers.py
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_neighbours", RUN.with_name("hamerly_neighbours.py")
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(RUN.parent))
    out = tmp_path / "N.md"
    module.main(
        [
            "--n",
            "3000",
            "--d",
            "16",
            "--k",
            "64",
            "--iters",
            "3",
            "--repeats",
            "1",
            "--out",
            str(out),
        ]
    )
    text = out.read_text()
    assert "| 16 | 64 |" in text and "| off |" in text


def test_short_calls_are_timed_several_times_and_long_ones_once(run, monkeypatch):
    """Every timing of a short call enters the median; the inertia is one a seed."""
    monkeypatch.setattr(run, "_settle", lambda: None)
    clock = iter(
        [0.0, 0.01, 1.0, 1.03, 2.0, 2.02, 10.0, 12.0, 20.0, 20.01, 21.0, 21.01, 22.0, 22.01]
    )
    monkeypatch.setattr(run.time, "perf_counter", lambda: next(clock))
    X = np.zeros((4, 2))
    calls = []

    def make(seed):
        def short(X):
            calls.append(("short", seed))
            return np.zeros((1, 2))

        def long(X):
            calls.append(("long", seed))
            return np.ones((1, 2))

        return {"short": short, "long": long} if seed == 0 else {"short": short}

    out = run._over_seeds(make, X, 2, lambda centres: centres)
    assert calls.count(("short", 0)) == 3 and calls.count(("long", 0)) == 1
    assert calls.count(("short", 1)) == 3
    assert out["short"]["seconds"] == pytest.approx(0.01)  # median of 0.01 0.03 0.02 0.01 0.01 0.01
    assert out["long"]["seconds"] == pytest.approx(2.0)
    assert out["long"]["inertia_mean"] == pytest.approx(8.0)  # four rows, each 2 from (1, 1)
