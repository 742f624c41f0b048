"""Case schema of the NLSE solver: every key, its default and what is allowed."""
from math import prod as np_prod

from ...cases import FRAME_OUTPUT, REQUIRED, Param, Schema, Variants
from ...inputs import Input, source_kinds

INF = float("inf")

_SOLITON = {
    "amplitude": Param(1.0, float, "peak |psi|", min=0, min_open=True),
    "velocity": Param(0.0, float, "group velocity"),
    "position": Param(0.0, float, "centre at t = time.start"),
    "phase": Param(0.0, float, "phase constant", units="rad"),
}
_SOLITONS = {
    "amplitudes": Param(REQUIRED, "floats", "peak |psi| of each soliton", min=0, min_open=True),
    "velocities": Param(REQUIRED, "floats", "velocity of each soliton"),
    "positions": Param(REQUIRED, "floats", "centre of each soliton at t = time.start"),
    "phases": Param(None, "floats", "phase constant of each soliton (default all 0)"),
}
_NOISE = {
    "noise": Param(0.0, float, "relative amplitude of complex Gaussian noise added to psi", min=0),
    "seed": Param(0, int, "seed of the noise generator (numpy default_rng)", min=0),
}

INITIAL = Variants("kind", {
    "soliton": _SOLITON,
    "solitons": _SOLITONS,
    "akhmediev": {"a": Param(0.25, float, "breather parameter (spatial frequency 2*sqrt(1-2a))",
                             min=0, max=0.5, min_open=True)},
    "peregrine": {},
    "plane_wave": {"amplitude": Param(1.0, float, "background |psi|", min=0, min_open=True),
                   "wavenumber": Param(0.0, float, "carrier wavenumber (rounded to the grid)"),
                   **_NOISE},
    "gaussian": {"amplitude": Param(1.0, float, "peak |psi|", min=0, min_open=True),
                 "width": Param(1.0, "float|floats", "1/e half-width of |psi| (per axis)",
                                min=0, min_open=True),
                 "position": Param(0.0, "float|floats", "centre (per axis)"),
                 "wavenumber": Param(0.0, "float|floats", "carrier wavenumber (per axis)"),
                 **_NOISE},
    "line_soliton": {
        "amplitude": Param(2.0, float, "peak |psi| of the 1-D soliton profile", min=0,
                           min_open=True),
        "velocity_modes": Param(0, int, "carrier wavenumber along the diagonal in units of "
                                "2 pi sqrt(2) / L (an integer keeps the field periodic)"),
    },
    "vortex": {"amplitude": Param(1.0, float, "amplitude of the Gaussian envelope", min=0,
                                  min_open=True),
               "width": Param(2.0, float, "1/e half-width of the envelope", min=0, min_open=True),
               "charge": Param(1, int, "winding number n: psi ~ (x + i y)^n near the core"),
               **_NOISE},
    "vortices": {
        "x": Param(REQUIRED, "floats", "x of each vortex, in [-L_x/2, L_x/2)"),
        "y": Param(REQUIRED, "floats", "y of each vortex, in [-L_y/2, L_y/2) (as many as x)"),
        "charges": Param(None, "int|ints", "winding number of each vortex, nonzero (one "
                         "value: the same for all; default all +1)"),
        "envelope": Param("gaussian", str, "gaussian: amplitude exp(-r^2/(2 width^2)) about "
                          "the box centre, any charges; uniform: background amplitude, "
                          "periodic images included, total charge 0",
                          choices=("gaussian", "uniform")),
        "amplitude": Param(1.0, float, "|psi| away from the cores (peak of the Gaussian, or "
                           "the uniform background)", min=0, min_open=True),
        "width": Param(4.0, float, "width of the Gaussian envelope", min=0, min_open=True),
        "core": Param(1.0, float, "core size xi: each vortex multiplies psi by "
                      "w^|n| / (|w|^2 + xi^2)^(|n|/2), w ~ (x-x_j) + i sgn(n)(y-y_j) (the "
                      "healing length sqrt(beta/|gamma|)/amplitude gives a GP vortex's far "
                      "field)", min=0, min_open=True),
        **_NOISE,
    },
    **source_kinds(["psi"], _NOISE),
}, doc="initial condition; exact-solution kinds are evaluated at t = time.start. "
       "soliton, solitons, akhmediev and peregrine are 1-D; line_soliton (a 1-D soliton "
       "along the box diagonal, exact in a square periodic box) and vortex are 2-D; "
       "vortices is 2-D or 3-D (straight lines along z, the same field in every z plane); "
       "gaussian and plane_wave work in any dimension; array (from the Python API) and "
       "file (any physim output or netCDF/HDF5 file on the run's x, y, z) give psi itself")

