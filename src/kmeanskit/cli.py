"""The ``kmeanskit`` command: fit, choose-k, predict, quantize, anomalies, demo.

Every subcommand reads real files (CSV, Parquet, NPY, NPZ; images through Pillow), writes its
results next to a summary on the terminal, and turns any problem with the input into one line
``Error: ...`` that names it (exit status 1). Run ``kmeanskit COMMAND --help`` for examples.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import click
import numpy as np

from . import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ----------------------------------------------------------------------------- helpers
def _friendly_errors(command):
    """Turn the errors a user can cause into ``Error: message`` and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        # DataFileError and ModelFileError are ValueErrors; ImportError: a missing extra,
        # whose message names it (Pillow for images)
        except (FileNotFoundError, FileExistsError, ValueError, ImportError) as error:
            raise click.ClickException(str(error)) from None

    return wrapper


def _output_folder(out: Path, force: bool) -> Path:
    """Create ``out``; refuse a non-empty existing folder unless ``force``."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise FileExistsError(f"output folder {out} exists and is not empty; pass --force.")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _output_file(path: Path, force: bool) -> Path:
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _k_range(text: str) -> list[int]:
    """``"2:15"`` -> [2, ..., 15] (both ends included)."""
    try:
        low, high = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"--k-range must look like 2:15; got {text!r}.") from None
    if not 1 <= low < high:
        raise ValueError(f"--k-range needs 1 <= low < high; got {text!r}.")
    return list(range(low, high + 1))


def _columns(text: str | None) -> list[str] | None:
    return None if not text else [c.strip() for c in text.split(",") if c.strip()]


def _plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _save_figure(figure, path: Path, written: list[Path]) -> None:
    figure.savefig(path, dpi=110, bbox_inches="tight")
    written.append(path)


def table_options(command):
    """--columns, --scale, --missing and --one-hot, shared by fit, choose-k and anomalies."""
    options = [
        click.option("--columns", help="comma-separated columns to cluster on (default: all)"),
        click.option(
            "--scale",
            type=click.Choice(["standard", "minmax", "none"]),
            default="standard",
            show_default=True,
            help="scaling of numeric columns",
        ),
        click.option(
            "--missing",
            type=click.Choice(["error", "drop", "mean"]),
            default="error",
            show_default=True,
            help="rows with missing values: stop, drop them, or fill with the column mean",
        ),
        click.option(
            "--one-hot", is_flag=True, help="one-hot encode text columns instead of stopping"
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _segmenter(n_clusters, columns, scale, missing, one_hot, seed, k_range="2:10", **extra):
    from .apps import Segmenter

    return Segmenter(
        n_clusters,
        scale=scale,
        columns=_columns(columns),
        missing=missing,
        categorical="onehot" if one_hot else "error",
        k_range=_k_range(k_range),
        random_state=seed,
        **extra,
    )


# ----------------------------------------------------------------------------- commands
@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="kmeanskit")
def cli() -> None:
    """Fast k-means clustering: segment a table, choose k, compress an image, flag outliers.

    \b
    Examples:
      kmeanskit demo
      kmeanskit fit customers.csv -k 4 --out segments
      kmeanskit choose-k customers.csv --k-range 2:12
      kmeanskit quantize photo.jpg --colors 16 -o photo-16.png
    """


def fit_table(
    data: Path,
    out: Path,
    *,
    k: str,
    k_range: str,
    columns,
    scale,
    missing,
    one_hot,
    seed,
    force,
    plots,
    refine="auto",
    echo=click.echo,
):
    """The ``fit`` command's work (also the demo's): returns the list of files written."""
    from .io import read_table, write_table
    from .metrics import silhouette_score

    frame = read_table(data)
    n_clusters = "auto" if k == "auto" else _positive_int(k, "-k")
    out = _output_folder(out, force)
    segmenter = _segmenter(
        n_clusters,
        columns,
        scale,
        missing,
        one_hot,
        seed,
        k_range,
        progress=n_clusters == "auto",
        refine=None if refine == "none" else refine,
    )
    start = time.perf_counter()
    segmenter.fit(frame)
    seconds = time.perf_counter() - start
    Z, keep = segmenter.encode(frame)
    labels = segmenter.labels_
    km = segmenter.kmeans_
    silhouette = (
        float(silhouette_score(Z, labels[keep], sample_size=min(len(Z), 5000), random_state=0))
        if 1 < km.n_clusters < len(Z)
        else None
    )
    written: list[Path] = []
    rows = frame.assign(cluster=labels)
    written.append(write_table(rows, out / f"{data.stem}-clusters{data.suffix}"))
    profiles = segmenter.profiles()
    profiles.to_csv(out / "centroids.csv")
    written.append(out / "centroids.csv")
    summary = {
        "data": str(data),
        "rows": int(len(frame)),
        "rows_clustered": int(keep.sum()),
        "k": int(km.n_clusters),
        "k_chosen_by": "suggest_k" if n_clusters == "auto" else "user",
        "features": segmenter.feature_names_,
        "scale": scale,
        "sizes": [int(s) for s in profiles["size"]],
        "inertia": float(km.inertia_),
        "refine": refine,
        "swaps_accepted": int(km.n_swaps_),
        "silhouette": silhouette,
        "seconds": seconds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    written.append(out / "summary.json")
    segmenter.save(out / "model.kmk")
    written.append(out / "model.kmk")
    if plots and _plots_available():
        from .plotting import plot_clusters, plot_suggest_k

        axes = plot_clusters(Z, labels[keep], km.cluster_centers_)
        axes.set_title(f"{data.name}: k = {km.n_clusters}")
        _save_figure(axes.figure, out / "clusters.png", written)
        if segmenter.suggestion_ is not None:
            _save_figure(plot_suggest_k(segmenter.suggestion_), out / "choose-k.png", written)
    elif plots:
        echo("(plots skipped: matplotlib is missing; pip install 'kmeanskit[plot]')")

    echo(
        f"{data.name}: {keep.sum()} rows, k = {km.n_clusters}, {len(segmenter.feature_names_)} "
        f"features ({scale} scaling), fit in {seconds:.2f} s"
    )
    if segmenter.suggestion_ is not None:
        echo(segmenter.suggestion_.reasoning)
    sil = "n/a" if silhouette is None else f"{silhouette:.3f}"
    echo(f"inertia {km.inertia_:.4g} (scaled units), silhouette {sil}")
    with _wide_pandas():
        echo(profiles.round(2).to_string())
    echo("wrote: " + ", ".join(str(p) for p in written))
    return written


STREAM_BYTES = 256 * 2**20
"""Parquet files larger than this are streamed by ``fit`` (and smaller ones with --stream)."""


def fit_parquet_streamed(
    data: Path,
    out: Path,
    *,
    k,
    columns,
    scale,
    missing,
    one_hot,
    seed,
    force,
    refine="auto",
    echo=click.echo,
) -> list[Path]:
    """``fit`` on a Parquet file a row group at a time: numeric columns, scaling from one
    pass of column statistics, KMeans streamed (seeded on a sample), rows written back with
    their cluster a row group at a time. Returns the files written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .estimator import KMeans
    from .streaming import ParquetRows

    if k == "auto":
        raise ValueError(
            "-k auto is not available for a streamed fit; give -k (choose it on a "
            "sample with `kmeanskit choose-k`)."
        )
    if missing != "error" or one_hot:
        raise ValueError(
            "a streamed fit clusters complete numeric rows: --missing drop/mean "
            "and --one-hot need the table in memory (use a smaller file)."
        )
    n_clusters = _positive_int(k, "-k")
    out = _output_folder(out, force)
    try:
        rows = ParquetRows(data, _columns(columns))
    except TypeError as error:  # a non-numeric column: the user's to fix
        raise ValueError(str(error)) from None
    start = time.perf_counter()
    total = np.zeros(rows.shape[1])
    total_sq = np.zeros(rows.shape[1])
    low = np.full(rows.shape[1], np.inf)
    high = np.full(rows.shape[1], -np.inf)
    for _, window in rows.windows():  # one pass of column statistics (and the finite check)
        total += window.sum(axis=0, dtype=np.float64)
        total_sq += np.square(window, dtype=np.float64).sum(axis=0)
        low, high = np.minimum(low, window.min(axis=0)), np.maximum(high, window.max(axis=0))
    n = rows.shape[0]
    mean = total / n
    if scale == "standard":
        rows.center, spread = mean, np.sqrt(np.maximum(total_sq / n - mean**2, 0.0))
    elif scale == "minmax":
        rows.center, spread = low, high - low
    else:
        spread = np.ones(rows.shape[1])
    rows.scale = np.where(spread > 0, spread, 1.0)
    km = KMeans(n_clusters, random_state=seed, refine=None if refine == "none" else refine)
    km.fit(rows)
    km.feature_names_in_ = np.asarray(rows.columns, dtype=object)  # for `kmeanskit predict`
    seconds = time.perf_counter() - start
    labels = km.labels_
    written = []
    target = out / f"{data.stem}-clusters{data.suffix}"
    source = pq.ParquetFile(data)
    with pq.ParquetWriter(target, source.schema_arrow.append(pa.field("cluster", pa.int32()))) as w:
        first = 0
        for g in range(source.num_row_groups):
            table = source.read_row_group(g)
            piece = labels[first : first + table.num_rows]
            w.write_table(table.append_column("cluster", pa.array(piece, type=pa.int32())))
            first += table.num_rows
    written.append(target)
    import pandas as pd

    sizes = np.bincount(labels, minlength=n_clusters)
    centres = km.cluster_centers_.astype(np.float64) * rows.scale + rows.center
    profiles = pd.DataFrame(centres, columns=rows.columns)
    profiles.insert(0, "size", sizes)
    profiles.index.name = "cluster"
    profiles.to_csv(out / "centroids.csv")
    written.append(out / "centroids.csv")
    summary = {
        "data": str(data),
        "rows": int(n),
        "rows_clustered": int(n),
        "k": n_clusters,
        "k_chosen_by": "user",
        "features": rows.columns,
        "scale": scale,
        "streamed": True,
        "sizes": [int(v) for v in sizes],
        "inertia": float(km.inertia_),
        "refine": refine,
        "swaps_accepted": int(km.n_swaps_),
        "silhouette": None,
        "seconds": seconds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    written.append(out / "summary.json")
    if scale == "none":  # centres in the file's units: `kmeanskit predict` can use them
        km.save(out / "model.kmk")
        written.append(out / "model.kmk")
    echo(
        f"{data.name}: {n} rows streamed, k = {n_clusters}, {rows.shape[1]} features "
        f"({scale} scaling), fit in {seconds:.2f} s"
    )
    echo(f"inertia {km.inertia_:.4g} (scaled units)")
    if scale != "none":
        echo(
            "(no model.kmk: a streamed fit keeps its scaling only in centroids.csv; use "
            "--scale none to get a model for `kmeanskit predict`)"
        )
    with _wide_pandas():
        echo(profiles.round(2).to_string())
    echo("wrote: " + ", ".join(str(p) for p in written))
    return written


def _wide_pandas():
    """Print whole tables (pandas truncates wide frames to the terminal by default)."""
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 50)


