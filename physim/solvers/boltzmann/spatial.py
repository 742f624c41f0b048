"""The gas or mixture in one space dimension: ∂_t f_s + v_x ∂_x f_s = Σ_j Q_sj, x in [0, length).

Strang splitting: half a step of free streaming (``transport.Streaming``; periodic,
specular, diffuse or outflow ends), the collision step of the homogeneous solver in every
cell (RK4 for ``scheme.kind = "full"``, the BGK-penalised step for ``"penalised"``, the
asymptotic-preserving step for ``"ap"``), another half step of streaming. With RK4 the
splitting is second order; the penalised and AP collision steps are first order.

``space.light_transport = "ap"`` (with ``scheme.kind = "ap"``, periodic, one rank): the
light species takes instead the asymptotic-preserving step of ``ap_space.LightDiffusion``
(its transport with the Lorentz relaxation, implicit), between the heavy's two half steps
of streaming, and the cells' collision step leaves out the Lorentz part; the step is then
bounded by the heavy's transport, not by the light's speed.

How a run uses the MPI ranks: the cells are split in blocks over the ranks
(``physim.parallel.Decomposition``); streaming swaps two ghost cells with the neighbours,
collisions are local to each cell, and the sums over x (mass, momentum, energy, H) are
ordered (``physim.parallel.ordered_sum_rows``), so the output is bitwise the same on any
number of ranks. Output is split along ``x``.
"""
from __future__ import annotations

import numpy as np

from ...io import STEP_DIM, Var
from ...parallel import Decomposition, SerialComm, ordered_sum_rows
from .schema import masses, names, species_values
from .simulation import (LayoutError, Stepping, collision_model, given_initial,
                         homogeneous_initial, velocity_grids)
from .ap_space import LightDiffusion
from .transport import GHOSTS, Streaming