POTENTIAL = Variants("kind", {
    "none": {},
    "harmonic": {
        "omega": Param(1.0, "float|floats", "trap frequency per axis: "
                       "V = sum_a omega_a^2 (x_a - c_a)^2 / (4 beta)  (= omega^2 x^2 / 2 for "
                       "beta = 1/2)", min=0),
        "center": Param(0.0, "float|floats", "trap centre c per axis"),
    },
    **source_kinds(["V"]),
}, default="none", doc="external potential V(x) in i psi_t + beta lap psi - V psi + "
                      "gamma |psi|^2 psi = 0; array (Python API) or file give V on the grid")

# what a case can bring instead of the built-in kinds (see physim.inputs)
INPUTS = {
    "psi": Input("initial", "the initial field psi(x, time.start), complex, on the grid x[, y, z]"),
    "V": Input("potential", "the external potential V(x), real, on the grid x[, y, z]"),
}

SECTIONS = {
    "model": {
        "beta": Param(0.5, float, "dispersion coefficient in i psi_t + beta psi_xx + gamma|psi|^2 psi = 0",
                      min=0, min_open=True),
        "gamma": Param(1.0, float, "nonlinearity (> 0 focusing, < 0 defocusing)"),
    },
    "grid": {
        "L": Param(REQUIRED, "float|floats", "period of the box [-L/2, L/2) (one value, or one "
                   "per axis)", min=0, min_open=True),
        "N": Param(REQUIRED, "int|ints", "grid points per axis (even); a list of 2 or 3 "
                   "makes a 2-D or 3-D run", min=8, max=2 ** 24),
    },
    "potential": POTENTIAL,
    "initial": INITIAL,
    "ensemble": {
        "members": Param(1, int, "number of realisations M; member i draws its noise from "
                         "numpy default_rng([initial.seed, i]) whatever the rank count, and the "
                         "output gains an 'ensemble' dimension", min=1, max=10 ** 6),
    },
    "time": {
        "start": Param(0.0, float, "initial time"),
        "end": Param(REQUIRED, float, "final time"),
        "imaginary": Param(False, bool, "imaginary-time propagation (normalised gradient flow, "
                           "mass conserved): relaxes to the ground state; mu and the "
                           "stationarity residual are written"),
    },
    "numerics": {
        "formulation": Param("interaction", str, "time-stepping formulation",
                             choices=("interaction", "lines")),
        "dealias": Param(1.0, float, "fraction of the Nyquist wavenumber kept in the cubic term: "
                         "1 = no dealiasing (the default: 10^2-10^4 x more accurate on resolved "
                         "fields, benchmarks/nlse_dealias.py), 2/3 = Orszag's rule, 1/2 = exact "
                         "for a cubic; a run warns when its spectrum reaches the band's edge",
                         min=0, max=1, min_open=True),
        "filter": Param(False, bool, "exponential filter exp(-alpha (|k|/k_cut)^order) on the cubic term"),
        "filter_alpha": Param(36.0, float, "filter strength alpha", min=0, min_open=True),
        "filter_order": Param(36.0, float, "filter order p", min=1),
        "rtol": Param(1e-12, float, "relative tolerance of DOP853", min=1e-15, max=1e-2),
        "atol": Param(1e-14, float, "absolute tolerance on Fourier coefficients (units of |psi|)",
                      min=0, max=1),
        "max_step": Param(INF, float, "largest time step", min=0, min_open=True,
                          allow_inf=True),
        "first_step": Param(0.0, float, "first time step (0 = automatic)", min=0),
        "controller": Param("hairer", str, "step-size controller constants",
                            choices=("hairer", "scipy")),
        "pi_beta": Param(0.0, float, "PI (Lund) stabilisation beta; 0 = I-controller", min=0, max=0.2),
        "max_steps": Param(10_000_000, int, "stop with an error after this many steps", min=1),
        "decomposition": Param("auto", str, "how a 2-D/3-D field is split over MPI ranks: "
                               "'slab' (along x, at most min(N_x, N_y) ranks), 'pencil' (3-D: "
                               "along x and y over a process grid P_x x P_y, up to "
                               "min(N_x, N_y) x min(N_y, N_z) ranks; in 2-D a pencil is a slab), "
                               "'auto' (slabs while they fit, else pencils); the results are "
                               "the same bit for bit", choices=("auto", "slab", "pencil")),
        "process_grid": Param(None, "int|ints", "pencil process grid [P_x, P_y] with "
                              "P_x P_y = the ranks (default: the most nearly square that fits)",
                              min=1, length=2),
    },
    "output": {
        "every": Param(REQUIRED, float, "time between snapshots", min=0, min_open=True),
        **FRAME_OUTPUT,
    },
}


