"""Tabulated fibre data on the GNLSE's frequency grid: the dispersion (β or n_eff), the
loss and the effective area, each given against the wavelength in nm.

Every table is interpolated on the angular frequency ω = 2πc/λ (where the GNLSE lives):
β with a not-a-knot cubic spline, whose first derivative at the carrier gives β1 (the
group delay the retarded frame removes, as gnlse-python's
``DispersionFiberFromInterpolation``) and whose second is smooth, so the GVD has no
kinks; loss and area with the shape-preserving PCHIP interpolant, which never
overshoots, so a measured loss with a sharp absorption peak does not turn into gain,
nor an area negative.

Outside the table (``outside``): ``refuse`` stops with one line naming the key, the
table's range and the grid's; ``extend`` continues β with the group velocity of the
table's end (a straight line in ω: no dispersion beyond it) and holds loss and area at
their end values. The carrier must lie inside every table either way.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline, PchipInterpolator

from ....inputs import fail
from .model import C_NM_PS

C_M_PS = 2.99792458e-4          # speed of light in m/ps
OUTSIDE = ("refuse", "extend")


def _nm(w):
    """The wavelength in nm of the angular frequency w (rad/ps); inf at 0."""
    return 2 * np.pi * C_NM_PS / w if w > 0 else math.inf


class Table:
    """values(ω) of a table given against the wavelength (nm), ω in rad/ps ascending."""

    def __init__(self, key, wavelength, values, outside, smooth):
        lam = np.asarray(wavelength, dtype=float)
        if np.any(lam <= 0):
            fail(key, "the wavelengths must be > 0 nm")
        w = 2 * np.pi * C_NM_PS / lam
        order = np.argsort(w)
        self.key, self.outside, self.smooth = key, outside, smooth
        self.w = w[order]
        self.values = np.asarray(values, dtype=float)[order]
        self.f = (CubicSpline(self.w, self.values) if smooth
                  else PchipInterpolator(self.w, self.values))

    def range(self) -> str:
        return f"{_nm(self.w[-1]):.6g} to {_nm(self.w[0]):.6g} nm"

    def inside(self, w0, what="the carrier"):
        if not self.w[0] <= w0 <= self.w[-1]:
            fail(self.key, f"the table covers {self.range()}; {what} ({_nm(w0):.6g} nm) is "
                 "outside it")

    def __call__(self, w):
        """The table at the grid's ω (rad/ps), or one line when it leaves the table."""
        w = np.asarray(w, dtype=float)
        lo, hi = float(w.min()), float(w.max())
        tol = 1e-12 * self.w[-1]
        if self.outside == "refuse" and (lo < self.w[0] - tol or hi > self.w[-1] + tol):
            fail(self.key, f"the table covers {self.range()}; the grid's frequencies span "
                 f"{_nm(hi):.6g} to {_nm(lo):.6g} nm (grid.wavelength, grid.N / "
                 "grid.window): give a wider table, a narrower frequency span, or outside "
                 "= 'extend'")
        wc = np.clip(w, self.w[0], self.w[-1])
        out = self.f(wc)
        if self.smooth:  # a straight line beyond the ends, with the end's slope
            out = out + self.f(wc, 1) * (w - wc)
        return out


def dispersion(key, wavelength, values, quantity, unit_m, omega0, outside):
    """β(ω) − β(ω0) − β1 (ω − ω0) in 1/unit as a function of the absolute ω (rad/ps), from
    a table of β (1/unit) or n_eff (β = n_eff ω / c); β1 = dβ/dω at ω0 from the spline."""
    lam = np.asarray(wavelength, dtype=float)
    w = 2 * np.pi * C_NM_PS / np.abs(lam)   # Table refuses lam <= 0
    v = np.asarray(values, dtype=float)
    if quantity == "n_eff":
        if np.any(v <= 0):
            fail(key, "n_eff must be > 0")
        beta = v * w / (C_M_PS / unit_m)
    else:
        beta = v
    # β itself is ~10⁷/m; the straight line through the ends (removed with β0 and β1
    # anyway) is taken off first, so the spline holds numbers of the dispersion's size
    i, j = np.argmin(w), np.argmax(w)
    line = beta[i] + (beta[j] - beta[i]) / (w[j] - w[i]) * (w - w[i])
    t = Table(key, lam, beta - line, outside, smooth=True)
    t.inside(omega0)
    r0, r1 = float(t.f(omega0)), float(t.f(omega0, 1))

    def B(w_abs):
        return t(w_abs) - r0 - r1 * (np.asarray(w_abs) - omega0)
    return B


def loss(key, wavelength, values, outside):
    """The power loss α(ω) in 1/unit, a function of the absolute ω, from dB/unit."""
    v = np.asarray(values, dtype=float)
    if np.any(v < 0):
        fail(key, "the loss must be >= 0 dB per length unit (a negative one is gain)")
    return Table(key, wavelength, v * math.log(10) / 10, outside, smooth=False)


def area(key, wavelength, values, outside, omega0):
    """Aeff(ω) in μm² as a function of the absolute ω, and Aeff(ω0)."""
    v = np.asarray(values, dtype=float)
    if np.any(v <= 0):
        fail(key, "the effective area must be > 0 um^2")
    t = Table(key, wavelength, v, outside, smooth=False)
    t.inside(omega0)
    return t, float(t.f(omega0))
