"""Cost of a step of the Boltzmann solver in x: transport against collisions, and ranks.

python benchmarks/boltzmann_space.py [--cells 64 128 256]
mpiexec -n 2 python benchmarks/boltzmann_space.py      # the same steps split over 2 ranks

For the Sod case (2-D velocities, N = 24, penalised collisions) and the disparate
mixture case (AP), prints the seconds per step (best of 3), the part spent streaming
(two half steps with their halo exchanges) and the cost per cell-step, on rank 0. Run
it with 1 and with 2 ranks to read the parallel speed-up (same machine, same moment).
BLAS runs on one thread per rank, as in ``physim run`` (two ranks each spawning a BLAS
thread per core would oversubscribe the cores).
"""
import argparse
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from timing import best  # noqa: E402

from physim.parallel import get_comm  # noqa: E402
from physim.runner import load  # noqa: E402
from physim.solvers.boltzmann.simulation import Simulation  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "cases" / "boltzmann"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, nargs="+", default=[64, 128, 256])
    args = ap.parse_args()
    comm = get_comm()
    if comm.rank == 0:
        print(f"{comm.size} rank(s)")
        print("| case | cells | s per step | streaming share | us per cell-step (x ranks) |")
        print("|---|---|---|---|---|")
    for case in ("sod_1d", "mixture_1d"):
        for cells in args.cells:
            L = 8.0
            p = load(CASES / f"{case}.toml", [f"space.cells={cells}",
                                               f"time.dt={1.0 / cells / L}",
                                               f"time.end={1.0 / cells / L}",
                                               f"output.every={1.0 / cells / L}"])[0]
            sim = Simulation(p, comm)
            fs = sim.initial()
            dt = sim.dt
            comm.barrier()
            step = best(lambda: sim.advance([f.copy() for f in fs], dt), warmup=True)
            stream = best(lambda: [s(s(f, 0.5 * dt), 0.5 * dt)
                                   for s, f in zip(sim.streams, fs)])
            step = comm.allreduce_max(step)
            stream = comm.allreduce_max(stream)
            if comm.rank == 0:
                print(f"| {case} | {cells} | {step:.4f} | {stream / step:.1%} | "
                      f"{step / cells * comm.size * 1e6:.0f} |")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
