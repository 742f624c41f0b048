"""Ordinal analysis speed: physim vs antropy vs ordpy (vs peccary), measured in one run.

    python benchmarks/ordinal_speed.py                 # n = 3..7 and the batch (~2 minutes)
    python benchmarks/ordinal_speed.py --quick         # no ordpy on the batch (~40 s)
    python benchmarks/ordinal_speed.py --peers /tmp/venv-ordpy/bin/python

The peers may live in another environment (``--peers``: a Python with antropy and
ordpy, and optionally peccary; default: this one if it has them, else
/tmp/venv-ordpy/bin/python). They run there on the same arrays, passed as .npy.

Tasks (delay 1, Gaussian white noise, seed 0):
  (1) one series of 10^6 points at n = 3..7: H and C (physim, ordpy), H only (antropy);
  (2) 1000 series of 10^4 points at n = 6: physim as one batch, the peers one by one;
  (3) memory: peak traced allocation of physim on 10^6 points with delay 10^5;
  (4) ordpy's other functions (networks, missing patterns, Fisher-Shannon, JS distance,
      2-D patterns) on 10^5 points and a 300 x 300 image.
Best of several repetitions; ratios are of timings taken in this run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from timing import best  # noqa: E402

NS = (3, 4, 5, 6, 7)


def worker(path, quick):
    """Run in the peers' Python: time antropy / ordpy / peccary, print JSON."""
    import antropy
    import ordpy
    try:
        import peccary
    except ImportError:
        peccary = None
    x = np.load(Path(path) / "x.npy")
    X = np.load(Path(path) / "X.npy")
    out = {}
    for n in NS:
        antropy.perm_entropy(x[:1000], order=n, normalize=True)
        out[f"antropy/{n}"] = best(
            lambda: antropy.perm_entropy(x, order=n, normalize=True), 15)
        out[f"ordpy/{n}"] = best(lambda: ordpy.complexity_entropy(x, dx=n), 1)
    if peccary is not None:
        out["peccary/6"] = best(lambda: peccary.peccary(x, n=6).calcHC(1), 1)
    y, img = x[:10 ** 5], np.load(Path(path) / "img.npy")
    for name, fn in feature_calls(ordpy, y, img, peer=True).items():
        out[f"ordpy/{name}"] = best(fn, 1)
    out["antropy/batch"] = best(lambda: [antropy.perm_entropy(r, order=6, normalize=True)
                                         for r in X], 1)
    if not quick:
        out["ordpy/batch"] = best(lambda: [ordpy.complexity_entropy(r, dx=6) for r in X], 1)
    print(json.dumps(out))


def feature_calls(lib, y, img, peer):
    """ordpy's other functions (peer) or physim's, on 10^5 points and a 300 x 300 image."""
    if peer:
        return {"ordinal_network": lambda: lib.ordinal_network(y, dx=4),
                "global_node_entropy": lambda: lib.global_node_entropy(y, dx=4),
                "missing_patterns": lambda: lib.missing_patterns(y, dx=5),
                "fisher_shannon": lambda: lib.fisher_shannon(y, dx=5),
                "js_distance": lambda: lib.permutation_js_distance([y, y[::-1]], dx=5),
                "image 2x2": lambda: lib.complexity_entropy(img, dx=2, dy=2)}
    return {"ordinal_network": lambda: lib.ordinal_network(y, 4),
            "global_node_entropy": lambda: lib.global_node_entropy(y, 4),
            "missing_patterns": lambda: lib.missing_patterns(y, 5),
            "fisher_shannon": lambda: lib.fisher_shannon(y, 5),
            "js_distance": lambda: lib.js_distance([y, y[::-1]], 5),
            "image 2x2": lambda: lib.image_complexity_entropy(img, 2, 2)}


def peers_python(given):
    if given:
        return given
    try:
        import antropy  # noqa: F401
        import ordpy  # noqa: F401
        return sys.executable
    except ImportError:
        return "/tmp/venv-ordpy/bin/python"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--peers", help="a Python with antropy and ordpy")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, args.quick)
    from physim.analysis import ordinal
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10 ** 6)
    X = rng.standard_normal((1000, 10 ** 4))
    mine = {}
    for n in NS:
        ordinal.complexity_entropy(x[:10000], n, warn=False)  # compile
        mine[n] = best(lambda: ordinal.complexity_entropy(x, n, warn=False), 15)
    img = rng.random((300, 300))
    for name, fn in feature_calls(ordinal, x[:10 ** 5], img, peer=False).items():
        fn()  # compile
        mine[name] = best(fn, 5)
    ordinal.complexity_entropy(X[:4], 6, warn=False)
    mine["batch"] = best(lambda: ordinal.complexity_entropy(X, 6, warn=False), 5)
    with tempfile.TemporaryDirectory() as d:
        np.save(Path(d) / "x.npy", x)
        np.save(Path(d) / "X.npy", X)
        np.save(Path(d) / "img.npy", img)
        cmd = [peers_python(args.peers), __file__, "--worker", d] + \
            (["--quick"] if args.quick else [])
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ},
                           check=True)
        peer = json.loads(r.stdout.strip().splitlines()[-1])
    print("| n | physim H, C | antropy H | ordpy H, C | antropy / physim | ordpy / physim |")
    print("|---|---|---|---|---|---|")
    for n in NS:
        a, o = peer[f"antropy/{n}"], peer[f"ordpy/{n}"]
        print(f"| {n} | {mine[n]:.4f} s | {a:.4f} s | {o:.2f} s | {a / mine[n]:.1f}x | "
              f"{o / mine[n]:.0f}x |")
    if "peccary/6" in peer:
        print(f"\npeccary H, C at n = 6: {peer['peccary/6']:.2f} s "
              f"({peer['peccary/6'] / mine[6]:.0f}x physim)")
    print("\n| ordpy's other functions (10^5 points; image 300 x 300) | physim | ordpy | "
          "ordpy / physim |\n|---|---|---|---|")
    for name in feature_calls(ordinal, x, img, peer=False):
        a, b = mine[name], peer[f"ordpy/{name}"]
        print(f"| {name} | {a:.4f} s | {b:.3f} s | {b / a:.0f}x |")
    tb = mine["batch"]
    print(f"\n1000 series of 10^4 points, n = 6: physim (one batch) {tb:.4f} s, antropy (loop) "
          f"{peer['antropy/batch']:.3f} s ({peer['antropy/batch'] / tb:.1f}x)"
          + (f", ordpy (loop) {peer['ordpy/batch']:.1f} s ({peer['ordpy/batch'] / tb:.0f}x)"
             if "ordpy/batch" in peer else ""))
    tracemalloc.start()
    ordinal.complexity_entropy(x, 5, 100_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\npeak traced memory, 1e6 points, n = 5, delay 1e5: {peak / 1e6:.2f} MB "
          f"(the series: {x.nbytes / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
