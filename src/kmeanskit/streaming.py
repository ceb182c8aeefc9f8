"""Data larger than memory: rows read from disk a window at a time.

``KMeans.fit``, ``predict`` and ``score`` and ``MiniBatchKMeans.fit`` accept, besides arrays,

- a path to a ``.npy`` file (read with ordinary file reads, never mapped into memory),
- a ``numpy.memmap`` (read a window at a time; pages already used are handed back to the
  operating system, so the process's resident memory does not grow with the file),
- a :class:`RowSource` from :func:`open_rows`, to choose the window size.

The solvers see such data through :class:`kmeanskit.solvers._data.StreamedData`, which runs
the same kernels as for an array on consecutive windows whose boundaries fall on the kernels'
block and tile boundaries, so a streamed fit gives *bit-identical* centres, labels and inertia
to the in-memory Lloyd fit (``algorithm="lloyd"``) from the same initial centres; the other
in-memory solvers agree with it up to rounding.

Memory: one window buffer (``chunk_bytes``, 64 MiB by default; twice that when the file's
dtype must be converted) plus what the fit keeps per row: the labels (4 bytes a row) and the
sample weights if given (8 bytes a row), and, only in an iteration where a cluster empties, 8
bytes a row for the distances that choose its new centre.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from kmeanskit import KMeans
>>> from kmeanskit.streaming import open_rows
>>> X = np.random.default_rng(0).normal(size=(5000, 3))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "big.npy"
>>> np.save(path, X)
>>> init = X[:4]
>>> on_disk = KMeans(4, init=init).fit(open_rows(path, chunk_bytes=2**16))
>>> in_memory = KMeans(4, init=init, algorithm="lloyd").fit(X)
>>> bool((on_disk.cluster_centers_ == in_memory.cluster_centers_).all())
True
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from ._validation import check_magnitude

DEFAULT_CHUNK_BYTES = 64 * 2**20
"""Size of the window buffer a streamed fit reads rows into."""

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _largest(values: np.ndarray) -> float:
    """The largest magnitude of finite ``values``, with no temporary the size of a window.
    Not :func:`kmeanskit._validation.largest_magnitude`: with it (a numba kernel for large
    windows, an ``abs`` temporary for small ones) the streamed fit of
    tests/test_streaming.py went past its memory bound in a fresh clone (51.3 against
    48 MiB); numpy's max and min add neither."""
    return float(max(values.max(), -values.min()))


GATHER_PIECE_BYTES = 16 * 2**20
"""Scattered rows are gathered through read-only maps of at most this much of the file at a
time, so no more of it is ever resident (a map of the whole file would make every page-cache
folio it touches resident: one 1024-row mini-batch from a 244 MiB file made 225 MiB)."""


