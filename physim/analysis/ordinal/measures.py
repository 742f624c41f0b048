"""Entropies and statistical complexities of ordinal-pattern distributions.

Every function takes probabilities ``p`` with the n! states on the last axis
(zeros for missing patterns) and works on any leading batch shape. Natural
logarithms throughout; every quantity here is normalised, so the base drops out.

* Shannon: H = S[P] / ln N, and the Jensen-Shannon disequilibrium
  Q_J = Q0 (S[(P+U)/2] - S[P]/2 - S[U]/2), with U the uniform distribution and
  Q0 = -2 / (((N+1)/N) ln(N+1) - 2 ln(2N) + ln N) the inverse of its maximum
  (reached by a delta distribution); C = Q_J H (Rosso et al., PRL 99, 154102, 2007).
* Renyi (order alpha): H_a = ln(sum p^a) / ((1-a) ln N) and the Jensen-Renyi
  divergence with its maximum (Jauregui et al., Physica A 498, 74, 2018).
* Tsallis (index q): H_q = sum p ln_q(1/p) / ln_q N and the Jensen-Tsallis
  divergence with its maximum (Ribeiro et al., PRE 95, 062106, 2017).

These are the definitions of ordpy, which the tests compare against to 1e-12.
"""
from __future__ import annotations

import numpy as np
from scipy.special import xlogy


def _states(p, mult=None) -> int:
    if mult is None:
        return np.shape(p)[-1]
    return int(round(float(np.asarray(mult, dtype=float).sum(-1).flat[0])))


def _sum(x, mult):
    """Sum over states; ``mult`` gives multiplicities when p lists distinct values only."""
    return x.sum(-1) if mult is None else (x * mult).sum(-1)


def shannon_entropy(p, mult=None) -> np.ndarray:
    """Normalised Shannon entropy H in [0, 1]."""
    p = np.asarray(p, dtype=float)
    return -_sum(xlogy(p, p), mult) / np.log(_states(p, mult))


def js_max(N: int) -> float:
    """The largest Jensen-Shannon divergence from the uniform distribution on N states."""
    N = float(N)
    return -0.5 * (((N + 1) / N) * np.log(N + 1) + np.log(N) - 2 * np.log(2 * N))


def shannon_disequilibrium(p, mult=None) -> np.ndarray:
    """Q_J in [0, 1]: Jensen-Shannon divergence between p and uniform, over its maximum."""
    p = np.asarray(p, dtype=float)
    N = _states(p, mult)
    m = (p + 1.0 / N) / 2
    js = -_sum(xlogy(m, m), mult) + _sum(xlogy(p, p), mult) / 2 - np.log(N) / 2
    return np.maximum(js, 0.0) / js_max(N)


def renyi_entropy(p, alpha: float, mult=None) -> np.ndarray:
    """Normalised Renyi entropy of order alpha > 0 (Shannon at alpha = 1)."""
    _check_order(alpha, "alpha")
    if alpha == 1:
        return shannon_entropy(p, mult)
    p = np.asarray(p, dtype=float)
    return np.log(_sum(p ** alpha, mult)) / ((1 - alpha) * np.log(_states(p, mult)))


def renyi_disequilibrium(p, alpha: float, mult=None) -> np.ndarray:
    """Jensen-Renyi divergence from uniform over its maximum (Jauregui et al. 2018, Eqs. 4-5)."""
    _check_order(alpha, "alpha")
    if alpha == 1:
        return shannon_disequilibrium(p, mult)
    p = np.asarray(p, dtype=float)
    N = _states(p, mult)
    u = 1.0 / N
    m1 = ((p + u) / 2) ** (1 - alpha)
    first = np.log(_sum(m1 * p ** alpha, mult))
    second = np.log(_sum(u ** alpha * m1, mult))
    div = (first + second) / (2 * (alpha - 1))
    dmax = (np.log(((N + 1.0) ** (1 - alpha) + N - 1) / (2.0 ** (1 - alpha) * N))
            + (1 - alpha) * np.log((N + 1.0) / (2 * N))) / (2 * (alpha - 1))
    return np.maximum(div, 0.0) / dmax


def log_q(x, q: float):
    """The q-logarithm (x^(1-q) - 1) / (1 - q); ln x at q = 1."""
    x = np.asarray(x, dtype=float)
    if q == 1:
        return np.log(x)
    return (x ** (1 - q) - 1) / (1 - q)


def tsallis_entropy(p, q: float, mult=None) -> np.ndarray:
    """Normalised Tsallis entropy sum p ln_q(1/p) / ln_q(N), index q > 0."""
    _check_order(q, "q")
    if q == 1:
        return shannon_entropy(p, mult)
    p = np.asarray(p, dtype=float)
    N = _states(p, mult)
    # p ln_q(1/p) = (p^q - p) / (1 - q), which is 0 at p = 0 for q > 0
    return _sum((p ** q - p) / (1 - q), mult) / log_q(N, q)


def tsallis_disequilibrium(p, q: float, mult=None) -> np.ndarray:
    """Jensen-Tsallis divergence from uniform over its maximum (Ribeiro et al. 2017, Eqs. 10-11)."""
    _check_order(q, "q")
    if q == 1:
        return shannon_disequilibrium(p, mult)
    p = np.asarray(p, dtype=float)
    N = _states(p, mult)
    u = 1.0 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(p > 0, p * log_q((u + p) / (2 * np.where(p > 0, p, 1.0)), q), 0.0)
    first = -0.5 * _sum(term, mult)
    second = -(0.5 / N) * _sum(log_q(N * (u + p) / 2, q), mult)
    div = first + second
    dmax = ((2.0 ** (2 - q)) * N - (1.0 + N) ** (1 - q) - N * (1 + 1.0 / N) ** (1 - q) - N + 1) \
        / ((1 - q) * (2.0 ** (2 - q)) * N)
    return np.maximum(div, 0.0) / dmax


def _check_order(v, name):
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} = {v!r}: the order must be a finite number > 0")


ENTROPIES = {"shannon": (shannon_entropy, shannon_disequilibrium),
             "renyi": (renyi_entropy, renyi_disequilibrium),
             "tsallis": (tsallis_entropy, tsallis_disequilibrium)}


def entropy_complexity(p, kind: str = "shannon", order: float = 1.0, mult=None):
    """(H, Q, C = Q H) of probabilities p for ``kind`` in shannon, renyi, tsallis."""
    if kind not in ENTROPIES:
        raise ValueError(f"kind = {kind!r}: expected one of {', '.join(ENTROPIES)}")
    h, d = ENTROPIES[kind]
    if kind == "shannon":
        H, Q = h(p, mult), d(p, mult)
    else:
        H, Q = h(p, order, mult), d(p, order, mult)
    H = np.clip(H, 0.0, 1.0) + 0.0  # round-off of order 1e-16, and no -0.0
    return H, Q, Q * H
