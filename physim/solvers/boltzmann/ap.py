"""Asymptotic-preserving time stepping of the homogeneous mixture with disparate masses.

Light (mass m_L) and heavy (m_H = m_L / eps^2) species each live on their own grid,
scaled to their own thermal speed (the heavy grid is eps times narrower). One step of
length dt is a Lie splitting of the three time scales of Degond & Lucquin-Desreux:

1. light, fastest: the Lorentz part of Q_LH solved exactly (relaxation to isotropy about
   u_H), then Q_LL with the BGK penalisation of Filbet & Jin,
   f <- f + dt / (1 + dt beta) Q(f), beta = sup_v nu(v) (stable for any dt: as dt -> inf it
   is a relaxation step of size 1/beta towards the Maxwellian);
2. heavy: Q_HH, penalised the same way;
3. slow exchange (O(eps^2) in physical time): the light energy-exchange operator E and the
   heavy Fokker-Planck operator, explicit.

The increments are then projected so that each species' mass and the total momentum and
energy are conserved to round-off. Nothing in the step depends on eps beyond the
operators' coefficients: with dt = dtau / eps^2 (tau = eps^2 t, the exchange time scale),
the step count and the cost per unit tau do not grow as eps -> 0.
"""
from __future__ import annotations

import numpy as np

from .disparate import HeavyOnLight, LightOnHeavy
from .mixture import self_operator
from .velocity import VelocityGrid, project_conservative


class DisparateMixture:
    """Light and heavy species, the truncated cross operators, and the AP step."""

    def __init__(self, d: int, N: int, L: float, eps: float, gamma: float = 0.0,
                 rates=(1.0, 1.0, 1.0), m_L: float = 1.0, L_heavy: float | None = None,
                 method: str = "auto", **quad):
        if not 0 < eps < 1:
            raise ValueError(f"eps = {eps}: expected 0 < eps = sqrt(m_L / m_H) < 1")
        self.eps, self.gamma = float(eps), float(gamma)
        self.m_L, self.m_H = float(m_L), float(m_L) / eps ** 2
        self.masses = (self.m_L, self.m_H)
        r_LL, r_HH, r_LH = rates
        self.grid_L = VelocityGrid(d, N, L)
        self.grid_H = VelocityGrid(d, N, eps * L if L_heavy is None else L_heavy)
        self.grids = (self.grid_L, self.grid_H)
        self.Q_LL = self_operator(self.grid_L, self.m_L, gamma, r_LL, method, **quad)
        self.Q_HH = self_operator(self.grid_H, self.m_H, gamma, r_HH, method, **quad)
        self.light = LightOnHeavy(self.grid_L, self.m_L, self.m_H, gamma, r_LH)
        self.heavy = HeavyOnLight(self.grid_H, self.m_L, self.m_H, gamma, r_LH)
        self._C = [g.conserved_basis(m) for g, m in zip(self.grids, self.masses)]
        self._share = [[0] + [2 + a for a in range(d)] + [2 + d],
                       [1] + [2 + a for a in range(d)] + [2 + d]]

    def _self(self, s, f):
        """Q_ss(f), projected to conserve species s's mass, momentum and energy on its own."""
        op = self.Q_LL if s == 0 else self.Q_HH
        return project_conservative([op(f)], [self._C[s]], [list(range(self._C[s].shape[0]))])[0]

    def _penalised(self, s, f, dt):
        """f + dt / (1 + dt beta) Q_ss(f), beta = sup of the loss frequency."""
        op = self.Q_LL if s == 0 else self.Q_HH
        beta = float(np.max(op.loss_frequency(f)))
        return f + dt / (1 + dt * beta) * self._self(s, f)

    def step(self, fs, dt: float):
        f_L, f_H = fs
        gL, gH = self.grids
        n_H, u_H, T_H = gH.moments(f_H, self.m_H)
        p0 = self._momentum(0, f_L)
        new_L = self.light.lorentz_step(f_L, n_H, u_H, dt)
        lost = p0 - self._momentum(0, new_L)  # what the heavy species must receive
        new_L = self._penalised(0, new_L, dt)
        new_L = new_L + dt * self.light.exchange(new_L, n_H, u_H, T_H)
        n_L, u_L, T_L = gL.moments(new_L, self.m_L)
        new_H = self._penalised(1, f_H, dt)
        beta = self.heavy.beta(gL, new_L, u_L)
        # the heavy drift centre that hands over exactly the momentum the light lost: the
        # explicit drift towards u_L would overshoot it when dt is longer than the light's
        # momentum relaxation (the Lorentz step is solved exactly)
        centre = u_H + lost / (dt * self.m_L * beta * n_H)
        new_H = new_H + dt * self.heavy(new_H, beta, centre, T_L)
        dL, dH = project_conservative([new_L - f_L, new_H - f_H], self._C, self._share,
                                      weights=[np.maximum(new_L, 0) / gL.dv,
                                               np.maximum(new_H, 0) / gH.dv])
        return [f_L + dL, f_H + dH]

    def _momentum(self, s, f):
        v = self.grids[s].mesh()
        return self.masses[s] * np.array([(va * f).sum() for va in v]) * self.grids[s].dv

    def rhs(self, fs):
        """The truncated model's right-hand side (for checks): Q_LL + L + E, Q_HH + FP."""
        f_L, f_H = fs
        gL, gH = self.grids
        n_H, u_H, T_H = gH.moments(f_H, self.m_H)
        n_L, u_L, T_L = gL.moments(f_L, self.m_L)
        qL = self._self(0, f_L) + self.light.lorentz(f_L, n_H, u_H) \
            + self.light.exchange(f_L, n_H, u_H, T_H)
        qH = self._self(1, f_H) + self.heavy(f_H, self.heavy.beta(gL, f_L, u_L), u_L, T_L)
        return [qL, qH]
