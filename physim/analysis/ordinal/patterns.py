"""Pattern sequences, pattern tables and missing patterns (series and images).

Every pattern is held as the Lehmer code of its rank vector (0 .. N-1, N = m!
for m values in a window); ``pattern_table(m)[code]`` is its argsort
permutation, ordpy's label, and ``pattern_labels(m)`` the strings ("0132")
used as the ``pattern`` coordinate of :func:`ordinal_distribution`.

Windows of an image (a 2-D array, rows = y, columns = x) are dy x dx blocks
with delays tauy, taux, read row by row, as in Ribeiro et al., PLoS ONE 7,
e40689 (2012) and ordpy; a series is the image of one row (dy = 1).
"""
from __future__ import annotations

from functools import lru_cache
from itertools import permutations
from math import factorial

import numpy as np

from ._kernels import codes_2d, place_values

MAX_STATES = factorial(8)


@lru_cache(maxsize=16)
def _table(m: int) -> np.ndarray:
    # the Lehmer code of a rank vector is its index in lexicographic order
    ranks = np.array(list(permutations(range(m))), dtype=np.int64).reshape(-1, m)
    table = np.argsort(ranks, axis=1, kind="stable")
    table.setflags(write=False)
    return table


def pattern_table(m: int) -> np.ndarray:
    """(m!, m) array: row ``code`` is the argsort permutation of that pattern."""
    return _table(int(m))


@lru_cache(maxsize=16)
def _labels(m: int) -> tuple:
    return tuple("".join(map(str, row)) for row in _table(m))


def pattern_labels(m: int) -> np.ndarray:
    """The pattern names "012", "021", ... in code order (``ordinal_distribution``'s order)."""
    return np.array(_labels(int(m)))


@lru_cache(maxsize=16)
def _lexicographic(m: int) -> np.ndarray:
    t = _table(m)
    return np.lexsort(t.T[::-1])


def lexicographic_order(m: int) -> np.ndarray:
    """Codes sorted by their argsort permutation (ordpy's ``ordered=True`` order)."""
    return _lexicographic(int(m))


def check_window(dx, dy=1, taux=1, tauy=1) -> int:
    """dx dy, after checking the window sizes and delays; at most 8 values (8! states)."""
    for name, v, lo in (("dx", dx, 1), ("dy", dy, 1), ("taux", taux, 1), ("tauy", tauy, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} = {v!r}: expected an integer >= {lo}")
    m = int(dx) * int(dy)
    if not 2 <= m <= 8:
        raise ValueError(f"dx dy = {m}: a window must hold 2..8 values ({m}! states; "
                         "8! = 40320 already needs about 10^6 windows)")
    return m


def image_codes(img, dx, dy=1, taux=1, tauy=1, overlapping=True, tie_precision=None):
    """(codes, NaN windows): the Lehmer code of each window of a 2-D array, -1 for a NaN.

    ``codes`` has shape (window rows, window columns). Non-overlapping windows
    step by the window's extent, (dx-1) taux + 1 along x, as in ordpy.
    """
    m = check_window(dx, dy, taux, tauy)
    a = np.asarray(img)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D array (rows, columns), got shape {a.shape}")
    if np.iscomplexobj(a) or a.dtype.kind not in "fiub":
        raise TypeError(f"the data have dtype {a.dtype}; expected real numbers")
    a = a.astype(np.float64)
    if tie_precision is not None:
        a = np.round(a, int(tie_precision))
    ex, ey = (dx - 1) * taux + 1, (dy - 1) * tauy + 1
    ny, nx = a.shape[0] - ey + 1, a.shape[1] - ex + 1
    if ny < 1 or nx < 1:
        raise ValueError(f"the data ({a.shape[0]} x {a.shape[1]}) are smaller than one "
                         f"window ({ey} x {ex} samples with these delays)")
    sx, sy = (1, 1) if overlapping else (ex, ey)
    rows = 1 if (dy == 1 and not overlapping) else -(-ny // sy)
    out = np.empty((rows, -(-nx // sx)), np.int64)
    bad = codes_2d(a, int(dx), int(dy), int(taux), int(tauy), sx, sy, place_values(m), out)
    return out, int(bad)


def series_codes(x, n, delay=1, overlapping=True, tie_precision=None):
    """Lehmer codes of the windows of one series (-1 where a NaN is inside)."""
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"expected one series (a 1-D array), got shape {x.shape}")
    if x.size == 0:
        raise ValueError("the series is empty")
    return image_codes(x[None, :], n, 1, delay, 1, overlapping, tie_precision)[0][0]


def ordinal_sequence(x, n: int = 3, delay: int = 1, *, overlapping: bool = True,
                     codes: bool = False, tie_precision=None) -> np.ndarray:
    """The pattern of each window of series ``x``, in time order.

    Returns the (windows, n) argsort permutations (ordpy's ``ordinal_sequence``),
    or with ``codes=True`` the Lehmer codes (index into :func:`pattern_labels`).
    Windows with a NaN get code -1 (and a row of -1).
    """
    c = series_codes(x, n, delay, overlapping, tie_precision)
    return c if codes else _perms(c, n)


def image_ordinal_sequence(img, dx: int = 2, dy: int = 2, taux: int = 1, tauy: int = 1, *,
                           overlapping: bool = True, codes: bool = False,
                           tie_precision=None) -> np.ndarray:
    """The pattern of each dy x dx window of a 2-D array: (rows, cols, dx dy) or codes."""
    c, _ = image_codes(img, dx, dy, taux, tauy, overlapping, tie_precision)
    return c if codes else _perms(c, dx * dy)


def _perms(c, m):
    out = pattern_table(m)[np.where(c < 0, 0, c)]
    out[c < 0] = -1
    return out


def counts_of(c, m) -> np.ndarray:
    """Histogram over the m! codes (NaN windows, -1, left out)."""
    c = np.ravel(c)
    return np.bincount(c[c >= 0], minlength=factorial(m))


def missing_patterns(x, n: int = 3, delay: int = 1, *, probs: bool = False,
                     fraction: bool = True, tie_precision=None):
    """(patterns never seen, their number or fraction of n!), as ordpy's ``missing_patterns``.

    ``x`` is a series, or with ``probs=True`` the n! probabilities in
    :func:`pattern_labels` order. The patterns come back as argsort permutations
    (rows), in code order.
    """
    if probs:
        from .probabilities import as_probabilities
        p = as_probabilities(x, n, full=True)
        if p.ndim != 1:
            raise ValueError("missing_patterns takes one distribution")
        seen = p > 0
    else:
        seen = counts_of(series_codes(x, n, delay, True, tie_precision), n) > 0
    miss = np.flatnonzero(~seen)
    k = miss.size / factorial(n) if fraction else miss.size
    return pattern_table(n)[miss], k
