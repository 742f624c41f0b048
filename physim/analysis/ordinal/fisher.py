"""The Fisher-Shannon plane: permutation entropy H against Fisher information F.

F = F0 sum_i (sqrt(p_{i+1}) - sqrt(p_i))^2 with F0 = 1/2, the probabilities of
all n! patterns taken in the lexicographic order of their argsort permutations
(Olivares, Plastino & Rosso, Physica A 391, 2518, 2012; ordpy's convention).
A distribution with one pattern of probability 1 gives (H, F) = (0, 1).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from .measures import shannon_entropy
from .patterns import check_window, image_codes, lexicographic_order


def fisher_information(p, m: int) -> np.ndarray:
    """F of probabilities over the m! patterns (last axis, :func:`pattern_labels` order)."""
    q = np.sqrt(np.asarray(p, dtype=float)[..., lexicographic_order(m)])
    F = 0.5 * np.sum(np.diff(q, axis=-1) ** 2, -1)
    return np.where((np.asarray(p) == 1.0).sum(-1) == 1, 1.0, F)


def fisher_shannon(x, n: int = 3, delay=1, *, probs: bool = False, dim=None,
                   tie_precision=None) -> xr.Dataset:
    """H and F of each series (any batch shape, like ``complexity_entropy``), or of
    given probabilities with ``probs=True`` (all n! of them)."""
    from .api import ordinal_distribution
    from .probabilities import as_probabilities
    if probs:
        check_window(n)
        dims = x.dims[:-1] if isinstance(x, xr.DataArray) and x.dims[-1] == "pattern" else None
        p = as_probabilities(x, n, full=True)
        dims = dims if dims is not None else tuple(f"dim_{i}" for i in range(p.ndim - 1))
        coords = {}
    else:
        dist = ordinal_distribution(x, n, delay, dim=dim, tie_precision=tie_precision)
        p = dist["probability"].values
        dims = dist["probability"].dims[:-1]
        coords = {k: v for k, v in dist.coords.items() if "pattern" not in v.dims}
    H = np.clip(shannon_entropy(p), 0.0, 1.0) + 0.0
    F = fisher_information(p, n)
    H = np.where((p == 1.0).sum(-1) == 1, 0.0, H)
    ds = xr.Dataset({"H": (dims, H), "F": (dims, F)}, coords=coords)
    ds["F"].attrs["long_name"] = "Fisher information of the pattern distribution"
    ds.attrs["n"] = n
    return ds


def image_fisher_shannon(img, dx: int = 2, dy: int = 2, taux: int = 1, tauy: int = 1, *,
                         tie_precision=None) -> tuple[float, float]:
    """(H, F) of the dy x dx patterns of a 2-D array."""
    from .patterns import counts_of
    m = check_window(dx, dy, taux, tauy)
    c, _ = image_codes(img, dx, dy, taux, tauy, True, tie_precision)
    k = counts_of(c, m)
    p = k / k.sum()
    if (p == 1.0).sum() == 1:
        return 0.0, 1.0
    return float(np.clip(shannon_entropy(p), 0, 1)), float(fisher_information(p, m))
