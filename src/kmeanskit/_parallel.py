"""The context every parallel kernel call runs in.

- BLAS is limited to one thread: the numba loops already use every core, and a multi-threaded
  GEMM inside each of them would oversubscribe the machine.
- numba's ``workqueue`` threading layer (its fallback when neither TBB nor OpenMP is available,
  common on macOS) aborts the whole process when two Python threads enter parallel code at
  once. Under that layer, kernel sections are serialised by a process-wide lock; the ``omp``
  and ``tbb`` layers are thread-safe and take no lock.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext

import numba
from threadpoolctl import ThreadpoolController

_WORKQUEUE_LOCK = threading.RLock()
_CONTROLLER: ThreadpoolController | None = None


def _blas_controller() -> ThreadpoolController:
    """One controller for the process: building one scans the loaded libraries (/proc maps),
    about 10 ms, which small fits in a loop (suggest_k, restarts) would pay on every call. By
    the first kernel call numpy's and scipy's BLAS (the one numba's ``np.dot`` uses) are loaded.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401  (loads the BLAS numba calls before the scan)

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def _layer_is_thread_safe() -> bool:
    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel code has run yet: the layer is not chosen
        return False


@contextmanager
def kernel_section():
    """Run parallel kernels safely: one BLAS thread, and a lock under ``workqueue``."""
    lock = nullcontext() if _layer_is_thread_safe() else _WORKQUEUE_LOCK
    with lock, _blas_controller().limit(limits=1, user_api="blas"):
        yield
