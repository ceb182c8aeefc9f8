"""Numba kernels: pure functions on contiguous arrays (dense) or CSR arrays (sparse)."""
