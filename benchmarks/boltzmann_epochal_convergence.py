"""Convergence in the time step of the three epochal stage times (the shipped AP cases).

python benchmarks/boltzmann_epochal_convergence.py [tag ...]     (tags: 0p1 0p03 0p01,
                                            or 0p01-maxwell: 2-D Maxwell molecules instead)

Runs cases/boltzmann/epochal_eps<tag>.toml with the step halved twice: growth - 1 and
dt_max both divided by 2 (the step at time t is about (growth - 1) t until the cap), and
fits each stage's e-folding time (``epochal.epochal_timescales``). The theory is exact for
stage 3 (two Maxwellians) and, for Maxwell molecules, stages 1 and 2; the hard-sphere
stages 1 and 2 are estimates (a Maxwellian light gas on fixed scatterers; the first
Chapman-Enskog viscosity). The scheme is first
order in the step, so the error halves with it; "extrapolated" is 2 tau(h/4) - tau(h/2).
Prints a markdown table: observed at h, h/2, h/4, extrapolated, theory.
"""
import sys
import tempfile
import time
from pathlib import Path

import xarray as xr

import physim
from physim.solvers.boltzmann.epochal import epochal_timescales

ROOT = Path(__file__).resolve().parent.parent
STAGES = (("light_drift", "1. light drift"), ("heavy_anisotropy", "2. heavy Maxwellian"),
          ("temperature", "3. temperatures"))


def stage_times(tag: str, level: int, out: Path) -> tuple:
    name, _, kernel = tag.partition("-")
    case = physim.Case(ROOT / "cases" / "boltzmann" / f"epochal_eps{name}.toml")
    if kernel == "maxwell":  # 2-D: the Carleman form separates, so it is cheap
        case = case.with_(overrides=["collision.gamma=0.0", "velocity.d=2"])
    t = case.params["time"]
    k = 2 ** level
    over = [f"time.growth={1 + (t['growth'] - 1) / k}", f"time.dt_max={t['dt_max'] / k}",
            f"output.steps={case.params['output']['steps'] * k}"]
    t0 = time.perf_counter()
    path = physim.run(case.with_(overrides=over), out / f"{tag}_{level}.h5", progress="none")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ds = ds.load()
    return epochal_timescales(ds), len(ds.t_step) - 1, time.perf_counter() - t0


def main():
    tags = sys.argv[1:] or ["0p03", "0p01"]
    print("| eps | stage | h (growth 4 %) | h/2 | h/4 | extrapolated | theory |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for tag in tags:
            runs = [stage_times(tag, level, Path(tmp)) for level in range(3)]
            eps = runs[0][0]["eps"]
            label_eps = f"{eps:g}" + (f" ({tag.partition('-')[2]})" if "-" in tag else "")
            for key, label in STAGES:
                obs = [r[0][key]["observed"] for r in runs]
                theory = runs[-1][0][key]["theory"]
                print(f"| {label_eps} | {label} | " + " | ".join(f"{o:.4g}" for o in obs)
                      + f" | {2 * obs[2] - obs[1]:.4g} | {theory:.4g} |", flush=True)
            print(f"| {label_eps} | steps, wall s | "
                  + " | ".join(f"{n}, {s:.0f}" for _, n, s in runs) + " | | |", flush=True)


if __name__ == "__main__":
    main()
