"""Glue between the NLSE model, the DOP853 stepper and the frame's output.

How a run uses the MPI ranks (``comm``):

* ``ensemble.members = M > 1``: the members are spread over the ranks in blocks
  (:func:`physim.parallel.local_members`); each member runs whole on its rank,
  with noise from ``default_rng([seed, member])``, so member i is the same run
  for any rank count. Output is split along ``ensemble``.
* one member, 2-D or 3-D: the field is split in slabs over all ranks
  (:class:`physim.parallel.DistFFT`); every reduction is ordered, so the run
  takes bitwise the same steps on any number of ranks. Output is split along
  ``x``.
* one member, 1-D: the field stays on one rank (a 1-D FFT of 2^24 points takes
  well under a second); several ranks are refused with a pointer to ensembles.
"""
from __future__ import annotations

import copy
import json
import logging

import numpy as np

from ...integrate import DOP853, HAIRER_CONTROLLER, SCIPY_CONTROLLER, Checkpoint, Controller
from ...inputs import SOURCE_KINDS
from .. import contract
from ...io import Record, Var
from ...parallel import SerialComm, local_members, member_rng
from ...parallel.decomposition import process_grid
from . import exact, vortices
from .model import NLSE
from .schema import dims, per_axis

log = logging.getLogger(__name__)


# A resolved field has (far) less than this share of its power in the top sixth of the
# kept band. Chosen on soliton, Akhmediev and modulation instability at N = 256 / 128
# (resolved: <= 8e-14; MI at N = 128: 2e-5, momentum off by 5e-3) and checked on held-out
# runs (benchmarks/nlse_dealias.py): an N = 3 soliton warns at N = 512 (error 6e-4, share
# 3e-6), not at N = 1024 (error 4e-9, share 2e-12).
EDGE_SHARE_WARN = 1e-8


class LayoutError(ValueError):
    """The case cannot be spread over the ranks it was launched on."""


def grid_coords(p: dict) -> dict:
    """{x, y, z: the whole grid's points} of a case: where its inputs are given."""
    dim = dims(p)
    Ls, Ns = per_axis(p["grid"]["L"], dim), per_axis(p["grid"]["N"], dim)
    return {name: -L / 2 + (L / n) * np.arange(int(n)) for name, L, n in zip("xyz", Ls, Ns)}


def potential_function(p: dict, beta: float, dim: int, inputs=None):
    """V for the case's ``[potential]`` section: None, ``V(*local_grids)``, or the array
    on the whole grid that ``inputs`` resolves."""
    pot = p["potential"]
    if pot["kind"] == "none":
        return None
    if pot["kind"] in SOURCE_KINDS:
        return inputs.array("V", grid_coords(p), float, periodic=tuple("xyz"[:dim]))
    omega, centre = per_axis(pot["omega"], dim), per_axis(pot["center"], dim)

    def V(*grids):
        # omega^2 x^2 / (4 beta): the trap whose linear ground state has frequency omega
        return sum(w * w * (x - c) ** 2 for w, c, x in zip(omega, centre, grids)) / (4 * beta)
    return V


def _noise(model: NLSE, seed: int, member: int) -> np.ndarray:
    """Unit complex Gaussian noise on this rank's points, a function of (seed, member) only.

    1-D: one stream per member. N-D: one stream per index along axis 0, so a
    rank draws only its own slab, and the field does not depend on the slabs.
    """
    shape = model.local_physical_shape
    if model.dim == 1:
        rng = member_rng(seed, member)
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    rows, cols = model.fft.physical_slices[:2]
    row = model.Ns[1:]  # a whole row is drawn, and a pencil keeps its block of it
    out = np.empty(shape, dtype=np.complex128)
    for i, r in enumerate(range(*rows.indices(model.Ns[0]))):
        rng = np.random.default_rng([int(seed), int(member), int(r)])
        out[i] = ((rng.standard_normal(row) + 1j * rng.standard_normal(row)) / np.sqrt(2))[cols]
    return out


