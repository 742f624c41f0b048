"""Entropy production of active particles from snapshots: score, probability flow, EPR.

With the fitted score s, the probability-flow velocity is v = b - D s and the
entropy production rate (k_B per unit time) is

* ``full`` (epsilon > 0: noise on x and g): Sigma = E sum_i [|v_{x_i}|^2 / eps + |v_{g_i}|^2 / gamma];
* ``noisy_dof`` (epsilon = 0, the paper's MIPS runs): only the noisy g part,
  Sigma_g = E sum_i |v_{g_i}|^2 / gamma (the x part has no noise to weigh it).

A score fitted on the same samples it is evaluated on makes every plug-in EPR
too large by its estimation error E|s_theta - s|^2_D (O(features / samples)), which
shows at equilibrium, where Sigma = 0. The estimator therefore cross-fits: scores
s_A and s_B are fitted on the two halves of the snapshots and the EPR density is
the product v_A^T D^-1 v_B, whose estimation errors are independent and average
out. The remaining fluctuation of the fit itself (not reduced by more snapshots
at a fixed split) is measured by K folds: scores fitted on each of K contiguous
blocks, the EPR as the mean over fold pairs, and its error bar combining the
batch-means error with a jackknife over the folds (each fold enters K - 1 pairs).
``epr_in_sample`` (one score on everything) is reported beside it.

Parity of g under time reversal (``parity=``): ``"even"`` (the paper's, default) as
above; ``"odd"`` (velocity-like g, Fodor et al. 2016) replaces v_x by its irreversible
part v_x - v0 g (the propulsion term of dx is reversible), Sigma = E sum_i
[|v_{x_i} - v0 g_i|^2 / eps + |v_{g_i}|^2 / gamma]; it needs eps > 0 (with eps = 0 the
x-only path measure of Fodor et al. applies, which this estimator does not compute).

Default features contain D^-1 b on every output: 1, g, the displacement from the trap
(with a trap) and the pair force F (with interactions) on x and g outputs, plus the
Hessian products on g outputs. D^-1 b in the span makes the fitted EPR the EPR of a
projection of the true v, hence a lower bound (up to sampling error).

The score-free identity (integration by parts) gives an independent estimate
from the drift alone: Sigma = E[b_r^T D^-1 b_r + div b] (full; b_r = b for even g, the
irreversible drift b_irr = (F - A dx, -gamma g) for odd g) and
Sigma_g = -E[div_x b_x] = E[Laplacian U] + 2 A N (noisy_dof, in 2-D). It holds only for
a smooth stationary density: it is flagged (``score_free_conditions`` attribute and a
warning) at v0 = 0 with eps = 0 (x collapses onto the force minima: the density is
singular, the true noisy-DOF EPR is 0), when the samples are not stationary (the first and
second halves differ by more than 4 sigma), and when E|g|^2 differs from d N by more than
4 sigma. When the reference holds, a fitted EPR above it by more than 3 sigma warns
(``consistency`` attribute): the features miss part of D^-1 b, or the samples are not
from the model's stationary state.
Error bars are batch means over blocks of consecutive snapshots.
"""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .score import LinearScore


def _blocks(per_snapshot, blocks):
    a = np.asarray(per_snapshot, dtype=float)
    nb = max(2, min(blocks, len(a)))
    if len(a) < 2:
        return float(a.mean()), float("nan")
    parts = np.array_split(a, nb)
    means = np.array([p.mean() for p in parts])
    return float(a.mean()), float(means.std(ddof=1) / np.sqrt(nb))


def _snapshots(da, skip):
    """(snapshots, particle, dim) values; replicas count as further snapshots, in blocks."""
    if "replica" in da.dims:
        v = da.transpose("replica", "time", "particle", "dim").values[:, skip:]
        return v.reshape((-1,) + v.shape[2:])
    return da.transpose("time", "particle", "dim").values[skip:]


