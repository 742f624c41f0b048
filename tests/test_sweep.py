"""Parameter sweeps: plans, refusals, the local / MPI / Dask executors giving the same
points, restarts that skip completed points and continue interrupted ones (real signals),
and open_sweep's one Dataset with the scanned keys as dimensions."""
import importlib.util
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from endings import kill_when
from physim.cases import CaseError
from physim.sweep import (Plan, open_sweep, parse_values, point_status, split_sweep_overrides,
                          sweep)

REPO = Path(__file__).resolve().parents[1]
SINE = REPO / "cases" / "peccary" / "sine.toml"
VALUES = {"signal.period": [10.0, 20.0], "analysis.n": [4, 5]}


def test_values_and_overrides():
    assert parse_values("0.1, 0.3,0.5") == [0.1, 0.3, 0.5]
    assert parse_values("[1, 2],[3, 4]") == [[1, 2], [3, 4]]
    assert parse_values("soft,wca") == ["soft", "wca"]
    assert split_sweep_overrides(["a.b=1,2", "c.d=3"]) == ({"a.b": [1, 2]}, ["c.d=3"])


def test_grid_zip_and_the_sweep_table():
    grid = Plan(SINE, VALUES)
    assert grid.keys == list(VALUES) and len(grid.points) == 4 and grid.points[1] == [10.0, 5]
    z = Plan(SINE, VALUES, "zip")
    assert z.points == [[10.0, 4], [20.0, 5]]
    text = SINE.read_text() + ('\n[sweep]\nmode = "zip"\n"signal.period" = [10.0, 20.0]\n'
                               'analysis.n = [4, 5]\n')
    t = Plan(text, {})
    assert t.points == z.points and t.mode == "zip"


@pytest.mark.parametrize("values,mode,match", [
    ({"signal.f": [1, 2]}, "grid", r"signal.f: unknown key.*\(every point\)"),
    ({"analysis.n": [4, 1]}, "grid", r"analysis.n.*\(point 1: analysis.n=1\)"),
    ({"signal.period": [1.0, 2.0], "analysis.n": [4]}, "zip", "different numbers of values"),
    ({}, "grid", "nothing to sweep"),
    ({"period": [1.0, 2.0]}, "grid", "expected section.key"),
    ({"signal.period": [1.0, 2.0]}, "diagonal", "expected 'grid'"),
])
def test_bad_sweeps_are_refused_before_any_run(tmp_path, values, mode, match):
    with pytest.raises(CaseError, match=match):
        sweep(SINE, tmp_path / "bad", values=values, mode=mode, progress="none")
    assert not (tmp_path / "bad").exists()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep") / "sine"
    res = sweep(SINE, d, values=VALUES, workers=2, progress="none")
    return d, res


def test_local_sweep_runs_every_point_as_an_ordinary_run(local):
    d, res = local
    assert res["completed"] == 4 and res["failed"] == 0
    man = json.loads((d / "sweep.json").read_text())
    assert [p["values"] for p in man["points"]] == [[10.0, 4], [10.0, 5], [20.0, 4], [20.0, 5]]
    with physim.open(d / "point-0003.h5") as ds:
        assert ds.attrs["status"] == "completed"
        assert ds.attrs["signal_period"] == 20.0 and ds.attrs["analysis_n"] == 5


def test_open_sweep_has_the_scanned_keys_as_dimensions(local, tmp_path):
    d, _ = local
    ds = open_sweep(d)
    assert ds.sizes["period"] == 2 and ds.sizes["n"] == 2
    assert ds.period.attrs["case_key"] == "signal.period"
    assert (ds.status == "completed").all()
    # the per-point results (attributes of each file) become variables, not lost
    direct = physim.run(SINE, tmp_path / "direct.h5", progress="none",
                        overrides=["signal.period=20.0", "analysis.n=4"])
    with physim.open(direct) as one:
        assert float(ds.ordinal_H.sel(period=20.0, n=4)) == one.attrs["ordinal_H"]
        np.testing.assert_array_equal(ds.x.sel(period=20.0, n=4).values, one.x.values)
    assert ds.attrs["sweep_keys"] == "signal.period,analysis.n"


def test_a_second_sweep_skips_completed_points_and_refuses_another_plan(local):
    d, _ = local
    stamps = {p: p.stat().st_mtime_ns for p in d.glob("point-*.h5")}
    res = sweep(SINE, d, values=VALUES, progress="none")
    assert res["completed"] == 4
    assert {p: p.stat().st_mtime_ns for p in d.glob("point-*.h5")} == stamps
    with pytest.raises(CaseError, match="holds another sweep"):
        sweep(SINE, d, values={"signal.period": [10.0, 30.0]}, progress="none")