def _pread_rows(fd: int, first_byte: int, row_bytes: int, rows: np.ndarray, out) -> None:
    """``out[i]`` = row ``rows[i]`` (sorted, unique) of a file whose row 0 starts at
    ``first_byte``: one positioned read per run of consecutive rows."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks]).tolist()
    stops = np.concatenate([breaks, [rows.size]]).tolist()
    for a, b in zip(starts, stops, strict=True):
        view = memoryview(out[a:b]).cast("B")
        position = first_byte + int(rows[a]) * row_bytes
        got = 0
        while got < len(view):
            more = os.preadv(fd, [view[got:]], position + got)
            if not more:
                raise ValueError(f"the file ended early, before row {int(rows[a])}.")
            got += more


def _gather_rows(fd: int, first_byte: int, row_bytes: int, rows: np.ndarray, out) -> None:
    """``out[i]`` = row ``rows[i]`` (sorted, unique) of the file, read through one map per
    GATHER_PIECE_BYTES of it (about 2x faster than a read per row for random mini-batches);
    where a map cannot be made (an address-space limit), one read per run of rows."""
    positions = first_byte + rows * row_bytes
    breaks = np.flatnonzero(np.diff(positions // GATHER_PIECE_BYTES)) + 1
    starts = [0, *breaks.tolist()]
    stops = [*breaks.tolist(), rows.size]
    for a, b in zip(starts, stops, strict=True):
        first = int(positions[a]) - int(positions[a]) % mmap.ALLOCATIONGRANULARITY
        try:
            piece = mmap.mmap(
                fd, int(positions[b - 1]) + row_bytes - first, offset=first, access=mmap.ACCESS_READ
            )
        except (OSError, ValueError):
            _pread_rows(fd, first_byte, row_bytes, rows[a:b], out[a:b])
            continue
        try:
            span = int(rows[b - 1] - rows[a]) + 1
            view = np.ndarray(
                (span, out.shape[1]), out.dtype, buffer=piece, offset=int(positions[a]) - first
            )
            np.take(view, rows[a:b] - rows[a], axis=0, out=out[a:b])
            del view
        finally:
            piece.close()


def _target_dtype(dtype: np.dtype) -> np.dtype:
    """float32 and float64 stay as they are (native byte order); other numbers become float64."""
    if dtype.kind not in "fiub":
        raise TypeError(
            f"the file holds {dtype} values; k-means needs numbers (float, int or bool)."
        )
    native = dtype.newbyteorder("=")
    return native if native in _FLOAT_DTYPES else np.dtype(np.float64)


class RowSource:
    """Rows of a 2-D table read a window at a time; see :func:`open_rows`.

    Subclasses implement ``_read_raw(start, stop, out)``: copy rows ``start:stop`` in the
    stored dtype into ``out``.

    Attributes
    ----------
    shape : (n_rows, n_features)
    dtype : float32 or float64, the dtype rows are delivered in
    chunk_bytes : int, the size of the window buffer
    name : str, what the rows come from (for error messages)
    """

    def __init__(self, shape, stored_dtype: np.dtype, chunk_bytes: int, name: str):
        if len(shape) != 2:
            raise ValueError(
                f"{name} holds an array of shape {tuple(shape)}; expected a 2-D table "
                f"(n_samples, n_features)."
            )
        if shape[0] == 0 or shape[1] == 0:
            raise ValueError(f"{name} is empty (shape {tuple(shape)}): nothing to cluster.")
        if int(chunk_bytes) < 1:
            raise ValueError(f"chunk_bytes must be a positive number of bytes, got {chunk_bytes}.")
        self.shape = (int(shape[0]), int(shape[1]))
        self.stored_dtype = np.dtype(stored_dtype)
        self.dtype = _target_dtype(self.stored_dtype)
        self.chunk_bytes = int(chunk_bytes)
        self.name = name
        self._buffer: np.ndarray | None = None
        self._raw: np.ndarray | None = None
        self._checked_upto = 0  # rows below this were found finite

    @property
    def max_rows(self) -> int:
        """Rows per window: as many as fit in ``chunk_bytes`` (at least one)."""
        return max(1, self.chunk_bytes // (self.shape[1] * self.dtype.itemsize))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` (at most ``max_rows``) as a C-contiguous array of ``dtype``.

        The array is a view of a buffer reused by the next ``read``: copy it to keep it. The
        first read of every row checks that it is finite.
        """
        m = stop - start
        if self._buffer is None or self._buffer.shape[0] < m:
            self._buffer = np.empty(
                (max(m, min(self.max_rows, self.shape[0])), self.shape[1]), dtype=self.dtype
            )
        out = self._buffer[:m]
        if self.stored_dtype == self.dtype:
            self._read_raw(start, stop, out)
        else:
            if self._raw is None or self._raw.shape[0] < m:
                self._raw = np.empty((self._buffer.shape[0], self.shape[1]), self.stored_dtype)
            self._read_raw(start, stop, self._raw[:m])
            out[...] = self._raw[:m]
        if stop > self._checked_upto:
            first = max(start, self._checked_upto)
            self._check_finite(out[first - start :], first)
            if start <= self._checked_upto:  # a contiguous extension of the checked rows
                self._checked_upto = stop
        return out

    def _check_finite(self, rows: np.ndarray, first_row: int) -> None:
        """Raise naming the first NaN or infinity (row and column) of ``rows``, or if their
        values are so large that squared distances overflow the dtype."""
        if rows.size == 0:
            return
        bad = None if np.isfinite(np.sum(rows, dtype=np.float64)) else ~np.isfinite(rows)
        if bad is None or not bad.any():  # finite (a float64 sum may overflow on finite values)
            check_magnitude(_largest(rows), self.dtype, self.shape[1], self.name)
            return
        i, j = (int(v[0]) for v in np.nonzero(bad))
        kind = "NaN" if np.isnan(rows[i, j]) else "infinity"
        raise ValueError(
            f"{self.name} contains {kind} in row {first_row + i}, column {j}. Remove or impute "
            f"the missing/infinite values before clustering."
        )

    def windows(self, bounds=None):
        """Yield ``(start, rows)`` for consecutive windows (default: ``max_rows`` each)."""
        if bounds is None:
            n = self.shape[0]
            bounds = ((s, min(n, s + self.max_rows)) for s in range(0, n, self.max_rows))
        for start, stop in bounds:
            yield start, self.read(start, stop)

    def take(self, rows) -> np.ndarray:
        """A new array of the given rows, in the given order (repeats allowed), checked finite.

        Files are read through maps of at most GATHER_PIECE_BYTES of the file at a time, never
        one map of the whole file: a gather through that makes whole page-cache folios resident
        (one 1024-row mini-batch from a 244 MiB file: 225 MiB), which would break the memory
        bound.
        """
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"row index out of range for {self.shape[0]} rows.")
        unique, inverse = np.unique(rows, return_inverse=True)
        raw = self._take_raw(unique)
        values = np.asarray(raw, dtype=self.dtype)
        if values.size and not np.isfinite(np.sum(values, dtype=np.float64)):
            bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
            if bad.size:
                self._check_finite(values[bad[0] : bad[0] + 1], int(unique[bad[0]]))
        if values.size:
            check_magnitude(_largest(values), self.dtype, self.shape[1], self.name)
        return np.ascontiguousarray(values[inverse])

    def _take_raw(self, rows: np.ndarray) -> np.ndarray:
        """Rows (sorted, unique) in the stored dtype."""
        raise NotImplementedError

    def release(self) -> None:
        """Drop the window buffers (a fit calls it when done)."""
        self._buffer = self._raw = None

    def _read_raw(self, start: int, stop: int, out: np.ndarray) -> None:
        raise NotImplementedError


