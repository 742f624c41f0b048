"""Case schema of the Boltzmann solver (gas or binary mixture, homogeneous or 1-D in x)."""
from ...cases import FRAME_OUTPUT, REQUIRED, Param, Schema, Variants
from ...inputs import SOURCE_KINDS, Input, source_kinds
from .transport import BOUNDARIES, LIMITERS

_PER = "float|floats"

INITIAL = Variants("kind", {
    "maxwellians": {
        "density": Param(REQUIRED, "float|floats", "number density of each species", min=0,
                         min_open=True),
        "drift": Param(0.0, "float|floats", "mean velocity of each species along v_x"),
        "temperature": Param(REQUIRED, "float|floats", "temperature of each species (k_B = 1)",
                             min=0, min_open=True),
    },
    "bimodal": {
        "density": Param(REQUIRED, "float|floats", "number density of each species", min=0,
                         min_open=True),
        "drift": Param(REQUIRED, "float|floats", "half separation of the two beams along v_x "
                       "(velocity units)", min=0),
        "offset": Param(0.0, "float|floats", "mean velocity of each species along v_x"),
        "temperature": Param(REQUIRED, "float|floats", "temperature of each beam", min=0,
                             min_open=True),
    },
    "bkw": {
        "t0": Param(6.5, float, "start on the BKW solution at this time (3-D needs t0 >= "
                    "6 ln 2.5 = 5.498)", min=0),
    },
    "riemann": {
        "position": Param(0.5, float, "the discontinuity, as a fraction of space.length",
                          min=0, max=1),
        "density_left": Param(REQUIRED, _PER, "number density of each species left of it",
                              min=0, min_open=True),
        "density_right": Param(REQUIRED, _PER, "... right of it", min=0, min_open=True),
        "temperature_left": Param(REQUIRED, _PER, "temperature of each species left of it",
                                  min=0, min_open=True),
        "temperature_right": Param(REQUIRED, _PER, "... right of it", min=0, min_open=True),
        "drift_left": Param(0.0, _PER, "mean velocity u_x of each species left of it"),
        "drift_right": Param(0.0, _PER, "... right of it"),
    },
    "wave": {
        "density": Param(REQUIRED, _PER, "mean number density of each species", min=0,
                         min_open=True),
        "temperature": Param(REQUIRED, _PER, "mean temperature of each species", min=0,
                             min_open=True),
        "drift": Param(0.0, _PER, "mean velocity u_x of each species"),
        "amplitude": Param(0.1, _PER, "relative density perturbation of each species",
                           min=0, max=0.99),
        "temperature_amplitude": Param(0.0, _PER, "relative temperature perturbation",
                                       min=0, max=0.99),
        "mode": Param(1, int, "wave number: the perturbation is sin(2 pi mode x / length)",
                      min=1),
    },
    # one input per species, f_<species> (see INPUTS): a file has no single 'variable'
    **source_kinds([], {"t0": Param(0.0, float, "the time of the given state: the run "
                                    "goes from t0 to time.end")}),
}, doc="maxwellians: one Maxwellian per species; bimodal: two beams at +-drift per species "
       "(anisotropic, far from equilibrium); bkw: the exact BKW solution (one species, "
       "Maxwell molecules; at collision.self_rates = r, error_bkw compares with it at t0 + "
       "r (t - t0)); the homogeneous kinds fill every cell alike. riemann: "
       "two Maxwellian states either side of a point (a shock tube); wave: Maxwellians with "
       "a sinusoidal density (and temperature) perturbation (space.cells > 0 for both). "
       "array (from the Python API) and file (any physim boltzmann output, or netCDF/HDF5 "
       "on the run's velocity grids and cells) give f_<species> itself, on the grid "
       "<species>_vx, _vy[, _vz] (and x, the cell centres, in a 1-D run)")

