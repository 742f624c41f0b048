"""The numbers behind tests/test_gnlse_tables.py's bars: each tabulated-fibre run against
what it must reproduce, printed as measured (the tests only assert the bars).

    PYTHONPATH=. OMP_NUM_THREADS=1 python benchmarks/gnlse_tables.py

Uses the tests' own cases (tests/test_gnlse_tables.py: 1550 nm, N = 512 over 20 ps, a
T0 = 100 fs N = 1.4 soliton with beta2..beta4, Blow-Wood Raman and self-steepening, 0.4 m;
the tables over 1300-1900 nm, 2001 points).
"""
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import test_gnlse_tables as t  # noqa: E402


def main():
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
