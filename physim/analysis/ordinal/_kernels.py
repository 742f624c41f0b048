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

from ._unrolled import (codes3, codes3_1, codes4, codes4_1, codes5, codes5_1, codes6,
                        codes6_1, codes7, codes7_1)


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


@nb.njit(cache=True, nogil=True)
def count_one(X, n, delay, place, counts, weights, stats, weighted):
    """count_batch for a single series, without the thread pool's start-up cost."""
    used, skipped, tied = _count_series(X[0], n, delay, place, counts[0], weights[0], weighted)
    stats[0, 0] = used
    stats[0, 1] = skipped
    stats[0, 2] = tied


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


# -- n = 3..7: every window from scratch, unrolled, in blocks the compiler vectorises ---------
# The sliding update above is bound by its loop-carried dependencies and the histogram's
# store-to-load chain; in _unrolled each window's code is an independent expression of the
# n(n-1)/2 comparisons, NaN windows go to an extra bin n!, and four interleaved histograms
# break the chain (README "Speed" for the measured gain).
_BLOCK = 4096


@nb.njit(cache=True, nogil=True)
def _small_series(x, n, delay, hist):
    """Histogram into hist[4, n! + 1] (bin n!: a NaN inside); returns windows with a tie."""
    nw = x.shape[0] - (n - 1) * delay
    code = np.empty(_BLOCK, np.int64)
    tied = 0
    for s in range(0, max(nw, 0), _BLOCK):
        m = min(_BLOCK, nw - s)
        if delay == 1:
            if n == 3:
                tied += codes3_1(x, s, m, delay, code)
            elif n == 4:
                tied += codes4_1(x, s, m, delay, code)
            elif n == 5:
                tied += codes5_1(x, s, m, delay, code)
            elif n == 6:
                tied += codes6_1(x, s, m, delay, code)
            else:
                tied += codes7_1(x, s, m, delay, code)
        elif n == 3:
            tied += codes3(x, s, m, delay, code)
        elif n == 4:
            tied += codes4(x, s, m, delay, code)
        elif n == 5:
            tied += codes5(x, s, m, delay, code)
        elif n == 6:
            tied += codes6(x, s, m, delay, code)
        else:
            tied += codes7(x, s, m, delay, code)
        k = 0
        while k + 4 <= m:
            hist[0, code[k]] += 1
            hist[1, code[k + 1]] += 1
            hist[2, code[k + 2]] += 1
            hist[3, code[k + 3]] += 1
            k += 4
        while k < m:
            hist[0, code[k]] += 1
            k += 1
    return tied


@nb.njit(cache=True, nogil=True)
def _small_row(X, s, n, delay, counts, stats):
    N = counts.shape[1]
    hist = np.zeros((4, N + 1), np.int64)
    tied = _small_series(X[s], n, delay, hist)
    for j in range(N):
        counts[s, j] = hist[0, j] + hist[1, j] + hist[2, j] + hist[3, j]
    nan = hist[0, N] + hist[1, N] + hist[2, N] + hist[3, N]
    stats[s, 0] = max(X.shape[1] - (n - 1) * delay, 0) - nan
    stats[s, 1] = nan
    stats[s, 2] = tied


@nb.njit(cache=True, parallel=True)
def count_batch_small(X, n, delay, counts, stats):
    """count_batch for n = 3..7 without weights: the same counts and stats."""
    for s in nb.prange(X.shape[0]):
        _small_row(X, s, n, delay, counts, stats)


@nb.njit(cache=True, nogil=True)
def count_one_small(X, n, delay, counts, stats):
    """count_batch_small for one series, without starting the thread pool (measured: the
    parallel launch costs more than the count itself at n = 3 on 10^6 points)."""
    _small_row(X, 0, n, delay, counts, stats)
