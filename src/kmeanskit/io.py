"""Reading and writing the tables the command line works on: CSV, Parquet, NPY and NPZ.

A table is read into a pandas DataFrame (NPY/NPZ columns are named ``x0, x1, ...``, or after
the NPZ's arrays when each is one column) and written back in the format it came in, so that
``kmeanskit fit customers.parquet`` writes Parquet.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> from kmeanskit.io import read_table, write_table
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = write_table(pd.DataFrame({"a": [1.0, 2.0]}), path)
>>> read_table(path)["a"].tolist()
[1.0, 2.0]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
FORMATS.update({".npy": "npy", ".npz": "npz"})


class DataFileError(ValueError):
    """A data file that cannot be read as a table (the message says why)."""


def table_format(path: str | Path) -> str:
    """``"csv"``, ``"parquet"``, ``"npy"`` or ``"npz"`` from the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataFileError(
            f"{path}: unknown table format {suffix or '(no suffix)'!r}; "
            "use .csv, .parquet, .npy or .npz."
        )
    return FORMATS[suffix]


def _frame_from_array(array: np.ndarray, path: Path):
    import pandas as pd

    if array.dtype.hasobject:
        raise DataFileError(f"{path}: object arrays are not read (they need pickle).")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise DataFileError(f"{path}: expected a 2-D array; got shape {array.shape}.")
    return pd.DataFrame(array, columns=[f"x{j}" for j in range(array.shape[1])])


def read_table(path: str | Path, columns: list[str] | None = None):
    """Read ``path`` into a DataFrame; keep only ``columns`` if given (in that order).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    DataFileError
        Unknown format, unreadable content, Parquet without pyarrow, or absent columns.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no data file at {path}")
    kind = table_format(path)
    try:
        if kind == "csv":
            frame = pd.read_csv(path)
        elif kind == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise DataFileError(
                    "reading Parquet needs pyarrow: pip install 'kmeanskit[io]'"
                ) from None
            frame = pd.read_parquet(path)
        elif kind == "npy":
            frame = _frame_from_array(np.load(path, allow_pickle=False), path)
        else:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            if len(arrays) == 1:
                frame = _frame_from_array(next(iter(arrays.values())), path)
            elif all(a.ndim == 1 for a in arrays.values()):
                frame = pd.DataFrame(arrays)
            else:
                raise DataFileError(
                    f"{path}: an NPZ with several arrays must hold one 1-D array per column; "
                    f"got {[(n, a.shape) for n, a in arrays.items()]}."
                )
    except DataFileError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise DataFileError(f"{path} could not be read as {kind}: {error}") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataFileError(f"{path} holds no data (shape {frame.shape}).")
    if columns:
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise DataFileError(
                f"column(s) {absent} not in {path}; its columns are {list(frame.columns)}."
            )
        frame = frame[list(columns)]
    return frame


def write_table(frame, path: str | Path) -> Path:
    """Write a DataFrame in the format ``path``'s suffix names (NPY: one numeric array)."""
    path = Path(path)
    kind = table_format(path)
    if kind == "csv":
        frame.to_csv(path, index=False)
    elif kind == "parquet":
        frame.to_parquet(path, index=False)
    elif kind == "npy":
        np.save(path, frame.to_numpy(dtype=np.float64), allow_pickle=False)
    else:  # text columns as fixed-width strings: object arrays would need pickle to read
        np.savez(
            path,
            **{
                str(c): frame[c].to_numpy(dtype=str if frame[c].dtype.kind == "O" else None)
                for c in frame.columns
            },
        )
    return path
