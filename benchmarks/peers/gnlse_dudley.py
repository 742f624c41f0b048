"""Peer benchmark: gnlse-python (PyPI `gnlse` 2.0.0) on the Dudley 2006 Fig. 3 case, the
test_Dudley example of gnlse-python; run by benchmarks/nlse_dudley_vs_gnlse.py in
gnlse-python's own venv (gnlse is no dependency of physim):

    python3 -m venv /tmp/gnlse-venv
    /tmp/gnlse-venv/bin/pip install "setuptools<70" wheel numpy scipy matplotlib pyfftw tqdm
    /tmp/gnlse-venv/bin/pip install --no-build-isolation gnlse==2.0.0
    /tmp/gnlse-venv/bin/python benchmarks/peers/gnlse_dudley.py OUT.npz N RTOL ATOL METHOD \
        Z_SAVES [shipped|aligned]

The case: sech pulse, 50 fs FWHM, 10 kW, 835 nm; 15 cm of fibre, gamma = 0.11 /W/m,
beta2..beta10 of Dudley et al. (ps^n/m), Blow-Wood Raman (f_R = 0.18), self-steepening;
N points over 12.5 ps. gnlse builds T with linspace(-W/2, W/2, N), end point included:
time_window = 12.5 (N-1)/N gives the spacing 12.5 ps / N of physim's periodic window,
so both codes have the same frequency grid (gnlse's T is physim's shifted by dT/2, which
leaves |spectrum| unchanged).

Raman: gnlse samples h_R on its T grid and takes the sample at index N/2 as s = 0
(fftshift); on its grid (even N, no point at T = 0) that sample is at s = dT/2, so the
response it uses is h_R(s + dT/2): advanced by 0.76 fs, which lowers the first moment
T_R / f_R from 8.12 fs by about 9%. ``shipped`` (default) runs gnlse.raman_blowwood as
it is; ``aligned`` passes the same Blow-Wood function evaluated at T - T[N/2], so its
samples fall on s = j dT (what gnlse intends).

gnlse 2.0.0 calls np.math.factorial, which NumPy 2 removed: np.math = math is restored
before use (a shim; an install patched to math.factorial works as well).

Timed (``total_s``): from the interpreter's first line to the output written, i.e.
import + GNLSESetup + GNLSE(setup) + run() + Solution.to_file() (gnlse's .mat output),
as physim.run is timed end to end. Saves the spectrum |A~(omega)|^2 (W ps^2 = pJ/THz) at
z = 15 cm on gnlse's ascending angular-frequency offsets.
"""
import time

t_start = time.perf_counter()
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

if not hasattr(np, "math"):
    np.math = math
import gnlse  # noqa: E402
import scipy.integrate  # noqa: E402

# count the right-hand-side evaluations: gnlse calls scipy.integrate.solve_ivp
_solve_ivp, _nfev = scipy.integrate.solve_ivp, []


def _counting_solve_ivp(*args, **kwargs):
    res = _solve_ivp(*args, **kwargs)
    _nfev.append(res.nfev)
    return res


scipy.integrate.solve_ivp = _counting_solve_ivp

out, N, rtol, atol, method, z_saves = sys.argv[1:7]
raman = sys.argv[7] if len(sys.argv) > 7 else "shipped"
N = int(N)
setup = gnlse.GNLSESetup()
setup.resolution = N
setup.time_window = 12.5 * (N - 1) / N
setup.z_saves = int(z_saves)
setup.fiber_length = 0.15
setup.wavelength = 835.0
setup.pulse_model = gnlse.SechEnvelope(10000.0, 0.050)
setup.self_steepening = True
setup.rtol, setup.atol, setup.method = float(rtol), float(atol), method
setup.nonlinearity = 0.11
betas = np.array([-1.1830e-2, 8.1038e-5, -9.5205e-8, 2.0737e-10, -5.3943e-13,
                  1.3486e-15, -2.5495e-18, 3.0524e-21, -1.7140e-24])
setup.dispersion_model = gnlse.DispersionFiberFromTaylor(0.0, betas)
if raman == "aligned":
    def aligned_blowwood(T):
        return gnlse.raman_blowwood(T - T[len(T) // 2])
    setup.raman_model = aligned_blowwood
else:
    setup.raman_model = gnlse.raman_blowwood
t_run = time.perf_counter()
solver = gnlse.GNLSE(setup)
sol = solver.run()
run_s = time.perf_counter() - t_run
with tempfile.TemporaryDirectory() as tmp:
    sol.to_file(os.path.join(tmp, "dudley.mat"))
    total_s = time.perf_counter() - t_start
omega = sol.W - 2 * np.pi * 299792.458 / 835.0      # offset, rad/ps, ascending
np.savez(out, omega=omega, spectrum=np.abs(sol.AW[-1]) ** 2, z=sol.Z, run_s=run_s,
         total_s=total_s, nfev=sum(_nfev))
