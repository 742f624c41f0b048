"""``physim run | info | plot | regress | analyse``: the command line."""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from . import __version__

log = logging.getLogger("physim")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="physim", description=__doc__)
    p.add_argument("--version", action="version", version=f"physim {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    # -q also after the subcommand; SUPPRESS keeps a -q given before it
    q = argparse.ArgumentParser(add_help=False)
    q.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="only warnings and errors")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", parents=[q], help="run a case file")
    r.add_argument("case", help="TOML case file, e.g. cases/nlse/soliton.toml, or a physim "
                   "output to run again (its case and inputs)")
    r.add_argument("-o", "--output", help="output HDF5 file (default: <case name>.h5 here)")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="SEC.KEY=VALUE",
                   help="override a case value (repeatable), e.g. --set grid.N=1024")
    r.add_argument("--restart", metavar="OUT", help="continue the run stored in OUT")
    r.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    r.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto",
                   help="progress bar on a TTY, log lines otherwise (default auto)")
    r.add_argument("--walltime", metavar="[D-]HH:MM:SS",
                   help="stop cleanly, with a checkpoint, before this much time has passed "
                        "(exit status 75; continue with --restart)")

    sw = sub.add_parser("sweep", parents=[q], help="run a case over a grid (or a zip) of "
                        "values, each point an ordinary run with its own output")
    sw.add_argument("case", help="TOML case file (it may hold a [sweep] table)")
    sw.add_argument("-o", "--output", help="directory of the sweep (default: <case "
                    "name>_sweep here); it holds sweep.json and one output per point")
    sw.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="SEC.KEY=V1,V2,...", help="values to sweep (two or more, "
                    "comma-separated TOML values) or one value fixed for every point")
    sw.add_argument("--zip", action="store_true", help="take the i-th value of every key "
                    "together instead of every combination")
    sw.add_argument("--executor", choices=("local", "mpi", "dask"), default="local",
                    help="local processes (default), mpi4py.futures (under mpiexec -n K "
                         "python -m mpi4py.futures -m physim.cli sweep ...) or dask")
    sw.add_argument("--workers", type=int, help="points at a time (local: default the "
                    "core count / ranks; dask: LocalCluster processes)")
    sw.add_argument("--ranks", type=int, default=1, help="MPI ranks of each point (local "
                    "executor; default 1)")
    sw.add_argument("--scheduler", help="dask scheduler address (e.g. of a dask-jobqueue "
                    "SLURMCluster); default a LocalCluster")
    sw.add_argument("--retry-failed", action="store_true", help="run failed points anew")
    sw.add_argument("--overwrite", action="store_true",
                    help="replace another sweep in the same directory")
    sw.add_argument("--progress", choices=("auto", "bar", "log", "none"), default="auto")

    i = sub.add_parser("info", parents=[q],
                       help="print what an output file (or a solver's schema) holds")
    i.add_argument("target", help="output file, or a solver name with --schema")
    i.add_argument("--schema", action="store_true", help="list every case key of a solver")

    pl = sub.add_parser("plot", parents=[q], help="write the solver's standard figures as PNG")
    pl.add_argument("output", help="output HDF5 file")
    pl.add_argument("-d", "--dir", help="directory for the PNGs (default: <output>_figures)")

    g = sub.add_parser("regress", parents=[q],
                       help="run a case and compare it with a reference file")
    g.add_argument("case")
    g.add_argument("reference")
    g.add_argument("--rtol", type=float, default=None)
    g.add_argument("--atol", type=float, default=None)
    g.add_argument("--set", dest="overrides", action="append", default=[])

    a = sub.add_parser("analyse", parents=[q], aliases=["analyze"],
                       help="analysis routines on an output")
    asub = a.add_subparsers(dest="analysis", required=True)
    e = asub.add_parser("entropy", parents=[q], help="Shannon/Renyi/Tsallis entropies over time")
    e.add_argument("output")
    e.add_argument("-o", "--save", help="write the result to this netCDF/HDF5 file")
    e.add_argument("--alpha", type=float, action="append", help="Renyi order (repeatable)")
    e.add_argument("--q", type=float, action="append", help="Tsallis index (repeatable)")

    o = asub.add_parser("ordinal", parents=[q], help="permutation entropy and statistical "
                        "complexity (PECCARY) of a variable's time series")
    o.add_argument("output")
    o.add_argument("--var", help="variable to analyse (default: the case's analysis.variable, "
                   "else the only variable with a time dimension)")
    o.add_argument("--n", type=int, help="embedding dimension 2..8 (default 5, or the case's)")
    g2 = o.add_mutually_exclusive_group()
    g2.add_argument("--delay", type=int, action="append", help="delay in samples (repeatable)")
    g2.add_argument("--t-pat", type=float, action="append", help="pattern duration (repeatable)")
    g2.add_argument("--t-pat-ratio", type=float,
                    help="pattern duration as a fraction of the natural time scale")
    g2.add_argument("--scan", action="store_true",
                    help="scan t_pat up to t_nat and mark the recommended window")
    o.add_argument("--dim", help="the time dimension (default: the variable's time or "
                   "t_step axis)")
    o.add_argument("--pool", action="store_true",
                   help="several series (particles, grid points, species): one result for the "
                        "ensemble (histograms summed; with --scan / --t-pat-ratio t_nat is "
                        "their mean) instead of one per series")
    o.add_argument("--part", choices=("real", "imag", "abs", "abs2", "phase"),
                   help="how to make a complex variable real")
    o.add_argument("--kind", choices=("shannon", "renyi", "tsallis"), default="shannon")
    o.add_argument("--order", type=float, action="append", help="Renyi alpha / Tsallis q")
    o.add_argument("--weighted", action="store_true", help="weighted permutation entropy")
    o.add_argument("--plot", metavar="PNG", help="draw the H-C plane (or the scan) to this file")
    o.add_argument("-o", "--save", help="write the result to this netCDF/HDF5 file")

    ep = asub.add_parser("epr", parents=[q],
                         help="entropy production of an active-matter (AOUP) run")
    ep.add_argument("output")
    ep.add_argument("--skip", type=int, default=0, help="snapshots dropped first (transient)")
    ep.add_argument("--features", help="score features: affine or propulsion, with +force, "
                    "+hessian, and (AOUP, opt-in) +hessian2 and +contact2 (default: D^-1 b on "
                    "every output)")
    ep.add_argument("--parity", choices=["even", "odd"], default="even",
                    help="g under time reversal: even (the paper's) or odd (velocity-like)")
    ep.add_argument("--bins", type=int, default=32, help="grid of the EPR and current maps")
    ep.add_argument("--plot", metavar="PNG", help="draw the EPR map to this file")
    ep.add_argument("--neural", action="store_true",
                    help="train the neural score (physim[ml]) on the first 75%% of the "
                         "snapshots and estimate on the held-out rest")
    ep.add_argument("--steps", type=int, default=2000, help="training steps of --neural")
    ep.add_argument("--batch", type=int, help="snapshots per training step (default: about "
                    "1024 particles)")
    ep.add_argument("--save-score", metavar="NPZ", help="write the trained neural score here")
    ep.add_argument("--score", metavar="NPZ",
                    help="estimate with a saved neural score (e.g. trained at another N)")

    bz = asub.add_parser("boltzmann", parents=[q], help="a Boltzmann (mixture) run: moments, "
                         "conservation, H-theorem, epochal time scales, Euler limit of a shock "
                         "tube")
    bz.add_argument("output")
    ep.add_argument("-o", "--save", help="write the result to this netCDF/HDF5 file")
    return p


