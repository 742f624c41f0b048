"""Asymptotic-preserving time stepping of the homogeneous mixture with disparate masses.

Light (mass m_L) and heavy (m_H = m_L / eps^2) species each live on their own grid,
scaled to their own thermal speed (the heavy grid is eps times narrower). One step of
length dt is a Lie splitting of the three time scales of Degond & Lucquin-Desreux:

1. light, fastest: the Lorentz part of Q_LH solved exactly (relaxation to isotropy about
   u_H), then Q_LL with a BGK penalisation (Filbet & Jin) at the rate nu(v), the loss
   frequency: f <- f + dt / (1 + dt nu) Q(f), stable for any dt (as dt -> inf, f + Q/nu =
   Q+(f)/nu, a positive relaxation step towards the Maxwellian);
2. heavy: Q_HH, penalised the same way;
3. slow exchange (O(eps^2) in physical time), applied before the self-collisions of each
   species: the light energy-exchange operator E by backward Euler on its radial form, the
   heavy Fokker-Planck operator explicitly (sub-cycled when dt exceeds its stable step).

The exchange terms carry the exact finite-eps factors (``disparate.exchange_factors``): the
reduced-mass factors of the collision kinematics and the heavy's thermal motion in the
relative speed, and the heavy relaxes towards the light's temperature about u_H (its share
of the frictional heating). The Maxwell-molecule moment equations are then exact at every
eps, not only as eps -> 0 (the leading-order factors were 15 % off at eps = 0.5).

The increments are then projected so that each species' mass and the total momentum and
energy are conserved to round-off. Nothing in the step depends on eps beyond the
operators' coefficients: with dt = dtau / eps^2 (tau = eps^2 t, the exchange time scale),
the step count and the cost per unit tau do not grow as eps -> 0.
"""
from __future__ import annotations

import numpy as np

