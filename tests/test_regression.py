"""Reference outputs: first validated against the analytic solutions, then used for regression."""
import numpy as np
import pytest
import xarray as xr

import physim
from physim.cli import main
from physim.solvers.nlse import exact
from physim.testing import assert_matches, compare

NAMES = ["soliton", "two_soliton", "akhmediev", "peregrine", "modulation_instability",
         "peccary_double_pendulum"]


@pytest.fixture(scope="module")
def ref(repo_root):
    def get(name):
        return xr.open_dataset(repo_root / "tests" / "reference" / f"{name}.h5",
                               engine="h5netcdf").load()
    return get


def rel_l2(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# -- the references are right --------------------------------------------------------------
def test_reference_soliton_is_exact(ref):
    ds = ref("soliton")
    for t, psi in zip(ds.time.values, ds.psi.values):
        assert rel_l2(psi, exact.soliton_physical(ds.x.values, t, 2.0, 1.0, -10.0)) < 1e-10


def test_reference_akhmediev_is_exact(ref):
    ds = ref("akhmediev")
    for t, psi in zip(ds.time.values, ds.psi.values):
        assert rel_l2(psi, exact.akhmediev(ds.x.values, t, 0.25)) < 1e-10
    assert abs(np.abs(ds.psi.sel(time=0.0)).max() - (1 + np.sqrt(2))) < 1e-10


def test_reference_peregrine_is_exact(ref):
    ds = ref("peregrine")
    for t, psi in zip(ds.time.values, ds.psi.values):
        assert rel_l2(psi, exact.peregrine(ds.x.values, t)) < 2e-5


def test_reference_two_soliton_far_field(ref):
    # before the collision the superposition is exact to the solitons' overlap (~e^-40)
    ds = ref("two_soliton")
    t = 0.0
    psi = exact.soliton_physical(ds.x.values, t, 2.0, 2.0, -10.0) + \
        exact.soliton_physical(ds.x.values, t, 1.5, -2.0, 10.0)
    assert rel_l2(ds.psi.values[0], psi) < 1e-14
    q = ds.mass.values
    assert abs(q[0] - (2 * 2.0 + 2 * 1.5)) < 1e-12
    assert np.abs(q - q[0]).max() < 1e-10


def test_reference_modulation_instability_is_linear_stage(ref):
    ds = ref("modulation_instability")
    # the background rotates as e^{i t} and the perturbation stays small up to t = 10
    for t, psi in zip(ds.time.values, ds.psi.values):
        assert np.abs(psi - np.exp(1j * t)).max() < 1e-3
    assert ds.attrs["initial_seed"] == 20261122


# -- regression ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_regression_against_reference(name, repo_root, tmp_path):
    case = repo_root / "tests" / "reference" / f"{name}.toml"
    out = physim.run(case, tmp_path / "out.h5", progress="none")
    res = assert_matches(out, case.with_suffix(".h5"))
    assert ("psi" if "psi" in res.errors else "x2") in res.errors


def test_reference_double_pendulum_conserves_energy(ref):
    ds = ref("peccary_double_pendulum")
    E = ds.energy.values
    assert np.abs(E - E[0]).max() < 1e-9 * 2 * 9.80665 * 2  # (M1+M2) g (L1+L2)
    L = np.hypot(ds.x2 - ds.x1, ds.y2 - ds.y1).values
    assert np.abs(L - 1).max() < 1e-14


def test_compare_reports_mismatch(repo_root, tmp_path):
    refpath = repo_root / "tests" / "reference" / "soliton.h5"
    with xr.open_dataset(refpath, engine="h5netcdf") as ds:
        bad = ds.load()
    bad["psi"] = bad.psi * (1 + 1e-6)
    res = compare(bad, refpath)
    assert not res.ok and "psi" in res.report()
    assert compare(bad, refpath, per_variable={"psi": (1e-5, 0)}).ok
    missing = bad.drop_vars("mass")
    assert "mass: missing" in compare(missing, refpath).report()


def test_cli_regress(repo_root, capsys):
    d = repo_root / "tests" / "reference"
    assert main(["regress", str(d / "akhmediev.toml"), str(d / "akhmediev.h5")]) == 0
    assert "OK: matches the reference" in capsys.readouterr().out
    assert main(["regress", str(d / "akhmediev.toml"), str(d / "soliton.h5")]) == 1
