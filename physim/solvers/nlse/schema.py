"""Case schema of the NLSE solver: every key, its default and what is allowed."""
from ...cases import REQUIRED, Param, Schema, Variants

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
                 "width": Param(1.0, float, "1/e half-width of |psi|", min=0, min_open=True),
                 "position": Param(0.0, float, "centre"),
                 "wavenumber": Param(0.0, float, "carrier wavenumber"),
                 **_NOISE},
}, doc="initial condition; exact-solution kinds are evaluated at t = time.start")

SECTIONS = {
    "model": {
        "beta": Param(0.5, float, "dispersion coefficient in i psi_t + beta psi_xx + gamma|psi|^2 psi = 0",
                      min=0, min_open=True),
        "gamma": Param(1.0, float, "nonlinearity (> 0 focusing, < 0 defocusing)"),
    },
    "grid": {
        "L": Param(REQUIRED, float, "period of the box [-L/2, L/2)", min=0, min_open=True),
        "N": Param(REQUIRED, int, "number of grid points (even)", min=8, max=2 ** 24),
    },
    "initial": INITIAL,
    "time": {
        "start": Param(0.0, float, "initial time"),
        "end": Param(REQUIRED, float, "final time"),
    },
    "numerics": {
        "formulation": Param("interaction", str, "time-stepping formulation",
                             choices=("interaction", "lines")),
        "dealias": Param(2 / 3, float, "fraction of the Nyquist wavenumber kept in the cubic term "
                         "(2/3 rule; 1 = no dealiasing, 1/2 = exact for cubic)",
                         min=0, max=1, min_open=True),
        "filter": Param(False, bool, "exponential filter exp(-alpha (|k|/k_cut)^order) on the cubic term"),
        "filter_alpha": Param(36.0, float, "filter strength alpha", min=0, min_open=True),
        "filter_order": Param(36.0, float, "filter order p", min=1),
        "rtol": Param(1e-12, float, "relative tolerance of DOP853", min=1e-15, max=1e-2),
        "atol": Param(1e-14, float, "absolute tolerance on Fourier coefficients (units of |psi|)",
                      min=0, max=1),
        "max_step": Param(INF, float, "largest time step", min=0, min_open=True),
        "first_step": Param(0.0, float, "first time step (0 = automatic)", min=0),
        "controller": Param("hairer", str, "step-size controller constants",
                            choices=("hairer", "scipy")),
        "pi_beta": Param(0.0, float, "PI (Lund) stabilisation beta; 0 = I-controller", min=0, max=0.2),
        "max_steps": Param(10_000_000, int, "stop with an error after this many steps", min=1),
    },
    "output": {
        "every": Param(REQUIRED, float, "time between snapshots", min=0, min_open=True),
        "log_interval": Param(10.0, float, "seconds between progress log lines when not on a TTY",
                              min=0, min_open=True),
    },
}


def _checks(p):
    problems = []
    if p["grid"]["N"] % 2:
        problems.append(f"grid.N: {p['grid']['N']} must be even")
    if p["time"]["end"] <= p["time"]["start"]:
        problems.append(f"time.end: {p['time']['end']} must be greater than time.start "
                        f"= {p['time']['start']}")
    ini = p["initial"]
    if ini["kind"] in ("soliton", "solitons", "akhmediev", "peregrine") and p["model"]["gamma"] <= 0:
        problems.append(f"initial.kind: {ini['kind']!r} is an exact solution of the focusing "
                        "equation only; needs model.gamma > 0")
    if ini["kind"] == "solitons":
        n = len(ini["amplitudes"])
        for key in ("velocities", "positions", "phases"):
            if ini.get(key) is not None and len(ini[key]) != n:
                problems.append(f"initial.{key}: needs {n} values, one per soliton "
                                f"(as initial.amplitudes), got {len(ini[key])}")
    if p["numerics"]["first_step"] > p["time"]["end"] - p["time"]["start"]:
        problems.append("numerics.first_step: larger than the run (time.end - time.start)")
    return problems


SCHEMA = Schema("nlse", SECTIONS, checks=[_checks])