def _positive_int(text: str, name: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer or 'auto'; got {text!r}.") from None
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}.")
    return value


@cli.command(context_settings=CONTEXT)
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-k",
    "--clusters",
    "k",
    default="auto",
    show_default=True,
    help="number of clusters, or 'auto' to choose it with suggest_k",
)
@click.option("--k-range", default="2:10", show_default=True, help="k tried by -k auto")
@table_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="output folder (default: DATA's name + '-clusters')",
)
@click.option("--seed", default=0, show_default=True, help="random seed")
@click.option("--force", is_flag=True, help="write into an existing, non-empty output folder")
@click.option(
    "--refine",
    type=click.Choice(["auto", "swap", "none"]),
    default="auto",
    show_default=True,
    help="swap refinement: a few trials (auto), a thorough search (swap), or none",
)
@click.option("--no-plots", is_flag=True, help="do not draw PNG plots")
@click.option(
    "--stream",
    is_flag=True,
    help="read a Parquet file a row group at a time (automatic above 256 MiB)",
)
@_friendly_errors
def fit(
    data, k, k_range, columns, scale, missing, one_hot, out, seed, force, refine, no_plots, stream
):
    """Cluster the rows of DATA (CSV, Parquet, NPY or NPZ).

    Writes to the output folder: the rows with a `cluster` column (same format as DATA),
    centroids.csv (sizes and centres in the original units), summary.json (k, sizes,
    inertia, silhouette), model.kmk (for `kmeanskit predict`) and PNG plots.

    A Parquet file over 256 MiB (or any with --stream) is streamed a row group at a time:
    numeric columns, -k given, no plots or silhouette; memory stays near one row group.

    \b
    Example:
      kmeanskit fit customers.csv -k 4 --columns age,income --scale minmax --out segments
    """
    out = out or data.with_name(f"{data.stem}-clusters")
    is_parquet = data.suffix.lower() in (".parquet", ".pq")
    if stream and not is_parquet:
        raise ValueError(
            "--stream reads Parquet files; for .npy use the Python API "
            "(KMeans().fit(path) streams it)."
        )
    if is_parquet and (stream or (data.exists() and data.stat().st_size > STREAM_BYTES)):
        fit_parquet_streamed(
            data,
            out,
            k=k,
            columns=columns,
            scale=scale,
            missing=missing,
            one_hot=one_hot,
            seed=seed,
            force=force,
            refine=refine,
        )
        return
    fit_table(
        data,
        out,
        k=k,
        k_range=k_range,
        columns=columns,
        scale=scale,
        missing=missing,
        one_hot=one_hot,
        seed=seed,
        force=force,
        plots=not no_plots,
        refine=refine,
    )


