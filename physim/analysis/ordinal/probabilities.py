"""Pattern probabilities as input: checks, and H, Q, C computed from them directly.

A distribution is an array with the states on its last axis (or a DataArray
with a ``pattern`` dimension, e.g. ``ordinal_distribution(x)["probability"]``,
whose labels then fix the order). Fewer than n! values are allowed where the
order does not matter (H, Q, C, as ordpy's ``probs=True``): the missing states
count as zero. Fisher information and missing patterns need all n!, in
:func:`pattern_labels` order.
"""
from __future__ import annotations

from math import factorial

import numpy as np
import xarray as xr

from .measures import entropy_complexity
from .patterns import pattern_labels


def as_probabilities(p, m: int, full: bool = False) -> np.ndarray:
    """``p`` as a float array over m! states (last axis), checked: >= 0, sums to 1."""
    N = factorial(m)
    if isinstance(p, xr.DataArray) and "pattern" in p.dims:
        p = p.transpose(..., "pattern")
        labels = [str(v) for v in p["pattern"].values] if "pattern" in p.coords else None
        p = np.asarray(p.values, dtype=float)
        if labels is not None and len(labels) == N:
            index = {s: i for i, s in enumerate(labels)}
            try:
                p = p[..., [index[s] for s in pattern_labels(m)]]
            except KeyError:
                raise ValueError(f"the pattern labels are not those of m = {m} values "
                                 f"(e.g. {labels[0]!r})") from None
    else:
        p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError("the probabilities are empty: expected an array over the patterns")
    k = p.shape[-1]
    if k > N or (full and k != N):
        raise ValueError(f"{k} probabilities for {'' if full else 'at most '}{m}! = {N} "
                         "patterns" + (": give all of them, in pattern_labels order"
                                       if full else ""))
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("the probabilities must be finite and >= 0")
    s = p.sum(-1)
    if not np.allclose(s, 1.0, rtol=0, atol=1e-9):
        bad = np.ravel(s)[np.argmax(np.abs(np.ravel(s) - 1))]
        raise ValueError(f"the probabilities sum to {bad:.12g}, not 1")
    if k < N:
        p = np.concatenate([p, np.zeros(p.shape[:-1] + (N - k,))], -1)
    return p


def complexity_entropy_from_probabilities(p, n: int, kind: str = "shannon",
                                          order: float = 1.0) -> xr.Dataset:
    """H, Q and C of given pattern probabilities (one distribution or a batch)."""
    from .plane import check_n, classify_array
    n = check_n(n)
    dims = p.dims[:-1] if isinstance(p, xr.DataArray) and p.dims[-1] == "pattern" else None
    P = as_probabilities(p, n)
    H, Q, C = entropy_complexity(P, kind, float(order))
    dims = dims if dims is not None else tuple(f"dim_{i}" for i in range(P.ndim - 1))
    ds = xr.Dataset({"H": (dims, H), "Q": (dims, Q), "C": (dims, C),
                     "missing_patterns": (dims, (P == 0).sum(-1))})
    if kind == "shannon":
        ds["regime"] = (dims, classify_array(H, C, n))
    ds.attrs.update(n=n, kind=kind)
    return ds
