"""Glue between the example-series generators, the frame's output and the ordinal analysis.

A run generates the whole series (the slowest, a DOP853 orbit of 10^5 samples,
takes seconds), writes it in blocks along ``time``, and at the end stores the
analysis of ``analysis.variable`` (H, C, the regime of ``regime_test`` and its
reason, missing patterns) as
attributes ``ordinal_*`` of the file.
"""
from __future__ import annotations

import logging
import warnings

import numpy as np

from .. import contract
from ...inputs import SOURCE_KINDS
from ...io import Record, Var
from . import generators as gen
from .schema import OUTPUTS

log = logging.getLogger(__name__)

UNITS = {"theta1": "rad", "theta2": "rad", "x1": "m", "y1": "m", "x2": "m", "y2": "m",
         "energy": "J"}


def generate(p: dict) -> dict:
    """The case's series as a dict of arrays."""
    s, n, dt = p["signal"], p["sampling"]["samples"], p["sampling"]["dt"]
    kind = s["kind"]
    if kind == "sine":
        return gen.sines(n, dt, [s["period"]], [s["amplitude"]], [s["phase"]])
    if kind == "sines":
        return gen.sines(n, dt, s["periods"], s["amplitudes"], s["phases"])
    if kind == "noise":
        return gen.noise(n, s["colour"], s["seed"], s["exponent"])
    if kind == "logistic":
        return gen.logistic(n, s["r"], s["x0"], s["discard"])
    if kind == "henon":
        return gen.henon(n, s["a"], s["b"], s["x0"], s["y0"], s["discard"])
    args = {k: v for k, v in s.items() if k != "kind"}
    if kind == "double_pendulum":
        return gen.double_pendulum(n, dt, **args)
    pos, vel = args.pop("position"), args.pop("velocity")
    return gen.galactic_orbit(n, dt, pos, vel, **args)


class Simulation(contract.Simulation):
    """One example series: coordinates, variables, blocks of samples, and its analysis."""

    solver = "peccary"
    distributed = False

    def __init__(self, params: dict, inputs=None):
        self.params = p = params
        n, dt = p["sampling"]["samples"], p["sampling"]["dt"]
        self.times = p["sampling"]["start"] + dt * np.arange(n)
        self.given = (inputs.array("x", {"time": self.times}, float)
                      if p["signal"]["kind"] in SOURCE_KINDS else None)
        self.names = OUTPUTS[p["signal"]["kind"]]
        self.block = min(p["output"]["block"], n)
        self.series = None
        self._summary = {}

    def coords(self) -> dict:
        return {}

    def variables(self) -> dict[str, Var]:
        return {k: Var(("time",), np.float64, {"units": UNITS.get(k, "1"), "long_name": k})
                for k in self.names}

    def restart_variables(self) -> dict:
        return {}

    def attrs(self) -> dict:
        return {"time_attrs": {"units": "1", "long_name": "time t_k = start + k dt"},
                "convention": "t_k = sampling.start + k sampling.dt; ordinal analysis of analysis.variable"}

    def run(self, resume=None):
        """Yield the series in blocks along time (a series is regenerated, never resumed)."""
        self.series = generate(self.params) if self.given is None else {"x": self.given}
        for i in range(0, len(self.times), self.block):
            sl = slice(i, i + self.block)
            yield Record("time", self.times[sl], {k: self.series[k][sl] for k in self.names})

    def checkpoint(self):
        return None

    def stats(self) -> dict:
        return {}

    def progress_info(self) -> dict:
        return {}

    def summary(self) -> dict:
        """Attributes ``ordinal_*``: the analysis the case asks for."""
        from ...analysis.ordinal import (OrdinalWarning, complexity_entropy, natural_timescale,
                                         regime_test)
        a, dt = self.params["analysis"], self.params["sampling"]["dt"]
        x = self.series[a["variable"]]
        out = {}
        if a["t_pat_ratio"] > 0:
            t_nat = natural_timescale(x, dt, a["t_nat_method"])
            delay = max(1, int(round(a["t_pat_ratio"] * t_nat / ((a["n"] - 1) * dt))))
            out["ordinal_t_nat"] = t_nat
        else:
            delay = a["delay"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OrdinalWarning)
            r = complexity_entropy(x, a["n"], delay)
            reg = regime_test(x, a["n"], delay, dt=dt, t_nat=out.get("ordinal_t_nat"),
                              method=a["t_nat_method"])
        out.update(ordinal_variable=a["variable"], ordinal_n=a["n"], ordinal_delay=delay,
                   ordinal_t_pat=(a["n"] - 1) * delay * dt, ordinal_H=float(r["H"]),
                   ordinal_C=float(r["C"]), ordinal_regime=reg["regime"],
                   ordinal_regime_reason=reg["reason"],
                   ordinal_regime_plane=str(r["regime"].values),
                   ordinal_zero_one_K=float(reg["evidence"]["zero_one_K"]),
                   ordinal_surrogate_missing_max=int(
                       -1 if reg["evidence"]["surrogate_missing_max"] is None
                       else reg["evidence"]["surrogate_missing_max"]),
                   ordinal_missing_patterns=int(r["missing_patterns"]),
                   ordinal_missing_expected_white=float(r["missing_expected_white"]),
                   ordinal_tie_fraction=float(r["tie_fraction"]))
        if caught:
            out["ordinal_warnings"] = "; ".join(str(w.message) for w in caught)
        msg = (f"{a['variable']}: n = {a['n']}, delay = {delay}: H = {out['ordinal_H']:.4f}, "
               f"C = {out['ordinal_C']:.4f}, {out['ordinal_regime']}")
        if a["expected"]:
            msg += f" (the paper: {a['expected']})"
        log.info(msg)
        return out
