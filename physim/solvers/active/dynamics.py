"""Stochastic updates of self-propelled particles (Euler-Maruyama, exact OU for the propulsion).

AOUP (the model of Boffi & Vanden-Eijnden 2024), per particle i in 2-D:

    dx_i = [v0 g_i + F_i(x) - A (x_i - c)] dt + sqrt(2 eps) dW_i
    dg_i = -gamma g_i dt + sqrt(2 gamma) dB_i          (stationary g ~ N(0, I))

ABP: e_i = (cos th_i, sin th_i),
    dx_i = [v0 e_i + F_i(x) - A (x_i - c)] dt + sqrt(2 eps) dW_i,   dth_i = sqrt(2 D_r) dB_i.

x is advanced by Euler-Maruyama; g by its exact OU transition, g e^{-gamma dt} +
sqrt(1 - e^{-2 gamma dt}) xi (the paper's scheme), th by its exact Brownian increment.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True)
def step_aoup(x, g, f, xi, eta, dt, v0, eps, decay, kick, A, cx, cy, L, periodic):
    sx = math.sqrt(2.0 * eps * dt)
    for i in range(x.shape[0]):
        bx = v0 * g[i, 0] + f[i, 0]
        by = v0 * g[i, 1] + f[i, 1]
        _move(x, i, bx, by, dt, sx, xi, A, cx, cy, L, periodic)
        g[i, 0] = decay * g[i, 0] + kick * eta[i, 0]
        g[i, 1] = decay * g[i, 1] + kick * eta[i, 1]


@nb.njit(cache=True)
def step_abp(x, th, f, xi, eta, dt, v0, eps, Dr, A, cx, cy, L, periodic):
    sx = math.sqrt(2.0 * eps * dt)
    sr = math.sqrt(2.0 * Dr * dt)
    for i in range(x.shape[0]):
        bx = v0 * math.cos(th[i]) + f[i, 0]
        by = v0 * math.sin(th[i]) + f[i, 1]
        _move(x, i, bx, by, dt, sx, xi, A, cx, cy, L, periodic)
        th[i] += sr * eta[i, 0]


@nb.njit(cache=True, inline="always")
def _move(x, i, bx, by, dt, sx, xi, A, cx, cy, L, periodic):
    """Euler-Maruyama step of particle i with drift (bx, by) plus the trap, wrapped."""
    if A != 0.0:
        bx -= A * _disp(x[i, 0] - cx, L, periodic)
        by -= A * _disp(x[i, 1] - cy, L, periodic)
    x[i, 0] += dt * bx + sx * xi[i, 0]
    x[i, 1] += dt * by + sx * xi[i, 1]
    if periodic:
        x[i, 0] %= L
        x[i, 1] %= L


@nb.njit(cache=True, inline="always")
def _disp(d, L, periodic):
    if periodic:
        if d > 0.5 * L:
            return d - L
        if d < -0.5 * L:
            return d + L
    return d


def ou_coefficients(gamma: float, dt: float) -> tuple[float, float]:
    """(e^{-gamma dt}, sqrt(1 - e^{-2 gamma dt})): the exact OU transition of g."""
    decay = math.exp(-gamma * dt)
    return decay, math.sqrt(-math.expm1(-2.0 * gamma * dt))
