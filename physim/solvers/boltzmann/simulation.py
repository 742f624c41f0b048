"""Glue between the homogeneous mixture solver and the frame's output.

Distributions ``f_<species>`` are written at the snapshots (every ``output.every``); the
densities, bulk velocities, temperatures and H-functionals of the species (and the
mixture's H) are written at every step, on the ``t_step`` axis.
"""
from __future__ import annotations

import numpy as np

from ...io import STEP_DIM, Var
from .exact import bkw
from .ap import DisparateMixture
from .mixture import Mixture
from .schema import heavy_half_width, masses, names, species_values
from .velocity import VelocityGrid

AXES = ("vx", "vy", "vz")


class Simulation:
    solver = "boltzmann"
    distributed = False

    def __init__(self, params: dict):
        self.params = p = params
        v, c = p["velocity"], p["collision"]
        self.masses, self.names = masses(p), names(p)
        S = len(self.masses)
        self_rates = species_values(p, "self_rates", "collision")
        rates = np.diag(self_rates)
        if S == 2:
            rates[0, 1] = rates[1, 0] = c["cross_rate"]
        quad = {"R": v["R"] or None, "M": v["M"] or None, "n_rho": v["n_rho"] or None,
                "M_carleman": v["M"] or None}
        if p["scheme"]["kind"] == "ap":
            eps = float(np.sqrt(self.masses[0] / self.masses[1]))
            self.mixture = DisparateMixture(
                v["d"], v["N"], v["L"], eps, c["gamma"], (rates[0, 0], rates[1, 1], rates[0, 1]),
                m_L=self.masses[0], L_heavy=heavy_half_width(p, eps), method=c["method"], **quad)
            self.grids = self.mixture.grids
        else:
            grid = VelocityGrid(v["d"], v["N"], v["L"])
            self.mixture = Mixture(grid, self.masses, c["gamma"], rates, c["method"], **quad)
            self.grids = (grid,) * S
        self.grid = self.grids[0]
        self.dt = p["time"]["dt"]
        self.per_snapshot = int(round(p["output"]["every"] / self.dt))
        self.t0 = p["initial"]["t0"] if p["initial"]["kind"] == "bkw" else 0.0
        n = int(np.floor(p["time"]["end"] / p["output"]["every"] * (1 + 1e-12))) + 1
        self.times = self.t0 + p["output"]["every"] * np.arange(n)
        self.steps = 0
        self.min_f = np.inf

    # ---- layout ----------------------------------------------------------------------------
    def _vdims(self, name):
        return tuple(f"{name}_{a}" for a in AXES[: self.grid.d])

    def coords(self) -> dict:
        out = {"species": (("species",), np.array(self.names, dtype=object),
                           {"long_name": "species"}),
               "component": (("component",), np.arange(self.grid.d),
                             {"long_name": "velocity component"})}
        for name, grid in zip(self.names, self.grids):
            for dim in self._vdims(name):
                out[dim] = ((dim,), grid.axis, {"units": "1", "long_name":
                                                f"velocity grid of {name}"})
        return out

    def variables(self) -> dict[str, Var]:
        out = {f"f_{n}": Var(("time",) + self._vdims(n), np.float64,
                             {"long_name": f"distribution function of {n}"})
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
        })
        if self.params["initial"]["kind"] == "bkw":
            out["error_bkw"] = Var((STEP_DIM,), np.float64,
                                   {**per, "long_name": "max |f - f_BKW(t)|"})
        return out

    def restart_variables(self) -> dict[str, Var]:
        return {f"f_{n}": Var(self._vdims(n), np.float64, {}) for n in self.names}

    def attrs(self) -> dict:
        return {"masses": np.array(self.masses), "species_names": ",".join(self.names),
                "dim": self.grid.d,
                "convention": ("df_i/dt = sum_j Q_ij(f_i, f_j); B_ij = rate_ij / |S| "
                               "|v - v_*|^gamma; k_B = 1; H = int f ln f"),
                "time_attrs": {"units": "1", "long_name": "time"}}

    # ---- the run -----------------------------------------------------------------------------
    def initial(self) -> list:
        p = self.params["initial"]
        if p["kind"] == "bkw":
            return [bkw(self.grid, self.t0)[0]]
        n, T = species_values(self.params, "density"), species_values(self.params, "temperature")
        a = species_values(self.params, "drift")
        out = []
        for ns, Ts, As, m, g in zip(n, T, a, self.masses, self.grids):
            u = np.zeros(g.d)
            u[0] = As
            if p["kind"] == "maxwellians":
                out.append(g.maxwellian(ns, u, Ts, m))
            else:
                out.append(0.5 * (g.maxwellian(ns, u, Ts, m) + g.maxwellian(ns, -u, Ts, m)))
        return out

    def _record(self, fs, t) -> dict:
        mom = [g.moments(f, m) for f, m, g in zip(fs, self.masses, self.grids)]
        H = np.array([g.entropy(f) for f, g in zip(fs, self.grids)])
        row = {"density": np.array([m[0] for m in mom]),
               "velocity": np.array([m[1] for m in mom]),
               "temperature": np.array([m[2] for m in mom]),
               "H": H, "H_mixture": H.sum(), "min_f": min(float(f.min()) for f in fs)}
        if "error_bkw" in self._vars:
            row["error_bkw"] = float(np.abs(fs[0] - bkw(self.grid, t)[0]).max())
        return row

    def _snapshot(self, fs, rows, times) -> dict:
        data = {f"f_{n}": f for n, f in zip(self.names, fs)}
        data[STEP_DIM] = np.array(times)
        for key in rows[0]:
            data[key] = np.array([r[key] for r in rows])
        return data

    def run(self, start: int = 0, checkpoint=None):
        from ...integrate import IntegrationError
        self._vars = self.variables()
        if checkpoint is None:
            fs = self.initial()
            rows, times = [self._record(fs, self.times[0])], [self.times[0]]
            yield self.times[0], self._snapshot(fs, rows, times), self._cp(fs), self._stats()
            start = 1
        else:
            fs = [np.asarray(checkpoint[f"f_{n}"], float) for n in self.names]
            self.steps = int(checkpoint["step"])
        for k in range(start, len(self.times)):
            rows, times = [], []
            for j in range(1, self.per_snapshot + 1):
                fs = self.mixture.step(fs, self.dt)
                self.steps += 1
                t = self.times[k - 1] + j * self.dt
                if not all(np.isfinite(f).all() for f in fs):
                    raise IntegrationError(f"non-finite distribution at t = {t:g} "
                                           f"(time.dt = {self.dt} too large?)")
                rows.append(self._record(fs, t))
                times.append(t)
            self.min_f = min(self.min_f, min(r["min_f"] for r in rows))
            yield self.times[k], self._snapshot(fs, rows, times), self._cp(fs), self._stats()

    def _cp(self, fs) -> dict:
        out = {f"f_{n}": f for n, f in zip(self.names, fs)}
        out["step"] = self.steps
        return out

    def _stats(self) -> dict:
        return {"steps": self.steps}

    def progress_info(self) -> dict:
        return {"t": self.times[0] + self.steps * self.dt, "h": self.dt, "steps": self.steps}