class SpatialSimulation(Stepping):
    solver = "boltzmann"
    distributed = True
    split_dim = "x"
    lockstep = True  # the cells' halo exchanges tie the ranks' steps together

    def __init__(self, params: dict, comm=None, inputs=None):
        self.params = p = params
        self.comm = comm = comm if comm is not None else SerialComm()
        self.masses, self.names = masses(p), names(p)
        sp = p["space"]
        self.cells, self.length = sp["cells"], sp["length"]
        self.dx = self.length / self.cells
        if self.cells < GHOSTS * comm.size:
            raise LayoutError(f"space.cells = {self.cells} on {comm.size} ranks: every rank needs "
                              f"at least {GHOSTS} cells; use at most {self.cells // GHOSTS} ranks")
        self.dec = Decomposition((self.cells,), comm.size, comm.rank)
        self.x = (np.arange(self.dec.start, self.dec.stop) + 0.5) * self.dx
        # a given f on every cell (each rank keeps its block: the same on any rank count),
        # read and checked before the operators are built
        self.given = given_initial(p, inputs, self.names, velocity_grids(p),
                                   (np.arange(self.cells) + 0.5) * self.dx)
        self.mixture, self.grids = collision_model(p)
        self.collide = bool(getattr(self.mixture, "ops", True))  # a full model without rates
        self.d = self.grids[0].d
        self.streams = [Streaming(comm, self.dx, g.axis, g.d, sp["boundary"], sp["limiter"],
                                  self._walls(g, m) if sp["boundary"] == "diffuse" else None)
                        for g, m in zip(self.grids, self.masses)]
        self.light = None
        if sp["light_transport"] == "ap":
            if comm.size > 1:
                raise LayoutError(f"space.light_transport = 'ap' runs on one rank (its "
                                  f"implicit systems span the whole of x); launched on "
                                  f"{comm.size}")
            self.light = LightDiffusion(self.mixture, self.dx)
        self._C = [g.conserved_basis(m) for g, m in zip(self.grids, self.masses)]
        self._schedule()

    def _walls(self, grid, m):
        """The left and right walls' Maxwellians (unit density) for particles of mass m."""
        sp = self.params["space"]
        return [grid.maxwellian(1.0, np.r_[0.0, u, [0.0] * (grid.d - 2)], T, m)
                for T, u in zip(sp["wall_temperature"], sp["wall_velocity"])]

    # ---- layout ----------------------------------------------------------------------------
    def coords(self) -> dict:
        return {"x": (("x",), self.x, {"units": "1", "long_name": "position (cell centre)"}),
                **self._velocity_coords()}

    def variables(self) -> dict[str, Var]:
        out = {f"f_{n}": Var(("time", "x") + self._vdims(n), np.float64,
                             {"units": "1", "long_name": f"distribution function of {n} (phase-space density, model units)"})
               for n in self.names}
        per = {"units": "1"}
        out.update({
            "density": Var((STEP_DIM, "x", "species"), np.float64, {**per, "long_name": "n_s(x)"}),
            "velocity": Var((STEP_DIM, "x", "species", "component"), np.float64,
                            {**per, "long_name": "bulk velocity u_s(x)"}),
            "temperature": Var((STEP_DIM, "x", "species"), np.float64,
                               {**per, "long_name": "T_s(x) = m_s int |v - u_s|^2 f_s / (d n_s)"}),
            "mass": Var((STEP_DIM, "species"), np.float64,
                        {**per, "long_name": "int n_s dx (number of particles of s)"}),
            "momentum": Var((STEP_DIM, "component"), np.float64,
                            {**per, "long_name": "sum_s int m_s n_s u_s dx"}),
            "energy": Var((STEP_DIM,), np.float64,
                          {**per, "long_name": "sum_s int int m_s |v|^2 / 2 f_s dv dx"}),
            "H": Var((STEP_DIM, "species"), np.float64,
                     {**per, "long_name": "H-functional int int f_s ln f_s dv dx (entropy = -H)"}),
            "H_mixture": Var((STEP_DIM,), np.float64,
                             {**per, "long_name": "H of the mixture, sum over species"}),
            "min_f": Var((STEP_DIM,), np.float64, {**per, "long_name": "smallest f value"}),
        })
        return out

    def restart_variables(self) -> dict[str, Var]:
        return {f"f_{n}": Var(("x",) + self._vdims(n), np.float64, {}) for n in self.names}

    def attrs(self) -> dict:
        sp = self.params["space"]
        return {"masses": np.array(self.masses), "species_names": ",".join(self.names),
                "dim": self.d, "cells": self.cells, "dx": self.dx, "length": self.length,
                "boundary": sp["boundary"], "light_transport": sp["light_transport"],
                "wall_temperature": np.array(sp["wall_temperature"]),
                "wall_velocity": np.array(sp["wall_velocity"]), "mpi_ranks": self.comm.size,
                "mpi_rank": self.comm.rank, "split_dim": self.split_dim,
                "convention": ("df_i/dt + v_x df_i/dx = sum_j Q_ij(f_i, f_j); B_ij = rate_ij "
                               "/ |S| |v - v_*|^gamma; k_B = 1; H = int int f ln f dv dx"),
                "time_attrs": {"units": "1", "long_name": "time"}}

    # ---- initial state -----------------------------------------------------------------------
    def initial(self) -> list:
        """Distributions of this rank's cells, one (cells, *velocity) array per species."""
        p, nloc = self.params, len(self.x)
        kind = p["initial"]["kind"]
        if self.given is not None:
            return [f[self.dec.start:self.dec.stop].copy() for f in self.given]
        if kind not in ("riemann", "wave"):
            return [np.broadcast_to(f, (nloc,) + f.shape).copy()
                    for f in homogeneous_initial(p, self.grids, self.t0)]
        if kind == "riemann":
            left = self.x < p["initial"]["position"] * self.length
            side = {k: [np.where(left, a, b) for a, b in zip(species_values(p, k + "_left"),
                                                              species_values(p, k + "_right"))]
                    for k in ("density", "temperature", "drift")}
            n, T, u = side["density"], side["temperature"], side["drift"]
        else:
            wave = np.sin(2 * np.pi * p["initial"]["mode"] * self.x / self.length)
            n = [n0 * (1 + a * wave) for n0, a in zip(species_values(p, "density"),
                                                      species_values(p, "amplitude"))]
            T = [T0 * (1 + a * wave) for T0, a in zip(
                species_values(p, "temperature"), species_values(p, "temperature_amplitude"))]
            u = [np.full(nloc, u0) for u0 in species_values(p, "drift")]
        out = []
        for ns, Ts, us, m, g in zip(n, T, u, self.masses, self.grids):
            out.append(np.stack([g.maxwellian(ni, np.r_[ui, [0.0] * (g.d - 1)], Ti, m)
                                 for ni, Ti, ui in zip(ns, Ts, us)]))
        return out

    # ---- the step ----------------------------------------------------------------------------
    def advance(self, fs: list, dt: float) -> list:
        """Strang splitting: stream dt/2, collide dt in every cell, stream dt/2. With the AP
        light transport: the heavy streams dt/2, the light takes its AP step of dt
        (transport and Lorentz relaxation, ``ap_space``), the cells collide without the
        Lorentz step (the heavy receives the momentum it took), the heavy streams dt/2."""
        if self.light is not None:
            f_H = self.streams[1](fs[1], 0.5 * dt)
            f_L, lost = self.light(fs[0], f_H, dt)
            for i in range(len(self.x)):
                f_L[i], f_H[i] = self.mixture.step([f_L[i], f_H[i]], dt, lost=lost[i])
            return [f_L, self.streams[1](f_H, 0.5 * dt)]
        fs = [stream(f, 0.5 * dt) for stream, f in zip(self.streams, fs)]
        if self.collide:
            for i in range(len(self.x)):
                new = self.mixture.step([f[i] for f in fs], dt)
                for f, fn in zip(fs, new):
                    f[i] = fn
        return [stream(f, 0.5 * dt) for stream, f in zip(self.streams, fs)]

    # ---- records -----------------------------------------------------------------------------
    def _cell_moments(self, s, f):
        """Per cell: n, u (d), T, and the raw moments (mass, momentum (d), energy)."""
        C, m, d = self._C[s], self.masses[s], self.d
        raw = np.stack([C @ fi.reshape(-1) for fi in f])  # per cell: same arithmetic anywhere
        n = raw[:, 0]
        u = raw[:, 1:1 + d] / (m * n[:, None])
        T = (2 * raw[:, 1 + d] - m * n * (u ** 2).sum(1)) / (d * n)
        return n, u, T, raw

    def _finite(self, fs) -> bool:
        """Collective: a blow-up on any rank stops every rank at the same step."""
        return not self.comm.allreduce_max(0.0 if super()._finite(fs) else 1.0)

    def _record(self, fs, t=None) -> dict:
        cells = [self._cell_moments(s, f) for s, f in enumerate(fs)]
        H = np.stack([[g.entropy(fi) for fi in f] for g, f in zip(self.grids, fs)], 1)
        # one ordered reduction over x of every per-cell quantity: rank-count independent
        per_cell = np.concatenate([np.stack([c[3][:, 0] for c in cells], 1),
                                   sum(c[3][:, 1:1 + self.d] for c in cells),
                                   sum(c[3][:, 1 + self.d:] for c in cells), H], 1)
        tot = ordered_sum_rows(self.comm, per_cell, self.cells, self.dec.start) * self.dx
        S, d = len(fs), self.d
        local_min = min(float(f.min()) for f in fs) if len(self.x) else np.inf
        return {"density": np.stack([c[0] for c in cells], 1),
                "velocity": np.stack([c[1] for c in cells], 1),
                "temperature": np.stack([c[2] for c in cells], 1),
                "mass": tot[:S], "momentum": tot[S:S + d], "energy": tot[S + d],
                "H": tot[S + d + 1:], "H_mixture": tot[S + d + 1:].sum(),
                "min_f": self.comm.allreduce_min(local_min)}
