"""Peer run: gnlse-python 2.0.0 with a frequency-dependent effective area (its
``NonlinearityFromEffectiveArea``, Laegsgaard 2007), for benchmarks/gnlse_tables.py
``--gnlse-python``; in gnlse's own venv (how to make it: peers/gnlse_dudley.py):

    /tmp/gnlse-venv/bin/python benchmarks/peers/gnlse_area.py TABLE.npz OUT.npz RTOL ATOL

TABLE.npz holds the case (the orchestrator writes it): N, window (ps), wavelength (nm),
length (m), peak_power (W), fwhm (ps), betas (ps^n/m), n2 (m^2/W), and the table
lambdas (nm) with aeff (um^2), or gamma (1/(W m)) for the constant-area run. n_eff is
passed as a constant array, so gnlse's n0/n_eff(omega) factor is 1 (physim takes n_eff
constant in the nonlinearity). No Raman, self-steepening on, solve_ivp DOP853.

The same grid as physim: gnlse's T is linspace(-W'/2, W'/2, N) with W' = W (N-1)/N, so
its spacing is physim's W/N. Saves |A~(omega)|^2 at the fibre's end on gnlse's
ascending angular-frequency offsets.
"""
import math
import sys

import numpy as np

if not hasattr(np, "math"):   # gnlse 2.0.0 calls np.math.factorial (gone in NumPy 2)
    np.math = math
import gnlse  # noqa: E402

table, out, rtol, atol = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
p = np.load(table)
N = int(p["N"])
setup = gnlse.GNLSESetup()
setup.resolution = N
setup.time_window = float(p["window"]) * (N - 1) / N
setup.z_saves = 2
setup.fiber_length = float(p["length"])
setup.wavelength = float(p["wavelength"])
setup.pulse_model = gnlse.SechEnvelope(float(p["peak_power"]), float(p["fwhm"]))
setup.self_steepening = True
setup.rtol, setup.atol, setup.method = rtol, atol, "DOP853"
setup.dispersion_model = gnlse.DispersionFiberFromTaylor(0.0, p["betas"])
setup.raman_model = None
if "aeff" in p:
    lam = p["lambdas"]
    setup.nonlinearity = gnlse.NonlinearityFromEffectiveArea(
        np.full(lam.size, 1.45), p["aeff"] * 1e-12, lam, setup.wavelength, n2=float(p["n2"]))
else:
    setup.nonlinearity = float(p["gamma"])
sol = gnlse.GNLSE(setup).run()
omega = sol.W - 2 * np.pi * 299792.458 / setup.wavelength
np.savez(out, omega=omega, spectrum=np.abs(sol.AW[-1]) ** 2)
