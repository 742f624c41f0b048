"""Ordinal analysis speed: physim vs ordpy vs antropy vs peccary, measured in one run.

    python benchmarks/ordinal_speed.py            # the issue's three tasks (~2 minutes)
    python benchmarks/ordinal_speed.py --quick    # skip ordpy/peccary on the batch (~30 s)

Tasks (n = 6, delay 1, Gaussian white noise, seed 0):
  (1) one series of 10^6 points: H and C (physim, ordpy, peccary), H only (antropy);
  (2) 1000 series of 10^4 points: physim as one batch (threads over series),
      the peers one series at a time;
  (3) memory: peak traced allocation of physim on 10^6 points with delay 10^5,
      against the 8 MB series (ordpy copies windows there, its issue #12).
Best of several repetitions; ratios are of the timings taken in this run.
"""
from __future__ import annotations

import argparse
import tracemalloc

import numpy as np

from physim.analysis import ordinal
from timing import best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    import antropy
    import ordpy
    try:
        import peccary
    except ImportError:
        peccary = None
    rng = np.random.default_rng(0)
    n = 6
    x = rng.standard_normal(10 ** 6)
    ordinal.complexity_entropy(x[:10000], n)  # compile
    ordinal.complexity_entropy(x[:10000], 5, 1000)
    rows = []
    t_us = best(lambda: ordinal.complexity_entropy(x, n), 5)
    rows.append(("1e6 points", "physim H, C", t_us))
    rows.append(("1e6 points", "antropy H", best(lambda: antropy.perm_entropy(x, order=n,
                                                                            normalize=True), 5)))
    rows.append(("1e6 points", "ordpy H, C", best(lambda: ordpy.complexity_entropy(x, dx=n), 1)))
    if peccary is not None:
        rows.append(("1e6 points", "peccary H, C",
                     best(lambda: peccary.peccary(x, n=n).calcHC(1), 1)))
    X = rng.standard_normal((1000, 10 ** 4))
    tb = best(lambda: ordinal.complexity_entropy(X, n, warn=False), 5)
    rows.append(("1000 x 1e4", "physim H, C (batch)", tb))
    rows.append(("1000 x 1e4", "antropy H (loop)",
                 best(lambda: [antropy.perm_entropy(r, order=n, normalize=True) for r in X], 1)))
    if not args.quick:
        rows.append(("1000 x 1e4", "ordpy H, C (loop)",
                     best(lambda: [ordpy.complexity_entropy(r, dx=n) for r in X], 1)))
    print(f"| task | code | seconds | vs physim |\n|---|---|---|---|")
    for task, code, t in rows:
        ref = t_us if task == "1e6 points" else tb
        print(f"| {task} | {code} | {t:.4f} | {t / ref:.1f}x |")
    tracemalloc.start()
    ordinal.complexity_entropy(x, 5, 100_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\npeak traced memory, 1e6 points, n = 5, delay 1e5: {peak / 1e6:.2f} MB "
          f"(the series: {x.nbytes / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
