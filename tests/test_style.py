"""The code style standard (ruff format + ruff lint) is part of the test suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "scripts"]


@pytest.mark.parametrize("args", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff(args):
    ruff = shutil.which("ruff")
    assert ruff, "ruff is installed by the [test] extra"
    proc = subprocess.run([ruff, *args, *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_prange_numba_cannot_parallelise_fails_the_tests():
    """pyproject's filterwarnings makes numba's NumbaPerformanceWarning an error, so a kernel
    whose prange loop would run on one thread (here: a raise in its body) fails the test that
    compiles it instead of only running slower."""
    import numpy as np
    from numba import njit, prange
    from numba.core.errors import NumbaPerformanceWarning

    @njit(parallel=True)
    def serial_in_disguise(a):
        total = np.zeros(4)
        for b in prange(4):
            if a[b] < 0:
                raise ValueError("negative")
            total[b] = a[b]
        return total.sum()

    with pytest.raises(NumbaPerformanceWarning):
        serial_in_disguise(np.ones(4))
