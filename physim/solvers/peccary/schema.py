"""Case schema of the PECCARY example series: the signal, its sampling and the analysis."""
from ...cases import FRAME_OUTPUT, REQUIRED, Param, Schema, Variants
from ...inputs import Input, source_kinds

_RTOL = {"rtol": Param(1e-10, float, "relative tolerance of DOP853", min=1e-14, max=1e-3),
         "atol": Param(1e-12, float, "absolute tolerance of DOP853", min=0, max=1)}

SIGNAL = Variants("kind", {
    "sine": {"period": Param(REQUIRED, float, "period", min=0, min_open=True),
             "amplitude": Param(1.0, float, "amplitude"),
             "phase": Param(0.0, float, "phase", units="rad")},
    "sines": {"periods": Param(REQUIRED, "floats", "period of each sine", min=0, min_open=True),
              "amplitudes": Param(None, "floats", "amplitude of each (default all 1)"),
              "phases": Param(None, "floats", "phase of each (default all 0)", units="rad")},
    "noise": {"colour": Param("white", str, "spectrum: white (beta 0), pink (1), red (2; Fourier "
                              "shaped) or brownian (cumulative sum of white)",
                              choices=("white", "pink", "red", "brownian")),
              "exponent": Param(None, float, "spectral exponent beta of 1/f^beta (overrides the "
                                "colour's)", min=0),
              "seed": Param(0, int, "seed of numpy default_rng", min=0)},
    "logistic": {"r": Param(4.0, float, "growth parameter", min=0, max=4),
                 "x0": Param(0.1, float, "initial value", min=0, max=1),
                 "discard": Param(0, int, "iterations dropped first (transient)", min=0)},
    "henon": {"a": Param(1.4, float, "parameter a"), "b": Param(0.3, float, "parameter b"),
              "x0": Param(1.0, float, "initial x"), "y0": Param(1.0, float, "initial y"),
              "discard": Param(0, int, "iterations dropped first (transient)", min=0)},
    "double_pendulum": {
        "L1": Param(1.0, float, "length of rod 1", min=0, min_open=True, units="m"),
        "L2": Param(1.0, float, "length of rod 2", min=0, min_open=True, units="m"),
        "M1": Param(1.0, float, "mass 1", min=0, min_open=True, units="kg"),
        "M2": Param(1.0, float, "mass 2", min=0, min_open=True, units="kg"),
        "g": Param(9.80665, float, "gravity", min=0, units="m/s^2"),
        "theta1": Param(120.0, float, "initial angle of rod 1 from the vertical", units="deg"),
        "theta2": Param(-10.0, float, "initial angle of rod 2", units="deg"),
        "omega1": Param(0.0, float, "initial rate of rod 1", units="deg/s"),
        "omega2": Param(0.0, float, "initial rate of rod 2", units="deg/s"),
        **_RTOL},
    "galactic_orbit": {
        "position": Param([8.0, 0.0, 0.0], "floats", "initial (x, y, z)", length=3),
        "velocity": Param([0.0, 1.0, 0.0], "floats", "initial (vx, vy, vz)", length=3),
        "v0": Param(1.0, float, "halo circular speed v0 (logarithmic halo)", min=0),
        "rc": Param(1.0, float, "halo core radius", min=0, min_open=True),
        "q": Param(0.9, float, "halo flattening (potential axis ratio)", min=0.1, max=2),
        "disk_mass": Param(0.0, float, "Miyamoto-Nagai disc mass (G = 1)", min=0),
        "disk_a": Param(3.0, float, "disc scale length a", min=0),
        "disk_b": Param(0.3, float, "disc scale height b", min=0, min_open=True),
        "bulge_mass": Param(0.0, float, "Hernquist bulge mass (G = 1)", min=0),
        "bulge_a": Param(0.5, float, "bulge scale radius", min=0, min_open=True),
        **_RTOL},
    **source_kinds(["x"]),
}, doc="the series generated (physim.solvers.peccary.generators documents each formula); "
       "array (Python API) or file: a series of your own, x over time t_k = start + k dt")

# a series of the user's instead of a generated one (see physim.inputs)
INPUTS = {"x": Input("signal", "the series x(t_k), real, over time t_k = start + k dt")}

SECTIONS = {
    "signal": SIGNAL,
    "sampling": {
        "samples": Param(REQUIRED, int, "number of samples", min=2, max=10 ** 9),
        "dt": Param(1.0, float, "sampling interval", min=0, min_open=True),
        "start": Param(0.0, float, "time of the first sample"),
    },
    "analysis": {
        "variable": Param("x", str, "the output variable analysed at the end of the run"),
        "n": Param(5, int, "embedding dimension (pattern length)", min=2, max=8),
        "delay": Param(1, int, "delay l in samples (used when t_pat_ratio = 0)", min=1),
        "t_pat_ratio": Param(0.0, float, "pattern duration as a fraction of the natural time "
                             "scale, t_pat / t_nat (PECCARY's 0.3..0.5; 0 = use delay)",
                             min=0),
        "t_nat_method": Param("ncross", str, "how t_nat is estimated",
                              choices=("ncross", "maxavg", "minavg")),
        "expected": Param("", str, "the regime the paper reports ('' = none); the tests check it",
                          choices=("", "regular", "complex", "stochastic")),
    },
    "output": {
        "block": Param(65536, int, "samples written per block", min=1),
        **FRAME_OUTPUT,
    },
}

OUTPUTS = {"sine": ("x",), "sines": ("x",), "noise": ("x",), "logistic": ("x",),
           "henon": ("x", "y"),
           "double_pendulum": ("theta1", "theta2", "x1", "y1", "x2", "y2", "energy"),
           "galactic_orbit": ("x", "y", "z", "R", "Lz", "energy"), "array": ("x",),
           "file": ("x",)}


def _checks(p):
    problems = []
    kind, var = p["signal"]["kind"], p["analysis"]["variable"]
    if var not in OUTPUTS[kind]:
        problems.append(f"analysis.variable: {var!r} is not an output of signal.kind = {kind!r}; "
                        f"expected one of {', '.join(OUTPUTS[kind])}")
    sig = p["signal"]
    if kind == "sines":
        m = len(sig["periods"])
        for key in ("amplitudes", "phases"):
            if sig.get(key) is not None and len(sig[key]) != m:
                problems.append(f"signal.{key}: needs {m} values, one per period, "
                                f"got {len(sig[key])}")
    a = p["analysis"]
    if a["t_pat_ratio"] == 0 and p["sampling"]["samples"] <= (a["n"] - 1) * a["delay"]:
        problems.append(f"sampling.samples: {p['sampling']['samples']} samples hold no window "
                        f"of n = {a['n']} at delay {a['delay']}")
    return problems


SCHEMA = Schema("peccary", SECTIONS, checks=[_checks])