@cli.command("choose-k", context_settings=CONTEXT)
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--k-range", default="2:15", show_default=True, help="k values to try, low:high")
@table_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="folder for choose-k.csv and choose-k.png (default: print only)",
)
@click.option("--seed", default=0, show_default=True, help="random seed")
@click.option("--force", is_flag=True, help="write into an existing, non-empty output folder")
@_friendly_errors
def choose_k(data, k_range, columns, scale, missing, one_hot, out, seed, force):
    """Suggest the number of clusters for DATA: elbow, silhouette, gap, CH and DB.

    \b
    Example:
      kmeanskit choose-k customers.csv --k-range 2:12 --out choose-k
    """
    from .io import read_table

    frame = read_table(data)
    if out is not None:
        out = _output_folder(out, force)
    segmenter = _segmenter("auto", columns, scale, missing, one_hot, seed, k_range, progress=True)
    suggestion = segmenter.fit(frame).suggestion_
    click.echo(str(suggestion))
    click.echo(f"chosen k: {suggestion.k}")
    if out is not None:
        suggestion.to_frame().to_csv(out / "choose-k.csv")
        written = [out / "choose-k.csv"]
        if _plots_available():
            from .plotting import plot_suggest_k

            _save_figure(plot_suggest_k(suggestion), out / "choose-k.png", written)
        click.echo("wrote: " + ", ".join(str(p) for p in written))


