"""Every way a job ends, for real: signals to whole process groups, SIGKILL, a wall-clock
limit, a full disk, a size limit, a dead MPI rank. What survives is checked with plain
``xarray.open_dataset``, and a restart must equal the uninterrupted run bit for bit."""
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from endings import kill_when, wait_for_snapshots

REPO = Path(__file__).resolve().parents[1]
NLSE = (REPO / "cases" / "nlse" / "soliton.toml",
        ["grid.N=1024", "time.end=30.0", "output.every=0.02"])
BOLTZMANN = (REPO / "cases" / "boltzmann" / "wave_1d.toml",
             ["space.cells=16", "velocity.N=12", "time.end=4.0", "output.every=0.02"])
CASES = {"nlse": NLSE, "boltzmann": BOLTZMANN}


def _sets(overrides):
    return sum([["--set", s] for s in overrides], [])


def _cmd(case, out, overrides, *extra):
    return [sys.executable, "-m", "physim.cli", "-q", "run", str(case), "-o", str(out),
            *_sets(overrides), *extra]


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    return {name: physim.run(case, d / f"{name}.h5", overrides=ov, progress="none")
            for name, (case, ov) in CASES.items()}


def _same(a_path, b_path, names):
    with physim.open(a_path) as a, physim.open(b_path) as b:
        assert a.sizes == b.sizes
        for name in names:
            assert np.array_equal(a[name].values, b[name].values), name
        return a.attrs, b.attrs