# the solvers whose outputs each analysis reads (None: any physim output)
ANALYSIS_SOLVERS = {"entropy": {"nlse"}, "epr": {"active"}, "boltzmann": {"boltzmann"},
                    "ordinal": None}


def check_args(args) -> None:
    """Check the file arguments before any work starts (raises cli_checks.UsageError)."""
    from . import cli_checks as c
    if args.command == "run":
        c.case_or_output(args.case)
        if args.walltime is not None:
            from .stopping import parse_walltime
            try:
                parse_walltime(args.walltime)
            except ValueError as exc:
                raise c.UsageError("--walltime", str(exc).partition(": ")[2],
                                   "e.g. --walltime 01:55:00") from None
        if args.restart is not None:
            c.output_file(args.restart, command="--restart", restart=True)
        else:
            from .runner import default_output
            out = args.output if args.output is not None else default_output(args.case)
            if Path(out).resolve() == Path(args.case).resolve():
                raise c.UsageError(out, "is the run to repeat, and would be overwritten",
                                   "write the new run elsewhere with -o PATH")
            c.new_file(out, exists_ok=args.overwrite)
    elif args.command == "info":
        if args.schema:
            from .solvers import SOLVERS
            if args.target not in SOLVERS:
                raise c.UsageError(args.target, "not a known solver",
                                   "--schema takes one of " + ", ".join(sorted(SOLVERS)))
        elif Path(args.target).is_dir() or Path(args.target).name == "sweep.json":
            if not (Path(args.target) / "sweep.json").is_file() and \
                    not Path(args.target).is_file():
                raise c.UsageError(args.target, "is a directory without a sweep.json",
                                   "give an output file or a sweep's directory")
        else:
            c.output_file(args.target)
    elif args.command == "sweep":
        c.case_or_output(args.case)
        for flag, v in (("--workers", args.workers), ("--ranks", args.ranks)):
            if v is not None and v < 1:
                raise c.UsageError(f"{flag} {v}", "is not a positive number", "e.g. 2")
    elif args.command == "plot":
        from .plotting import SOLVERS
        c.output_file(args.output, SOLVERS, command="physim plot")
        c.new_dir(_figures_dir(args))
    elif args.command == "regress":
        c.case_or_output(args.case)
        c.output_file(args.reference)
    else:
        if args.analysis == "ordinal":
            from .analysis.ordinal.command import check_options
            check_options(args)
        c.output_file(args.output, ANALYSIS_SOLVERS[args.analysis],
                      command=f"physim analyse {args.analysis}")
        for option in ("save", "plot", "save_score"):
            if getattr(args, option, None):
                c.new_file(getattr(args, option),
                           option="-o" if option == "save" else "--" + option.replace("_", "-"))
        if getattr(args, "score", None):
            c.input_file(args.score, "--score takes a neural score saved by --save-score")


