"""The regime of a series: regular, complex, stochastic or undetermined, with the evidence.

The position in the complexity-entropy plane alone does not generalise
(phase-coherent chaos such as Roessler sits left of H_max,per; held-back flows
sit at band positions 0.57-0.66). This module combines three tests:

1. **Can the data decide?** n <= 3 (n! <= 6 patterns), fewer than
   ``MIN_WINDOWS_FACTOR`` n! windows, or more than ``TIE_LIMIT`` of the windows
   holding equal values: "undetermined", with the reason.
2. **Forbidden patterns** (Amigo, Zambrano & Sanjuan 2007): the missing-pattern
   count m against two nulls, (a) white noise with as many windows, the
   Poisson tail P(M >= m) with mean n! (1 - 1/n!)^windows, and (b)
   ``surrogates`` amplitude-adjusted phase-randomised surrogates (same value
   distribution, hence the same ties, and nearly the same spectrum): a linear
   Gaussian process seen through a monotone map. Determinism needs m above
   every surrogate and p_white below ``ALPHA``.
3. **Regular or chaotic** (among deterministic series): the 0-1 test for chaos
   (Gottwald & Melbourne, SIAM J. Appl. Dyn. Syst. 8, 129, 2009; correlation
   method, median over frequencies c), on the series sampled every
   ``ZERO_ONE_SPACING`` t_nat: K near 0 for periodic and quasi-periodic motion,
   near 1 for chaos. Without enough samples for it (fewer than ZERO_ONE_MIN
   at that spacing) a deterministic series is "undetermined".

Stochastic series fail test 2. Every number behind the decision is returned.
"""
from __future__ import annotations

import warnings
from math import factorial

import numpy as np
from scipy.stats import poisson

from .api import OrdinalWarning, _count, as_series, complexity_entropy, time_step
from .plane import band_position, boundaries, check_n

REGIME_LABELS = ("regular", "complex", "stochastic", "undetermined")
TIE_LIMIT = 0.10          # more windows with ties than this: undetermined
MIN_WINDOWS_FACTOR = 10   # fewer than this many n! windows: undetermined
ALPHA = 1e-3              # p_white below this: more missing patterns than white noise allows
SURROGATES = 19           # rank test at 5 %: the series must miss more than all 19
SURROGATE_POINTS = 2 ** 15
ZERO_ONE_SPACING = 0.37   # the 0-1 test reads the series every 0.37 t_nat (not a rational)
ZERO_ONE_POINTS = 4000
ZERO_ONE_K = 0.5          # K above: chaotic; below: regular
ZERO_ONE_MIN = 100        # fewer samples at that spacing: no 0-1 test
WINDOW_DELAYS = 11        # at most this many of the window's delays are tested


def p_missing_white(missing, windows, n):
    """P(M >= missing) for white noise with ``windows`` windows (Poisson, mean n!(1-1/n!)^w)."""
    N = factorial(n)
    mu = N * (1 - 1 / N) ** np.asarray(windows, dtype=float)
    return poisson.sf(np.asarray(missing) - 1, mu)


def aaft_surrogates(x, count, rng):
    """``count`` amplitude-adjusted phase-randomised surrogates of x (rows)."""
    x = np.asarray(x, dtype=float)
    T = x.size
    ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    gauss = np.sort(rng.standard_normal(T))[ranks]       # x's ranks on a Gaussian
    F = np.fft.rfft(gauss)
    ph = rng.uniform(0, 2 * np.pi, (count, F.size))
    ph[:, 0] = 0
    if T % 2 == 0:
        ph[:, -1] = 0
    s = np.fft.irfft(np.abs(F) * np.exp(1j * ph), n=T)
    xs = np.sort(x)
    return xs[np.argsort(np.argsort(s, axis=1, kind="stable"), axis=1, kind="stable")]


def zero_one_k(x, rng, cs=64, ncut=None):
    """Median K of the 0-1 test for chaos (correlation method, modified mean-square
    displacement) over ``cs`` random c in (pi/5, 4pi/5)."""
    phi = np.asarray(x, dtype=float)
    phi = phi[np.isfinite(phi)]
    N = phi.size
    if N < ZERO_ONE_MIN or np.ptp(phi) == 0:
        return np.nan
    phi = (phi - phi.mean()) / phi.std()
    ncut = ncut or N // 10
    c = rng.uniform(np.pi / 5, 4 * np.pi / 5, cs)
    j = np.arange(1, N + 1)
    z = np.cumsum(phi[None, :] * np.exp(1j * np.outer(c, j)), axis=1)  # p + i q
    # M(n) = mean_j |z_{j+n} - z_j|^2 for n = 1..ncut, by FFT correlation
    a2 = np.abs(z) ** 2
    cs2 = np.concatenate([np.zeros((cs, 1)), np.cumsum(a2, axis=1)], axis=1)
    L = 1 << int(np.ceil(np.log2(2 * N)))
    Z = np.fft.fft(z, L, axis=1)
    corr = np.fft.ifft(Z * np.conj(Z), axis=1)[:, 1:ncut + 1].real  # sum_j z_{j+n} conj z_j
    nn = np.arange(1, ncut + 1)
    tail = cs2[:, -1][:, None] - cs2[:, nn]          # sum_{j >= n} |z_j|^2
    head = cs2[:, N - nn]                             # sum_{j < N-n} |z_j|^2
    M = (tail + head - 2 * corr) / (N - nn)
    # phi has zero mean, so the oscillating term (E phi)^2 (1 - cos nc)/(1 - cos c) vanishes
    D = M - M.mean(1, keepdims=True)
    n0 = nn - nn.mean()
    K = (D * n0).sum(1) / np.sqrt((D ** 2).sum(1) * (n0 ** 2).sum())
    return float(np.median(K))


