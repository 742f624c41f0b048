"""Cost of one collision-operator evaluation against its FFT-count floor.

python benchmarks/boltzmann_speed.py [--quick]

Per operator and N: the seconds per evaluation Q(f, f), the ratio to n N^d log2 N (which
should stay flat; n, the FFT nodes, is the directions factor: the M directions in 2-D, the
M/2 of a hemisphere in 3-D, times n_rho for the general operator), and Q over its floor,
the FFT count of one Q times the time of one N^d complex FFT. The count is the minimum the
algorithm needs, in units of one N^d complex FFT (a real one counts 1/2):

    Carleman: n + 1        (f forward, real: 1/2; one complex inverse per direction; the
                            loss convolution back, real: 1/2)
    general:  n_rho (n_dir + 1/2) + 3/2
                           (one complex inverse per node, one real forward per radius;
                            f forward, the gain and the loss convolution back: 1/2 each)

The floor FFT is scipy.fft in place (overwrite_x, no allocation) with the operators'
workers setting (None: one thread). Each row times the operator and a loop of floor FFTs
alternately, repeated, and keeps the best of each, so both see the same machine load; the
times are CPU seconds of the one thread (time.thread_time), so that the other jobs of a
shared machine do not count (on an idle machine they are the wall times).
"""
import argparse
import time

import numpy as np
import scipy.fft as sfft

from physim.solvers.boltzmann.spectral import CarlemanOperator, CollisionOperator
from physim.solvers.boltzmann.velocity import VelocityGrid


def _once(fn, k=1):
    """CPU seconds of the calling thread per call: everything here runs on that one thread
    (workers=None), and the other jobs on a shared machine do not count."""
    t = time.thread_time()
    for _ in range(k):
        fn()
    return (time.thread_time() - t) / k


def row(label, op, g, nodes, count, budget=4.0, reps=(5, 40)):
    """count: the transforms of one Q in units of one N^d complex FFT (a real one is 1/2)."""
    f = 0.5 * (g.maxwellian(1, np.r_[1.0, np.zeros(g.d - 1)], 0.7)
               + g.maxwellian(1, np.r_[-1.0, np.zeros(g.d - 1)], 0.7))
    x = np.random.default_rng(0).standard_normal(g.shape) + 0j

    def fft():
        sfft.ifftn(x, workers=op.workers, overwrite_x=True)

    op(f)
    fft()
    k = max(1, int(0.01 / max(_once(fft), 1e-7)))  # floor loops of about 10 ms
    sec, one, t0, r = np.inf, np.inf, time.perf_counter(), 0
    while r < reps[0] or (r < reps[1] and time.perf_counter() - t0 < budget):
        sec = min(sec, _once(lambda: op(f)))
        one = min(one, _once(fft, k))
        r += 1
    scale = nodes * g.N ** g.d * np.log2(g.N)
    print(f"| {label} | {g.d} | {g.N} | {nodes} | {count:g} | {sec:.4f} | "
          f"{sec / scale * 1e9:.2f} | {one * 1e6:.0f} | {sec / (count * one):.2f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("| operator | d | N | FFT nodes n | FFT count | s per Q | ns per node and point, "
          "s / (n N^d log2 N) | one FFT (us) | Q / (FFT count x one FFT) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for N in ([32, 64] if args.quick else [32, 64, 128, 256]):
        g = VelocityGrid(2, N, 10.0)
        op = CarlemanOperator(g, M=16)
        nd = len(op.dir_w)
        row("Carleman, 2-D Maxwell, M = 16", op, g, nd, nd + 1)
    for N in ([16, 24] if args.quick else [16, 24, 32, 48, 64]):
        g = VelocityGrid(3, N, 8.0)
        op = CarlemanOperator(g, gamma=1.0)
        nd = len(op.dir_w)
        row("Carleman, 3-D hard spheres, M = 72", op, g, nd, nd + 1)
    for N in ([32] if args.quick else [32, 64, 128, 256]):
        g = VelocityGrid(2, N, 10.0)
        op = CollisionOperator(g, M=32)
        nd = len(op._half[1])
        row("general (GHHH), 2-D Maxwell, n_rho = N, M = 32", op, g, op.n_rho * nd,
            op.n_rho * (nd + 0.5) + 1.5)
    for N in ([16, 24] if args.quick else [16, 24, 32, 48]):
        g = VelocityGrid(3, N, 8.0)
        op = CollisionOperator(g, M=72)
        nd = len(op._half[1])
        row("general (GHHH), 3-D Maxwell, n_rho = N, M = 72", op, g, op.n_rho * nd,
            op.n_rho * (nd + 0.5) + 1.5)


if __name__ == "__main__":
    main()
