"""Cost per unit of the exchange time tau = eps^2 t: the AP scheme against the full solver.

python benchmarks/boltzmann_ap_cost.py

AP: 2-D Maxwell molecules, both species on their own N = 32 grids, dtau = 0.02. Full: all
four operators on one common grid that must hold the light gas (L = 8) and resolve the
heavy one (spacing sigma_H / 2, sigma_H = eps): N = 32 / eps, RK4 with dt <= 0.2 (the O(1)
collision rates), so at least 5 / eps^2 steps per unit tau. Prints seconds per unit tau (one run,
after a warm-up of both; the full solver at eps = 0.1 is timed over 2 steps). The accuracy of the AP scheme against the full solver
at finite eps is benchmarks/boltzmann_ap_accuracy.py.
"""
import time

import numpy as np

from physim.solvers.boltzmann.ap import DisparateMixture
from physim.solvers.boltzmann.mixture import Mixture
from physim.solvers.boltzmann.velocity import VelocityGrid


def ap_run(eps, taus=0.2, dtau=0.02):
    mix = DisparateMixture(2, 32, 8.0, eps, L_heavy=8.0 * eps * np.sqrt(2))
    gL, gH = mix.grids
    fs = [gL.maxwellian(1.0, [0, 0], 1.0), gH.maxwellian(1.0, [0, 0], 2.0, mix.m_H)]
    out, t0 = [], time.perf_counter()
    for _ in range(int(round(taus / dtau))):
        fs = mix.step(fs, dtau / eps ** 2)
        out.append(gL.moments(fs[0])[2] - gH.moments(fs[1], mix.m_H)[2])
    return (time.perf_counter() - t0) / taus, np.array(out)


def full_run(eps, taus=0.2, steps=None):
    N = int(2 * round(16 / eps))
    g = VelocityGrid(2, N, 8.0)
    m = (1.0, 1.0 / eps ** 2)
    mix = Mixture(g, m, 0.0, ((1, 1), (1, 1)), n_rho=N // 2, M=16)
    fs = [g.maxwellian(1.0, [0, 0], 1.0, m[0]), g.maxwellian(1.0, [0, 0], 2.0, m[1])]
    per = int(np.ceil(0.1 / eps ** 2))  # RK4 steps per dtau = 0.02 (dt <= 0.2)
    dt = 0.02 / eps ** 2 / per
    n = per * int(round(taus / 0.02)) if steps is None else steps
    out, t0 = [], time.perf_counter()
    for k in range(n):
        fs = mix.step(fs, dt)
        if (k + 1) % per == 0:
            out.append(g.moments(fs[0], m[0])[2] - g.moments(fs[1], m[1])[2])
    sec = time.perf_counter() - t0
    return sec / (n * eps ** 2 * dt), np.array(out), N


def main():
    print("| eps | mass ratio | AP s per unit tau | full: common N | full s per unit tau |")
    print("|---|---|---|---|---|")
    ap_run(0.5, taus=0.04)  # warm-up: numba compilation and FFT plans are not per-tau costs
    full_run(0.5, steps=1)
    for eps in (0.5, 0.35):
        ap_sec, _ = ap_run(eps)
        full_sec, _, N = full_run(eps)
        print(f"| {eps} | {1 / eps ** 2:.3g} | {ap_sec:.3f} | {N} | {full_sec:.1f} |")
    for eps in (0.1, 0.01, 1e-3, 1e-6):
        ap_sec, _ = ap_run(eps)
        if eps >= 0.1:
            full_sec, _, N = full_run(eps, steps=2)
            full = f"{N} | {full_sec:.3g} (2 steps timed)"
        else:
            full = f"{int(2 * round(16 / eps))} | not run"
        print(f"| {eps:g} | {1 / eps ** 2:.3g} | {ap_sec:.3f} | {full} |")


if __name__ == "__main__":
    main()