def _decide(n, windows, tie, missing, surr_max, K):
    """(regime, reason) at one delay from the evidence (see the module docstring)."""
    N = factorial(n)
    if n <= 3:
        return "undetermined", (f"n = {n}: {N} patterns are too few to show forbidden "
                                "patterns (use n >= 4; 5 is PECCARY's default)")
    if not windows or windows < MIN_WINDOWS_FACTOR * N:
        return "undetermined", (f"{int(windows)} windows < {MIN_WINDOWS_FACTOR} n! = "
                                f"{MIN_WINDOWS_FACTOR * N}: too few to tell forbidden from "
                                "unsampled patterns")
    if tie > TIE_LIMIT:
        return "undetermined", (f"{100 * tie:.0f} % of the windows hold equal values "
                                f"(limit {100 * TIE_LIMIT:.0f} %): ties, ranked by time order, "
                                "decide their patterns; add resolution or jitter")
    p = float(p_missing_white(missing, windows, n))
    if p >= ALPHA:
        return "stochastic", (f"{int(missing)} missing patterns, as white noise with "
                              f"{int(windows)} windows can miss (p = {p:.2g})")
    if np.isfinite(K) and K < ZERO_ONE_K:
        return "regular", (f"forbidden patterns ({int(missing)} missing, p_white = {p:.1e}) "
                           f"and the 0-1 test finds no chaos (K = {K:.2f} < {ZERO_ONE_K})")
    if surr_max is not None and missing <= surr_max:
        return "stochastic", (f"{int(missing)} missing patterns, but a linear Gaussian process "
                              f"with the same spectrum and values misses as many "
                              f"(surrogates: up to {surr_max})")
    if not np.isfinite(K):
        return "undetermined", (f"forbidden patterns ({int(missing)} missing, p_white = "
                                f"{p:.1e}), but the series is too short in units of t_nat "
                                f"for the 0-1 test (fewer than {ZERO_ONE_MIN} samples at "
                                f"{ZERO_ONE_SPACING} t_nat): regular or chaotic cannot be told")
    if surr_max is None:
        return "undetermined", (f"forbidden patterns ({int(missing)} missing) and K = "
                                f"{K:.2f}, but no surrogates to rule out linear noise "
                                "(surrogates = 0)")
    return "complex", (f"forbidden patterns: {int(missing)} missing, more than every "
                       f"linear surrogate (at most {int(surr_max)}) and than white noise "
                       f"(p = {p:.1e}); the 0-1 test finds chaos (K = {K:.2f})")


