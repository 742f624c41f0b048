"""physim's GNLSE against gnlse-python on the Dudley 2006 Fig. 3 supercontinuum, end to end.

    python benchmarks/nlse_dudley_vs_gnlse.py                       # the default table
    python benchmarks/nlse_dudley_vs_gnlse.py --physim-rtol 1e-4 --gnlse-rtol 1e-3 1e-4
    python benchmarks/nlse_dudley_vs_gnlse.py --gnlse-python /path/to/venv/bin/python

Case: cases/nlse/dudley_supercontinuum.toml (835 nm, 50 fs FWHM sech, 10 kW, 15 cm,
beta2..beta10, Blow-Wood f_R = 0.18, self-steepening, N = 2^13 over 12.5 ps, 101
snapshots). gnlse-python runs the same case (benchmarks/peers/gnlse_dudley.py) in its own
venv (default /tmp/gnlse-venv; how to make it: that script's docstring) with its default
integrator, solve_ivp RK45, at (rtol, atol) = (R, R / 10) (its default is 1e-3, 1e-4).

Accuracy: the output spectrum S(nu) = |A~(nu)|^2 at z = 15 cm against a reference, in dB,
10 log10(S / S_ref), over the -40 dB band of the reference (where S_ref is within 40 dB of
its peak): the largest and the rms difference (the largest sits in the deepest fringes;
the rms is the one to compare). Each code is measured against its own converged answer:
physim against physim at ``--reference-rtol`` (default 1e-6, atol 1e-3 of it), gnlse against gnlse with
solve_ivp DOP853 at the same tolerances. The two references against each other give the
agreement of the codes: with gnlse's Raman response as shipped (sampled dT/2 off; see the
peer script) and aligned (``--aligned``, sampled at s = j dT as intended).

Timing: each run is a fresh subprocess (``python -m physim.cli run CASE --set ...`` for
physim, gnlse's script for gnlse), wall clock from its start to its output written, one
BLAS/FFT thread each; the runs alternate physim, gnlse, physim, ... ``--rounds`` times and
the best of the rounds is kept. The right-hand-side counts do not depend on the machine's
load. Prints a table and writes it as JSON (``--json``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "nlse" / "dudley_supercontinuum.toml"
PEER = ROOT / "benchmarks" / "peers" / "gnlse_dudley.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def db_difference(w, s, w_ref, s_ref, band=40.0):
    """(max |dB|, rms dB, points) of 10 log10(s / s_ref) over the -band dB band of s_ref,
    on the frequencies the two grids share."""
    key = lambda x: np.round(x, 6)  # noqa: E731
    _, i, j = np.intersect1d(key(w), key(w_ref), return_indices=True)
    a, b = s[i], s_ref[j]
    keep = b >= b.max() * 10 ** (-band / 10)
    d = 10 * np.log10(np.maximum(a[keep], 1e-300) / b[keep])
    return float(np.abs(d).max()), float(np.sqrt(np.mean(d * d))), int(keep.sum())


def run_physim(tmp, rtol, atol, method="dop853"):
    out = Path(tmp) / f"physim_{method}_{rtol:g}.h5"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "physim.cli", "run", str(CASE), "-o", str(out),
                    "--overwrite", "--progress", "none", "-q",
                    "--set", f"numerics.method='{method}'",
                    "--set", f"numerics.rtol={rtol!r}", "--set", f"numerics.atol={atol!r}"],
                   check=True, env=ENV, cwd=ROOT)
    wall = time.perf_counter() - t
    import physim
    ds = physim.open(out).load()
    w = 2 * np.pi * (ds.frequency.values - ds.attrs["carrier_frequency_THz"])
    return dict(code="physim", method=method, rtol=rtol, atol=atol, wall_s=wall,
                nfev=int(ds.attrs["integrator_nfev"]), steps=int(ds.attrs["integrator_naccept"]),
                photon_drift=float(abs(ds.photon_number.values[-1] / ds.photon_number.values[0] - 1)),
                omega=w, spectrum=ds.spectrum.values[-1])


def run_gnlse(tmp, python, rtol, atol, method="RK45", raman="shipped"):
    out = Path(tmp) / f"gnlse_{method}_{raman}_{rtol:g}.npz"
    t = time.perf_counter()
    subprocess.run([python, str(PEER), str(out), "8192", repr(rtol), repr(atol), method, "101",
                    raman], check=True, env={**ENV, "PYTHONPATH": ""},
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    g = np.load(out)
    return dict(code="gnlse", method=method, raman=raman, rtol=rtol, atol=atol, wall_s=wall,
                solver_s=float(g["run_s"]), nfev=int(g["nfev"]), omega=g["omega"],
                spectrum=g["spectrum"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--physim-rtol", type=float, nargs="*", default=[1e-4, 1e-5])
    ap.add_argument("--physim-erk-rtol", type=float, nargs="*", default=[1e-4, 1e-5],
                    help="physim with numerics.method = 'erk43ip' (atol 1e-3 of it)")
    ap.add_argument("--gnlse-rtol", type=float, nargs="*", default=[1e-3, 1e-4])
    ap.add_argument("--reference-rtol", type=float, default=1e-6,
                    help="both references (physim 1e-6 is 0.0007 dB rms from 1e-8)")
    ap.add_argument("--aligned", action="store_true",
                    help="also run gnlse's reference with its Raman samples aligned")
    ap.add_argument("--gnlse-python", default="/tmp/gnlse-venv/bin/python")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--json", default=None, help="write the table here")
    ap.add_argument("--no-gnlse-reference", action="store_true",
                    help="skip gnlse's DOP853 reference (slow: > 30 min on 2 busy vCPUs); "
                         "gnlse's runs are then measured against physim's reference")
    a = ap.parse_args(argv)
    have_gnlse = Path(a.gnlse_python).exists()
    if not have_gnlse:
        print(f"gnlse-python venv {a.gnlse_python} not found: gnlse not run")
    R = a.reference_rtol
    refs = {}
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        refs["physim"] = run_physim(tmp, R, R * 1e-3)
        if have_gnlse and not a.no_gnlse_reference:
            refs["gnlse"] = run_gnlse(tmp, a.gnlse_python, R, R * 1e-3, "DOP853")
            if a.aligned:
                refs["gnlse aligned"] = run_gnlse(tmp, a.gnlse_python, R, R * 1e-3, "DOP853",
                                                  "aligned")
        for _ in range(a.rounds):
            for k in range(max(len(a.physim_rtol), len(a.gnlse_rtol), len(a.physim_erk_rtol))):
                jobs = []
                if k < len(a.physim_rtol):
                    r = a.physim_rtol[k]
                    jobs.append(("physim", r, lambda r=r: run_physim(tmp, r, r * 1e-3)))
                if k < len(a.physim_erk_rtol):
                    r = a.physim_erk_rtol[k]
                    jobs.append(("physim erk43ip", r,
                                 lambda r=r: run_physim(tmp, r, r * 1e-3, "erk43ip")))
                if have_gnlse and k < len(a.gnlse_rtol):
                    r = a.gnlse_rtol[k]
                    jobs.append(("gnlse", r, lambda r=r: run_gnlse(tmp, a.gnlse_python, r,
                                                                   r * 1e-1)))
                for code, r, job in jobs:
                    res = job()
                    old = runs.get((code, r))
                    if old is None or res["wall_s"] < old["wall_s"]:
                        runs[(code, r)] = res
    ref_p = refs["physim"]
    print(f"references: physim DOP853 rtol {R:g} ({ref_p['nfev']} RHS, {ref_p['wall_s']:.1f} s)")
    agreement = {}
    for name, g in refs.items():
        if name == "physim":
            continue
        mx, rms, n = db_difference(g["omega"], g["spectrum"], ref_p["omega"], ref_p["spectrum"])
        agreement[name] = dict(max_dB=mx, rms_dB=rms, band_points=n, nfev=g["nfev"],
                               wall_s=g["wall_s"])
        print(f"  {name} DOP853 rtol {R:g} ({g['nfev']} RHS, {g['wall_s']:.1f} s) vs physim: "
              f"max {mx:.3f} dB, rms {rms:.4f} dB over {n} points of the -40 dB band")
    rows = []
    print(f"{'code':14s} {'rtol':>7s} {'wall s':>8s} {'RHS':>7s} {'max dB':>8s} {'rms dB':>8s}"
          "   (against the code's own reference)")
    for (code, r), v in sorted(runs.items()):
        ref = refs.get(code.split()[0], ref_p)
        if ref is None:
            continue
        mx, rms, n = db_difference(v["omega"], v["spectrum"], ref["omega"], ref["spectrum"])
        row = {k: v[k] for k in v if k not in ("omega", "spectrum")}
        row.update(max_dB=mx, rms_dB=rms, band_points=n)
        rows.append(row)
        print(f"{code:14s} {r:7.0e} {row['wall_s']:8.2f} {row['nfev']:7d} {mx:8.3f} {rms:8.4f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"agreement": agreement, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
