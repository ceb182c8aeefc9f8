"""How rows are split into blocks for parallel, thread-count-independent reductions."""

CHUNK_ROWS = 256
"""Granularity of block boundaries (and the smallest GEMM tile)."""

MAX_TILE_ROWS = 512
TILE_BYTES = 2**21
"""Target size of one tile of distances: tall enough for BLAS to amortise packing the
centres, small enough to stay in the core's cache. Measured on the 2-core machine with
OpenBLAS (Haswell kernels): 512-row tiles match or beat 256 rows, and 1024 rows or more are
3x slower at d=16, k=32."""

MAX_BLOCKS = 64
"""Upper bound on parallel blocks; enough to balance load on large machines."""

BLOCK_SUMS_BUDGET_BYTES = 64 * 2**20
"""Memory allowed for the per-block float64 centroid accumulators."""

BLOCK_SUMS_TARGET_BYTES = 4 * 2**20
MIN_BLOCKS = 16
"""Every pass zeroes the per-block accumulators and the loop adds them up, so their size is
memory traffic each pass: fewer blocks when they would exceed this target, but not fewer
than MIN_BLOCKS for its sake (enough to balance two to eight threads). Measured at k = 1024,
d = 32 (n = 100k, same init, 20 iterations, 2 cores, alternated with 64 blocks): 64 blocks'
17 MiB cost ~3 ms a pass, and 16 blocks took a Hamerly fit from 0.53 to 0.48 s (15 blocks:
a Lloyd fit from 1.13 to 1.09 s); at k = 256, d = 128 (200k rows, 15 blocks) Hamerly
0.44 -> 0.42 s, Lloyd 1.60 -> 1.56 s. Small k keeps MAX_BLOCKS."""


def n_blocks_for(n_samples: int, n_clusters: int, n_features: int) -> int:
    """Number of row blocks for data of this shape.

    Depends only on the shape, never on the number of threads, so that partial sums are
    always reduced in the same order and results are identical for any thread count.
    """
    n_chunks = max(1, -(-n_samples // CHUNK_ROWS))
    per_block_bytes = 8 * n_clusters * (n_features + 1)
    memory_cap = max(1, BLOCK_SUMS_BUDGET_BYTES // per_block_bytes)
    traffic_cap = max(MIN_BLOCKS, BLOCK_SUMS_TARGET_BYTES // per_block_bytes)
    return int(max(1, min(n_chunks, MAX_BLOCKS, memory_cap, traffic_cap)))


def tile_rows_for(n_clusters: int, itemsize: int) -> int:
    """Rows per GEMM tile: about TILE_BYTES of distances, a multiple of CHUNK_ROWS.

    Depends only on k and the dtype, so results never depend on the number of threads.
    """
    rows = TILE_BYTES // max(1, n_clusters * itemsize)
    rows = (rows // CHUNK_ROWS) * CHUNK_ROWS
    return int(min(MAX_TILE_ROWS, max(CHUNK_ROWS, rows)))


def block_rows(b: int, n_blocks: int, n_samples: int) -> tuple[int, int]:
    """First and last-plus-one row of block ``b``: the same split as the kernels use."""
    n_chunks = -(-n_samples // CHUNK_ROWS)
    per_block = -(-n_chunks // n_blocks)
    start = min(b * per_block * CHUNK_ROWS, n_samples)
    stop = min((b + 1) * per_block * CHUNK_ROWS, n_samples)
    return start, stop


def window_bounds(n_samples: int, n_blocks: int, tile_rows: int, max_rows: int):
    """Consecutive ``(start, stop)`` row windows of at most ``max_rows`` rows covering the data.

    A window holds whole blocks when they fit; a block larger than ``max_rows`` is cut into
    pieces of a whole number of ``tile_rows`` tiles. Every window therefore starts at a block
    start or a whole number of tiles into a block, which is what makes a pass of the kernels
    over the windows bit-identical to one pass over all rows (the same GEMM tiles, the same
    order of additions). ``max_rows`` smaller than one tile is raised to one tile.
    """
    piece = max(tile_rows, (max_rows // tile_rows) * tile_rows)
    limit = max(max_rows, piece)
    window_start = window_stop = 0
    for b in range(n_blocks):
        start, stop = block_rows(b, n_blocks, n_samples)
        if start >= stop:
            continue
        if stop - window_start <= limit:
            window_stop = stop  # the whole block joins the current window
            continue
        if window_stop > window_start:
            yield window_start, window_stop
        window_start = start
        while stop - window_start > limit:
            yield window_start, window_start + piece
            window_start += piece
        window_stop = stop
    if window_stop > window_start:
        yield window_start, window_stop