def regime_test(x, n: int = 5, delay=None, *, dt=None, dim=None, t_nat=None,
                method: str = "ncross", surrogates: int = SURROGATES, seed: int = 0) -> dict:
    """Regime of one series with a confidence and the evidence behind it.

    ``delay`` (samples) fixes the delay; by default the delays of
    :func:`sampling_scan` are used: the regime is read at the recommended delay
    (t_pat / t_nat nearest 0.4) and at the delays of the window 0.3-0.5 (every
    one, or WINDOW_DELAYS of them spread evenly, the recommended one included).

    Returns a dict: ``regime`` in regular / complex / stochastic / undetermined,
    ``reason`` (one sentence), ``confidence`` (the fraction of the window's
    delays that give the same regime; 1 for a single delay; 0 for
    undetermined), ``delay``,
    ``window_delays`` and ``window_regimes``, and ``evidence`` at the delay:
    H, C, band_position, windows, tie_fraction, missing_patterns,
    missing_expected_white, p_missing_white, surrogate_missing (per
    surrogate), surrogate_missing_max, p_surrogate (rank test),
    zero_one_K, zero_one_spacing, t_nat.
    """
    from .sampling import RECOMMENDED_RATIO, WINDOW
    n = check_n(n)
    if isinstance(surrogates, bool) or not isinstance(surrogates, (int, np.integer)) \
            or surrogates < 0:
        raise ValueError(f"surrogates = {surrogates!r}: expected an integer >= 0 "
                         f"(default {SURROGATES}; 0 skips the surrogate test)")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, (int, np.integer))
                              or delay < 1):
        raise ValueError(f"delay = {delay!r}: expected one integer >= 1 (samples), or None "
                         "for the scan's recommended delay")
    da = as_series(x, dim)
    if da.ndim != 1:
        raise ValueError("regime_test takes one series; loop over series")
    given_dt = time_step(da, dt)
    dts = 1.0 if given_dt is None else given_dt
    v = np.asarray(da.values, dtype=float)
    fin = v[np.isfinite(v)]
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OrdinalWarning)
        if t_nat is None and fin.size > 2 and np.ptp(fin) > 0:
            from .sampling import natural_timescale
            t_nat = natural_timescale(fin, dts, method)
        if delay is None and t_nat is not None and np.isfinite(t_nat):
            # sampling_scan's delays: the window's, and the one nearest 0.4 t_nat
            step = (n - 1) * dts
            top = (v.size - 1) // (n - 1)
            lo = max(1, int(np.ceil(WINDOW[0] * t_nat / step - 1e-9)))
            hi = min(top, int(np.floor(WINDOW[1] * t_nat / step + 1e-9)))
            win = list(range(lo, hi + 1))
            if win:
                best = min(win, key=lambda d: abs(d * step / t_nat - RECOMMENDED_RATIO))
                if len(win) > WINDOW_DELAYS:  # evenly spread, the best among them
                    pick = np.unique(np.rint(np.linspace(lo, hi, WINDOW_DELAYS)).astype(int))
                    win = sorted(set(int(d) for d in pick) | {best})
            else:
                best = max(1, min(top, int(np.rint(RECOMMENDED_RATIO * t_nat / step))))
                win = [best]
        else:
            best = 1 if delay is None else int(delay)
            win = [best]
        delays = sorted(set(win) | {best})
        ce = complexity_entropy(v, n, delays, warn=False)
    # linear surrogates, on a contiguous stretch of at most SURROGATE_POINTS samples
    part = fin[:SURROGATE_POINTS]
    surr = (aaft_surrogates(part, surrogates, rng)
            if surrogates and part.size > 2 and np.ptp(part) > 0 else None)
    spacing = 1
    if t_nat is not None and np.isfinite(t_nat):
        spacing = max(1, int(round(ZERO_ONE_SPACING * t_nat / dts)))
    K = zero_one_k(fin[::spacing][:ZERO_ONE_POINTS], rng) if n > 3 else np.nan
    per = {}
    for d in delays:
        r = ce.sel(delay=d)
        if surr is not None:
            cs, _, stp = _count(np.vstack([part[None, :], surr]), n, d, False)
            ms = (cs[1:] == 0).sum(1)
            mp, wp = int((cs[0] == 0).sum()), int(stp[0, 0])
        else:
            ms = None
        missing, windows = int(r["missing_patterns"]), int(r["windows"])
        tie = float(r["tie_fraction"]) if windows else 1.0
        smax = None if ms is None else int(ms.max())
        # the surrogates see the stretch `part`: compare them with the same stretch
        if not windows:
            label, reason = "undetermined", "no windows (the series is too short or all NaN)"
        elif ms is None:
            label, reason = _decide(n, windows, tie, missing, smax, K)
        else:
            label, reason = _decide(n, windows if wp == windows else wp, tie, mp, smax, K)
        if label == "complex" or label == "regular":
            # the forbidden-pattern count of the whole series must agree
            if float(p_missing_white(missing, windows, n)) >= ALPHA:
                label, reason = _decide(n, windows, tie, missing, smax, K)
        H, C = float(r["H"]), float(r["C"])
        per[d] = dict(regime=label, reason=reason, delay=d, H=H, C=C,
                      band_position=float(band_position(H, C, n)) if windows else np.nan,
                      windows=windows, tie_fraction=tie, missing_patterns=missing,
                      missing_expected_white=float(r["missing_expected_white"]),
                      p_missing_white=float(p_missing_white(missing, windows, n)),
                      surrogate_missing=None if ms is None else [int(m) for m in ms],
                      surrogate_missing_max=smax,
                      p_surrogate=(None if ms is None else
                                   float((1 + np.sum(ms >= mp)) / (1 + ms.size))),
                      surrogate_points=int(part.size) if ms is not None else 0,
                      zero_one_K=K, zero_one_spacing=spacing,
                      t_nat=np.nan if t_nat is None else float(t_nat),
                      h_max_periodic=boundaries(n)["h_max_periodic"])
    e = per[best]
    wr = [per[d]["regime"] for d in win]
    conf = sum(r == e["regime"] for r in wr) / len(wr) if e["regime"] != "undetermined" else 0.0
    return {"regime": e["regime"], "reason": e["reason"], "confidence": float(conf),
            "delay": best, "window_delays": win, "window_regimes": wr,
            "evidence": {k: v for k, v in e.items() if k not in ("regime", "reason")}}