def test_cli_zip_sweep_and_info(tmp_path):
    """A zip sweep through the CLI; `physim info DIR` lists its points."""
    d = tmp_path / "z"
    cmd = [sys.executable, "-m", "physim.cli", "-q", "sweep", str(SINE), "-o", str(d),
           "--zip", "--set", "signal.period=10.0,20.0", "--set", "analysis.n=4,5",
           "--progress", "none"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 of 2 points completed" in r.stdout
    info = subprocess.run([sys.executable, "-m", "physim.cli", "info", str(d)],
                          capture_output=True, text=True, timeout=60)
    assert "point-0001.h5  signal.period=20.0, analysis.n=5  completed" in info.stdout
    ds = open_sweep(d)
    assert ds.sizes["point"] == 2 and list(ds.period.values) == [10.0, 20.0]


def test_a_failing_point_is_reported_and_the_others_complete(local, tmp_path):
    """Point 0 reads a file that is not there (found at run time): it fails on its own,
    named, exit 1; point 1 analyses another point's output (a file input)."""
    d = tmp_path / "f"
    cmd = [sys.executable, "-m", "physim.cli", "-q", "sweep", str(SINE), "-o", str(d),
           "--set", "signal.kind=file", "--progress", "none",
           "--set", f"signal.path={tmp_path / 'absent.h5'},{local[0] / 'point-0000.h5'}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert "1 of 2 points completed" in r.stdout
    assert "point 0: failed: signal.path:" in r.stdout and "does not exist" in r.stdout
    assert point_status(d / "point-0001.h5") == "completed"
    ds = open_sweep(d)  # one key: its values are the dimension; the failed point is NaN
    assert list(ds.status.values) == ["missing", "completed"]
    assert np.isnan(ds.x.isel(path=0)).all() and np.isfinite(ds.x.isel(path=1)).all()


def _mpi():
    spec = importlib.util.spec_from_file_location("run_mpi", REPO / "tests/parallel/run_mpi.py")
    run_mpi = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_mpi)
    from physim.parallel import launched_under_mpi
    return None if launched_under_mpi() else run_mpi.find_mpi()


def _same_points(a, b):
    for name in ("x", "ordinal_H", "ordinal_C"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_mpi_futures_executor_gives_the_same_points(local, tmp_path):
    found = _mpi()
    if found is None:
        pytest.skip("needs mpi4py and mpiexec")
    python, mpiexec = found
    d = tmp_path / "mpi"
    cmd = [mpiexec, "-n", "3", python, "-m", "mpi4py.futures", "-m", "physim.cli", "-q",
           "sweep", str(SINE), "-o", str(d), "--executor", "mpi", "--progress", "none",
           "--set", "signal.period=10.0,20.0", "--set", "analysis.n=4,5"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    _same_points(open_sweep(d), open_sweep(local[0]))


def test_dask_local_cluster_gives_the_same_points(local, tmp_path):
    pytest.importorskip("dask.distributed")
    res = sweep(SINE, tmp_path / "dask", values=VALUES, executor="dask", workers=2,
                progress="none")
    assert res["completed"] == 4
    ds = open_sweep(tmp_path / "dask")
    assert ds.x.chunks is not None  # lazy: dask arrays
    _same_points(ds, open_sweep(local[0]))


SOLITON = REPO / "cases" / "nlse" / "soliton.toml"
LONG = ["grid.N=256", "time.end=30.0", "output.every=0.02"]


def test_sigterm_to_the_sweep_interrupts_its_points_and_a_rerun_continues_them(tmp_path):
    """SIGTERM to the sweep's process group: passed on to each running point, which
    checkpoints and ends 'interrupted' (exit 75); the same sweep again continues them from
    their checkpoints, and the result equals an uninterrupted run."""
    d = tmp_path / "sol"
    cmd = [sys.executable, "-m", "physim.cli", "-q", "sweep", str(SOLITON), "-o", str(d),
           "--workers", "2", "--progress", "none", "--set", "model.gamma=1.0,1.1",
           *sum([["--set", s] for s in LONG], [])]
    proc = kill_when(cmd, d / "point-0000.h5", signal.SIGTERM, snapshots=5)
    statuses = {p.name: point_status(p) for p in sorted(d.glob("point-*.h5"))}
    assert proc.returncode in (75, 0), proc.stderr_text
    assert set(statuses.values()) <= {"interrupted: SIGTERM", "completed"}, statuses
    if proc.returncode == 75:
        assert "interrupted: SIGTERM" in statuses.values()
        assert "passing it on to the running points" in proc.stderr_text
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    ref = physim.run(SOLITON, tmp_path / "ref.h5", overrides=LONG + ["model.gamma=1.1"],
                     progress="none")
    with xr.open_dataset(ref, engine="h5netcdf") as a, \
            xr.open_dataset(d / "point-0001.h5", engine="h5netcdf") as b:
        assert b.attrs["status"] == "completed"
        np.testing.assert_allclose(b.psi.values, a.psi.values, rtol=0, atol=1e-12)


def test_physim_run_refuses_a_sweep_case_in_one_line(tmp_path):
    case = tmp_path / "s.toml"
    case.write_text(SINE.read_text() + '\n[sweep]\n"signal.period" = [10.0, 20.0]\n')
    r = subprocess.run([sys.executable, "-m", "physim.cli", "run", str(case), "-o",
                        str(tmp_path / "o.h5")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "run it with `physim sweep CASE`" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o.h5").exists()
