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
