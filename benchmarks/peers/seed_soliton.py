"""Peer benchmark: the seed package `simple-idealized-1d-nlse` 0.0.5 on the moving soliton.

Run with the separate bench venv (not physim's environment):

    /work/bench-venv/bin/python benchmarks/peers/seed_soliton.py [--rtol R] [--atol A] ...

The case is physim's moving-soliton case: i psi_t + 1/2 psi_xx + |psi|^2 psi = 0
(the seed uses exactly this convention and the same grid, x in [-L/2, L/2), N points,
endpoint excluded), L = 50, N = 512, T = 20, eta = 2, v = 1, x0 = -10, 101 snapshots.

The seed is driven the way its README tells a user to: write a YAML config and run
its CLI (`nlse-simulate --config case.yaml -o OUTDIR`), here by calling its console
entry point `simple_idealized_1d_nlse.cli:main` in-process so the run can be timed.
That run writes the seed's normal outputs (NetCDF file, GIF animation, log file).
The errors are computed afterwards from the NetCDF file the seed wrote.

The seed hard-codes its log directory as "../logs" relative to the working directory
(and its default output directory as "../outputs"), so the script runs it from inside
a scratch directory (default: a fresh temporary directory, removed afterwards).

Prints one JSON line on stdout; the seed's own console output goes to stderr.
Options left unset keep the seed's defaults (DOP853, rtol 1e-9, atol 1e-11,
max_step 0.1, anti-aliasing filter on, verbose on, NetCDF + GIF written).
"""
import time

_T_START = time.perf_counter()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

from soliton_case import ETA, L, N, NSNAP, T, V, X0, exact  # noqa: E402,F401


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rtol", type=float, default=None, help="seed default 1e-9")
    ap.add_argument("--atol", type=float, default=None, help="seed default 1e-11")
    ap.add_argument("--method", default=None, help="solve_ivp method; seed default DOP853")
    ap.add_argument("--quiet", action="store_true",
                    help="pass the seed's -q (no progress bar; also disables its "
                         "per-step progress 'event', which changes nfev)")
    ap.add_argument("--no-gif", action="store_true", help="config save_animation: false")
    ap.add_argument("--no-netcdf", action="store_true",
                    help="config save_netcdf: false (then no errors can be computed)")
    ap.add_argument("--no-filter", action="store_true", help="config use_filtering: false")
    ap.add_argument("--workdir", default=None,
                    help="scratch dir (kept); default: temporary dir, removed")
    args = ap.parse_args()

    t_imp = time.perf_counter()
    import simple_idealized_1d_nlse as seed
    from simple_idealized_1d_nlse import cli as seed_cli
    from simple_idealized_1d_nlse.core.solver import NLSESolver
    import yaml
    import_s = time.perf_counter() - t_imp

    # Record the solver statistics the seed computes but does not write to a file
    # (it only prints them): a thin pass-through wrapper around NLSESolver.solve.
    info = {}
    _solve = NLSESolver.solve

    def _recording_solve(self, *a, **kw):
        res = _solve(self, *a, **kw)
        info.update(res["solver_info"])
        info["seed_integration_s"] = res["timing"]["integration"]
        return res

    NLSESolver.solve = _recording_solve

    scratch = args.workdir or tempfile.mkdtemp(prefix="seed_soliton_")
    rundir = os.path.join(scratch, "run")      # seed writes logs to ../logs
    outdir = os.path.join(scratch, "outputs")
    os.makedirs(rundir, exist_ok=True)
    config = {
        "scenario_name": "moving soliton",
        "initial_condition": "single_soliton",
        "domain_length": L,
        "num_points": N,
        "t_final": T,
        "n_snapshots": NSNAP,
        "amplitude": ETA,
        "position": X0,
        "velocity": V,
    }
    if args.rtol is not None:
        config["rtol"] = args.rtol
    if args.atol is not None:
        config["atol"] = args.atol
    if args.method is not None:
        config["method"] = args.method
    if args.no_gif:
        config["save_animation"] = False
    if args.no_netcdf:
        config["save_netcdf"] = False
    if args.no_filter:
        config["use_filtering"] = False
    cfg_path = os.path.join(scratch, "moving_soliton.yaml")
    with open(cfg_path, "w") as f:
        yaml.safe_dump(config, f)

    argv = ["nlse-simulate", "--config", cfg_path, "-o", outdir]
    if args.quiet:
        argv.append("-q")
    cwd = os.getcwd()
    os.chdir(rundir)
    saved_argv = sys.argv
    sys.argv = argv
    try:
        with contextlib.redirect_stdout(sys.stderr):
            t0 = time.perf_counter()
            seed_cli.main()                      # == `nlse-simulate --config ... -o ...`
            wall_s = time.perf_counter() - t0
    finally:
        sys.argv = saved_argv
        os.chdir(cwd)

    result = {
        "package": "simple-idealized-1d-nlse",
        "version": seed.__version__,
        "interface": "cli: nlse-simulate --config case.yaml -o OUT" + (" -q" if args.quiet else ""),
        "method": info.get("method"),
        "rtol": info.get("rtol"),
        "atol": info.get("atol"),
        "filtering": info.get("filtering"),
        "gif": not args.no_gif,
        "success": info.get("success"),
        "wall_s": round(wall_s, 4),
        "seed_integration_s": round(info.get("seed_integration_s", float("nan")), 4),
        "import_s": round(import_s, 4),
        "nfev": info.get("nfev"),
    }

    outputs = sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []
    result["outputs"] = {f: os.path.getsize(os.path.join(outdir, f)) for f in outputs}
    nc_path = os.path.join(outdir, "moving_soliton.nc")
    if os.path.exists(nc_path):
        from netCDF4 import Dataset
        with Dataset(nc_path) as nc:
            x = np.asarray(nc["x"][:])
            t = np.asarray(nc["t"][:])
            psi = np.asarray(nc["psi_real"][:]) + 1j * np.asarray(nc["psi_imag"][:])
        x_ref = np.linspace(-L / 2, L / 2, N, endpoint=False)
        t_ref = np.linspace(0.0, T, NSNAP)
        assert psi.shape == (NSNAP, N), psi.shape
        assert np.allclose(x, x_ref) and np.allclose(t, t_ref)
        ref = exact(x[None, :], t[:, None])
        err = np.linalg.norm(psi - ref, axis=1) / np.linalg.norm(ref, axis=1)
        result["max_rel_l2"] = float(err.max())
        result["rel_l2_T"] = float(err[-1])
    else:
        result["max_rel_l2"] = result["rel_l2_T"] = None

    if args.workdir is None:
        shutil.rmtree(scratch, ignore_errors=True)
    result["script_total_s"] = round(time.perf_counter() - _T_START, 4)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
