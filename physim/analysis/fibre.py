"""Analysis of fibre GNLSE output (solver = "gnlse"): the first-order coherence g12 of a
shot-noise ensemble (Dudley, Genty & Coen, Rev. Mod. Phys. 78, 1135 (2006), eq. 14) and
the cross-correlation spectrogram (XFROG, ibid. section II.D)."""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
import xarray as xr


def spectral_field(A: np.ndarray) -> np.ndarray:
    """A~(omega) up to a constant phase, ascending optical frequency (the ``frequency``
    coordinate of a gnlse output), from A(T) on its last axis: A(T) = sum_m c_m e^{i k_m T},
    omega_m = -k_m."""
    c = sfft.fft(A, axis=-1, norm="forward")
    n = A.shape[-1]
    m = np.arange(n)
    k = np.where(m < (n + 1) // 2, m, m - n)
    return np.take(c, np.argsort(-k, kind="stable"), axis=-1)


def coherence(ds, time=None) -> xr.DataArray:
    """|g12(nu)| = |<A~_i* A~_j>_{i != j}| / <|A~|^2> over the ensemble members at ``time``
    (default: the last record), on the output's ``frequency``: 1 for a coherent
    supercontinuum, ~ 1/sqrt(M) for independent noise. Needs an ``ensemble`` of M >= 2.
    """
    if "ensemble" not in ds.A.dims or ds.sizes["ensemble"] < 2:
        raise ValueError("coherence needs a gnlse output with an ensemble of >= 2 members "
                         "(ensemble.members with noise.shot_noise = true)")
    A = ds.A.isel(time=-1) if time is None else ds.A.sel(time=time, method="nearest")
    a = spectral_field(A.transpose("ensemble", "T").values)
    M = a.shape[0]
    total = a.sum(axis=0)
    power = (np.abs(a) ** 2).sum(axis=0)
    # sum over ordered pairs i != j of a_i* a_j = |sum a|^2 - sum |a|^2 (real)
    cross = (np.abs(total) ** 2 - power) / (M * (M - 1))
    mean = power / M
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(mean > 0, np.abs(cross) / mean, 0.0)
    return xr.DataArray(g, dims=("frequency",), coords={"frequency": ds.frequency.values},
                        name="g12", attrs={"units": "1", "long_name":
                                           "first-order coherence |g12(nu)| over the ensemble"})


def _record(da, time):
    return da.isel(time=-1) if time is None else da.sel(time=time, method="nearest")


def spectrogram(ds, time=None, gate="input", member: int = 0, delays: int = 512,
                delay_range=None) -> xr.DataArray:
    """The XFROG trace S(tau, nu) = |int A(T) G(T - tau) e^{i omega T} dT|^2 of the field at
    ``time`` (default: the last record) with the gate G.

    gate : "input" (the run's input pulse, member ``member`` at z = 0: the usual reference of
        a supercontinuum XFROG), a number (the FWHM in fs of a transform-limited Gaussian
        gate), or an array G(T) on the output's T grid.
    delays : the number of delays tau, on grid points spread evenly over ``delay_range``
        (ps, default the whole window; the window is periodic, so the gate wraps).
    Returns a DataArray (delay, frequency); its sum over frequency times d_nu at each tau is
    int |A G|^2 dT (Parseval): pJ W/THz for a field gate in sqrt(W) ("input", an array),
    pJ/THz for the dimensionless Gaussian gate.
    """
    if "A" not in ds or "T" not in ds.A.dims:
        raise ValueError("spectrogram needs a gnlse output (a field A on T)")
    A = _record(ds.A, time)
    A0 = ds.A.isel(time=0)
    if "ensemble" in A.dims:
        A, A0 = A.isel(ensemble=member), A0.isel(ensemble=member)
    a = A.values
    T = ds.T.values
    N, dT = a.size, float(T[1] - T[0])
    if isinstance(gate, str):
        if gate != "input":
            raise ValueError(f"gate = {gate!r}: expected 'input', a FWHM in fs, or an array on T")
        g = A0.values
    elif np.ndim(gate) == 0:
        if not float(gate) > 0:
            raise ValueError(f"gate = {gate}: a Gaussian gate's FWHM (fs) must be > 0")
        t0 = float(gate) * 1e-3 / (2 * np.sqrt(np.log(2)))
        g = np.exp(-0.5 * (T / t0) ** 2)
    else:
        g = np.asarray(gate)
        if g.shape != a.shape:
            raise ValueError(f"gate: an array of shape {g.shape}, expected the T grid's {a.shape}")
    # the gate centred on the grid point nearest T = 0, so a delay is a whole shift
    centre = int(np.argmin(np.abs(T)))
    lo, hi = (T[0], T[-1]) if delay_range is None else map(float, delay_range)
    if not (T[0] <= lo < hi <= T[-1]):
        raise ValueError(f"delay_range = ({lo}, {hi}): expected T[0] <= lo < hi <= T[-1] "
                         f"= ({T[0]:.6g}, {T[-1]:.6g}) ps")
    shifts = np.unique(np.round(np.linspace((lo - T[0]) / dT, (hi - T[0]) / dT,
                                            int(delays))).astype(int)) - centre
    rows = (np.arange(N)[None, :] - shifts[:, None]) % N
    # normalised so that sum over frequency * d_nu = int |A G|^2 dT (Parseval on the window)
    trace = np.abs(spectral_field(a[None, :] * g[rows])) ** 2 * (N * dT) ** 2
    return xr.DataArray(trace, dims=("delay", "frequency"),
                        coords={"delay": ("delay", T[centre] + shifts * dT, {"units": "ps"}),
                                "frequency": ds.frequency.values},
                        name="spectrogram",
                        attrs={"units": "pJ/THz" if np.ndim(gate) == 0 and not
                               isinstance(gate, str) else "pJ W/THz", "long_name": "XFROG trace "
                               "|int A(T) G(T - tau) exp(i omega T) dT|^2",
                               "gate": gate if isinstance(gate, str) else
                               ("gaussian fwhm %g fs" % float(gate) if np.ndim(gate) == 0
                                else "array"),
                               "z": float(A.time)})
