"""Trajectory (Stratonovich) estimator of the even-g EPR: Sigma = (v0/eps) <g o dx>/T
(the other terms of (1/eps) b_x o dx + (1/gamma) b_g o dg are exact differentials), from
snapshots every 0.01 of two runs of the held-out 3-disk cluster of benchmarks/epr_validation.py.

    python benchmarks/epr_path_reference.py 2020     # run length; measured 4.66 +- 0.07
"""
import json
import sys
import tempfile

import numpy as np
import xarray as xr

import physim

OUT = tempfile.mkdtemp(prefix="epr_path_")
N, v0, gamma, eps, A, k = 3, 0.7, 0.5, 0.3, 0.5, 5.0
T, every = float(sys.argv[1]), 0.01
res = []
for seed in (21, 22):
    case = {"solver": "active", "model": {"kind": "aoup", "v0": v0, "gamma": gamma, "epsilon": eps},
            "interaction": {"kind": "soft", "k": k}, "system": {"N": N, "L": 20.0, "trap": A},
            "initial": {"seed": seed, "spread": 1.0}, "time": {"dt": 1e-3, "end": T}, "output": {"every": every}}
    ds = xr.open_dataset(physim.run(case, f"{OUT}/path_{seed}.h5", progress="none"), engine="h5netcdf").load()
    x, g = ds.position.values[2000:], ds.propulsion.values[2000:]
    dx = np.diff(x, axis=0); dx -= 20.0 * np.round(dx / 20.0)
    inc = (v0 / eps) * (0.5 * (g[1:] + g[:-1]) * dx).sum((1, 2))   # per interval
    per_block = np.array([b.sum() / (len(b) * every) for b in np.array_split(inc, 40)])
    res.append((per_block.mean(), per_block.std(ddof=1) / np.sqrt(40)))
    print(seed, res[-1], flush=True)
m = np.mean([r[0] for r in res]); e = np.sqrt(sum(r[1] ** 2 for r in res)) / 2
print(json.dumps({"path_epr": m, "err": e}))