SECTIONS = {
    "species": {
        # bounded so that m^(d/2), m |v|^2 and (m_L + m_H)^2 stay finite: 1e300 overflowed
        # deep in the Maxwellian (the AP scheme is tested to m_H / m_L = 1e12)
        "masses": Param(1.0, "float|floats", "particle mass of each species (one or two), "
                        "in the units where k_B T ~ 1", min=1e-12, max=1e12, length=2),
        "names": Param("", str, "comma-separated species names (default 'gas' or "
                       "'light,heavy')"),
    },
    "collision": {
        "gamma": Param(0.0, float, "VHS exponent: B = rate/|S| |q|^gamma (0 Maxwell molecules, "
                       "1 hard spheres)", min=-1.0, max=1.0),
        "self_rates": Param(1.0, "float|floats", "rate of each species' self-collisions", min=0,
                            length=2),
        "cross_rate": Param(1.0, float, "rate of the cross collisions", min=0),
        "method": Param("auto", str, "self-collision operator: carleman (Mouhot-Pareschi, 2-D "
                        "Maxwell or 3-D hard spheres), general (GHHH), auto",
                        choices=("auto", "carleman", "general")),
    },
    "velocity": {
        "d": Param(2, int, "velocity dimension", choices=(2, 3)),
        "N": Param(32, int, "grid points per velocity axis (even)", min=8, max=512),
        "L": Param(REQUIRED, float, "the grid covers [-L, L)^d (the light species' grid with "
                   "scheme.kind = 'ap')", min=0, min_open=True),
        "L_heavy": Param(0.0, float, "ap: the heavy grid's half width (0: 8 sqrt(T_H / m_H) "
                         "beyond the heavy's fastest initial mean velocity; needed with "
                         "initial.kind = 'array' or 'file')", min=0),
        "R": Param(0.0, float, "truncation of the relative speed (0: 4L / (3 + sqrt 2))", min=0),
        "M": Param(0, int, "directions of the sphere rule (0: default)", min=0),
        "n_rho": Param(0, int, "radial nodes of the general operator (0: N)", min=0),
    },
    "scheme": {
        "kind": Param("full", str, "full: all four operators on one grid, RK4; penalised: "
                      "the same operators, one BGK-penalised step (stable for any dt times "
                      "the collision rate: fluid limits); ap: the asymptotic-preserving "
                      "scheme for disparate masses (truncated cross operators, each species "
                      "on its own grid)", choices=("full", "penalised", "ap")),
    },
    "numerics": {
        "allow_underresolved": Param(False, bool, "run on an under-resolved velocity grid: "
                                     "f at the truncation radius R/2 from its mean velocity "
                                     "(over support_tolerance of max f), "
                                     "on the box's faces (1e-3), below -1e-3 of max f, or H "
                                     "rising (5e-5 per particle per step, homogeneous). false: "
                                     "the run stops at the first, naming the fix (a larger "
                                     "velocity.L or N); true: each is logged once"),
        "support_tolerance": Param(1e-4, float, "largest accepted f at R/2 from the mean "
                                   "velocity, as a fraction of max f: the collisions beyond "
                                   "the truncation radius R are dropped, a relative error of "
                                   "Q about its square (2-D BKW: L = 10 reaches 6.6e-6, L = 8 "
                                   "7.3e-4)", min=0, min_open=True),
    },
    "space": {
        "cells": Param(0, int, "finite-volume cells in x (0: spatially homogeneous); the "
                       "cells are split over the MPI ranks", min=0),
        "length": Param(1.0, float, "the domain is [0, length)", min=0, min_open=True),
        "boundary": Param("periodic", str, "periodic; specular (reflecting walls); diffuse "
                          "(walls re-emit what reaches them as a Maxwellian at the wall's "
                          "temperature and velocity); outflow (zero gradient, waves leave)",
                          choices=BOUNDARIES),
        "wall_temperature": Param([1.0, 1.0], "floats", "diffuse: temperature of the left "
                                  "and the right wall", min=0, min_open=True, length=2),
        "wall_velocity": Param([0.0, 0.0], "floats", "diffuse: velocity u_y of the left and "
                               "the right wall, along the wall (Couette flow)", length=2),
        "limiter": Param("vanleer", str, "slope limiter of the transport (upwind: first order)",
                         choices=tuple(LIMITERS)),
        "light_transport": Param("explicit", str, "transport of the light species with "
                                 "scheme.kind = 'ap': explicit (the flux-limited upwind "
                                 "scheme, dt <= dx / velocity.L); ap (asymptotic-preserving "
                                 "micro-macro step with the Lorentz relaxation implicit: "
                                 "its diffusive limit at any dt, which is then bounded by "
                                 "the heavy's transport, dt <= dx / L_heavy; periodic box, "
                                 "one rank)", choices=("explicit", "ap")),
    },
    "initial": INITIAL,
    "time": {
        "dt": Param(REQUIRED, float, "time step", min=0, min_open=True),
        "end": Param(REQUIRED, float, "end time: the run goes from its start (initial.t0, "
                     "0 unless given) to t = end, as in every solver", min=0, min_open=True),
        "growth": Param(1.0, float, "each step is this factor longer than the one before "
                        "(> 1: resolve every stage of a multi-scale relaxation; needs "
                        "output.steps)", min=1.0, max=2.0),
        "dt_max": Param(0.0, float, "cap of the growing step (0: none)", min=0),
    },
    "output": {
        "every": Param(1.0, float, "time between snapshots of the distributions (moments "
                       "and entropies are kept at every step)", min=0, min_open=True),
        "steps": Param(0, int, "steps between snapshots (0: from output.every)", min=0),
        **FRAME_OUTPUT,
    },
}


