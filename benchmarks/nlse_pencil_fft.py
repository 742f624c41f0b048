"""Distributed 3-D FFT: physim's slabs and pencils against mpi4py-fft, one rank count at a time.

    python benchmarks/nlse_pencil_fft.py [--n 128] [--ranks 1 2 4] [--repeat 5]
        [--peer-python /path/to/venv/bin/python]

Times one forward + backward complex transform of an n^3 field (norm "forward",
complex128, one thread per rank) under ``mpiexec -n P`` for each P:

* physim ``DistFFT`` on slabs (grid (P, 1)) and on pencils (the most nearly square
  grid ``physim.parallel.process_grid`` picks);
* mpi4py-fft ``PFFT`` with its scipy backend (the pocketfft that physim uses) and with
  FFTW, on slabs and on pencils, when ``--peer-python`` names an interpreter that
  imports ``mpi4py_fft`` (install it in a venv of its own: it needs the FFTW headers,
  ``apt-get install libfftw3-dev``, then ``pip install mpi4py mpich mpi4py-fft``).

The rows are interleaved (physim, peer, physim, peer, ...) and each keeps its best of
``--repeat`` rounds, so that the ratios are measured in one run on a noisy machine.
Ranks beyond the cores are oversubscribed: those rows measure correctness and
overhead, not scaling.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def physim_worker(n: int, kind: str, repeat: int) -> dict:
    import numpy as np

    from physim.parallel import DistFFT, get_comm, process_grid

    comm = get_comm()
    P = comm.size
    grid = (P, 1) if kind == "slab" else process_grid(P, (n, n))
    d = DistFFT(comm, (n, n, n), grid=grid, workers=1)
    rng = np.random.default_rng(comm.rank)
    u = rng.standard_normal(d.local_physical_shape) + 1j * rng.standard_normal(
        d.local_physical_shape)
    d.backward(d.forward(u))  # warm-up: plans, buffers
    best = np.inf
    for _ in range(repeat):
        comm.barrier()
        t0 = time.perf_counter()
        d.backward(d.forward(u))
        comm.barrier()
        best = min(best, comm.allreduce_max(time.perf_counter() - t0))
    return {"grid": list(grid), "s": best}


def peer_worker(n: int, kind: str, backend: str, repeat: int) -> dict:
    import numpy as np
    from mpi4py import MPI
    from mpi4py_fft import PFFT, newDistArray

    comm = MPI.COMM_WORLD
    P = comm.Get_size()
    dims = [0, 0] if kind == "pencil" else [0]
    grid = MPI.Compute_dims(P, dims) + [1] * (3 - len(dims))
    if kind == "slab":
        grid = [P, 1, 1]
    fft = PFFT(comm, (n, n, n), axes=(0, 1, 2), dtype=complex, grid=tuple(grid),
               backend=backend)
    u = newDistArray(fft, False)
    rng = np.random.default_rng(comm.Get_rank())
    u[:] = rng.standard_normal(u.shape) + 1j * rng.standard_normal(u.shape)
    uh = newDistArray(fft, True)
    back = newDistArray(fft, False)
    fft.forward(u, uh, normalize=True)
    fft.backward(uh, back, normalize=False)
    best = np.inf
    for _ in range(repeat):
        comm.barrier()
        t0 = time.perf_counter()
        fft.forward(u, uh, normalize=True)
        fft.backward(uh, back, normalize=False)
        comm.barrier()
        best = min(best, comm.allreduce(time.perf_counter() - t0, op=MPI.MAX))
    return {"grid": [int(g) for g in grid[:2]], "s": best}


def launch(python: str, P: int, args: list[str]) -> dict:
    mpiexec = Path(python).parent / "mpiexec"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([str(mpiexec), "-n", str(P), python, __file__, *args],
                         capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"{python} -n {P} {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer-python", default=None)
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        who, kind, *rest = args.worker
        res = (physim_worker(args.n, kind, args.repeat) if who == "physim" else
               peer_worker(args.n, kind, rest[0], args.repeat))
        from mpi4py import MPI
        if MPI.COMM_WORLD.Get_rank() == 0:
            print(json.dumps(res))
        return 0
    rows = [("physim", "slab", None), ("physim", "pencil", None)]
    if args.peer_python:
        rows += [("mpi4py-fft", k, b) for b in ("scipy", "fftw") for k in ("slab", "pencil")]
    cores = os.cpu_count()
    print(f"3-D complex FFT {args.n}^3, forward + backward, best of {args.repeat}, one thread "
          f"per rank, {cores} cores")
    print("| ranks | code | backend | decomposition | grid | s per pair | / physim slab |")
    print("|---|---|---|---|---|---|---|")
    for P in args.ranks:
        res = {}
        for who, kind, backend in rows:  # interleaved per rank count
            py = sys.executable if who == "physim" else args.peer_python
            wargs = ["--n", str(args.n), "--repeat", str(args.repeat), "--worker", who, kind]
            if backend:
                wargs.append(backend)
            res[(who, kind, backend)] = launch(py, P, wargs)
        ref = res[("physim", "slab", None)]["s"]
        note = " (oversubscribed)" if P > cores else ""
        for (who, kind, backend), r in res.items():
            print(f"| {P}{note} | {who} | {backend or 'scipy'} | {kind} | "
                  f"{r['grid'][0]} x {r['grid'][1]} | {r['s']:.4f} | {r['s'] / ref:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
