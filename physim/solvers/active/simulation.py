"""Glue between the particle dynamics, the pair forces and the frame's output.

Output (dims time, particle, dim): ``position`` in [0, L)^2 and ``propulsion`` g
(AOUP) or ``orientation`` theta (ABP). A restart continues bit for bit: the
state and the random generator's state are stored with every snapshot.
"""
from __future__ import annotations

import json
import math

import numpy as np

from ...io import Var
from .dynamics import ou_coefficients, step_abp, step_aoup
from .forces import PairForces, soft_cutoff


def box_side(p: dict) -> float:
    s, inter = p["system"], p["interaction"]
    if s["phi"] == 0:
        return float(s["L"])
    a = inter["radius"] if inter["kind"] == "soft" else inter["sigma"] / 2
    return math.sqrt(s["N"] * math.pi * a * a / s["phi"])


class Simulation:
    """N self-propelled particles in a periodic square box."""

    solver = "active"
    distributed = False

    def __init__(self, params: dict):
        self.params = p = params
        self.N = N = p["system"]["N"]
        self.L = L = box_side(p)
        self.kind = p["model"]["kind"]
        inter = p["interaction"]
        self.forces = None
        if inter["kind"] == "soft":
            rc = soft_cutoff(inter["radius"], inter["beta"], inter["tol"])
            self.forces = PairForces(N, L, "soft", (inter["k"], inter["beta"],
                                                    2 * inter["radius"]), rc,
                                     p["numerics"]["skin"])
        elif inter["kind"] == "wca":
            rc = 2 ** (1 / 6) * inter["sigma"]
            self.forces = PairForces(N, L, "wca", (inter["epsilon"], inter["sigma"]), rc,
                                     p["numerics"]["skin"])
        dt, every, end = p["time"]["dt"], p["output"]["every"], p["time"]["end"]
        self.dt = dt
        self.per_snapshot = int(round(every / dt))
        n = int(math.floor(end / every * (1 + 1e-12))) + 1
        self.times = every * np.arange(n)
        self.step_count = 0

    # -- what the frame writes ---------------------------------------------------------------
    def coords(self) -> dict:
        return {"particle": (("particle",), np.arange(self.N), {"long_name": "particle index"}),
                "dim": (("dim",), np.arange(2), {"long_name": "Cartesian axis (0 = x, 1 = y)"})}

    def variables(self) -> dict[str, Var]:
        out = {"position": Var(("time", "particle", "dim"), np.float64,
                               {"units": "1", "long_name": "position in [0, L)^2"})}
        if self.kind == "aoup":
            out["propulsion"] = Var(("time", "particle", "dim"), np.float64,
                                    {"units": "1", "long_name": "self-propulsion g (OU)"})
        else:
            out["orientation"] = Var(("time", "particle"), np.float64,
                                     {"units": "rad", "long_name": "heading theta (unwrapped)"})
        return out

    def restart_variables(self) -> dict[str, Var]:
        out = {"x": Var(("particle", "dim"), np.float64, {})}
        out["g" if self.kind == "aoup" else "th"] = \
            Var(("particle", "dim") if self.kind == "aoup" else ("particle",), np.float64, {})
        return out

    def attrs(self) -> dict:
        return {"L": self.L, "dim": 2, "particles": self.N,
                "convention": ("AOUP: dx = [v0 g + F - A (x - c)] dt + sqrt(2 eps) dW, "
                               "dg = -gamma g dt + sqrt(2 gamma) dB; ABP: dx = [v0 e(th) + F - "
                               "A (x - c)] dt + sqrt(2 eps) dW, dth = sqrt(2 Dr) dB; periodic "
                               "box [0, L)^2, c = (L/2, L/2)"),
                "seeding": "numpy default_rng(initial.seed): positions, then propulsion, then "
                           "the noise of every step"}

    # -- the run ---------------------------------------------------------------------------
    def _initial(self):
        p, N, L = self.params, self.N, self.L
        rng = np.random.default_rng(p["initial"]["seed"])
        spread = p["initial"]["spread"]
        if spread > 0:
            x = (L / 2 + spread * rng.standard_normal((N, 2))) % L
        elif p["interaction"]["kind"] == "wca":
            # WCA cannot start from overlaps: a square lattice with a small jitter
            m = int(math.ceil(math.sqrt(N)))
            ij = np.stack(np.divmod(np.arange(N), m), -1).astype(float)
            x = ((ij + 0.5) * (L / m) + 0.01 * (L / m) * rng.uniform(-1, 1, (N, 2))) % L
        else:
            x = rng.uniform(0, L, (N, 2))
        if self.kind == "aoup":
            s = rng.standard_normal((N, 2))
        else:
            s = rng.uniform(0, 2 * np.pi, N)
        return x, s, rng

    def _snapshot(self, x, s):
        return {"position": x.copy(), ("propulsion" if self.kind == "aoup" else "orientation"):
                s.copy()}

    def _cp(self, x, s, rng):
        return {"x": x, ("g" if self.kind == "aoup" else "th"): s,
                "rng": json.dumps(rng.bit_generator.state), "step": self.step_count}

    def run(self, start: int = 0, checkpoint: dict | None = None):
        """Yield (time, data, checkpoint, stats) for snapshots start, start+1, ..."""
        if checkpoint is None:
            x, s, rng = self._initial()
            yield self.times[0], self._snapshot(x, s), self._cp(x, s, rng), self._stats()
            start = 1
        else:
            x = np.array(checkpoint["x"], dtype=float)
            s = np.array(checkpoint["g" if self.kind == "aoup" else "th"], dtype=float)
            rng = np.random.default_rng()
            rng.bit_generator.state = json.loads(str(checkpoint["rng"]))
            self.step_count = int(checkpoint["step"])
        m, p = self.params["model"], self.params
        N, L, dt = self.N, self.L, self.dt
        f = np.zeros((N, 2))
        xi = np.zeros((N, 2))
        eta = np.empty((N, 2))
        A = p["system"]["trap"]
        c = L / 2
        noisy_x = m["epsilon"] > 0
        if self.kind == "aoup":
            decay, kick = ou_coefficients(m["gamma"], dt)
        for k in range(start, len(self.times)):
            for _ in range(self.per_snapshot):
                if self.forces is not None:
                    self.forces(x, f)
                if noisy_x:
                    rng.standard_normal(out=xi)
                rng.standard_normal(out=eta)
                if self.kind == "aoup":
                    step_aoup(x, s, f, xi, eta, dt, m["v0"], m["epsilon"], decay, kick, A, c, c,
                              L, True)
                else:
                    step_abp(x, s, f, xi, eta, dt, m["v0"], m["epsilon"], m["Dr"], A, c, c, L,
                             True)
                self.step_count += 1
            if not (np.isfinite(x).all() and np.isfinite(s).all()):
                from ...integrate import IntegrationError
                raise IntegrationError(f"non-finite particle state at t = {self.times[k]:g} "
                                       f"(time.dt = {dt} too large for the forces?)")
            yield self.times[k], self._snapshot(x, s), self._cp(x, s, rng), self._stats()

    def _stats(self) -> dict:
        return {"steps": self.step_count,
                "list_rebuilds": self.forces.rebuilds if self.forces is not None else 0}

    def progress_info(self) -> dict:
        return {"t": self.step_count * self.dt, "h": self.dt, "steps": self.step_count}