def _restart(case, out, overrides):
    r = subprocess.run([sys.executable, "-m", "physim.cli", "-q", "run", str(case), "--restart",
                        str(out), *_sets(overrides)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


VARS = {"nlse": ["psi", "mass", "energy"], "boltzmann": ["f_gas", "density", "H", "t_step"]}


@pytest.mark.parametrize("name, sig", [("nlse", "SIGTERM"), ("nlse", "SIGINT"),
                                       ("nlse", "SIGHUP"), ("nlse", "SIGUSR1"),
                                       ("boltzmann", "SIGTERM")])
def test_signal_to_the_group_checkpoints_and_restart_is_bitwise(name, sig, references, tmp_path):
    case, ov = CASES[name]
    out = tmp_path / "run.h5"
    proc = kill_when(_cmd(case, out, ov), out, getattr(signal, sig), snapshots=20)
    assert proc.returncode == (130 if sig == "SIGINT" else 75), proc.stderr_text
    lines = proc.stderr_text.strip().splitlines()
    assert len(lines) == 1 and f"stopped by {sig}" in lines[0] and "--restart" in lines[0]
    with xr.open_dataset(out) as ds:  # plain xarray: the complete snapshots
        assert ds.attrs["status"] == f"interrupted: {sig}"
        n = ds.sizes["time"]
    with physim.open(references[name]) as ref:
        assert 20 <= n < ref.sizes["time"]
    _restart(case, out, ov)
    a, b = _same(references[name], out, VARS[name])
    assert b["status"] == "completed"
    for key in ("integrator_nfev", "integrator_naccept", "integrator_steps"):
        assert a.get(key) == b.get(key)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sigkill_to_the_group_keeps_every_snapshot(name, references, tmp_path):
    case, ov = CASES[name]
    out = tmp_path / "run.h5"
    proc = kill_when(_cmd(case, out, ov), out, signal.SIGKILL, snapshots=20)
    assert proc.returncode == -signal.SIGKILL
    with xr.open_dataset(out) as ds, physim.open(references[name]) as ref:
        n = ds.sizes["time"]
        assert 20 <= n < ref.sizes["time"] and ds.attrs["status"] == "running"
        for v in VARS[name]:
            if "time" in ds[v].dims:
                assert np.array_equal(ds[v].values, ref[v].values[:n]), v
    _restart(case, out, ov)
    _same(references[name], out, VARS[name])


def test_walltime_stops_cleanly_before_the_limit(references, tmp_path):
    case, ov = NLSE
    out = tmp_path / "w.h5"
    t = time.monotonic()
    r = subprocess.run(_cmd(case, out, ov, "--walltime", "2"), capture_output=True, text=True,
                       timeout=120)
    took = time.monotonic() - t
    assert r.returncode == 75, r.stderr
    assert "stopped by walltime" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "interrupted: walltime"
        assert float(ds.attrs["wall_time_s"]) < 2.0  # the run itself, not the interpreter
        assert ds.sizes["time"] >= 1
    assert took < 30
    _restart(case, out, ov)
    _same(references["nlse"], out, VARS["nlse"])


def test_bad_walltime_is_one_line(tmp_path):
    case, ov = NLSE
    r = subprocess.run(_cmd(case, tmp_path / "x.h5", ov, "--walltime", "1:xx"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "walltime: '1:xx' is not a duration" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.h5").exists()


def _limit_file_size(limit):
    def pre():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def test_file_size_limit_refused_before_any_work(tmp_path):
    case, ov = NLSE
    out = tmp_path / "big.h5"
    r = subprocess.run(_cmd(case, out, ov), capture_output=True, text=True, timeout=60,
                       preexec_fn=_limit_file_size(1_000_000))
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert str(out) in lines[0] and "needs 24.9" in lines[0] and "ulimit -f" in lines[0]
    assert not out.exists()


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def test_full_disk_refused_before_any_work(small_disk):
    case, ov = NLSE  # 24.9 MB of output on an 8 MB disk
    out = small_disk / "o.h5"
    r = subprocess.run(_cmd(case, out, ov), capture_output=True, text=True, timeout=60)
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    assert str(out) in lines[0] and "needs 24.9" in lines[0] and "free" in lines[0]
    assert not out.exists()


def test_a_disk_that_fills_mid_run_does_not_touch_the_run(small_disk, references):
    """The output's space is reserved when the run starts: another writer filling the
    disk afterwards cannot make the run fail or lose a snapshot."""
    case, ov = NLSE[0], ["grid.N=256", "time.end=30.0", "output.every=0.02"]
    out = small_disk / "o.h5"
    proc = subprocess.Popen(_cmd(case, out, ov), stderr=subprocess.PIPE, text=True)
    wait_for_snapshots(out, 5, proc)  # the run is under way: its space is reserved
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass  # the disk is full now
    assert shutil.disk_usage(small_disk).free < 65536
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 1501


def test_runs_from_a_folder_holding_a_physim_directory(tmp_path):
    """The parent of a clone holds ./physim: nothing may import it from there."""
    (tmp_path / "physim").mkdir()
    (tmp_path / "physim" / "__init__.py").write_text("raise ImportError('the wrong physim')\n")
    case, _ = NLSE
    r = subprocess.run(["physim", "-q", "run", str(case), "--set", "time.end=0.4", "-o", "s.h5"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PATH": f"{Path(sys.executable).parent}:"
                                                  f"{os.environ['PATH']}"})
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(tmp_path / "s.h5") as ds:
        assert ds.attrs["status"] == "completed"


# -- MPI: two ranks of a field split in slabs (they step in lockstep) ----------------------
TRAP = (REPO / "cases" / "nlse" / "trap_breathing_2d.toml",
        ["grid.N=[64, 64]", "time.end=6.0", "output.every=0.01"])


@pytest.fixture(scope="module")
def mpi():
    import importlib.util
    spec = importlib.util.spec_from_file_location("run_mpi", REPO / "tests/parallel/run_mpi.py")
    run_mpi = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_mpi)
    from physim.parallel import launched_under_mpi
    found = None if launched_under_mpi() else run_mpi.find_mpi()
    if found is None:
        pytest.skip("needs mpi4py and mpiexec")
    return found


MPI_CASES = {"nlse": (TRAP, ["psi", "mass", "energy"]),
             "boltzmann": (BOLTZMANN, VARS["boltzmann"])}


@pytest.fixture(scope="module")
def mpi_references(tmp_path_factory):
    d = tmp_path_factory.mktemp("mpi_ref")
    return {name: physim.run(case, d / f"{name}.h5", overrides=ov, progress="none")
            for name, ((case, ov), _) in MPI_CASES.items()}


@pytest.fixture(scope="module")
def trap_reference(mpi_references):
    return mpi_references["nlse"]


def _mpi_cmd(mpi, n, *args):
    python, mpiexec = mpi
    return [mpiexec, "-n", str(n), python, "-m", "physim.cli", "-q", *args]


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _rank_pid(launcher: int, rank: int) -> int:
    """The pid of MPI rank ``rank`` among the processes ``launcher`` started."""
    for pid in _descendants(launcher):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in env:
            return pid
    raise AssertionError(f"no rank {rank} under process {launcher}")


@pytest.mark.parametrize("name", sorted(MPI_CASES))
def test_mpi_sigterm_to_the_group_and_restart_on_two_ranks(mpi, mpi_references, name, tmp_path):
    (case, ov), names = MPI_CASES[name]
    out = tmp_path / "m.h5"
    proc = kill_when(_mpi_cmd(mpi, 2, "run", str(case), "-o", str(out), *_sets(ov)), out,
                     signal.SIGTERM, snapshots=20)
    assert proc.returncode != 0
    with xr.open_dataset(out) as ds, physim.open(mpi_references[name]) as ref:  # the master
        assert ds.attrs["status"].startswith("interrupted: SIGTERM")
        assert 20 <= ds.sizes["time"] < ref.sizes["time"]
    for r in range(2):
        with xr.open_dataset(out.with_name("m.h5.parts") / f"rank{r:04d}.h5") as part:
            assert part.attrs["status"].startswith("interrupted")
    r = subprocess.run(_mpi_cmd(mpi, 2, "run", str(case), "--restart", str(out), *_sets(ov)),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    _same(mpi_references[name], out, names)  # = the run without MPI, bit for bit


def test_mpi_a_killed_rank_ends_the_job_and_every_file_opens(mpi, trap_reference, tmp_path):
    case, ov = TRAP
    out = tmp_path / "m.h5"
    proc = subprocess.Popen(_mpi_cmd(mpi, 2, "run", str(case), "-o", str(out), *_sets(ov)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for_snapshots(out, 20, proc)
        os.kill(_rank_pid(proc.pid, 1), signal.SIGKILL)
        proc.communicate(timeout=60)  # the job ends: no rank waits forever in a collective
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    with xr.open_dataset(out) as ds, physim.open(trap_reference) as ref:
        n = ds.sizes["time"]
        assert n >= 20
        assert np.array_equal(ds.psi.values, ref.psi.values[:n])
    for r in range(2):
        with xr.open_dataset(out.with_name("m.h5.parts") / f"rank{r:04d}.h5") as part:
            assert part.sizes["time"] >= n
    _restart_mpi = subprocess.run(_mpi_cmd(mpi, 2, "run", str(case), "--restart", str(out),
                                           *_sets(ov)), capture_output=True, text=True,
                                  timeout=300)
    assert _restart_mpi.returncode == 0, _restart_mpi.stderr
    _same(trap_reference, out, ["psi", "mass", "energy"])


def test_a_reader_holding_the_file_open_does_not_stop_the_run(tmp_path):
    """A notebook watching the run keeps the file open (HDF5 then holds a file lock):
    the run still finishes and sets its status."""
    case, ov = NLSE[0], ["grid.N=256", "time.end=10.0", "output.every=0.02"]
    out = tmp_path / "watched.h5"
    proc = subprocess.Popen(_cmd(case, out, ov), stderr=subprocess.PIPE, text=True)
    wait_for_snapshots(out, 5, proc)
    with xr.open_dataset(out) as ds:  # held open until the run has ended
        assert ds.sizes["time"] >= 5
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 501
