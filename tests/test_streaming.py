"""Streamed (out-of-core) fits: windows on the kernels' block boundaries, bit-identical results,
bounded memory, and clear errors for files that cannot be streamed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmeanskit import KMeans, MiniBatchKMeans, streaming
from kmeanskit._kernels.blocks import block_rows, n_blocks_for, tile_rows_for, window_bounds
from kmeanskit._kernels.dense import _block_rows
from kmeanskit.apps.text import SphericalKMeans
from kmeanskit.streaming import open_rows


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 200_000),
    k=st.integers(1, 600),
    d=st.integers(1, 64),
    max_rows=st.integers(1, 100_000),
)
def test_windows_cover_the_rows_and_start_on_block_or_tile_boundaries(n, k, d, max_rows):
    n_blocks = n_blocks_for(n, k, d)
    tile = tile_rows_for(k, 4)
    windows = list(window_bounds(n, n_blocks, tile, max_rows))
    assert windows[0][0] == 0 and windows[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:], strict=False))
    assert all(stop - start <= max(max_rows, tile) for start, stop in windows)
    starts = [block_rows(b, n_blocks, n)[0] for b in range(n_blocks)]
    for start, _ in windows:
        block_start = max(s for s in starts if s <= start)
        assert (start - block_start) % tile == 0


@pytest.mark.parametrize("n, n_blocks", [(1, 1), (1000, 3), (70001, 64), (300, 64)])
def test_python_block_split_is_the_kernels_split(n, n_blocks):
    for b in range(n_blocks):
        assert block_rows(b, n_blocks, n) == tuple(_block_rows(b, n_blocks, n))


def _blobs(n, d, dtype, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5, size=(6, d))
    return (centres[rng.integers(0, 6, n)] + rng.normal(size=(n, d))).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n, d, k, chunk_bytes",
    [
        (30_000, 3, 5, 9_000),  # windows much smaller than a block: blocks cut into tiles
        (30_000, 3, 5, 500_000),  # several whole blocks per window
        (20_001, 7, 150, 1),  # one tile per window, large k
    ],
)
def test_streamed_fit_is_bit_identical_to_the_in_memory_fit(tmp_path, dtype, n, d, k, chunk_bytes):
    X = _blobs(n, d, dtype)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, n)
    init = X[:: n // k][:k].copy()
    path = tmp_path / "x.npy"
    np.save(path, X)
    memory = KMeans(k, init=init, algorithm="lloyd").fit(X, sample_weight=weights)
    for source in (open_rows(path, chunk_bytes=chunk_bytes), np.load(path, mmap_mode="r")):
        streamed = KMeans(k, init=init).fit(source, sample_weight=weights)
        np.testing.assert_array_equal(streamed.cluster_centers_, memory.cluster_centers_)
        np.testing.assert_array_equal(streamed.labels_, memory.labels_)
        assert streamed.inertia_ == memory.inertia_
        assert streamed.n_iter_ == memory.n_iter_
        assert streamed.cluster_centers_.dtype == dtype


def test_predict_score_transform_stream_with_the_in_memory_answers(tmp_path):
    X = _blobs(9000, 4, np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    km = KMeans(5, random_state=0).fit(X)
    source = open_rows(path, chunk_bytes=4096)
    np.testing.assert_array_equal(km.predict(source), km.predict(X))
    assert km.score(path) == km.score(X)
    np.testing.assert_array_equal(km.transform(path), km.transform(X))
    labels, dist = km.nearest(path)
    np.testing.assert_array_equal(labels, km.predict(X))


def test_a_small_file_with_a_seed_gives_the_in_memory_default_fit(tmp_path):
    """Up to 65536 rows the seeding sample is every row: the streamed default fit is the
    in-memory default fit followed by Lloyd on the file from its centres."""
    X = _blobs(3000, 2, np.float64)
    np.save(tmp_path / "x.npy", X)
    memory = KMeans(6, random_state=3).fit(X)
    polished = KMeans(6, init=memory.cluster_centers_, algorithm="lloyd").fit(X)
    streamed = KMeans(6, random_state=3).fit(tmp_path / "x.npy")
    np.testing.assert_array_equal(streamed.cluster_centers_, polished.cluster_centers_)
    assert streamed.inertia_ <= memory.inertia_


def test_large_streamed_fit_seeds_on_a_sample_and_is_reproducible(tmp_path):
    X = _blobs(70_000, 2, np.float32)
    np.save(tmp_path / "x.npy", X)
    a = KMeans(6, random_state=0).fit(tmp_path / "x.npy")
    b = KMeans(6, random_state=0).fit(open_rows(tmp_path / "x.npy", chunk_bytes=10_000))
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    memory = KMeans(6, random_state=0).fit(X)
    assert a.inertia_ <= 1.01 * memory.inertia_


def test_file_dtypes_are_converted_like_arrays(tmp_path):
    X = np.random.default_rng(0).integers(-50, 50, size=(500, 3)).astype(np.int16)
    np.save(tmp_path / "i.npy", X)
    big_endian = X.astype(">f4")
    np.save(tmp_path / "be.npy", big_endian)
    init = X[:3].astype(np.float64)
    from_ints = KMeans(3, init=init).fit(tmp_path / "i.npy")
    assert from_ints.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(
        from_ints.cluster_centers_, KMeans(3, init=init, algorithm="lloyd").fit(X).cluster_centers_
    )
    from_be = KMeans(3, init=init.astype(np.float32)).fit(tmp_path / "be.npy")
    assert from_be.cluster_centers_.dtype == np.float32


def test_streaming_never_writes_to_the_file_or_memmap(tmp_path):
    X = _blobs(5000, 3, np.float64)
    np.save(tmp_path / "x.npy", X)
    before = (tmp_path / "x.npy").read_bytes()
    KMeans(4, random_state=0).fit(np.load(tmp_path / "x.npy", mmap_mode="r+"))
    KMeans(4, random_state=0).fit(tmp_path / "x.npy")
    assert (tmp_path / "x.npy").read_bytes() == before


def test_errors_name_the_problem(tmp_path):
    X = _blobs(1000, 3, np.float32)
    bad = X.copy()
    bad[700, 1] = np.inf
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(ValueError, match=r"infinity in row 700, column 1"):
        KMeans(3, random_state=0).fit(tmp_path / "bad.npy")
    with pytest.raises(OSError, match="cannot read .*missing.npy"):
        KMeans(3).fit(tmp_path / "missing.npy")
    (tmp_path / "text.npy").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a readable .npy file"):
        KMeans(3).fit(tmp_path / "text.npy")
    np.save(tmp_path / "x.npy", X)
    raw = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="truncated"):
        KMeans(3).fit(tmp_path / "cut.npy")
    np.save(tmp_path / "f.npy", np.asfortranarray(X))
    with pytest.raises(ValueError, match="Fortran"):
        KMeans(3).fit(tmp_path / "f.npy")
    np.save(tmp_path / "one_d.npy", X[:, 0])
    with pytest.raises(ValueError, match="2-D"):
        KMeans(3).fit(tmp_path / "one_d.npy")
    np.save(tmp_path / "empty.npy", X[:0])
    with pytest.raises(ValueError, match="empty"):
        KMeans(3).fit(tmp_path / "empty.npy")
    np.save(tmp_path / "strings.npy", np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="numbers"):
        KMeans(1).fit(tmp_path / "strings.npy")
    with pytest.raises(ValueError, match="n_samples=1000 should be >= n_clusters=2000"):
        KMeans(2000).fit(tmp_path / "x.npy")
    with pytest.raises(ValueError, match="SphericalKMeans"):
        SphericalKMeans(3).fit(tmp_path / "x.npy")
    km = KMeans(3, random_state=0).fit(X)
    np.save(tmp_path / "wide.npy", np.zeros((5, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="X has 4 features, but KMeans is expecting 3"):
        km.predict(tmp_path / "wide.npy")
    with pytest.raises(ValueError, match="chunk_bytes"):
        open_rows(tmp_path / "x.npy", chunk_bytes=0)


_LIMITED_FIT = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    from kmeanskit import KMeans, MiniBatchKMeans
    from kmeanskit.streaming import open_rows

    path, init_path, mode, budget = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    BLAS_BUFFERS = int(sys.argv[8])
    init = np.load(init_path)
    KMeans(init.shape[0], init=init[:, :], max_iter=2).fit(np.load(init_path))  # warm up
    KMeans(2, random_state=0, max_iter=2).fit(np.load(init_path))
    MiniBatchKMeans(2, random_state=0, batch_size=4, max_iter=1).fit(np.load(init_path))
    # (warm: loading a kernel from numba's cache needs address space the limit would deny)

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    if mode == "npy":
        # the address space may grow by `budget` bytes, plus OpenBLAS's work buffers: the file
        # cannot even be mapped. OpenBLAS gives each thread that runs a GEMM at the same time
        # as another its own 32 MiB buffer, allocated at that moment and kept; denied it, it
        # retries forever instead of failing (the CI run of stop 16 hung there). The resident
        # memory check below still holds the fit itself to `budget`.
        limit = status("VmSize:") + budget + BLAS_BUFFERS
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        source = open_rows(path, chunk_bytes=budget // 8)
    else:
        source = open_rows(np.load(path, mmap_mode="r"), chunk_bytes=budget // 8)
    rss_before = status("VmRSS:")
    km = KMeans(init.shape[0], init=init, max_iter=10, tol=0.0).fit(source)
    np.save(sys.argv[5], km.cluster_centers_)
    np.save(sys.argv[6], km.labels_)
    result = {"inertia": km.inertia_, "n_iter": km.n_iter_}
    del km  # its labels_ would take 8 MiB of the 48
    mb = MiniBatchKMeans(init.shape[0], random_state=0, max_iter=1, max_no_improvement=3)
    mb.fit(source)
    np.save(sys.argv[7], mb.cluster_centers_)
    peak_rss = status("VmHWM:")  # (ru_maxrss would carry the parent's peak over exec)
    print(json.dumps({**result, "minibatch_steps": mb.n_steps_,
                      "rss_growth": peak_rss - rss_before}))
    """
)