def split_grid(num: dict, Ns, size: int) -> tuple[int, int]:
    """The process grid (P_x, P_y) of a 2-D/3-D field on ``size`` ranks, from
    ``numerics.decomposition`` and ``numerics.process_grid``; LayoutError when the ranks
    do not fit (every rank must own part of each layout)."""
    kind, given = num["decomposition"], num["process_grid"]
    slab_max = min(Ns[0], Ns[1])
    pencil = len(Ns) == 3 and (kind == "pencil" or (kind == "auto" and size > slab_max)
                               or (given is not None and given[1] > 1))
    if not pencil:
        if size > slab_max:
            more = (" (a 3-D field goes further with numerics.decomposition = 'pencil' or "
                    "'auto')" if len(Ns) == 3 else "")
            raise LayoutError(f"{size} ranks for a grid of {tuple(Ns)}: slabs take at most "
                              f"min(N_x, N_y) = {slab_max} ranks{more}")
        if given is not None and tuple(given) != (size, 1):
            raise LayoutError(f"numerics.process_grid: {given} does not multiply to the "
                              f"{size} ranks (slabs: [{size}, 1])")
        return size, 1
    limits = (slab_max, min(Ns[1], Ns[2]))
    if given is not None:
        P0, P1 = given
        if P0 * P1 != size:
            raise LayoutError(f"numerics.process_grid: {given} does not multiply to the "
                              f"{size} ranks")
        if P0 > limits[0] or P1 > limits[1]:
            raise LayoutError(f"numerics.process_grid: {given} for a grid of {tuple(Ns)}: "
                              f"P_x <= min(N_x, N_y) = {limits[0]} and P_y <= min(N_y, N_z) = "
                              f"{limits[1]}")
        return int(P0), int(P1)
    grid = process_grid(size, limits)
    if grid is None:
        raise LayoutError(f"{size} ranks for a grid of {tuple(Ns)}: no pencil grid P_x x P_y "
                          f"= {size} with P_x <= {limits[0]} and P_y <= {limits[1]}; use "
                          "fewer ranks or a larger grid")
    return grid


def initial_field(model: NLSE, p: dict, member: int = 0, given=None) -> np.ndarray:
    """ψ(x, time.start) on this rank's points, for the case's ``[initial]`` section
    (``given``: ψ on the whole grid, for the kinds array and file)."""
    ini, t0 = p["initial"], p["time"]["start"]
    beta, gamma, dim = model.beta, model.gamma, model.dim
    grids = model.local_grids
    x = grids[0]
    kind = ini["kind"]
    if kind == "soliton":
        return exact.soliton_physical(x, t0, ini["amplitude"], ini["velocity"], ini["position"],
                                      ini["phase"], beta, gamma)
    if kind == "solitons":
        phases = ini["phases"] or [0.0] * len(ini["amplitudes"])
        return sum(exact.soliton_physical(x, t0, a, v, x0, ph, beta, gamma) for a, v, x0, ph in
                   zip(ini["amplitudes"], ini["velocities"], ini["positions"], phases))
    if kind == "akhmediev":
        period = exact.akhmediev_params(ini["a"])[2] * exact.scale(beta, gamma)
        ratio = model.L / period
        if abs(ratio - round(ratio)) > 1e-9:
            log.warning("grid.L = %g is not a multiple of the breather period %.12g: the periodic "
                        "box does not hold the exact breather", model.L, period)
        return exact.to_physical(exact.akhmediev, x, t0, beta, gamma, a=ini["a"])
    if kind == "peregrine":
        return exact.to_physical(exact.peregrine, x, t0, beta, gamma)
    if kind == "line_soliton":
        return exact.line_soliton(*grids, t0, model.Ls[0], ini["amplitude"],
                                  ini["velocity_modes"], beta, gamma)
    shape = model.local_physical_shape
    if kind in SOURCE_KINDS:
        psi = given[model.fft.physical_index].copy()
    elif kind == "plane_wave":
        k0 = 2 * np.pi / model.Ls[0] * np.rint(ini["wavenumber"] * model.Ls[0] / (2 * np.pi))
        psi = np.broadcast_to(ini["amplitude"] * np.exp(1j * k0 * x) + 0j, shape).copy()
    elif kind == "gaussian":
        w, c, k = (per_axis(ini[key], dim) for key in ("width", "position", "wavenumber"))
        arg = sum(-((g - ci) / wi) ** 2 / 2 + 1j * ki * g for g, wi, ci, ki in zip(grids, w, c, k))
        psi = np.broadcast_to(ini["amplitude"] * np.exp(arg), shape).copy()
    elif kind == "vortex":
        X, Y = grids
        n, w = ini["charge"], ini["width"]
        z = (X + 1j * np.sign(n) * Y) / w
        psi = ini["amplitude"] * z ** abs(n) * np.exp(-(X ** 2 + Y ** 2) / (2 * w * w))
    elif kind == "vortices":
        psi = np.broadcast_to(vortices.field(*grids[:2], ini, *model.Ls[:2]), shape).copy()
    else:  # pragma: no cover - the schema rejects other kinds
        raise ValueError(kind)
    if ini["noise"] > 0:
        peak = model.comm.allreduce_max(float(np.abs(psi).max()) if psi.size else 0.0)
        psi = psi + ini["noise"] * peak * _noise(model, ini["seed"], member)
    return psi


