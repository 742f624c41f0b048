"""Strong scaling of a 2-D or 3-D NLSE run over MPI ranks (run by hand, not in CI).

    python benchmarks/nlse_scaling.py [--n 512] [--steps 20] [--ranks 1 2]
    python benchmarks/nlse_scaling.py --dim 3 --n 64 --ranks 1 2 4 --decomposition slab pencil

Launches itself under ``mpiexec -n P`` for each P: the trapped-GPE right-hand
side (interaction picture, no dealiasing (the default), harmonic V) on an n^dim grid, integrated
by DOP853 for a fixed number of accepted steps (the steps are the same on every
rank count and decomposition: the results are bitwise the same). In 3-D,
``--decomposition`` picks slabs (grid (P, 1)) and/or pencils (the grid
``physim.parallel.process_grid`` chooses). Each rank times its collectives (the FFT transposes and the ordered
reductions); the report gives wall time per step, speed-up, parallel efficiency
T1 / (P T_P) and the share of wall time spent in communication (max over ranks).
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


def worker(n: int, steps: int, dim: int = 2, kind: str = "slab") -> None:
    import numpy as np
    from threadpoolctl import threadpool_limits

    from physim.integrate import DOP853
    from physim.parallel import get_comm, process_grid
    from physim.solvers.nlse import NLSE

    comm = get_comm()
    spent = {"comm": 0.0}
    for name in ("alltoallv", "allgatherv", "allgather"):
        raw = getattr(comm, name)

        def timed(*a, _raw=raw, **k):
            t0 = time.perf_counter()
            try:
                return _raw(*a, **k)
            finally:
                spent["comm"] += time.perf_counter() - t0
        setattr(comm, name, timed)
    grid = (comm.size, 1) if kind == "slab" else process_grid(comm.size, (n, n))
    m = NLSE(24.0, (n,) * dim, beta=0.5, gamma=-10.0, comm=comm, grid=grid,
             potential=lambda *xs: 0.5 * sum(x * x for x in xs))
    c = m.to_coeffs(np.exp(-sum(x ** 2 for x in m.local_grids) / 4.5) + 0j)
    with threadpool_limits(1):
        st = DOP853(m.rhs_interaction, 0, c, 100.0, rtol=1e-10, atol=1e-12, frame=m,
                    norm=m.norm)
        st.step()  # warm-up: numba, FFT plans, tables
        comm.barrier()
        spent["comm"] = 0.0
        t0 = time.perf_counter()
        for _ in range(steps):
            st.step()
        comm.barrier()
        wall = time.perf_counter() - t0
    shares = comm.allgather(spent["comm"])
    if comm.rank == 0:
        print(json.dumps({"ranks": comm.size, "wall": wall, "comm": max(shares),
                          "nfev": st.stats.nfev, "t": st.t, "grid": list(grid), "kind": kind}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dim", type=int, choices=(2, 3), default=2)
    ap.add_argument("--decomposition", nargs="+", choices=("slab", "pencil"), default=["slab"])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.n, args.steps, args.dim, args.decomposition[0])
        return 0
    mpiexec = Path(sys.executable).parent / "mpiexec"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    rows = []
    for P in args.ranks:
        for kind in args.decomposition:  # interleaved: slab, pencil, slab, pencil, ...
            out = subprocess.run([str(mpiexec), "-n", str(P), sys.executable, __file__,
                                  "--worker", "--n", str(args.n), "--steps", str(args.steps),
                                  "--dim", str(args.dim), "--decomposition", kind],
                                 capture_output=True, text=True, env=env, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    t1 = rows[0]["wall"] * rows[0]["ranks"]
    print(f"{args.dim}-D NLSE {args.n}^{args.dim}, {args.steps} DOP853 steps "
          f"({rows[0]['nfev']} RHS evaluations incl. warm-up), same steps on every rank count; "
          f"{os.cpu_count()} cores")
    print(f"{'ranks':>5} {'grid':>7} {'wall s':>8} {'s/step':>8} {'speed-up':>8} "
          f"{'efficiency':>10} {'comm share':>10}")
    for r in rows:
        sp = t1 / r["wall"]
        grid = f"{r['grid'][0]}x{r['grid'][1]}"
        print(f"{r['ranks']:>5} {grid:>7} {r['wall']:>8.2f} {r['wall'] / args.steps:>8.3f} "
              f"{sp:>8.2f} {sp / r['ranks']:>10.0%} {r['comm'] / r['wall']:>10.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
