"""``physim analyse ordinal OUT``: the ordinal analysis of any physim output variable."""
from __future__ import annotations

import numpy as np
import xarray as xr

from .api import complexity_entropy
from .sampling import natural_timescale, sampling_scan

PARTS = {"real": np.real, "imag": np.imag, "abs": np.abs,
         "abs2": lambda z: np.abs(z) ** 2, "phase": np.angle}


TIME_DIMS = ("time", "t_step")  # physim's record axes: snapshots, and per-step diagnostics


def pick_variable(ds, var, dim):
    """(variable, time dimension): ``var``, the case's ``analysis.variable``, or the only one;
    the time dimension ``dim``, else the variable's ``time`` or ``t_step`` axis."""
    if var is None:
        var = ds.attrs.get("analysis_variable")
    if var is None:
        dims = (dim,) if dim else TIME_DIMS
        timed = [k for k, v in ds.data_vars.items() if set(dims) & set(v.dims)]
        if len(timed) != 1:
            raise ValueError(f"choose a variable with --var; variables along "
                             f"{' or '.join(map(repr, dims))}: " + ", ".join(timed))
        var = timed[0]
    if var not in ds.data_vars:
        raise ValueError(f"--var {var!r} is not in the file; it holds "
                         + ", ".join(ds.data_vars))
    dims = ds[var].dims
    if dim is None:
        found = [d for d in TIME_DIMS if d in dims]
        if not found:
            raise ValueError(f"--var {var!r} has no time axis ({' or '.join(TIME_DIMS)}; its "
                             f"dims: {dims}); pass --dim")
        dim = found[0]
    elif dim not in dims:
        raise ValueError(f"--var {var!r} has no dimension {dim!r} (its dims: {dims}); "
                         "pass --dim")
    return var, dim


def check_options(args) -> None:
    """The option values alone, before the file is read: each bad one is a
    ``cli_checks.UsageError`` (one line, exit status 2)."""
    from ...cli_checks import UsageError
    if args.n is not None and not 2 <= args.n <= 8:
        raise UsageError(f"--n {args.n}", "not an embedding dimension",
                         "give an integer 2..8 (n! patterns; the default is 5)")
    if args.kind in ("renyi", "tsallis") and not args.order:
        name = "alpha" if args.kind == "renyi" else "q"
        raise UsageError(f"--kind {args.kind}", f"needs --order (the {name})",
                         "e.g. --order 2 (repeatable); without it the result would be Shannon's")
    if args.order and args.kind == "shannon":
        raise UsageError("--order", "applies to --kind renyi or tsallis only",
                         "add --kind renyi or --kind tsallis")
    for o in args.order or ():
        if not np.isfinite(o) or o <= 0:
            raise UsageError(f"--order {o:g}", "not a valid order", "give a number > 0")
    for v in args.delay or ():
        if v < 1:
            raise UsageError(f"--delay {v}", "not a delay", "give an integer >= 1 (samples)")
    for v in args.t_pat or ():
        if not (np.isfinite(v) and v > 0):
            raise UsageError(f"--t-pat {v:g}", "not a duration", "give a time > 0")
    r = args.t_pat_ratio
    if r is not None and not (np.isfinite(r) and r > 0):
        raise UsageError(f"--t-pat-ratio {r:g}", "not a ratio",
                         "give a fraction > 0 of t_nat, e.g. 0.4")


def analyse_output(args):
    """(result Dataset, printable text) for the parsed ``physim analyse ordinal`` arguments.

    Warnings (too few windows, too short a series) are printed one line each to stderr.
    """
    import sys
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _analyse(args)
    for w in caught:
        print(f"physim: warning: {w.message}", file=sys.stderr)
    return out


