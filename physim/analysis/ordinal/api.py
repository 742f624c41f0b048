"""Ordinal-pattern analysis of arrays and physim output: functions returning xarray objects.

Input: a numpy array (time along ``axis=-1``; any other axes are series) or an
``xarray.DataArray`` (time along ``dim``, default ``"time"`` or the last
dimension; the others are series dimensions and come back as coordinates).
"""
from __future__ import annotations

import warnings
from math import factorial

import numpy as np
import xarray as xr

from ._kernels import (count_batch, count_batch_small, count_one, count_one_small, decode,
                       place_values)
from .measures import entropy_complexity
from .plane import REGIMES, boundaries, check_n, classify_array  # noqa: F401


class OrdinalWarning(UserWarning):
    """A result that is valid but statistically weak (too few windows, too short a series)."""


# -- input -----------------------------------------------------------------------------------
def as_series(x, dim: str | None = None) -> xr.DataArray:
    """``x`` as a DataArray with the time dimension last."""
    if isinstance(x, xr.Dataset):
        raise TypeError("pass one variable (a DataArray), e.g. ds['x'], not a whole Dataset")
    if not isinstance(x, xr.DataArray):
        arr = np.asarray(x)
        if arr.ndim == 0:
            raise ValueError("the series is a scalar; expected an array with a time axis")
        dims = tuple(f"dim_{i}" for i in range(arr.ndim - 1)) + (dim or "time",)
        x = xr.DataArray(arr, dims=dims)
    if dim is None:
        dim = "time" if "time" in x.dims else x.dims[-1]
    if dim not in x.dims:
        raise ValueError(f"dim = {dim!r} is not a dimension of the series; it has {x.dims}")
    if np.iscomplexobj(x.values):
        raise TypeError(f"the series {x.name or ''} is complex; take a real part, modulus or "
                        "phase first (e.g. abs(psi)**2)")
    x = x.transpose(..., dim)
    if x.size == 0:
        empty = [f"{d} = 0" for d, k in x.sizes.items() if k == 0]
        raise ValueError(f"the series is empty ({', '.join(empty)}): nothing to analyse")
    if x.dtype.kind not in "fiub":
        raise TypeError(f"the series has dtype {x.dtype}; expected real numbers")
    return x


def time_step(da: xr.DataArray, dt: float | None) -> float | None:
    """dt as given, else the (uniform) spacing of the time coordinate, else None."""
    if dt is not None:
        if not np.isfinite(dt) or dt <= 0:
            raise ValueError(f"dt = {dt!r}: expected a positive sampling interval")
        return float(dt)
    dim = da.dims[-1]
    if dim not in da.coords or da.sizes[dim] < 2:
        return None
    t = np.asarray(da[dim].values, dtype=float)
    steps = np.diff(t)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        raise ValueError(f"the {dim!r} coordinate is not uniformly spaced (steps from "
                         f"{steps.min():g} to {steps.max():g}); resample it or pass dt")
    return float(steps[0])


def delays_from(n: int, delay, t_pat, dt) -> tuple[np.ndarray, bool]:
    """Delays in samples (ints >= 1) from ``delay`` or ``t_pat = (n-1) delay dt``."""
    if t_pat is not None:
        if delay not in (None, 1):
            raise ValueError("give the delay either in samples (delay) or as a pattern "
                             "duration (t_pat), not both")
        if dt is None:
            raise ValueError("t_pat needs the sampling interval: pass dt, or a DataArray "
                             "with a uniform time coordinate")
        tp = np.atleast_1d(np.asarray(t_pat, dtype=float))
        d = np.rint(tp / ((n - 1) * dt)).astype(np.int64)
        if (d < 1).any():
            bad = tp[d < 1][0]
            raise ValueError(f"t_pat = {bad:g} is shorter than one pattern step (n-1) dt = "
                             f"{(n - 1) * dt:g}: it would need a delay below one sample")
        return d, np.ndim(t_pat) == 0
    d = np.atleast_1d(np.asarray(1 if delay is None else delay))
    if d.dtype.kind not in "iu" or (d < 1).any():
        raise ValueError(f"delay = {delay!r}: expected an integer >= 1 (samples), or a list")
    return d.astype(np.int64), np.ndim(delay) == 0 or delay is None


