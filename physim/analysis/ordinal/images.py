"""Two-dimensional ordinal patterns of images (Ribeiro et al., PLoS ONE 7, e40689, 2012).

A pattern is the order of the dx dy values of a dy x dx block (delays tauy
between rows, taux between columns), read row by row; m = dx dy <= 8. The
histogram, entropies and complexities are those of series with n! replaced by
m!. Sequences and networks of image patterns: ``image_ordinal_sequence``,
``image_ordinal_network``; Fisher information: ``image_fisher_shannon``.
"""
from __future__ import annotations

from math import factorial

import numpy as np
import xarray as xr

from .measures import entropy_complexity
from .patterns import check_window, counts_of, image_codes, pattern_labels


def image_ordinal_distribution(img, dx: int = 2, dy: int = 2, taux: int = 1, tauy: int = 1, *,
                               tie_precision=None) -> xr.Dataset:
    """``count`` and ``probability`` of each of the (dx dy)! patterns of a 2-D array."""
    m = check_window(dx, dy, taux, tauy)
    c, bad = image_codes(img, dx, dy, taux, tauy, True, tie_precision)
    k = counts_of(c, m)
    used = int(k.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / used
    ds = xr.Dataset({"count": ("pattern", k), "probability": ("pattern", p)},
                    coords={"pattern": pattern_labels(m)})
    ds.attrs.update(dx=dx, dy=dy, taux=taux, tauy=tauy, windows=used, nan_windows=bad)
    return ds


def image_complexity_entropy(img, dx: int = 2, dy: int = 2, taux: int = 1, tauy: int = 1, *,
                             kind: str = "shannon", order: float = 1.0,
                             tie_precision=None) -> xr.Dataset:
    """H, Q and C = Q H of the 2-D patterns of an image (Shannon, Renyi or Tsallis)."""
    d = image_ordinal_distribution(img, dx, dy, taux, tauy, tie_precision=tie_precision)
    H, Q, C = entropy_complexity(d["probability"].values, kind, float(order))
    m = dx * dy
    ds = xr.Dataset({"H": float(H), "Q": float(Q), "C": float(C),
                     "missing_patterns": int((d["count"].values == 0).sum())})
    ds.attrs.update(d.attrs, kind=kind, states=factorial(m))
    return ds
