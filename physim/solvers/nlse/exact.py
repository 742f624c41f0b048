"""Exact NLSE solutions and closed-form predictions, for initial states and tests.

Canonical form i Φ_t + ½ Φ_XX + |Φ|² Φ = 0. A solution of the general
equation i ψ_t + β ψ_xx + γ |ψ|² ψ = 0 (β, γ > 0) is
ψ(x, t) = Φ(x / s, t) / √γ with s = √(2β); :func:`to_physical` applies that map,
so case parameters (amplitude, velocity, position) are in the physical units.
"""
from __future__ import annotations

import numpy as np


def scale(beta: float, gamma: float) -> float:
    if beta <= 0 or gamma <= 0:
        raise ValueError("the bright-soliton family needs beta > 0 and gamma > 0 (focusing)")
    return np.sqrt(2 * beta)


# -- canonical solutions ------------------------------------------------------
def soliton(X, t, eta=1.0, V=0.0, X0=0.0, phi0=0.0):
    """η sech(η(X − X0 − Vt)) exp(i[VX + ½(η² − V²)t + φ0])."""
    X = np.asarray(X, dtype=float)
    return (eta / np.cosh(eta * (X - X0 - V * t))
            * np.exp(1j * (V * X + 0.5 * (eta ** 2 - V ** 2) * t + phi0)))


def akhmediev(X, t, a=0.25):
    """Akhmediev breather on unit background (0 < a < ½); peak 1 + 2√(2a) at (0, 0)."""
    if not 0 < a < 0.5:
        raise ValueError(f"akhmediev a={a} must lie in (0, 0.5)")
    w = 2 * np.sqrt(1 - 2 * a)
    b = np.sqrt(8 * a * (1 - 2 * a))
    X = np.asarray(X, dtype=float)
    num = 2 * (1 - 2 * a) * np.cosh(b * t) + 1j * b * np.sinh(b * t)
    return np.exp(1j * t) * (1 + num / (np.sqrt(2 * a) * np.cos(w * X) - np.cosh(b * t)))


def akhmediev_params(a):
    """(spatial frequency ω, growth rate b, spatial period 2π/ω, peak amplitude)."""
    w = 2 * np.sqrt(1 - 2 * a)
    return w, np.sqrt(8 * a * (1 - 2 * a)), 2 * np.pi / w, 1 + 2 * np.sqrt(2 * a)


def peregrine(X, t):
    """Peregrine soliton: peak 3 at (0, 0) on unit background."""
    X = np.asarray(X, dtype=float)
    return np.exp(1j * t) * (1 - 4 * (1 + 2j * t) / (1 + 4 * X ** 2 + 4 * t ** 2))


def two_soliton_shifts(eta1, V1, eta2, V2):
    """Asymptotic position and phase shifts (δX1, δX2, δφ1, δφ2) of a collision.

    Zakharov–Shabat (1972), ζ_j = (−V_j + iη_j)/2, for V1 > V2: each soliton is
    pushed forward along its own direction of travel; δφ is the shift of the
    phase constant φ0 in :func:`soliton`.
    """
    if not V1 > V2:
        raise ValueError("two_soliton_shifts needs V1 > V2 (soliton 1 starts on the left)")
    dv = V1 - V2
    R = (dv ** 2 + (eta1 + eta2) ** 2) / (dv ** 2 + (eta1 - eta2) ** 2)
    dx1, dx2 = np.log(R) / eta1, -np.log(R) / eta2
    p = np.arctan((eta1 + eta2) / dv)
    dphi1 = 2 * (p - np.arctan((eta1 - eta2) / dv))
    dphi2 = 2 * (p - np.arctan((eta2 - eta1) / dv))
    return dx1, dx2, dphi1, dphi2


def mi_gain(k, amplitude=1.0, beta=0.5, gamma=1.0):
    """Amplitude growth rate of a perturbation e^{ikx} on ψ = A e^{iγA²t}.

    g(k) = |k| √(β(2γA² − βk²)) where positive, 0 elsewhere; the peak is γA²
    at k = A √(γ/β).
    """
    k = np.asarray(k, dtype=float)
    arg = beta * (2 * gamma * amplitude ** 2 - beta * k ** 2)
    return np.abs(k) * np.sqrt(np.clip(arg, 0, None))


# -- physical units -----------------------------------------------------------
def to_physical(fn, x, t, beta=0.5, gamma=1.0, **kw):
    """Evaluate canonical solution ``fn`` for the general (β, γ) equation."""
    s = scale(beta, gamma)
    return fn(np.asarray(x) / s, t, **kw) / np.sqrt(gamma)


def soliton_physical(x, t, amplitude, velocity, position, phase=0.0, beta=0.5, gamma=1.0):
    """Bright soliton with peak |ψ| = amplitude moving at ``velocity`` from ``position``."""
    s = scale(beta, gamma)
    return to_physical(soliton, x, t, beta, gamma, eta=amplitude * np.sqrt(gamma),
                       V=velocity / s, X0=position / s, phi0=phase)


def line_soliton(x, y, t, L, amplitude=2.0, velocity_modes=0, beta=0.5, gamma=1.0):
    """A 1-D bright soliton along the diagonal of the square periodic box [−L/2, L/2)².

    ψ(x, y, t) = u((x − y)/√2, t) with u a soliton of i u_t + β u_ss + γ|u|²u = 0
    (∇² of a function of (x − y)/√2 is its second s-derivative). The box is
    periodic in s with period P = L/√2, so u is wrapped onto one period; the
    carrier wavenumber is ``velocity_modes``·2π/P, which keeps e^{iks}
    periodic. The wrapping is exact up to the soliton's overlap with its own
    images, of relative size ~4 e^{−amplitude·√(γ/(2β))·P}.
    """
    s2 = scale(beta, gamma)
    P = L / np.sqrt(2) / s2  # the period in canonical units
    X = (np.asarray(x) - np.asarray(y)) / np.sqrt(2) / s2
    eta, V = amplitude * np.sqrt(gamma), 2 * np.pi * velocity_modes / P
    w = np.mod(X - V * t + P / 2, P) - P / 2
    return (eta / np.cosh(eta * w) * np.exp(1j * (V * X + 0.5 * (eta ** 2 - V ** 2) * t))
            / np.sqrt(gamma))
