"""Analysis of fibre GNLSE output (solver = "gnlse"): the first-order coherence g12 of a
shot-noise ensemble (Dudley, Genty & Coen, Rev. Mod. Phys. 78, 1135 (2006), eq. 14)."""
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
