"""Capture of the exact EPR at the MIPS state point by the neural score, against training
time and CPU budget (issue 16, item 1: the convergence curve of the network; README,
active matter, "MIPS state point").

The network (``train_neural_score``) corrects the closed-form basis
``propulsion+force+hessian+hessian2+contact2`` fitted on the same training snapshots. At
every logged step the current weights are scored on held-out snapshots by the
score-matching lower bound of the EPR,

    bound = gamma (E|g|^2 - 2 d N - 2 E[|s|^2/2 + div_g s]) / E[tr H],

(u = g + s; the expectation of 2(g.u - div u) - |u|^2), which is <= 1 up to sampling
error for any score, so a rise is a real gain and not a fit to the samples. Two held-out
sets: the last quarter of the training run (the same trajectory, later) and another seed.

    python benchmarks/epr_mips_neural.py --train mips_s1.h5 --test mips_s2.h5 --cpu-budget 7200

Runs: physim run cases/active/mips.toml -o mips_s{1,2}.h5 --set time.end=30000
--set output.every=200 --set initial.seed={1,2} (about 90 s each on one core); --t0 16000.
The budget is process CPU seconds (2 cores for one hour = 7200): on a shared machine that
is the compute the run got, whatever the wall clock. A short probe run measures the CPU
cost of a step first, and the number of steps (the cosine schedule's length) is the budget
over that.
"""
import argparse
import json
import os
import time
import warnings

import numpy as np

import physim
from physim.analysis.epr.neural import train_neural_score
from physim.solvers.active.drift import ActiveDrift

warnings.simplefilter("ignore")
FEATURES = "propulsion+force+hessian+hessian2+contact2"


def load(path):
    with physim.open(path) as ds:
        return ds.load()


class HeldOut:
    """Snapshots prepared once: the network's inputs and the terms of the bound that do not
    depend on the network (|g|^2, the base's divergence, the score-free tr H)."""

    def __init__(self, score, ds, index, drift):
        X, G = ds.position.values[index], ds.propulsion.values[index]
        base = score.base
        self.const, self.ref = [], 0.0
        for x, g in zip(X, G):
            F = drift.force(x)
            extra = drift.extra(x, g, F, base.needs)
            div_lin = sum(base._dpsi(c, g, extra) @ base.theta[k]
                          for k, c in enumerate(base.outputs))
            self.const.append((g * g).sum() - 4 * len(g) - 2 * div_lin)
            self.ref += -float(drift(x, g)[2].sum())
        self.data = score._dataset(X, G, drift)
        self.N, self.gamma = X.shape[1], drift.gamma

    def bound(self, score):
        loss = score._fns["loss"]
        tot = 0.0
        for k, c in enumerate(self.const):
            per_particle = float(loss(score.params, *(a[k:k + 1] for a in self.data)))
            tot += c - 2 * self.N * per_particle
        return self.gamma * tot / self.ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True, help="another run at the same state point")
    ap.add_argument("--t0", type=float, default=16000.0, help="first time used")
    ap.add_argument("--steps", type=int, help="Adam steps (default: from --cpu-budget)")
    ap.add_argument("--cpu-budget", type=float, default=7200.0,
                    help="process CPU seconds for the training (default: 2 cores x 1 h)")
    ap.add_argument("--logs", type=int, default=24, help="points on the curve")
    ap.add_argument("--test-snapshots", type=int, default=12,
                    help="held-out snapshots of --test, evenly spread")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--width", type=int, default=32, help="hidden width of the pair network")
    ap.add_argument("--depth", type=int, default=2, help="hidden layers of the pair network")
    ap.add_argument("--json", help="write the curve here")
    args = ap.parse_args()

    ds1, ds2 = load(args.train), load(args.test)
    skip = int(np.searchsorted(ds1.time.values, args.t0))
    n_used = ds1.sizes["time"] - skip
    n_train = int(round(n_used * 0.75))
    first_held = skip + n_train
    t_cpu = time.process_time()
    steps = args.steps
    if steps is None:
        marks = {}
        train_neural_score(ds1, skip=skip, steps=40, base_features=FEATURES, log_every=10,
                           seed=args.seed, width=args.width, depth=args.depth,
                           callback=lambda s, k: marks.setdefault(k, time.process_time()))
        per_step = (marks[40] - marks[10]) / 30
        steps = max(50, int((args.cpu_budget - (time.process_time() - t_cpu)) / per_step))
        print(f"probe: {per_step:.3f} CPU s per step -> {steps} steps in the budget", flush=True)
    log_every = max(1, steps // args.logs)
    drift1, drift2 = ActiveDrift.from_output(ds1), ActiveDrift.from_output(ds2)
    skip2 = int(np.searchsorted(ds2.time.values, args.t0))
    idx2 = np.unique(np.linspace(skip2, ds2.sizes["time"] - 1, args.test_snapshots).astype(int))
    curve, held = [], {}
    t_wall0, t_cpu0 = time.perf_counter(), time.process_time()

    def save(**extra):
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"steps": steps, "features": FEATURES, "width": args.width,
                           "depth": args.depth, **extra, "curve": curve}, f, indent=1)

    def log(score, step):
        if not held:
            held["same run, later"] = HeldOut(score, ds1, np.arange(first_held, ds1.sizes["time"]),
                                              drift1)
            held["other seed"] = HeldOut(score, ds2, idx2, drift2)
        row = {"step": step, "cpu_s": time.process_time() - t_cpu0,
               "wall_s": time.perf_counter() - t_wall0,
               **{k: h.bound(score) for k, h in held.items()}}
        curve.append(row)
        print(f"step {step:6d}  cpu {row['cpu_s']:7.0f} s  wall {row['wall_s']:7.0f} s  " +
              "  ".join(f"{k}: {row[k]:.3f}" for k in held), flush=True)
        save()

    score = train_neural_score(ds1, skip=skip, steps=steps, base_features=FEATURES,
                               lr=args.lr, seed=args.seed, width=args.width, depth=args.depth,
                               log_every=log_every, callback=log)
    # the base alone (the network's last layer starts at zero: step 0 of the curve)
    zero = {part: [(w * 0 if k == len(layers) - 1 else w, b * 0 if k == len(layers) - 1 else b)
                   for k, (w, b) in enumerate(layers)] for part, layers in score.params.items()}
    trained = score.params
    score.params = zero
    base = {k: h.bound(score) for k, h in held.items()}
    score.params = trained
    print("base alone (no network): " + "  ".join(f"{k}: {v:.3f}" for k, v in base.items()))
    print(f"trained {steps} steps on {n_train} snapshots of {os.path.basename(args.train)}; "
          f"{curve[-1]['cpu_s']:.0f} CPU s, {curve[-1]['wall_s']:.0f} s wall")
    save(base=base)


if __name__ == "__main__":
    main()
