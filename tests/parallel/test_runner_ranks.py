"""NLSE and active-matter runs under mpiexec: layouts, per-rank output with a master, restart, refusals.

When ``PHYSIM_RANKS_OUT`` is set (by ``tests/test_parallel_mpi.py``), the runs are
written to ``$PHYSIM_RANKS_OUT/n<size>/`` so that the outer test can compare the
outputs of 1, 2 and 4 ranks with each other and with a run without MPI.
"""
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from physim.parallel import get_comm
from physim.runner import RunError

CASES = Path(__file__).resolve().parents[2] / "cases"

# small versions of the cases: (case file, overrides)
RUNS = {
    "breathing": ("nlse/trap_breathing_2d.toml", ["grid.N=[48, 48]", "grid.L=16.0", "time.end=0.5",
                                            "output.every=0.25"]),
    "ground": ("nlse/trap_ground_state_2d.toml", ["grid.N=[40, 40]", "grid.L=12.0", "time.end=2.0",
                                            "output.every=1.0"]),
    "cube": ("nlse/trap_breathing_2d.toml", ["grid.N=[16, 12, 16]", "grid.L=[10.0, 8.0, 10.0]",
                                       "time.end=0.2", "output.every=0.1",
                                       "initial.width=[1.5, 1.2, 1.0]"]),
    # pencils on every rank count: grids (1, 1), (2, 1) and (2, 2), bitwise as the slabs
    "cube_pencil": ("nlse/trap_breathing_2d.toml", ["grid.N=[16, 12, 16]",
                                              "grid.L=[10.0, 8.0, 10.0]", "time.end=0.2",
                                              "output.every=0.1", "initial.width=[1.5, 1.2, 1.0]",
                                              "numerics.decomposition='pencil'",
                                              "initial.noise=0.01"]),
    # off-centre vortices: a non-zero L_z, compared bit for bit across rank counts
    "vortices": ("nlse/vortex_lattice_2d.toml", ["grid.N=[32, 32]", "time.end=0.2",
                                                 "output.every=0.1",
                                                 "initial.x=[-3.0, 4.0, 4.0, -4.0]"]),
    "ensemble": ("nlse/mi_ensemble.toml", ["ensemble.members=6", "grid.N=64", "time.end=2.0",
                                      "output.every=1.0"]),
    # fibre GNLSE shot-noise ensemble: 5 members over 1, 2, 4 ranks (uneven, one idle-free)
    "gnlse_ensemble": ("nlse/dudley_supercontinuum.toml", ["grid.N=2048", "fibre.length=0.003",
                                                           "output.every=0.0015",
                                                           "noise.shot_noise=true",
                                                           "ensemble.members=5"]),
    "boltzmann_1d": ("boltzmann/wave_1d.toml", ["space.cells=10", "time.end=0.05",
                                                "output.every=0.025",
                                                "space.boundary='specular'"]),
    "active_replicas": ("active/mips.toml", ["ensemble.replicas=5", "system.N=200",
                                             "model.v0=0.5", "model.gamma=0.5", "time.dt=0.01",
                                             "time.end=2.0", "output.every=1.0"]),
    # psi and V(x) from a netCDF file ({dir}: where write_inputs puts it)
    "inputs_2d": ("nlse/trap_breathing_2d.toml", ["grid.N=[24, 20]", "grid.L=[10.0, 8.0]",
                                                  "time.end=0.2", "output.every=0.1",
                                                  "initial.kind='file'",
                                                  "initial.path='{dir}/inputs_2d_source.h5'",
                                                  "potential.kind='file'",
                                                  "potential.path='{dir}/inputs_2d_source.h5'"]),
}


def write_inputs(d: Path):
    """The file inputs_2d reads: a field with a vortex off centre, an anharmonic V."""
    x = -5 + 10 / 24 * np.arange(24)
    y = -4 + 8 / 20 * np.arange(20)
    X, Y = np.meshgrid(x, y, indexing="ij")
    psi = (X - 0.7 + 1j * (Y + 0.3)) * np.exp(-(X ** 2 + Y ** 2) / 3)
    V = 0.5 * X ** 2 + 0.9 * Y ** 2 + 0.02 * X ** 4
    ds = xr.Dataset({"psi": (("x", "y"), psi), "V": (("x", "y"), V)}, coords={"x": x, "y": y})
    ds.to_netcdf(d / "inputs_2d_source.h5", engine="h5netcdf", invalid_netcdf=True)


def overrides(name: str, d: Path) -> list:
    """The overrides of RUNS[name], writing the input file it needs into ``d``."""
    case, over = RUNS[name]
    if any("{dir}" in o for o in over):
        write_inputs(d)
    return [o.replace("{dir}", str(d)) for o in over]


