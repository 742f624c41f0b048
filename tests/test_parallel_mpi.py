"""Launch the MPI-layer tests (tests/parallel) under mpiexec with 1, 2 and 4 ranks.

Skipped unless an interpreter with mpi4py (this one, or ``$PHYSIM_MPI_PYTHON``)
and an ``mpiexec`` are available, and when this run is itself under mpiexec.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from physim.parallel import launched_under_mpi

_spec = importlib.util.spec_from_file_location(
    "physim_tests_run_mpi", Path(__file__).parent / "parallel" / "run_mpi.py")
run_mpi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_mpi)
_spec2 = importlib.util.spec_from_file_location(
    "physim_tests_runner_ranks", Path(__file__).parent / "parallel" / "test_runner_ranks.py")
_ranks = importlib.util.module_from_spec(_spec2)
_spec2.loader.exec_module(_ranks)
RUNS, CASES, overrides = _ranks.RUNS, _ranks.CASES, _ranks.overrides


@pytest.fixture(scope="module")
def mpi():
    if launched_under_mpi():
        pytest.skip("already running under an MPI launcher")
    found = run_mpi.find_mpi()
    if found is None:
        pytest.skip("needs mpi4py and mpiexec (or PHYSIM_MPI_PYTHON=/path/to/python)")
    return found


@pytest.fixture(scope="module")
def ranks_out(tmp_path_factory):
    return tmp_path_factory.mktemp("ranks_out")


@pytest.mark.parametrize("n", [1, 2, 4])
def test_mpi_layer_under_mpiexec(mpi, n, ranks_out):
    python, mpiexec = mpi
    r = run_mpi.run(n, python, mpiexec, timeout=240, env={"PHYSIM_RANKS_OUT": str(ranks_out)})
    report = f"{r.args}\n--- stdout\n{r.stdout[-4000:]}\n--- stderr\n{r.stderr[-4000:]}"
    assert r.returncode == 0, report
    assert r.stdout.count(" passed") == n and " failed" not in r.stdout, report


def _serial_reference(name, out):
    import physim
    return physim.run(CASES / RUNS[name][0], out, overrides=overrides(name, out.parent),
                      progress="none")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_outputs_do_not_depend_on_the_rank_count(mpi, ranks_out, name, tmp_path):
    """The same case on 1, 2 and 4 ranks and without MPI: agreement to 1e-12 relative
    (the reductions are ordered, so in fact bit for bit)."""
    paths = [ranks_out / f"n{n}" / f"{name}.h5" for n in (1, 2, 4)]
    if not all(p.exists() for p in paths):
        pytest.skip("the mpiexec runs did not write their outputs")
    ref = xr.open_dataset(_serial_reference(name, tmp_path / "serial.h5"), engine="h5netcdf")
    with ref:
        for p in paths:
            with xr.open_dataset(p, engine="h5netcdf") as ds:
                assert set(ds.data_vars) == set(ref.data_vars)
                for v in ref.data_vars:
                    a, b = ds[v].values, ref[v].values
                    scale = np.abs(b).max()
                    assert np.abs(a - b).max() <= 1e-12 * scale, (p, v)
                    np.testing.assert_array_equal(a, b, err_msg=f"{p}: {v} not bitwise")


def test_a_multi_rank_master_is_a_file_input(mpi, ranks_out, tmp_path):
    """A serial run starts from the last snapshot of a 4-rank run, read through its master."""
    import physim
    master = ranks_out / "n4" / "breathing.h5"
    if not master.exists():
        pytest.skip("the mpiexec runs did not write their outputs")
    case, over = RUNS["breathing"]
    out = physim.run(CASES / case, tmp_path / "next.h5", overrides=over, progress="none",
                     initial={"kind": "file", "path": str(master)})
    with xr.open_dataset(master) as src, xr.open_dataset(out, group="inputs") as inp:
        np.testing.assert_array_equal(inp.psi.values, src.psi.isel(time=-1).values)