def species_values(p: dict, key: str, section: str = "initial") -> list:
    """A per-species list from a number-or-list parameter."""
    n = len(masses(p))
    v = p[section][key]
    return [float(x) for x in (v if isinstance(v, list) else [v] * n)]


def masses(p: dict) -> list:
    m = p["species"]["masses"]
    return [float(x) for x in (m if isinstance(m, list) else [m])]


def names(p: dict) -> list:
    return _names(len(masses(p)), p["species"]["names"])


def _names(n: int, text: str) -> list:
    given = [s.strip() for s in text.split(",") if s.strip()]
    return given or (["gas"] if n == 1 else ["light", "heavy"])


def INPUTS(case: dict) -> dict:
    """The inputs of a case (raw or validated): the initial distribution of each species,
    named as the output writes it (f_gas, f_light and f_heavy, or f_<species.names>)."""
    sp = case.get("species")
    sp = sp if isinstance(sp, dict) else {}
    m, text = sp.get("masses", 1.0), sp.get("names", "")
    n = len(m) if isinstance(m, (list, tuple)) else 1
    species = _names(n, text if isinstance(text, str) else "")
    return {f"f_{s}": Input("initial", f"the initial distribution of {s}: f({s}_vx, {s}_vy"
                            f"[, {s}_vz]), in a 1-D run f(x, {s}_vx, ...); >= 0")
            for s in species}


def initial_temperatures(p: dict) -> list:
    """The hottest initial temperature of each species (the grids must hold it)."""
    keys = [k for k in ("temperature", "temperature_left", "temperature_right")
            if k in p["initial"]]
    T = [max(col) for col in zip(*(species_values(p, k) for k in keys))]
    if "temperature_amplitude" in p["initial"]:
        T = [t * (1 + a) for t, a in zip(T, species_values(p, "temperature_amplitude"))]
    return T


HEAVY_THERMAL_SPEEDS = 8.0


def initial_speeds(p: dict) -> list:
    """The largest |mean velocity| of each species' initial state, beams included."""
    init = p["initial"]
    keys = [k for k in ("drift", "offset", "drift_left", "drift_right") if k in init]
    per_key = [[abs(v) for v in species_values(p, k)] for k in keys]
    if init["kind"] == "bimodal":  # beams at offset +- drift
        return [a + b for a, b in zip(*per_key)]
    return [max(col) for col in zip(*per_key)] if per_key else [0.0] * len(masses(p))


def heavy_half_width(p: dict, eps: float) -> float:
    """The heavy grid of the AP scheme: eight heavy thermal speeds sqrt(T_H / m_H) beyond
    its fastest initial mean velocity, unless velocity.L_heavy is set.

    Why eight: the heavy Fokker-Planck operator takes spectral derivatives, which need
    about two grid points per thermal speed at N = 24 (a grid as wide, in thermal
    speeds, as the light one left the discrete equilibrium at T_L - T_H = -2.3e-3, and H
    rose at the end of the runs; eight gives -5.7e-4 and no rise), while the support of
    f_H must stay inside the box for the spectral Q_HH.
    """
    if p["velocity"]["L_heavy"] > 0:
        return p["velocity"]["L_heavy"]
    if p["initial"]["kind"] == "bkw":
        return eps * p["velocity"]["L"]
    m_H = masses(p)[1]
    return HEAVY_THERMAL_SPEEDS * (initial_temperatures(p)[1] / m_H) ** 0.5 \
        + initial_speeds(p)[1]