def shared_dir(tmp_path_factory):
    comm = get_comm()
    base = os.environ.get("PHYSIM_RANKS_OUT")
    if base:
        d = Path(base) / f"n{comm.size}"
    else:  # every rank must write to the same place
        d = Path(comm.bcast(str(tmp_path_factory.mktemp("ranks")) if comm.rank == 0 else None))
    if comm.rank == 0:
        d.mkdir(parents=True, exist_ok=True)
    comm.barrier()
    return d


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    return shared_dir(tmp_path_factory)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_case_runs_and_master_opens(outdir, name):
    case = RUNS[name][0]
    comm = get_comm()
    if comm.rank == 0:
        over = overrides(name, outdir)
    over = comm.bcast(over if comm.rank == 0 else None)
    out = physim.run(CASES / case, outdir / f"{name}.h5", overrides=over,
                     overwrite=True, progress="none")
    comm.barrier()
    try:
        import netCDF4  # the netCDF-C stack reads the master too
        with netCDF4.Dataset(out) as nc:
            assert nc.status == "completed" and "time" in nc.dimensions
    except ImportError:
        pass
    with xr.open_dataset(out) as ds:  # the master, with no options
        assert ds.attrs["status"] == "completed"
        assert int(ds.attrs["mpi_ranks"]) == comm.size
        if name == "boltzmann_1d":
            assert ds.sizes["x"] == 10 and ds.sizes["t_step"] == 11
            assert np.isfinite(ds.f_gas.values).all() and np.isfinite(ds.density.values).all()
            np.testing.assert_allclose(ds.x.values, (np.arange(10) + 0.5) / 10)
            return
        if name == "active_replicas":
            assert ds.sizes["replica"] == 5 and np.isfinite(ds.position.values).all()
            np.testing.assert_array_equal(ds.replica.values, np.arange(5))
            return
        if name == "gnlse_ensemble":
            assert ds.sizes["ensemble"] == 5 and ds.sizes["T"] == 2048
            np.testing.assert_array_equal(ds.ensemble.values, np.arange(5))
            n = ds.photon_number.values   # no loss: the invariant on every member
            assert np.abs(n / n[0] - 1).max() < 1e-7
            return
        assert np.isfinite(ds.psi.values).all()
        if name == "inputs_2d":
            from physim.inputs import read
            inp = read(out)  # a master: from the rank files, which hold them whole
            assert inp["psi"].values.shape == (24, 20) and inp["V"].attrs["source"] == "file"
            return
        if name == "ensemble":
            assert ds.sizes["ensemble"] == 6
            np.testing.assert_array_equal(ds.ensemble.values, np.arange(6))
        else:
            grid = RUNS[name][1][0].split("=")[1]
            assert tuple(ds.psi.shape[1:]) == tuple(int(v) for v in grid.strip("[]").split(","))
    if comm.size > 1:
        assert (outdir / f"{name}.h5.parts" / f"rank{comm.rank:04d}.h5").exists()


def test_restart_extends_a_run_on_the_same_ranks(outdir):
    # extending a finished run: its last step was cut at the old time.end, so the
    # continuation agrees with the straight run to the tolerance, not bit for bit
    # (bitwise restart after a kill is tested serially in tests/test_frame.py)
    case, overrides = RUNS["breathing"]
    short = overrides[:2] + ["time.end=0.25", "output.every=0.25"]
    path = outdir / "restart.h5"
    physim.run(CASES / case, path, overrides=short, overwrite=True, progress="none")
    physim.run(CASES / case, restart=path, overrides=overrides, progress="none")
    get_comm().barrier()
    with xr.open_dataset(path, engine="h5netcdf") as a, \
            xr.open_dataset(outdir / "breathing.h5", engine="h5netcdf") as b:
        assert a.sizes["time"] == b.sizes["time"] == 3
        assert a.attrs["status"] == "completed"
        np.testing.assert_allclose(a.psi.values, b.psi.values, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.energy.values, b.energy.values, rtol=1e-10)


def test_restart_of_a_pencil_run(outdir):
    """A pencil run (2 x 2 on 4 ranks) extended from its checkpoint: per-rank restart
    state in the spectral pencils."""
    case, overrides = RUNS["cube_pencil"]
    short = [o for o in overrides if not o.startswith(("time.end", "output.every"))]
    path = outdir / "pencil_restart.h5"
    physim.run(CASES / case, path, overrides=short + ["time.end=0.1", "output.every=0.1"],
               overwrite=True, progress="none")
    physim.run(CASES / case, restart=path, overrides=overrides, progress="none")
    get_comm().barrier()
    with xr.open_dataset(path, engine="h5netcdf") as a, \
            xr.open_dataset(outdir / "cube_pencil.h5", engine="h5netcdf") as b:
        assert a.sizes["time"] == b.sizes["time"] == 3 and a.attrs["status"] == "completed"
        assert list(a.attrs["process_grid"]) == ([2, 2] if get_comm().size == 4
                                                 else [get_comm().size, 1])
        np.testing.assert_allclose(a.psi.values, b.psi.values, rtol=0, atol=1e-9)


def test_a_process_grid_must_fit_the_ranks(tmp_path):
    comm = get_comm()
    case, overrides = RUNS["cube_pencil"]
    d = Path(comm.bcast(str(tmp_path) if comm.rank == 0 else None))
    with pytest.raises(RunError, match=r"process_grid: \[2, 3\] does not multiply to the"):
        physim.run(CASES / case, d / "grid.h5", overrides=overrides
                   + ["numerics.process_grid=[2, 3]"], progress="none")


def test_one_d_field_refuses_several_ranks(tmp_path):
    if get_comm().size == 1:
        pytest.skip("needs more than one rank")
    with pytest.raises(RunError, match="1-D run is not split over ranks"):
        physim.run(CASES / "nlse" / "soliton.toml", tmp_path / "x.h5")
