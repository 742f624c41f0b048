"""The AP scheme against the full spectral solver at finite eps: T_L - T_H and u_L - u_H.

python benchmarks/boltzmann_ap_accuracy.py [maxwell|hs|hs2d][-ode] [eps ...]
(-ode: against the ODE only, without the full solver's runs, which take minutes each)

Two relaxations from Maxwellians, n_L = n_H = 1, all rates 1:
* temperature: T_L = 1, T_H = 2, no drift, to t = 2 / kappa (T_L - T_H down to e^-2);
* drift: u_L - u_H = 0.3 along v_x, T_L = T_H = 1, to t = 2.

Prints max_t |X_AP - X_ref| / |X_0| for X = T_L - T_H and X = u_L - u_H, at the AP's
step times. References: Maxwell molecules (2-D): the exact moment equations (exact for any
f, every eps) and the full solver (all four operators on one grid of N = 32 / eps, RK4) at
eps >= 0.35; hard spheres (3-D): the full solver (N = 32, L = 6, n_rho = 16, M = 32, RK4
with dt <= 0.1) at eps >= 0.35, and at every eps the two-Maxwellian exchange ODE (exact for
Maxwellian species only). That 3-D full grid is too small: its truncated light
self-collisions gain energy at 0.054 per unit time on a Maxwellian (f at R/2 is 2.5e-2 of
max f), which the joint projection turns into exchange, so its hard-sphere T_L - T_H column
is not a reference (README). hs2d: 2-D hard spheres, against the full solver on the
2-D grid of the Maxwell case (no ODE; the general operator handles any kernel). AP: N = 32 (2-D) / 24 (3-D), 40 steps per run whatever eps, so
its cost does not depend on eps. The scheme's factors were tuned on eps = 0.5 and 0.2 only.
"""
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp

from physim.solvers.boltzmann.ap import DisparateMixture
from physim.solvers.boltzmann.mixture import Mixture, maxwell_moment_solution
from physim.solvers.boltzmann.velocity import VelocityGrid

CASES = {"temperature": ((1.0, 2.0), 0.0), "drift": ((1.0, 1.0), 0.3)}
STEPS = 40


def t_end(case, eps, gamma):
    if case == "drift":
        return 2.0
    mu = eps ** 2 / (1 + eps ** 2) ** 2
    lam = 1.0 if gamma == 0 else 8 / 3 * np.sqrt(2 / np.pi) * np.sqrt(1 + 2 * eps ** 2)
    return 2.0 / (2 * mu * lam * 2)


def light_box(d, gamma):
    """The light grid's half width: 8 (2-D Maxwell), 10 (2-D hard spheres: f at R/2 below
    1e-3 of max f at T = 1.5), 6 (3-D, what the full solver can afford)."""
    return 6.0 if d == 3 else (8.0 if gamma == 0 else 10.0)


def observe(grids, masses, fs):
    mo = [g.moments(f, m) for g, f, m in zip(grids, fs, masses)]
    return mo[0][1][0] - mo[1][1][0], mo[0][2] - mo[1][2]


def start(grids, masses, case):
    T, drift = CASES[case]
    d = grids[0].d
    u = np.zeros(d)
    u[0] = drift
    return [grids[0].maxwellian(1.0, u, T[0], masses[0]),
            grids[1].maxwellian(1.0, np.zeros(d), T[1], masses[1])]


def ap_run(eps, case, d, gamma):
    N = 32 if d == 2 else 24
    T = CASES[case][0]
    mix = DisparateMixture(d, N, light_box(d, gamma), eps, gamma=gamma,
                           L_heavy=8 * eps * np.sqrt(max(T)) + CASES[case][1] * eps ** 2)
    fs = start(mix.grids, mix.masses, case)
    dt = t_end(case, eps, gamma) / STEPS
    rows = []
    t0 = time.perf_counter()
    for _ in range(STEPS):
        fs = mix.step(fs, dt)
        rows.append(observe(mix.grids, mix.masses, fs))
    return dt * np.arange(1, STEPS + 1), np.array(rows), time.perf_counter() - t0


