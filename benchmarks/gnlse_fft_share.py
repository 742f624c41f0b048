"""Where a GNLSE run spends its time: inside the FFTs, in the integrating-factor tables,
and the rest, for each FFT backend and stepper, on the Dudley 2006 case (N = 2^13).

    python benchmarks/gnlse_fft_share.py                       # the full case, both steppers
    python benchmarks/gnlse_fft_share.py --length 0.03 --backends scipy pyfftw

Each row is one ``physim.run`` in this process, end to end (the model built, every step,
the output written); the transforms and the table kernel are timed from inside by
wrapping them (perf_counter around each call, ~0.1 us against 20-70 us a transform),
after one short warm-up run of each (numba's cache, FFTW's wisdom). The per-evaluation
line times ``rhs_interaction`` alone, its tables cached and built anew. DOP853 at the
case's tolerances; ERK4(3)-IP at rtol 1e-5 (the README's equal-accuracy choice).
One BLAS/FFT thread: run with OPENBLAS_NUM_THREADS=1 as the README's numbers were.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import physim
from physim.api import Case
from physim.solvers.nlse.fibre import fft as ffts
from physim.solvers.nlse.fibre import kernels as fk
from physim.solvers.nlse.fibre.simulation import build_model, pulse_field

CASE = Path(__file__).resolve().parents[1] / "cases/nlse/dudley_supercontinuum.toml"
METHODS = {"dop853": ["numerics.method='dop853'"],
           "erk43ip": ["numerics.method='erk43ip'", "numerics.rtol=1e-5",
                       "numerics.atol=1e-8"]}


class Timed:
    """A transforms object whose calls add their wall time to ``clock['fft']``."""

    def __init__(self, inner, clock):
        self._inner, self._clock = inner, clock
        self.spec, self.real, self.name = inner.spec, inner.real, inner.name
        for name in ("backward", "forward", "rforward", "rbackward"):
            setattr(self, name, self._timed(getattr(inner, name)))

    def _timed(self, f):
        clock = self._clock

        def call(*a):
            t = time.perf_counter()
            out = f(*a)
            clock["fft"] += time.perf_counter() - t
            return out
        return call


def instrument(clock):
    make, tables = ffts.make, fk.frame_tables

    def timed_make(kind, n):
        return Timed(make(kind, n), clock)

    def timed_tables(*a):
        t = time.perf_counter()
        tables(*a)
        clock["tables"] += time.perf_counter() - t
    ffts.make, fk.frame_tables = timed_make, timed_tables


def per_evaluation(backend, reps=400):
    p = Case(CASE, overrides=[f"numerics.fft='{backend}'"]).params
    m = build_model(p)
    v = m.to_coeffs(pulse_field(m, p["pulse"]))
    m.set_anchor(0.0)
    m.rhs_interaction(1e-5, v)
    t = time.perf_counter()
    for _ in range(reps):
        m.rhs_interaction(1e-5, v)
    cached = (time.perf_counter() - t) / reps
    taus = 1e-5 * (1 + np.arange(reps) / reps)
    t = time.perf_counter()
    for tau in taus:
        m.rhs_interaction(float(tau), v)
    fresh = (time.perf_counter() - t) / reps
    return cached, fresh


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=float, default=None, help="fibre length (m)")
    ap.add_argument("--backends", nargs="+", default=["scipy", "pyfftw"])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    backends = [b for b in a.backends if b != "pyfftw" or ffts.have_pyfftw()]
    clock = {"fft": 0.0, "tables": 0.0}
    rows = []
    for b in backends:
        cached, fresh = per_evaluation(b)
        print(f"{b}: one right-hand side {cached * 1e6:.0f} us with its tables cached, "
              f"{fresh * 1e6:.0f} us with them built")
    instrument(clock)
    with tempfile.TemporaryDirectory() as d:     # compile, load wisdom: not in the rows
        for b in backends:
            for meth in a.methods:
                physim.run(Case(CASE, overrides=[f"numerics.fft='{b}'", *METHODS[meth],
                                                 "fibre.length=0.0015",
                                                 "output.every=0.0015"]),
                           Path(d) / f"warm-{b}-{meth}.h5", progress="none")
    print(f"{'fft':8s} {'method':8s} {'wall s':>8s} {'RHS':>7s} {'fft %':>6s} "
          f"{'tables %':>8s} {'rest %':>7s}")
    for b in backends:
        for meth in a.methods:
            over = [f"numerics.fft='{b}'", *METHODS[meth]]
            if a.length:
                over += [f"fibre.length={a.length}", f"output.every={a.length / 10}"]
            clock.update(fft=0.0, tables=0.0)
            with tempfile.TemporaryDirectory() as d:
                t = time.perf_counter()
                path = physim.run(Case(CASE, overrides=over), Path(d) / "out.h5",
                                  progress="none")
                wall = time.perf_counter() - t
                with physim.open(path) as ds:
                    nfev = int(ds.attrs["integrator_nfev"])
            row = dict(fft=b, method=meth, wall_s=wall, nfev=nfev,
                       fft_share=clock["fft"] / wall, tables_share=clock["tables"] / wall)
            rows.append(row)
            print(f"{b:8s} {meth:8s} {wall:8.2f} {nfev:7d} {100 * row['fft_share']:6.1f} "
                  f"{100 * row['tables_share']:8.1f} "
                  f"{100 * (1 - row['fft_share'] - row['tables_share']):7.1f}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
