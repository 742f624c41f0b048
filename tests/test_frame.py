"""The shared frame: case validation, output format, crash safety, restart, CLI."""
import json
import logging
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

import physim
from physim.cases import CaseError
from physim.cli import main
from physim.runner import RunError

SMALL = ["grid.N=128", "time.end=1.0", "output.every=0.25"]


@pytest.fixture
def soliton(repo_root):
    return repo_root / "cases" / "nlse" / "soliton.toml"


# -- validation -------------------------------------------------------------------
@pytest.mark.parametrize("override, message", [
    ("grid.N=-4", "grid.N: -4 is out of range; expected an integer or a list of integers >= 8"),
    ("grid.N=100.5", "grid.N: expected an integer"),
    ("grid.N=131", "grid.N: 131 must be even"),
    ("grid.Nx=128", "grid.Nx: unknown key; allowed: L, N"),
    ("numerics.formulation='magic'", "'magic' is not allowed; expected one of 'interaction', 'lines'"),
    ("initial.kind='tornado'", "initial.kind: 'tornado' is not allowed"),
    ("initial.a=0.3", "initial.a: unknown key for kind = 'soliton'"),
    ("numerics.rtol=0.5", "numerics.rtol: 0.5 is out of range"),
    ("time.end=-1.0", "time.end: -1.0 must be greater than time.start"),
    ("gird.N=4", "unknown section or key 'gird'"),
])
def test_bad_values_name_key_and_allowed(soliton, tmp_path, override, message):
    with pytest.raises(CaseError) as err:
        physim.run(soliton, tmp_path / "x.h5", overrides=[override])
    assert message in str(err.value)
    assert not (tmp_path / "x.h5").exists()  # nothing started


def test_all_problems_in_one_error(tmp_path):
    case = {"solver": "nlse", "grid": {"L": "fifty"}, "time": {"end": 1.0}}
    with pytest.raises(CaseError) as err:
        physim.run(case, tmp_path / "x.h5")
    text = str(err.value)
    assert "grid.L: expected a number or a list of numbers > 0" in text
    assert "grid.N: required" in text and "output.every: required" in text


def test_cli_reports_case_errors_without_traceback(soliton, tmp_path, capsys):
    code = main(["run", str(soliton), "-o", str(tmp_path / "x.h5"), "--set", "grid.N=abc"])
    err = capsys.readouterr().err
    assert code == 2
    assert "grid.N: expected an integer or a list of integers >= 8 and <= 16777216, got 'abc'" in err
    assert "Traceback" not in err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2


def test_unknown_solver(tmp_path):
    with pytest.raises(CaseError, match="'boltzmann2' is not a known solver; expected one of 'nlse'"):
        physim.run({"solver": "boltzmann2"}, tmp_path / "x.h5")


def test_existing_output_is_not_overwritten(soliton, tmp_path):
    out = tmp_path / "keep.h5"
    out.write_text("user data")
    with pytest.raises(FileExistsError, match="--overwrite"):
        physim.run(soliton, out, overrides=SMALL)
    assert out.read_text() == "user data"


# -- output format -------------------------------------------------------------------
def test_output_opens_with_plain_xarray(soliton, tmp_path):
    out = physim.run(soliton, tmp_path / "s.h5", overrides=SMALL, progress="none")
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.psi.dtype == np.complex128
        assert ds.sizes["time"] == 5 and ds.sizes["x"] == 128
        np.testing.assert_allclose(ds.time.values, [0, 0.25, 0.5, 0.75, 1.0])
        for c in ("time", "x"):
            assert "units" in ds[c].attrs
        a = ds.attrs
        assert a["solver"] == "nlse" and a["status"] == "completed"
        assert a["physim_version"] == physim.__version__
        assert "kind = \"soliton\"" in a["case"]
        params = json.loads(a["parameters"])
        assert params["grid"]["N"] == 128 and params["numerics"]["rtol"] == 1e-12
        assert a["grid_N"] == 128
        assert a["integrator_naccept"] > 0 and a["integrator_nfev"] > 0
        assert "created" in a