from .disparate import HeavyOnLight, LightOnHeavy, exchange_factors
from .mixture import penalty_rate, self_operator
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
        return self._conserve(s, (self.Q_LL if s == 0 else self.Q_HH)(f))

    def _conserve(self, s, q, f=None):
        C = self._C[s]
        w = None if f is None else [np.maximum(f, 0) / self.grids[s].dv]
        return project_conservative([q], [C], [list(range(C.shape[0]))], weights=w)[0]

    def _penalised(self, s, f, dt):
        """f + dt / (1 + dt beta(v)) Q_ss(f), a BGK penalisation at the rate
        beta = ``penalty_rate`` of the loss frequency; as dt -> inf the step is
        f + Q(f) / beta. The velocity-dependent factor breaks the exact conservation of
        Q, so the increment is projected back (in the L2(1/f) metric)."""
        op = self.Q_LL if s == 0 else self.Q_HH
        beta = penalty_rate(op.loss_frequency(f), f)
        return f + self._conserve(s, dt / (1 + dt * beta) * self._self(s, f), f)

    def _factors(self, fs):
        """(Lorentz scale, exchange coefficient of E and of the heavy FP, thermal factor):
        the exact finite-eps factors of ``disparate.exchange_factors`` at the current
        temperatures."""
        T_L = self.grids[0].moments(fs[0], self.m_L)[2]
        T_H = self.grids[1].moments(fs[1], self.m_H)[2]
        a, mu, s = exchange_factors(self.m_L, self.m_H, self.gamma, T_L, T_H)
        return a * s, mu * s, s

    def step(self, fs, dt: float, lost=None):
        """One AP step of length dt. ``lost``: the light momentum the Lorentz collisions
        already took in this step elsewhere (the AP light transport in x,
        ``ap_space.LightDiffusion``, relaxes the light with them): the Lorentz step is then
        skipped, the heavy receives ``lost`` and the step's total momentum and energy
        change by what the heavy gains, lost and u_H . lost (the light's loss in the lab
        frame: the collisions are elastic in the heavy's frame)."""
        f_L, f_H = fs
        gL, gH = self.grids
        n_H, u_H, T_H = gH.moments(f_H, self.m_H)
        lorentz, coef, s = self._factors(fs)
        target = None
        if lost is None:
            p0 = self._momentum(0, f_L)
            new_L = self.light.lorentz_step(f_L, n_H, u_H, dt, lorentz)
            lost = p0 - self._momentum(0, new_L)  # what the heavy species must receive
        else:
            new_L, lost = f_L, np.asarray(lost, float)
            target = np.r_[0.0, 0.0, lost, float(u_H @ lost)]
        # the slow exchange before the self-collisions, so that each step ends on their
        # relaxation: the light's implicitly (radial, tridiagonal: the hard-sphere rate
        # grows with |c|), the heavy's explicitly, sub-cycled where one step of dt would
        # be unstable
        new_L = self.light.exchange_step(new_L, n_H, u_H, T_H, dt, coef)
        new_L = self._penalised(0, new_L, dt)
        n_L, u_L, T_L = gL.moments(new_L, self.m_L)
        beta = s * self.heavy.beta(gL, new_L, u_L)
        T_seen = self._seen_temperature(T_L, u_L, u_H)
        # the heavy drift centre that hands over exactly the momentum the light lost: the
        # explicit drift towards u_L would overshoot it when dt is longer than the light's
        # momentum relaxation (the Lorentz step is solved exactly)
        centre = u_H + lost / (dt * self.m_H * self.heavy.coef * beta * n_H)
        new_H = f_H
        for h in _substeps(dt, self.heavy.stable_step(beta, T_seen, centre)):
            new_H = new_H + h * self.heavy(new_H, beta, centre, T_seen)
        new_H = self._penalised(1, new_H, dt)
        dL, dH = project_conservative([new_L - f_L, new_H - f_H], self._C, self._share,
                                      target=target, weights=[np.maximum(new_L, 0) / gL.dv,
                                               np.maximum(new_H, 0) / gH.dv])
        return [f_L + dL, f_H + dH]

    def _seen_temperature(self, T_L, u_L, u_H):
        """The light temperature the heavy's Fokker-Planck operator relaxes it to:
        m_L <|v - u_H|^2> / d, T_L plus the light drift relative to the heavy. Its excess
        over T_L is the heavy's share, m_L / (m_L + m_H), of the exact frictional heating:
        E already takes that share from the light, because its fbar is the spherical mean
        about u_H (which holds the drift energy as heat)."""
        return T_L + self.m_L * float(np.sum((u_L - u_H) ** 2)) / self.grids[0].d

    def _momentum(self, s, f):
        v = self.grids[s].mesh()
        return self.masses[s] * np.array([(va * f).sum() for va in v]) * self.grids[s].dv

    def rhs(self, fs):
        """The truncated model's right-hand side (for checks): Q_LL + L + E, Q_HH + FP."""
        f_L, f_H = fs
        gL, gH = self.grids
        n_H, u_H, T_H = gH.moments(f_H, self.m_H)
        n_L, u_L, T_L = gL.moments(f_L, self.m_L)
        lorentz, coef, s = self._factors(fs)
        qL = self._self(0, f_L) + self.light.lorentz(f_L, n_H, u_H, lorentz) \
            + self.light.exchange(f_L, n_H, u_H, T_H, coef)
        # the drift centre that gives the heavy the momentum the Lorentz term takes from the
        # light: the coefficient mu fits the energy exchange, m_L / (m_L + m_H) the momentum
        centre = u_H + (u_L - u_H) / lorentz * s
        qH = self._self(1, f_H) + self.heavy(f_H, s * self.heavy.beta(gL, f_L, u_L), centre,
                                             self._seen_temperature(T_L, u_L, u_H))
        return [qL, qH]


def _substeps(dt, stable):
    """Equal sub-steps of dt, each no longer than ``stable``."""
    n = max(1, int(np.ceil(dt / stable)))
    return [dt / n] * n
