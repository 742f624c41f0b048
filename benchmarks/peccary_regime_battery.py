"""A battery of regular, chaotic and stochastic series for the PECCARY regime test.

    python benchmarks/peccary_regime_battery.py            # confusion matrices (README)
    python benchmarks/peccary_regime_battery.py --evidence # one line of evidence per series
    python benchmarks/peccary_regime_battery.py --method maxavg  # t_nat from maxima

Three disjoint sets, by system and not only by seed:

* TUNE: the systems the thresholds of ``physim.analysis.ordinal.regime`` were
  chosen on (Lorenz, forced Duffing, the double pendulum, Henon-Heiles at
  E = 1/6, the logistic, Henon and tent maps, sines, a two-frequency sum,
  regular Henon-Heiles orbits, white / AR(1) / 1/f / fGn noise).
* HELD-OUT: other systems (Roessler, Chua, Thomas, Sprott B, Halvorsen,
  Rabinovich-Fabrikant, sticky Henon-Heiles, the logistic at r = 3.8, the
  standard, Lozi, cubic and Ikeda maps, three-frequency tori, a regular
  driven pendulum, AR(2), ARMA(2,1), OU, fGn and 1/f at other exponents,
  Laplace and exponential white noise, the random walk). Its first run
  changed the rule (README: two rules dropped or reordered) and one label
  (Halvorsen at a = 1.89 is a limit cycle), so it is no longer unseen.
* HELD-OUT-2: systems added after that (Chen, Rucklidge, Arneodo,
  Genesio-Tesi, van der Pol, Brusselator, Lotka-Volterra, the Gauss, sine and
  asymmetric tent maps, other sines and tori, Student-t and gamma white noise,
  AR(3), ARMA(1,1), AR(1) 0.99, 1/f^0.8, 1/f^1.8, fGn H = 0.2, 0.95), run once.

Chaotic labels of flows were checked with a two-trajectory Lyapunov estimate
where in doubt (Roessler 0.07, Duffing 0.10, Rabinovich-Fabrikant 0.026, Chen
2.1, Rucklidge 0.18, Arneodo 0.21, Genesio-Tesi 0.11; Halvorsen a = 1.89:
-0.001, hence regular).

Flows are integrated with scipy's DOP853 (rtol 1e-9) and sampled at three
intervals: 25, 50 and 100 samples per natural time scale (t_nat, mean
crossings). Every series has SAMPLES points; maps and noises use delay 1 as
their natural sampling and are read as the flows are, through sampling_scan.
The label is "regular", "complex" (chaotic, deterministic) or "stochastic".
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter

import numpy as np
import scipy.fft
from scipy.integrate import solve_ivp

SAMPLES = 20000
PER_TNAT = (25, 50, 100)
TRANSIENT = 50.0  # time units discarded before sampling a flow


# -- flows ----------------------------------------------------------------------------------
def lorenz(t, s):
    x, y, z = s
    return [10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z]


def duffing(t, s):  # Ueda's chaotic forced Duffing oscillator: k = 0.05, B = 7.5
    x, v, ph = s
    return [v, -0.05 * v - x ** 3 + 7.5 * np.cos(ph), 1.0]


def roessler(t, s):
    x, y, z = s
    return [-y - z, x + 0.2 * y, 0.2 + z * (x - 5.7)]


def chua(t, s):
    x, y, z = s
    a, b, m0, m1 = 15.6, 28.0, -1.143, -0.714
    h = m1 * x + 0.5 * (m0 - m1) * (abs(x + 1) - abs(x - 1))
    return [a * (y - x - h), x - y + z, -b * y]


def thomas(t, s):
    x, y, z = s
    b = 0.208186
    return [np.sin(y) - b * x, np.sin(z) - b * y, np.sin(x) - b * z]


def sprott_b(t, s):
    x, y, z = s
    return [y * z, x - y, 1 - x * y]


def halvorsen(t, s):
    x, y, z = s
    a = 1.89
    return [-a * x - 4 * y - 4 * z - y * y, -a * y - 4 * z - 4 * x - z * z,
            -a * z - 4 * x - 4 * y - x * x]


def rabinovich_fabrikant(t, s):
    x, y, z = s
    a, g = 0.14, 0.10
    return [y * (z - 1 + x * x) + g * x, x * (3 * z + 1 - x * x) + g * y, -2 * z * (a + x * y)]


def henon_heiles(t, s):
    x, y, px, py = s
    return [px, py, -x - 2 * x * y, -y - x * x + y * y]


def hh_start(E, y0):
    """x0 = 0, py0 = 0, px0 from the energy E (Henon-Heiles)."""
    V = 0.5 * y0 ** 2 - y0 ** 3 / 3
    return [0.0, y0, np.sqrt(2 * (E - V)), 0.0]


def pendulum(t, s):  # damped driven pendulum, periodic regime
    th, w, ph = s
    return [w, -0.5 * w - np.sin(th) + 0.9 * np.cos(ph * 2 / 3), 1.0]


def double_pendulum(t, s, g=9.80665):
    t1, t2, w1, w2 = s
    d = t1 - t2
    den = 3 - np.cos(2 * d)
    a1 = (-3 * g * np.sin(t1) - g * np.sin(t1 - 2 * t2)
          - 2 * np.sin(d) * (w2 * w2 + w1 * w1 * np.cos(d))) / den
    a2 = 2 * np.sin(d) * (2 * w1 * w1 + 2 * g * np.cos(t1) + w2 * w2 * np.cos(d)) / den
    return [w1, w2, a1, a2]


def flow(rhs, y0, comp, per_tnat, t_nat, samples=SAMPLES, transient=TRANSIENT):
    """``samples`` points of component ``comp``, ``per_tnat`` samples per t_nat (a guess
    refined once from the sampled series)."""
    dt = t_nat / per_tnat
    y = solve_ivp(rhs, (0, transient), y0, method="DOP853", rtol=1e-9, atol=1e-9).y[:, -1]
    t = dt * np.arange(samples)
    sol = solve_ivp(rhs, (0, t[-1]), y, method="DOP853", rtol=1e-9, atol=1e-9, t_eval=t)
    x = sol.y[comp]
    if comp == 0 and rhs is double_pendulum:
        x = np.sin(sol.y[0]) + np.sin(sol.y[1])  # x of the second mass
    return x, dt


def chen(t, s):
    x, y, z = s
    return [35 * (y - x), -7 * x - x * z + 28 * y, x * y - 3 * z]


def rucklidge(t, s):
    x, y, z = s
    return [-2 * x + 6.7 * y - y * z, x, -z + y * y]


def arneodo(t, s):
    x, y, z = s
    return [y, z, 5.5 * x - 3.5 * y - z - x ** 3]


def genesio_tesi(t, s):
    x, y, z = s
    return [y, z, -x - 1.1 * y - 0.44 * z + x * x]


def van_der_pol(t, s, mu=2.0):
    x, v = s
    return [v, mu * (1 - x * x) * v - x]


def brusselator(t, s):
    x, y = s
    return [1 - 4 * x + x * x * y, 3 * x - x * x * y]


def lotka_volterra(t, s):
    x, y = s
    return [x * (1.1 - 0.4 * y), y * (0.1 * x - 0.4)]


# -- maps -------------------------------------------------------------------------------------
def iterate(step, s0, samples=SAMPLES, discard=1000, comp=0):
    s = np.array(s0, dtype=float)
    out = np.empty(samples)
    for k in range(samples + discard):
        s = step(s)
        if k >= discard:
            out[k - discard] = s[comp]
    return out


MAPS = {
    "logistic r=4": lambda s: np.array([4 * s[0] * (1 - s[0])]),
    "logistic r=3.8": lambda s: np.array([3.8 * s[0] * (1 - s[0])]),
    "henon": lambda s: np.array([1 - 1.4 * s[0] ** 2 + s[1], 0.3 * s[0]]),
    "tent 1.95": lambda s: np.array([0.975 * 2 * min(s[0], 1 - s[0])]),
    "lozi": lambda s: np.array([1 - 1.7 * abs(s[0]) + s[1], 0.5 * s[0]]),
    "cubic": lambda s: np.clip([4 * s[0] ** 3 - 3 * s[0]], -1, 1),  # Chebyshev T3
    "ikeda": lambda s: _ikeda(s),
    "standard K=5": lambda s: _standard(s, 5.0),
    "gauss map": lambda s: np.array([np.exp(-6.2 * s[0] ** 2) - 0.5]),
    "sine map": lambda s: np.array([np.sin(np.pi * s[0])]),
    "asymmetric tent": lambda s: np.array([s[0] / 0.3 if s[0] < 0.3 else (1 - s[0]) / 0.7]),
}


def _ikeda(s, u=0.9):
    t = 0.4 - 6 / (1 + s[0] ** 2 + s[1] ** 2)
    return np.array([1 + u * (s[0] * np.cos(t) - s[1] * np.sin(t)),
                     u * (s[0] * np.sin(t) + s[1] * np.cos(t))])


def _standard(s, K):
    p = (s[1] + K * np.sin(s[0])) % (2 * np.pi)
    return np.array([(s[0] + p) % (2 * np.pi), p])


# -- noises -----------------------------------------------------------------------------------
def power_law(rng, beta, samples=SAMPLES):
    f = scipy.fft.rfftfreq(samples)
    scale = np.zeros_like(f)
    scale[1:] = f[1:] ** (-beta / 2)
    return scipy.fft.irfft(scipy.fft.rfft(rng.standard_normal(samples)) * scale, n=samples)


def fgn(rng, hurst, samples=SAMPLES):
    """Fractional Gaussian noise, Davies-Harte (circulant embedding)."""
    k = np.arange(samples + 1)
    g = 0.5 * ((k + 1.0) ** (2 * hurst) - 2 * k ** (2.0 * hurst) + np.abs(k - 1.0) ** (2 * hurst))
    c = np.concatenate([g, g[-2:0:-1]])
    lam = np.maximum(np.fft.fft(c).real, 0)
    m = c.size
    w = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    return np.fft.fft(np.sqrt(lam / m) * w).real[:samples]


def arma(rng, ar, ma=(), samples=SAMPLES, burn=2000):
    from scipy.signal import lfilter
    e = rng.standard_normal(samples + burn)
    return lfilter(np.r_[1, ma], np.r_[1, -np.asarray(ar, float)], e)[burn:]


def ou(rng, theta_dt, samples=SAMPLES):
    return arma(rng, [np.exp(-theta_dt)], samples=samples)


# -- the sets -----------------------------------------------------------------------------
def _flows(name, rhs, y0, comp, t_nat, label, out, per=PER_TNAT):
    for p in per:
        out.append((f"{name} ({p}/t_nat)", label, lambda r=rhs, y=y0, c=comp, p=p, t=t_nat:
                    flow(r, y, c, p, t)))


def _sines(name, periods, amps, out, per=PER_TNAT, label="regular"):
    for p in per:
        def gen(P=periods, A=amps, p=p):
            dt = P[0] / p / 1.00371
            t = dt * np.arange(SAMPLES)
            return sum(a * np.sin(2 * np.pi * t / q + 0.3 * i) for i, (q, a) in
                       enumerate(zip(P, A))), dt
        out.append((f"{name} ({p}/P)", label, gen))


def _noise(name, make, seeds, out):
    for s in seeds:
        out.append((f"{name} seed {s}", "stochastic",
                    lambda m=make, s=s: (m(np.random.default_rng(s)), 1.0)))


def _map(name, s0, out, comp=0):
    out.append((name, "complex", lambda: (iterate(MAPS[name], s0, comp=comp), 1.0)))


def tune_set():
    out = []
    _flows("lorenz x", lorenz, [1, 1, 20], 0, 0.75, "complex", out)
    _flows("lorenz z", lorenz, [1, 1, 20], 2, 0.75, "complex", out)
    _flows("duffing x", duffing, [1, 0, 0], 0, 2 * np.pi, "complex", out)
    _flows("double pendulum", double_pendulum, np.radians([120, -10, 0, 0]), 0, 2.2,
           "complex", out)
    _flows("henon-heiles E=1/6", henon_heiles, hh_start(1 / 6, -0.1), 0, 6.0, "complex", out)
    _flows("henon-heiles E=1/12", henon_heiles, hh_start(1 / 12, 0.1), 0, 6.3, "regular", out)
    _flows("henon-heiles E=1/8 y0=0", henon_heiles, hh_start(1 / 8, 0.0), 0, 6.3, "regular", out)
    for m, s0 in (("logistic r=4", [0.1]), ("henon", [0.1, 0.1]), ("tent 1.95", [0.2345])):
        _map(m, s0, out)
    _sines("sine", [1.0], [1.0], out)
    _sines("two sines 1:3.7", [1.0, 1 / 3.7], [1.0, 0.5], out)
    _noise("white gauss", lambda r: r.standard_normal(SAMPLES), [0, 1], out)
    _noise("white uniform", lambda r: r.random(SAMPLES), [0], out)
    _noise("AR(1) 0.5", lambda r: arma(r, [0.5]), [0], out)
    _noise("AR(1) 0.95", lambda r: arma(r, [0.95]), [0, 1], out)
    for b in (1.0, 2.0):
        _noise(f"1/f^{b:g}", lambda r, b=b: power_law(r, b), [0, 1], out)
    for h in (0.5, 0.8):
        _noise(f"fGn H={h}", lambda r, h=h: fgn(r, h), [0], out)
    return out


def heldout_set():
    out = []
    _flows("roessler x", roessler, [1, 1, 0], 0, 6.0, "complex", out)
    _flows("roessler y", roessler, [1, 1, 0], 1, 6.0, "complex", out)
    _flows("chua x", chua, [0.7, 0, 0], 0, 1.6, "complex", out)
    _flows("thomas x", thomas, [0.1, 0, 0], 0, 15.0, "complex", out)
    _flows("sprott B x", sprott_b, [0.1, 0.1, 0.1], 0, 4.0, "complex", out)
    # a = 1.89 from this start is a limit cycle (two-trajectory Lyapunov estimate -0.001
    # over t = 300): labelled regular after the first held-out run called it so
    _flows("halvorsen x (a=1.89, periodic)", halvorsen, [-1.48, -1.51, 2.04], 0, 2.5,
           "regular", out)
    _flows("rabinovich-fabrikant x", rabinovich_fabrikant, [-1, 0, 0.5], 0, 3.0, "complex", out)
    _flows("henon-heiles E=1/8 y0=-0.2 (sticky)", henon_heiles, hh_start(1 / 8, -0.2), 0,
           6.3, "complex", out)
    _flows("henon-heiles E=1/10 y0=0.3", henon_heiles, hh_start(1 / 10, 0.3), 0, 6.3,
           "regular", out)
    _flows("driven pendulum (periodic)", pendulum, [0.1, 0, 0], 0, 3 * np.pi, "regular", out)
    for m, s0, c in (("logistic r=3.8", [0.3], 0), ("lozi", [0.1, 0.1], 0),
                     ("cubic", [0.1], 0), ("ikeda", [0.1, 0.1], 0),
                     ("standard K=5", [0.5, 0.3], 1)):
        _map(m, s0, out, c)
    _sines("sine P'", [1.0], [1.0], out, per=(13, 37, 71))
    _sines("three sines 1:sqrt2:pi", [1.0, 1 / np.sqrt(2), 1 / np.pi], [1.0, 0.7, 0.4], out)
    _sines("two sines 1:golden", [1.0, 1 / 1.6180339887], [1.0, 0.8], out)
    _noise("white laplace", lambda r: r.laplace(size=SAMPLES), [3], out)
    _noise("white exponential", lambda r: r.exponential(size=SAMPLES), [3], out)
    _noise("AR(2) 1.6,-0.8", lambda r: arma(r, [1.6, -0.8]), [3, 4], out)
    _noise("ARMA(2,1)", lambda r: arma(r, [0.75, -0.5], [0.4]), [3], out)
    _noise("OU theta dt=0.05", lambda r: ou(r, 0.05), [3], out)
    _noise("random walk", lambda r: np.cumsum(r.standard_normal(SAMPLES)), [3], out)
    for b in (0.5, 1.5, 2.5):
        _noise(f"1/f^{b:g}", lambda r, b=b: power_law(r, b), [3], out)
    for h in (0.3, 0.65, 0.9):
        _noise(f"fGn H={h}", lambda r, h=h: fgn(r, h), [3], out)
    return out


def heldout2_set():
    """Built after the first HELD-OUT run had been seen (and two rules changed, see the
    README); evaluated once, with nothing changed afterwards."""
    out = []
    _flows("chen x", chen, [-10, 0, 37], 0, 0.6, "complex", out)
    _flows("rucklidge x", rucklidge, [1, 0, 4.5], 0, 8.0, "complex", out)
    _flows("arneodo x", arneodo, [-0.2, -0.2, 0.1], 0, 3.0, "complex", out)
    _flows("genesio-tesi x", genesio_tesi, [0.1, 0.1, 0.1], 0, 6.0, "complex", out)
    _flows("van der pol mu=2", van_der_pol, [1, 0], 0, 7.6, "regular", out)
    _flows("brusselator", brusselator, [1, 1], 0, 7.0, "regular", out)
    _flows("lotka-volterra", lotka_volterra, [3, 2], 0, 10.0, "regular", out)
    for m, s0 in (("gauss map", [0.1]), ("sine map", [0.3]), ("asymmetric tent", [0.2345])):
        _map(m, s0, out)
    _sines("sine P''", [1.0], [1.0], out, per=(17, 43, 89))
    _sines("two sines 1:e", [1.0, 1 / np.e], [1.0, 0.3], out)
    _noise("white student-t3", lambda r: r.standard_t(3, SAMPLES), [5], out)
    _noise("white gamma(2)", lambda r: r.gamma(2.0, size=SAMPLES), [5], out)
    _noise("AR(3)", lambda r: arma(r, [0.5, 0.2, -0.3]), [5], out)
    _noise("ARMA(1,1)", lambda r: arma(r, [0.9], [-0.5]), [5], out)
    _noise("AR(1) 0.99", lambda r: arma(r, [0.99]), [5], out)
    for b in (0.8, 1.8):
        _noise(f"1/f^{b:g}", lambda r, b=b: power_law(r, b), [5], out)
    for h in (0.2, 0.95):
        _noise(f"fGn H={h}", lambda r, h=h: fgn(r, h), [5], out)
    return out


SETS = {"TUNE": tune_set, "HELD-OUT": heldout_set, "HELD-OUT-2": heldout2_set}
LABELS = ("regular", "complex", "stochastic", "undetermined")


def evaluate(series, **kw):
    """(name, truth, regime at the recommended delay, regimes over the window, result)."""
    from physim.analysis.ordinal.regime import regime_test as regime_scan
    rows = []
    for name, truth, gen in series:
        x, dt = gen()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = regime_scan(x, dt=dt, **kw)
        rows.append((name, truth, res["regime"], res["window_regimes"], res))
    return rows


def confusion(pairs):
    c = Counter(pairs)
    lines = ["| truth \\ physim | " + " | ".join(LABELS) + " | right |",
             "|---|" + "---|" * (len(LABELS) + 1)]
    for t in LABELS[:3]:
        row = [c[(t, p)] for p in LABELS]
        tot = sum(row)
        if tot:
            lines.append(f"| {t} | " + " | ".join(map(str, row)) + f" | {row[LABELS.index(t)]}"
                         f"/{tot} |")
    right = sum(v for (t, p), v in c.items() if t == p)
    lines.append(f"| all | | | | | {right}/{sum(c.values())} = "
                 f"{100 * right / max(1, sum(c.values())):.1f} % |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evidence", action="store_true", help="print the evidence per series")
    ap.add_argument("--set", choices=list(SETS), action="append")
    ap.add_argument("--method", default="ncross", choices=("ncross", "maxavg", "minavg"),
                    help="t_nat estimator")
    args = ap.parse_args(argv)
    for name in args.set or list(SETS):
        t0 = time.perf_counter()
        rows = evaluate(SETS[name](), method=args.method)
        print(f"\n### {name}: {len(rows)} series, {SAMPLES} samples each, t_nat by {args.method} "
              f"({time.perf_counter() - t0:.0f} s)\n")
        if args.evidence:
            for nm, truth, reg, win, res in rows:
                e = res["evidence"]
                flag = "" if reg == truth else "   <-- WRONG"
                print(f"{nm:42s} {truth:10s} {reg:12s} conf={res['confidence']:.2f} "
                      f"l={e['delay']:3d} H={e['H']:.3f} b={e['band_position']:.2f} "
                      f"miss={e['missing_patterns']:3d} "
                      f"p_white={e['p_missing_white']:.1e} surr={e['surrogate_missing_max']} "
                      f"K={e['zero_one_K']:.2f} "
                      f"win={''.join(r[0] for r in win)}{flag}")
        print("At the recommended delay:\n")
        print(confusion([(t, r) for _, t, r, _, _ in rows]))
        print("\nAt every delay in the window 0.3 <= t_pat/t_nat <= 0.5:\n")
        print(confusion([(t, w) for _, t, _, win, _ in rows for w in win]))
        stable = sum(all(w == t for w in win) for _, t, _, win, _ in rows)
        frac = np.mean([np.mean([w == t for w in win]) for _, t, _, win, _ in rows])
        und = sum(r == "undetermined" for _, _, r, _, _ in rows)
        print(f"\nSeries right at every window delay: {stable}/{len(rows)}; mean fraction of "
              f"window delays right per series: {100 * frac:.1f} %; undetermined at the "
              f"recommended delay: {und}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
