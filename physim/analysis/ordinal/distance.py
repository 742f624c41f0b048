"""The permutation Jensen-Shannon distance between series (Zunino et al., PRE 105, 045310, 2022).

For M pattern distributions P_1..P_M: D = sqrt((S[mean P] - mean S[P]) / ln M)
(normalised to [0, 1]; ``normalized=False`` drops the ln M), the square root of
the Jensen-Shannon divergence, a metric. ordpy's ``permutation_js_distance``.
"""
from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.special import xlogy


def _S(p, base):
    s = -xlogy(p, p).sum(-1)
    return s if base == "e" else s / np.log(base)


def _distance(P, base, normalized):
    M = P.shape[0]
    if M < 2:
        return 0.0
    d = _S(P.mean(0), base) - _S(P, base).mean()
    if d <= 0:  # round-off below zero for equal distributions
        return 0.0
    if normalized:
        d /= np.log(M) if base == "e" else np.log(M) / np.log(base)
    return float(np.sqrt(d))


def js_distance(series, n: int = 3, delay: int = 1, *, probs: bool = False,
                pairwise: bool = False, base="e", normalized: bool = True,
                tie_precision=None):
    """The Jensen-Shannon distance of the patterns of several series (a list, or the rows
    of an array; lengths may differ), or of their distributions with ``probs=True``.

    ``pairwise=True`` returns the M x M matrix of distances between every two.
    ``base`` ('e' or 2) only matters with ``normalized=False``.
    """
    from .api import ordinal_distribution
    from .plane import check_n
    if base not in ("e", 2):
        raise ValueError(f"base = {base!r}: expected 'e' or 2")
    n = check_n(n)
    if probs:
        from .probabilities import as_probabilities
        P = as_probabilities(series, n)
        if P.ndim != 2:
            raise ValueError("with probs = True give an (M, n!) array of distributions")
    else:
        rows = list(series) if not isinstance(series, np.ndarray) or series.ndim > 1 \
            else [series]
        if len(rows) == 0:
            raise ValueError("no series given")
        P = np.stack([ordinal_distribution(np.asarray(r), n, delay,
                                           tie_precision=tie_precision)["probability"].values
                      for r in rows])
        if np.isnan(P).any():
            raise ValueError("a series has no complete window (too short, or all NaN)")
    if not pairwise:
        return _distance(P, base, normalized)
    M = P.shape[0]
    D = np.zeros((M, M))
    for i in range(M):
        for j in range(i + 1, M):
            D[i, j] = D[j, i] = _distance(P[[i, j]], base, normalized)
    return xr.DataArray(D, dims=("series", "series_b"), name="js_distance")
