"""The output format as other tools see it: CF-1.10 attributes on every variable, complex
fields complex under plain xarray whether or not netCDF4 is installed, and netCDF4 and
ncdump reading every solver's files."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

import physim

REPO = Path(__file__).resolve().parents[1]
SMALL = {
    "nlse": ("nlse/soliton.toml", ["grid.N=64", "time.end=0.5", "output.every=0.25"]),
    "nlse_2d": ("nlse/trap_ground_state_2d.toml", ["grid.N=[16,16]", "time.end=0.2",
                                                   "output.every=0.1"]),
    "active": ("active/trap_aoup.toml", ["system.N=20", "time.end=0.02", "output.every=0.01"]),
    "peccary": ("peccary/sine.toml", ["sampling.samples=2000"]),
    # grids too coarse to be right, on purpose (fast): the resolution guards let them run
    "boltzmann": ("boltzmann/bkw_2d.toml", ["velocity.N=16", "time.end=1.1",
                                           "output.every=0.05",
                                           "numerics.allow_underresolved=true"]),
    "boltzmann_1d": ("boltzmann/wave_1d.toml", ["space.cells=4", "velocity.N=8",
                                               "time.end=0.01", "output.every=0.005",
                                               "numerics.allow_underresolved=true"]),
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    return {name: physim.run(REPO / "cases" / case, d / f"{name}.h5", overrides=ov,
                             progress="none") for name, (case, ov) in SMALL.items()}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_cf_attributes_on_every_variable(outputs, name):
    with h5py.File(outputs[name], "r") as f:
        assert f.attrs["Conventions"] == "CF-1.10"
        for var, d in f.items():
            if not isinstance(d, h5py.Dataset):
                continue
            assert "long_name" in d.attrs, f"{name}: {var} has no long_name"
            if d.dtype.kind != "O":  # strings (species names) carry no units
                assert "units" in d.attrs, f"{name}: {var} has no units"
        t = f["time"].attrs
        assert t["standard_name"] == "time" and t["axis"] == "T"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_plain_xarray_opens_every_solver(outputs, name):
    with xr.open_dataset(outputs[name]) as ds:
        assert ds.attrs["solver"] == name.split("_")[0] and ds.attrs["status"] == "completed"
        if "psi" in ds:
            assert ds.psi.dtype == np.complex128
            assert np.isfinite(abs(ds.psi).values).all()


_NO_NETCDF4 = """
import sys
sys.modules["netCDF4"] = None  # as if it were not installed
import numpy as np, xarray as xr
with xr.open_dataset(sys.argv[1]) as ds:
    assert "netcdf4" not in xr.backends.list_engines()
    print(ds.psi.dtype, float(abs(ds.psi).max()))
"""


def test_complex_fields_stay_complex_with_and_without_netcdf4(outputs):
    netCDF4 = pytest.importorskip("netCDF4")  # the stack that turns them into {r, i} records
    with xr.open_dataset(outputs["nlse"]) as ds:
        assert "netcdf4" in xr.backends.list_engines()
        assert ds.psi.dtype == np.complex128 and float(abs(ds.psi).max()) > 1.9
    r = subprocess.run([sys.executable, "-c", _NO_NETCDF4, str(outputs["nlse"])],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "complex128"
    assert netCDF4.__version__


@pytest.mark.parametrize("name", sorted(SMALL))
def test_netcdf4_reads_every_solver(outputs, name):
    netCDF4 = pytest.importorskip("netCDF4")
    with netCDF4.Dataset(outputs[name]) as nc, physim.open(outputs[name]) as ds:
        assert nc.solver == ds.attrs["solver"] and nc.status == "completed"
        for var in ds.data_vars:
            assert var in nc.variables
        assert len(nc.dimensions["time"]) == ds.sizes["time"]
        params = json.loads(nc.parameters)
        assert params["output"]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_ncdump_reads_every_solver(outputs, name):
    if shutil.which("ncdump") is None:
        pytest.skip("ncdump is not installed (Debian: netcdf-bin; .ci/run installs it)")
    r = subprocess.run(["ncdump", "-h", str(outputs[name])], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert ":Conventions = \"CF-1.10\"" in r.stdout and "time:axis = \"T\"" in r.stdout