ONE_D = ("soliton", "solitons", "akhmediev", "peregrine")


def dims(p) -> int:
    n = p["grid"]["N"]
    return len(n) if isinstance(n, list) else 1


def per_axis(value, dim):
    """A scalar-or-list parameter as a list of ``dim`` floats."""
    v = value if isinstance(value, list) else [value]
    return [float(x) for x in (v * dim if len(v) == 1 else v)]


def _checks(p):
    problems = []
    N = p["grid"]["N"]
    dim = dims(p)
    if isinstance(N, list) and not 1 <= len(N) <= 3:
        problems.append(f"grid.N: 1, 2 or 3 values (one per axis), got {len(N)}")
        return problems
    for n in (N if isinstance(N, list) else [N]):
        if n % 2:
            problems.append(f"grid.N: {n} must be even")
    if int(np_prod(N if isinstance(N, list) else [N])) > 2 ** 30:
        problems.append(f"grid.N: {N} is more than 2^30 points")

    def axis_count(sec, key):
        v = p[sec].get(key)
        if isinstance(v, list) and len(v) not in (1, dim):
            need = "1 value (grid.N has 1 axis)" if dim == 1 else \
                f"1 or {dim} values (grid.N has {dim} axes)"
            problems.append(f"{sec}.{key}: needs {need}, got {len(v)}")

    axis_count("grid", "L")
    for key in ("width", "position", "wavenumber"):
        if p["initial"]["kind"] == "gaussian":
            axis_count("initial", key)
    if p["potential"]["kind"] == "harmonic":
        axis_count("potential", "omega")
        axis_count("potential", "center")
    kind = p["initial"]["kind"]
    if kind in ONE_D and dim != 1:
        problems.append(f"initial.kind: {kind!r} is a 1-D solution; grid.N has {dim} axes "
                        "(use gaussian, plane_wave, line_soliton, vortex or vortices)")
    if kind in ("line_soliton", "vortex") and dim != 2:
        problems.append(f"initial.kind: {kind!r} needs a 2-D grid (grid.N = [n, n]), got {dim} axes")
    if kind == "line_soliton":
        L, n = per_axis(p["grid"]["L"], 2), per_axis(N, 2)
        if L[0] != L[1] or n[0] != n[1]:
            problems.append("initial.kind: 'line_soliton' is periodic only in a square box: "
                            f"grid.L = {p['grid']['L']} and grid.N = {N} must be equal per axis")
        if p["model"]["gamma"] <= 0:
            problems.append("initial.kind: 'line_soliton' needs model.gamma > 0 (focusing)")
    if kind == "vortices":
        problems += _vortex_checks(p["initial"], per_axis(p["grid"]["L"], dim), dim)
    if p["ensemble"]["members"] > 1 and p["initial"].get("noise", 0) <= 0:
        problems.append(f"ensemble.members: {p['ensemble']['members']} members need "
                        "initial.noise > 0, or every member is the same run")
    if p["time"]["end"] <= p["time"]["start"]:
        problems.append(f"time.end: {p['time']['end']} must be greater than time.start "
                        f"= {p['time']['start']}")
    ini = p["initial"]
    if ini["kind"] in ONE_D and p["model"]["gamma"] <= 0:
        problems.append(f"initial.kind: {ini['kind']!r} is an exact solution of the focusing "
                        "equation only; needs model.gamma > 0")
    if ini["kind"] == "solitons":
        n = len(ini["amplitudes"])
        for key in ("velocities", "positions", "phases"):
            if ini.get(key) is not None and len(ini[key]) != n:
                problems.append(f"initial.{key}: needs {n} values, one per soliton "
                                f"(as initial.amplitudes), got {len(ini[key])}")
    grid = p["numerics"]["process_grid"]
    if grid is not None:
        if not isinstance(grid, list) or len(grid) != 2:
            problems.append(f"numerics.process_grid: {grid!r} must be two integers [P_x, P_y]")
        elif p["numerics"]["decomposition"] == "slab" and grid[1] != 1:
            problems.append(f"numerics.process_grid: {grid} splits y, which a slab does not; "
                            "use decomposition = 'pencil' or a grid [P, 1]")
        elif dim < 3 and grid[1] != 1:
            problems.append(f"numerics.process_grid: {grid} splits y; a {dim}-D field is split "
                            "along x only (grid [P, 1])")
    if p["numerics"]["first_step"] > p["time"]["end"] - p["time"]["start"]:
        problems.append("numerics.first_step: larger than the run (time.end - time.start)")
    return problems


