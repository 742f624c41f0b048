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


class SphericalMean:
    """fbar(v) = mean of f over the sphere of radius |v - u| about u, on one grid."""

    def __init__(self, grid: VelocityGrid, n_r: int | None = None):
        self.grid = g = grid
        self.n_r = 2 * g.N if n_r is None else int(n_r)
        # spheres of radius > L reach the periodic images of f: fbar is set to 0 there
        # (f must be negligible beyond L from u anyway, for the grid to hold it)
        self.r = np.linspace(0.0, g.L, self.n_r)
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
        fr = self.radial(f, u)
        spline = CubicSpline(self.r, fr, bc_type=((1, 0.0), "not-a-knot"))
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

    def lorentz_step(self, f, n_H, u_H, dt):
        """The exact solution of df/dt = L(f) over dt: fbar + (f - fbar) exp(-n_H Phi dt)."""
        fbar = self.mean(f, u_H)
        nu = n_H * self.rate * self._speed(u_H) ** self.gamma
        return f + self._elastic((fbar - f) * (1 - np.exp(-nu * dt)), f, u_H)

    def lorentz(self, f, n_H, u_H):
        nu = n_H * self.rate * self._speed(u_H) ** self.gamma
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

    def exchange(self, f, n_H, u_H, T_H):
        """E(f_L) = (m_L/m_H) n_H div[Phi(|c|) (c fbar + (T_H/m_L) grad fbar)]."""
        fbar = self.mean(f, u_H)
        c = np.stack([va - ua for va, ua in zip(self._v, u_H)])
        phi = self.rate * self._speed(u_H) ** self.gamma
        flux = phi * (c * fbar + T_H / self.m_L * _grad(self.grid, fbar))
        return self.m_L / self.m_H * n_H * _div_flux(self.grid, flux)


class HeavyOnLight:
    """The truncated Q_HL on the heavy grid: a Fokker-Planck operator with kernel M(T_L)."""

    def __init__(self, grid: VelocityGrid, m_L: float, m_H: float, gamma: float, rate: float):
        self.grid, self.m_L, self.m_H, self.gamma, self.rate = grid, m_L, m_H, gamma, rate
        self._v = grid.mesh()

    def beta(self, light_grid: VelocityGrid, f_L, u_L) -> float:
        """beta = int f_L (Phi + |c| Phi' / d) dv = rate (1 + gamma / d) int f_L |c|^gamma."""
        v = light_grid.mesh()
        c = np.sqrt(sum((va - ua) ** 2 for va, ua in zip(v, u_L)))
        d = light_grid.d
        return float(self.rate * (1 + self.gamma / d) * (f_L * c ** self.gamma).sum()
                     * light_grid.dv)

    def __call__(self, F, beta, u_L, T_L):
        V = np.stack([va - ua for va, ua in zip(self._v, u_L)])
        flux = V * F + T_L / self.m_H * _grad(self.grid, F)
        return self.m_L / self.m_H * beta * _div_flux(self.grid, flux)