def cmd_run(args) -> int:
    from .runner import run
    walltime = None
    if args.walltime is not None:
        from .stopping import parse_walltime
        walltime = parse_walltime(args.walltime)
    out = run(args.case, args.output, overrides=args.overrides, restart=args.restart,
              overwrite=args.overwrite, progress=args.progress, walltime=walltime)
    from .parallel import get_comm
    if get_comm().rank == 0:
        print(out)
    return 0


def cmd_info(args) -> int:
    if args.schema:
        from .cases import describe
        from .solvers import get_solver
        print(describe(get_solver(args.target).SCHEMA))
        return 0
    from pathlib import Path

    from .io import open as open_output
    if Path(args.target).is_dir() or Path(args.target).name == "sweep.json":
        from .sweep import describe
        print(describe(args.target))
        return 0
    with open_output(args.target) as ds:
        print(ds)
        print()
        keys = ["status", "title", "integrator_naccept", "integrator_nfev", "integrator_nreject",
                "wall_time_s"] + [k for k in ds.attrs if k.startswith("ordinal_")]
        for key in keys:
            if key in ds.attrs:
                print(f"{key}: {ds.attrs[key]}")
        print("case:\n" + "\n".join("  " + ln for ln in str(ds.attrs.get("case", "")).splitlines()))
    return 0


