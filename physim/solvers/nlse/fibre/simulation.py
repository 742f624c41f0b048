"""Glue between the fibre GNLSE, its stepper (DOP853 or ERK4(3)-IP) and the frame's output.

The stepping, snapshots at ``output.every``, restart and the spreading of ensemble
members over MPI ranks are those of the normalised NLSE (:mod:`..simulation`); the
record axis is the frame's ``time`` axis, here the propagation distance z (units: the
case's fibre.units). A single member runs on one rank (a 1-D field).
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ....integrate import HAIRER_CONTROLLER, SCIPY_CONTROLLER
from ....integrate.erk43ip import ERK43IP
from ....inputs import SOURCE_KINDS, Inputs, fail
from ....io import Var
from ....parallel import SerialComm, local_members, member_rng
from ..simulation import LayoutError, Simulation as NLSESimulation
from . import tables
from .model import C_NM_PS, GNLSE, mode_offsets, raman_spectrum
from .schema import INPUTS, LENGTH_UNITS, pulse_t0
from .tables import C_M_PS

log = logging.getLogger(__name__)

# the field's level in the grid's outer twelfths that counts as reaching the edge: the
# -40 dB band, the dynamic range the supercontinuum literature plots and compares
EDGE_LEVEL_DB = -40.0


def fibre_tables(p: dict, inputs=None) -> dict:
    """The tabulated fibre properties of a validated case as GNLSE keywords (dispersion,
    alpha, area, gamma), the tables read through ``inputs`` (kind array or file)."""
    f = p["fibre"]
    if inputs is None:  # file tables need no Python inputs; array ones then say so
        inputs = Inputs(p, INPUTS)
    g = p["grid"]
    omega0 = 2 * np.pi * C_NM_PS / g["wavelength"]
    unit_m = LENGTH_UNITS[f["units"]]
    # where a table given as a callable of the wavelength is sampled: the grid's modes,
    # in ascending wavelength (a spline through them is exact on them)
    w_abs = np.sort(omega0 + mode_offsets(g["N"], g["window"]))[::-1]
    grid_nm = 2 * np.pi * C_NM_PS / w_abs if w_abs[-1] > 0 else None
    out = {}
    d = p["dispersion"]
    if d["kind"] in SOURCE_KINDS:
        q = d["quantity"]
        other = "n_eff" if q == "beta" else "beta"
        if other in inputs.given and q not in inputs.given:
            fail("dispersion.quantity", f"{q!r}, but the table given is {other!r}; set "
                 f"dispersion.quantity = {other!r}")
        lam, v = inputs.table(q, "wavelength", min_points=4, at=grid_nm)
        out["dispersion"] = tables.dispersion(f"dispersion.{q}", lam, v, q, unit_m, omega0,
                                              d["outside"])
    if p["loss"]["kind"] in SOURCE_KINDS:
        lam, v = inputs.table("loss", "wavelength", min_points=2, at=grid_nm)
        out["alpha"] = tables.loss("loss.loss", lam, v, p["loss"]["outside"])
    if p["area"]["kind"] in SOURCE_KINDS:
        lam, v = inputs.table("area", "wavelength", min_points=2, at=grid_nm)
        out["area"], a0 = tables.area("area.area", lam, v, p["area"]["outside"], omega0)
        # γ0 = n2 ω0 / (c Aeff(ω0)): n2 m²/W, ω0 in 1/s, Aeff in m², per length unit
        out["gamma"] = f["n2"] * omega0 * 1e12 / (C_M_PS * 1e12 * a0 * 1e-12) * unit_m
    return out


def build_model(p: dict, inputs=None) -> GNLSE:
    """The GNLSE of a validated case (lengths in the case's fibre.units); tabulated fibre
    properties come through ``inputs`` (:func:`fibre_tables`)."""
    f, g, r = p["fibre"], p["grid"], p["raman"]
    raman, fraction = None, 0.0
    if r["kind"] != "none" and r["fraction"] > 0:
        fraction = r["fraction"]
        kw = {}
        if r["kind"] in ("blow_wood", "lin_agrawal"):
            kw = dict(tau1=r["tau1"] * 1e-3, tau2=r["tau2"] * 1e-3)
        if r["kind"] == "lin_agrawal":
            kw.update(tau_b=r["tau_b"] * 1e-3, f_b=r["f_b"])
        kind = r["kind"]

        def raman(w):
            return raman_spectrum(kind, w, **kw)
    tau = None if f["tau_shock"] == 0 else f["tau_shock"] * 1e-3
    if not f["self_steepening"]:
        tau = 0.0
    fibre = {"alpha": f["loss"] * math.log(10) / 10, "gamma": f["gamma"],
             **fibre_tables(p, inputs)}
    return GNLSE(g["N"], g["window"], g["wavelength"], f["beta"], tau_shock=tau,
                 raman=raman, fraction=fraction, dealias=p["numerics"]["dealias"],
                 fft=p["numerics"]["fft"], step_levels=p["numerics"]["step_levels"], **fibre)


def pulse_field(model: GNLSE, pulse: dict) -> np.ndarray:
    """A(T) of a sech, gaussian or super_gaussian pulse section, in sqrt(W)."""
    T0 = pulse_t0(pulse)
    x = (model.T - pulse["delay"] * 1e-3) / T0
    if pulse["kind"] == "sech":
        env = 1 / np.cosh(np.clip(x, -700, 700))
    else:
        m = pulse.get("order", 1)
        env = np.exp(-np.abs(x) ** (2 * m) / 2)
    return np.sqrt(pulse["peak_power"]) * env * np.exp(-0.5j * pulse["chirp"] * x * x)


class Simulation(NLSESimulation):
    """One GNLSE run (or an ensemble of shot-noise realisations) on ``comm``."""

    solver = "gnlse"
    distributed = True

    def __init__(self, params: dict, comm=None, inputs=None):
        self.params = p = params
        self.comm = comm = comm if comm is not None else SerialComm()
        self.dim = 1
        self.model = build_model(p, inputs)
        self.A0 = (inputs.array("A", {"T": self.model.T}, complex, periodic=("T",))
                   if p["pulse"]["kind"] in SOURCE_KINDS else None)
        M = p["ensemble"]["members"]
        self.ensemble = M > 1
        if self.ensemble:
            self.members = local_members(M, comm)
            if comm.size > M:
                log.warning("%d ranks for %d ensemble members: %d ranks stay idle",
                            comm.size, M, comm.size - M)
        else:
            if comm.size > 1:
                raise LayoutError(
                    f"a GNLSE run is not split over ranks (launched on {comm.size}); run it "
                    "on one rank, or ask for several shot-noise realisations with "
                    "ensemble.members (they are spread over the ranks)")
            self.members = range(1)
        self.split_dim = "ensemble" if self.ensemble else "T"
        self.lockstep = False
        L, every = p["fibre"]["length"], p["output"]["every"]
        n = int(np.floor(L / every * (1 + 1e-12))) + 1
        times = every * np.arange(n)
        if L - times[-1] > 1e-9 * every:
            times = np.append(times, L)
        self.times = times
        self.t_end = L
        self.steppers = []
        self._warned = set()  # each under-resolution warning is given once
        self._t_snap = times[0]

    # -- the initial state ------------------------------------------------------------
    def _initial_coeffs(self, model, member):
        pulse = self.params["pulse"]
        A = self.A0.copy() if self.A0 is not None else pulse_field(model, pulse)
        c = model.to_coeffs(A)
        if self.params["noise"]["shot_noise"]:
            c = c + model.shot_noise(member_rng(self.params["noise"]["seed"], member))
        return c

    # -- what the frame writes ----------------------------------------------------------
    def coords(self) -> dict:
        m = self.model
        out = self._ensemble_coord()
        out["T"] = (("T",), m.T, {"units": "ps", "long_name": "retarded time T"})
        nu = m.frequency
        # ascending, as every coordinate; the wavelength is 299792.458 / frequency nm
        out["frequency"] = (("frequency",), nu, {"units": "THz",
                                                 "long_name": "optical frequency nu"})
        return out

    def variables(self) -> dict[str, Var]:
        lead = self._lead()

        def scalar(units, long_name):
            return Var(lead, np.float64, {"units": units, "long_name": long_name})
        return {
            "A": Var(lead + ("T",), np.complex128,
                     {"units": "W^(1/2)", "long_name": "field envelope A(z, T)"}),
            "spectrum": Var(lead + ("frequency",), np.float64,
                            {"units": "pJ/THz", "long_name": "energy spectral density "
                             "|A~(nu)|^2, A~ = int A exp(i omega T) dT"}),
            "energy": scalar("pJ", "pulse energy int |A|^2 dT"),
            "photon_number": scalar("1", "photon number sum |A~|^2 / (hbar omega) dnu"),
            "peak_power": scalar("W", "peak power max |A|^2"),
            "mean_frequency": scalar("THz", "spectral centroid int nu |A~|^2 / int |A~|^2"),
        }

    def attrs(self) -> dict:
        p, m = self.params, self.model
        unit = p["fibre"]["units"]
        out = {"N": m.N, "window_ps": m.window, "wavelength_nm": m.wavelength,
               "carrier_frequency_THz": m.nu0, "tau_shock_ps": m.tau_shock,
               "raman_fraction": m.fraction, "formulation": p["numerics"]["formulation"], "fft": m.transforms.name,
               "mpi_ranks": self.comm.size, "mpi_rank": self.comm.rank,
               "split_dim": self.split_dim,
               # what the fibre tables made of the case: gamma0 with an area table
               f"gamma_per_W_{unit}": m.gamma,
               "fibre_tables": ", ".join(
                   f"{sec}: {p[sec]['kind']}" + (f" ({p[sec]['quantity']})"
                                                  if sec == "dispersion" else "")
                   for sec in ("dispersion", "loss", "area")
                   if p[sec]["kind"] in SOURCE_KINDS) or "none",
               "time_attrs": {"units": unit, "long_name": "propagation distance z"},
               "convention": "dA/dz = -alpha/2 A + sum_n i^(n+1) beta_n/n! d_T^n A + i gamma "
                             "(1 + i tau_shock d_T)[A((1-f_R)|A|^2 + f_R h_R*|A|^2)], "
                             "T in [-W/2, W/2); the record axis 'time' is z"}
        if self.ensemble:
            out["members"] = p["ensemble"]["members"]
            out["seeding"] = "member i: shot noise from numpy default_rng([noise.seed, i])"
        return out

    def restart_variables(self) -> dict[str, Var]:
        lead = ("ensemble",) if self.ensemble else ()
        full = (len(self.members), self.model.N) if self.ensemble else (self.model.N,)
        return {name: Var(lead + ("spectral_0",), np.complex128, {}, shape=full)
                for name in ("y", "f")}

    def _stepper(self, model, c0, t0):
        num = self.params["numerics"]
        if num["method"] == "dop853":
            return super()._stepper(model, c0, t0)
        ctrl = SCIPY_CONTROLLER if num["controller"] == "scipy" else HAIRER_CONTROLLER
        return ERK43IP(model, t0, c0, self.t_end, rtol=num["rtol"], atol=num["atol"],
                       first_step=num["first_step"] or None, max_step=num["max_step"],
                       controller=ctrl, norm=model.norm, max_steps=num["max_steps"])

    def _check_resolution(self, model, c):
        """Warn once each when the spectrum or the pulse reaches the edge of its grid."""
        if len(self._warned) == 2:
            return
        levels = dict(zip(("spectrum", "time"), model.edge_levels(c)))
        for what, level in levels.items():
            if level <= EDGE_LEVEL_DB or what in self._warned:
                continue
            self._warned.add(what)
            where = (f"the spectrum reaches {level:.1f} dB of its peak in the outer twelfth of "
                     f"the frequency grid ({model.frequency[0]:.4g}-{model.frequency[-1]:.4g} "
                     "THz)" if what == "spectrum" else
                     f"the pulse reaches {level:.1f} dB of its peak power in the outer twelfth "
                     "of the time window (it wraps round the periodic window)")
            fix = (f"raise grid.N or narrow grid.window (the grid spans N / window = "
                   f"{model.N / model.window:.4g} THz)" if what == "spectrum" else
                   "widen grid.window (and raise grid.N with it to keep the spectral span)")
            log.warning("gnlse: under-resolved at z = %.6g %s: %s; a resolved run stays below "
                        "%g dB there: %s", self._t_snap, self.params["fibre"]["units"], where,
                        EDGE_LEVEL_DB, fix)

    def _snapshot_one(self, model, c) -> dict:
        self._check_resolution(model, c)
        A = model.to_field(c)
        return {"A": A, "spectrum": model.spectrum(c), "energy": model.energy(c),
                "photon_number": model.photon_number(c),
                "peak_power": float(np.max(A.real ** 2 + A.imag ** 2)),
                "mean_frequency": model.mean_frequency(c)}

    def _empty_snapshot(self, names) -> dict:
        n = self.model.N
        return {k: np.empty((0, n), dtype=np.complex128 if k == "A" else float)
                if k in ("A", "spectrum") else np.empty(0) for k in names}
