"""Glue between the homogeneous mixture solver and the frame's output.

Distributions ``f_<species>`` are written at the snapshots (every ``output.every``); the
densities, bulk velocities, temperatures and H-functionals of the species (and the
mixture's H) are written at every step, on the ``t_step`` axis.

``initial.kind = "array"`` or ``"file"`` starts from given distributions, the inputs
``f_<species>`` (:mod:`physim.inputs`) on the velocity grids as the output writes them
(dims ``<species>_vx, _vy[, _vz]``; in a 1-D run ``x``, the cell centres, first). They
are checked before any work (:func:`check_initial`).
"""
from __future__ import annotations

import numpy as np

from .. import contract
from ...inputs import SOURCE_KINDS, Inputs, fail
from ...io import STEP_DIM, Record, Var
from .exact import bkw
from .ap import DisparateMixture
from .mixture import Mixture
from .schema import INPUTS, heavy_half_width, masses, names, species_values
from .velocity import VelocityGrid

AXES = ("vx", "vy", "vz")


class LayoutError(ValueError):
    """The case cannot be spread over the ranks it was launched on."""


class Simulation:
    """The frame's entry point: a homogeneous run, or a 1-D run in x split over ranks."""
    solver = "boltzmann"
    distributed = True

    def __new__(cls, params: dict, comm=None, inputs=None):
        if params["space"]["cells"]:
            from .spatial import SpatialSimulation
            return SpatialSimulation(params, comm, inputs)
        if comm is not None and comm.size > 1:
            raise LayoutError(f"a spatially homogeneous run is not split over ranks (launched "
                              f"on {comm.size}); run it on one rank, or set space.cells")
        return HomogeneousSimulation(params, inputs)


def velocity_grids(p: dict) -> tuple:
    """The velocity grid of each species, as ``collision_model`` builds them (without
    building the operators)."""
    v, m = p["velocity"], masses(p)
    grid = VelocityGrid(v["d"], v["N"], v["L"])
    if p["scheme"]["kind"] == "ap":
        eps = float(np.sqrt(m[0] / m[1]))
        return grid, VelocityGrid(v["d"], v["N"], heavy_half_width(p, eps))
    return (grid,) * len(m)


# how far a given f may be from a density on the grid: an array or a callable of the user's
# to round-off; a file or a DataArray (a solver's snapshot) as far as the solver's own go:
# the spectral collisions leave negative f, -2.5e-4 of max f in the shipped cases and
# -3.5e-3 on a coarse grid (N = 16, L = 8, a heavy gas at T = 2, m = 4); f at the box's
# edge reaches 1.8e-4 of max f in the shipped cases
NEGATIVE_ROUND_OFF = 1e-12
NEGATIVE_TOLERANCE = 1e-2
EDGE_TOLERANCE = 1e-3


def given_initial(p: dict, inputs, species: list, grids, x=None) -> list | None:
    """The initial f of each species from the inputs ``f_<species>`` (initial.kind array
    or file), checked: on the velocity grid, or (cells, velocity grid) at the cell centres
    ``x`` of the whole domain. None for the built-in kinds."""
    if p["initial"]["kind"] not in SOURCE_KINDS:
        return None
    if inputs is None:  # built outside the frame: a file is read here, an array is missing
        inputs = Inputs(p, INPUTS)
    out = []
    for s, (name, grid) in enumerate(zip(species, grids)):
        coords = {} if x is None else {"x": x}
        coords.update({f"{name}_{a}": grid.axis for a in AXES[:grid.d]})
        # interpolate = true is linear along every dim, x included: the spectral resampling
        # of periodic dims needs grids with the same first point, which cell centres of
        # another cell count are not
        f = inputs.array(f"f_{name}", coords, float, periodic=())
        python = inputs.resolved[f"f_{name}"].attrs.get("source") in ("array", "callable")
        check_initial(f"initial.f_{name}", f, grid, x, "velocity.L_heavy"
                      if s == 1 and p["scheme"]["kind"] == "ap" else "velocity.L",
                      NEGATIVE_ROUND_OFF if python else NEGATIVE_TOLERANCE)
        out.append(f)
    return out


