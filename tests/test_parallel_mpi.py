"""Launch the MPI-layer tests (tests/parallel) under mpiexec with 1, 2 and 4 ranks.

Skipped unless an interpreter with mpi4py (this one, or ``$PHYSIM_MPI_PYTHON``)
and an ``mpiexec`` are available, and when this run is itself under mpiexec.
"""
import importlib.util
from pathlib import Path

import pytest

from physim.parallel import launched_under_mpi

_spec = importlib.util.spec_from_file_location(
    "physim_tests_run_mpi", Path(__file__).parent / "parallel" / "run_mpi.py")
run_mpi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_mpi)


@pytest.fixture(scope="module")
def mpi():
    if launched_under_mpi():
        pytest.skip("already running under an MPI launcher")
    found = run_mpi.find_mpi()
    if found is None:
        pytest.skip("needs mpi4py and mpiexec (or PHYSIM_MPI_PYTHON=/path/to/python)")
    return found


@pytest.mark.parametrize("n", [1, 2, 4])
def test_mpi_layer_under_mpiexec(mpi, n):
    python, mpiexec = mpi
    r = run_mpi.run(n, python, mpiexec, timeout=120)
    report = f"{r.args}\n--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-4000:]}"
    assert r.returncode == 0, report
    assert r.stdout.count(" passed") == n and " failed" not in r.stdout, report