def full_run(eps, case, d, gamma, times):
    """(X at ``times``): RK4 steps of at most 0.1 (the O(1) collision rates), one or more
    per interval."""
    if d == 2:
        L = light_box(d, gamma)
        N = int(2 * round(2 * L / eps))
        g, quad = VelocityGrid(2, N, L), {"n_rho": N // 2, "M": 16}
    else:
        g, quad = VelocityGrid(3, 32, 6.0), {"n_rho": 16, "M": 32}
    m = (1.0, 1.0 / eps ** 2)
    mix = Mixture(g, m, gamma, ((1, 1), (1, 1)), **quad)
    fs = start((g, g), m, case)
    per = int(np.ceil((times[1] - times[0]) / 0.1 - 1e-9))
    dt = (times[1] - times[0]) / per
    rows = []
    for _ in times:
        for _ in range(per):
            fs = mix.step(fs, dt)
        rows.append(observe((g, g), m, fs))
    return np.array(rows)


def exact_maxwell(eps, case, times):
    T, drift = CASES[case]
    m = (1.0, 1.0 / eps ** 2)
    u, Ts = maxwell_moment_solution(2, m, [[1, 1], [1, 1]], [1, 1], [[drift, 0], [0, 0]],
                                    T, np.r_[0.0, times])
    return np.stack([u[1:, 0, 0] - u[1:, 1, 0], Ts[1:, 0] - Ts[1:, 1]], axis=1)


def exact_hs_temperature(eps, times):
    """dT_i/dt = -(64/3) sqrt(2 pi) b mu n_j sqrt(T_L/m_L + T_H/m_H) (T_i - T_j), b = 1/4pi."""
    m = (1.0, 1.0 / eps ** 2)
    mu = m[0] * m[1] / (m[0] + m[1]) ** 2
    c = 64 / 3 * np.sqrt(2 * np.pi) / (4 * np.pi) * mu

    def rhs(_, T):
        k = c * np.sqrt(T[0] / m[0] + T[1] / m[1]) * (T[0] - T[1])
        return [-k, k]
    sol = solve_ivp(rhs, (0, times[-1]), [1.0, 2.0], t_eval=times, rtol=1e-12, atol=1e-14)
    return sol.y[0] - sol.y[1]


def error(ap, ref, col, x0):
    return np.abs(ap[:, col] - ref).max() / abs(x0)


def main():
    kind, _, only = (sys.argv[1] if len(sys.argv) > 1 else "maxwell").partition("-")
    eps_list = [float(e) for e in sys.argv[2:]] or [0.7, 0.5, 0.35, 0.2, 0.1]
    d, gamma = {"maxwell": (2, 0.0), "hs": (3, 1.0), "hs2d": (2, 1.0)}[kind]
    print(f"{kind}: max |X_AP - X_ref| / |X_0| (reference: "
          f"{ {'maxwell': 'exact moment ODE', 'hs': 'two-Maxwellian ODE'}.get(kind, 'none')} "
          "/ full solver)")
    print("| eps | T_L - T_H vs ODE | T_L - T_H vs full | u_L - u_H vs ODE | u_L - u_H vs full "
          "| AP s per run |")
    print("|---|---|---|---|---|---|")
    for eps in eps_list:
        cells, sec = [], 0.0
        for case, col, x0 in (("temperature", 1, -1.0), ("drift", 0, 0.3)):
            t, ap, s = ap_run(eps, case, d, gamma)
            sec += s
            if gamma == 0:
                ode = f"{error(ap, exact_maxwell(eps, case, t)[:, col], col, x0):.2e}"
            elif case == "temperature" and d == 3:
                ode = f"{error(ap, exact_hs_temperature(eps, t), col, x0):.2e}"
            else:
                ode = "-"
            full = "-"
            # the full solver at the AP times k dt, k dt >= 0.1 (cost)
            if eps >= 0.35 and only != "ode":
                k = max(1, int(0.1 / (t[1] - t[0]) + 1e-9))
                sub = slice(k - 1, None, k)
                ref = full_run(eps, case, d, gamma, t[sub])[:, col]
                full = f"{error(ap[sub], ref, col, x0):.2e}"
            cells += [ode, full]
        print(f"| {eps:g} | " + " | ".join(cells) + f" | {sec / 2:.2f} |", flush=True)


if __name__ == "__main__":
    main()