def check_initial(key: str, f, grid, x=None, width: str = "velocity.L",
                  negative: float = NEGATIVE_ROUND_OFF) -> None:
    """Refuse, in one line, a given f the solver cannot start from: zero mass (in any
    cell), values below -``negative`` times max f, or f not decayed at the edge of the
    velocity box (mass outside it; ``width`` is the key that widens the box). Shape and
    finiteness are checked by :mod:`physim.inputs`."""
    rows = f.reshape((-1,) + grid.shape)  # one row per cell (one row homogeneous)
    flat = rows.reshape(len(rows), -1)

    def where(i):
        return "" if x is None else f" in the cell at x = {x[i]:.6g}"
    mass = flat.sum(1) * grid.dv
    i = int(np.argmin(mass))
    if not mass[i] > 0:
        fail(key, f"zero mass (int f dv = {mass[i]:.3g}){where(i)}; the gas needs a positive "
             "density everywhere")
    peak = flat.max(1)  # > 0 where the mass is
    low = flat.min(1) / peak
    i = int(np.argmin(low))
    if low[i] < -negative:
        fail(key, f"negative values down to {low[i]:.3g} of max f{where(i)}; f is a density "
             f"(accepted: {-negative:g}{' (round-off)' if negative < 1e-6 else ''}); clip "
             "it, e.g. numpy.maximum(f, 0)")
    edge = np.max([np.take(rows, [0, -1], axis=1 + a).reshape(len(rows), -1).max(1)
                   for a in range(grid.d)], axis=0) / peak
    i = int(np.argmax(edge))
    if edge[i] > EDGE_TOLERANCE:
        fail(key, f"not decayed at the edge of the velocity box: f on the faces of "
             f"[-{grid.L:g}, {grid.L:g})^{grid.d} reaches {edge[i]:.2g} of its maximum{where(i)} "
             f"(accepted: {EDGE_TOLERANCE:g}), so mass lies outside the grid; use a larger "
             f"{width}")


def collision_model(p: dict):
    """(the homogeneous stepper: ``Mixture`` or ``DisparateMixture``, the species' grids)."""
    v, c = p["velocity"], p["collision"]
    m = masses(p)
    rates = np.diag(species_values(p, "self_rates", "collision"))
    if len(m) == 2:
        rates[0, 1] = rates[1, 0] = c["cross_rate"]
    quad = {"R": v["R"] or None, "M": v["M"] or None, "n_rho": v["n_rho"] or None,
            "M_carleman": v["M"] or None}
    if p["scheme"]["kind"] == "ap":
        eps = float(np.sqrt(m[0] / m[1]))
        model = DisparateMixture(
            v["d"], v["N"], v["L"], eps, c["gamma"], (rates[0, 0], rates[1, 1], rates[0, 1]),
            m_L=m[0], L_heavy=heavy_half_width(p, eps), method=c["method"], **quad)
        return model, model.grids
    grid = VelocityGrid(v["d"], v["N"], v["L"])
    stepping = "penalised" if p["scheme"]["kind"] == "penalised" else "rk4"
    return Mixture(grid, m, c["gamma"], rates, c["method"], stepping, **quad), (grid,) * len(m)


def homogeneous_initial(p: dict, grids, t0: float = 0.0) -> list:
    """The distributions of the homogeneous initial kinds (one array per species)."""
    init, m = p["initial"], masses(p)
    if init["kind"] == "bkw":
        return [bkw(grids[0], t0)[0]]
    n, T = species_values(p, "density"), species_values(p, "temperature")
    a = species_values(p, "drift")
    off = species_values(p, "offset") if init["kind"] == "bimodal" else [0.0] * len(n)
    out = []
    for ns, Ts, As, Os, ms, g in zip(n, T, a, off, m, grids):
        u, c = np.zeros(g.d), np.zeros(g.d)
        u[0], c[0] = As, Os
        if init["kind"] == "bimodal":
            out.append(0.5 * (g.maxwellian(ns, c + u, Ts, ms) + g.maxwellian(ns, c - u, Ts, ms)))
        else:
            out.append(g.maxwellian(ns, u, Ts, ms))
    return out