# -- the counting pass -------------------------------------------------------------------------
def _count(X: np.ndarray, n: int, delay: int, weighted: bool):
    S = X.shape[0]
    N = factorial(n)
    counts = np.zeros((S, N), np.int64)
    weights = np.zeros((S, N) if weighted else (S, 1))
    stats = np.zeros((S, 3), np.int64)
    if X.dtype not in (np.float64, np.float32, np.int64, np.int32):
        X = X.astype(np.float64)
    # the unrolled kernels are compiled for float64 only (each dtype costs a compilation of
    # all ten); other dtypes take the sliding kernel, which gives the same counts
    if 3 <= n <= 7 and not weighted and X.dtype == np.float64:
        (count_one_small if S == 1 else count_batch_small)(X, n, delay, counts, stats)
    else:
        (count_one if S == 1 else count_batch)(X, n, delay, place_values(n), counts, weights,
                                               stats, weighted)
    return counts, (weights if weighted else None), stats


def _flat(da: xr.DataArray, tie_precision):
    X = da.values.reshape(-1, da.shape[-1])
    if tie_precision is not None:
        X = np.round(X.astype(float), int(tie_precision))
    return X


def _on_ranks(comm, S, fn):
    """fn(rows) for this rank's block of the S series, gathered in series order on every rank."""
    if comm is None or comm.size == 1:
        return fn(slice(0, S))
    from ...parallel import allgather_members, local_members
    mine = local_members(S, comm)
    local = fn(slice(mine.start, mine.stop))
    return allgather_members(comm, S, list(local))