def _analyse(args):
    from ...io import open as open_output
    check_options(args)
    with open_output(args.output) as ds:
        var, dim = pick_variable(ds, args.var, args.dim)
        da = ds[var].load()
        attrs = dict(ds.attrs)
    if np.iscomplexobj(da.values) and args.part is None:
        raise ValueError(f"{var} is complex; choose --part real, imag, abs, abs2 or phase")
    if args.part is not None:
        da = da.copy(data=PARTS[args.part](da.values))
    if da.size == 0:
        empty = ", ".join(f"{d} = 0" for d, k in da.sizes.items() if k == 0)
        raise ValueError(f"{var} is empty ({empty}): nothing to analyse")
    n = args.n or int(attrs.get("analysis_n", 5))
    pool = bool(getattr(args, "pool", False))
    kw = dict(n=n, dim=dim)
    extra = {"kind": args.kind, "weighted": args.weighted}
    if args.order:
        extra["order"] = args.order if len(args.order) > 1 else args.order[0]
    if args.scan:
        res = sampling_scan(da, **kw, pool=pool, **extra)
        return res, (_scan_text(res, var) + _regime_text(res, da, args, n, None, dim)
                     + _plot(args, res, var, n, scan=True))
    ratio = args.t_pat_ratio
    if ratio is None and not (args.delay or args.t_pat) and attrs.get("analysis_t_pat_ratio"):
        ratio = float(attrs["analysis_t_pat_ratio"])
    if ratio:
        res = _at_ratio(da, ratio, n, dim, pool, attrs.get("analysis_t_nat_method", "ncross"),
                        extra)
    elif args.t_pat:
        res = complexity_entropy(da, t_pat=args.t_pat if len(args.t_pat) > 1 else args.t_pat[0],
                                 pool=pool, **kw, **extra)
    else:
        delay = args.delay or [int(attrs.get("analysis_delay", 1))]
        res = complexity_entropy(da, delay=delay if len(delay) > 1 else delay[0], pool=pool,
                                 **kw, **extra)
    if int(res["windows"].max()) == 0:
        T = da.sizes[dim]
        d = int(np.max(res["delay"].values))
        raise ValueError(f"{var} has {T} samples along {dim!r}: too few for one window at "
                         f"n = {n}, delay = {d} (a window spans (n-1) delay + 1 = "
                         f"{(n - 1) * d + 1} samples)")
    d = res.attrs.get("delay")
    return res, _text(res, var) + _regime_text(res, da, args, n, d, dim) + _plot(args, res, var, n)


def _regime_text(res, da, args, n, delay, dim) -> str:
    """regime_test of a single Shannon series (stored in res.attrs too); '' otherwise."""
    from .api import as_series, time_step
    from .regime import regime_test
    s = as_series(da, dim)
    if s.ndim != 1 or args.kind != "shannon" or args.weighted:
        return ""
    dt = time_step(s, None)
    if delay is None and dt is None:
        return ""
    r = regime_test(s, n, delay, dt=dt, t_nat=res.attrs.get("t_nat"),
                    method=res.attrs.get("t_nat_method", "ncross"))
    res.attrs.update(regime_test=r["regime"], regime_test_confidence=r["confidence"],
                     regime_test_reason=r["reason"], regime_test_delay=r["delay"])
    return (f"\n  regime_test (delay {r['delay']}): {r['regime']}, confidence "
            f"{r['confidence']:.2f}: {r['reason']}")


def _at_ratio(da, ratio, n, dim, pool, method, extra):
    """H, C at t_pat = ratio t_nat: per series with its own t_nat, or pooled (mean t_nat)."""
    from .api import _warn_windows, as_series, time_step
    s = as_series(da, dim)
    dt = time_step(s, None)
    if dt is None:
        raise ValueError(f"--t-pat-ratio needs a uniform {dim!r} coordinate (the sampling "
                         "interval); use --delay")
    t_nat = natural_timescale(s, dt, method=method)
    tn = np.asarray(t_nat, dtype=float)
    ok = np.isfinite(tn) & (tn > 0)
    if not ok.any():
        raise ValueError(f"no series of {da.name} has a natural time scale (no mean "
                         "crossings); use --delay or --t-pat")
    step = (n - 1) * dt
    if tn.ndim == 0 or pool:
        t = float(np.mean(tn[ok]))
        res = complexity_entropy(s, n, max(1, int(round(ratio * t / step))), pool=pool,
                                 **extra)
        res.attrs.update(t_nat=t, t_pat_ratio=ratio)
        return res
    # each series at its own delay: compute the distinct delays once, pick per series
    own = np.where(ok, np.maximum(1, np.rint(ratio * np.where(ok, tn, 0) / step)), 1)
    delays = np.unique(own).astype(int)
    full = complexity_entropy(s, n, list(delays), warn=False, **extra)
    pick = xr.DataArray(np.searchsorted(delays, own), dims=s.dims[:-1])
    res = full.isel(delay=pick)
    _warn_windows(res["windows"].values.ravel(), n)
    for k in ("H", "C", "Q"):
        res[k] = res[k].where(xr.DataArray(ok, dims=s.dims[:-1]))
    res["t_nat"] = (s.dims[:-1], np.where(ok, tn, np.nan))
    res.attrs.update(t_pat_ratio=ratio)
    return res


