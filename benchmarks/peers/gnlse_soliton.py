"""Peer benchmark: gnlse (gnlse-python, PyPI `gnlse` 2.0.0) on the moving soliton.

Run with the separate bench venv (not physim's environment):

    /work/bench-venv/bin/python benchmarks/peers/gnlse_soliton.py [--rtol R] [--atol A] [--method M]

gnlse integrates the generalized NLSE of fibre optics,
    dA/dz = D(i d/dT) A + i gamma (1 + i/w0 d/dT)(A int R |A|^2),
in the interaction picture (integrating factor exp(D z) in frequency space) with
scipy's solve_ivp.  With only beta2 dispersion, no loss, no Raman (raman_model=None)
and no self-steepening it is
    i A_z - (beta2/2) A_TT + gamma |A|^2 A = 0,
so beta2 = -1 ps^2/m, gamma = 1 /W/m gives physim's i psi_t + 1/2 psi_xx + |psi|^2 psi = 0
with z [m] <-> t, T [ps] <-> x, |A|^2 [W] <-> |psi|^2.  The carrier wavelength only
enters through self-steepening (off here); any value gives the same equation.

Grid: gnlse uses T = linspace(-W/2, W/2, N) *including* the end point and a periodic
box of N*dT.  time_window W = L (N-1)/N gives dT = L/N and box length L, i.e. physim's
grid shifted by dT/2; the initial condition and the exact solution are evaluated on
gnlse's own grid, so this is the same physical (periodic, translation-invariant) problem.
The moving soliton needs a frequency offset exp(i v T), which gnlse's SechEnvelope cannot
express, so the input pulse is passed as an array (GNLSESetup.pulse_model accepts one).

gnlse 2.0.0 calls np.math.factorial, which NumPy 2 removed; the script restores
np.math = math before use (a shim only; gnlse's own DispersionFiberFromTaylor is used).

Timed: GNLSESetup + GNLSE(setup) + run() + Solution.to_file() (its HDF5 .mat output).
The errors are computed from the file read back with gnlse.read_mat.
Prints one JSON line on stdout; gnlse's progress bar goes to stderr.
"""
import time

_T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

from soliton_case import ETA, L, N, NSNAP, T, V, X0, exact  # noqa: E402,F401


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rtol", type=float, default=None, help="gnlse default 1e-3")
    ap.add_argument("--atol", type=float, default=None, help="gnlse default 1e-4")
    ap.add_argument("--method", default=None, help="solve_ivp method; gnlse default RK45")
    ap.add_argument("--workdir", default=None,
                    help="output dir (kept); default: temporary dir, removed")
    args = ap.parse_args()

    t_imp = time.perf_counter()
    if not hasattr(np, "math"):      # NumPy >= 2 removed np.math; gnlse 2.0.0 uses it
        np.math = math
    import gnlse
    import scipy.integrate
    import_s = time.perf_counter() - t_imp

    # gnlse does not return solver statistics; record them with a pass-through
    # wrapper around the solve_ivp that gnlse looks up at call time.
    info = {}
    _solve_ivp = scipy.integrate.solve_ivp

    def _recording_solve_ivp(*a, **kw):
        sol = _solve_ivp(*a, **kw)
        info.update(nfev=int(sol.nfev), success=bool(sol.success),
                    method=kw.get("method"), rtol=kw.get("rtol"), atol=kw.get("atol"))
        return sol

    scipy.integrate.solve_ivp = _recording_solve_ivp

    scratch = args.workdir or tempfile.mkdtemp(prefix="gnlse_soliton_")
    os.makedirs(scratch, exist_ok=True)
    path = os.path.join(scratch, "moving_soliton.mat")
    window = L * (N - 1) / N
    grid = np.linspace(-window / 2, window / 2, N)   # the grid gnlse builds

    t0 = time.perf_counter()
    setup = gnlse.GNLSESetup()
    setup.resolution = N
    setup.time_window = window          # ps
    setup.wavelength = 1000.0           # nm (irrelevant without self-steepening)
    setup.fiber_length = T              # m
    setup.z_saves = NSNAP
    setup.nonlinearity = 1.0            # 1/W/m
    setup.pulse_model = exact(grid, 0.0)
    setup.dispersion_model = gnlse.DispersionFiberFromTaylor(0.0, np.array([-1.0]))
    setup.raman_model = None
    setup.self_steepening = False
    if args.rtol is not None:
        setup.rtol = args.rtol
    if args.atol is not None:
        setup.atol = args.atol
    if args.method is not None:
        setup.method = args.method
    solution = gnlse.GNLSE(setup).run()
    solution.to_file(path)
    wall_s = time.perf_counter() - t0

    data = gnlse.read_mat(path)
    x = np.asarray(data["t"]).ravel()
    z = np.asarray(data["Z"]).ravel()
    psi = np.asarray(data["At"])
    assert psi.shape == (NSNAP, N), psi.shape
    assert np.allclose(x, grid) and np.allclose(z, np.linspace(0, T, NSNAP))
    ref = exact(x[None, :], z[:, None])
    err = np.linalg.norm(psi - ref, axis=1) / np.linalg.norm(ref, axis=1)

    result = {
        "package": "gnlse",
        "version": getattr(gnlse, "__version__", "2.0.0"),
        "interface": "api: GNLSESetup -> GNLSE(setup).run() -> Solution.to_file(.mat)",
        "method": info.get("method"),
        "rtol": info.get("rtol"),
        "atol": info.get("atol"),
        "success": info.get("success"),
        "wall_s": round(wall_s, 4),
        "import_s": round(import_s, 4),
        "nfev": info.get("nfev"),
        "outputs": {os.path.basename(path): os.path.getsize(path)},
        "max_rel_l2": float(err.max()),
        "rel_l2_T": float(err[-1]),
    }
    if args.workdir is None:
        shutil.rmtree(scratch, ignore_errors=True)
    result["script_total_s"] = round(time.perf_counter() - _T_START, 4)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