def cmd_plot(args) -> int:
    from .io import open as open_output
    from .plotting import standard_figures
    outdir = _figures_dir(args)
    with open_output(args.output) as ds:
        paths = standard_figures(ds.load(), outdir)
    for p in paths:
        print(p)
    return 0


def _figures_dir(args) -> Path:
    return Path(args.dir) if args.dir else Path(args.output).with_name(
        Path(args.output).stem + "_figures")


def cmd_regress(args) -> int:
    from .runner import run
    from .testing import DEFAULT_ATOL, DEFAULT_RTOL, compare
    from .api import Case
    from .inputs import read
    # the inputs the reference ran with (files may have changed or gone since)
    case = Case(args.case, overrides=args.overrides)
    case = case.with_(inputs={k: v for k, v in read(args.reference).items()
                              if k not in case.inputs})
    with tempfile.TemporaryDirectory() as tmp:
        out = run(case, Path(tmp) / "run.h5", progress="none")
        res = compare(out, args.reference,
                      rtol=DEFAULT_RTOL if args.rtol is None else args.rtol,
                      atol=DEFAULT_ATOL if args.atol is None else args.atol)
    print(res.report())
    return 0 if res.ok else 1


def cmd_analyse(args) -> int:
    if args.analysis == "boltzmann":
        from .io import open as open_output
        from .solvers.boltzmann.report import report
        with open_output(args.output) as ds:
            ds = ds.load()
        if ds.attrs.get("solver") != "boltzmann":
            raise SystemExit(f"{args.output}: not a boltzmann run (solver = "
                             f"{ds.attrs.get('solver')!r})")
        print(report(ds))
        return 0
    if args.analysis == "epr":
        from .analysis.epr import entropy_production
        from .io import open as open_output
        with open_output(args.output) as ds:
            ds = ds.load()
        score, skip = None, args.skip
        if args.neural:
            from .analysis.epr.neural import train_neural_score
            score = train_neural_score(ds, skip=skip, steps=args.steps, batch=args.batch)
            step, train, val, sec = score.history[-1]
            print(f"neural score: {step} steps in {sec:.0f} s, held-out loss {val:.5g}")
            skip = score.first_heldout
            if args.save_score:
                score.save(args.save_score)
                print(f"score saved to {args.save_score}")
        elif args.score:
            from .analysis.epr.neural import NeuralScore
            score = NeuralScore.load(args.score)
        res = entropy_production(ds, skip=skip, features=args.features, bins=args.bins,
                                 score=score, parity=args.parity)
        N = res.sizes["particle"]
        print(f"convention: {res.attrs['convention']}, parity {res.attrs['parity']} "
              f"({res.attrs['snapshots']} snapshots, features {res.attrs['features']})")
        print(f"EPR: {float(res.epr):.6g} +- {float(res.epr_error):.2g}  "
              f"(per particle {float(res.epr) / N:.6g})")
        print(f"score-free: {float(res.epr_score_free):.6g} +- "
              f"{float(res.epr_score_free_error):.2g} (conditions "
              f"{res.attrs['score_free_conditions']})")
        if "epr_region" in res:
            print("per particle by environment: " + ", ".join(
                f"{r} {float(e):.6g} +- {float(err):.2g} ({float(f):.0%})" for r, e, err, f in
                zip(res.region.values, res.epr_region.values, res.epr_region_error.values,
                    res.region_fraction.values)))
        print("by degree of freedom: " + ", ".join(
            f"{str(k)} {float(v):.6g}" for k, v in zip(res.dof.values, res.epr_dof.values)))
        if args.plot:
            from .plotting.active import epr_map_figure
            epr_map_figure(res).savefig(args.plot, dpi=110)
            print(f"figure: {args.plot}")
        if args.save:
            res.to_netcdf(args.save, engine="h5netcdf")
            print(f"saved to {args.save}")
        return 0
    if args.analysis == "ordinal":
        from .analysis.ordinal.command import analyse_output
        res, text = analyse_output(args)
        print(text)
        if args.save:
            res.to_netcdf(args.save, engine="h5netcdf")
            print(f"saved to {args.save}")
        return 0
    from .analysis import entropies
    from .io import open as open_output
    with open_output(args.output) as ds:
        kw = {}
        if args.alpha:
            kw["alphas"] = tuple(args.alpha)
        if args.q:
            kw["qs"] = tuple(args.q)
        res = entropies(ds.load(), **kw)
    print(_table(res))
    if args.save:
        res.to_netcdf(args.save, engine="h5netcdf")
        print(f"saved to {args.save}")
    return 0


