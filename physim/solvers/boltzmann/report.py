"""``physim analyse boltzmann OUT``: what a Boltzmann run did, checked against theory.

Homogeneous runs: the temperatures, the H-theorem, the BKW error and, for a mixture, the
epochal time scales. Runs in x: the drift of the conserved totals, the H-theorem, and for
a single-species shock tube the L1 distance of the last step from the exact Euler
Riemann solution (the fluid limit, gamma = (d + 2) / d).
"""
from __future__ import annotations

import json

import numpy as np

from .epochal import epochal_timescales, format_timescales
from .riemann import euler_riemann


def report(ds) -> str:
    t = ds.t_step.values
    lines = [f"{len(t)} steps, t = {t[0]:.4g} .. {t[-1]:.4g}; species "
             f"{', '.join(map(str, ds.species.values))}"]
    dH = np.diff(ds.H_mixture.values)
    h_line = (f"H-theorem: largest increase of H per step {max(dH.max(), 0.0) if dH.size else 0:.3g}"
              f" (H {ds.H_mixture.values[0]:.6g} -> {ds.H_mixture.values[-1]:.6g})")
    if "x" not in ds.dims:
        for s, name in enumerate(ds.species.values):
            lines.append(f"  {name}: T {ds.temperature.values[0, s]:.6g} -> "
                         f"{ds.temperature.values[-1, s]:.6g}, n drift "
                         f"{abs(ds.density.values[-1, s] - ds.density.values[0, s]):.2g}")
        lines.append(h_line)
        if "error_bkw" in ds:
            lines.append(f"BKW: max |f - f_exact| = {float(ds.error_bkw.max()):.3g}")
        if ds.sizes["species"] == 2:
            lines.append(format_timescales(epochal_timescales(ds)))
        return "\n".join(lines)
    p = json.loads(ds.attrs["parameters"])
    lines.append(f"{ds.sizes['x']} cells, dx = {float(ds.attrs['dx']):.4g}, "
                 f"boundary {p['space']['boundary']}")
    for key in ("mass", "energy"):
        v = ds[key].values.reshape(len(t), -1)
        lines.append(f"  total {key}: relative drift {np.abs(v / v[0] - 1).max():.3g}")
    lines.append(h_line + ("" if p["space"]["boundary"] != "outflow" else
                           " (outflow ends: H need not fall)"))
    if p["initial"]["kind"] == "riemann" and ds.sizes["species"] == 1:
        lines.append(euler_comparison(ds, p))
    return "\n".join(lines)


def euler_state(ds, p, x):
    """(rho, u, p) of the exact Euler solution at the last step, positions x."""
    d, m = int(ds.attrs["dim"]), float(np.atleast_1d(ds.attrs["masses"])[0])
    init = p["initial"]

    def state(side):
        n, T = float(_first(init[f"density_{side}"])), float(_first(init[f"temperature_{side}"]))
        return m * n, float(_first(init[f"drift_{side}"])), n * T
    t = float(ds.t_step.values[-1] - ds.t_step.values[0])
    return euler_riemann(x, t, state("left"), state("right"), (d + 2) / d,
                         init["position"] * p["space"]["length"])


def euler_comparison(ds, p) -> str:
    """L1 distances of n, u_x, p = n T at the last step from the exact Euler solution."""
    d, m = int(ds.attrs["dim"]), float(np.atleast_1d(ds.attrs["masses"])[0])
    rho, u, pr = euler_state(ds, p, ds.x.values)
    n = ds.density.values[-1, :, 0]
    ux = ds.velocity.values[-1, :, 0, 0]
    pn = n * ds.temperature.values[-1, :, 0]
    dx = float(ds.attrs["dx"])
    err = [np.abs(a - b).sum() * dx for a, b in ((m * n, rho), (ux, u), (pn, pr))]
    t = float(ds.t_step.values[-1] - ds.t_step.values[0])
    return (f"Euler limit (gamma = {(d + 2) / d:.4g}) at t = {t:.4g}: L1 distance of rho "
            f"{err[0]:.3g}, u {err[1]:.3g}, p {err[2]:.3g}")


def _first(v):
    return v[0] if isinstance(v, list) else v