@pytest.mark.parametrize("mode", ["npy", "memmap"])
def test_out_of_core_fit_under_a_memory_limit_equals_the_in_memory_fit(tmp_path, mode):
    """A 244 MiB file fitted by a process whose address space may grow by only 48 MiB and
    OpenBLAS's two work buffers (npy: ``setrlimit(RLIMIT_AS)``), or whose resident memory must
    stay that small (memmap, whose pages count as resident once read): the same centres, labels
    and inertia, bit for bit, as the in-memory fit."""
    n, d, k = 2_000_000, 32, 8
    budget = 48 * 2**20
    threads = 2  # the fit runs on two threads whatever the machine (the results never depend on it)
    blas_buffers = threads * 34 * 2**20  # OpenBLAS's per-thread buffer: 32 MiB and its margins
    X = np.empty((n, d), dtype=np.float32)
    rng = np.random.default_rng(0)
    means = rng.normal(scale=4, size=(k, d)).astype(np.float32)
    step = 250_000
    for start in range(0, n, step):
        m = min(step, n - start)
        X[start : start + m] = means[rng.integers(0, k, m)] + rng.standard_normal(
            (m, d), dtype=np.float32
        )
    path, init_path = tmp_path / "big.npy", tmp_path / "init.npy"
    np.save(path, X)
    assert path.stat().st_size > 2 * (budget + blas_buffers)
    init = np.ascontiguousarray(X[:: n // k][:k])
    np.save(init_path, init)
    out_centres, out_labels = tmp_path / "centres.npy", tmp_path / "labels.npy"
    out_minibatch = tmp_path / "minibatch.npy"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _LIMITED_FIT,
            str(path),
            str(init_path),
            mode,
            str(budget),
            str(out_centres),
            str(out_labels),
            str(out_minibatch),
            str(blas_buffers),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NUMBA_NUM_THREADS": str(threads)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(mode, report)
    memory = KMeans(k, init=init, max_iter=10, tol=0.0, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(np.load(out_centres), memory.cluster_centers_)
    np.testing.assert_array_equal(np.load(out_labels), memory.labels_)
    assert report["inertia"] == memory.inertia_
    assert report["n_iter"] == memory.n_iter_
    minibatch = MiniBatchKMeans(k, random_state=0, max_iter=1, max_no_improvement=3).fit(X)
    assert report["minibatch_steps"] == minibatch.n_steps_
    np.testing.assert_array_equal(np.load(out_minibatch), minibatch.cluster_centers_)
    # the fit itself keeps labels (4 bytes a row, 8 MiB here) plus one window
    assert report["rss_growth"] < budget, report


@pytest.mark.parametrize("maps", [True, False])
def test_scattered_rows_are_gathered_piece_by_piece(tmp_path, monkeypatch, maps):
    """Rows spread over several map pieces (tiny pieces here), repeated and unordered, read
    through maps or, where no map can be made, one read per run of rows."""
    X = np.random.default_rng(0).normal(size=(5000, 7)).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    sources = [open_rows(tmp_path / "x.npy"), open_rows(np.load(tmp_path / "x.npy", "r"))]
    monkeypatch.setattr(streaming, "GATHER_PIECE_BYTES", 4096)
    if not maps:

        def no_map(*args, **kwargs):
            raise OSError("Cannot allocate memory")

        monkeypatch.setattr(streaming.mmap, "mmap", no_map)
    rows = np.random.default_rng(1).integers(0, len(X), size=700)
    rows[:3] = [4999, 0, 4999]
    for source in sources:
        np.testing.assert_array_equal(source.take(rows), X[rows])
        source.release()