class Stepping(contract.Simulation):
    """What the homogeneous and the spatial runs share: fixed or growing steps, the
    per-step records gathered between snapshots, blow-up detection, checkpoints.

    A subclass sets ``params``, ``names``, ``grids`` and calls ``_schedule``; it provides
    ``initial()``, ``advance(fs, dt)``, ``_record(fs, t)`` and may override ``_finite``.
    """

    def _schedule(self):
        p = self.params
        # kind bkw: the time of the exact solution; array and file: the given state's
        self.t0 = p["initial"].get("t0", 0.0)
        self.step_times, self.snap_steps = step_schedule(p, self.t0)
        self.times = self.step_times[self.snap_steps]
        self.dt = p["time"]["dt"]
        self.steps = 0

    def _vdims(self, name):
        return tuple(f"{name}_{a}" for a in AXES[: self.grids[0].d])

    def _velocity_coords(self) -> dict:
        out = {"species": (("species",), np.array(self.names, dtype=object),
                           {"long_name": "species"}),
               "component": (("component",), np.arange(self.grids[0].d),
                             {"units": "1", "long_name": "velocity component"})}
        for name, grid in zip(self.names, self.grids):
            for dim in self._vdims(name):
                out[dim] = ((dim,), grid.axis, {"units": "1", "long_name":
                                                f"velocity grid of {name}"})
        return out

    def _finite(self, fs) -> bool:
        return all(np.isfinite(f).all() for f in fs)

    def record_sizes(self) -> dict:
        return {STEP_DIM: len(self.step_times)}

    def run(self, resume: dict | None = None):
        """Yield the moments of every step (``Record``s along t_step) and the snapshots."""
        from ...integrate import IntegrationError
        from .resolution import ResolutionGuard
        guard = ResolutionGuard(self.params, self.names, self.grids,
                                not self.params["space"]["cells"], getattr(self, "comm", None))
        if resume is None:
            self.fs = fs = self.initial()
            guard.initial(fs)  # before any step: the support and the box of f
            yield [Record(STEP_DIM, self.step_times[0], self._record(fs, self.step_times[0])),
                   Record("time", self.times[0], self._snapshot(fs))]
        else:
            self.fs = fs = [np.array(resume[f"f_{n}"], float) for n in self.names]
            self.steps = int(resume["step"])
            guard.initial(fs)
        snaps = set(self.snap_steps.tolist())
        for j in range(self.steps + 1, len(self.step_times)):
            t = self.step_times[j]
            self.dt = t - self.step_times[j - 1]
            self.fs = fs = self.advance(fs, self.dt)
            self.steps = j
            if not self._finite(fs):
                hint = ("; scheme.kind = 'penalised' is stable for any step"
                        if self.params["scheme"]["kind"] == "full" else "")
                raise IntegrationError(f"non-finite distribution at t = {t:g} (step "
                                       f"{self.dt:g} too large for the collisions{hint}?)")
            step = Record(STEP_DIM, t, self._record(fs, t))
            # a step that ends on a snapshot yields both at once: one safe point after both
            yield [step, Record("time", t, self._snapshot(fs))] if j in snaps else step
            guard.step(fs, t)  # after its record: the output shows the step that stopped it

    def _snapshot(self, fs) -> dict:
        return {f"f_{n}": f for n, f in zip(self.names, fs)}

    def checkpoint(self) -> dict:
        """The distributions after the last step, and its index."""
        out = {f"f_{n}": f for n, f in zip(self.names, self.fs)}
        out["step"] = self.steps
        return out

    def stats(self) -> dict:
        return {"steps": self.steps}

    def progress_info(self) -> dict:
        return {"t": self.step_times[self.steps], "h": self.dt, "steps": self.steps}


