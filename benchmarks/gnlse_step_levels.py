"""The step ladder (numerics.step_levels) on fibres it was not chosen on: its cost in
right-hand sides, its gain in wall time and its effect on the output spectrum.

    python benchmarks/gnlse_step_levels.py                    # three cases, both steppers
    python benchmarks/gnlse_step_levels.py --levels 0 8 --rounds 3 --cases fission_hc

step_levels = 8 was set on the Dudley 2006 case (cases/nlse/dudley_supercontinuum.toml).
The cases here are kept apart from it: the same photonic-crystal fibre's beta
coefficients but other pulses, Raman models, loss and dispersion sign (each an override
list on that case file):

* ``fission_hc``: a 100 fs, 500 W sech (soliton order ~3.9), Hollenbeck-Cantrell Raman,
  15 cm: fission and a self-frequency-shifting soliton;
* ``normal_spm``: beta2 made normal (+1.183e-2 ps^2/m), a 50 fs, 10 kW Gaussian,
  Blow-Wood Raman, 5 cm: self-phase modulation and optical wave breaking;
* ``lossy_la``: a 200 fs, 2 kW sech, Lin-Agrawal Raman, 20 dB/m loss, no
  self-steepening, 20 cm.

Each row is one ``physim.run`` in this process, end to end, after a warm-up run of each
case; the levels alternate within each round and the median wall time over the rounds is
kept. The spectrum difference is against the same case at step_levels = 0, in dB over
its -40 dB band (rms and max). DOP853 at the case file's tolerances (rtol 1e-8), and
ERK4(3)-IP at rtol 1e-5. One thread: run with OPENBLAS_NUM_THREADS=1.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import physim
from physim.api import Case

CASE = Path(__file__).resolve().parents[1] / "cases/nlse/dudley_supercontinuum.toml"
CASES = {
    "fission_hc": ["pulse.fwhm=100.0", "pulse.peak_power=500.0",
                   "raman.kind='hollenbeck_cantrell'", "fibre.length=0.15",
                   "output.every=0.0075"],
    "normal_spm": ["fibre.beta=[1.1830e-2, 8.1038e-5, -9.5205e-8, 2.0737e-10, -5.3943e-13,"
                   "1.3486e-15, -2.5495e-18, 3.0524e-21, -1.7140e-24]",
                   "pulse.kind='gaussian'", "pulse.fwhm=50.0", "pulse.peak_power=10000.0",
                   "fibre.length=0.05", "output.every=0.0025"],
    "lossy_la": ["pulse.fwhm=200.0", "pulse.peak_power=2000.0", "raman.kind='lin_agrawal'",
                 "fibre.loss=20.0", "fibre.self_steepening=false", "fibre.length=0.2",
                 "output.every=0.01"],
}
METHODS = {"dop853": ["numerics.method='dop853'"],
           "erk43ip": ["numerics.method='erk43ip'", "numerics.rtol=1e-5",
                       "numerics.atol=1e-8"]}


def db_difference(s, ref, band=40.0):
    keep = ref >= ref.max() * 10 ** (-band / 10)
    d = 10 * np.log10(np.maximum(s[keep], 1e-300) / ref[keep])
    return float(np.sqrt(np.mean(d * d))), float(np.abs(d).max())


def run(over, path):
    t = time.perf_counter()
    physim.run(Case(CASE, overrides=over), path, progress="none", overwrite=True)
    wall = time.perf_counter() - t
    with physim.open(path) as ds:
        return wall, int(ds.attrs["integrator_nfev"]), ds.spectrum.values[-1].copy()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--levels", nargs="+", type=int, default=[0, 4, 8, 16])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    levels = sorted(set(a.levels) | {0})
    rows = []
    print(f"{'case':11s} {'method':8s} {'levels':>6s} {'RHS':>7s} {'RHS/0':>6s} "
          f"{'wall s':>7s} {'wall/0':>6s} {'rms dB':>8s} {'max dB':>8s}")
    with tempfile.TemporaryDirectory() as d:
        for name in a.cases:
            for meth in a.methods:
                base = [*CASES[name], *METHODS[meth]]
                run(base + ["fibre.length=0.002", "output.every=0.002"], Path(d) / "w.h5")
                walls = {n: [] for n in levels}
                got = {}
                for _ in range(a.rounds):
                    for n in levels:
                        wall, nfev, spec = run(base + [f"numerics.step_levels={n}"],
                                               Path(d) / f"{n}.h5")
                        walls[n].append(wall)
                        got[n] = (nfev, spec)
                w0, (f0, s0) = statistics.median(walls[0]), got[0]
                for n in levels:
                    wall = statistics.median(walls[n])
                    nfev, spec = got[n]
                    rms, mx = db_difference(spec, s0)
                    row = dict(case=name, method=meth, step_levels=n, nfev=nfev,
                               nfev_ratio=nfev / f0, wall_s=wall, wall_ratio=wall / w0,
                               rms_db=rms, max_db=mx)
                    rows.append(row)
                    print(f"{name:11s} {meth:8s} {n:6d} {nfev:7d} {nfev / f0:6.3f} "
                          f"{wall:7.2f} {wall / w0:6.3f} {rms:8.2g} {mx:8.2g}", flush=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