def _checks(p):
    problems = []
    n = len(masses(p))
    given = [s.strip() for s in p["species"]["names"].split(",") if s.strip()]
    if given and (len(given) != n or len(set(given)) != n
                  or not all(g.isidentifier() for g in given)):
        problems.append(f"species.names: {p['species']['names']!r}: expected {n} distinct "
                        "identifiers, one per mass")
    for sec, key in (("collision", "self_rates"),) + tuple(
            ("initial", k) for k, par in INITIAL.options[p["initial"]["kind"]].items()
            if par.type == _PER):
        v = p[sec][key]
        if isinstance(v, list) and len(v) != n:
            problems.append(f"{sec}.{key}: {len(v)} values for {n} species")
    if p["initial"]["kind"] == "bkw":
        if n != 1 or p["collision"]["gamma"] != 0:
            problems.append("initial.kind = 'bkw': needs one species and Maxwell molecules "
                            "(collision.gamma = 0)")
        if p["velocity"]["d"] == 3 and p["initial"]["t0"] < 5.4977:
            problems.append(f"initial.t0 = {p['initial']['t0']}: the 3-D BKW solution is a "
                            "density only from 6 ln 2.5 = 5.498")
    if p["scheme"]["kind"] == "ap":
        m = masses(p)
        if n != 2 or m[1] < 4 * m[0]:
            problems.append(f"scheme.kind = 'ap': needs two species, the light first, with "
                            f"m_H >= 4 m_L (got species.masses = {p['species']['masses']})")
        kind = p["initial"]["kind"]
        if kind in SOURCE_KINDS and not p["velocity"]["L_heavy"]:
            problems.append(f"velocity.L_heavy: scheme.kind = 'ap' with initial.kind = "
                            f"{kind!r} needs the heavy grid's half width (the default comes "
                            "from the initial temperatures): about 8 sqrt(T_H / m_H) beyond "
                            "the heavy's largest |mean velocity|, or the L_heavy of the run "
                            "the file comes from")
    N = p["velocity"]["N"]
    if N % 2:
        problems.append(f"velocity.N = {N}: expected an even number")
    M, d = p["velocity"]["M"], p["velocity"]["d"]
    if M and d == 3:
        k = round((M / 2) ** 0.5)
        if 2 * k * k != M:
            problems.append(f"velocity.M = {M}: in 3-D expected 2 n^2 directions (32, 72, 128...)")
    problems += _space_checks(p)
    dt, every = p["time"]["dt"], p["output"]["every"]
    if p["time"]["growth"] > 1 and not p["output"]["steps"]:
        problems.append(f"time.growth = {p['time']['growth']}: growing steps need "
                        "output.steps (snapshots every so many steps)")
    elif not p["output"]["steps"] and abs(every / dt - round(every / dt)) > 1e-9 * every / dt:
        problems.append(f"output.every: {every} must be a whole number of steps of time.dt = {dt}")
    t0 = p["initial"].get("t0", 0.0)
    span = p["time"]["end"] - t0
    if span <= 0:
        problems.append(f"time.end = {p['time']['end']}: the end time must come after the "
                        f"start initial.t0 = {t0} (time.end is the time the run ends at, not "
                        "a duration)")
    elif p["time"]["growth"] == 1 and abs(span / dt - round(span / dt)) > 1e-9 * span / dt:
        problems.append(f"time.end: {p['time']['end']} - initial.t0 = {span:g} must be a whole "
                        f"number of steps of time.dt = {dt}")
    return problems


def _space_checks(p):
    cells, kind = p["space"]["cells"], p["initial"]["kind"]
    if not cells:
        if kind in ("riemann", "wave"):
            return [f"initial.kind = {kind!r}: needs space.cells > 0 (a 1-D run in x)"]
        return []
    problems = []
    if cells < 4:
        problems.append(f"space.cells = {cells}: expected 0 (homogeneous) or at least 4")
    light_ap = p["space"]["light_transport"] == "ap"
    if light_ap and p["scheme"]["kind"] != "ap":
        problems.append(f"space.light_transport = 'ap': needs scheme.kind = 'ap' (a light "
                        f"and a heavy species), got {p['scheme']['kind']!r}")
        return problems  # its step limit would be the explicit one's: beside the point
    if light_ap and p["space"]["boundary"] != "periodic":
        problems.append(f"space.light_transport = 'ap': needs space.boundary = 'periodic' "
                        f"(got {p['space']['boundary']!r})")
    # the light grid is the widest: the transport's Courant number is dt max|v_x| / dx;
    # with the AP light transport only the heavy streams explicitly
    if light_ap and len(masses(p)) == 2:
        m = masses(p)
        width, name = heavy_half_width(p, (m[0] / m[1]) ** 0.5), "velocity.L_heavy"
    else:
        width, name = p["velocity"]["L"], "velocity.L"
    limit = p["space"]["length"] / cells / width
    t = p["time"]
    longest = t["dt"] if t["growth"] == 1 else (t["dt_max"] or float("inf"))
    if longest > limit * (1 + 1e-12):
        key = "time.dt" if t["growth"] == 1 else "time.dt_max"
        problems.append(f"{key} = {longest:g}: the transport needs dt <= dx / max|v_x| = "
                        f"{limit:.6g} (dx = space.length / space.cells, max|v_x| = {name}"
                        f" = {width:.6g})")
    return problems


SCHEMA = Schema("boltzmann", SECTIONS, checks=[_checks])
