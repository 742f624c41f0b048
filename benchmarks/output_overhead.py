"""What the frame (validation, output, checkpoints, progress) costs beyond the physics.

    python benchmarks/output_overhead.py [--peer-python /work/bench-venv/bin/python]
                                         [--rtol 1e-9] [--reps 5]

On the seed package's own soliton case (L = 50, N = 512, T = 20, eta = 2, v = 1, 101
snapshots) it prints, each a ratio of wall times measured in this one run (medians of
alternating repetitions):

1. ``physim.run`` end to end (in the process, output included) / the solver loop alone
   (the same ``Simulation`` stepped through every snapshot, nothing written);
2. the whole ``physim run`` process / the whole seed-package process, at equal final
   error (the seed runs in its own venv: ``--peer-python``; see benchmarks/peers/);
3. the fixed cost of a one-snapshot run: the whole ``physim run`` process minus
   ``python -c "import physim"``;
4. the cost of writing one snapshot (the frame's ``OutputFile.write``) for 512 complex
   points, a 2-D 512^2 field and an active-matter state of N = 32768, and the
   checkpoint of each.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "nlse" / "soliton.toml"  # L = 50, N = 512, T = 20, eta = 2, v = 1
PEER = REPO / "benchmarks" / "peers" / "seed_soliton.py"


def soliton_error(path) -> tuple[float, float]:
    """(max over snapshots, final) relative L2 error against the exact soliton."""
    import physim
    from physim.solvers.nlse import exact
    with physim.open(path) as ds:
        x, errs = ds.x.values, []
        for t, psi in zip(ds.time.values, ds.psi.values):
            ex = exact.soliton_physical(x, t, 2.0, 1.0, -10.0, 0.0, 0.5, 1.0)
            errs.append(np.linalg.norm(psi - ex) / np.linalg.norm(ex))
    return max(errs), errs[-1]


def solver_loop(overrides) -> float:
    """Wall time of the solver alone: validate once, then step through every snapshot."""
    from threadpoolctl import threadpool_limits

    from physim.runner import load
    from physim.solvers.nlse import Simulation
    params, _ = load(CASE, overrides)
    t = time.perf_counter()
    with threadpool_limits(1):
        for _ in Simulation(params).run():
            pass
    return time.perf_counter() - t


def frame_run(overrides, out) -> float:
    import physim
    t = time.perf_counter()
    physim.run(CASE, out, overrides=overrides, overwrite=True, progress="none")
    return time.perf_counter() - t


def process(cmd) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{cmd} failed: {r.stderr[-2000:]}")
    return time.perf_counter() - t, r.stdout


def write_cost(coords, variables, data, reps=200) -> tuple[float, float]:
    """(seconds per snapshot write, seconds per checkpoint) of OutputFile."""
    from physim.writer import OutputFile
    from physim.io import Var
    with tempfile.TemporaryDirectory() as tmp:
        cp = {k: v for k, v in data.items() if isinstance(v, np.ndarray)}
        f = OutputFile.create(Path(tmp) / "w.h5", coords=coords, variables=variables, attrs={},
                              sizes={"time": reps},
                              restart_vars={k: Var(variables[k].dims[1:], v.dtype, {}, v.shape)
                                            for k, v in cp.items()})
        t = time.perf_counter()
        for i in range(reps):
            f.write("time", i, float(i), data)
        per = (time.perf_counter() - t) / reps
        t = time.perf_counter()
        for _ in range(10):
            f.write_checkpoint({**cp, "t": 1.0, "stats": json.dumps({"nfev": 1})})
        per_cp = (time.perf_counter() - t) / 10
        f.finish("completed")
    return per, per_cp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-python", default="/work/bench-venv/bin/python")
    ap.add_argument("--rtol", type=float, default=None,
                    help="physim's rtol for the equal-error comparison (default: the case's)")
    ap.add_argument("--peer-args", default="", help="extra arguments for the seed script")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    ov = [] if a.rtol is None else [f"numerics.rtol={a.rtol}", f"numerics.atol={a.rtol * 1e-2}"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.h5"
        frame_run(ov, out)  # warm: numba's cache loaded, imports done
        loop, full = [], []
        for _ in range(a.reps):
            loop.append(solver_loop(ov))
            full.append(frame_run(ov, out))
        err_max, err_end = soliton_error(out)
        rows.append(("physim.run in the process / its solver loop",
                     statistics.median(full) / statistics.median(loop),
                     f"{statistics.median(full):.3f} s / {statistics.median(loop):.3f} s"))

        cli = [sys.executable, "-m", "physim.cli", "-q", "run", str(CASE), "-o", str(out),
               "--overwrite", *sum([["--set", s] for s in ov], [])]
        one = [sys.executable, "-m", "physim.cli", "-q", "run", str(CASE), "-o", str(out),
               "--overwrite", "--set", "time.end=1e-6", "--set", "output.every=1.0"]
        imp = [sys.executable, "-c", "import physim"]
        stack = [sys.executable, "-c", "import physim.runner, physim.solvers.nlse, physim.writer,"
                 " h5netcdf; from physim.solvers.nlse.kernels import phase_table;"
                 " phase_table(0.1, 4)"]  # what any NLSE run must load, and numba's start
        lean = [a.peer_python, str(PEER), "--no-gif", "--quiet", *a.peer_args.split()]
        peer = [a.peer_python, str(PEER), *a.peer_args.split()]
        have_peer = Path(a.peer_python).exists()
        ts = {"cli": [], "one": [], "imp": [], "stack": [], "peer": [], "lean": []}
        warm = []
        peer_report = None
        for _ in range(a.reps):
            ts["cli"].append(process(cli)[0])
            ts["one"].append(process(one)[0])
            ts["imp"].append(process(imp)[0])
            ts["stack"].append(process(stack)[0])
            warm.append(frame_run(["time.end=1e-6", "output.every=1.0"], out))
            if have_peer:
                t, text = process(peer)
                ts["peer"].append(t)
                peer_report = json.loads(text.strip().splitlines()[-1])
                t, text = process(lean)
                ts["lean"].append(t)
                lean_report = json.loads(text.strip().splitlines()[-1])
        med = {k: statistics.median(v) for k, v in ts.items() if v}
        if have_peer:
            rows.append(("seed package process / physim run process (equal error)",
                         med["peer"] / med["cli"],
                         f"{med['peer']:.2f} s / {med['cli']:.2f} s; errors max/final: seed "
                         f"{peer_report['max_rel_l2']:.2e}/{peer_report['rel_l2_T']:.2e}, "
                         f"physim {err_max:.2e}/{err_end:.2e}"))
            rows.append(("seed, no GIF and quiet / physim run process (equal error)",
                         med["lean"] / med["cli"],
                         f"{med['lean']:.2f} s / {med['cli']:.2f} s; seed error max "
                         f"{lean_report['max_rel_l2']:.2e}"))
        rows.append(("one-snapshot run process minus `import physim` (s)",
                     med["one"] - med["imp"],
                     f"{med['one']:.3f} s - {med['imp']:.3f} s; of which loading numpy, scipy.fft,"
                     f" numba, h5py and starting numba: {med['stack'] - med['imp']:.3f} s"))
        rows.append(("one-snapshot run in a warm process: the frame's fixed cost (s)",
                     statistics.median(warm), "validation, layout, first snapshot, checkpoint,"
                     " finish"))

    print_rows(rows)
    rows = []
    from physim.io import Var
    cases = {
        "1-D NLSE, 512 complex": (
            {"x": (("x",), np.arange(512.0), {})},
            {"psi": Var(("time", "x"), np.complex128, {}), "mass": Var(("time",), float, {}),
             "energy": Var(("time",), float, {})},
            {"psi": np.ones(512, complex), "mass": 1.0, "energy": 2.0}),
        "2-D NLSE, 512^2 complex": (
            {"x": (("x",), np.arange(512.0), {}), "y": (("y",), np.arange(512.0), {})},
            {"psi": Var(("time", "x", "y"), np.complex128, {})},
            {"psi": np.ones((512, 512), complex)}),
        "active, N = 32768": (
            {"particle": (("particle",), np.arange(32768), {}), "dim": (("dim",), np.arange(2), {})},
            {"position": Var(("time", "particle", "dim"), float, {}),
             "propulsion": Var(("time", "particle", "dim"), float, {})},
            {"position": np.ones((32768, 2)), "propulsion": np.ones((32768, 2))}),
    }
    for name, (coords, variables, data) in cases.items():
        reps = 200 if "1-D" in name else 40
        nbytes = sum(np.asarray(v).nbytes for v in data.values())
        per, per_cp = write_cost(coords, variables, data, reps)
        rows.append((f"write one snapshot, {name} ({nbytes / 1e6:.3g} MB)", per * 1e3,
                     f"ms per snapshot ({nbytes / per / 1e9:.2f} GB/s); checkpoint "
                     f"{per_cp * 1e3:.3g} ms"))
    print_rows(rows)


def print_rows(rows):
    for label, value, detail in rows:
        print(f"{label:<62}  {value:8.3f}  {detail}", flush=True)


if __name__ == "__main__":
    main()