class NpyFileRows(RowSource):
    """Rows of a C-ordered ``.npy`` file, read with ``readinto`` (never mapped)."""

    def __init__(self, path, chunk_bytes: int = DEFAULT_CHUNK_BYTES):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                version = np.lib.format.read_magic(f)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, fortran_order, dtype = read_header(f)
                self._data_offset = f.tell()
        except OSError as exc:
            raise OSError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise ValueError(f"{self.path} is not a readable .npy file: {exc}") from exc
        if dtype.hasobject or dtype.fields is not None:
            raise TypeError(f"{self.path} holds {dtype} values; k-means needs plain numbers.")
        if fortran_order and len(shape) == 2 and shape[1] > 1:
            raise ValueError(
                f"{self.path} is stored in Fortran (column) order, which cannot be read a row "
                f"window at a time; save it C-ordered: np.save(path, np.ascontiguousarray(X))."
            )
        super().__init__(shape, dtype, chunk_bytes, name=str(self.path))
        self._file = None
        self._row_bytes = self.shape[1] * self.stored_dtype.itemsize
        expected = self._data_offset + self.shape[0] * self._row_bytes
        if os.path.getsize(self.path) < expected:
            raise ValueError(
                f"{self.path} is truncated: its header promises {self.shape[0]} rows, the file "
                f"is {os.path.getsize(self.path)} bytes of the {expected} needed."
            )

    def _read_raw(self, start, stop, out):
        view = memoryview(out).cast("B")
        got = 0
        while got < len(view):  # a read may return fewer bytes than asked
            more = os.preadv(
                self._fd(), [view[got:]], self._data_offset + start * self._row_bytes + got
            )
            if not more:
                raise ValueError(
                    f"{self.path} ended early, at row {start + got // self._row_bytes}."
                )
            got += more

    def _take_raw(self, rows):
        out = np.empty((rows.size, self.shape[1]), dtype=self.stored_dtype)
        _gather_rows(self._fd(), self._data_offset, self._row_bytes, rows, out)
        return out

    def _fd(self) -> int:
        if self._file is None:
            self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115 (closed by release)
        return self._file.fileno()

    def release(self) -> None:
        super().release()
        if self._file is not None:
            self._file.close()
            self._file = None


