"""The complexity-entropy plane: C_min(H), C_max(H), regime boundaries, classification.

Curves (Martin, Plastino & Rosso, Physica A 369, 439, 2006; as in ordpy and
peccary): with N = n! states,

* C_min: one probability p in [1/N, 1], the other N-1 equal;
* C_max: for i = 1..N-1, i-1 probabilities zero, one p in [0, 1/(N-i+1)] and
  the other N-i equal. Branch i covers ln(N-i)/ln N <= H <= ln(N-i+1)/ln N,
  so the union is one curve.

For the Renyi and Tsallis planes the same two families are drawn in the
generalised (H, C); they bound the plane in the Shannon case and are the usual
reference curves in the generalised ones.

Regime boundaries (Hyman, Daniel & Schaffner 2025, after Weck et al. 2015):
H_min,per = ln 2 / ln N (only the two monotone patterns occur) and
H_max,per = ln(2(2n-3)) / ln N (the most patterns a sampled sinusoid can make);
the periodic line joins the points of C_max at those two entropies.
"""
from __future__ import annotations

from functools import lru_cache
from math import factorial, log

import numpy as np

from .measures import entropy_complexity

REGIMES = ("regular", "complex", "stochastic", "undetermined")

# For H > H_max,per: the point's height between the curves, (C - C_min)/(C_max - C_min),
# above which it is called complex (see ``classify_array``; README "Classification").
COMPLEX_BAND = 0.6


def check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 8:
        raise ValueError(f"n = {n!r}: the embedding dimension must be an integer in 2..8 "
                         "(n! states; 9! = 362880 would need more samples than most series "
                         "have: at least 10 n! windows)")
    return int(n)


def h_min_periodic(n: int) -> float:
    """ln 2 / ln n!: a monotone stretch uses two patterns."""
    return log(2) / log(factorial(check_n(n)))


def h_max_periodic(n: int) -> float:
    """ln(2(2n-3)) / ln n!: the most patterns a sampled sine can produce."""
    n = check_n(n)
    return log(2 * (2 * n - 3)) / log(factorial(n))


def _uniform_on(k: int, N: int, kind, order):
    """(H, C) of the uniform distribution on k of N states."""
    H, _, C = entropy_complexity(np.array([1.0 / k, 0.0]), kind, order,
                                 mult=np.array([k, N - k], dtype=float))
    return float(H), float(C)


def boundaries(n: int, kind: str = "shannon", order: float = 1.0) -> dict:
    """The periodic region: H_min,per, H_max,per and the ends of the periodic line."""
    n = check_n(n)
    N = factorial(n)
    lo, hi = _uniform_on(2, N, kind, order), _uniform_on(min(2 * (2 * n - 3), N), N, kind, order)
    return {"h_min_periodic": lo[0], "h_max_periodic": hi[0],
            "c_at_h_min_periodic": lo[1], "c_at_h_max_periodic": hi[1]}


def periodic_line(H, n: int, kind: str = "shannon", order: float = 1.0):
    b = boundaries(n, kind, order)
    h0, h1 = b["h_min_periodic"], b["h_max_periodic"]
    c0, c1 = b["c_at_h_min_periodic"], b["c_at_h_max_periodic"]
    return c0 + (np.asarray(H) - h0) * (c1 - c0) / (h1 - h0)


