"""Guards against an under-resolved velocity grid, before and during a run.

A spectral collision operator on too small or too coarse a grid does not fail: it returns
wrong numbers quietly (3-D BKW at N = 16 lets H rise by up to 1.5e-4 per step and f go
negative; a 2-D box with L = 8 leaves a 1e-7..5e-5 error plateau, because relative speeds
beyond the truncation radius R are dropped). Four symptoms are checked, each with its fix:

* support: f at distance R / 2 from its mean velocity (R = velocity.R, by default
  4L / (3 + sqrt 2)) above ``numerics.support_tolerance`` of max f (1e-4): the pairs whose
  relative speed exceeds R are dropped, a relative error of Q about its square, where the
  error plateaus (larger L);
* edge: f on the faces of the box above ``EDGE_TOLERANCE`` of max f: mass outside the
  periodic box (larger L);
* negative: min f below -``NEGATIVE_TOLERANCE`` of max f, beyond what the shipped,
  resolved cases reach (-2.5e-4) (larger N);
* H rising (homogeneous runs, where the H-theorem holds): H_mixture up by more than
  ``H_RISE_TOLERANCE`` times the total density in one step (larger N).

The support and edge checks run on the initial state (before any step), all four after
every step. Unless ``numerics.allow_underresolved = true`` the first problem stops the run
(an ``IntegrationError``: the runner closes the output, readable, with the steps so far);
with it each kind of problem is logged once and the run goes on.
"""
from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger("physim")

EDGE_TOLERANCE = 1e-3
NEGATIVE_TOLERANCE = 1e-3
H_RISE_TOLERANCE = 5e-5
ALLOW = "numerics.allow_underresolved = true"


def truncation_radius(p: dict, grid) -> float:
    """The relative-speed truncation of the operators on ``grid`` (as ``spectral`` sets it)."""
    R = p["velocity"]["R"]
    return R if R else 4 * grid.L / (3 + np.sqrt(2))


def _rows(f, grid):
    return f.reshape((-1,) + grid.shape)


def support_problem(name, f, grid, R, width_key, tolerance) -> str | None:
    """f (one species; rows of cells) beyond R / 2 from its mean velocity, relative to max f."""
    v = grid.mesh()
    worst = 0.0
    for row in _rows(f, grid):
        n = row.sum()
        if not n > 0:
            continue
        u = [(va * row).sum() / n for va in v]
        far = sum((va - ua) ** 2 for va, ua in zip(v, u)) >= (R / 2) ** 2
        if far.any():
            worst = max(worst, float(np.abs(row[far]).max() / np.abs(row).max()))
    if worst > tolerance:
        return (f"f_{name} reaches {worst:.2g} of its maximum at R/2 = {R / 2:.3g} from its mean "
                f"velocity (accepted: numerics.support_tolerance = {tolerance:g}): collisions "
                f"with relative speed beyond the truncation radius R = {R:.3g} are dropped; use "
                f"a larger {width_key}")
    return None


def edge_problem(name, f, grid, width_key) -> str | None:
    rows = _rows(f, grid)
    edge = max(float(np.abs(np.take(rows, [0, -1], axis=1 + a)).max())
               for a in range(grid.d)) / float(np.abs(rows).max())
    if edge > EDGE_TOLERANCE:
        return (f"f_{name} on the faces of the velocity box [-{grid.L:g}, {grid.L:g})^{grid.d} "
                f"reaches {edge:.2g} of its maximum (accepted: {EDGE_TOLERANCE:g}): mass lies "
                f"outside the box; use a larger {width_key}")
    return None


def negative_problem(name, f, grid) -> str | None:
    low = float(f.min() / np.abs(f).max())
    if low < -NEGATIVE_TOLERANCE:
        return (f"f_{name} down to {low:.2g} of its maximum (accepted: {-NEGATIVE_TOLERANCE:g}): "
                f"the N = {grid.N} grid does not resolve it; use a larger velocity.N (or a "
                f"shorter time.dt, if the step is unstable)")
    return None


class ResolutionGuard:
    """Checks a run's distributions; stops it (or, if allowed, warns once per kind)."""

    def __init__(self, p: dict, names, grids, homogeneous: bool, comm=None):
        self.allow = p["numerics"]["allow_underresolved"]
        self.comm = comm  # the ranks of a run in x agree on a stop (no rank left waiting)
        self.found = None
        self.support = p["numerics"]["support_tolerance"]
        self.names, self.grids, self.homogeneous = names, grids, homogeneous
        ap = p["scheme"]["kind"] == "ap"
        self.width = ["velocity.L_heavy" if ap and s == 1 else "velocity.L"
                      for s in range(len(names))]
        self.R = [truncation_radius(p, g) for g in grids]
        self.H = None
        self.warned = set()

    def initial(self, fs):
        """Before any step: the support and the box of the initial state."""
        for s, (name, f, g) in enumerate(zip(self.names, fs, self.grids)):
            self._report("support", support_problem(name, f, g, self.R[s], self.width[s],
                                                    self.support), None)
            self._report("edge", edge_problem(name, f, g, self.width[s]), None)
        self.H = self._entropy(fs) if self.homogeneous else None
        self._agree()

    def step(self, fs, t):
        for s, (name, f, g) in enumerate(zip(self.names, fs, self.grids)):
            # f that was inside the box at the start and spreads out during the run is
            # mostly a coarse grid's noise in the tails: name N too
            width = f"{self.width[s]} or velocity.N"
            self._report("negative", negative_problem(name, f, g), t)
            self._report("edge", edge_problem(name, f, g, width), t)
            self._report("support", support_problem(name, f, g, self.R[s], width,
                                                    self.support), t)
        if self.homogeneous:
            H = self._entropy(fs)
            n = sum(g.density(f) for f, g in zip(fs, self.grids))
            rise = (H - self.H) / n
            if rise > H_RISE_TOLERANCE:
                self._report("H", f"H_mixture rose by {rise:.2g} per particle in one step "
                             f"(accepted: {H_RISE_TOLERANCE:g}; the H-theorem forbids a rise): "
                             "the velocity grid is under-resolved; use a larger velocity.N", t)
            self.H = H
        self._agree()

    def _entropy(self, fs):
        return sum(g.entropy(f) for f, g in zip(fs, self.grids))

    def _report(self, kind, problem, t):
        if problem is None:
            return
        when = "initial state" if t is None else f"t = {t:.6g}"
        text = f"under-resolved velocity grid ({when}): {problem}"
        if not self.allow:
            self.found = self.found or f"{text} (or set {ALLOW} to run on)"
            return
        if kind not in self.warned:
            self.warned.add(kind)
            log.warning("%s; running on (%s)", text, ALLOW)

    def _agree(self):
        """Stop (every rank alike) if a problem was found and running on was not asked for."""
        stop = self.found is not None
        if self.comm is not None and self.comm.size > 1:
            stop = bool(self.comm.allreduce_max(np.array([float(stop)]))[0])
        if stop:
            from ...integrate import IntegrationError
            raise IntegrationError(self.found or "under-resolved velocity grid on another rank "
                                   f"(its log names the fix; or set {ALLOW} to run on)")
