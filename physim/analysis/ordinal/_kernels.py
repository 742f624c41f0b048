"""Ordinal-pattern histograms in one pass, without sorting or window copies.

A window (x_t, x_{t+l}, ..., x_{t+(n-1)l}) is labelled by the Lehmer code of
its rank vector, sum_i L_i (n-1-i)!, with L_i = #{j > i : x_j < x_i}. The
strict ``<`` ranks equal values by time order, which is exactly what a stable
argsort does (ordpy, peccary, antropy >= 0.2.2), and costs n(n-1)/2
comparisons per window instead of a sort. Memory is the n! histogram.
"""
from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _count_series(x, n, delay, place, counts, weights, weighted):
    """Histogram of series ``x`` into ``counts`` (and variance ``weights``).

    Returns (windows used, windows skipped for NaN, windows with a tie).
    """
    T = x.shape[0]
    nw = T - (n - 1) * delay
    buf = np.empty(n)
    skipped = 0
    tied = 0
    for t in range(max(nw, 0)):
        bad = False
        for i in range(n):
            v = x[t + i * delay]
            if v != v:
                bad = True
                break
            buf[i] = v
        if bad:
            skipped += 1
            continue
        code = 0
        tie = False
        for i in range(n - 1):
            a = buf[i]
            L = 0
            for j in range(i + 1, n):
                b = buf[j]
                if b < a:
                    L += 1
                elif b == a:
                    tie = True
            code += L * place[i]
        counts[code] += 1
        if tie:
            tied += 1
        if weighted:
            # Fadlallah et al. (2013): weight = the window's population variance
            m = 0.0
            for i in range(n):
                m += buf[i]
            m /= n
            var = 0.0
            for i in range(n):
                var += (buf[i] - m) * (buf[i] - m)
            weights[code] += var / n
    return max(nw, 0) - skipped, skipped, tied


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
