"""Cost of one collision-operator evaluation against N (the O(M N^d log N) scaling).

python benchmarks/boltzmann_speed.py [--quick]

Prints, per operator and N, the seconds per evaluation (best of 3), the ratio to
n N^d log2 N (which should stay flat; n, the FFT nodes, is the directions factor: the M
directions in 2-D, the M/2 of a hemisphere in 3-D, times n_rho for the general operator), and the time of one plain N^d complex FFT
(the floor) for scale. One process; scipy.fft on all cores.
"""
import argparse

import numpy as np
import scipy.fft as sfft

from physim.solvers.boltzmann.spectral import CarlemanOperator, CollisionOperator
from physim.solvers.boltzmann.velocity import VelocityGrid
from timing import best


def row(label, op, g, nodes, count):
    """count: the transforms of one Q in units of one N^d complex FFT (a real one is 1/2)."""
    f = 0.5 * (g.maxwellian(1, np.r_[1.0, np.zeros(g.d - 1)], 0.7)
               + g.maxwellian(1, np.r_[-1.0, np.zeros(g.d - 1)], 0.7))
    sec = best(lambda: op(f), warmup=True)
    x = np.random.default_rng(0).standard_normal(g.shape) + 0j
    fft = best(lambda: sfft.ifftn(x), warmup=True)
    scale = nodes * g.N ** g.d * np.log2(g.N)
    print(f"| {label} | {g.d} | {g.N} | {nodes} | {sec:.4f} | {sec / scale * 1e9:.2f} | "
          f"{sec / fft:.0f} | {sec / (count * fft):.2f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("| operator | d | N | FFT nodes n | s per Q | ns per node and point, s / (n N^d log2 N) "
          "| Q / one FFT | Q / (FFT count x one FFT) |")
    print("|---|---|---|---|---|---|---|---|")
    for N in ([32, 64] if args.quick else [32, 64, 128, 256]):
        g = VelocityGrid(2, N, 10.0)
        op = CarlemanOperator(g, M=16)
        row("Carleman, 2-D Maxwell, M = 16", op, g, len(op.dir_w), len(op.dir_w) + 2)
    for N in ([16, 24] if args.quick else [16, 24, 32, 48, 64]):
        g = VelocityGrid(3, N, 8.0)
        op = CarlemanOperator(g, gamma=1.0)
        row("Carleman, 3-D hard spheres, M = 72", op, g, len(op.dir_w), len(op.dir_w) + 2)
    for N in ([16, 24] if args.quick else [16, 24, 32]):
        g = VelocityGrid(3, N, 8.0)
        op = CollisionOperator(g, M=72)
        nd = len(op._half[1])
        row("general (GHHH), 3-D Maxwell, n_rho = N, M = 72", op, g, op.n_rho * nd,
            op.n_rho * (nd + 0.5) + 2 + 2 * 0.5)


if __name__ == "__main__":
    main()
