"""The cross-fitted plug-in EPR of a fitted score: the engine every estimator uses.

With a fitted score s the probability-flow velocity is v = b - D s and the EPR is
E[v^T D^-1 v]. A score fitted on the samples it is evaluated on makes that too large by
its own estimation error (O(features / samples)), which shows at equilibrium, where the
EPR is 0. So scores are fitted on K contiguous folds of the samples and the EPR density
is the mean over fold pairs k < m of v_k^T D^-1 v_m, whose estimation errors are
independent and average out. Its error bar combines the batch-means error over blocks of
consecutive samples with a jackknife over the folds (each fold's fit enters K - 1 pairs,
so the pairs are not independent).

A *design* holds the samples, the drift and the score model; the engine only asks it for

* ``sums(lo, hi)``: the score-matching sums of samples lo..hi, objects that add with ``+``;
* ``fit(sums)``: a fitted score from summed sums;
* ``velocities(lo, hi, fits)``: v = b - D s of samples lo..hi for each fitted score, arrays
  whose first axis is the sample (the rest: the coordinates the noise acts on);
* ``weigh(v)``: D^-1 v, of the same shape (D diagonal) or not (v @ D^-1 for a matrix D);
* ``collect(lo, hi, density, v)`` (optional): the cross-fitted EPR density per coordinate
  (the pair mean of v_k * D^-1 v_m) and the in-sample v (one score on all samples), for
  maps and splits.

Samples of a chunk never straddle two folds.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


def batch_means(values, blocks: int):
    """(mean, standard error) with the error from the means of ``blocks`` contiguous blocks."""
    a = np.asarray(values, dtype=float)
    if len(a) < 2:
        return float(a.mean()), float("nan")
    nb = max(2, min(blocks, len(a)))
    means = np.array([p.mean() for p in np.array_split(a, nb)])
    return float(a.mean()), float(means.std(ddof=1) / np.sqrt(nb))


def pair_jackknife(pairs, values, K: int) -> float:
    """Standard error of the mean over fold pairs (a U-statistic of order 2): the jackknife
    over folds, Var = (K - 1) / K sum_k (U_-k - mean U_-k)^2, U_-k the mean of the pairs
    without fold k."""
    P = np.asarray(values, float)
    if len(pairs) < 2:
        return 0.0
    if K < 3 or len(pairs) < 3:
        return float(np.std(P, ddof=1) / np.sqrt(K))
    loo = np.array([np.mean([p for (a, b), p in zip(pairs, P) if k not in (a, b)])
                    for k in range(K)])
    return float(np.sqrt((K - 1) / K * np.sum((loo - loo.mean()) ** 2)))


@dataclass
class CrossFit:
    epr: float            # cross-fitted EPR
    error: float          # batch means and fold jackknife combined
    fit_error: float      # the fold jackknife alone
    in_sample: float      # plug-in EPR of one score fitted on everything
    in_sample_error: float
    per_sample: np.ndarray  # the cross-fitted EPR of each sample
    fits: list            # one score per fold
    fit: object           # the score fitted on all samples
    pairs: list


def _sum(parts):
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def cross_fit(design, n: int, *, folds: int = 4, blocks: int = 10, chunk: int = 1,
              fitted=None) -> CrossFit:
    """Fit ``folds`` scores (or take the already ``fitted`` one), then evaluate the EPR.

    fitted : a score fitted elsewhere (e.g. a network trained on other snapshots): no fold
        fits; the EPR is its plug-in value on these samples, with no fit error.
    """
    if fitted is None:
        if n < folds:
            raise ValueError(f"{n} samples for {folds} folds: need at least one per fold")
        bounds = np.linspace(0, n, folds + 1).astype(int)
        parts = [_sum([design.sums(lo, min(lo + chunk, bounds[k + 1]))
                       for lo in range(bounds[k], bounds[k + 1], chunk)])
                 for k in range(folds)]
        total = _sum(parts)  # before the fits: a fit may reduce its sums over ranks in place
        fits = [design.fit(p) for p in parts]
        fit_all = design.fit(total)
        pairs = [(k, m) for k in range(folds) for m in range(k + 1, folds)]
    else:
        fits, fit_all, pairs = [fitted], fitted, [(0, 0)]
    per_sample = np.empty(n)
    plain = np.empty(n)
    pair_tot = np.zeros(len(pairs))
    collect = getattr(design, "collect", None)
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        vs = design.velocities(lo, hi, fits + [fit_all])
        v = vs.pop()
        plain[lo:hi] = (v * design.weigh(v)).reshape(hi - lo, -1).sum(axis=1)
        density = 0.0
        weighed = [design.weigh(u) for u in vs]
        for q, (k, m) in enumerate(pairs):
            per = vs[k] * weighed[m]
            pair_tot[q] += per.sum()
            density = density + per / len(pairs)
        per_sample[lo:hi] = np.reshape(density, (hi - lo, -1)).sum(axis=1)
        if collect is not None:
            collect(lo, hi, density, v)
    epr, err = batch_means(per_sample, blocks)
    fit_err = pair_jackknife(pairs, pair_tot / n, len(fits)) if fitted is None else 0.0
    in_sample, in_err = batch_means(plain, blocks)
    return CrossFit(epr, float(np.hypot(err, fit_err)), fit_err, in_sample, in_err,
                    per_sample, fits, fit_all, pairs)


def check_reference(result: CrossFit, free: float, free_error: float, failed: list[str],
                    hint: str, stacklevel: int = 3):
    """(conditions, consistency) of the score-free reference: warn when its conditions fail
    (it is then no reference), and when the fitted EPR exceeds it by more than 3 sigma (the
    fit is a lower bound of the exact EPR: something is off, ``hint`` says what)."""
    conditions = "met" if not failed else "failed: " + "; ".join(failed)
    if failed:
        warnings.warn("epr_score_free is not a valid reference here: " + "; ".join(failed),
                      stacklevel=stacklevel)
        return conditions, "not checked (score-free reference invalid)"
    if not np.isfinite(free):
        return conditions, "not checked (no score-free reference)"
    tol = 3 * float(np.hypot(result.error, free_error))
    if result.epr - free > tol:
        consistency = (f"fitted EPR {result.epr:.6g} +- {result.error:.2g} exceeds the "
                       f"score-free {free:.6g} +- {free_error:.2g} by more than 3 sigma")
        warnings.warn(consistency + ": " + hint, stacklevel=stacklevel)
        return conditions, consistency
    return conditions, "ok"


def halves_differ(series, blocks: int, z: float = 4.0, floor: float = 0.0) -> bool:
    """The first and second halves of a series differ by more than z standard errors (the
    batch-means error of the difference, or ``floor`` where that is known to be larger)."""
    a = np.asarray(series, float)
    if len(a) < 8:
        return False
    h = len(a) // 2
    (m1, e1), (m2, e2) = (batch_means(p, max(2, blocks // 2)) for p in (a[:h], a[h:]))
    e = max(np.hypot(e1, e2), floor)
    return bool(e > 0 and abs(m1 - m2) > z * e)
