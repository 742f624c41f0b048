"""The full (all four operators) spatially homogeneous Boltzmann mixture, and its exact moment rates.

Species s = 0, 1 with masses m_s share one velocity grid. Each pair has the VHS kernel
B_ij = rate_ij / |S| |q|^gamma (rate_ij = rate_ji):

    df_i/dt = Q_ii(f_i, f_i) + Q_ij(f_i, f_j).

Every right-hand side is projected (``velocity.project_conservative``) so that each
species' mass and the total momentum and energy are conserved to round-off. Time
stepping is the classical 4-stage Runge-Kutta method (explicit: the full solver is the
reference for moderate mass ratios; its grid must resolve both thermal speeds).

For Maxwell molecules (gamma = 0) the moment equations close for any f (Lambda = rate):

    du_i/dt = -m_j / (m_i + m_j) Lambda n_j (u_i - u_j),
    dT_i/dt = -2 m_i m_j / (m_i + m_j)^2 Lambda n_j (T_i - T_j)
              + (2 / d) m_i m_j^2 / (m_i + m_j)^2 Lambda n_j |u_i - u_j|^2,

``maxwell_moment_rates`` evaluates them and ``maxwell_moment_solution`` integrates them.
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from .spectral import CarlemanOperator, CollisionOperator
from .velocity import VelocityGrid, project_conservative


def self_operator(grid: VelocityGrid, m: float, gamma: float, rate: float, method: str, **quad):
    """Q(f, f) for one species: the Carleman (Mouhot-Pareschi) form where it separates."""
    if method not in ("auto", "carleman", "general"):
        raise ValueError(f"method = {method!r}: expected 'auto', 'carleman' or 'general'")
    separable = (grid.d, gamma) in ((2, 0.0), (3, 1.0))
    if method == "carleman" or (method == "auto" and separable):
        # Q scales as 1 / m in velocity units where the kernel is in |q|: m only enters
        # through the moments, so the equal-mass operator is the same for any m
        return CarlemanOperator(grid, gamma, rate, R=quad.get("R"), M=quad.get("M_carleman"))
    return CollisionOperator(grid, m, m, gamma, rate, R=quad.get("R"), n_rho=quad.get("n_rho"),
                             M=quad.get("M"))


class Mixture:
    """Two species on one grid: Q_00, Q_01, Q_10, Q_11 with conservation projection."""

    def __init__(self, grid: VelocityGrid, masses=(1.0, 1.0), gamma: float = 0.0,
                 rates=((1.0, 1.0), (1.0, 1.0)), method: str = "auto",
                 stepping: str = "rk4", **quad):
        if stepping not in ("rk4", "penalised"):
            raise ValueError(f"stepping = {stepping!r}: expected 'rk4' or 'penalised'")
        self.stepping = stepping
        self.grid, self.masses, self.gamma = grid, tuple(float(m) for m in masses), float(gamma)
        self.rates = np.asarray(rates, float)
        if len(self.masses) not in (1, 2):
            raise ValueError(f"masses = {masses}: expected one or two species")
        S = len(self.masses)
        if self.rates.shape != (S, S) or not np.allclose(self.rates, self.rates.T) \
                or (self.rates < 0).any():
            raise ValueError(f"rates = {rates}: expected a symmetric non-negative {S}x{S} matrix")
        self.ops = {}
        for i in range(S):
            if self.rates[i, i] > 0:
                self.ops[i, i] = self_operator(grid, self.masses[i], gamma, self.rates[i, i],
                                               method, **quad)
            for j in range(S):
                if i != j and self.rates[i, j] > 0:
                    self.ops[i, j] = CollisionOperator(
                        grid, self.masses[i], self.masses[j], gamma, self.rates[i, j],
                        R=quad.get("R"), n_rho=quad.get("n_rho"), M=quad.get("M"))
        self._C = [grid.conserved_basis(m) for m in self.masses]
        d = grid.d
        # rows: mass of each species, then the summed momentum (d) and energy
        self._share = [[s] + [S + a for a in range(d)] + [S + d] for s in range(S)]
        self.raw_moments = None

    def rhs(self, fs, project: bool = True):
        """Collision terms of every species (a list like fs)."""
        S = len(fs)
        Q = [np.zeros_like(f) for f in fs]
        for (i, j), op in self.ops.items():
            Q[i] += op(fs[i]) if i == j else op(fs[i], fs[j])
        self.raw_moments = sum(_place(C @ q.reshape(-1), sh, S + self.grid.d + 1)
                               for C, q, sh in zip(self._C, Q, self._share))
        return project_conservative(Q, self._C, self._share) if project else Q

    def penalised_step(self, fs, dt: float):
        """One step stable for any dt * collision rate (Filbet & Jin's BGK penalisation):
        f_s + dt / (1 + dt beta_s) Q_s(f), beta_s = penalty_rate of species s's loss
        frequency. As dt * rate -> inf each step is one relaxation f + Q(f) / beta towards
        the local Maxwellians, so a gas in the fluid limit stays near them (the Euler
        limit of the transport). First order; the increments are projected (L2(1/f)
        metric) to conserve each species' mass and the total momentum and energy.

        The self-collision terms are Q_ss(f_s) - Q_ss(M_s), M_s the Maxwellian with f_s's
        moments (Filbet, Pareschi & Rey 2015): the truncated spectral Q(M) is not 0 but
        ~1e-7 rate, and without the correction the fluid limit would relax every cell to
        that operator's own slightly skewed equilibrium, whose spurious heat flux leaks
        energy through open boundaries."""
        Q = self.rhs(fs, project=False)
        for i, f in enumerate(fs):
            if (i, i) in self.ops:
                Q[i] = Q[i] - self.ops[i, i](self.grid.maxwellian(*self.grid.moments(
                    f, self.masses[i]), self.masses[i]))
        inc = []
        for i, (f, q) in enumerate(zip(fs, Q)):
            nu = sum(op.loss_frequency(fs[j]) for (a, j), op in self.ops.items() if a == i)
            inc.append(dt / (1 + dt * penalty_rate(nu, f)) * q)
        inc = project_conservative(inc, self._C, self._share,
                                   weights=[np.maximum(f, 0) / self.grid.dv for f in fs])
        return [f + q for f, q in zip(fs, inc)]

    def step(self, fs, dt: float):
        """One step: classical RK4, or ``penalised_step`` (``stepping``)."""
        if self.stepping == "penalised":
            return self.penalised_step(fs, dt)
        k1 = self.rhs(fs)
        k2 = self.rhs([f + 0.5 * dt * k for f, k in zip(fs, k1)])
        k3 = self.rhs([f + 0.5 * dt * k for f, k in zip(fs, k2)])
        k4 = self.rhs([f + dt * k for f, k in zip(fs, k3)])
        return [f + dt / 6 * (a + 2 * b + 2 * c + e) for f, a, b, c, e in zip(fs, k1, k2, k3, k4)]


def penalty_rate(nu, f):
    """beta(v) = max(nu(v), nu at the peak of f): every speed relaxes at least at its own
    loss frequency nu(v); a single rate sup nu (set by the grid's corners for hard
    spheres) would slow the bulk's relaxation by nu_bulk / sup nu per step."""
    nu = np.broadcast_to(nu, np.shape(f))
    return np.maximum(nu, nu.flat[np.argmax(f)])


def _place(values, share, rows):
    out = np.zeros(rows)
    for src, dst in enumerate(share):
        out[dst] += values[src]
    return out


def maxwell_moment_rates(d, masses, rates, n, u, T):
    """(du_i/dt (S, d), dT_i/dt (S,)) of a Maxwell-molecule mixture (exact for any f)."""
    m = np.asarray(masses, float)
    u, T = np.asarray(u, float), np.asarray(T, float)
    du, dT = np.zeros_like(u), np.zeros_like(T)
    for i in range(len(m)):
        for j in range(len(m)):
            if i == j:
                continue
            lam, M = rates[i][j], m[i] + m[j]
            du[i] -= m[j] / M * lam * n[j] * (u[i] - u[j])
            dT[i] += (-2 * m[i] * m[j] / M ** 2 * lam * n[j] * (T[i] - T[j])
                      + 2 / d * m[i] * m[j] ** 2 / M ** 2 * lam * n[j] * np.sum((u[i] - u[j]) ** 2))
    return du, dT


def maxwell_moment_solution(d, masses, rates, n, u0, T0, times):
    """Integrate the closed moment equations (rtol 1e-12): (u (t, S, d), T (t, S))."""
    S = len(masses)
    u0, T0 = np.asarray(u0, float), np.asarray(T0, float)

    def rhs(_, y):
        u, T = y[:S * d].reshape(S, d), y[S * d:]
        du, dT = maxwell_moment_rates(d, masses, rates, n, u, T)
        return np.concatenate([du.ravel(), dT])
    sol = solve_ivp(rhs, (times[0], times[-1]), np.concatenate([u0.ravel(), T0]),
                    t_eval=times, rtol=1e-12, atol=1e-14, method="DOP853")
    return sol.y[:S * d].T.reshape(-1, S, d), sol.y[S * d:].T
