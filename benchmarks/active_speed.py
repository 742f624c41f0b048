"""Particle-steps per second of the active-matter solver (one core), and score-fit time.

The score-fit table times ``entropy_production`` (4-fold cross-fitted linear score with
Hessian features, EPR, maps) on N = 4096 soft disks against the number of snapshots.

    python benchmarks/active_speed.py            # N = 4096, 16384, 32768 at the MIPS state point
    python benchmarks/active_speed.py --quick    # N = 4096 only

State point: the paper's MIPS (AOUP, soft disks k = 1, beta = 7.5, phi = 0.5, v0 = 0.025,
gamma = 1e-4, epsilon = 0, dt = 0.1), and phi = 0.9. Each run starts from a uniform
random state, takes 200 warm-up steps (numba compile, first list builds), then
times 2000 steps. The score-fit time is for the linear model on stored snapshots.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from physim.runner import load
from physim.solvers.active import Simulation


def particle_steps_per_second(N, phi, steps=2000, block=200):
    params, _ = load("cases/active/mips.toml", [f"system.N={N}", f"system.phi={phi}",
                                                 f"time.end={0.1 * (steps + block)}",
                                                 f"output.every={0.1 * block}"])
    sim = Simulation(params)
    run = sim.run()
    next(run)  # the initial state
    next(run)  # warm-up block: numba compile, first list builds
    t = time.perf_counter()
    for _ in run:
        pass
    return N * steps / (time.perf_counter() - t), sim.forces[0].rebuilds


def score_fit_seconds(N=4096, snapshots=(10, 20, 40)):
    """Wall time of entropy_production (4-fold cross-fit, Hessian features) vs snapshots."""
    import xarray as xr

    import physim
    from physim.analysis.epr import entropy_production
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        out = physim.run("cases/active/mips.toml", f"{d}/s.h5", progress="none", overrides=[
            f"system.N={N}", "model.v0=1.0", "model.gamma=5.0", "time.dt=0.01",
            f"time.end={max(snapshots)}", "output.every=1"])
        ds = xr.open_dataset(out, engine="h5netcdf").load()
    rows = []
    entropy_production(ds.isel(time=slice(0, 5)))  # compile
    for n in snapshots:
        t = time.perf_counter()
        entropy_production(ds.isel(time=slice(0, n)))
        rows.append((n, n * N, time.perf_counter() - t))
    return rows


def neural_step_seconds(particles=(1024, 4096, 16384), steps=20):
    """Seconds per Adam step of the neural score (physim[ml]) vs particles per batch."""
    try:
        from physim.analysis.epr.neural import train_neural_score
    except ImportError:
        return []
    import tempfile

    import xarray as xr

    import physim
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in particles:
            out = physim.run("cases/active/mips.toml", f"{d}/n{n}.h5", progress="none",
                             overrides=[f"system.N={n}", "model.v0=1.0", "model.gamma=1.0",
                                        "time.dt=0.01", "time.end=4", "output.every=1"])
            ds = xr.open_dataset(out, engine="h5netcdf").load()
            sc = train_neural_score(ds, steps=steps, batch=1)
            h = sc.history  # one row per step: leave out the first (compilation)
            rows.append((n, (h[-1][3] - h[1][3]) / (len(h) - 2)))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = [4096] if args.quick else [4096, 16384, 32768]
    print("| N | phi | particle-steps/s | list rebuilds |\n|---|---|---|---|")
    with threadpool_limits(1):
        for phi in (0.5, 0.9):
            for N in sizes:
                rate, rebuilds = particle_steps_per_second(N, phi)
                print(f"| {N} | {phi} | {rate:.3g} | {rebuilds} |")
        print("\n| snapshots | particle samples | score fit + EPR, s |\n|---|---|---|")
        for n, samples, sec in score_fit_seconds():
            print(f"| {n} | {samples} | {sec:.2f} |")
    rows = neural_step_seconds()
    if rows:
        print("\n| particles per batch | neural score, s per Adam step |\n|---|---|")
        for n, sec in rows:
            print(f"| {n} | {sec:.3f} |")


if __name__ == "__main__":
    main()
