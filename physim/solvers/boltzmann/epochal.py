"""The three stages of epochal relaxation in a light/heavy mixture: observed time scales and theory.

For a binary gas with eps^2 = m_L / m_H << 1 (Degond & Lucquin-Desreux 1996), from any start:

1. t ~ 1: the light gas becomes Maxwellian with its mean velocity locked to the heavy one.
   Measured by the e-folding time of |u_L - u_H|. Theory: the momentum-transfer rate of the
   light scattered by the (nearly immobile) heavy particles for a Maxwellian light gas,
   nu_m = n_H rate (m_L / d T_L) <|c|^{2+gamma}>, times the recoil factor
   (m_H n_H + m_L n_L) / ((m_L + m_H) n_H) (exact for Maxwell molecules, where it is
   rate (m_H n_H + m_L n_L) / (m_L + m_H); for hard spheres the speed shells relax at
   different rates, so the observed decay is somewhat slower).
2. t ~ 1/eps (hard spheres; the heavy's collision rate scales with its thermal speed): the
   heavy gas becomes Maxwellian, measured by the e-folding time of the heavy anisotropy
   (T_x - T_perp)/T. Theory: a one-species gas, rate p / mu with the first Chapman-Enskog
   viscosity; for hard spheres p / mu = 16 / (5 sqrt(pi)) n rate sqrt(T / m) (an estimate:
   the first Chapman-Enskog approximation); for Maxwell molecules the traceless stress
   decays at exactly n rate / 2 (the O(eps^2) cross collisions aside).
3. t ~ 1/eps^2: the temperatures equalise. For Maxwellian species the exact rate is
   kappa = K mu_LH (n_L + n_H) (Maxwell: K = 2 rate; hard spheres: K = (64/3) sqrt(2 pi)
   rate / (4 pi) sqrt(T_L/m_L + T_H/m_H), mu_LH = m_L m_H / (m_L + m_H)^2), evaluated at the
   temperatures of the fitted window.

Each observed time is the inverse of the slope of log|quantity| fitted where the quantity
lies between ``hi`` and ``lo`` of its initial value (``lo_temperature`` for stage 3: the
scheme's equilibrium T_L - T_H is not exactly 0 but a discretisation offset, about 0.3 % of
T at N = 24, which would bend the fit below that).
"""
from __future__ import annotations

import json

import numpy as np
from scipy.special import gamma as Gamma


def _fit(t, y, hi, lo):
    """(e-folding time, window start, window end) of |y| between hi and lo of |y[0]|."""
    a = np.abs(y) / abs(y[0])
    start = np.argmax(a < hi)
    below = np.nonzero(a[start:] < lo)[0]
    stop = start + (below[0] if len(below) else len(a) - start - 1)
    if stop - start < 3:
        return np.nan, np.nan, np.nan
    slope = np.polyfit(t[start:stop + 1], np.log(np.abs(y[start:stop + 1])), 1)[0]
    return -1.0 / slope, t[start], t[stop]


def speed_moment(d, p, T, m):
    """<|c|^p> of a d-dimensional Maxwellian at temperature T for mass m."""
    return (2 * T / m) ** (p / 2) * Gamma((d + p) / 2) / Gamma(d / 2)


def epochal_timescales(ds, hi: float = 0.3, lo: float = 0.01, lo_temperature: float = 0.1) -> dict:
    """Observed and theoretical time scales of the three stages from a two-species run."""
    p = json.loads(ds.attrs["parameters"])
    m = np.asarray(ds.attrs["masses"], float).reshape(-1)
    if len(m) != 2:
        raise ValueError("epochal time scales need a two-species run")
    c = p["collision"]
    gam, d = c["gamma"], int(ds.attrs["dim"])
    rate = c["cross_rate"]
    self_rates = c["self_rates"] if isinstance(c["self_rates"], list) else [c["self_rates"]] * 2
    t = ds.t_step.values
    n = ds.density.values[0]
    T = ds.temperature.values
    u = ds.velocity.values
    out = {"eps": float(np.sqrt(m[0] / m[1]))}
    # 1. light drift locked to the heavy
    du = np.linalg.norm(u[:, 0] - u[:, 1], axis=-1)
    tau, a, b = _fit(t, du, hi, lo)
    TL = float(np.interp(0.5 * (a + b), t, T[:, 0])) if np.isfinite(a) else T[0, 0]
    # the reduced-mass factor: the heavy recoils, so u_L - u_H decays at
    # rate (m_H n_H + m_L n_L) / (m_L + m_H) for Maxwell molecules (exact)
    recoil = (m[1] * n[1] + m[0] * n[0]) / ((m[0] + m[1]) * n[1])
    nu_m = recoil * n[1] * rate * m[0] / (d * TL) * speed_moment(d, 2 + gam, TL, m[0])
    out["light_drift"] = {"observed": tau, "theory": 1 / nu_m, "window": (a, b)}
    # 2. heavy anisotropy
    tau, a, b = _fit(t, ds.anisotropy.values[:, 1], hi, lo)
    TH = float(np.interp(0.5 * (a + b), t, T[:, 1])) if np.isfinite(a) else T[0, 1]
    if gam == 1.0 and d == 3:
        p_over_mu = 16 / (5 * np.sqrt(np.pi)) * n[1] * self_rates[1] * np.sqrt(TH / m[1])
        out["heavy_anisotropy"] = {"observed": tau, "theory": 1 / p_over_mu, "window": (a, b)}
    elif gam == 0.0:  # Maxwell molecules: the traceless stress decays at n rate / 2, exactly
        out["heavy_anisotropy"] = {"observed": tau, "theory": 2 / (n[1] * self_rates[1]),
                                   "window": (a, b)}
    else:
        out["heavy_anisotropy"] = {"observed": tau, "theory": np.nan, "window": (a, b)}
    # 3. temperature exchange
    tau, a, b = _fit(t, T[:, 0] - T[:, 1], hi, lo_temperature)
    sl = (t >= a) & (t <= b) if np.isfinite(a) else slice(None)
    TL, TH = float(T[sl, 0].mean()), float(T[sl, 1].mean())
    mu = m[0] * m[1] / (m[0] + m[1]) ** 2
    if gam == 0.0:
        K = 2 * rate
    elif gam == 1.0 and d == 3:
        K = (64 / 3) * np.sqrt(2 * np.pi) * rate / (4 * np.pi) * np.sqrt(TL / m[0] + TH / m[1])
    else:
        K = np.nan
    out["temperature"] = {"observed": tau, "theory": 1 / (K * mu * n.sum()), "window": (a, b)}
    return out


def format_timescales(r: dict) -> str:
    lines = [f"eps = {r['eps']:.4g}: e-folding times (observed / theory)"]
    for key, label in (("light_drift", "1. light drift locks to the heavy"),
                       ("heavy_anisotropy", "2. heavy becomes Maxwellian"),
                       ("temperature", "3. temperatures equalise")):
        s = r[key]
        lines.append(f"  {label}: {s['observed']:.4g} / {s['theory']:.4g} "
                     f"(fitted over t = {s['window'][0]:.3g}..{s['window'][1]:.3g})")
    return "\n".join(lines)
