"""Entropy production of active particles from snapshots: score, probability flow, EPR.

AOUP (state x, g) and ABP (state x, heading theta: noise Dr on theta, b_theta = 0; the
formulas below with g -> theta, gamma -> Dr and b_g = 0).

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
out: scores fitted on each of K contiguous blocks, the EPR as the mean over fold
pairs, and its error bar combining the batch-means error with a jackknife over the
folds (:mod:`physim.analysis.epr.crossfit`, the engine :func:`diffusion_epr` shares).
``epr_in_sample`` (one score on everything) is reported beside it.

Parity of g under time reversal (``parity=``): ``"even"`` (the paper's, default) as
above; ``"odd"`` (velocity-like g, Fodor et al. 2016) replaces v_x by its irreversible
part v_x - v0 g (the propulsion term of dx is reversible), Sigma = E sum_i
[|v_{x_i} - v0 g_i|^2 / eps + |v_{g_i}|^2 / gamma]; it needs eps > 0 (with eps = 0 the
x-only path measure of Fodor et al. applies, which this estimator does not compute). The
ABP is estimated with theta even (a heading); odd parity is for the AOUP's g.

Default features contain D^-1 b on every output: 1, g, the displacement from the trap
(with a trap) and the pair force F (with interactions) on x and g outputs, plus the
Hessian products on g outputs (ABP: :class:`HeadingScore`, e(theta) for g and
e_perp . dx, e_perp . F on the heading output). D^-1 b in the span makes the fitted EPR the EPR of a
projection of the true v, hence a lower bound (up to sampling error).

The score-free identity (integration by parts) gives an independent estimate
from the drift alone: Sigma = E[b_r^T D^-1 b_r + div b] (full; b_r = b for even g, the
irreversible drift b_irr = (F - A dx, -gamma g) for odd g) and
Sigma_g = -E[div_x b_x] = E[Laplacian U] + 2 A N (noisy_dof, in 2-D; the ABP's too). It
holds only for
a smooth stationary density: it is flagged (``score_free_conditions`` attribute and a
warning) at v0 = 0 with eps = 0 (x collapses onto the force minima: the density is
singular, the true noisy-DOF EPR is 0), when the samples are not stationary (the first and
second halves differ by more than 4 sigma), and when E|g|^2 differs from d N (AOUP) or the
mean heading E[e(theta)] from 0 (ABP) by more than 4 sigma. When the reference holds, a fitted EPR above it by more than 3 sigma warns
(``consistency`` attribute): the features miss part of D^-1 b, or the samples are not
from the model's stationary state.
Error bars are batch means over blocks of consecutive snapshots.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from .crossfit import batch_means, check_reference, cross_fit, halves_differ
from .regions import (NEIGHBOUR_RADIUS, REGIONS, flow_divergence, local_neighbours,
                      particle_radius, region_of)
from .score import HeadingScore, LinearScore


def _snapshots(da, skip):
    """(snapshots, particle[, dim]) values; replicas count as further snapshots, in blocks."""
    rest = [d for d in da.dims if d not in ("replica", "time", "particle")]
    if "replica" in da.dims:
        v = da.transpose("replica", "time", "particle", *rest).values[:, skip:]
        return v.reshape((-1,) + v.shape[2:])
    return da.transpose("time", "particle", *rest).values[skip:]


def _snapshot_times(ds, skip):
    """(replica, time) of each snapshot, in the order of :func:`_snapshots`."""
    t = np.asarray(ds["time"].values, float)[skip:] if "time" in ds.coords else None
    if t is None:
        return None
    R = ds.sizes.get("replica", 1) if "replica" in ds["position"].dims else 1
    return np.repeat(np.arange(R), len(t)), np.tile(t, R)


def ou_mean_error(times, rate: float, components: int, weights=None):
    """Standard error of sum_a w_a q_a, q_a = |g_a|^2 / components over snapshots a of
    stationary OU processes (unit variance, relaxation ``rate``, independent components),
    from their exact autocovariance 2 e^{-2 rate |t - t'|}; w: the plain mean by default.
    Batch means cannot see correlations longer than the run (at the MIPS state point
    1/rate = 1e4 spans it)."""
    rep, t = times
    w = np.full(len(t), 1.0 / len(t)) if weights is None else np.asarray(weights, float)
    K = np.exp(-2 * rate * np.abs(t[:, None] - t[None, :])) * (rep[:, None] == rep[None, :])
    return float(np.sqrt(2 * w @ K @ w / components))


def default_features(drift) -> str:
    """The feature set that puts D^-1 b in the span of every output of this drift."""
    base = "affine" if drift.A > 0 else "propulsion"
    if drift.forces is None:
        return base
    return base + ("+force+hessian" if drift.kind == "aoup" else "+force")


class _ParticleDesign:
    """The snapshots of an active run for the cross-fit engine: one sample per snapshot,
    v over (particle, coordinate), D diagonal; per-snapshot score-free terms, stationarity
    statistics and the binned maps come along."""

    def __init__(self, drift, X, S, outputs, make_score, parity, bins, comm, radius=None,
                 times=None):
        self.drift, self.X, self.S, self.outputs = drift, X, S, outputs
        self.times = times
        self.make_score, self.odd, self.comm = make_score, parity == "odd", comm
        self.abp = drift.kind == "abp"
        eps, gam = drift.noise
        self.full = eps > 0
        self.D = np.array([eps, eps, gam] if self.abp else [eps, eps, gam, gam])
        if not self.full:
            self.D = self.D[2:]
        n, N = len(X), X.shape[1]
        self.free, self.state_stat = np.empty(n), np.empty((n, 2))
        self.edges = np.linspace(0, drift.L, bins + 1)
        self.per_particle, self.dof = np.zeros(N), np.zeros(2)
        self.emap, self.dens = np.zeros((bins, bins)), np.zeros((bins, bins))
        self.cur = np.zeros((2, bins, bins))
        self._current = {}
        # EPR per particle in each local environment, per snapshot (NaN: none there)
        self.radius = radius
        self.region_epr = np.full((n, 3), np.nan)
        self.region_count = np.zeros((n, 3))

    def _extra(self, x, s, F, needs):
        return self.drift.extra(x, self.drift.propulsion(s), F, needs)

    def sums(self, lo, hi):
        sc = self.make_score()
        for x, s in zip(self.X[lo:hi], self.S[lo:hi]):
            F = self.drift.force(x) if sc.needs else None
            sc.accumulate(self.drift.displacement(x), s, self._extra(x, s, F, sc.needs))
        return sc

    def fit(self, sums):
        return sums.reduce(self.comm).fit()

    def velocities(self, lo, hi, fits):
        d, eps, gam = self.drift, *self.drift.noise
        out = [[] for _ in fits]
        needs = tuple(dict.fromkeys(n for f in fits for n in f.needs))
        for k in range(lo, hi):
            x, s = self.X[k], self.S[k]
            bx, bs, divx, F = d(x, s)
            dxs, e = d.displacement(x), d.propulsion(s)
            extra = self._extra(x, s, F, needs)
            for vs, sc in zip(out, fits):
                sv = sc(dxs, s, extra)
                if self.abp:
                    vint = -gam * sv["th"][:, None]
                else:
                    vint = bs - gam * np.stack([sv["g0"], sv["g1"]], -1)
                vx = bx - eps * np.stack([sv["x0"], sv["x1"]], -1) if self.full else bx
                if self.odd:
                    vx = vx - d.v0 * e  # the irreversible part
                vs.append(np.concatenate([vx, vint], -1) if self.full else vint)
            # the current is that of the whole v_x, of the score fitted on everything (the
            # engine passes it last)
            self._current[k] = vx + d.v0 * e if self.odd else vx
            N = len(x)
            if self.full:
                br = bx - d.v0 * e if self.odd else bx
                self.free[k] = (br ** 2).sum() / eps + divx.sum() + (
                    0.0 if self.abp else (bs ** 2).sum() / gam - 2 * gam * N)
            else:
                self.free[k] = -divx.sum()
            self.state_stat[k] = (e.mean(axis=0) if self.abp
                                  else ((s ** 2).sum() / (2 * N), 0.0))
        return [np.stack(vs) for vs in out]

    def weigh(self, v):
        return v / self.D

    def collect(self, lo, hi, density, v):
        nx = 2 if self.full else 0
        for j, k in enumerate(range(lo, hi)):
            x = self.X[k]
            sx, ss = density[j][:, :nx].sum(-1), density[j][:, nx:].sum(-1)
            sig = sx + ss
            self.per_particle += sig
            self.dof += (sx.sum(), ss.sum())
            ix, iy = (np.clip(np.searchsorted(self.edges, x[:, c], "right") - 1, 0,
                              len(self.edges) - 2) for c in (0, 1))
            np.add.at(self.emap, (ix, iy), sig)
            np.add.at(self.dens, (ix, iy), 1.0)
            vcur = self._current.pop(k)
            np.add.at(self.cur[0], (ix, iy), vcur[:, 0])
            np.add.at(self.cur[1], (ix, iy), vcur[:, 1])
            if self.radius is not None:
                reg = region_of(local_neighbours(x, self.drift.L,
                                                 NEIGHBOUR_RADIUS * self.radius))
                cnt = np.bincount(reg, minlength=3)
                tot = np.bincount(reg, weights=sig, minlength=3)
                self.region_count[k] = cnt
                with np.errstate(invalid="ignore"):
                    self.region_epr[k] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)

    def reference_conditions(self, blocks):
        """Why the score-free identity does not hold on these samples (empty: it does)."""
        failed = []
        if not self.full and self.drift.v0 == 0:
            failed.append("v0 = 0 with epsilon = 0: the stationary density is singular (x sits "
                          "on the force minima); the true noisy-DOF EPR is 0, not "
                          "-E[div_x b_x]")
        stat = [batch_means(self.state_stat[:, c], blocks) for c in (0, 1)]
        # g's own relaxation is known (AOUP): its exact errors, however long the correlation
        exact = not self.abp and self.times is not None and self.comm is None
        g_floor = 0.0
        if exact:
            n, N = len(self.X), self.X.shape[1]
            stat[0] = (stat[0][0], max(stat[0][1], ou_mean_error(self.times, self.drift.gamma,
                                                                 2 * N)))
            h = n // 2
            g_floor = ou_mean_error(self.times, self.drift.gamma, 2 * N,
                                    np.r_[np.full(h, 1.0 / h), np.full(n - h, -1.0 / (n - h))])
        target = (0.0, 0.0) if self.abp else (1.0, 0.0)
        off = [abs(m - t) > (4 * e if e > 0 else 0.05) for (m, e), t in zip(stat, target)
               if np.isfinite(e) or e == 0]
        if any(off):
            failed.append(f"E[e(theta)] = ({stat[0][0]:.4f}, {stat[1][0]:.4f}), not 0: the "
                          "headings are not in their stationary (uniform) law" if self.abp else
                          f"E|g|^2 / (d N) = {stat[0][0]:.4f} +- {stat[0][1]:.4f}, not 1: g is "
                          "not in its stationary law N(0, I)")
        if halves_differ(self.free, blocks) or any(
                halves_differ(self.state_stat[:, c], blocks, floor=g_floor if c == 0 else 0.0)
                for c in (0, 1)):
            failed.append("the first and second halves of the snapshots differ by more than 4 "
                          "sigma: the samples are not stationary (raise skip)")
        return failed


def entropy_production(ds, *, features=None, skip: int = 0, blocks: int = 10, bins: int = 32,
                       folds: int = 4, score=None, comm=None, case=None,
                       parity: str = "even", regions: bool = True) -> xr.Dataset:
    """Fit a linear score to the snapshots of an active (AOUP or ABP) run and estimate its EPR.

    ds : the Dataset of an ``active`` run (``position`` and ``propulsion`` (AOUP) or
        ``orientation`` (ABP)); the first ``skip`` snapshots (transient) are dropped.
    features : score feature set; default ``default_features(drift)``: "affine"
        (trap) or "propulsion" (no trap), with "+force+hessian" (AOUP) or "+force" (ABP)
        when the particles interact, so that D^-1 b lies in the span of every output.
    parity : "even" (g even under time reversal, the paper's) or "odd" (velocity-like g;
        AOUP with eps > 0).
    score : an already fitted score instead of fitting: a LinearScore or a trained
        ``neural.NeuralScore`` (e.g. trained at another N). Evaluate it on snapshots it
        was not trained on: the plug-in EPR is then free of the fit's own bias.
    comm : snapshots are already split over ranks: the scores' sums are reduced over it.
    regions : with interactions, the EPR per particle in the dense phase, at the interface
        and in the gas (``epr_region``, ``region_fraction``; a particle's environment at
        each snapshot: at least 5 neighbours within 2.4 a is dense, at most 2 dilute).
    case : for samples physim did not write (``position`` and ``propulsion`` or
        ``orientation`` over ``time, particle[, dim]`` from any source): the active case
        (path, dict or :class:`physim.Case`) that describes their model; a physim output
        carries its own.

    Returns a Dataset: ``epr`` (total, with ``epr_error``), ``epr_score_free`` (with error),
    ``epr_in_sample``, ``epr_per_particle``, ``epr_dof`` (x, and g or theta), ``epr_region``
    and ``region_fraction`` (interacting runs), and on a bins x bins grid ``epr_density``,
    ``density``, the probability current ``current`` and ``flow_divergence`` (div of the mean
    velocity j / rho); attrs name the convention.
    """
    from ...solvers.active.drift import ActiveDrift
    drift = ActiveDrift.from_case(case) if case is not None else ActiveDrift.from_output(ds)
    if drift.state not in ds:
        raise ValueError(f"the dataset has no {drift.state!r}: the {drift.kind.upper()} "
                         "estimator needs positions and the propulsion state")
    X, S = (_snapshots(ds[name], skip) for name in ("position", drift.state))
    if len(X) == 0:
        raise ValueError(f"skip = {skip} leaves no snapshot (the file holds "
                         f"{ds.sizes['time']})")
    eps, gam = drift.noise
    full = eps > 0
    if parity not in ("even", "odd"):
        raise ValueError(f"parity = {parity!r}: expected 'even' or 'odd'")
    odd = parity == "odd"
    if odd and drift.kind == "abp":
        raise ValueError("parity = 'odd' is defined for the AOUP's propulsion g; the ABP's "
                         "heading is estimated as even (parity = 'even')")
    if odd and not full:
        raise ValueError("parity = 'odd' with model.epsilon = 0: the path measure of (x, g) is "
                         "singular; the odd-g EPR is that of the x-only path (Fodor et al. "
                         "2016; harmonic trap: 0, see aoup_trap_epr(parity='odd')), which this "
                         "estimator does not compute")
    internal = ("th",) if drift.kind == "abp" else ("g0", "g1")
    outputs = (("x0", "x1") if full else ()) + internal
    Score = HeadingScore if drift.kind == "abp" else LinearScore
    if score is None:
        if features is None:
            features = default_features(drift)
        make = (lambda: Score(features, outputs))
        make()  # a bad feature name is refused before any work
        if len(X) < folds:
            raise ValueError(f"{len(X)} snapshots after skip = {skip} for {folds} folds: need "
                             "at least one snapshot per fold")
    else:
        missing = [c for c in outputs if c not in score.outputs]
        if missing:
            raise ValueError(f"score: has outputs {tuple(score.outputs)}, but this run "
                             f"({'noise on x and ' if full else 'noise on '}"
                             f"{'theta' if drift.kind == 'abp' else 'g'}) needs {outputs}")
        make = None
    design = _ParticleDesign(drift, X, S, outputs, make, parity, bins, comm,
                             particle_radius(drift.params) if regions else None,
                             times=_snapshot_times(ds, skip))
    res = cross_fit(design, len(X), folds=folds, blocks=blocks, fitted=score)
    score = res.fit
    n, N, L = len(X), X.shape[1], drift.L
    epr_free, err_free = batch_means(design.free, blocks)
    conditions, consistency = check_reference(
        res, epr_free, err_free, design.reference_conditions(blocks),
        "the features likely miss part of D^-1 b (e.g. the pair force or trap on the x "
        "outputs) or the score does not fit this model; use the default features")
    area = (L / bins) ** 2
    centres = 0.5 * (design.edges[1:] + design.edges[:-1])
    name = "theta" if drift.kind == "abp" else "g"
    out = xr.Dataset(
        {"epr": ((), res.epr, {"long_name": "entropy production rate of the system",
                              "units": "k_B / time"}),
         "epr_error": ((), res.error, {"long_name": f"standard error: batch means ({blocks} "
                                       f"blocks) and a jackknife over {len(res.fits)} folds "
                                       f"({len(res.pairs)} pairs)"}),
         "epr_in_sample": ((), res.in_sample, {"long_name": "plug-in EPR with one score "
                                               "fitted on all snapshots (biased up by its "
                                               "fit error)"}),
         "epr_in_sample_error": ((), res.in_sample_error, {}),
         "epr_score_free": ((), epr_free, {"long_name": "score-free estimate E[b D^-1 b + div b]"
                                           if full else "score-free estimate -E[div_x b_x]"}),
         "epr_score_free_error": ((), err_free, {}),
         "epr_per_particle": (("particle",), design.per_particle / n,
                              {"long_name": "mean EPR of each particle"}),
         "epr_dof": (("dof",), design.dof / n,
                     {"long_name": f"EPR of the x and {name} degrees of freedom"}),
         "epr_density": (("bx", "by"), design.emap / (n * area),
                         {"long_name": "EPR per unit area"}),
         "density": (("bx", "by"), design.dens / (n * area), {"long_name": "number density"}),
         "current": (("component", "bx", "by"), design.cur / (n * area),
                     {"long_name": "probability current j = rho v_x (per unit area)"})},
        coords={"particle": np.arange(N), "dof": ["x", name], "bx": centres, "by": centres,
                "component": [0, 1]})
    out["flow_divergence"] = (("bx", "by"), flow_divergence(
        design.cur / (n * area), design.dens / (n * area), L / bins),
        {"long_name": "div of the mean probability-flow velocity j / rho (NaN: empty bins)",
         "units": "1 / time"})
    if design.radius is not None:
        per = [batch_means(design.region_epr[:, r][np.isfinite(design.region_epr[:, r])],
                           blocks) if np.isfinite(design.region_epr[:, r]).sum() else
               (np.nan, np.nan) for r in range(3)]
        out = out.assign_coords(region=list(REGIONS))
        out["epr_region"] = ("region", [p[0] for p in per],
                             {"long_name": "mean EPR per particle in each local environment "
                              "(>= 5 neighbours within 2.4 a: dense; <= 2: dilute)",
                              "units": "k_B / time"})
        out["epr_region_error"] = ("region", [p[1] for p in per], {})
        out["region_fraction"] = ("region", design.region_count.sum(0) / (n * N),
                                  {"long_name": "fraction of particle samples in each "
                                   "environment"})
    out.attrs.update(convention="full" if full else "noisy_dof", parity=parity,
                     model=drift.kind,
                     score_free_conditions=conditions, consistency=consistency,
                     snapshots=n, folds=len(res.fits),
                     epr_fit_error=res.fit_error,
                     features=score.features, theta=np.ravel(score.theta),
                     feature_names=",".join(score.names), outputs=",".join(score.outputs),
                     epr_per_particle_mean=res.epr / N)
    return out
