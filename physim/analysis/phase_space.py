"""Wigner distribution of a field sampled on a uniform grid.

    W(x, k) = (1/2π) ∫ ψ*(x + s/2) ψ(x − s/2) e^{iks} ds

Method. The half-lag values ψ(x ± s/2) are taken from the band-limited
(spectral) interpolant of ψ on a 2× finer grid, h = dx/2 (the Nyquist
coefficient is split evenly between ±k_Nyq). On that grid the lag s = 2nh = n dx
is an integer number of coarse steps, and the s integral over one window of
length 2L is a 2N-point FFT, so

* x: the fine grid x_i = x_0 + i dx/2, i = 0 … 2N−1 (2N points);
* k: k_m = m π/L, m = −N … N−1 (resolution π/L, sorted ascending; ±k_Nyq).

Two boundary treatments, ``boundary=``:

``"open"`` (default): ψ is taken as zero outside the box [x_0, x_0 + L), so W is
the ordinary Wigner function of a field on the line. Right for localised
states (solitons, wave packets) that are small at the box edge; a periodic
background instead shows the finite-window broadening near the edges.

``"periodic"``: the lag wraps around, giving the Wigner function of a field on
a circle. Marginals are exact, but a localised packet at x0 produces an
interference ghost at the antipode x0 + L/2 that oscillates like (−1)^m in k.

Marginals (both tested):

* Σ_m W(x_i, k_m) Δk = |ψ(x_i)|² exactly, Δk = π/L (ψ the interpolant; at the
  even rows x_{2j} this is the data |ψ_j|²).
* ``open``: Σ_i W(x_i, k_m) h = |ψ̃(k_m)|², ψ̃(k) = (2π)^{-1/2} ∫_box ψ e^{−ikx} dx
  = (2π)^{-1/2} dx · e^{−ikx_0} Ψ_m with Ψ = fft(ψ, n=2N) (zero-padded, unnormalised);
  at k on the FFT grid, m = 2p, this is dx²|ψ̂_p|²/(2π). Exact up to the field's
  size at the box edge.
* ``periodic``: Σ_i W(x_i, k_m) h = dx²|ψ̂_p|²/π at m = 2p and 0 at odd m, i.e.
  the probability per k-cell Σ_i W h Δk = (L/N²)|ψ̂_p|² (Parseval), exactly.

In both, the cell k = −k_Nyq carries half of |ψ̂_{N/2}|² (the split Nyquist mode
folds onto it); for a resolved field that mode is negligible anyway.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
import xarray as xr

from .entropy import as_field

_BOUNDARIES = ("open", "periodic")


def _refine(psi: np.ndarray) -> np.ndarray:
    """Band-limited interpolant of the periodic samples on the 2× grid."""
    n = psi.size
    c = sfft.fft(psi)
    fine = np.zeros(2 * n, dtype=complex)
    half = n // 2
    fine[:half] = c[:half]
    fine[-half:] = c[-half:]
    if n % 2 == 0:  # split the unpaired Nyquist mode so the interpolant is symmetric
        fine[half] = fine[-half] = c[half] / 2
    else:
        fine[half] = c[half]
    return sfft.ifft(fine) * 2


def wigner_array(psi, dx: float, boundary: str = "open") -> np.ndarray:
    """W on the (2N fine x) × (2N k, ascending) grid for one 1-D field ``psi`` (numpy)."""
    if boundary not in _BOUNDARIES:
        raise ValueError(f"boundary={boundary!r} is not one of {_BOUNDARIES}")
    f = _refine(np.asarray(psi, dtype=complex))
    m = f.size
    i = np.arange(m)[:, None]
    lag = np.rint(sfft.fftfreq(m, 1.0 / m)).astype(np.int64)[None, :]  # n, FFT order
    plus, minus = i + lag, i - lag
    if boundary == "periodic":
        kern = np.conj(f[plus % m]) * f[minus % m]
    else:
        inside = (plus >= 0) & (plus < m) & (minus >= 0) & (minus < m)
        kern = np.where(inside, np.conj(f[np.clip(plus, 0, m - 1)]) * f[np.clip(minus, 0, m - 1)], 0)
    # kern(i, −n) = conj(kern(i, n)), so the transform is real; e^{+iks} is m·ifft
    w = sfft.ifft(kern, axis=1).real * (m * dx / (2 * np.pi))
    return sfft.fftshift(w, axes=1)


def wigner(data, time=None, var: str = "psi", dim: str = "x", *, dx: float | None = None,
           boundary: str = "open") -> xr.DataArray:
    """Wigner distribution W(x, k) of the field (see the module docstring for the method).

    ``data``: Dataset, DataArray or numpy array (+ ``dx``). ``time``: None (every
    snapshot present), a time value or a sequence of them (nearest snapshot).
    Returns dims (x, k), or (time, x, k) when the field has a time dimension of
    several selected snapshots. x is the 2× refined grid, k = mπ/L ascending.
    """
    psi, d = as_field(data, var, dim, dx)
    if time is not None:
        if "time" not in psi.dims:
            raise ValueError("time= given but the field has no time dimension")
        psi = psi.sel(time=time, method="nearest")
    extra = [name for name in psi.dims if name not in (dim, "time")]
    if extra:
        raise ValueError(f"wigner handles dims (time, {dim}); also got {extra}")
    psi = psi.transpose(..., dim)
    n = psi.sizes[dim]
    x0 = float(psi[dim][0]) if dim in psi.coords else -n * d / 2
    x = x0 + 0.5 * d * np.arange(2 * n)
    k = np.pi / (n * d) * np.arange(-n, n)
    values = np.asarray(psi.values)
    if values.ndim == 1:
        w, dims = wigner_array(values, d, boundary), (dim, "k")
    else:
        w = np.stack([wigner_array(row, d, boundary) for row in values])
        dims = ("time", dim, "k")
    coords = {dim: (dim, x, {"units": "1", "long_name": "position (2x refined grid)"}),
              "k": ("k", k, {"units": "1", "long_name": "wavenumber k"})}
    if "time" in psi.coords:
        coords["time"] = psi["time"]
    return xr.DataArray(w, dims=dims, coords=coords, name="wigner", attrs={
        "long_name": "Wigner distribution W(x, k)",
        "units": "1",
        "convention": "W = (1/2pi) int psi*(x+s/2) psi(x-s/2) exp(iks) ds; "
                      "sum_k W dk = |psi|^2, dk = pi/L",
        "boundary": boundary,
    })


def wigner_marginals(w: xr.DataArray, dim: str = "x") -> tuple[xr.DataArray, xr.DataArray]:
    """(∫W dk, ∫W dx) as plain sums times the grid spacings of ``w``."""
    dk = float(w.k[1] - w.k[0])
    h = float(w[dim][1] - w[dim][0])
    return w.sum("k") * dk, w.sum(dim) * h

