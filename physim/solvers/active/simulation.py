"""Glue between the particle dynamics, the pair forces and the frame's output.

Output (dims time, [replica,] particle, dim): ``position`` in [0, L)^2 and
``propulsion`` g (AOUP) or ``orientation`` theta (ABP). A restart continues bit for
bit: the state and the random generator's state are stored with every snapshot.

Replicas (``ensemble.replicas = R``) are independent copies of the system; replica r
draws everything from ``numpy.random.default_rng([initial.seed, r])``, so it is the
same run on any number of MPI ranks; the ranks own blocks of replicas and the
output is split along ``replica``.

``[initial] kind = "array"`` or ``"file"`` starts from given positions (and g or theta),
e.g. the last snapshot of another run (see :mod:`.initial`). The generator then draws
only what is not given (g or theta), then the noise of every step, as before.
"""
from __future__ import annotations

import json
import math

import numpy as np

from .. import contract
from ...inputs import SOURCE_KINDS
from ...io import Record, Var
from ...parallel import SerialComm, local_members, member_rng
from .dynamics import ABP, AOUP, advance, ou_coefficients
from .forces import PairForces, cell_order, force_table, soft_cutoff
from .initial import STATE, given_state


def box_side(p: dict) -> float:
    s, inter = p["system"], p["interaction"]
    if s["phi"] == 0:
        return float(s["L"])
    a = inter["radius"] if inter["kind"] == "soft" else inter["sigma"] / 2
    return math.sqrt(s["N"] * math.pi * a * a / s["phi"])


# Measured (N = 256 soft disks, v0 = 1 and 0.025, phi = 0.5 and 0.9; checked on N = 64
# trapped, k = 2.5, v0 = 0.3, eps = 0.1, and on WCA ABPs): stable runs up to k dt = 1/3
# give a force push <= 0.8 a (the first step from a random start) and <= 0.4 a later;
# unstable ones (k dt >= 0.5) >= 1.04 a with a step-to-step force correlation <= 0.03.
FORCE_PUSH = 1.0  # one step's force displacement, in particle radii
FORCE_CORR = 0.5  # below this step-to-step force correlation the force is oscillating


def guard_size(p: dict) -> float:
    inter = p["interaction"]
    return inter["radius"] if inter["kind"] == "soft" else inter["sigma"] / 2


def largest_stable_dt(p: dict) -> float:
    """The largest time.dt the case's Euler-Maruyama bounds allow (see schema.stability)."""
    from .schema import (MOVE_REFUSE, SOFT_REFUSE, TRAP_REFUSE, WCA_CURVATURE,
                         _largest_move_dt, _size)
    inter, A = p["interaction"], p["system"]["trap"]
    out = [p["time"]["dt"] * 1e9]
    if A > 0:
        out.append(TRAP_REFUSE / A)
    if inter["kind"] == "soft" and inter["k"] > 0:
        out.append(SOFT_REFUSE / inter["k"])
    if inter["kind"] == "wca":
        out.append(2 / (6 * WCA_CURVATURE * inter["epsilon"] / inter["sigma"] ** 2))
    if _size(p) is not None:
        out.append(_largest_move_dt(p, MOVE_REFUSE * _size(p)))
    return min(out)


def trap_variance_bound(p: dict, N: int, states, c: float, L: float) -> float:
    """10x the larger of the start's variance per axis about the trap centre and the
    stationary one of free particles (eps / A + v0^2 / (A (A + rate))) or of a
    close-packed disk of N particles (R^2 / 4, R = a sqrt(N / 0.9069))."""
    m, A = p["model"], p["system"]["trap"]
    if m["kind"] == "aoup":
        free = m["epsilon"] / A + m["v0"] ** 2 / (A * (A + m["gamma"]))
    else:
        free = m["epsilon"] / A + 0.5 * m["v0"] ** 2 / (A * (A + m["Dr"]))
    packed = 0.0
    if p["interaction"]["kind"] != "none":
        packed = guard_size(p) ** 2 * N / (math.pi / (2 * math.sqrt(3))) / 4
    start = 0.0
    for x, _, _ in states:
        d = (x - c + L / 2) % L - L / 2
        start = max(start, float((d * d).mean()))
    return 10 * max(free, packed, start)


