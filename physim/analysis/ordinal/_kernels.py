"""Ordinal-pattern histograms in one pass, without sorting or window copies.

A window (x_t, x_{t+l}, ..., x_{t+(n-1)l}) is labelled by the Lehmer code of
its rank vector, sum_i L_i (n-1-i)!, with L_i = #{j > i : x_j < x_i}. The
strict ``<`` ranks equal values by time order, which is exactly what a stable
argsort does (ordpy, peccary, antropy >= 0.2.2), and sliding the window
updates the code with n-1 comparisons instead of a sort. Memory is the n!
histogram; no window is copied.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _count_series(x, n, delay, place, counts, weights, weighted):
    """Histogram of series ``x`` into ``counts`` (and variance ``weights``).

    Windows are visited per residue class t = r, r + l, r + 2l, ...: the next
    window drops the first value and appends one, so each L_i shifts down and
    gains only the comparison with the new value (n-1 comparisons per window,
    not n(n-1)/2). Ties (E_i = #{j > i : x_j == x_i}) and NaNs are carried the
    same way. Returns (windows used, windows skipped for NaN, windows with a tie).
    """
    T = x.shape[0]
    nw = T - (n - 1) * delay
    if nw <= 0:
        return 0, 0, 0
    v = np.empty(n)
    L = np.zeros(n, np.int64)
    E = np.zeros(n, np.int64)
    skipped = 0
    tied = 0
    for r in range(min(delay, nw)):
        # the first window of this class, from scratch
        nan = 0
        ties = 0
        for i in range(n):
            v[i] = x[r + i * delay]
            if v[i] != v[i]:
                nan += 1
        for i in range(n):
            li = 0
            ei = 0
            for j in range(i + 1, n):
                li += v[j] < v[i]
                ei += v[j] == v[i]
            L[i] = li
            E[i] = ei
            ties += ei
        t = r
        while True:
            if nan:
                skipped += 1
            else:
                code = 0
                for i in range(n - 1):
                    code += L[i] * place[i]
                counts[code] += 1
                if ties:
                    tied += 1
                if weighted:
                    # Fadlallah et al. (2013): weight = the window's population variance
                    m = 0.0
                    for i in range(n):
                        m += v[i]
                    m /= n
                    var = 0.0
                    for i in range(n):
                        var += (v[i] - m) * (v[i] - m)
                    weights[code] += var / n
            t += delay
            if t >= nw:
                break
            new = x[t + (n - 1) * delay]
            if v[0] != v[0]:
                nan -= 1
            ties -= E[0]
            for i in range(n - 1):
                v[i] = v[i + 1]
                lt = new < v[i]
                eq = new == v[i]
                L[i] = L[i + 1] + lt
                E[i] = E[i + 1] + eq
                ties += eq
            v[n - 1] = new
            L[n - 1] = 0
            E[n - 1] = 0
            if new != new:
                nan += 1
    return nw - skipped, skipped, tied


@nb.njit(cache=True, parallel=True)
def count_batch(X, n, delay, place, counts, weights, stats, weighted):
    """Fill counts[s], weights[s] and stats[s] = (used, NaN-skipped, tied) for each row of X.

    Series are spread over threads; one series is never split (measured: splitting
    a single 10^6-point series over two threads was slower than one thread).
    """
    for s in nb.prange(X.shape[0]):
        used, skipped, tied = _count_series(X[s], n, delay, place, counts[s], weights[s],
                                            weighted)
        stats[s, 0] = used
        stats[s, 1] = skipped
        stats[s, 2] = tied


def place_values(n: int) -> np.ndarray:
    """(n-1)!, (n-2)!, ..., 0!: the Lehmer-code place values."""
    from math import factorial
    return np.array([factorial(n - 1 - i) for i in range(n)], dtype=np.int64)


def decode(code: int, n: int) -> tuple[int, ...]:
    """The argsort permutation (ordpy's pattern label) of Lehmer code ``code``."""
    place = place_values(n)
    L = []
    for i in range(n):
        L.append(code // place[i])
        code %= place[i]
    # L_i counts later positions with a smaller rank: rebuild ranks from the right
    free = list(range(n))
    ranks = [0] * n
    for i in range(n):
        ranks[i] = free.pop(L[i])
    return tuple(int(i) for i in np.argsort(ranks, kind="stable"))


@nb.njit(cache=True, nogil=True)
def codes_2d(img, dx, dy, taux, tauy, sx, sy, place, out):
    """Lehmer code of every dy x dx window of ``img`` into ``out`` (-1: a NaN inside).

    Window (r, c) holds img[r sy + a tauy, c sx + b taux] for a < dy, b < dx,
    read row by row (ordpy's flattening); sx = sy = 1 for overlapping windows.
    Returns the number of NaN windows.
    """
    m = dx * dy
    v = np.empty(m)
    bad = 0
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            nan = False
            k = 0
            for a in range(dy):
                for b in range(dx):
                    val = img[r * sy + a * tauy, c * sx + b * taux]
                    if val != val:
                        nan = True
                    v[k] = val
                    k += 1
            if nan:
                out[r, c] = -1
                bad += 1
                continue
            code = 0
            for i in range(m - 1):
                li = 0
                for j in range(i + 1, m):
                    li += v[j] < v[i]
                code += li * place[i]
            out[r, c] = code
    return bad
