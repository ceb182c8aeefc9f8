"""The installed ``kmeanskit`` command, run in a subprocess on real files in a temp folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kmeanskit import load
from kmeanskit.apps import Segmenter
from kmeanskit.datasets import customers_path

FEATURES = ["age", "annual_income_k", "spending_score", "visits_per_month"]


def _command() -> list[str]:
    """The console script pip installed beside this Python (``python -m`` if there is none)."""
    script = Path(sys.executable).with_name("kmeanskit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kmeanskit"]


def kmk(*args, cwd, ok=True):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [*_command(), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if ok:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _error(proc) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


@pytest.fixture(scope="module")
def customers():
    return pd.read_csv(customers_path())


def test_help_has_an_example_for_every_subcommand(tmp_path):
    for command in ("fit", "choose-k", "predict", "quantize", "anomalies", "demo"):
        out = kmk(command, "--help", cwd=tmp_path).stdout
        assert "Example:" in out and f"kmeanskit {command}" in out


def test_demo_writes_its_folder(tmp_path):
    out = kmk("demo", cwd=tmp_path).stdout
    folder = tmp_path / "kmeanskit-demo"
    assert "kmeanskit-demo" in out and "silhouette" in out
    profiles = pd.read_csv(folder / "centroids.csv", index_col="cluster")
    # the generator's segments have 70, 80, 60 and 90 members; k-means recovers them closely
    assert sorted(profiles["size"]) == [59, 75, 80, 86]
    assert 18 <= profiles["age"].min() and profiles["age"].max() <= 80  # original units
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["k"] == 4 and summary["rows"] == 300 and 0 < summary["silhouette"] < 1
    rows = pd.read_csv(folder / "customers-clusters.csv")
    assert list(rows.columns[:-1]) == ["customer_id", *FEATURES] and rows.columns[-1] == "cluster"
    assert isinstance(load(folder / "model.kmk"), Segmenter)
    assert Image.open(folder / "clusters.png").size[0] > 300
    kmk("demo", cwd=tmp_path)  # its own folder is replaced, not refused


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".npy", ".npz"])
def test_fit_writes_rows_in_the_input_format(tmp_path, customers, suffix):
    data = tmp_path / f"shop{suffix}"
    table = customers[FEATURES]
    if suffix == ".csv":
        table.to_csv(data, index=False)
    elif suffix == ".parquet":
        table.to_parquet(data)
    elif suffix == ".npy":
        np.save(data, table.to_numpy())
    else:
        np.savez(data, **{c: table[c].to_numpy() for c in FEATURES})
    kmk("fit", data, "-k", "4", "--scale", "minmax", "--out", "out", "--no-plots", cwd=tmp_path)
    written = tmp_path / "out" / f"shop-clusters{suffix}"
    if suffix == ".csv":
        rows = pd.read_csv(written)
    elif suffix == ".parquet":
        rows = pd.read_parquet(written)
    elif suffix == ".npy":
        rows = pd.DataFrame(np.load(written))
    else:
        with np.load(written) as archive:
            rows = pd.DataFrame({name: archive[name] for name in archive.files})
    labels = rows.iloc[:, -1].to_numpy()
    assert len(rows) == 300 and set(labels) == {0, 1, 2, 3}
    np.testing.assert_allclose(rows.iloc[:, :4].to_numpy(), table.to_numpy())
    expected = Segmenter(4, scale="minmax", random_state=0).fit(table.to_numpy()).labels_
    np.testing.assert_array_equal(labels, expected)  # same as the library call
    assert not (tmp_path / "out" / "clusters.png").exists()


def test_fit_refine_option_reaches_the_model(tmp_path):
    rng = np.random.default_rng(0)
    grid = np.array([[x, y] for x in (0.0, 10.0, 20.0) for y in (0.0, 10.0, 20.0)])
    X = np.concatenate([c + rng.normal(scale=0.5, size=(40, 2)) for c in grid])
    pd.DataFrame(X, columns=["a", "b"]).to_csv(tmp_path / "grid.csv", index=False)
    for refine in ("swap", "none"):
        out = f"out-{refine}"
        kmk("fit", "grid.csv", "-k", "9", "--refine", refine, "-o", out, "--no-plots", cwd=tmp_path)
        summary = json.loads((tmp_path / out / "summary.json").read_text())
        assert summary["refine"] == refine
        model = load(tmp_path / out / "model.kmk")
        assert model.refine == (None if refine == "none" else refine)
        if refine == "none":
            assert summary["swaps_accepted"] == 0
    usage = kmk("fit", "grid.csv", "--refine", "more", cwd=tmp_path, ok=False)
    assert usage.returncode == 2 and "'more' is not one of 'auto', 'swap', 'none'" in usage.stderr


def test_fit_auto_k_with_columns_and_predict(tmp_path, customers):
    customers.to_csv(tmp_path / "c.csv", index=False)
    out = kmk(
        "fit",
        "c.csv",
        "--columns",
        ",".join(FEATURES),
        "--k-range",
        "2:6",
        "-o",
        "seg",
        cwd=tmp_path,
    ).stdout
    assert "k = 4" in out and "chosen by" in out
    assert (tmp_path / "seg" / "choose-k.png").exists() and (
        tmp_path / "seg" / "clusters.png"
    ).exists()
    fitted = pd.read_csv(tmp_path / "seg" / "c-clusters.csv")
    new = customers.sample(frac=1.0, random_state=0)[list(reversed(customers.columns))]
    new.to_csv(tmp_path / "new.csv", index=False)
    kmk("predict", "seg/model.kmk", "new.csv", "-o", "new-labels.csv", cwd=tmp_path)
    predicted = pd.read_csv(tmp_path / "new-labels.csv").set_index("customer_id")["cluster"]
    expected = fitted.set_index("customer_id")["cluster"]
    pd.testing.assert_series_equal(predicted.sort_index(), expected.sort_index())
    stdout = kmk("predict", "seg/model.kmk", "new.csv", cwd=tmp_path).stdout
    assert stdout.splitlines()[0].endswith(",cluster") and len(stdout.splitlines()) == 301


def test_choose_k(tmp_path, customers):
    customers[FEATURES].to_csv(tmp_path / "c.csv", index=False)
    out = kmk("choose-k", "c.csv", "--k-range", "2:7", "-o", "ck", cwd=tmp_path).stdout
    assert "chosen k: 4" in out
    table = pd.read_csv(tmp_path / "ck" / "choose-k.csv")
    assert table["k"].tolist() == [2, 3, 4, 5, 6, 7]
    assert (tmp_path / "ck" / "choose-k.png").exists()


def test_quantize(tmp_path):
    from sklearn.datasets import load_sample_image

    Image.fromarray(load_sample_image("china.jpg")[::2, ::2]).save(tmp_path / "china.png")
    out = kmk("quantize", "china.png", "--colors", "8", "-o", "q.png", cwd=tmp_path).stdout
    assert "-> 8 in" in out and "PSNR:" in out and "KiB" in out
    psnr = float(out.split("PSNR:")[1].split("dB")[0])
    assert 20 < psnr < 40
    quantized = np.asarray(Image.open(tmp_path / "q.png").convert("RGB"))
    assert quantized.shape[:2] == (214, 320)
    assert len(np.unique(quantized.reshape(-1, 3), axis=0)) == 8
    assert _error(kmk("quantize", "china.png", "-o", "q.png", cwd=tmp_path, ok=False)).count(
        "--force"
    )
    (tmp_path / "notes.png").write_text("not an image")
    err = _error(kmk("quantize", "notes.png", "-o", "x.png", cwd=tmp_path, ok=False))
    assert "not an image" in err


def test_anomalies_rank_a_planted_outlier_first(tmp_path, customers):
    table = customers[FEATURES].copy()
    table.loc[17] = [30, 400.0, 99, 40]  # income and visits far outside every segment
    table.to_csv(tmp_path / "t.csv", index=False)
    out = kmk(
        "anomalies",
        "t.csv",
        "-k",
        "4",
        "--contamination",
        "0.01",
        "-o",
        "ranked.csv",
        cwd=tmp_path,
    ).stdout
    assert "3 flagged" in out
    ranked = pd.read_csv(tmp_path / "ranked.csv")
    assert ranked.iloc[0]["annual_income_k"] == 400.0 and bool(ranked.iloc[0]["is_anomaly"])
    assert ranked["anomaly_score"].is_monotonic_decreasing
    assert ranked["is_anomaly"].sum() == 3


def test_input_errors_are_named(tmp_path, customers):
    err = _error(kmk("fit", "absent.csv", cwd=tmp_path, ok=False))
    assert "no data file at absent.csv" in err

    mixed = customers.assign(plan=["basic", "plus", "pro"] * 100)
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    err = _error(kmk("fit", "mixed.csv", "-k", "3", cwd=tmp_path, ok=False))
    assert "non-numeric column(s) ['plan']" in err and "--columns" in err and "--one-hot" in err
    kmk("fit", "mixed.csv", "-k", "3", "--one-hot", "--no-plots", "-o", "oh", cwd=tmp_path)
    assert "plan=pro" in (tmp_path / "oh" / "centroids.csv").read_text()

    gappy = customers.copy()
    gappy.loc[[5, 9], "age"] = np.nan
    gappy.to_csv(tmp_path / "gappy.csv", index=False)
    err = _error(kmk("fit", "gappy.csv", "-k", "3", cwd=tmp_path, ok=False))
    assert "missing values in column(s) {'age': 2}" in err and "--missing drop" in err
    kmk("fit", "gappy.csv", "-k", "3", "--missing", "drop", "--no-plots", "-o", "g", cwd=tmp_path)
    rows = pd.read_csv(tmp_path / "g" / "gappy-clusters.csv")
    assert (rows.loc[[5, 9], "cluster"] == -1).all() and (rows["cluster"].drop([5, 9]) >= 0).all()

    err = _error(
        kmk("fit", "gappy.csv", "-k", "3", "--missing", "drop", "-o", "g", cwd=tmp_path, ok=False)
    )
    assert "exists and is not empty; pass --force" in err
    kmk(
        "fit",
        "gappy.csv",
        "-k",
        "2",
        "--missing",
        "drop",
        "-o",
        "g",
        "--force",
        "--no-plots",
        cwd=tmp_path,
    )

    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    assert "could not be read as parquet" in _error(
        kmk("fit", "broken.parquet", cwd=tmp_path, ok=False)
    )
    (tmp_path / "data.xlsx").write_bytes(b"")
    assert "unknown table format '.xlsx'" in _error(kmk("fit", "data.xlsx", cwd=tmp_path, ok=False))
    assert "columns" in _error(
        kmk("fit", "mixed.csv", "--columns", "tenure", cwd=tmp_path, ok=False)
    )
    assert "-k must be a positive integer" in _error(
        kmk("fit", "mixed.csv", "-k", "0", cwd=tmp_path, ok=False)
    )
    assert "--k-range must look like 2:15" in _error(
        kmk("choose-k", "mixed.csv", "--k-range", "5", cwd=tmp_path, ok=False)
    )


def test_model_file_errors(tmp_path, customers):
    customers.to_csv(tmp_path / "c.csv", index=False)
    err = _error(kmk("predict", "c.csv", "c.csv", cwd=tmp_path, ok=False))
    assert "not a readable kmeanskit model" in err
    err = _error(kmk("predict", "absent.kmk", "c.csv", cwd=tmp_path, ok=False))
    assert "no model file at absent.kmk" in err


def test_a_missing_extra_is_named_not_a_traceback(tmp_path):
    """Without Pillow (the io extra), quantize says what to install."""
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.png")
    code = (
        "import sys; sys.modules['PIL'] = None; from kmeanskit.cli import main; "
        "main(['quantize', 'a.png', '-o', 'b.png'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    err = _error(proc)
    assert "needs Pillow" in err and "kmeanskit[io]" in err


def test_fit_streams_a_parquet_file_a_row_group_at_a_time(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    means = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 0.0], [0.0, 10.0, 10.0]])
    truth = rng.integers(0, 3, 30_000)
    values = means[truth] + rng.normal(size=(30_000, 3))
    table = pa.table(
        {
            "a": values[:, 0],
            "b": values[:, 1],
            "c": values[:, 2].astype(np.float32),
            "name": [f"row{i}" for i in range(30_000)],
        }
    )
    pq.write_table(table, tmp_path / "big.parquet", row_group_size=7_000)
    kmk(
        "fit",
        "big.parquet",
        "--stream",
        "-k",
        "3",
        "--columns",
        "a,b,c",
        "--scale",
        "none",
        "--out",
        "seg",
        cwd=tmp_path,
    )
    rows = pd.read_parquet(tmp_path / "seg" / "big-clusters.parquet")
    assert list(rows.columns) == ["a", "b", "c", "name", "cluster"] and len(rows) == 30_000
    assert pd.crosstab(rows["cluster"], truth).max(axis=1).sum() == 30_000  # the three blobs
    summary = json.loads((tmp_path / "seg" / "summary.json").read_text())
    assert summary["streamed"] and summary["k"] == 3 and sum(summary["sizes"]) == 30_000
    centres = pd.read_csv(tmp_path / "seg" / "centroids.csv", index_col="cluster")
    np.testing.assert_allclose(
        np.sort(centres[["a", "b", "c"]].to_numpy(), axis=0), np.sort(means, axis=0), atol=0.05
    )
    kmk("predict", "seg/model.kmk", "big.parquet", "-o", "again.parquet", cwd=tmp_path)
    again = pd.read_parquet(tmp_path / "again.parquet")
    np.testing.assert_array_equal(again["cluster"], rows["cluster"])
    standard = kmk(
        "fit",
        "big.parquet",
        "--stream",
        "-k",
        "3",
        "--columns",
        "a,b,c",
        "--out",
        "std",
        cwd=tmp_path,
    )
    assert "no model.kmk" in standard.stdout
    std_rows = pd.read_parquet(tmp_path / "std" / "big-clusters.parquet")
    assert pd.crosstab(std_rows["cluster"], truth).max(axis=1).sum() == 30_000
    assert "not numeric" in _error(
        kmk("fit", "big.parquet", "--stream", "-k", "3", "--out", "x", cwd=tmp_path, ok=False)
    )
    assert "-k auto is not available" in _error(
        kmk("fit", "big.parquet", "--stream", "--columns", "a", cwd=tmp_path, ok=False)
    )
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert "--stream reads Parquet" in _error(
        kmk("fit", "t.csv", "--stream", "-k", "1", cwd=tmp_path, ok=False)
    )
