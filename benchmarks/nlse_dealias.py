"""The dealiasing default, from measurements: resolved problems against exact solutions and
invariants, and the under-resolved modulation-instability case, with and without 2/3.

    python benchmarks/nlse_dealias.py [--quick]

For each run and numerics.dealias in (2/3, 1): the error against the exact solution where
one exists (the noise-seeded modulation instability is chaotic: its invariants only), the drift of mass,
momentum and energy, and the edge share: the power in the top sixth of the kept band
(5/6 k_cut < |k| <= k_cut, k_cut = dealias k_Nyquist), largest over the snapshots, which is
what physim's resolution guard watches. The runs are split into the set the guard's
threshold was chosen on and a held-out set.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import physim
from physim.solvers.nlse import exact

CASES = Path(__file__).resolve().parents[1] / "cases" / "nlse"


def edge_share(ds, dealias):
    dims = [d for d in ("x", "y", "z") if d in ds.psi.dims]
    axes = tuple(range(1, 1 + len(dims)))
    p = np.abs(np.fft.fftn(ds.psi.transpose("time", *dims).values, axes=axes)) ** 2
    frac = np.zeros(p.shape[1:])
    grids = np.meshgrid(*[np.abs(np.fft.fftfreq(ds.sizes[d])) * 2 for d in dims],
                        indexing="ij")  # |k| / k_Nyquist per axis
    kn = np.max(grids, axis=0)
    band = (kn > 5 / 6 * dealias) & (kn <= dealias * (1 + 1e-12))
    return float((p[:, band].sum(axis=1) / p.reshape(p.shape[0], -1).sum(axis=1)).max())


def drift(ds):
    """Largest |Q(t) - Q(0)|, relative to |Q(0)| (to the mass where Q(0) is ~0)."""
    out = {}
    mass = abs(float(np.ravel(ds["mass"].values)[0]))
    for name in ("mass", "momentum", "energy"):
        if name in ds:
            q = ds[name].values.reshape(ds.sizes["time"], -1)[:, 0]
            scale = abs(q[0]) if abs(q[0]) > 1e-9 * mass else mass
            out[name] = float(np.abs(q - q[0]).max() / scale)
    return out


def exact_error(name, ds):
    x, t = ds.x.values, ds.time.values
    if name == "soliton":
        ref = np.array([exact.soliton_physical(x, ti, 2.0, 1.0, -10.0) for ti in t])
    elif name == "akhmediev":
        ref = np.array([exact.to_physical(exact.akhmediev, x, ti, a=0.25) for ti in t])
    elif name == "peregrine":
        ref = np.array([exact.to_physical(exact.peregrine, x, ti) for ti in t])
    elif name.startswith("higher_order_soliton_N3"):  # back to 3 sech(x) after a period
        psi = ds.psi.transpose("time", "x").values
        ref = 3 / np.cosh(x)
        return float(np.abs(np.abs(psi[-1]) - ref).max() / 3)
    else:
        return None
    psi = ds.psi.transpose("time", "x").values
    return float(np.abs(psi - ref).max() / np.abs(ref).max())


RUNS = {  # name: (case, overrides, set)
    "soliton": ("soliton.toml", [], "tuning"),
    "akhmediev": ("akhmediev.toml", [], "tuning"),
    "modulation_instability": ("modulation_instability.toml", [], "tuning"),
    "modulation_instability_N128": ("modulation_instability.toml", ["grid.N=128"], "tuning"),
    "peregrine": ("peregrine.toml", [], "held out"),
    "two_soliton": ("two_soliton.toml", [], "held out"),
    # psi = 3 sech(x): the N = 3 soliton, periodic in t with period pi/2 (Satsuma-Yajima)
    "higher_order_soliton_N3": ("soliton.toml", ["initial.kind='array'", "grid.L=40.0",
                                                "grid.N=512", "time.end=1.5707963267948966",
                                                "output.every=0.39269908169872414"],
                                "held out"),
    "higher_order_soliton_N3_N1024": ("soliton.toml", ["initial.kind='array'", "grid.L=40.0",
                                                      "grid.N=1024",
                                                      "time.end=1.5707963267948966",
                                                      "output.every=0.39269908169872414"],
                                      "held out"),
    "mi_ensemble": ("mi_ensemble.toml", ["ensemble.members=2"], "held out"),
    "trap_breathing_2d": ("trap_breathing_2d.toml", ["grid.N=[96, 96]", "time.end=1.0"],
                          "held out"),
    "vortex_lattice_2d": ("vortex_lattice_2d.toml", [], "held out"),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the tuning set only")
    args = ap.parse_args(argv)
    print("| run | set | dealias | error vs exact | mass / momentum / energy drift "
          "| edge share (max over snapshots) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (case, over, which) in RUNS.items():
            if args.quick and which != "tuning":
                continue
            for dealias in (2 / 3, 1.0):
                o = list(over) + [f"numerics.dealias={dealias!r}"]
                inputs = None
                if name.startswith("higher_order_soliton_N3"):
                    n = 1024 if name.endswith("N1024") else 512
                    x = -20.0 + 40.0 / n * np.arange(n)
                    inputs = {"psi": 3 / np.cosh(x) + 0j}
                out = physim.run(CASES / case, Path(tmp) / f"{name}_{dealias:.3f}.h5",
                                 overrides=o, inputs=inputs, progress="none")
                with physim.open(out) as ds:
                    ds = ds.load()
                    err = exact_error(name, ds)
                    d = drift(ds)
                    share = edge_share(ds.isel(ensemble=0) if "ensemble" in ds.dims else ds,
                                       dealias)
                print(f"| {name} | {which} | {dealias:.3g} | "
                      f"{'—' if err is None else f'{err:.1e}'} | "
                      + " / ".join(f"{v:.1e}" for v in d.values())
                      + f" | {share:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
