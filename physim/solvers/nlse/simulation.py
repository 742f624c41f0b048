"""Glue between the NLSE model, the DOP853 stepper and the frame's output."""
from __future__ import annotations

import logging

import numpy as np

from ...integrate import DOP853, HAIRER_CONTROLLER, SCIPY_CONTROLLER, Checkpoint, Controller
from ...io import Var
from . import exact
from .model import NLSE

log = logging.getLogger(__name__)


def initial_field(model: NLSE, p: dict) -> np.ndarray:
    """ψ(x, time.start) for the case's ``[initial]`` section."""
    ini, t0 = p["initial"], p["time"]["start"]
    x, beta, gamma = model.x, model.beta, model.gamma
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
    if kind == "plane_wave":
        k0 = 2 * np.pi / model.L * np.rint(ini["wavenumber"] * model.L / (2 * np.pi))
        psi = ini["amplitude"] * np.exp(1j * k0 * x) + 0j
    elif kind == "gaussian":
        psi = ini["amplitude"] * np.exp(-((x - ini["position"]) / ini["width"]) ** 2 / 2
                                        + 1j * ini["wavenumber"] * x)
    else:  # pragma: no cover - the schema rejects other kinds
        raise ValueError(kind)
    if ini["noise"] > 0:
        rng = np.random.default_rng(ini["seed"])
        xi = rng.standard_normal(model.N) + 1j * rng.standard_normal(model.N)
        psi = psi + ini["noise"] * np.abs(psi).max() * xi / np.sqrt(2)
    return psi


class Simulation:
    """One NLSE run: coordinates, variables, and a generator of snapshots."""

    solver = "nlse"

    def __init__(self, params: dict):
        self.params = p = params
        num = p["numerics"]
        self.model = NLSE(p["grid"]["L"], p["grid"]["N"], p["model"]["beta"], p["model"]["gamma"],
                          num["dealias"], num["filter"], num["filter_alpha"], num["filter_order"])
        t0, t1, every = p["time"]["start"], p["time"]["end"], p["output"]["every"]
        n = int(np.floor((t1 - t0) / every * (1 + 1e-12))) + 1
        times = t0 + every * np.arange(n)
        if t1 - times[-1] > 1e-9 * every:
            times = np.append(times, t1)
        self.times = times

    # -- what the frame writes -------------------------------------------------
    def coords(self) -> dict:
        m = self.model
        return {
            "x": (("x",), m.x, {"units": "1", "long_name": "position x"}),
            "k": (("k",), m.k, {"units": "1", "long_name": "wavenumber k (FFT order)"}),
        }

    def variables(self) -> dict[str, Var]:
        scalar = lambda name: Var(("time",), np.float64, {"units": "1", "long_name": name})  # noqa
        return {
            "psi": Var(("time", "x"), np.complex128, {"units": "1", "long_name": "field psi(x, t)"}),
            "mass": scalar("mass N = int |psi|^2 dx"),
            "momentum": scalar("momentum P = int Im(psi* psi_x) dx"),
            "energy": scalar("Hamiltonian H = int (beta |psi_x|^2 - gamma/2 |psi|^4) dx"),
            "energy_discrete": scalar("the scheme's exact invariant H_M (masked quartic term)"),
        }

    def restart_variables(self) -> dict[str, Var]:
        return {"y": Var(("k",), np.complex128, {}), "f": Var(("k",), np.complex128, {})}

    def attrs(self) -> dict:
        p = self.params
        return {"L": p["grid"]["L"], "N": p["grid"]["N"], "beta": p["model"]["beta"],
                "gamma": p["model"]["gamma"], "formulation": p["numerics"]["formulation"],
                "convention": "i psi_t + beta psi_xx + gamma |psi|^2 psi = 0, x in [-L/2, L/2)"}

    # -- the run ------------------------------------------------------------------
    def _stepper(self, c0, t0):
        num, m = self.params["numerics"], self.model
        ctrl = SCIPY_CONTROLLER if num["controller"] == "scipy" else HAIRER_CONTROLLER
        if num["pi_beta"]:
            ctrl = Controller(ctrl.safety, ctrl.min_factor, ctrl.max_factor, num["pi_beta"])
        interaction = num["formulation"] == "interaction"
        return DOP853(m.rhs_interaction if interaction else m.rhs_lines, t0, c0,
                      self.params["time"]["end"], rtol=num["rtol"], atol=num["atol"],
                      first_step=num["first_step"] or None, max_step=num["max_step"],
                      controller=ctrl, frame=m if interaction else None,
                      max_steps=num["max_steps"])

    def snapshot(self, c) -> dict:
        return {"psi": self.model.to_field(c), **self.model.invariants(c)}

    def run(self, start: int = 0, checkpoint: dict | None = None):
        """Yield (time, data, checkpoint dict, stats dict) for snapshots start, start+1, ..."""
        m = self.model
        if checkpoint is None:
            c0 = m.to_coeffs(initial_field(m, self.params))
            st = self._stepper(c0, self.times[0])
            self.stepper = st
            yield self.times[0], self.snapshot(c0), self._cp(st), st.stats.as_dict()
            start = 1
        else:
            st = self._stepper(checkpoint["y"], float(checkpoint["t"]))
            st.restore(Checkpoint.from_record(checkpoint))
            self.stepper = st
        for i in range(start, len(self.times)):
            t_out = self.times[i]
            while st.t < t_out:
                st.step()
            c = st.y if t_out == st.t else st.dense(t_out)
            yield t_out, self.snapshot(c), self._cp(st), st.stats.as_dict()

    @staticmethod
    def _cp(st) -> dict:
        return st.checkpoint().to_record()

    def progress_info(self) -> dict:
        st = getattr(self, "stepper", None)
        if st is None:
            return {}
        return {"t": st.t, "h": st.h_abs, "steps": st.stats.naccept}