# From this N on, each chunk runs on the particles in cell order (forces.cell_order):
# measured N = 1e6, phi = 0.5, one core: 3.2e6 -> 6.7e6 particle-steps/s; at N = 4096
# (all in cache) it cost 2 %.
SORT_FROM = 16384
_NO_PAIRS = np.zeros((0, 2), np.int64)
_NO_TABLE = np.zeros((0, 4))


class LayoutError(ValueError):
    """The case cannot be spread over the ranks it was launched on."""


class Simulation(contract.Simulation):
    """N self-propelled particles in a periodic square box (R independent replicas)."""

    solver = "active"
    distributed = True

    def __init__(self, params: dict, comm=None, inputs=None):
        self.params = p = params
        self.comm = comm = comm if comm is not None else SerialComm()
        self.R = R = p["ensemble"]["replicas"]
        if R == 1 and comm.size > 1:
            raise LayoutError(f"one system is not split over ranks (launched on {comm.size}); "
                              "run independent copies with ensemble.replicas")
        self.replicas = local_members(R, comm)
        self.ensemble = R > 1
        self.split_dim = "replica"
        self.lockstep = False  # replicas run on their own
        self.N = N = p["system"]["N"]
        self.L = L = box_side(p)
        self.kind = p["model"]["kind"]
        # positions (and g or theta) given by the case: whole arrays, the same on every rank
        self.given = (given_state(p, inputs, L) if p["initial"]["kind"] in SOURCE_KINDS
                      else {})
        self.forces = [self._pair_forces() for _ in self.replicas]
        dt, every, end = p["time"]["dt"], p["output"]["every"], p["time"]["end"]
        self.dt = dt
        self.per_snapshot = int(round(every / dt))
        n = int(math.floor(end / every * (1 + 1e-12))) + 1
        self.times = every * np.arange(n)
        self.step_count = 0

    def _pair_forces(self):
        p, inter = self.params, self.params["interaction"]
        if inter["kind"] == "soft":
            rc = soft_cutoff(inter["radius"], inter["beta"], inter["tol"])
            return PairForces(self.N, self.L, "soft", (inter["k"], inter["beta"],
                                                       2 * inter["radius"]), rc,
                              p["numerics"]["skin"])
        if inter["kind"] == "wca":
            rc = 2 ** (1 / 6) * inter["sigma"]
            return PairForces(self.N, self.L, "wca", (inter["epsilon"], inter["sigma"]), rc,
                              p["numerics"]["skin"])
        return None

    # -- what the frame writes ---------------------------------------------------------------
    def _lead(self):
        return ("replica",) if self.ensemble else ()

    def coords(self) -> dict:
        out = {"particle": (("particle",), np.arange(self.N), {"units": "1", "long_name": "particle index"}),
               "dim": (("dim",), np.arange(2), {"units": "1", "long_name": "Cartesian axis (0 = x, 1 = y)"})}
        if self.ensemble:
            out["replica"] = (("replica",), np.arange(self.replicas.start, self.replicas.stop,
                                                      dtype=np.int64),
                              {"units": "1", "long_name": "independent copy of the system"})
        return out

    def variables(self) -> dict[str, Var]:
        lead = ("time",) + self._lead()
        out = {"position": Var(lead + ("particle", "dim"), np.float64,
                               {"units": "1", "long_name": "position in [0, L)^2"})}
        if self.kind == "aoup":
            out["propulsion"] = Var(lead + ("particle", "dim"), np.float64,
                                    {"units": "1", "long_name": "self-propulsion g (OU)"})
        else:
            out["orientation"] = Var(lead + ("particle",), np.float64,
                                     {"units": "rad", "long_name": "heading theta (unwrapped)"})
        return out

    def restart_variables(self) -> dict[str, Var]:
        lead = self._lead()
        n = (len(self.replicas),) if self.ensemble else ()
        out = {"x": Var(lead + ("particle", "dim"), np.float64, {}, shape=n + (self.N, 2))}
        if self.kind == "aoup":
            out["g"] = Var(lead + ("particle", "dim"), np.float64, {}, shape=n + (self.N, 2))
        else:
            out["th"] = Var(lead + ("particle",), np.float64, {}, shape=n + (self.N,))
        return out

    def attrs(self) -> dict:
        return {"L": self.L, "dim": 2, "particles": self.N, "replicas": self.R,
                "mpi_ranks": self.comm.size, "mpi_rank": self.comm.rank,
                "split_dim": self.split_dim,
                "convention": ("AOUP: dx = [v0 g + F - A (x - c)] dt + sqrt(2 eps) dW, "
                               "dg = -gamma g dt + sqrt(2 gamma) dB; ABP: dx = [v0 e(th) + F - "
                               "A (x - c)] dt + sqrt(2 eps) dW, dth = sqrt(2 Dr) dB; periodic "
                               "box [0, L)^2, c = (L/2, L/2)"),
                "seeding": self._seeding()}

    def _seeding(self) -> str:
        drawn = [n for n in ("position", STATE[self.kind]) if n not in self.given]
        given = [n for n in ("position", STATE[self.kind]) if n in self.given]
        if not given:  # the random start, as it always was
            return ("replica r: numpy default_rng([initial.seed, r]): positions, then "
                    "propulsion, then the noise of every step")
        return (f"replica r: numpy default_rng([initial.seed, r]): "
                + "".join(f"{n}, then " for n in drawn) + "the noise of every step ("
                + " and ".join(given) + f" from initial.kind = {self.params['initial']['kind']!r}"
                + (", replica r's own" if self.params["initial"]["per_replica"] else
                   ", the same for every replica" if self.ensemble else "") + ")")

    # -- the run ---------------------------------------------------------------------------
    def _initial(self, r):
        p, N, L = self.params, self.N, self.L
        rng = member_rng(p["initial"]["seed"], r)
        spread = p["initial"].get("spread", 0.0)
        if "position" in self.given:
            x = self._given("position", r)
        elif spread > 0:
            x = (L / 2 + spread * rng.standard_normal((N, 2))) % L
        elif p["interaction"]["kind"] == "wca":
            # WCA cannot start from overlaps: a square lattice with a small jitter
            m = int(math.ceil(math.sqrt(N)))
            ij = np.stack(np.divmod(np.arange(N), m), -1).astype(float)
            x = ((ij + 0.5) * (L / m) + 0.01 * (L / m) * rng.uniform(-1, 1, (N, 2))) % L
        else:
            x = rng.uniform(0, L, (N, 2))
        if STATE[self.kind] in self.given:
            s = self._given(STATE[self.kind], r)
        elif self.kind == "aoup":
            s = rng.standard_normal((N, 2))
        else:
            s = rng.uniform(0, 2 * np.pi, N)
        return x, s, rng

    def _given(self, name, r):
        """Replica r's copy of the given input ``name``."""
        v = self.given[name]
        return (v[r] if self.params["initial"]["per_replica"] else v).copy()

    def _snapshot(self, states):
        name = "propulsion" if self.kind == "aoup" else "orientation"
        if not self.ensemble:
            x, s, _ = states[0]
            return {"position": x.copy(), name: s.copy()}
        shape = (0, self.N, 2)
        if not states:
            return {"position": np.empty(shape), name: np.empty(shape if self.kind == "aoup"
                                                                  else (0, self.N))}
        return {"position": np.stack([x for x, _, _ in states]),
                name: np.stack([s for _, s, _ in states])}

    def _cp(self, states):
        key = "g" if self.kind == "aoup" else "th"
        rngs = json.dumps([rng.bit_generator.state for _, _, rng in states])
        if not self.ensemble:
            x, s, _ = states[0]
            return {"x": x, key: s, "rng": rngs, "step": self.step_count}
        return {"x": np.stack([x for x, _, _ in states]) if states else np.empty((0, self.N, 2)),
                key: (np.stack([s for _, s, _ in states]) if states else
                      np.empty((0,) + self.restart_variables()[key].shape[1:])),
                "rng": rngs, "step": self.step_count}

    def checkpoint(self) -> dict:
        """Every replica's state and generator, how far each is into the next snapshot's
        steps, and which snapshot that is."""
        return {**self._cp(self.states), "next": self.next, "done": list(self.done)}

    def _restore(self, cp):
        key = "g" if self.kind == "aoup" else "th"
        xs, ss = np.asarray(cp["x"], dtype=float), np.asarray(cp[key], dtype=float)
        if not self.ensemble:
            xs, ss = xs[None], ss[None]
        states = []
        for x, s, st in zip(xs, ss, json.loads(str(cp["rng"]))):
            rng = np.random.default_rng()
            rng.bit_generator.state = st
            states.append((x.copy(), s.copy(), rng))
        self.step_count = int(cp["step"])
        return states

    def run(self, resume: dict | None = None):
        """Yield the snapshots (``Record``s along time), and None after every step."""
        if resume is None:
            self.states = states = [self._initial(r) for r in self.replicas]
            self.next, self.done = 1, [0] * len(states)
            yield Record("time", self.times[0], self._snapshot(states))
        else:
            self.states = states = self._restore(resume)
            self.next, self.done = int(resume["next"]), [int(d) for d in resume["done"]]
        m, p = self.params["model"], self.params
        N, L, dt = self.N, self.L, self.dt
        f = np.zeros((N, 2))
        xi = np.zeros((N, 2))
        eta = np.empty((N, 2))
        A = float(p["system"]["trap"])
        c = L / 2
        decay, kick = ou_coefficients(m["gamma"], dt) if self.kind == "aoup" else (0.0, 0.0)
        model = (AOUP, float(m["v0"]), float(m["epsilon"]), decay, kick, 0.0) if self.kind == "aoup" else \
            (ABP, float(m["v0"]), float(m["epsilon"]), 0.0, 0.0, float(m["Dr"]))
        self._f_check = np.zeros((N, 2))
        if A > 0:
            self._trap_bound = trap_variance_bound(p, self.N, states, c, L)
        while self.next < len(self.times):
            k = self.next
            for r, ((x, s, rng), forces) in enumerate(zip(states, self.forces)):
                column = s if self.kind == "aoup" else s[:, None]  # a view: theta in place
                while self.done[r] < self.per_snapshot:
                    n = min(self.chunk, self.per_snapshot - self.done[r])
                    self._advance(model, x, column, rng, n, forces, A, c, f, xi, eta)
                    self.done[r] += n
                    yield None
                if not (np.isfinite(x).all() and np.isfinite(s).all()):
                    from ...integrate import IntegrationError
                    raise IntegrationError(f"non-finite particle state at t = {self.times[k]:g} "
                                           f"(time.dt = {dt} too large for the forces?)")
                self._in_range(x, f, forces, self.times[k], r)
            self.step_count += self.per_snapshot
            self.next, self.done = k + 1, [0] * len(states)
            yield Record("time", self.times[k], self._snapshot(states))

    @property
    def chunk(self) -> int:
        """Steps per compiled call (about 5e5 particle-steps, at least 64): the run yields
        (and may be checkpointed) between chunks of a snapshot's steps."""
        return max(64, 2 ** 19 // self.N)

    def _advance(self, model, x, s, rng, n, forces, A, c, f, xi, eta):
        """n steps of one replica in ``dynamics.advance``. At the start of every chunk the
        particles are put in cell order (from N = SORT_FROM on, ``forces.cell_order``; they
        go back to index order at its end, and each keeps its own normals) and the pair
        list is built afresh: both depend only on the state at the chunk boundary, so a run continued
        from a checkpoint (always at one) is bitwise the uninterrupted run."""
        kind, dt, L = model[0], self.dt, self.L
        xs, ss, fs, order, slot = x, s, f, None, np.arange(self.N)
        if forces is None:
            args = (_NO_PAIRS, -1, x, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, _NO_TABLE)
        else:
            if self.N >= SORT_FROM:
                order = cell_order(x, L, forces.rc + forces.skin)
                slot[order] = np.arange(self.N)
                xs, ss, fs = x[order], s[order], np.empty_like(f)
            forces._build(xs)
            if not hasattr(forces, "table"):
                forces.table = force_table(forces.kind, forces.p, forces.rc)
        left = n
        while left > 0:
            if forces is not None:
                args = (forces.pairs, forces.npair, forces.x_ref, forces.rc + forces.skin,
                        (0.5 * forces.skin) ** 2, forces.rc, forces.kind, *forces.p,
                        *forces.table)
            taken, npair, rebuilds, need = advance(kind, xs, ss, rng, left, dt, *model[1:], A,
                                                   c, L, *args, fs, xi, eta, slot)
            left -= taken
            if forces is not None:
                forces.npair = npair
                forces.rebuilds += rebuilds
                if need:  # the list outgrew its buffer: the same rebuild, in a larger one
                    forces.pairs = np.empty((int(need * 1.5) + 16, 2), np.int64)
                    forces._build(xs)
        if order is not None:
            x[order], s[order], f[order] = xs, ss, fs

    def _in_range(self, x, f, forces, t, r):
        """Stop (IntegrationError) when the state has left its physical range: the pair
        forces are not resolved (one step's force displacement exceeds the particle radius
        and the force flips between steps: the Euler-Maruyama overshoot), or the particles
        have left the trap."""
        from ...integrate import IntegrationError
        p, dt = self.params, self.dt
        where = f"at t = {t:g}" + (f" (replica {r})" if self.ensemble else "")
        if forces is not None:
            a = guard_size(p)
            f_now = self._f_check
            forces(x, f_now)
            push = float(np.sqrt((f_now * f_now).sum(-1).max())) * dt
            den = math.sqrt(float((f * f).sum()) * float((f_now * f_now).sum()))
            corr = float((f * f_now).sum()) / den if den > 0 else 1.0
            if push > FORCE_PUSH * a and corr < FORCE_CORR:
                raise IntegrationError(
                    f"pair forces not resolved {where}: one step's force displacement "
                    f"{push:.3g} > the particle radius {a:g} and the force reverses between steps "
                    f"(correlation {corr:.2f}): time.dt = {dt:g} too large, use dt <= "
                    f"{min(largest_stable_dt(p), dt / 2):.4g}")
        A = p["system"]["trap"]
        if A > 0:
            c = self.L / 2
            d = (x - c + self.L / 2) % self.L - self.L / 2
            var = float((d * d).mean())
            bound = self._trap_bound
            if var > bound:
                raise IntegrationError(
                    f"particles left the trap {where}: variance {var:.3g} per axis about the "
                    f"centre > {bound:.3g} (10x the larger of the start's and the stationary "
                    f"estimate): time.dt = {dt:g} too large? use dt <= "
                    f"{min(largest_stable_dt(p), dt / 2):.4g}")

    def stats(self) -> dict:
        return {"steps": self.step_count,
                "list_rebuilds": sum(f.rebuilds for f in self.forces if f is not None)}

    def progress_info(self) -> dict:
        return {"t": self.step_count * self.dt, "h": self.dt, "steps": self.step_count}
