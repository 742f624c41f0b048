"""Ordinal networks: transitions between successive patterns (Small 2013; Pessa & Ribeiro 2019).

Nodes are patterns, a directed link a -> b counts how often window t has
pattern a and window t+1 pattern b (for an image: the next window to the right,
and/or below). Weights are link frequencies (normalised to sum 1 by default).
Links are listed in ordpy's order (source, then target, by argsort permutation)
and labelled like :func:`pattern_labels` ("021"). Windows with a NaN make no link.

* :func:`global_node_entropy`: H_GN = sum_i p_in(i) H_i, with H_i the entropy of
  node i's outgoing weights renormalised to 1 and p_in(i) the weight entering i
  (McCullough et al., Chaos 26, 123103, 2016).
* :func:`random_ordinal_network`: the network of white noise, exactly. For
  overlapping windows of a series the n+1 values of two successive windows are
  in random order, so the new value takes each of n+1 ranks with probability
  1/(n+1); the two ranks next to the dropped value give the same pattern, so one
  link of each node weighs 2/((n+1) n!) and the other n-1 weigh 1/((n+1) n!).
* :func:`missing_links`: allowed links of that random network never seen in the data.
"""
from __future__ import annotations

from math import factorial
from typing import NamedTuple

import numpy as np

from .patterns import (check_window, image_codes, lexicographic_order, pattern_labels,
                       series_codes)


class OrdinalNetwork(NamedTuple):
    """Unpacks like ordpy's result: ``nodes, links, weights = ordinal_network(x)``."""
    nodes: np.ndarray    # pattern labels
    links: np.ndarray    # (L, 2) labels: source, target
    weights: np.ndarray  # (L,) frequencies (or counts with normalized=False)


def _rank(m):
    r = np.empty(factorial(m), np.int64)
    r[lexicographic_order(m)] = np.arange(r.size)
    return r


def _network(src, dst, m, normalized, directed) -> OrdinalNetwork:
    N = factorial(m)
    keep = (src >= 0) & (dst >= 0)
    src, dst = src[keep], dst[keep]
    rank = _rank(m)
    uk, cnt = np.unique(rank[src] * N + rank[dst], return_counts=True)
    w = cnt / max(src.size, 1) if normalized else cnt.astype(float)
    if not directed:
        # a -- b: where both a -> b and b -> a occur, their weights go to the one listed
        # first; a link seen in one direction only keeps it (as ordpy does)
        rev = (uk % N) * N + uk // N
        has = np.isin(rev, uk) & (rev < uk)
        w = w.copy()
        np.add.at(w, np.searchsorted(uk, rev[has]), w[has])
        uk, w = uk[~has], w[~has]
    order = lexicographic_order(m)
    labels = pattern_labels(m)
    s, t = order[uk // N], order[uk % N]
    links = np.stack([labels[s], labels[t]], -1).reshape(-1, 2)
    nodes = labels[order[np.unique(np.concatenate([rank[s], rank[t]]))]]
    return OrdinalNetwork(nodes, links, w)


def ordinal_network(x, n: int = 3, delay: int = 1, *, normalized: bool = True,
                    overlapping: bool = True, directed: bool = True,
                    tie_precision=None) -> OrdinalNetwork:
    """The ordinal network of a series: links between successive windows t -> t+1."""
    c = series_codes(x, n, delay, overlapping, tie_precision)
    return _network(c[:-1], c[1:], n, normalized, directed)


def image_ordinal_network(img, dx: int = 2, dy: int = 2, taux: int = 1, tauy: int = 1, *,
                          normalized: bool = True, overlapping: bool = True,
                          directed: bool = True, connections: str = "all",
                          tie_precision=None) -> OrdinalNetwork:
    """The ordinal network of a 2-D array: links to the next window right and/or below."""
    if connections not in ("all", "horizontal", "vertical"):
        raise ValueError(f"connections = {connections!r}: expected 'all', 'horizontal' or "
                         "'vertical'")
    c, _ = image_codes(img, dx, dy, taux, tauy, overlapping, tie_precision)
    src, dst = [], []
    if connections != "vertical":
        src.append(c[:, :-1].ravel())
        dst.append(c[:, 1:].ravel())
    if connections != "horizontal":
        src.append(c[:-1, :].T.ravel())
        dst.append(c[1:, :].T.ravel())
    return _network(np.concatenate(src), np.concatenate(dst), dx * dy, normalized, directed)


def _as_network(data, n, delay, overlapping, tie_precision):
    if isinstance(data, OrdinalNetwork) or (isinstance(data, tuple) and len(data) == 3):
        return OrdinalNetwork(*(np.asarray(a) for a in data))
    return ordinal_network(data, n, delay, overlapping=overlapping, tie_precision=tie_precision)


def global_node_entropy(data, n: int = 3, delay: int = 1, *, overlapping: bool = True,
                        tie_precision=None) -> float:
    """H_GN of a series, or of a network (``ordinal_network``'s result, directed, normalised)."""
    net = _as_network(data, n, delay, overlapping, tie_precision)
    if net.links.size == 0:
        return 0.0
    names, idx = np.unique(net.links, return_inverse=True)
    idx = idx.reshape(-1, 2)
    w = np.asarray(net.weights, dtype=float)
    out = np.bincount(idx[:, 0], w, names.size)
    q = w / out[idx[:, 0]]
    h = np.bincount(idx[:, 0], -q * np.log(q), names.size)
    p_in = np.bincount(idx[:, 1], w, names.size)
    return float(np.sum(p_in * h))


def random_ordinal_network(n: int = 3, *, overlapping: bool = True) -> OrdinalNetwork:
    """The exact ordinal network of white noise (series; see the module notes)."""
    m = check_window(n)
    N = factorial(m)
    rank = _rank(m)
    if not overlapping:
        s, t = np.divmod(np.arange(N * N), N)
        order = lexicographic_order(m)
        labels = pattern_labels(m)
        links = np.stack([labels[order[s]], labels[order[t]]], -1)
        return OrdinalNetwork(labels[order], links, np.full(N * N, 1.0 / (N * N)))
    from itertools import permutations
    place = np.array([factorial(m - 1 - i) for i in range(m)])
    src, dst = [], []
    for code, r in enumerate(permutations(range(m))):  # r: ranks of the window's values
        r = np.array(r)
        for k in range(m + 1):  # the new value's rank among all n+1
            rest = r[1:] + (r[1:] >= k)
            new = np.append(rest, k)
            ranks = np.argsort(np.argsort(new))
            lehmer = [(ranks[i + 1:] < ranks[i]).sum() for i in range(m)]
            src.append(code)
            dst.append(int(np.dot(lehmer, place)))
    src, dst = np.array(src), np.array(dst)
    net = _network(src, dst, m, False, True)
    return OrdinalNetwork(net.nodes, net.links, net.weights / ((m + 1) * N))


def missing_links(data, n: int = 3, *, fraction: bool = True, tie_precision=None):
    """(links of the white-noise network never seen in the data, their number or fraction).

    ``data`` is a series (delay 1, overlapping windows) or its ``ordinal_network``.
    """
    net = _as_network(data, n, 1, True, tie_precision)
    allowed = random_ordinal_network(n).links
    seen = {tuple(map(str, link)) for link in net.links}
    miss = np.array([link for link in allowed if tuple(map(str, link)) not in seen],
                    dtype=allowed.dtype).reshape(-1, 2)
    k = len(miss) / len(allowed) if fraction else len(miss)
    return miss, k