def test_complex_roundtrip_is_exact(soliton, tmp_path):
    out = physim.run(soliton, tmp_path / "s.h5", overrides=SMALL, progress="none")
    with physim.open(out) as ds:
        psi0 = ds.psi.values[0]
    from physim.solvers.nlse import NLSE, initial_field
    from physim.runner import load
    params, _ = load(soliton, SMALL)
    model = NLSE(params["grid"]["L"], 128)
    # the written field is the FFT round trip of the exact initial field
    expected = model.to_field(model.to_coeffs(initial_field(model, params)))
    assert np.array_equal(psi0, expected)


# -- failures and crash safety -------------------------------------------------------------
def test_failed_run_keeps_snapshots(soliton, tmp_path):
    out = tmp_path / "f.h5"
    with pytest.raises(RunError, match="max_steps=20 reached.*snapshots written so far"):
        physim.run(soliton, out, overrides=SMALL + ["numerics.max_steps=20"], progress="none")
    with physim.open(out) as ds:
        assert ds.sizes["time"] >= 1
        assert ds.attrs["status"].startswith("failed: max_steps=20")
        assert np.isfinite(ds.psi.values).all()


def test_restart_refuses_changed_parameters(soliton, tmp_path):
    out = physim.run(soliton, tmp_path / "s.h5", overrides=SMALL, progress="none")
    with pytest.raises(CaseError, match="grid.N: 128 in s.h5, 256 in the case"):
        physim.run(soliton, restart=out, overrides=SMALL[1:] + ["grid.N=256"])


def test_restart_extends_a_finished_run(soliton, tmp_path):
    a = physim.run(soliton, tmp_path / "a.h5", overrides=SMALL, progress="none")
    physim.run(soliton, restart=a, overrides=SMALL[:2] + ["output.every=0.25", "time.end=2.0"],
               progress="none")
    with physim.open(a) as ds:
        assert ds.sizes["time"] == 9 and float(ds.time[-1]) == 2.0


# -- progress and logging ---------------------------------------------------------------
def test_log_lines_when_not_a_tty(soliton, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="physim"):
        physim.run(soliton, tmp_path / "s.h5", progress="log",
                   overrides=SMALL + ["output.log_interval=1e-9"])
    lines = [r.getMessage() for r in caplog.records]
    assert any("steps/s" in ln and "h = " in ln for ln in lines)
    assert any(ln.startswith("wrote 5 snapshots") for ln in lines)


def test_cli_info(soliton, tmp_path, capsys):
    out = physim.run(soliton, tmp_path / "s.h5", overrides=SMALL, progress="none")
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "psi" in text and "status: completed" in text
    assert main(["info", "nlse", "--schema"]) == 0
    assert "formulation" in capsys.readouterr().out


def test_cli_plot_and_analyse(soliton, tmp_path, capsys):
    out = physim.run(soliton, tmp_path / "s.h5", overrides=SMALL[1:], progress="none")
    assert main(["plot", str(out), "-d", str(tmp_path / "figs")]) == 0
    pngs = sorted(p.name for p in (tmp_path / "figs").glob("*.png"))
    assert pngs == ["conservation.png", "entropies.png", "spacetime.png", "spectrum.png",
                    "wigner.png"]
    capsys.readouterr()
    assert main(["analyse", "entropy", str(out), "--alpha", "2", "-o",
                 str(tmp_path / "ent.h5")]) == 0
    text = capsys.readouterr().out
    assert "density_renyi[alpha=2]" in text and "spectral_shannon" in text
    with xr.open_dataset(tmp_path / "ent.h5", engine="h5netcdf") as ent:
        # soliton: S = 2 - ln(2 eta) in the continuum convention, constant in time
        np.testing.assert_allclose(ent.density_shannon.values, 2 - np.log(4.0), atol=1e-9)
