"""Choosing the sampling interval: the natural time scale and the t_pat scan.

PECCARY (Hyman, Daniel & Schaffner 2025, Sect. 3.2) ties the pattern duration
t_pat = (n-1) l dt to the series' natural time scale t_nat: H and C are read
in the window 0.3 <= t_pat / t_nat <= 0.5 (0.4 in their worked example), and
the series should last t_dur >= 1.5 t_nat.
"""
from __future__ import annotations

import warnings
from math import factorial

import numpy as np
import xarray as xr

from .api import OrdinalWarning, as_series, complexity_entropy, time_step
from .plane import check_n

WINDOW = (0.3, 0.5)
RECOMMENDED_RATIO = 0.4
MIN_DURATION_RATIO = 1.5
METHODS = ("ncross", "maxavg", "minavg")


def natural_timescale(x, dt=None, method: str = "ncross", dim=None):
    """t_nat of each series (a float, or a DataArray over the series dimensions).

    ncross: the mean period from crossings of the mean, t_dur / (crossings / 2)
    (peccary's default); maxavg / minavg: the mean spacing of local maxima / minima.
    NaN samples are dropped first. A series without a crossing (or extremum) gets NaN.
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r}: expected one of {', '.join(METHODS)}")
    da = as_series(x, dim)
    dt = time_step(da, dt)
    if dt is None:
        raise ValueError("natural_timescale needs dt, or a DataArray with a time coordinate")
    X = da.values.reshape(-1, da.shape[-1]).astype(float)
    out = np.array([_t_nat(row[np.isfinite(row)], dt, method) for row in X])
    if da.ndim == 1:
        return float(out[0])
    coords = {k: v for k, v in da.coords.items() if da.dims[-1] not in v.dims}
    return xr.DataArray(out.reshape(da.shape[:-1]), dims=da.dims[:-1], coords=coords,
                        name="t_nat", attrs={"long_name": f"natural time scale ({method})"})


def _t_nat(x, dt, method):
    if x.size < 3:
        return np.nan
    if method == "ncross":
        s = np.sign(x - x.mean())
        s = s[s != 0]
        crossings = np.count_nonzero(s[1:] != s[:-1])
        return (x.size - 1) * dt / (crossings / 2) if crossings else np.nan
    y = x if method == "maxavg" else -x
    peaks = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    return float(np.mean(np.diff(peaks)) * dt) if peaks.size >= 2 else np.nan


def sampling_scan(x, n: int = 5, *, dt=None, dim=None, t_nat=None, method: str = "ncross",
                  ratios=None, max_ratio: float = 1.0, warn: bool = True, pool: bool = False,
                  **kw) -> xr.Dataset:
    """H and C against the pattern duration t_pat, with the recommended window marked.

    The delays scanned are every l from 1 up to t_pat / t_nat = ``max_ratio``, or
    the delays nearest to the given ``ratios`` of t_pat / t_nat. Returns
    :func:`complexity_entropy` over ``delay`` with coordinates ``t_pat`` and
    ``t_pat_ratio``, a boolean ``in_window`` (0.3 <= ratio <= 0.5), and
    ``recommended_delay`` (the ratio nearest 0.4; it lies in the window whenever
    a scanned delay does). Warns (OrdinalWarning) when t_dur < 1.5 t_nat, when a
    delay leaves fewer than 10 n! windows, and (one series) when no scanned delay falls
    in the window, so the recommended one lies outside it: it is then not clamped (a
    delay below 1 sample does not exist), ``recommended_in_window`` is 0 and the
    warning says why.

    Several series (e.g. particles, grid points, species): by default each gets
    its own scan against its own t_nat (one delay grid, reaching max_ratio for the
    slowest series; ``t_pat_ratio``, ``in_window``, ``t_nat`` and
    ``recommended_delay`` per series). ``pool=True`` makes one scan of the
    ensemble: histograms summed over the series, t_nat their mean.
    """
    n = check_n(n)
    da = as_series(x, dim)
    dt = time_step(da, dt)
    if dt is None:
        raise ValueError("sampling_scan needs dt, or a DataArray with a time coordinate")
    lead = da.dims[:-1]
    if t_nat is None:
        t_nat = natural_timescale(da, dt, method)
    tn = np.asarray(t_nat, dtype=float)
    if tn.ndim and tn.shape != da.shape[:-1]:
        raise ValueError(f"t_nat has shape {tn.shape}; expected one value or one per series "
                         f"{da.shape[:-1]}")
    good = np.isfinite(tn) & (tn > 0)
    if not good.any():
        raise ValueError(f"t_nat = {t_nat!r}: the series has no usable natural time scale "
                         f"(no mean crossings or extrema); pass t_nat")
    per_series = bool(lead) and not pool
    top_t = float(np.max(tn[good])) if per_series else float(np.mean(tn[good]))
    step = (n - 1) * dt
    if ratios is None:
        top = max(1, int(np.floor(max_ratio * top_t / step)))
        delays = np.arange(1, top + 1)
    else:
        t_all = tn[good].ravel() if per_series else np.array([top_t])
        want = np.asarray(ratios, dtype=float)[:, None] * t_all[None, :] / step
        delays = np.unique(np.maximum(1, np.rint(want))).astype(int)
    T = da.shape[-1]
    delays = delays[T - (n - 1) * delays >= 1]
    if delays.size == 0:
        raise ValueError(f"the series ({T} samples) is too short for any delay at n = {n}")
    t_dur = (T - 1) * dt
    short = good & (t_dur < MIN_DURATION_RATIO * np.where(good, tn, 1.0))
    if warn and short.any():
        worst = float(np.max(tn[short]))
        warnings.warn(f"{int(short.sum())} series last{'s' if short.sum() == 1 else ''} "
                      f"t_dur = {t_dur:g} = {t_dur / worst:.2f} t_nat (t_nat = {worst:g}); "
                      f"PECCARY needs t_dur >= {MIN_DURATION_RATIO} t_nat for a meaningful "
                      "scan", OrdinalWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OrdinalWarning)
        ds = complexity_entropy(da, n, list(delays), dt=dt, warn=False, pool=pool, **kw)
    if per_series:
        tnat = xr.DataArray(np.where(good, tn, np.nan) * np.ones(da.shape[:-1]), dims=lead,
                            coords={k: v for k, v in ds.coords.items()
                                    if set(v.dims) <= set(lead) and v.dims})
        ratio = ds["t_pat"] / tnat
        ds = ds.assign_coords(t_pat_ratio=ratio.transpose(*lead, "delay"))
        ds["t_pat_ratio"].attrs["long_name"] = "t_pat / t_nat"
        ds["in_window"] = (ds["t_pat_ratio"] >= WINDOW[0]) & (ds["t_pat_ratio"] <= WINDOW[1])
        dist = np.abs(ds["t_pat_ratio"].values - RECOMMENDED_RATIO)
        best = np.where(good, delays[np.argmin(np.where(np.isnan(dist), np.inf, dist), -1)], 0)
        ds["t_nat"] = tnat
        ds["recommended_delay"] = (lead, best.astype(np.int64))
        ds["recommended_delay"].attrs["long_name"] = "delay with t_pat / t_nat nearest 0.4 " \
            "(0: no t_nat)"
        t_attr = {"t_nat_min": float(np.min(tn[good])), "t_nat_max": float(np.max(tn[good]))}
    else:
        ratio = ds["t_pat"].values / top_t
        ds = ds.assign_coords(t_pat_ratio=("delay", ratio, {"long_name": "t_pat / t_nat"}))
        ds["in_window"] = ("delay", (ratio >= WINDOW[0]) & (ratio <= WINDOW[1]))
        inside = ds["in_window"].values
        # the window is symmetric about 0.4: the delay nearest 0.4 lies in it whenever any does
        best = int(delays[np.argmin(np.abs(ratio - RECOMMENDED_RATIO))])
        best_ratio = float(ratio[delays == best][0])
        if warn and not inside.any():
            lo = int(np.ceil(WINDOW[0] * top_t / step))
            why = (f"no integer delay reaches it: t_nat = {top_t / dt:.3g} samples is too short "
                   f"for n = {n} (the window needs t_nat >= {(n - 1) / WINDOW[1]:g} samples)"
                   if WINDOW[1] * top_t / step < 1 else
                   f"the delays scanned miss it (it starts at delay {lo})")
            warnings.warn(f"the recommended delay {best} has t_pat / t_nat = {best_ratio:.3g}, "
                          f"outside the window {WINDOW[0]}-{WINDOW[1]}: {why}. It is not "
                          "clamped; read the scan, or sample the series more finely",
                          OrdinalWarning, stacklevel=2)
        t_attr = {"t_nat": top_t, "recommended_delay": best, "t_dur_ratio": float(t_dur / top_t),
                  "recommended_ratio": best_ratio, "recommended_in_window": int(inside.any())}
    low = ds["windows"].values < 10 * factorial(n)
    if warn and (low & ds["in_window"].values).any():
        warnings.warn(f"delays in the recommended window leave fewer than 10 n! = "
                      f"{10 * factorial(n)} windows (fewest {int(ds['windows'].min())}): "
                      f"the series is short for n = {n}", OrdinalWarning, stacklevel=2)
    ds.attrs.update(t_nat_method=method, t_dur=float(t_dur), window_low=WINDOW[0],
                    window_high=WINDOW[1], **t_attr)
    return ds
