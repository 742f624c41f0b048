"""Run the MPI-layer tests under ``mpiexec -n N`` for N = 1, 2, 4.

    python tests/parallel/run_mpi.py [-n 1 2 4] [--python /path/to/python]

The interpreter must import mpi4py (and physim); by default the first of
``$PHYSIM_MPI_PYTHON`` and this interpreter that does. ``mpiexec`` is taken
from that interpreter's ``bin`` directory (pip's ``mpich`` wheel puts it
there), else from ``PATH``. Every rank runs ``pytest tests/parallel``; the run
fails if any rank fails or the job exceeds the timeout (a rank stuck in a
collective). ``tests/test_parallel_mpi.py`` calls this from pytest.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                 "OMPI_COMM_WORLD_RANK", "MPI_LOCALNRANKS", "PHYSIM_MPI")


def _has_mpi4py(python: str) -> bool:
    try:
        r = subprocess.run([python, "-c", "import mpi4py, numpy, scipy, physim"],
                           capture_output=True, timeout=60, env=_env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def find_mpi(python: str | None = None) -> tuple[str, str] | None:
    """(python, mpiexec) able to run the MPI tests, or None."""
    candidates = [python] if python else [os.environ.get("PHYSIM_MPI_PYTHON"), sys.executable]
    for py in filter(None, candidates):
        if not _has_mpi4py(py):
            continue
        local = Path(py).parent / "mpiexec"
        mpiexec = str(local) if local.exists() else shutil.which("mpiexec")
        if mpiexec:
            return py, mpiexec
    return None


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def mpiexec_command(mpiexec: str, n: int) -> list[str]:
    cmd = [mpiexec, "-n", str(n)]
    try:
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        version = ""
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")  # MPICH oversubscribes by default
    return cmd


def run(n: int, python: str, mpiexec: str, timeout: float = 180.0,
        pytest_args=("-q",), env: dict | None = None) -> subprocess.CompletedProcess:
    """``mpiexec -n n python -m pytest tests/parallel``; kills the job on timeout."""
    cmd = mpiexec_command(mpiexec, n) + [python, "-m", "pytest", str(HERE), "-p",
                                         "no:cacheprovider", *pytest_args]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**_env(), **(env or {})},
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\nTIMEOUT after {timeout} s (a rank is probably stuck in a collective)"
        return subprocess.CompletedProcess(cmd, -9, out, err)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--python", default=None)
    ap.add_argument("--timeout", type=float, default=180.0)
    args = ap.parse_args(argv)
    found = find_mpi(args.python)
    if found is None:
        print("no interpreter with mpi4py and no mpiexec found", file=sys.stderr)
        return 2
    python, mpiexec = found
    status = 0
    for n in args.n:
        t0 = time.perf_counter()
        r = run(n, python, mpiexec, args.timeout)
        dt = time.perf_counter() - t0
        print(f"mpiexec -n {n}: {'ok' if r.returncode == 0 else 'FAILED'} in {dt:.1f} s")
        if r.returncode != 0:
            print(r.stdout[-4000:], r.stderr[-4000:], sep="\n")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