def _pair_error(pairs, P, K):
    """Standard error of the mean over fold pairs (a U-statistic of order 2: each fold's fit
    enters K - 1 pairs, so the pairs are not independent): the jackknife over folds,
    Var = (K - 1) / K sum_k (U_-k - mean U_-k)^2 with U_-k the mean over pairs without k."""
    P = np.asarray(P, float)
    if K < 3 or len(pairs) < 3:
        return float(np.std(P, ddof=1) / np.sqrt(K)) if len(pairs) > 1 else 0.0
    loo = np.array([np.mean([p for (a, b), p in zip(pairs, P) if k not in (a, b)])
                    for k in range(K)])
    return float(np.sqrt((K - 1) / K * np.sum((loo - loo.mean()) ** 2)))


def _halves_differ(series, blocks, z=4.0):
    a = np.asarray(series, float)
    if len(a) < 8:
        return False
    h = len(a) // 2
    (m1, e1), (m2, e2) = _blocks(a[:h], max(2, blocks // 2)), _blocks(a[h:], max(2, blocks // 2))
    e = np.hypot(e1, e2)
    return bool(e > 0 and abs(m1 - m2) > z * e)


def default_features(drift) -> str:
    """The feature set that puts D^-1 b in the span of every output of this drift."""
    base = "affine" if drift.A > 0 else "propulsion"
    return base + ("+force+hessian" if drift.forces is not None else "")


def entropy_production(ds, *, features=None, skip: int = 0, blocks: int = 10, bins: int = 32,
                       folds: int = 4, score=None, comm=None, case=None,
                       parity: str = "even") -> xr.Dataset:
    """Fit a linear score to the snapshots of an AOUP output and estimate its EPR.

    ds : the Dataset of an ``active`` run (``position``, ``propulsion``); the first
        ``skip`` snapshots (transient) are dropped.
    features : LinearScore feature set; default ``default_features(drift)``: "affine"
        (trap) or "propulsion" (no trap), with "+force+hessian" when the particles interact,
        so that D^-1 b lies in the span of every output.
    parity : "even" (g even under time reversal, the paper's) or "odd" (velocity-like g;
        needs eps > 0).
    score : an already fitted score instead of fitting: a LinearScore or a trained
        ``neural.NeuralScore`` (e.g. trained at another N). Evaluate it on snapshots it
        was not trained on: the plug-in EPR is then free of the fit's own bias.
    comm : snapshots are already split over ranks: G, h and the sums are reduced over it.
    case : for samples physim did not write (``position`` and ``propulsion`` over
        ``time, particle, dim`` from any source): the active case (path, dict or
        :class:`physim.Case`) that describes their model; a physim output carries its own.

    Returns a Dataset: ``epr`` (total, with ``epr_error``), ``epr_score_free`` (with error),
    ``epr_in_sample``, ``epr_per_particle``, ``epr_dof`` (x, g), and on a bins x bins grid ``epr_density``,
    ``density`` and the probability current ``current``; attrs name the convention.
    """
    from ...solvers.active.drift import AOUPDrift
    drift = AOUPDrift.from_case(case) if case is not None else AOUPDrift.from_output(ds)
    if "propulsion" not in ds:
        raise ValueError("the output has no 'propulsion': the estimator needs an AOUP run")
    X, Gs = (_snapshots(ds[name], skip) for name in ("position", "propulsion"))
    if len(X) == 0:
        raise ValueError(f"skip = {skip} leaves no snapshot (the file holds "
                         f"{ds.sizes['time']})")
    eps, gam = drift.noise
    full = eps > 0
    if parity not in ("even", "odd"):
        raise ValueError(f"parity = {parity!r}: expected 'even' or 'odd'")
    odd = parity == "odd"
    if odd and not full:
        raise ValueError("parity = 'odd' with model.epsilon = 0: the path measure of (x, g) is "
                         "singular; the odd-g EPR is that of the x-only path (Fodor et al. "
                         "2016; harmonic trap: 0, see aoup_trap_epr(parity='odd')), which this "
                         "estimator does not compute")
    outputs = ("x0", "x1", "g0", "g1") if full else ("g0", "g1")
    if score is None:
        if features is None:
            features = default_features(drift)
        if len(X) < folds:
            raise ValueError(f"{len(X)} snapshots after skip for {folds} folds: need at least "
                             "one snapshot per fold")

        def fitted(sl):
            sc = LinearScore(features, outputs)
            for x, g in zip(X[sl], Gs[sl]):
                F = drift.force(x) if sc.needs else None
                sc.accumulate(drift.displacement(x), g, drift.extra(x, g, F, sc.needs))
            return sc
        bounds = np.linspace(0, len(X), folds + 1).astype(int)
        parts = [fitted(slice(bounds[k], bounds[k + 1])) for k in range(folds)]
        score = LinearScore(features, outputs)
        score.G = sum(p.G for p in parts)
        score.h = sum(p.h for p in parts)
        score.count = sum(p.count for p in parts)
        scores = [p.reduce(comm).fit() for p in parts]
        score.reduce(comm).fit()
    else:
        missing = [c for c in outputs if c not in score.outputs]
        if missing:
            raise ValueError(f"score: has outputs {tuple(score.outputs)}, but this run "
                             f"({'noise on x and g' if full else 'noise on g'}) needs {outputs}")
        scores = [score, score]
    pairs = [(k, m) for k in range(len(scores)) for m in range(k + 1, len(scores))]
    pair_tot = np.zeros(len(pairs))
    N, L = X.shape[1], drift.L
    per_particle = np.zeros(N)
    dof = np.zeros(2)
    totals, free, plain, g2 = [], [], [], []
    v0 = drift.v0
    edges = np.linspace(0, L, bins + 1)
    emap = np.zeros((bins, bins))
    dens = np.zeros((bins, bins))
    cur = np.zeros((2, bins, bins))
    for x, g in zip(X, Gs):
        bx, bg, divx, F = drift(x, g)
        dxs = drift.displacement(x)
        extra = drift.extra(x, g, F, score.needs)
        vs = []
        for sc in scores + [score]:
            s = sc(dxs, g, extra)
            vg = bg - gam * np.stack([s["g0"], s["g1"]], -1)
            vx = bx - eps * np.stack([s["x0"], s["x1"]], -1) if full else bx
            if odd:
                vx = vx - v0 * g  # the irreversible part
            vs.append((vx, vg))
        vx, vg = vs.pop()
        sg = np.zeros(N)
        sx = np.zeros(N)
        for q, (k, m) in enumerate(pairs):
            pg = (vs[k][1] * vs[m][1]).sum(-1) / gam
            px = (vs[k][0] * vs[m][0]).sum(-1) / eps if full else 0.0
            sg += pg / len(pairs)
            sx += px / len(pairs)
            pair_tot[q] += np.sum(pg + px)
        plain.append((vg ** 2).sum() / gam + ((vx ** 2).sum() / eps if full else 0.0))
        g2.append((g ** 2).sum() / (2 * N))
        if full:
            br = bx - v0 * g if odd else bx
            free.append(((br ** 2).sum() / eps + (bg ** 2).sum() / gam + divx.sum()
                         - 2 * gam * N))
        else:
            free.append(-divx.sum())
        sig = sx + sg
        per_particle += sig
        dof += (sx.sum(), sg.sum())
        totals.append(sig.sum())
        ix = np.clip(np.searchsorted(edges, x[:, 0], "right") - 1, 0, bins - 1)
        iy = np.clip(np.searchsorted(edges, x[:, 1], "right") - 1, 0, bins - 1)
        np.add.at(emap, (ix, iy), sig)
        np.add.at(dens, (ix, iy), 1.0)
        vfull = vx + v0 * g if odd else vx  # the current is that of the whole v_x
        np.add.at(cur[0], (ix, iy), vfull[:, 0])
        np.add.at(cur[1], (ix, iy), vfull[:, 1])
    n = len(X)
    area = (L / bins) ** 2
    epr, err = _blocks(totals, blocks)
    # the fit's own fluctuation: jackknife over the folds of the fold-pair estimates
    err_fit = _pair_error(pairs, pair_tot / n, len(scores))
    err = float(np.hypot(err, err_fit))
    epr_free, err_free = _blocks(free, blocks)
    epr_plain, err_plain = _blocks(plain, blocks)
    # conditions of the score-free reference
    failed = []
    if not full and v0 == 0:
        failed.append("v0 = 0 with epsilon = 0: the stationary density is singular (x sits on "
                      "the force minima); the true noisy-DOF EPR is 0, not -E[div_x b_x]")
    g2m, g2e = _blocks(g2, blocks)
    if g2e > 0 and abs(g2m - 1) > 4 * g2e or (g2e == 0 and abs(g2m - 1) > 0.05):
        failed.append(f"E|g|^2 / (d N) = {g2m:.4f} +- {g2e:.4f}, not 1: g is not in its "
                      "stationary law N(0, I)")
    if _halves_differ(free, blocks) or _halves_differ(g2, blocks):
        failed.append("the first and second halves of the snapshots differ by more than 4 "
                      "sigma: the samples are not stationary (raise skip)")
    conditions = "met" if not failed else "failed: " + "; ".join(failed)
    if failed:
        warnings.warn("epr_score_free is not a valid reference here: " + "; ".join(failed),
                      stacklevel=2)
    consistency = "not checked (score-free reference invalid)" if failed else "ok"
    if not failed:
        excess = epr - epr_free
        tol = 3 * float(np.hypot(err, err_free))
        if excess > tol:
            consistency = (f"fitted EPR {epr:.6g} +- {err:.2g} exceeds the score-free "
                           f"{epr_free:.6g} +- {err_free:.2g} by more than 3 sigma")
            warnings.warn(consistency + ": the features likely miss part of D^-1 b (e.g. the "
                          "pair force or trap on the x outputs) or the score does not fit "
                          "this model; use the default features", stacklevel=2)
    centres = 0.5 * (edges[1:] + edges[:-1])
    out = xr.Dataset(
        {"epr": ((), epr, {"long_name": "entropy production rate of the system",
                          "units": "k_B / time"}),
         "epr_error": ((), err, {"long_name": f"standard error: batch means ({blocks} blocks) "
                                 f"and a jackknife over {len(scores)} folds ({len(pairs)} pairs)"}),
         "epr_in_sample": ((), epr_plain, {"long_name": "plug-in EPR with one score fitted on "
                                           "all snapshots (biased up by its fit error)"}),
         "epr_in_sample_error": ((), err_plain, {}),
         "epr_score_free": ((), epr_free, {"long_name": "score-free estimate E[b D^-1 b + div b]"
                                           if full else "score-free estimate -E[div_x b_x]"}),
         "epr_score_free_error": ((), err_free, {}),
         "epr_per_particle": (("particle",), per_particle / n,
                              {"long_name": "mean EPR of each particle"}),
         "epr_dof": (("dof",), dof / n, {"long_name": "EPR of the x and g degrees of freedom"}),
         "epr_density": (("bx", "by"), emap / (n * area), {"long_name": "EPR per unit area"}),
         "density": (("bx", "by"), dens / (n * area), {"long_name": "number density"}),
         "current": (("component", "bx", "by"), cur / (n * area),
                     {"long_name": "probability current j = rho v_x (per unit area)"})},
        coords={"particle": np.arange(N), "dof": ["x", "g"], "bx": centres, "by": centres,
                "component": [0, 1]})
    out.attrs.update(convention="full" if full else "noisy_dof", parity=parity,
                     score_free_conditions=conditions, consistency=consistency,
                     snapshots=n, folds=len(scores),
                     epr_fit_error=err_fit,
                     features=score.features, theta=np.ravel(score.theta),
                     feature_names=",".join(score.names), outputs=",".join(score.outputs),
                     epr_per_particle_mean=epr / N)
    return out