@lru_cache(maxsize=32)
def _curves(n: int, kind: str, order: float, points: int):
    N = factorial(n)
    t = np.linspace(0.0, 1.0, points)
    # C_min family
    p = 1.0 / N + t * (1 - 1.0 / N)
    vals = np.stack([p, (1 - p) / (N - 1)], -1)
    mult = np.broadcast_to(np.array([1.0, N - 1.0]), vals.shape)
    hmin, _, cmin = entropy_complexity(vals, kind, order, mult)
    # C_max branches: points in proportion to the H interval each covers (at least 3)
    i = np.arange(1, N)
    width = np.log((N - i + 1) / (N - i)) / np.log(N)
    per = np.maximum(3, np.ceil(points * width).astype(int))
    branch = np.repeat(i, per)
    start = np.cumsum(per) - per
    frac = (np.arange(per.sum()) - np.repeat(start, per)) / np.repeat(per - 1, per)
    pk = frac / (N - branch + 1)
    rest = N - branch
    vals = np.stack([pk, (1 - pk) / rest, np.zeros_like(pk)], -1)
    mult = np.stack([np.ones_like(pk), rest.astype(float), branch - 1.0], -1)
    hmax, _, cmax = entropy_complexity(vals, kind, order, mult)
    a, b = np.argsort(hmin, kind="stable"), np.argsort(hmax, kind="stable")
    return hmin[a], cmin[a], hmax[b], cmax[b]


def curves(n: int, kind: str = "shannon", order: float = 1.0, points: int = 2000):
    """(H_min, C_min, H_max, C_max) arrays sorted by H: the lower and upper curves."""
    return _curves(check_n(n), kind, float(order), int(points))


def c_max(H, n: int, kind: str = "shannon", order: float = 1.0):
    """C_max at entropy H (interpolated on a fine sampling of the curve)."""
    _, _, hmax, cmax = curves(n, kind, order, 20000)
    return np.interp(H, hmax, cmax)


def c_min(H, n: int, kind: str = "shannon", order: float = 1.0):
    hmin, cmin, _, _ = curves(n, kind, order, 20000)
    return np.interp(H, hmin, cmin)


def band_position(H, C, n: int, kind: str = "shannon", order: float = 1.0):
    """(C - C_min(H)) / (C_max(H) - C_min(H)): 0 on the lower curve, 1 on the upper."""
    lo, hi = c_min(H, n, kind, order), c_max(H, n, kind, order)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.asarray(C) - lo) / (hi - lo)


def classify_array(H, C, n: int, kind: str = "shannon", order: float = 1.0, *,
                   missing=None, windows=None, tie_fraction=None) -> np.ndarray:
    """Regime of each (H, C) point from its place in the plane; NaN points get "".

    * regular: H <= H_max,per, the entropies a sampled periodic signal can reach;
    * complex: H > H_max,per and the point lies in the upper part of the band
      between the curves, band_position >= COMPLEX_BAND (0.6);
    * stochastic: the rest.

    With ``missing``, ``windows`` (and ``tie_fraction``) given, as
    :func:`complexity_entropy` does, the data are asked first: "undetermined"
    for n <= 3, fewer than 10 n! windows or more than 10 % tied windows, and
    "stochastic" when no more patterns are missing than white noise with as
    many windows misses (Poisson p >= 1e-3). This is the quick reading of one
    point; :func:`physim.analysis.ordinal.regime_test` adds the surrogate and
    0-1 tests that tell phase-coherent chaos from regular motion.
    """
    H, C = np.asarray(H, dtype=float), np.asarray(C, dtype=float)
    hi = boundaries(n, kind, order)["h_max_periodic"]
    out = np.where(H <= hi, "regular",
                   np.where(band_position(H, C, n, kind, order) >= COMPLEX_BAND,
                            "complex", "stochastic"))
    if missing is not None and windows is not None:
        from .regime import ALPHA, MIN_WINDOWS_FACTOR, TIE_LIMIT, p_missing_white
        N = factorial(n)
        w = np.asarray(windows, dtype=float)
        with np.errstate(invalid="ignore"):
            p = p_missing_white(np.asarray(missing), w, n)
        out = np.where(p >= ALPHA, "stochastic", out)
        tie = np.zeros_like(w) if tie_fraction is None else np.asarray(tie_fraction, float)
        bad = (n <= 3) | (w < MIN_WINDOWS_FACTOR * N) | (tie > TIE_LIMIT)
        out = np.where(bad, "undetermined", out)
    out = np.broadcast_to(out, np.broadcast(H, C).shape)
    return np.where(np.isfinite(H) & np.isfinite(C), out, "").astype(str)