def _table(ds) -> str:
    """One column per variable and order (e.g. density_renyi[alpha=2]), one row per time."""
    import pandas as pd
    cols = {}
    for name, da in ds.data_vars.items():
        extra = [d for d in da.dims if d != "time"]
        if not extra:
            cols[name] = da.to_series()
            continue
        for v in da[extra[0]].values:
            cols[f"{name}[{extra[0]}={v:g}]"] = da.sel({extra[0]: v}).to_series()
    return pd.DataFrame(cols).to_string(float_format=lambda v: f"{v:.10g}")


EXIT_INTERRUPTED = 75


def _end_ranks(code: int, abort: bool = True) -> int:
    """Under MPI with several ranks, an error on one rank would leave the others waiting
    in a collective forever: abort the job (every rank's file stays readable: it is
    written in place, see physim.writer)."""
    from .parallel import launched_under_mpi
    if abort and launched_under_mpi():
        from .parallel import get_comm
        comm = get_comm()
        if comm.size > 1:
            sys.stderr.flush()
            comm.mpi_comm.Abort(code)
    return code


def cmd_sweep(args) -> int:
    from .sweep import sweep, split_sweep_overrides
    values, fixed = split_sweep_overrides(args.overrides)
    res = sweep(args.case, args.output, values=values, mode="zip" if args.zip else "grid",
                overrides=fixed, executor=args.executor, workers=args.workers,
                ranks=args.ranks, scheduler=args.scheduler, retry_failed=args.retry_failed,
                overwrite=args.overwrite, progress=args.progress)
    n = len(res["points"])
    print(f"{res['outdir']}: {res['completed']} of {n} points completed"
          + (f", {res['failed']} failed" if res["failed"] else "")
          + (f", {res['interrupted']} interrupted" if res["interrupted"] else ""))
    for p in res["points"]:
        if p["status"] != "completed":
            more = p["error"] and not p["status"].startswith("failed")
            print(f"  point {p['index']}: {p['status']}" + (f": {p['error']}" if more else ""))
    return 0 if res["completed"] == n else 1


COMMANDS = {"run": cmd_run, "sweep": cmd_sweep, "info": cmd_info, "plot": cmd_plot, "regress": cmd_regress,
            "analyse": cmd_analyse, "analyze": cmd_analyse}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    from .cases import CaseError
    from .cli_checks import UsageError
    from .runner import RunError, RunInterrupted
    try:
        check_args(args)
        return COMMANDS[args.command](args)
    except RunInterrupted as exc:
        # a clean early stop: a job script requeues on 75 (EX_TEMPFAIL); Ctrl-C keeps 130
        print(f"physim: {exc}", file=sys.stderr)
        return _end_ranks(130 if exc.reason == "SIGINT" else EXIT_INTERRUPTED, abort=False)
    except UsageError as exc:
        print(f"physim: error: {exc}", file=sys.stderr)
        return _end_ranks(2)
    except CaseError as exc:
        print(f"physim: {exc}", file=sys.stderr)
        return _end_ranks(2)
    except (FileNotFoundError, FileExistsError, ValueError, RunError) as exc:
        print(f"physim: error: {exc}", file=sys.stderr)
        return _end_ranks(1)
    except BrokenPipeError:  # e.g. piped into head (before Exception, which would catch it)
        sys.stderr.close()
        return 0
    except Exception:
        import traceback
        traceback.print_exc()
        return _end_ranks(1)
    except KeyboardInterrupt:
        print("physim: interrupted; the snapshots written so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