class HomogeneousSimulation(Stepping):
    solver = "boltzmann"
    distributed = False

    def __init__(self, params: dict, inputs=None):
        self.params = p = params
        self.masses, self.names = masses(p), names(p)
        # a given f is read and checked before the operators are built
        self.given = given_initial(p, inputs, self.names, velocity_grids(p))
        self.mixture, self.grids = collision_model(p)
        self.grid = self.grids[0]
        self.advance = self.mixture.step
        self._schedule()

    # ---- layout ----------------------------------------------------------------------------
    def coords(self) -> dict:
        return self._velocity_coords()

    def variables(self) -> dict[str, Var]:
        out = {f"f_{n}": Var(("time",) + self._vdims(n), np.float64,
                             {"units": "1", "long_name": f"distribution function of {n} (phase-space density, model units)"})
               for n in self.names}
        per = {"units": "1"}
        out.update({
            "density": Var((STEP_DIM, "species"), np.float64, {**per, "long_name": "n_s"}),
            "velocity": Var((STEP_DIM, "species", "component"), np.float64,
                            {**per, "long_name": "bulk velocity u_s"}),
            "temperature": Var((STEP_DIM, "species"), np.float64,
                               {**per, "long_name": "T_s = m_s int |v - u_s|^2 f_s / (d n_s)"}),
            "H": Var((STEP_DIM, "species"), np.float64,
                     {**per, "long_name": "H-functional int f_s ln f_s (entropy = -H)"}),
            "H_mixture": Var((STEP_DIM,), np.float64,
                             {**per, "long_name": "H of the mixture, sum over species"}),
            "min_f": Var((STEP_DIM,), np.float64, {**per, "long_name": "smallest f value"}),
            "anisotropy": Var((STEP_DIM, "species"), np.float64,
                              {**per, "long_name": "(T_x - T_perp) / T"}),
            "deviation": Var((STEP_DIM, "species"), np.float64,
                             {**per, "long_name": "max |f - M[f]| / max M[f]"}),
        })
        if self.params["initial"]["kind"] == "bkw":
            out["error_bkw"] = Var((STEP_DIM,), np.float64,
                                   {**per, "long_name": "max |f - f_BKW(t)|"})
        return out

    def restart_variables(self) -> dict[str, Var]:
        return {f"f_{n}": Var(self._vdims(n), np.float64, {}) for n in self.names}

    def attrs(self) -> dict:
        return {"mpi_ranks": 1, "masses": np.array(self.masses),
                "species_names": ",".join(self.names), "dim": self.grid.d,
                "convention": ("df_i/dt = sum_j Q_ij(f_i, f_j); B_ij = rate_ij / |S| "
                               "|v - v_*|^gamma; k_B = 1; H = int f ln f"),
                "time_attrs": {"units": "1", "long_name": "time"}}

    # ---- the run -----------------------------------------------------------------------------
    def initial(self) -> list:
        if self.given is not None:
            return [f.copy() for f in self.given]
        return homogeneous_initial(self.params, self.grids, self.t0)

    def _bkw_time(self, t):
        """The time of the rate-1 BKW solution that a run at collision.self_rates = r has
        reached at t: Q is linear in the rate, so the solution is the rate-1 one at
        t0 + r (t - t0) (the run starts on it at t0)."""
        rate = species_values(self.params, "self_rates", "collision")[0]
        return self.t0 + rate * (t - self.t0)

    def _record(self, fs, t) -> dict:
        mom = [g.moments(f, m) for f, m, g in zip(fs, self.masses, self.grids)]
        H = np.array([g.entropy(f) for f, g in zip(fs, self.grids)])
        row = {"density": np.array([m[0] for m in mom]),
               "velocity": np.array([m[1] for m in mom]),
               "temperature": np.array([m[2] for m in mom]),
               "H": H, "H_mixture": H.sum(), "min_f": min(float(f.min()) for f in fs),
               "anisotropy": np.array([anisotropy(g, f, mo[1]) for g, f, mo in
                                       zip(self.grids, fs, mom)]),
               "deviation": np.array([_deviation(g, f, mo, m) for g, f, mo, m in
                                      zip(self.grids, fs, mom, self.masses)])}
        if self.params["initial"]["kind"] == "bkw":
            row["error_bkw"] = float(np.abs(fs[0] - bkw(self.grid, self._bkw_time(t))[0]).max())
        return row


def step_schedule(p: dict, t0: float):
    """(end times of every step, with t0 first; the step indices of the snapshots).

    Steps are time.dt, or with time.growth > 1 grow geometrically (capped at time.dt_max)
    so that each stage of a multi-scale relaxation gets about 1/(growth - 1) steps per
    e-fold of time; the capped steps are shortened alike to land on the end.
    """
    t, out = p["time"], p["output"]
    end = t["end"]  # the time the run ends at (every solver's time.end)
    if t["growth"] == 1.0:
        n = int(round((end - t0) / t["dt"]))
        times = t0 + t["dt"] * np.arange(n + 1)
    else:
        steps, dt = [], t["dt"]
        while t0 + sum(steps) < end * (1 - 1e-12):
            steps.append(dt)
            dt = dt * t["growth"] if t["dt_max"] == 0 else min(dt * t["growth"], t["dt_max"])
        # land on the end by shortening the capped steps alike (or, uncapped, the growing
        # ones in proportion): a single short last step would jump the splitting's
        # dt-dependent fixed point, and H with it
        steps = np.array(steps)
        over = t0 + steps.sum() - end
        capped = np.isclose(steps, t["dt_max"]) if t["dt_max"] else np.ones(len(steps), bool)
        if capped.sum() and steps[capped].sum() > 2 * over:
            steps[capped] -= over * steps[capped] / steps[capped].sum()
        else:
            steps[-1] -= over
        times = t0 + np.concatenate([[0.0], np.cumsum(steps)])
        times[-1] = end
    n = len(times) - 1
    every = out["steps"] or int(round(out["every"] / t["dt"]))
    snaps = list(range(0, n + 1, every))
    if snaps[-1] != n:
        snaps.append(n)
    return times, np.array(snaps)


def anisotropy(grid, f, u) -> float:
    """(T_x - T_perp) / T: 0 for an isotropic distribution (independent of the mass)."""
    v = grid.mesh()
    second = np.array([((va - ua) ** 2 * f).sum() for va, ua in zip(v, u)])
    return float((second[0] - second[1:].mean()) / second.mean())


def _deviation(grid, f, moments, m) -> float:
    """max |f - M[f]| / max M[f]: the distance from the species' own Maxwellian."""
    M = grid.maxwellian(*moments, m)
    return float(np.abs(f - M).max() / M.max())