@cli.command(context_settings=CONTEXT)
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="file for the rows with their cluster (format from its suffix; "
    "default: CSV on standard output)",
)
@click.option("--force", is_flag=True, help="replace OUT if it exists")
@_friendly_errors
def predict(model, data, out, force):
    """Assign the rows of DATA to the clusters of MODEL (a model.kmk from `kmeanskit fit`),
    scaled and encoded as the training rows were.

    \b
    Example:
      kmeanskit predict segments/model.kmk new-customers.csv -o new-segments.csv
    """
    from .apps import Segmenter
    from .io import read_table, write_table
    from .persist import load

    fitted = load(model)
    frame = read_table(data)
    if isinstance(fitted, Segmenter):
        labels = fitted.predict(frame)
    else:
        names = getattr(fitted, "feature_names_in_", None)
        labels = fitted.predict(frame[list(names)] if names is not None else frame.to_numpy())
    rows = frame.assign(cluster=labels)
    if out is None:
        click.echo(rows.to_csv(index=False), nl=False)
    else:
        write_table(rows, _output_file(out, force))
        counts = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else []
        click.echo(f"{len(rows)} rows -> {out}; rows per cluster: {list(map(int, counts))}")


@cli.command(context_settings=CONTEXT)
@click.argument("image", type=click.Path(path_type=Path))
@click.option("-c", "--colors", default=16, show_default=True, help="colours to keep")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="output image (PNG/GIF keep the palette: one byte per pixel)",
)
@click.option("--seed", default=0, show_default=True, help="random seed")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
@_friendly_errors
def quantize(image, colors, out, seed, force):
    """Redraw IMAGE with COLORS colours found by k-means; print sizes and PSNR.

    \b
    Example:
      kmeanskit quantize photo.jpg --colors 16 -o photo-16.png
    """
    from .apps import quantize_image

    _output_file(out, force)
    start = time.perf_counter()
    result = quantize_image(image, colors, random_state=seed)
    seconds = time.perf_counter() - start
    result.save(out)
    h, w = result.labels.shape
    click.echo(
        f"{image.name}: {w}x{h}, {result.n_colors_before} colours -> {colors} in {seconds:.2f} s"
    )
    click.echo(
        f"file size: {image.stat().st_size / 1024:.1f} KiB -> "
        f"{out.stat().st_size / 1024:.1f} KiB ({out})"
    )
    click.echo(f"PSNR: {result.psnr:.2f} dB")


