"""Asymptotic-preserving transport of the light species in x (``space.light_transport = "ap"``).

The light gas streams at its own thermal speed, eps^-1 times the heavy's, and the Lorentz
collisions with the heavy relax it to isotropy about u_H at the rate nu(c) = a n_H Phi(|c|)
(c = v - u_H, a the momentum and thermal factors of ``disparate.exchange_factors``). When
its mean free path is short against the cells, what survives on the heavy's time scale is
the diffusion of its density,

    d_t n_L = d_x (D d_x n_L),   D = < v_x^2 / nu(c) >_M  (the average over the light
                                                            Maxwellian: T_L / (m_L a n_H
                                                            rate) for Maxwell molecules),

and an explicit transport must still take steps dt <= dx / max|v_x| of the light's flight.
This step keeps f_L = fbar + g (fbar = Pi f_L, the spherical mean about u_H in the cell, the
kernel of the Lorentz operator; g the anisotropic rest) and solves, per step dt
(a micro-macro decomposition, after Lemou & Mieussens 2008, with the stiff parts implicit):

1. macro: fbar' - dt D_x(kappa D_x fbar') = fbar - dt Pi[v_x D_x (g / (1 + dt nu) + fbar)],
   kappa = |c|^2 / d * dt / (1 + dt nu) at the faces: the flux of g that the implicit
   relaxation below gives, substituted back (a Schur complement; Pi(v_x^2 h) = |c|^2 / d h
   for an isotropic h). D_x on the right is centred, the left side the compact three-point
   Laplacian, one cyclic tridiagonal system per velocity node;
2. micro: (1 + dt nu) g' + dt v_x D_x^up g' = g - dt (I - Pi)[v_x D_x fbar'], implicit
   first-order upwind, one cyclic bidiagonal system per velocity node; g' <- (I - Pi) g';
3. f' = fbar' + g', corrected (in the L2(1/f) metric, ``project_conservative``) so that
   each cell's mass, momentum and energy change as the face fluxes of step 1 and the
   Lorentz friction say (the spherical mean holds them to its interpolation error only):
   the light mass, and with the heavy's share the total momentum and energy, are
   conserved to round-off.

As dt nu -> inf, g' -> -(I - Pi) v_x D_x fbar' / nu and step 1 is backward Euler for the
diffusion of every |c| shell with r^2 / (d nu(r)); the light self-collisions (in the cell
step) hold the shells on the Maxwellian, whose average is D. As dt nu -> 0 the step is a
consistent first-order transport. For a Fourier mode step 1-2 is stable at any dt (the
implicit Laplacian outweighs the explicit centred coupling), so the step is set by the
heavy species (its explicit transport, dt <= dx / velocity.L_heavy) and by accuracy, not by
eps. The momentum the Lorentz term takes from the light, dt m_L int v nu g' dv per cell,
is handed to the heavy in the cell's collision step (``DisparateMixture.step(lost=)``).

Periodic boxes on one rank only: the implicit systems run along the whole of x.
"""
from __future__ import annotations

import numpy as np

from .velocity import project_conservative


def _cyclic_tridiagonal(lo, di, up, r):
    """Solve lo_j x_{j-1} + di_j x_j + up_j x_{j+1} = r_j, j periodic (axis 0), batched over
    the other axes (Thomas with the Sherman-Morrison correction; the matrices here are
    strictly diagonally dominant)."""
    gam = -di[0]
    alpha, beta = up[-1], lo[0]  # corners: A[n-1, 0], A[0, n-1]
    bb = di.copy()
    bb[0] = di[0] - gam
    bb[-1] = di[-1] - alpha * beta / gam
    u = np.zeros_like(r)
    u[0], u[-1] = gam, alpha
    x = _thomas(lo, bb, up, np.stack([r, u]))
    x, z = x[:, 0], x[:, 1]
    fact = (x[0] + beta * x[-1] / gam) / (1 + z[0] + beta * z[-1] / gam)
    return x - fact * z


def _thomas(lo, di, up, r):
    """Tridiagonal solve along axis 0 of di (r has one more leading axis after it: the
    right-hand sides, solved together)."""
    n = len(di)
    c = np.empty_like(di)
    d = np.empty((n,) + r.shape[:1] + r.shape[2:])
    r = np.moveaxis(r, 1, 0)  # (n, k, ...)
    c[0] = up[0] / di[0]
    d[0] = r[0] / di[0]
    for j in range(1, n):
        m = di[j] - lo[j] * c[j - 1]
        c[j] = up[j] / m
        d[j] = (r[j] - lo[j] * d[j - 1]) / m
    for j in range(n - 2, -1, -1):
        d[j] = d[j] - c[j] * d[j + 1]
    return d


def _cyclic_upwind(a, b, r):
    """Solve a_j x_j - b_j x_{j-1} = r_j, j periodic (axis 0), 0 <= b < a: the implicit
    upwind step of a positive speed."""
    alpha, beta = b / a, r / a
    p, h = np.zeros_like(beta), np.ones_like(alpha)
    pj, hj = np.zeros_like(beta[0]), np.ones_like(alpha[0])
    for j in range(len(a)):
        pj = alpha[j] * pj + beta[j]
        hj = alpha[j] * hj
        p[j], h[j] = pj, hj
    last = p[-1] / (1 - h[-1])
    return p + h * last


