"""Truncated cross-collision operators for disparate masses (m_L / m_H = eps^2 -> 0).

Expanding the cross operators in eps (Degond & Lucquin-Desreux 1996; the truncation
of Hao, Jiang & Liu 2024), with c = v - u_H and Phi(r) = rate_LH r^gamma the
momentum-transfer rate of the isotropic VHS kernel:

* light scattered by heavy, leading order (Lorentz): L(f_L) = n_H Phi(|c|) (fbar - f_L),
  fbar the spherical mean of f_L about u_H. Elastic in the heavy frame: it keeps every
  |c| shell and relaxes f_L to isotropy about u_H.
* light, O(eps^2): the energy exchange, a Fokker-Planck operator on fbar,
  E(f_L) = (m_L/m_H) n_H div[Phi(|c|) (c fbar + (T_H/m_L) grad fbar)], whose kernel is the
  Maxwellian at T_H;
* heavy kicked by light, O(eps^2): Q_HL = (m_L/m_H) beta div[(V - u_L) f_H + (T_L/m_H) grad f_H]
  with beta = int f_L (Phi + |c| Phi'/d) dv (Lambda n_L for Maxwell molecules).

At finite eps the leading-order factors are replaced by the exact ones of the collision
kinematics (which cost nothing): the Lorentz rate carries m_H / (m_L + m_H) (the light's
momentum relaxes at that fraction of n_H Phi), E and the heavy Fokker-Planck operator
carry mu = m_L m_H / (m_L + m_H)^2 instead of m_L / m_H, and every cross rate is scaled by
(1 + (T_H/m_H) / (T_L/m_L))^(gamma/2), the heavy's thermal motion in the relative speed.
With them the moment equations of Maxwell molecules are exact at every eps, and the
two-Maxwellian temperature exchange of any VHS kernel (``exchange_factors``).

They need only the moments of the other species, so each species lives on its own grid
scaled to its own thermal speed. The spherical mean is spectral: with f = sum c_k e^{ik.v},
fbar(r) = sum_k c_k e^{ik.u} G(|k| r) / |S| on a radial grid, interpolated to |v - u| by a
cubic spline.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.interpolate import CubicSpline

from .spectral import SPHERE, _shell
from .velocity import VelocityGrid, project_conservative


def exchange_factors(m_L: float, m_H: float, gamma: float, T_L: float, T_H: float) -> tuple:
    """(momentum factor m_H / (m_L + m_H), reduced-mass factor mu = m_L m_H / (m_L + m_H)^2,
    thermal factor s = (1 + m_L T_H / (m_H T_L))^(gamma / 2)).

    Why these: for Maxwell molecules the exact rates are du_L/dt = -m_H/(m_L+m_H) Lambda
    n_H (u_L - u_H) and dT_L/dt = -2 mu Lambda n_H (T_L - T_H) (research note §4); the
    leading-order operators give 1 and m_L / m_H = eps^2 (a 56 % faster temperature
    exchange at eps = 0.5). For a VHS kernel the relative speed of two Maxwellians has the
    variance T_L/m_L + T_H/m_H, so the exchange rate scales as that to the power gamma/2;
    the light-on-fixed-scatterer operators see T_L/m_L alone.
    """
    M = m_L + m_H
    return m_H / M, (m_L / M) * (m_H / M), (1 + (m_L / m_H) * (T_H / T_L)) ** (gamma / 2)


class SphericalMean:
    """fbar(v) = mean of f over the sphere of radius |v - u| about u, on one grid."""

    def __init__(self, grid: VelocityGrid, n_r: int | None = None, radii=None):
        self.grid = g = grid
        self.n_r = 2 * g.N if n_r is None else int(n_r)
        # spheres of radius > L reach the periodic images of f: fbar is set to 0 there
        # (f must be negligible beyond L from u anyway, for the grid to hold it)
        self.r = np.linspace(0.0, g.L, self.n_r) if radii is None else np.asarray(radii)
        k = g.kmod().reshape(-1)
        self._G = _shell(g.d, np.outer(self.r, k)) / SPHERE[g.d]
        self._k = g.wavenumbers()
        self._v = g.mesh()

    def radial(self, f, u):
        """fbar on the radial grid ``self.r``."""
        g = self.grid
        phase = sum(ka * (ua + g.L) for ka, ua in zip(self._k, u))  # e^{ik.(u - v_0)}
        c = sfft.fftn(f) * np.exp(1j * phase) / f.size
        return (self._G @ c.reshape(-1)).real

    def __call__(self, f, u):
        return self.to_grid(self.radial(f, u), u)

    def to_grid(self, profile, u):
        """A radial profile on ``self.r`` (even in r) at the grid points, 0 beyond r[-1]."""
        r, y = self.r, profile
        if r[0] > 0:  # cell centres: mirror one point so the spline is even about 0
            r, y = np.r_[-r[0], r], np.r_[y[0], y]
            spline = CubicSpline(r, y, bc_type="not-a-knot")
        else:
            spline = CubicSpline(r, y, bc_type=((1, 0.0), "not-a-knot"))
        rad = np.sqrt(sum((va - ua) ** 2 for va, ua in zip(self._v, u)))
        return np.where(rad <= self.r[-1], spline(np.minimum(rad, self.r[-1])), 0.0)


def _div_flux(grid: VelocityGrid, flux):
    """Spectral divergence of a vector field (d, N, ..., N): mass conserved to round-off."""
    out = np.zeros(grid.shape)
    for a, ka in enumerate(grid.wavenumbers()):
        out += sfft.ifftn(1j * ka * sfft.fftn(flux[a])).real
    return out


def _grad(grid: VelocityGrid, f):
    fh = sfft.fftn(f)
    return np.stack([sfft.ifftn(1j * ka * fh).real for ka in grid.wavenumbers()])


class LightOnHeavy:
    """The truncated Q_LH on the light grid: exact Lorentz relaxation and the O(eps^2) exchange."""

    def __init__(self, grid: VelocityGrid, m_L: float, m_H: float, gamma: float, rate: float):
        self.grid, self.m_L, self.m_H, self.gamma, self.rate = grid, m_L, m_H, gamma, rate
        self.mean = SphericalMean(grid)
        self._v = grid.mesh()

    def _speed(self, u):
        return np.sqrt(sum((va - ua) ** 2 for va, ua in zip(self._v, u)))

    def lorentz_step(self, f, n_H, u_H, dt, scale=1.0):
        """The exact solution of df/dt = L(f) over dt: fbar + (f - fbar) exp(-nu dt),
        nu = scale n_H Phi (scale: the momentum and thermal factors of ``exchange_factors``)."""
        fbar = self.mean(f, u_H)
        nu = scale * n_H * self.rate * self._speed(u_H) ** self.gamma
        return f + self._elastic((fbar - f) * (1 - np.exp(-nu * dt)), f, u_H)

    def lorentz(self, f, n_H, u_H, scale=1.0):
        nu = scale * n_H * self.rate * self._speed(u_H) ** self.gamma
        return self._elastic(nu * (self.mean(f, u_H) - f), f, u_H)

    def _elastic(self, df, f, u_H):
        """df corrected (in the L2(1/f) metric) to keep mass and the kinetic energy about u_H
        exactly, as the elastic Lorentz collisions do: the spherical mean holds them only to
        its interpolation error, which would otherwise leak into the O(eps^2) exchange."""
        g = self.grid
        c2 = self._speed(u_H) ** 2
        C = np.array([np.ones(c2.size), 0.5 * c2.reshape(-1)]) * g.dv
        return project_conservative([df], [C], [[0, 1]],
                                    weights=[np.maximum(f, 0) / g.dv])[0]

    def _exchange_matrix(self, n_H, T_H, coef):
        """(cell volumes V, tridiagonal K as banded rows) with V df/dt = K f the radial form
        E = coef n_H r^{1-d} d/dr [r^{d-1} Phi (r f + theta f')], theta = T_H / m_L.

        Finite volumes on the cells of ``self.cells``; the face flux is written
        theta M (f/M)' with M = exp(-r^2 / 2 theta) and M at the face the geometric mean of
        its neighbours (Scharfetter-Gummel / Chang-Cooper fitting), so the discrete Maxwellian
        at T_H is an exact steady state, and no flux leaves r = 0 or r = R: mass is exact.
        """
        d, edges = self.grid.d, self._edges
        theta = T_H / self.m_L
        S = SPHERE[d]
        V = S / d * (edges[1:] ** d - edges[:-1] ** d)
        rf = edges[1:-1]  # interior faces
        dr = np.diff(self.cells)
        w = coef * n_H * self.rate * rf ** self.gamma * S * rf ** (d - 1) \
            * theta / dr
        a = np.exp((self.cells[1:] ** 2 - self.cells[:-1] ** 2) / (4 * theta))
        # flux into cell j from face j+1/2: w (f_{j+1} a - f_j / a)
        K = np.zeros((3, len(V)))
        K[1, :-1] -= w / a      # diagonal, cell j loses f_j / a through its outer face
        K[0, 1:] += w * a       # super-diagonal: gains f_{j+1} a
        K[1, 1:] -= w * a       # cell j+1 loses f_{j+1} a through its inner face
        K[2, :-1] += w / a      # sub-diagonal: gains f_j / a
        return V, K

    def _radial_setup(self):
        if getattr(self, "_cells", None) is None:
            g = self.grid
            J = 4 * g.N
            self._edges = np.linspace(0.0, g.L, J + 1)
            self.cells = 0.5 * (self._edges[1:] + self._edges[:-1])
            self._cells = SphericalMean(g, radii=self.cells)

    def exchange(self, f, n_H, u_H, T_H, coef=None):
        """E(f_L) at the grid points (the radial operator, interpolated); ``coef`` replaces
        the leading-order m_L / m_H (mu times the thermal factor)."""
        self._radial_setup()
        fr = self._cells.radial(f, u_H)
        V, K = self._exchange_matrix(n_H, T_H, self.m_L / self.m_H if coef is None else coef)
        Kf = K[1] * fr
        Kf[:-1] += K[0, 1:] * fr[1:]
        Kf[1:] += K[2, :-1] * fr[:-1]
        return self._cells.to_grid(Kf / V, u_H)

    def exchange_step(self, f, n_H, u_H, T_H, dt, coef=None):
        """f plus the backward-Euler increment of its isotropic part under E over dt
        (unconditionally stable: the hard-sphere rate grows with |c|)."""
        from scipy.linalg import solve_banded
        self._radial_setup()
        fr = self._cells.radial(f, u_H)
        V, K = self._exchange_matrix(n_H, T_H, self.m_L / self.m_H if coef is None else coef)
        A = -dt * K
        A[1] += V
        new = solve_banded((1, 1), A, V * fr)
        return f + self._cells.to_grid(new - fr, u_H)


class HeavyOnLight:
    """The truncated Q_HL on the heavy grid: a Fokker-Planck operator with kernel M(T_L),
    coef beta div[(V - u_L) f_H + (T_L/m_H) grad f_H], coef = mu (``exchange_factors``;
    the leading order is m_L / m_H)."""

    def __init__(self, grid: VelocityGrid, m_L: float, m_H: float, gamma: float, rate: float):
        self.grid, self.m_L, self.m_H, self.gamma, self.rate = grid, m_L, m_H, gamma, rate
        self.coef = exchange_factors(m_L, m_H, gamma, 1.0, 1.0)[1]
        self._v = grid.mesh()

    def beta(self, light_grid: VelocityGrid, f_L, u_L) -> float:
        """beta = int f_L (Phi + |c| Phi' / d) dv = rate (1 + gamma / d) int f_L |c|^gamma."""
        v = light_grid.mesh()
        c = np.sqrt(sum((va - ua) ** 2 for va, ua in zip(v, u_L)))
        d = light_grid.d
        return float(self.rate * (1 + self.gamma / d) * (f_L * c ** self.gamma).sum()
                     * light_grid.dv)

    def stable_step(self, beta, T_L, u) -> float:
        """A safe explicit step: 1/2 over the largest diffusion and drift rates of the grid."""
        g = self.grid
        coef = self.coef * beta
        k = np.pi / g.h
        v_max = np.sqrt(g.d) * g.L + float(np.linalg.norm(u))
        return 0.5 / (g.d * coef * T_L / self.m_H * k ** 2 + coef * v_max * k + coef * g.d)

    def __call__(self, F, beta, u_L, T_L):
        V = np.stack([va - ua for va, ua in zip(self._v, u_L)])
        flux = V * F + T_L / self.m_H * _grad(self.grid, F)
        return self.coef * beta * _div_flux(self.grid, flux)
