"""``physim analyse ordinal OUT``: the ordinal analysis of any physim output variable."""
from __future__ import annotations

import numpy as np

from .api import complexity_entropy
from .sampling import natural_timescale, sampling_scan

PARTS = {"real": np.real, "imag": np.imag, "abs": np.abs,
         "abs2": lambda z: np.abs(z) ** 2, "phase": np.angle}


def pick_variable(ds, var, dim):
    """The variable to analyse: ``var``, the case's ``analysis.variable``, or the only one."""
    if var is None:
        var = ds.attrs.get("analysis_variable")
    if var is None:
        timed = [k for k, v in ds.data_vars.items() if dim in v.dims]
        if len(timed) != 1:
            raise ValueError(f"choose a variable with --var; variables along {dim!r}: "
                             + ", ".join(timed))
        var = timed[0]
    if var not in ds.data_vars:
        raise ValueError(f"--var {var!r} is not in the file; it holds "
                         + ", ".join(ds.data_vars))
    if dim not in ds[var].dims:
        raise ValueError(f"--var {var!r} has no dimension {dim!r} (its dims: {ds[var].dims}); "
                         "pass --dim")
    return var


def analyse_output(args):
    """(result Dataset, printable text) for the parsed ``physim analyse ordinal`` arguments."""
    from ...io import open as open_output
    with open_output(args.output) as ds:
        var = pick_variable(ds, args.var, args.dim)
        da = ds[var].load()
        attrs = dict(ds.attrs)
    if np.iscomplexobj(da.values):
        if args.part is None:
            raise ValueError(f"{var} is complex; choose --part real, imag, abs, abs2 or phase")
        da = da.copy(data=PARTS[args.part](da.values))
    n = args.n or int(attrs.get("analysis_n", 5))
    kw = dict(n=n, dim=args.dim)
    extra = {"kind": args.kind, "weighted": args.weighted}
    if args.order:
        extra["order"] = args.order if len(args.order) > 1 else args.order[0]
    if args.scan:
        res = sampling_scan(da, **kw, **extra)
        return res, (_scan_text(res, var) + _regime_text(res, da, args, n, None)
                     + _plot(args, res, var, n, scan=True))
    ratio = args.t_pat_ratio
    if ratio is None and not (args.delay or args.t_pat) and attrs.get("analysis_t_pat_ratio"):
        ratio = float(attrs["analysis_t_pat_ratio"])
    if ratio:
        from .api import as_series, time_step
        s = as_series(da, args.dim)
        t_nat = natural_timescale(s, method=attrs.get("analysis_t_nat_method", "ncross"))
        if np.ndim(t_nat):
            raise ValueError("--t-pat-ratio needs one series (t_nat differs between series); "
                             "use --t-pat")
        dt = time_step(s, None)
        delay = max(1, int(round(ratio * t_nat / ((n - 1) * dt))))
        res = complexity_entropy(da, delay=delay, **kw, **extra)
        res.attrs.update(t_nat=t_nat, t_pat_ratio=ratio)
    elif args.t_pat:
        res = complexity_entropy(da, t_pat=args.t_pat if len(args.t_pat) > 1 else args.t_pat[0],
                                 **kw, **extra)
    else:
        delay = args.delay or [int(attrs.get("analysis_delay", 1))]
        res = complexity_entropy(da, delay=delay if len(delay) > 1 else delay[0], **kw, **extra)
    d = res.attrs.get("delay")
    return res, _text(res, var) + _regime_text(res, da, args, n, d) + _plot(args, res, var, n)


def _regime_text(res, da, args, n, delay) -> str:
    """regime_test of a single Shannon series (stored in res.attrs too); '' otherwise."""
    from .api import as_series, time_step
    from .regime import regime_test
    s = as_series(da, args.dim)
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


def _text(res, var) -> str:
    import pandas as pd
    cols = [c for c in ("H", "C", "regime", "missing_patterns", "missing_expected_white",
                        "tie_fraction", "nan_windows", "windows") if c in res]
    head = f"{var}: n = {res.attrs['n']}, {res.attrs['kind']}" + \
        (f", delay = {res.attrs['delay']}" if "delay" in res.attrs else "") + \
        (f", t_nat = {res.attrs['t_nat']:.6g}" if "t_nat" in res.attrs else "")
    if all(res[c].ndim == 0 for c in cols):
        return head + "\n" + "\n".join(f"  {c}: {_fmt(res[c].values)}" for c in cols)
    df = res[cols].to_dataframe()[cols]
    with pd.option_context("display.max_rows", 40):
        return head + "\n" + df.to_string(float_format=lambda v: f"{v:.6g}")


def _scan_text(res, var) -> str:
    import pandas as pd
    cols = ["t_pat", "t_pat_ratio", "H", "C", "regime", "in_window"]
    df = res.reset_coords()[cols].to_dataframe()[cols]
    a = res.attrs
    head = (f"{var}: n = {a['n']}, t_nat = {a['t_nat']:.6g} ({a['t_nat_method']}), "
            f"t_dur / t_nat = {a['t_dur_ratio']:.3g}, recommended delay = "
            f"{a['recommended_delay']} (t_pat / t_nat nearest 0.4)")
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