class LightDiffusion:
    """The AP light transport with the Lorentz relaxation, on all the cells of a periodic box."""

    def __init__(self, model, dx: float):
        self.model, self.dx = model, float(dx)
        self.grid = g = model.grid_L
        self.mean = model.light.mean
        self.v = g.mesh()
        self.vx = self.v[0]
        self._C = g.conserved_basis(model.m_L)

    def _pi(self, h, u):
        """The spherical mean of every cell's h about that cell's u_H."""
        return np.stack([self.mean(hj, uj) for hj, uj in zip(h, u)])

    def heavy_moments(self, f_L, f_H):
        """Per cell: (n_H, u_H (d,), nu (cells, *velocity))."""
        m = self.model
        gH, light = m.grid_H, m.light
        n, u, nu = [], [], []
        for fl, fh in zip(f_L, f_H):
            nH, uH, _ = gH.moments(fh, m.m_H)
            scale = m._factors([fl, fh])[0]
            c = np.sqrt(sum((va - ua) ** 2 for va, ua in zip(self.v, uH)))
            n.append(nH)
            u.append(uH)
            nu.append(scale * nH * light.rate * c ** light.gamma)
        return np.array(n), np.array(u), np.array(nu)

    def __call__(self, f_L, f_H, dt: float):
        """(f_L after dt, the momentum (cells, d) the Lorentz collisions took from it)."""
        g_, dx, d = self.grid, self.dx, self.grid.d
        vx = self.vx
        _, u, nu = self.heavy_moments(f_L, f_H)
        nxt = lambda a: np.roll(a, -1, axis=0)  # a_{j+1}: the cell right of face j + 1/2
        prv = lambda a: np.roll(a, 1, axis=0)
        fbar = self._pi(f_L, u)
        g = f_L - fbar
        # faces j + 1/2: the mean of the two cells' rates and heavy velocities
        nu_f = 0.5 * (nu + nxt(nu))
        u_f = 0.5 * (u + nxt(u))
        c2_f = np.stack([sum((va - ua) ** 2 for va, ua in zip(self.v, uf)) for uf in u_f])
        kappa = c2_f / d * dt / (1 + dt * nu_f) * (dt / dx ** 2)
        # 1. macro: the explicit fluxes (memory of g, centred fbar), then the implicit
        # diffusion that the relaxation of g gives
        F = vx * 0.5 * (g / (1 + dt * nu) + nxt(g / (1 + dt * nu)) + fbar + nxt(fbar))
        div = (F - prv(F)) * (dt / dx)
        rhs = fbar - self._pi(div, u)
        lo, up = -prv(kappa), -kappa
        fbar_new = _cyclic_tridiagonal(lo, 1 - lo - up, up, rhs)
        # 2. micro: implicit relaxation and upwind transport of g
        grad = vx * (nxt(fbar_new) - prv(fbar_new)) * (dt / (2 * dx))
        src = g - (grad - self._pi(grad, u))
        b = np.broadcast_to(np.abs(vx) * (dt / dx), nu.shape)
        a = 1 + dt * nu + b
        right = vx > 0
        fwd = _cyclic_upwind(a, b, src)
        bwd = _cyclic_upwind(a[::-1], b[::-1], src[::-1])[::-1]
        g_new = np.where(right, fwd, bwd)
        g_new = g_new - self._pi(g_new, u)
        f_new = fbar_new + g_new
        m_L = self.model.m_L
        sumv = tuple(range(1, f_L.ndim))
        lost = dt * m_L * g_.dv * np.stack([(va * nu * g_new).sum(sumv) for va in self.v], 1)
        # 3. each cell's mass, momentum and energy from the flux form of step 1 (the same
        # face fluxes for every moment: the sums over cells telescope) and the Lorentz
        # collisions (the light loses ``lost`` and, elastic in the heavy's frame,
        # u_H . lost of energy): the spherical means hold them to their interpolation
        # error only
        flux = F - kappa * dx / dt * (nxt(fbar_new) - fbar_new)  # with the implicit diffusion
        change = -(flux - prv(flux)) * (dt / dx)
        # the momentum: the pressure of fbar', as in step 2 (the micro step builds the
        # light's momentum from it; with fbar the balance would be off by dt^2 d_x d_t p)
        dp = vx * 0.5 * (fbar_new - fbar + nxt(fbar_new - fbar))
        change_p = change - (dp - prv(dp)) * (dt / dx)
        C = self._C
        out = np.empty_like(f_new)
        for j in range(len(f_new)):
            target = C @ change[j].reshape(-1)
            target[1:1 + d] = C[1:1 + d] @ change_p[j].reshape(-1)
            target[1:1 + d] -= lost[j]
            target[1 + d] -= u[j] @ lost[j]
            out[j] = f_L[j] + project_conservative(
                [f_new[j] - f_L[j]], [C], [list(range(d + 2))], target=target,
                weights=[np.maximum(f_new[j], 0) / g_.dv])[0]
        return out, lost

    def diffusion(self, f_L, f_H):
        """D per cell: < v_x^2 / nu > over the Maxwellian of the cell's light density and
        temperature about u_H."""
        g, m = self.grid, self.model
        _, u, nu = self.heavy_moments(f_L, f_H)
        out = []
        for fl, uj, nj in zip(f_L, u, nu):
            n, _, T = g.moments(fl, m.m_L)
            M = g.maxwellian(1.0, uj, T, m.m_L)
            out.append(float(((self.vx - uj[0]) ** 2 * M / nj).sum() / M.sum()))
        return np.array(out)
