"""Exact solutions for validation: the BKW solution of Maxwell molecules (2-D and 3-D).

Both have n = 1, u = 0, T = 1 (unit mass) and collision rate 1 (B = 1 / |S|):

* d = 2: f = exp(-|v|^2 / 2S) / (2 pi S^2) [2S - 1 + (1 - S) |v|^2 / (2S)], S = 1 - exp(-t/8) / 2;
* d = 3: f = (2 pi K)^{-3/2} exp(-|v|^2 / 2K) [(5K - 3) / (2K) + (1 - K) |v|^2 / (2K^2)],
  K = 1 - exp(-t/6); f >= 0 needs K >= 3/5, i.e. t >= 6 ln(5/2).

``bkw(grid, t)`` returns (f, df/dt) (the derivative by a complex step, exact to round-off).
"""
from __future__ import annotations

import numpy as np

T_MIN_3D = 6 * np.log(2.5)


def _bkw(v2, t, d):
    if d == 2:
        S = 1 - np.exp(-t / 8) / 2
        return np.exp(-v2 / (2 * S)) / (2 * np.pi * S ** 2) * (2 * S - 1 + (1 - S) * v2 / (2 * S))
    K = 1 - np.exp(-t / 6)
    return ((2 * np.pi * K) ** -1.5 * np.exp(-v2 / (2 * K))
            * ((5 * K - 3) / (2 * K) + (1 - K) * v2 / (2 * K ** 2)))


def bkw(grid, t: float):
    if grid.d == 3 and t < T_MIN_3D:
        raise ValueError(f"t = {t}: the 3-D BKW solution is a density only for t >= "
                         f"6 ln(5/2) = {T_MIN_3D:.4f}")
    if grid.d == 2 and t < 0:
        raise ValueError(f"t = {t}: the 2-D BKW solution starts at t = 0")
    v2 = (grid.mesh() ** 2).sum(0)
    h = 1e-30
    fc = _bkw(v2, t + 1j * h, grid.d)
    return fc.real, fc.imag / h


def krook_wu(grid, t: float, mass_ratio: float):
    """The Krook-Wu (1977) exact solution of a 3-D Maxwell-molecule binary mixture.

    Masses 1 and r, densities 1 and 1, self-collision rates 1 and cross rate 1/2
    (B_11 = B_22 = 1/4pi, B_12 = 1/8pi). With mu = 4r/(1+r)^2, lambda_ii = 1, lambda_ij = 1/2,
    p_1 = lambda_22 - lambda_21 mu (3 - 2 mu), p_2 = lambda_11 - lambda_12 mu (3 - 2 mu),
    A = [lambda_11 + lambda_21 mu (3 - 2 mu p_2/p_1)] / 6, B = [lambda_11 p_1 + lambda_21 mu (3 - 2 mu) p_2] / 3,
    Rr = A / (A e^{At} - B), R_i = p_i Rr, K = 2 / (2 + 2 (p_1 + p_2) Rr):

        f_i = (m_i / 2 pi K)^{3/2} exp(-m_i |v|^2 / 2K) (1 - 3 R_i + m_i R_i |v|^2 / K).

    Returns [(f_1, df_1/dt), (f_2, df_2/dt)] (derivatives by a complex step).
    """
    if grid.d != 3:
        raise ValueError("the Krook-Wu solution is for 3-D velocities")
    r = float(mass_ratio)
    mu = 4 * r / (1 + r) ** 2
    l_self, l_cross = 1.0, 0.5
    p = (l_self - l_cross * mu * (3 - 2 * mu), l_self - l_cross * mu * (3 - 2 * mu))
    A = (l_self + l_cross * mu * (3 - 2 * mu * p[1] / p[0])) / 6
    B = (l_self * p[0] + l_cross * mu * (3 - 2 * mu) * p[1]) / 3
    v2 = (grid.mesh() ** 2).sum(0)
    h = 1e-30
    tc = t + 1j * h
    Rr = A / (A * np.exp(A * tc) - B)
    K = 2 / (2 + 2 * (p[0] + p[1]) * Rr)
    out = []
    for m, pi in zip((1.0, r), p):
        R = pi * Rr
        f = (m / (2 * np.pi * K)) ** 1.5 * np.exp(-m * v2 / (2 * K)) * (1 - 3 * R + m * R * v2 / K)
        out.append((f.real, f.imag / h))
    return out
