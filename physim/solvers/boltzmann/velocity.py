"""Periodic velocity grids, moments, Maxwellians, the H-functional and the conservation projection.

A grid holds N points per axis on [-L, L)^d (spacing h = 2L/N), the periodic box of
the spectral collision operators: v_j = -L + j h. Moments of a species of mass m:

    n = int f,   u = int v f / n,   T = m int |v - u|^2 f / (d n),

and its Maxwellian M = n (m / 2 pi T)^{d/2} exp(-m |v - u|^2 / 2T).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VelocityGrid:
    d: int
    N: int
    L: float

    def __post_init__(self):
        if self.d not in (2, 3):
            raise ValueError(f"velocity dimension d = {self.d}: expected 2 or 3")
        if self.N < 4 or self.N % 2:
            raise ValueError(f"N = {self.N}: expected an even number >= 4")
        if not self.L > 0:
            raise ValueError(f"L = {self.L}: expected > 0")

    @property
    def h(self) -> float:
        return 2 * self.L / self.N

    @property
    def dv(self) -> float:
        """Volume of one cell, h^d."""
        return self.h ** self.d

    @property
    def axis(self) -> np.ndarray:
        return -self.L + self.h * np.arange(self.N)

    @property
    def shape(self) -> tuple:
        return (self.N,) * self.d

    def mesh(self) -> np.ndarray:
        """Velocities, shape (d, N, ..., N)."""
        return np.stack(np.meshgrid(*([self.axis] * self.d), indexing="ij"))

    def wavenumbers(self) -> list:
        """Angular wavenumbers k = pi m / L per axis, in FFT order."""
        k = np.pi / self.L * np.fft.fftfreq(self.N, 1.0 / self.N)
        return [k.reshape((-1,) + (1,) * (self.d - 1 - a)) for a in range(self.d)]

    def kmod(self) -> np.ndarray:
        k = self.wavenumbers()
        return np.sqrt(sum(ka ** 2 for ka in k))

    # ---- moments -------------------------------------------------------------------------
    def density(self, f) -> float:
        return float(f.sum() * self.dv)

    def moments(self, f, m: float = 1.0) -> tuple:
        """(n, u (d,), T) of f for particles of mass m."""
        v = self.mesh()
        n = f.sum() * self.dv
        u = np.array([(va * f).sum() for va in v]) * self.dv / n
        c2 = sum((va - ua) ** 2 for va, ua in zip(v, u))
        T = m * (c2 * f).sum() * self.dv / (self.d * n)
        return float(n), u, float(T)

    def maxwellian(self, n: float, u, T: float, m: float = 1.0) -> np.ndarray:
        v = self.mesh()
        c2 = sum((va - ua) ** 2 for va, ua in zip(v, np.broadcast_to(u, (self.d,))))
        return n * (m / (2 * np.pi * T)) ** (self.d / 2) * np.exp(-m * c2 / (2 * T))

    def entropy(self, f) -> float:
        """The H-functional int f ln f (the Boltzmann entropy is -H); f <= 0 contributes 0."""
        pos = f > 0
        return float((f[pos] * np.log(f[pos])).sum() * self.dv)

    def conserved_basis(self, m: float = 1.0) -> np.ndarray:
        """Rows 1, m v_a, m |v|^2 / 2 (times h^d): the collision invariants, shape (d + 2, N^d)."""
        v = self.mesh().reshape(self.d, -1)
        rows = [np.ones(v.shape[1])] + [m * va for va in v] + [0.5 * m * (v ** 2).sum(0)]
        return np.array(rows) * self.dv


def project_conservative(Q: list, C: list, share: list, target=None, weights=None) -> list:
    """Least-squares correction of operators so that chosen moments take exact values.

    Q : per-species arrays (the collision terms); C : per-species matrices whose rows are
    moments (e.g. ``conserved_basis``); ``share[s]`` maps species s's rows to the rows of
    the joint constraint (e.g. mass per species, summed momentum and energy). The
    correction minimises sum_s |dQ_s|^2 subject to sum_s A_s (Q_s + dQ_s) = target
    (default 0), where A_s places C_s's rows by ``share``: dQ = A^T (A A^T)^-1 (target - A Q).
    ``weights`` (per-species arrays W_s >= 0) minimise sum_s |dQ_s|^2 / W_s instead, so
    dQ_s = W_s A_s^T lambda: with W_s = f_s / h_s^d the correction is f_s times a collision
    invariant (the L2(1/f) metric), which does not depend on how the species' grids are
    scaled.
    """
    rows = 1 + max(max(s) for s in share)
    A = [np.zeros((rows, c.shape[1])) for c in C]
    for a, c, s in zip(A, C, share):
        for r_src, r_dst in enumerate(s):
            a[r_dst] += c[r_src]
    flat = [q.reshape(-1) for q in Q]
    resid = (np.zeros(rows) if target is None else np.asarray(target, float)) \
        - sum(a @ q for a, q in zip(A, flat))
    W = [np.ones(q.size) if weights is None else np.asarray(w, float).reshape(-1)
         for q, w in zip(flat, weights or [None] * len(flat))]
    G = sum((a * w) @ a.T for a, w in zip(A, W))
    lam = np.linalg.solve(G, resid)
    return [(q + w * (a.T @ lam)).reshape(qs.shape) for q, a, w, qs in zip(flat, A, W, Q)]
