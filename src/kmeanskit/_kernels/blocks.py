"""How rows are split into blocks for parallel, thread-count-independent reductions."""

CHUNK_ROWS = 256
"""Rows per GEMM tile: a chunk of rows and its k distances stay in cache."""

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
