"""The numbers behind tests/test_gnlse_tables.py's bars: each tabulated-fibre run against
what it must reproduce, printed as measured (the tests only assert the bars).

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/gnlse_tables.py
    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/gnlse_tables.py \
        --gnlse-python /tmp/gnlse-venv/bin/python

Uses the tests' own cases (tests/test_gnlse_tables.py: 1550 nm, N = 512 over 20 ps, a
T0 = 100 fs N = 1.4 soliton with beta2..beta4, Blow-Wood Raman and self-steepening, 0.4 m;
the tables over 1300-1900 nm, 2001 points).

``--gnlse-python``: also the same Aeff(omega) supercontinuum in physim and in
gnlse-python 2.0.0 (benchmarks/peers/gnlse_area.py, its own venv): Dudley's 835 nm fibre
(beta2..beta10), 50 fs FWHM sech, 10 kW, 5 cm, no Raman, self-steepening, N = 2^12 over
6.25 ps (Dudley's spacing), n2 = 2.6e-20 m^2/W, Aeff = 1.778 um^2 (lambda / 835 nm)
tabulated over 400-12000 nm (gamma0 = 0.11 /W/m, Dudley's); both DOP853 at (1e-9, 1e-11).
The output spectra are compared in dB over the -40 dB band (as
benchmarks/nlse_dudley_vs_gnlse.py), with and without the area table, and the area table's
own effect (physim with against without).
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_gnlse_tables as t  # noqa: E402


ROOT = Path(__file__).resolve().parents[1]
SC = dict(N=4096, window=6.25, wavelength=835.0, length=0.05, peak_power=1e4, fwhm=0.050,
          betas=[-1.1830e-2, 8.1038e-5, -9.5205e-8, 2.0737e-10, -5.3943e-13, 1.3486e-15,
                 -2.5495e-18, 3.0524e-21, -1.7140e-24], n2=2.6e-20)
RTOL, ATOL = 1e-9, 1e-11


def db_difference(w, s, w_ref, s_ref, band=40.0):
    """(max |dB|, rms dB, points) of 10 log10(s / s_ref) over the -band dB band of s_ref,
    on the frequencies the two grids share."""
    _, i, j = np.intersect1d(np.round(w, 6), np.round(w_ref, 6), return_indices=True)
    a, b = s[i], s_ref[j]
    keep = b >= b.max() * 10 ** (-band / 10)
    d = 10 * np.log10(np.maximum(a[keep], 1e-300) / b[keep])
    return float(np.abs(d).max()), float(np.sqrt(np.mean(d * d))), int(keep.sum())


def versus_gnlse(tmp, python):
    import physim
    c_nm = 299792.458
    w0 = 2 * np.pi * c_nm / SC["wavelength"]
    aeff0 = SC["n2"] * w0 * 1e12 / (2.99792458e8 * 0.11) * 1e12          # um^2
    w = np.linspace(2 * np.pi * c_nm / 12000.0, 2 * np.pi * c_nm / 400.0, 20000)
    lam = 2 * np.pi * c_nm / w
    aeff = aeff0 * lam / SC["wavelength"]
    gamma0 = SC["n2"] * w0 * 1e12 / (2.99792458e8 * aeff0 * 1e-12)
    spectra = {}
    for area in ("table", "constant"):
        case = {"solver": "gnlse",
                "fibre": {"length": SC["length"], "beta": SC["betas"]},
                "raman": {"kind": "none"},
                "grid": {k: SC[k] for k in ("N", "window", "wavelength")},
                "pulse": {"kind": "sech", "peak_power": SC["peak_power"],
                          "fwhm": SC["fwhm"] * 1e3},
                "numerics": {"rtol": RTOL, "atol": ATOL},
                "output": {"every": SC["length"]}}
        peer = {**SC}
        if area == "table":
            case["fibre"]["n2"] = SC["n2"]
            case["area"] = {"kind": "array"}
            given = {"area": np.array([lam, aeff])}
            peer.update(lambdas=lam, aeff=aeff)
        else:
            case["fibre"]["gamma"] = gamma0
            given = {}
            peer.update(gamma=gamma0)
        ds = physim.open(physim.run(case, tmp / f"physim_{area}.h5", inputs=given or None,
                                    progress="none")).load()
        n = ds.photon_number.values
        spectra["physim", area] = (2 * np.pi * (ds.frequency.values - ds.attrs[
            "carrier_frequency_THz"]), ds.spectrum.values[-1], abs(n[-1] / n[0] - 1))
        np.savez(tmp / f"case_{area}.npz", **peer)
        subprocess.run([python, str(ROOT / "benchmarks/peers/gnlse_area.py"),
                        str(tmp / f"case_{area}.npz"), str(tmp / f"gnlse_{area}.npz"),
                        repr(RTOL), repr(ATOL)], check=True, stderr=subprocess.DEVNULL,
                       env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
        g = np.load(tmp / f"gnlse_{area}.npz")
        spectra["gnlse", area] = (g["omega"], g["spectrum"], None)
    for area in ("table", "constant"):
        w_p, s_p, drift = spectra["physim", area]
        w_g, s_g, _ = spectra["gnlse", area]
        mx, rms, pts = db_difference(w_p, s_p, w_g, s_g)
        print(f"Aeff {area}: physim vs gnlse-python over the -40 dB band ({pts} points): "
              f"max {mx:.3f} dB, rms {rms:.4f} dB; physim photon drift {drift:.1e}")
    mx, rms, pts = db_difference(*spectra["physim", "table"][:2],
                                 *spectra["physim", "constant"][:2])
    print(f"the area table's own effect (physim, table vs constant Aeff(omega0)): max "
          f"{mx:.2f} dB, rms {rms:.3f} dB over {pts} points")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gnlse-python", help="gnlse-python's venv python (also run the "
                    "Aeff(omega) supercontinuum against it)")
    args = ap.parse_args(argv)
    if args.gnlse_python:
        with tempfile.TemporaryDirectory() as tmp:
            versus_gnlse(Path(tmp), args.gnlse_python)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref = t.run(tmp, t.case(), "taylor.h5").A.values[-1]
        ds = t.run(tmp, t.case(fibre={"beta": None}, dispersion={"kind": "array"}),
                   "beta.h5", beta=np.array([t.LAM, t.taylor_beta(t.W, b1=4.9e3)]))
        print(f"beta table vs Taylor, rel L2: {t.rel_l2(ds.A.values[-1], ref):.2e}")
        n_eff = (t.taylor_beta(t.W, b0=1.45 * t.W0 / t.C_M_PS, b1=1.47 / t.C_M_PS)
                 * t.C_M_PS / t.W)
        ds = t.run(tmp, t.case(fibre={"beta": None},
                               dispersion={"kind": "array", "quantity": "n_eff"}),
                   "neff.h5", n_eff=np.array([t.LAM, n_eff]))
        print(f"n_eff table vs Taylor, rel L2: {t.rel_l2(ds.A.values[-1], ref):.2e}")

        ref = t.run(tmp, t.case(fibre={"loss": 3.0}), "c.h5").A.values[-1]
        ds = t.run(tmp, t.case(loss={"kind": "array"}), "l.h5",
                   loss=np.array([t.LAM, np.full(t.LAM.size, 3.0)]))
        print(f"constant loss table vs fibre.loss, rel L2: "
              f"{t.rel_l2(ds.A.values[-1], ref):.2e}")

        def db(lam):
            return 1.0 + 20.0 * (1400.0 / lam) ** 4
        z = 2.0
        ds = t.run(tmp, t.case(z, fibre={"gamma": 0.0}, raman={"kind": "none"},
                               loss={"kind": "array"}), "r.h5",
                   loss=np.array([t.LAM, db(t.LAM)]))
        alpha = db(299792.458 / ds.frequency.values) * np.log(10) / 10
        s0, s1 = ds.spectrum.values[0], ds.spectrum.values[-1]
        keep = s0 > 1e-30 * s0.max()
        err = np.max(np.abs(-np.log(s1[keep] / s0[keep]) / z / alpha[keep] - 1))
        print(f"rising loss, gamma = 0: max |alpha_measured / alpha(omega) - 1| = {err:.2e}"
              f" over {keep.sum()} modes")

        n2, aeff = 2.6e-20, 80.0
        gamma = n2 * t.W0 * 1e12 / (t.C_M_PS * 1e12 * aeff * 1e-12)
        ref = t.run(tmp, t.case(fibre={"gamma": gamma}), "g.h5").A.values[-1]
        c = t.case(fibre={"gamma": None, "n2": n2}, area={"kind": "array"})
        ds = t.run(tmp, c, "a.h5", area=np.array([t.LAM, np.full(t.LAM.size, aeff)]))
        print(f"constant area table + n2 vs gamma, rel L2: "
              f"{t.rel_l2(ds.A.values[-1], ref):.2e}")

        area = np.interp(t.LAM, [1300.0, 1900.0], [6.0, 14.0])
        c = t.case(0.3, N=1024, fibre={"gamma": None, "n2": 2.6e-20},
                   area={"kind": "array"})
        ds = t.run(tmp, c, "v.h5", area=np.array([t.LAM, area]))
        n, e = ds.photon_number.values, ds.energy.values
        a0 = float(np.interp(t.LAM0, t.LAM, area))
        flat = t.run(tmp, c, "f.h5", area=np.array([t.LAM, np.full(t.LAM.size, a0)]))
        print(f"Aeff 6-14 um^2: photon number drift {n[-1] / n[0] - 1:.2e}, energy "
              f"{e[-1] / e[0] - 1:+.2e}, vs constant Aeff(omega0) rel L2 "
              f"{t.rel_l2(ds.A.values[-1], flat.A.values[-1]):.2e}")


if __name__ == "__main__":
    main()