@cli.command(context_settings=CONTEXT)
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-k", "--clusters", "k", default="8", show_default=True, help="number of clusters")
@click.option(
    "--contamination",
    default=0.01,
    show_default=True,
    help="expected share of anomalies (0 < c <= 0.5)",
)
@table_options
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="file for all rows ranked by anomaly score (format from its suffix)",
)
@click.option("--top", default=10, show_default=True, help="rows to print")
@click.option("--seed", default=0, show_default=True, help="random seed")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
@_friendly_errors
def anomalies(data, k, contamination, columns, scale, missing, one_hot, out, top, seed, force):
    """Rank the rows of DATA by how far they lie from their nearest cluster centre, relative
    to that cluster's spread; flag the top CONTAMINATION share.

    \b
    Example:
      kmeanskit anomalies transactions.csv -k 8 --contamination 0.01 -o ranked.csv
    """
    from .apps import AnomalyDetector
    from .io import read_table, write_table

    frame = read_table(data)
    n_clusters = _positive_int(k, "-k")
    if out is not None:
        _output_file(out, force)
    segmenter = _segmenter(n_clusters, columns, scale, missing, one_hot, seed)
    Z, keep = segmenter.encode(frame, fit=True)
    detector = AnomalyDetector(n_clusters, contamination=contamination, random_state=seed).fit(Z)
    scores = np.full(len(frame), np.nan)
    scores[keep] = detector.scores_
    ranked = frame.assign(
        anomaly_score=scores, is_anomaly=scores > detector.threshold_
    ).sort_values("anomaly_score", ascending=False, kind="stable")
    n_flagged = int(ranked["is_anomaly"].sum())
    click.echo(
        f"{data.name}: {keep.sum()} rows, k = {n_clusters}; {n_flagged} flagged "
        f"(score > {detector.threshold_:.3f}, contamination {contamination})"
    )
    with _wide_pandas():
        click.echo(ranked.head(top).to_string())
    if out is not None:
        write_table(ranked, out)
        click.echo(f"wrote: {out}")


@cli.command(context_settings=CONTEXT)
@click.option("-k", "--clusters", "k", default=4, show_default=True, help="number of clusters")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("kmeanskit-demo"),
    show_default=True,
    help="folder for the outputs (replaced if it exists)",
)
@click.option("--seed", default=0, show_default=True, help="random seed")
@_friendly_errors
def demo(k, out, seed):
    """Segment the bundled table of 300 synthetic customers and write the results to a folder.

    The same as `kmeanskit fit customers.csv -k 4 --out kmeanskit-demo` on the bundled file.

    \b
    Example:
      kmeanskit demo -k 5 -o my-demo
    """
    from .datasets import customers_path

    if k < 1:
        raise ValueError(f"-k must be a positive integer; got {k}.")
    click.echo(f"kmeanskit demo: segmenting {customers_path().name} (bundled) into {out}/")
    fit_table(
        customers_path(),
        out,
        k=str(k),
        k_range="2:10",
        columns="age,annual_income_k,spending_score,visits_per_month",
        scale="standard",
        missing="error",
        one_hot=False,
        seed=seed,
        force=True,
        plots=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``kmeanskit`` and ``python -m kmeanskit``."""
    cli.main(args=argv, prog_name="kmeanskit", standalone_mode=True)
    return 0
