"""Capture of the exact EPR at the MIPS state point by the closed-form linear scores, on
held-out runs: convergence with the number of training snapshots and the training time
(issue 16, items 1 and 2; README, active matter, "MIPS state point").

The paper's state point (cases/active/mips.toml: N = 4096, phi = 0.5, v0 = 0.025,
gamma = 1e-4, eps = 0, dt = 0.1). A score is fitted on the first n snapshots (t >= --t0)
of the training run and applied to every snapshot t >= --t0 of the other runs, which it
has never seen; the capture is the EPR of that score over the exact score-free EPR
-E[div_x b_x] = E[tr H] of the same snapshots. Two held-out numbers:

* plug-in: gamma E sum_i |g_i + s_i|^2 (what ``entropy_production(ds, score=...)``
  reports; for a score that is not the L2 projection on these samples it may exceed 1);
* bound: gamma (2 E[g . u - div_g u] - E|u|^2), u = g + s, the variational (score-matching)
  lower bound of the EPR, which holds for any score: <= 1 up to sampling error.

    python benchmarks/epr_mips_capture.py --train mips_s1.h5 --test mips_s2.h5 [more.h5 ...]
    python benchmarks/epr_mips_capture.py --run /tmp/mips16    # simulate the two seeds first

Runs (README, 2026-12-02): physim run cases/active/mips.toml -o mips_s{1,2}.h5
--set time.end=30000 --set output.every=200 --set initial.seed={1,2}; --t0 16000
(gamma t = 1.6-3, 71 snapshots each). Fits take seconds: the features cost about 0.1 s a
snapshot at N = 4096 on one core.
"""
import argparse
import os
import time
import warnings

import numpy as np

import physim
from physim.analysis.epr import entropy_production
from physim.analysis.epr.score import LinearScore
from physim.solvers.active.drift import ActiveDrift

warnings.simplefilter("ignore")
CASE = os.path.join(os.path.dirname(__file__), "..", "cases", "active", "mips.toml")
SETS = ("propulsion+force+hessian", "propulsion+force+hessian+hessian2",
        "propulsion+force+hessian+hessian2+contact2")


def snapshots(path, t0):
    with physim.open(path) as ds:
        ds = ds.load()
    keep = ds.time.values >= t0
    return ds.isel(time=np.flatnonzero(keep)), ActiveDrift.from_output(ds)


def prepared(ds, drift, needs):
    """(dx, g, extra, tr H) per snapshot, and the seconds the features took."""
    t = time.perf_counter()
    out = []
    for x, g in zip(ds.position.values, ds.propulsion.values):
        F = drift.force(x)
        extra = drift.extra(x, g, F, needs)
        out.append((drift.displacement(x), g, extra, -float(drift(x, g)[2].sum())))
    return out, time.perf_counter() - t


def fit(features, prep, n):
    sc = LinearScore(features, ("g0", "g1"))
    for dx, g, extra, _ in prep[:n]:
        sc.accumulate(dx, g, extra)
    return sc.fit()


def held_out(sc, prep, gamma):
    """(plug-in capture, bound capture) of a fitted score on prepared snapshots."""
    plug, bound, ref = 0.0, 0.0, 0.0
    for dx, g, extra, trh in prep:
        s = sc(dx, g, extra)
        u = g + np.stack([s["g0"], s["g1"]], -1)
        div = 2.0 * len(g) + sum(sc._dpsi(c, g, extra) @ sc.theta[k]
                                 for k, c in enumerate(sc.outputs))
        plug += gamma * (u ** 2).sum()
        bound += gamma * (2 * ((g * u).sum() - div) - (u ** 2).sum())
        ref += trh
    return plug / ref, bound / ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", help="run the scores are fitted on")
    ap.add_argument("--test", nargs="+", default=[],
                    help="held-out runs (any N, phi), PATH or PATH:T0 (first time used there)")
    ap.add_argument("--run", metavar="DIR", help="simulate seeds 1 and 2 here first")
    ap.add_argument("--t0", type=float, default=16000.0, help="first time used (gamma t0 = 1.6)")
    ap.add_argument("--counts", type=int, nargs="+", default=[2, 4, 8, 16, 32, 71])
    ap.add_argument("--features", nargs="+", default=list(SETS))
    ap.add_argument("--no-crossfit", action="store_true",
                    help="skip the within-run cross-fitted estimates")
    args = ap.parse_args()
    if args.run:
        paths = []
        for seed in (1, 2):
            p = os.path.join(args.run, f"mips_s{seed}.h5")
            if not os.path.exists(p):
                physim.Case(CASE, initial={"seed": seed}, time={"end": 30000.0},
                            output={"every": 200.0}).run(p, progress="log")
            paths.append(p)
        args.train, args.test = paths[0], [paths[1]] + args.test
    train, drift = snapshots(args.train, args.t0)
    needs = ("F", "hessian", "hessian2", "contact2")
    prep_train, t_feat = prepared(train, drift, needs)
    per_snap = t_feat / len(prep_train)
    tests = []
    for spec in args.test:
        p, _, t0 = spec.partition(":")
        ds, d = snapshots(p, float(t0) if t0 else args.t0)
        tests.append((p, ds, d, prepared(ds, d, needs)[0]))
    print(f"train {args.train}: {len(prep_train)} snapshots t >= {args.t0:g}, features "
          f"{per_snap:.2f} s / snapshot")
    for p, ds, d, _ in tests:
        print(f"held out {p}: N = {d.params['system']['N']}, phi = {d.params['system']['phi']}, "
              f"{ds.sizes['time']} snapshots, gamma t = {d.gamma * ds.time.values[0]:.2f}.."
              f"{d.gamma * ds.time.values[-1]:.2f}")
    print(f"{'features':44s} {'n':>3} {'train s':>7}  " +
          "  ".join(f"{os.path.basename(p)} (N={d.params['system']['N']}, "
                    f"phi={d.params['system']['phi']}): plug-in / bound" for p, _, d, _ in tests))
    for features in args.features:
        for n in [c for c in args.counts if c <= len(prep_train)]:
            t = time.perf_counter()
            sc = fit(features, prep_train, n)
            t_train = time.perf_counter() - t + n * per_snap
            cols = [held_out(sc, prep, d.gamma) for _, _, d, prep in tests]
            print(f"{features:44s} {n:3d} {t_train:7.1f}  " +
                  "  ".join(f"{a:.3f} / {b:.3f}" for a, b in cols), flush=True)
    if args.no_crossfit:
        return
    # the estimator's own cross-fitted number on each run (4 folds within the run)
    for p, ds, d, _ in [(args.train, train, drift, None)] + tests:
        for features in args.features:
            r = entropy_production(ds, features=features, regions=False)
            print(f"cross-fit {os.path.basename(p)} {features}: "
                  f"{float(r.epr) / float(r.epr_score_free):.3f} "
                  f"(EPR {float(r.epr):.4g} +- {float(r.epr_error):.2g}, score-free "
                  f"{float(r.epr_score_free):.4g} +- {float(r.epr_score_free_error):.2g}, "
                  f"{r.attrs['snapshots']} snapshots; reference conditions "
                  f"{r.attrs['score_free_conditions']})", flush=True)


if __name__ == "__main__":
    main()