class MemmapRows(RowSource):
    """Rows of a C-contiguous ``numpy.memmap``; each window's pages are handed back to the
    operating system after the window is copied (``madvise(MADV_DONTNEED)``), and scattered
    rows are read from the memmap's file, except in copy-on-write mode (``mode="c"``), whose
    private changes only the map holds."""

    def __init__(self, array: np.memmap, chunk_bytes: int = DEFAULT_CHUNK_BYTES):
        if array.ndim == 2 and not array.flags.c_contiguous:
            raise ValueError(
                "a numpy.memmap must be C-contiguous to be streamed by rows; open it with "
                "order='C' or pass a .npy file."
            )
        super().__init__(array.shape, array.dtype, chunk_bytes, name="the memmap X")
        self.array = array
        self._map = getattr(array, "_mmap", None)
        if getattr(array, "mode", "c") == "c" or not hasattr(mmap, "MADV_DONTNEED"):
            self._map = None
        self._file_rows = None  # (path, byte of row 0): scattered rows are read from the file
        if self._map is not None:
            base = np.frombuffer(self._map, dtype=np.uint8)
            self._start_in_map = array.ctypes.data - base.ctypes.data
            del base
            filename, offset = getattr(array, "filename", None), getattr(array, "offset", None)
            if filename is not None and offset is not None:
                map_start = offset - offset % mmap.ALLOCATIONGRANULARITY
                self._file_rows = (filename, map_start + self._start_in_map)

    def _take_raw(self, rows):
        if self._file_rows is None:
            return self.array[rows]
        path, first_byte = self._file_rows
        out = np.empty((rows.size, self.shape[1]), dtype=self.stored_dtype)
        with open(path, "rb", buffering=0) as f:
            _gather_rows(
                f.fileno(), first_byte, self.shape[1] * self.stored_dtype.itemsize, rows, out
            )
        return out

    def _read_raw(self, start, stop, out):
        out[...] = self.array[start:stop]
        if self._map is None:
            return
        row_bytes = self.shape[1] * self.stored_dtype.itemsize
        first = self._start_in_map + start * row_bytes
        last = self._start_in_map + stop * row_bytes
        page = mmap.PAGESIZE
        first = -(-first // page) * page  # whole pages inside this window only
        last = (last // page) * page
        if last > first:
            self._map.madvise(mmap.MADV_DONTNEED, first, last - first)


class ArrayRows(RowSource):
    """Rows of an in-memory array, a window at a time (to bound the working memory, or to
    test streaming without files)."""

    def __init__(self, array, chunk_bytes: int = DEFAULT_CHUNK_BYTES):
        array = np.asarray(array)
        super().__init__(array.shape, array.dtype, chunk_bytes, name="X")
        self.array = array

    def _read_raw(self, start, stop, out):
        out[...] = self.array[start:stop]

    def _take_raw(self, rows):
        return self.array[rows]


class ParquetRows(RowSource):
    """Numeric columns of a Parquet file, read a row group at a time (needs ``pyarrow``,
    extra ``io``), optionally scaled on the fly: ``(x - center) / scale`` per column.

    Missing values read as NaN, which :meth:`read` reports with their row and column.
    """

    def __init__(self, path, columns=None, chunk_bytes: int = DEFAULT_CHUNK_BYTES):
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - exercised without the extra
            raise ImportError(
                "reading Parquet needs pyarrow: pip install 'kmeanskit[io]'."
            ) from exc
        self.path = Path(path)
        try:
            self._file = pq.ParquetFile(self.path)
        except OSError as exc:
            raise OSError(f"cannot read {self.path} as Parquet: {exc}") from exc
        schema = self._file.schema_arrow
        names = list(schema.names) if columns is None else list(columns)
        missing = [c for c in names if c not in schema.names]
        if missing:
            raise ValueError(f"{self.path} has no column(s) {missing}; it has {schema.names}.")
        import pyarrow.types as pt

        bad = [
            c
            for c in names
            if not (
                pt.is_integer(schema.field(c).type)
                or pt.is_floating(schema.field(c).type)
                or pt.is_boolean(schema.field(c).type)
            )
        ]
        if bad:
            raise TypeError(
                f"{self.path}: column(s) {bad} are not numeric; a streamed fit clusters numeric "
                "columns only (choose them with --columns)."
            )
        self.columns = names
        all_float32 = all(pt.is_float32(schema.field(c).type) for c in names)
        super().__init__(
            (self._file.metadata.num_rows, len(names)),
            np.float32 if all_float32 else np.float64,
            chunk_bytes,
            name=str(self.path),
        )
        sizes = [
            self._file.metadata.row_group(i).num_rows for i in range(self._file.num_row_groups)
        ]
        self._group_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._cached = (-1, None)
        self.center = np.zeros(len(names))
        self.scale = np.ones(len(names))

    def _group(self, g: int) -> np.ndarray:
        if self._cached[0] != g:
            table = self._file.read_row_group(g, columns=self.columns)
            block = np.empty((table.num_rows, len(self.columns)), dtype=self.stored_dtype)
            for j, name in enumerate(self.columns):
                column = table.column(name).to_numpy(zero_copy_only=False)
                block[:, j] = (
                    np.where(np.equal(column, None), np.nan, column)
                    if column.dtype == object
                    else column
                )
            self._cached = (g, block)
        return self._cached[1]

    def _read_raw(self, start, stop, out):
        g = int(np.searchsorted(self._group_starts, start, side="right")) - 1
        done = start
        while done < stop:
            block = self._group(g)
            first = done - int(self._group_starts[g])
            take = min(stop - done, block.shape[0] - first)
            out[done - start : done - start + take] = block[first : first + take]
            done += take
            g += 1
        if (self.center != 0).any() or (self.scale != 1).any():
            out -= self.center.astype(out.dtype)
            out /= self.scale.astype(out.dtype)

    def _take_raw(self, rows):
        out = np.empty((rows.size, self.shape[1]), dtype=self.stored_dtype)
        for i, row in enumerate(rows):  # sorted: consecutive rows share a cached row group
            self._read_raw(int(row), int(row) + 1, out[i : i + 1])
        return out

    def release(self) -> None:
        super().release()
        self._cached = (-1, None)


def open_rows(source, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> RowSource:
    """Rows of a ``.npy`` file, a ``numpy.memmap`` or an array, to be streamed by a fit.

    Parameters
    ----------
    source : str, path-like, numpy.memmap or array-like
        A path to a ``.npy`` file (C order, any numeric dtype: float32 stays float32, others
        are read as float64), a memmap, or an array.
    chunk_bytes : int, default=64 MiB
        Size of the buffer rows are read into. Larger windows amortise the kernels' parallel
        start-up; keep several of the kernels' blocks (about n / 64 rows each) in one window
        for both cores to work.

    Returns
    -------
    RowSource

    Examples
    --------
    >>> import numpy as np
    >>> from kmeanskit.streaming import open_rows
    >>> rows = open_rows(np.arange(12.0).reshape(6, 2), chunk_bytes=32)
    >>> rows.shape, rows.max_rows, rows.read(2, 4).tolist()
    ((6, 2), 2, [[4.0, 5.0], [6.0, 7.0]])
    """
    if isinstance(source, RowSource):
        return source
    if isinstance(source, (str, os.PathLike)):
        return NpyFileRows(source, chunk_bytes)
    if isinstance(source, np.memmap):
        return MemmapRows(source, chunk_bytes)
    return ArrayRows(source, chunk_bytes)


def as_row_source(X) -> RowSource | None:
    """The row source a fit should stream from, or None for in-memory data.

    Streams a :class:`RowSource`, a path (``str`` or ``os.PathLike``) and a ``numpy.memmap``
    (with the default window size); everything else is in-memory data.
    """
    if isinstance(X, RowSource):
        return X
    if isinstance(X, (str, os.PathLike)):
        return NpyFileRows(X)
    if isinstance(X, np.memmap) and X.ndim == 2:
        return MemmapRows(X)
    return None