def _probabilities(counts, weights, used):
    if weights is not None:
        tot = weights.sum(-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return weights / tot
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / used[:, None]


def _warn_windows(used, n, name=""):
    N = factorial(n)
    low = used < 10 * N
    if low.any():
        warnings.warn(f"{name}{int(low.sum())} series have fewer than 10 n! = {10 * N} windows "
                      f"(fewest: {int(used.min())}) at n = {n}: expect a biased H and "
                      "spurious missing patterns; use a smaller n or a longer series",
                      OrdinalWarning, stacklevel=3)


def expected_missing_white(windows, n: int):
    """Expected number of never-seen patterns in ``windows`` windows of white noise.

    Multinomial null (windows treated as independent draws from n! equally likely
    patterns): n! (1 - 1/n!)^windows ~ n! exp(-windows/n!). Overlapping windows are
    weakly dependent; against Monte Carlo the mean agrees within 10 % (tested).
    """
    N = factorial(check_n(n))
    return N * (1 - 1 / N) ** np.asarray(windows, dtype=float)


def finite_size_entropy_white(windows, n: int):
    """Mean H of white noise over ``windows`` windows: 1 - (n!-1)/(2 windows ln n!) (Miller-Madow)."""
    N = factorial(check_n(n))
    return 1 - (N - 1) / (2 * np.asarray(windows, dtype=float) * np.log(N))


# -- public functions ---------------------------------------------------------------------------
def ordinal_distribution(x, n: int = 5, delay=1, *, t_pat=None, dt=None, dim=None,
                         weighted=False, tie_precision=None, comm=None) -> xr.Dataset:
    """The pattern histogram of each series: ``count`` and ``probability`` over ``pattern``.

    Patterns are labelled by their argsort permutation (ordpy's convention), e.g.
    "01234" for a rising window. ``weighted=True`` gives the variance-weighted
    probabilities of weighted permutation entropy.
    """
    n = check_n(n)
    da = as_series(x, dim)
    dt = time_step(da, dt)
    d, _ = delays_from(n, delay, t_pat, dt)
    if d.size != 1:
        raise ValueError("ordinal_distribution takes one delay; loop over delays for several")
    X = _flat(da, tie_precision)

    def fn(rows):
        c, w, st = _count(X[rows], n, int(d[0]), weighted)
        p = _probabilities(c, w, st[:, 0])
        return [np.concatenate([c[i], p[i], st[i]]) for i in range(c.shape[0])]
    rows = np.asarray(_on_ranks(comm, X.shape[0], fn)).reshape(X.shape[0], -1)
    N = factorial(n)
    counts, probs, st = rows[:, :N], rows[:, N:2 * N], rows[:, 2 * N:]
    lead = da.dims[:-1]
    shape = da.shape[:-1]
    labels = ["".join(str(i) for i in decode(k, n)) for k in range(N)]
    coords = {k: v for k, v in da.coords.items() if da.dims[-1] not in v.dims}
    ds = xr.Dataset(
        {"count": (lead + ("pattern",), counts.astype(np.int64).reshape(shape + (N,))),
         "probability": (lead + ("pattern",), probs.reshape(shape + (N,))),
         "windows": (lead, st[:, 0].astype(np.int64).reshape(shape))},
        coords={**coords, "pattern": ("pattern", labels)})
    ds.attrs.update(n=n, delay=int(d[0]), weighted=int(bool(weighted)))
    ds["pattern"].attrs["long_name"] = "argsort permutation of the window (stable: ties by time)"
    return ds


def complexity_entropy(x, n: int = 5, delay=1, *, t_pat=None, dt=None, dim=None,
                       kind: str = "shannon", order=1.0, weighted: bool = False,
                       tie_precision=None, comm=None, warn: bool = True,
                       probs: bool = False, pool: bool = False) -> xr.Dataset:
    """Permutation entropy H and statistical complexity C = Q H of each series.

    Parameters
    ----------
    x : array or DataArray; time along ``dim`` (default "time" or the last axis).
    n : embedding dimension (pattern length), 2..8; the paper's default is 5.
    delay : int or list of ints, the delay l in samples; or give ``t_pat``, the
        pattern duration (n-1) l dt (one value or a list), with ``dt`` or a time coordinate.
    kind, order : "shannon" (default), "renyi" (order = alpha) or "tsallis" (order = q);
        ``order`` may be a list.
    weighted : weighted permutation entropy (Fadlallah et al. 2013): each window
        counts with its variance.
    tie_precision : round the data to this many decimals first (ordpy's option).
    comm : a physim.parallel communicator: the series are spread over its ranks.
    probs : ``x`` holds pattern probabilities (last axis, or a ``pattern``
        dimension), not a series: H, Q and C of those (ordpy's ``probs=True``).
    pool : one result for all the series together (an ensemble, e.g. particles or
        grid points): their pattern histograms are summed first (``windows`` is the total).

    Returns a Dataset with H, Q (normalised disequilibrium), C, and per series:
    ``windows`` used, ``nan_windows`` skipped (a NaN inside), ``tie_fraction``
    (windows with equal values, ranked by time order), ``missing_patterns`` and
    ``missing_expected_white`` (the white-noise expectation at the same window
    count), and for Shannon ``p_missing_white`` (the Poisson probability that white
    noise misses as many) and the quick ``regime`` (regular / complex / stochastic /
    undetermined, see :func:`classify_array`; :func:`regime_test` is the full test).
    Extra dimensions ``delay`` and ``order`` appear when lists are given.
    """
    n = check_n(n)
    if probs:
        from .probabilities import complexity_entropy_from_probabilities
        if np.ndim(order) or kind == "shannon" and order != 1:
            raise ValueError("with probs = True give one order, for kind 'renyi' or 'tsallis'")
        return complexity_entropy_from_probabilities(x, n, kind, order)
    da = as_series(x, dim)
    dt = time_step(da, dt)
    delays, scalar_delay = delays_from(n, delay, t_pat, dt)
    orders = np.atleast_1d(np.asarray(order, dtype=float))
    scalar_order = np.ndim(order) == 0
    if kind == "shannon" and not (orders == 1).all():
        raise ValueError(f"order = {order!r} only applies to kind 'renyi' or 'tsallis'")
    if kind not in ("shannon", "renyi", "tsallis"):
        raise ValueError(f"kind = {kind!r}: expected 'shannon', 'renyi' or 'tsallis'")
    for o in orders:
        if not np.isfinite(o) or o <= 0:
            raise ValueError(f"order = {float(o):g}: expected a finite number > 0")
    X = _flat(da, tie_precision)
    S, N = X.shape[0], factorial(n)
    nq = 3 * len(orders)

    if pool and comm is not None and comm.size > 1:
        raise ValueError("pool = True runs on one rank: gather the series first, or pool=False")

    def fn(rows):
        out = []
        for d in delays:
            c, w, st = _count(X[rows], n, int(d), weighted)
            if pool:  # one ensemble: the series' histograms summed
                c, st = c.sum(0, keepdims=True), st.sum(0, keepdims=True)
                w = None if w is None else w.sum(0, keepdims=True)
            p = _probabilities(c, w, st[:, 0])
            hq = [np.stack(entropy_complexity(p, kind, o), -1) for o in orders]  # (s, 3) each
            miss = (c == 0).sum(-1)
            out.append(np.concatenate([np.concatenate(hq, -1), st, miss[:, None]], -1))
        return list(np.stack(out, 1))  # per series: (delay, 3*orders + 4)
    if pool:
        res = np.asarray(fn(slice(0, S))).reshape(1, len(delays), nq + 4)
        lead, shape = (), ()
    else:
        res = np.asarray(_on_ranks(comm, S, fn)).reshape(S, len(delays), nq + 4)
        lead, shape = da.dims[:-1], da.shape[:-1]
    hqc = res[..., :nq].reshape(shape + (len(delays), len(orders), 3))
    used, nan, tied, miss = (res[..., nq + i].reshape(shape + (len(delays),)) for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        tie_fraction = tied / used
    full, per_delay = lead + ("delay", "order"), lead + ("delay",)
    data = {
        "H": (full, hqc[..., 0]), "Q": (full, hqc[..., 1]), "C": (full, hqc[..., 2]),
        "windows": (per_delay, used.astype(np.int64)),
        "nan_windows": (per_delay, nan.astype(np.int64)),
        "tie_fraction": (per_delay, tie_fraction),
        "missing_patterns": (per_delay, miss.astype(np.int64)),
        "missing_expected_white": (per_delay, expected_missing_white(used, n)),
    }
    coords = {k: v for k, v in da.coords.items() if da.dims[-1] not in v.dims
              and not (pool and v.dims)}
    coords["delay"] = ("delay", delays, {"long_name": "delay l", "units": "samples"})
    if dt is not None:
        coords["t_pat"] = ("delay", (n - 1) * delays * dt,
                           {"long_name": "pattern duration (n-1) l dt"})
    coords["order"] = ("order", orders, {"long_name": {"renyi": "alpha", "tsallis": "q"}.get(
        kind, "order (1: Shannon)")})
    ds = xr.Dataset(data, coords=coords)
    if scalar_delay:
        ds = ds.isel(delay=0)  # delay (and t_pat) stay as scalar coordinates
    if scalar_order:
        ds = ds.isel(order=0, drop=kind == "shannon")
    if kind == "shannon":
        from .regime import p_missing_white
        with np.errstate(invalid="ignore"):
            ds["p_missing_white"] = (ds["missing_patterns"].dims, p_missing_white(
                ds["missing_patterns"].values, ds["windows"].values, n))
        ds["p_missing_white"].attrs["long_name"] = (
            "P(white noise with as many windows misses at least as many patterns)")
        ds["regime"] = (ds["H"].dims, classify_array(
            ds["H"].values, ds["C"].values, n, missing=ds["missing_patterns"].values,
            windows=ds["windows"].values, tie_fraction=ds["tie_fraction"].values))
        ds["regime"].attrs["long_name"] = ("regular | complex | stochastic | undetermined, "
                                           "from the plane and the missing patterns; "
                                           "regime_test adds surrogate and 0-1 tests "
                                           "(README: 'Regime')")
    _describe(ds, n, delays, scalar_delay, dt, kind, orders, weighted)
    if pool:
        ds.attrs["pooled_series"] = int(S)
    if warn:
        _warn_windows(used.reshape(-1), n)
        _warn_ties(np.asarray(tie_fraction).reshape(-1))
    return ds


def _warn_ties(tie_fraction):
    from .regime import TIE_LIMIT
    with np.errstate(invalid="ignore"):
        high = tie_fraction > TIE_LIMIT
    if high.any():
        warnings.warn(f"{int(high.sum())} series have more than {100 * TIE_LIMIT:.0f} % of their "
                      f"windows with equal values (most: {100 * np.nanmax(tie_fraction):.0f} %): "
                      "ties are ranked by time order, so they, not the data, set those "
                      "patterns; the regime is 'undetermined'. Use tie_precision or add "
                      "resolution", OrdinalWarning, stacklevel=3)


def _describe(ds, n, delays, scalar_delay, dt, kind, orders, weighted):
    names = {"shannon": "Shannon", "renyi": "Renyi", "tsallis": "Tsallis"}
    w = "weighted " if weighted else ""
    ds["H"].attrs.update(long_name=f"normalised {w}{names[kind]} permutation entropy", units="1")
    ds["Q"].attrs.update(long_name=f"normalised Jensen-{names[kind]} disequilibrium", units="1")
    ds["C"].attrs.update(long_name=f"{w}statistical complexity C = Q H", units="1")
    ds["windows"].attrs["long_name"] = "windows counted"
    ds["nan_windows"].attrs["long_name"] = "windows skipped because they hold a NaN"
    ds["tie_fraction"].attrs["long_name"] = "fraction of counted windows with equal values"
    ds["missing_patterns"].attrs["long_name"] = "patterns never seen (forbidden or unsampled)"
    ds["missing_expected_white"].attrs["long_name"] = \
        "expected missing patterns for white noise with as many windows"
    b = boundaries(n, kind, float(orders[0])) if len(orders) == 1 else boundaries(n)
    ds.attrs.update(n=n, kind=kind, weighted=int(bool(weighted)), **b)
    if scalar_delay:
        ds.attrs["delay"] = int(delays[0])
    if dt is not None:
        ds.attrs["dt"] = dt
    if len(orders) == 1 and kind != "shannon":
        ds.attrs["order"] = float(orders[0])


def renyi_complexity_entropy(x, alpha=2.0, n: int = 5, delay=1, **kw) -> xr.Dataset:
    """Renyi permutation entropy and Jensen-Renyi complexity (``alpha`` may be a list)."""
    return complexity_entropy(x, n, delay, kind="renyi", order=alpha, **kw)


def tsallis_complexity_entropy(x, q=2.0, n: int = 5, delay=1, **kw) -> xr.Dataset:
    """Tsallis permutation entropy and Jensen-Tsallis complexity (``q`` may be a list)."""
    return complexity_entropy(x, n, delay, kind="tsallis", order=q, **kw)


def multiscale(x, scales=range(1, 11), n: int = 5, delay=1, *, dim=None, **kw) -> xr.Dataset:
    """H and C of the coarse-grained series at each scale s (Costa et al., PRL 89, 068102, 2002).

    Scale s replaces the series by the means of consecutive, non-overlapping
    blocks of s samples (a block with a NaN is NaN); the result has a ``scale``
    dimension. For delays at fixed resolution instead, pass a list as ``delay``.
    """
    da = as_series(x, dim)
    tdim = da.dims[-1]
    scales = [int(s) for s in np.atleast_1d(scales)]
    if any(s < 1 for s in scales):
        raise ValueError(f"scales = {scales}: expected integers >= 1")
    parts = []
    for s in scales:
        coarse = da if s == 1 else da.coarsen({tdim: s}, boundary="trim").reduce(np.mean)
        parts.append(complexity_entropy(coarse, n, delay, dim=tdim, **kw))
    out = xr.concat(parts, dim=xr.DataArray(scales, dims="scale", name="scale"),
                    combine_attrs="drop_conflicts")
    out["scale"].attrs.update(long_name="coarse-graining scale", units="samples")
    return out


def classify(H, C, n: int = 5):
    """'regular', 'complex' or 'stochastic' for each (H, C) point (see the README)."""
    return classify_array(np.asarray(H, dtype=float), np.asarray(C, dtype=float), check_n(n))


__all__ = ["OrdinalWarning", "as_series", "classify", "complexity_entropy",
           "expected_missing_white", "finite_size_entropy_white", "multiscale",
           "ordinal_distribution", "renyi_complexity_entropy", "tsallis_complexity_entropy",
           "REGIMES"]