class Simulation(contract.Simulation):
    """One NLSE run on ``comm``: coordinates, variables, and a generator of snapshots."""

    solver = "nlse"
    distributed = True

    def __init__(self, params: dict, comm=None, inputs=None):
        self.params = p = params
        self.comm = comm = comm if comm is not None else SerialComm()
        num = p["numerics"]
        # the whole field on every rank (each keeps its block): the same on any rank count
        self.psi0 = (inputs.array("psi", grid_coords(p), complex, periodic=tuple("xyz"[:dims(p)]))
                     if p["initial"]["kind"] in SOURCE_KINDS else None)
        dim = self.dim = dims(p)
        M = p["ensemble"]["members"]
        self.ensemble = M > 1
        if self.ensemble:
            self.members = local_members(M, comm)
            model_comm = SerialComm()
            if comm.size > M:
                log.warning("%d ranks for %d ensemble members: %d ranks stay idle",
                            comm.size, M, comm.size - M)
        else:
            if dim == 1 and comm.size > 1:
                raise LayoutError(
                    f"a 1-D run is not split over ranks (launched on {comm.size}); run it on "
                    "one rank, or ask for several realisations with ensemble.members (they "
                    "are spread over the ranks)")
            self.members = range(1)
            model_comm = comm
        self.lockstep = not self.ensemble  # a field split in blocks steps on all ranks at once
        N = p["grid"]["N"] if isinstance(p["grid"]["N"], list) else [p["grid"]["N"]]
        grid = split_grid(num, N, model_comm.size) if dim > 1 else None
        self.split_dim = ("ensemble" if self.ensemble else
                          "x,y" if grid is not None and grid[1] > 1 else "x")
        beta = p["model"]["beta"]
        self.model = NLSE(per_axis(p["grid"]["L"], dim), N, beta, p["model"]["gamma"],
                          num["dealias"], num["filter"], num["filter_alpha"], num["filter_order"],
                          potential=potential_function(p, beta, dim, inputs),
                          imaginary=p["time"]["imaginary"], comm=model_comm, grid=grid)
        t0, t1, every = p["time"]["start"], p["time"]["end"], p["output"]["every"]
        n = int(np.floor((t1 - t0) / every * (1 + 1e-12))) + 1
        times = t0 + every * np.arange(n)
        if t1 - times[-1] > 1e-9 * every:
            times = np.append(times, t1)
        self.times = times
        self.t_end = t1
        self.steppers = []
        self._warned_edge = False  # the under-resolution warning is given once
        self._t_snap = times[0]

    # -- what the frame writes -------------------------------------------------
    def _lead(self):
        return ("time", "ensemble") if self.ensemble else ("time",)

    def _ensemble_coord(self) -> dict:
        if not self.ensemble:
            return {}
        return {"ensemble": (("ensemble",), np.arange(self.members.start, self.members.stop,
                                                      dtype=np.int64),
                             {"units": "1", "long_name": "realisation index"})}

    def coords(self) -> dict:
        m = self.model
        out = self._ensemble_coord()
        for a, name in enumerate("xyz"[:m.dim]):
            x = m.xs[a]
            if a < 2 and not self.ensemble:  # this rank's block (all of y in a slab)
                x = m.local_grids[a].reshape(-1)
            out[name] = ((name,), x, {"units": "1", "long_name": f"position {name}"})
        return out

    def block_offsets(self):
        if self.split_dim != "x,y":
            return None
        rows, cols = self.model.fft.physical_slices[:2]
        return {"x": rows.start, "y": cols.start}

    def variables(self) -> dict[str, Var]:
        lead = self._lead()
        space = tuple("xyz"[:self.dim])

        def scalar(long_name):
            return Var(lead, np.float64, {"units": "1", "long_name": long_name})
        out = {
            "psi": Var(lead + space, np.complex128, {"units": "1", "long_name": "field psi(x, t)"}),
            "mass": scalar("mass N = int |psi|^2 dx"),
        }
        if self.dim == 1:
            out["momentum"] = scalar("momentum P = int Im(psi* psi_x) dx")
        else:
            for name in space:
                out[f"momentum_{name}"] = scalar(f"momentum P_{name} = int Im(psi* d_{name} psi) dx")
            out["angular_momentum_z"] = scalar(
                "angular momentum L_z = int psi* (-i)(x d_y - y d_x) psi dx, x and y from "
                "the box centre 0 (conserved only in a rotationally symmetric trap, field "
                "well inside the box)")
        out["energy"] = scalar("Hamiltonian H = int (beta |grad psi|^2 + V |psi|^2 "
                               "- gamma/2 |psi|^4) dx")
        out["energy_discrete"] = scalar("the scheme's exact invariant H_M (masked V and "
                                        "quartic terms)")
        if self.model.V is not None:
            out["energy_potential"] = scalar("potential energy int V |psi|^2 dx")
        if self.model.imaginary:
            out["chemical_potential"] = scalar("chemical potential mu = <psi, H psi> / <psi, psi>")
            out["residual"] = scalar("stationarity residual |H psi - mu psi| / |psi| "
                                     "(spectral, 0 at a stationary state)")
        return out

    def restart_variables(self) -> dict[str, Var]:
        shape = self.model.local_spectral_shape
        # the integrator's state in FFT order, as the transforms hold it: dims without
        # coordinates (a coordinate k in FFT order was not monotonic: sel(k=...) failed)
        sdims = tuple(f"spectral_{a}" for a in range(self.dim))
        lead = ("ensemble",) if self.ensemble else ()
        full = (len(self.members),) + tuple(shape) if self.ensemble else tuple(shape)
        return {name: Var(lead + sdims, np.complex128, {}, shape=full) for name in ("y", "f")}

    def attrs(self) -> dict:
        p, m = self.params, self.model
        out = {"dim": m.dim, "L": list(m.Ls) if m.dim > 1 else m.L,
               "N": list(m.Ns) if m.dim > 1 else m.N, "beta": p["model"]["beta"],
               "gamma": p["model"]["gamma"], "formulation": p["numerics"]["formulation"],
               "imaginary_time": int(m.imaginary), "mpi_ranks": self.comm.size,
               "mpi_rank": self.comm.rank, "split_dim": self.split_dim,
               "process_grid": list(m.fft.grid),
               "convention": "i psi_t + beta lap psi - V psi + gamma |psi|^2 psi = 0, "
                             "x_a in [-L_a/2, L_a/2)"}
        if self.ensemble:
            out["members"] = p["ensemble"]["members"]
            out["seeding"] = "member i: numpy default_rng([initial.seed, i]) (1-D); " \
                             "default_rng([initial.seed, i, row]) per x row (N-D)"
        return out

    # -- the run ------------------------------------------------------------------
    def _stepper(self, model, c0, t0):
        num = self.params["numerics"]
        ctrl = SCIPY_CONTROLLER if num["controller"] == "scipy" else HAIRER_CONTROLLER
        if num["pi_beta"]:
            ctrl = Controller(ctrl.safety, ctrl.min_factor, ctrl.max_factor, num["pi_beta"])
        interaction = num["formulation"] == "interaction"
        return DOP853(model.rhs_interaction if interaction else model.rhs_lines, t0, c0,
                      self.t_end, rtol=num["rtol"], atol=num["atol"],
                      first_step=num["first_step"] or None, max_step=num["max_step"],
                      controller=ctrl, frame=model if interaction else None,
                      max_steps=num["max_steps"], norm=model.norm)

    def _initial_coeffs(self, model, member):
        """The integrator's initial state of ``member``."""
        return model.to_coeffs(initial_field(model, self.params, member, self.psi0))

    def _member_models(self):
        # each member has its own frame anchor; the tables and grids are shared
        return [self.model if i == 0 else copy.copy(self.model) for i in range(len(self.members))]

    def _snapshot_one(self, model, c) -> dict:
        self._check_resolution(model, c)
        return {"psi": model.to_field(c), **model.invariants(c)}

    def _check_resolution(self, model, c):
        """Warn once when the spectrum reaches the edge of the kept band (under-resolved)."""
        if self._warned_edge:
            return
        share = model.edge_share(c)
        if share > EDGE_SHARE_WARN:
            self._warned_edge = True
            narrow = (f"; numerics.dealias = {model.dealias:g} keeps only that fraction of "
                      "the grid's band (1 resolves more)" if model.dealias < 1 else "")
            log.warning("nlse: under-resolved at t = %.6g: the top sixth of the kept band "
                        "holds %.2g of the power (a resolved field: below %g); raise grid.N%s",
                        self._t_snap, share,
                        EDGE_SHARE_WARN, narrow)

    def _snapshot(self, cs) -> dict:
        parts = [self._snapshot_one(self.model, c) for c in cs]
        if not self.ensemble:
            return parts[0]
        names = self.variables()
        if not parts:  # a rank without members
            return self._empty_snapshot(names)
        return {n: np.stack([q[n] for q in parts]) for n in names}

    def _empty_snapshot(self, names) -> dict:
        return {n: np.empty((0,) + tuple(self.model.local_physical_shape)) if n == "psi"
                else np.empty(0) for n in names}

    def run(self, resume: dict | None = None):
        """Yield the snapshots (``Record``s along time), and None after every step."""
        models = self._member_models()
        if resume is None:
            cs = [self._initial_coeffs(mdl, i) for mdl, i in zip(models, self.members)]
            self.steppers = [self._stepper(mdl, c, self.times[0]) for mdl, c in zip(models, cs)]
            self.next = 1
            self._t_snap = self.times[0]
            yield Record("time", self.times[0], self._snapshot(cs))
        else:
            self.steppers = []
            for j, (mdl, rec) in enumerate(zip(models, self._split_cp(resume))):
                st = self._stepper(mdl, rec["y"], float(rec["t"]))
                st.restore(Checkpoint.from_record(rec))
                self.steppers.append(st)
            self.next = int(resume["next"])
        # no dense output in a growing frame, nor from a stepper without one
        exact_stops = self.model.imaginary or any(getattr(st, "needs_stops", False)
                                                  for st in self.steppers)
        while self.next < len(self.times):
            t_out = self.times[self.next]
            cs = []
            for st in self.steppers:
                if exact_stops and st.t < t_out:
                    st.stop_at(t_out)
                while st.t < t_out:
                    st.step()
                    yield None
                cs.append(st.y if t_out == st.t else st.dense(t_out))
            self.next += 1
            self._t_snap = t_out
            yield Record("time", t_out, self._snapshot(cs))

    def checkpoint(self) -> dict:
        """Every member's stepper (at the start of its last step, which a restart replays)
        and the next snapshot to write."""
        return {**self._cp(), "next": self.next}

    def _cp(self) -> dict:
        recs = [st.checkpoint().to_record() for st in self.steppers]
        if not self.ensemble:
            return recs[0]
        shape = (0,) + tuple(self.model.local_spectral_shape)
        out = {"y": np.stack([r["y"] for r in recs]) if recs else np.empty(shape, complex),
               "f": np.stack([r["f"] for r in recs]) if recs else np.empty(shape, complex)}
        for key in ("t", "h_abs", "facold", "replay", "rejected", "dense_done"):
            out[key] = np.array([r[key] for r in recs], dtype=float)
        out["stats"] = json.dumps([json.loads(r["stats"]) for r in recs])
        return out

    def _split_cp(self, cp: dict) -> list[dict]:
        if not self.ensemble:
            return [cp]
        stats = json.loads(cp["stats"])
        return [{"y": cp["y"][j], "f": cp["f"][j], "stats": json.dumps(stats[j]),
                 **{k: np.atleast_1d(cp[k])[j] for k in
                    ("t", "h_abs", "facold", "replay", "rejected", "dense_done")}}
                for j in range(len(self.members))]

    def stats(self) -> dict:
        tot = {"nfev": 0, "naccept": 0, "nreject": 0, "ndense": 0}
        for st in self.steppers:
            for k, v in st.stats.as_dict().items():
                tot[k] = tot.get(k, 0) + v
        return tot

    @property
    def stepper(self):
        return self.steppers[0] if self.steppers else None

    def progress_info(self) -> dict:
        if not self.steppers:
            return {}
        st = min(self.steppers, key=lambda s: s.t)
        return {"t": st.t, "h": st.h_abs, "steps": sum(s.stats.naccept for s in self.steppers)}
