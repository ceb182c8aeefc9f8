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


def n_blocks_for(n_samples: int, n_clusters: int, n_features: int) -> int:
    """Number of row blocks for data of this shape.

    Depends only on the shape, never on the number of threads, so that partial sums are
    always reduced in the same order and results are identical for any thread count.
    """
    n_chunks = max(1, -(-n_samples // CHUNK_ROWS))
    per_block_bytes = 8 * n_clusters * (n_features + 1)
    memory_cap = max(1, BLOCK_SUMS_BUDGET_BYTES // per_block_bytes)
    return int(max(1, min(n_chunks, MAX_BLOCKS, memory_cap)))


def tile_rows_for(n_clusters: int, itemsize: int) -> int:
    """Rows per GEMM tile: about TILE_BYTES of distances, a multiple of CHUNK_ROWS.

    Depends only on k and the dtype, so results never depend on the number of threads.
    """
    rows = TILE_BYTES // max(1, n_clusters * itemsize)
    rows = (rows // CHUNK_ROWS) * CHUNK_ROWS
    return int(min(MAX_TILE_ROWS, max(CHUNK_ROWS, rows)))
