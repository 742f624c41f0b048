"""The exact Riemann problem of the compressible Euler equations (ideal gas, ratio gamma).

The hydrodynamic limit of the Boltzmann equation (small Knudsen number) for a monatomic
gas with d velocity dimensions is the Euler system with gamma = (d + 2) / d and p = n T
(k_B = 1). The solution follows Toro, *Riemann Solvers and Numerical Methods for Fluid
Dynamics*, ch. 4: the star pressure is the root of the pressure function (bracketed and
solved by ``scipy.optimize.brentq``), then each point x / t is sampled in the fan of
shocks, rarefactions and the contact.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq


def _wave(p, rho, pk, gamma):
    """(f_K(p), the speed relation of one side) for the star pressure p."""
    a = np.sqrt(gamma * pk / rho)
    if p > pk:  # shock
        A, B = 2 / ((gamma + 1) * rho), (gamma - 1) / (gamma + 1) * pk
        return (p - pk) * np.sqrt(A / (p + B))
    return 2 * a / (gamma - 1) * ((p / pk) ** ((gamma - 1) / (2 * gamma)) - 1)


def star_state(left, right, gamma):
    """(p*, u*) between the two non-linear waves; states are (rho, u, p)."""
    (rl, ul, pl), (rr, ur, pr) = left, right
    al, ar = np.sqrt(gamma * pl / rl), np.sqrt(gamma * pr / rr)
    if 2 * (al + ar) / (gamma - 1) <= ur - ul:
        raise ValueError("the Riemann data create vacuum (2 (a_L + a_R) / (gamma - 1) <= u_R - u_L)")

    def g(p):
        return _wave(p, rl, pl, gamma) + _wave(p, rr, pr, gamma) + ur - ul
    hi = max(pl, pr)
    while g(hi) < 0:
        hi *= 2
    p = brentq(g, 1e-14 * min(pl, pr), hi, xtol=1e-15, rtol=1e-14)
    u = 0.5 * (ul + ur) + 0.5 * (_wave(p, rr, pr, gamma) - _wave(p, rl, pl, gamma))
    return p, u


def euler_riemann(x, t, left, right, gamma, x0=0.0):
    """(rho, u, p) at positions x and time t > 0 for a jump at x0 (states (rho, u, p))."""
    p_s, u_s = star_state(left, right, gamma)
    s = (np.asarray(x, float) - x0) / t
    out = np.empty((3,) + s.shape)
    g1, g2 = (gamma - 1) / (gamma + 1), (gamma - 1) / (2 * gamma)
    for side, sign in ((left, 1.0), (right, -1.0)):
        rho, u, p = side
        a = np.sqrt(gamma * p / rho)
        # mirror the right side onto the left-side formulas: x -> -x, u -> -u
        xi, uk, us = sign * s, sign * u, sign * u_s
        mask = (s < u_s) if sign > 0 else (s >= u_s)
        if p_s > p:  # shock
            rho_s = rho * (p_s / p + g1) / (g1 * p_s / p + 1)
            S = uk - a * np.sqrt((gamma + 1) / (2 * gamma) * p_s / p + g2)
            pre = xi < S
            vals = [np.where(pre, rho, rho_s), np.where(pre, uk, us), np.where(pre, p, p_s)]
        else:  # rarefaction
            rho_s = rho * (p_s / p) ** (1 / gamma)
            a_s = a * (p_s / p) ** g2
            head, tail = uk - a, us - a_s
            fan_rho = rho * (2 / (gamma + 1) + g1 / a * (uk - xi)) ** (2 / (gamma - 1))
            fan_u = 2 / (gamma + 1) * (a + (gamma - 1) / 2 * uk + xi)
            fan_p = p * (2 / (gamma + 1) + g1 / a * (uk - xi)) ** (2 * gamma / (gamma - 1))
            vals = [np.where(xi < head, rho, np.where(xi < tail, fan_rho, rho_s)),
                    np.where(xi < head, uk, np.where(xi < tail, fan_u, us)),
                    np.where(xi < head, p, np.where(xi < tail, fan_p, p_s))]
        vals[1] = sign * vals[1]
        for k in range(3):
            out[k] = np.where(mask, vals[k], out[k])
    return out[0], out[1], out[2]
