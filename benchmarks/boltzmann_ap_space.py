"""Cost per unit time of the disparate mixture in x: explicit against AP light transport.

python benchmarks/boltzmann_ap_space.py [--eps 0.3 0.1 0.03 0.01 0.001] [--steps 3]

The problem family of ``tests/test_boltzmann_ap_space.py``: mass ratio m_H / m_L = eps^-2,
cross_rate = 1 / eps (the light's mean free path ~ eps), a light density wave in a uniform
heavy gas (T = 1, n = 1, 16 cells on [0, 4), 2-D velocities, N = 24, L = 8, light
self-collisions at rate 1). The unit of time is the heavy's, tau = eps t, on which the
light density diffuses with D = 1 + eps^2 whatever eps. Each transport runs at its longest
allowed step: explicit dt = dx / velocity.L (light units), AP dt = dx / L_heavy (the
heavy's explicit transport; the light has no limit). For each eps and transport, prints
the steps per unit tau, the seconds per step (the best of ``--steps`` timed steps after one
untimed, one BLAS thread) and their product, the wall time per unit tau. The explicit
runs at small eps would take hours, so the cost per unit tau is steps x seconds per step,
not a timed run to tau = 1; the AP runs are also timed over a whole unit of tau
(``--full``) to show the product holds.
"""
import argparse
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from timing import best  # noqa: E402

from physim.runner import load  # noqa: E402
from physim.solvers.boltzmann.schema import HEAVY_THERMAL_SPEEDS  # noqa: E402
from physim.solvers.boltzmann.simulation import Simulation  # noqa: E402

CELLS, LENGTH, L = 16, 4.0, 8.0


def params(eps, light, tau):
    """The case at eps with its longest step; runs to tau (heavy units)."""
    raw = {"solver": "boltzmann", "species": {"masses": [1.0, eps ** -2]},
           "collision": {"gamma": 0.0, "cross_rate": 1 / eps, "self_rates": [1.0, 1.0]},
           "velocity": {"d": 2, "N": 24, "L": L}, "scheme": {"kind": "ap"},
           "space": {"cells": CELLS, "length": LENGTH, "light_transport": light},
           "initial": {"kind": "wave", "density": [1.0, 1.0], "temperature": [1.0, 1.0],
                       "amplitude": [0.1, 0.0]},
           "numerics": {"support_tolerance": 0.01}}
    dx = LENGTH / CELLS
    # the heavy grid's default half width: 8 thermal speeds sqrt(T_H / m_H) = 8 eps
    width = L if light == "explicit" else HEAVY_THERMAL_SPEEDS * eps
    dt = dx / width
    end = tau / eps
    n = max(1, int(round(end / dt + 0.4999)))  # whole steps, none longer than allowed
    dt = end / n
    raw["time"] = {"dt": dt, "end": end}
    raw["output"] = {"every": end}
    return load(raw)[0], n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eps", type=float, nargs="+", default=[0.3, 0.1, 0.03, 0.01, 0.001])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also time the AP runs to tau = 1")
    args = ap.parse_args()
    print("| eps | light transport | dt (light units) | steps per unit tau | s per step | "
          "s per unit tau |" + (" timed run to tau = 1, s |" if args.full else ""))
    print("|---|---|---|---|---|---|" + ("---|" if args.full else ""))
    for eps in args.eps:
        for light in ("explicit", "ap"):
            p, n = params(eps, light, 1.0)
            sim = Simulation(p)
            fs = sim.initial()
            per = best(lambda: sim.advance([f.copy() for f in fs], sim.dt), reps=args.steps,
                       warmup=True)
            row = (f"| {eps:g} | {light} | {sim.dt:.4g} | {n} | {per:.3f} | {n * per:.3g} |")
            if args.full:
                if light == "ap":
                    t = time.perf_counter()
                    for _ in Simulation(p).run():
                        pass
                    row += f" {time.perf_counter() - t:.3g} |"
                else:
                    row += " - |"
            print(row, flush=True)


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