def _vortex_checks(ini, L, dim):
    if dim not in (2, 3):
        return ["initial.kind: 'vortices' needs a 2-D or 3-D grid (vortex lines along z), "
                "got 1 axis"]
    n = len(ini["x"])
    if n == 0:
        return ["initial.x: needs at least one vortex position"]
    if len(ini["y"]) != n:
        return [f"initial.y: needs {n} values, one per vortex (as initial.x), "
                f"got {len(ini['y'])}"]
    problems = []
    for key, side in (("x", L[0]), ("y", L[1])):
        for v in ini[key]:
            if not -side / 2 <= v < side / 2:
                problems.append(f"initial.{key}: {v:g} is outside the box; each value must "
                                f"lie in [{-side / 2:g}, {side / 2:g}) (grid.L)")
                break
    given = ini["charges"]
    charges = [1] if given is None else given if isinstance(given, list) else [given]
    if len(charges) not in (1, n):
        problems.append(f"initial.charges: needs 1 or {n} values, one per vortex (as "
                        f"initial.x), got {len(charges)}")
    elif 0 in charges:
        problems.append("initial.charges: 0 is not a vortex; each charge must be a nonzero "
                        "integer")
    elif ini["envelope"] == "uniform" and (total := sum(charges) * (n // len(charges))):
        problems.append(f"initial.charges: total charge {total:+d}; a uniform envelope is "
                        "periodic only with total charge 0 (use envelope = 'gaussian', or "
                        "add vortices of opposite charge)")
    return problems


SCHEMA = Schema("nlse", SECTIONS, checks=[_checks])