def _text(res, var) -> str:
    import pandas as pd
    cols = [c for c in ("delay", "t_nat", "H", "C", "regime", "missing_patterns",
                        "missing_expected_white", "tie_fraction", "nan_windows", "windows")
            if c in res.data_vars or (c in res.coords and c not in res.dims
                                      and res[c].ndim > 0)]
    head = f"{var}: n = {res.attrs['n']}, {res.attrs['kind']}" + \
        (f", delay = {res.attrs['delay']}" if "delay" in res.attrs else "") + \
        (f", t_nat = {res.attrs['t_nat']:.6g}" if "t_nat" in res.attrs else "")
    if all(res[c].ndim == 0 for c in cols):
        return head + "\n" + "\n".join(f"  {c}: {_fmt(res[c].values)}" for c in cols)
    df = res.reset_coords()[cols].to_dataframe()[cols]
    with pd.option_context("display.max_rows", 40):
        return head + "\n" + df.to_string(float_format=lambda v: f"{v:.6g}")


def _scan_text(res, var) -> str:
    import pandas as pd
    cols = ["t_pat", "t_pat_ratio", "H", "C", "regime", "in_window"]
    order = [d for d in res["H"].dims if d != "delay"] + ["delay"]
    df = res.reset_coords()[cols].to_dataframe(dim_order=order)[cols]
    a = res.attrs
    if "t_nat" in a:
        head = (f"{var}: n = {a['n']}, t_nat = {a['t_nat']:.6g} ({a['t_nat_method']}), "
                f"t_dur / t_nat = {a['t_dur_ratio']:.3g}, recommended delay = "
                f"{a['recommended_delay']} (t_pat / t_nat nearest 0.4)")
        if "pooled_series" in a:
            head += f"; {a['pooled_series']} series pooled"
    else:
        per = res[["t_nat", "recommended_delay"]].to_dataframe()
        head = (f"{var}: n = {a['n']}, one scan per series, t_nat ({a['t_nat_method']}) "
                f"{a['t_nat_min']:.6g} .. {a['t_nat_max']:.6g}, t_dur = {a['t_dur']:.6g}\n"
                "recommended delay (t_pat / t_nat nearest 0.4) per series:\n"
                + per.to_string(float_format=lambda v: f"{v:.6g}"))
    with pd.option_context("display.max_rows", 200):
        return head + "\n" + df.to_string(float_format=lambda v: f"{v:.6g}")


def _fmt(v):
    v = v.item() if hasattr(v, "item") else v
    return f"{v:.10g}" if isinstance(v, float) else str(v)


def _plot(args, res, var, n, scan=False) -> str:
    if not args.plot:
        return ""
    import matplotlib
    matplotlib.use("Agg")
    from ...plotting.ordinal import hc_plane, scan_figure
    if scan:
        fig = scan_figure(res)
    else:
        H, C = np.ravel(res["H"].values), np.ravel(res["C"].values)
        fig = hc_plane(H, C, n, labels=[var] if H.size == 1 else None).figure
    fig.savefig(args.plot, dpi=120)
    return f"\nfigure: {args.plot}"
