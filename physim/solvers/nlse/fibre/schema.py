"""Case schema of the fibre GNLSE (solver = "gnlse"): every key, its default and what is
allowed. Physical units throughout (ps, fs, nm, W, m or km); the normalised NLSE is
solver = "nlse"."""
import math

from ....cases import FRAME_OUTPUT, REQUIRED, Param, Schema, Variants
from ....inputs import Input, source_kinds, table_kinds
from .fft import BACKENDS as FFT_BACKENDS, have_pyfftw
from .model import C_NM_PS

INF = float("inf")
LENGTH_UNITS = {"m": 1.0, "km": 1000.0}

_SHAPE = {
    "peak_power": Param(REQUIRED, float, "peak power P0", min=0, min_open=True, units="W"),
    "fwhm": Param(None, float, "full width at half maximum of |A|^2 (give fwhm or t0)",
                  min=0, min_open=True, units="fs"),
    "t0": Param(None, float, "width parameter T0 (give fwhm or t0): sech(T/T0), "
                "exp(-(T/T0)^(2m)/2)", min=0, min_open=True, units="fs"),
    "chirp": Param(0.0, float, "linear chirp C: A is multiplied by exp(-i C T^2 / (2 T0^2))"),
    "delay": Param(0.0, float, "centre of the pulse in the window", units="fs"),
}

PULSE = Variants("kind", {
    "sech": _SHAPE,
    "gaussian": _SHAPE,
    "super_gaussian": {**_SHAPE, "order": Param(REQUIRED, int, "order m of "
                                                "exp(-(T/T0)^(2m)/2)", min=1, max=50)},
    **source_kinds(["A"]),
}, doc="input pulse A(T, z = 0) in sqrt(W): sech, gaussian, super_gaussian (with chirp), "
       "or A itself from the Python API (array) or a file (physim output or netCDF/HDF5 "
       "with a coordinate T in ps)")

_TAU = {"tau1": Param(12.2, float, "inverse phonon frequency tau1", min=0, min_open=True,
                      units="fs"),
        "tau2": Param(32.0, float, "damping time tau2", min=0, min_open=True, units="fs")}

RAMAN = Variants("kind", {
    "none": {},
    "blow_wood": {"fraction": Param(0.18, float, "Raman fraction f_R", min=0, max=1), **_TAU},
    "lin_agrawal": {"fraction": Param(0.245, float, "Raman fraction f_R", min=0, max=1),
                    **_TAU,
                    "tau_b": Param(96.0, float, "boson-peak time tau_b", min=0,
                                   min_open=True, units="fs"),
                    "f_b": Param(0.21, float, "boson-peak share f_b", min=0, max=1)},
    "hollenbeck_cantrell": {"fraction": Param(0.2, float, "Raman fraction f_R", min=0,
                                              max=1)},
}, doc="delayed (Raman) response h_R: blow_wood (Blow & Wood 1989), lin_agrawal (Lin & "
       "Agrawal 2006), hollenbeck_cantrell (13-mode intermediate broadening, Hollenbeck & "
       "Cantrell 2002); none: instantaneous Kerr only")

def _outside(beyond):
    return Param("refuse", str, "where the grid's frequencies leave the table: refuse (stop "
                 f"with one line naming the key) or extend ({beyond}); the carrier must be "
                 "inside either way", choices=("refuse", "extend"))


_TABLE = ("a table against the wavelength in nm, from the Python API (a (2, n) array "
          "[wavelength, values] or an xarray.DataArray along 'wavelength') or a file (a "
          "variable along the coordinate 'wavelength' in nm), interpolated on omega")

DISPERSION = Variants("kind", {
    "taylor": {},
    **table_kinds([], {
        "quantity": Param("beta", str, "what the table holds: beta (the propagation "
                          "constant, 1/unit) or n_eff (the effective index; beta = n_eff "
                          "omega / c); the input's name, and the file's variable",
                          choices=("beta", "n_eff")),
        "outside": _outside("beta continued as a straight line with the group velocity "
                            "of the table's end: no dispersion beyond it")}),
}, default="taylor", doc="the dispersion: taylor (fibre.beta), or beta(omega) or "
   f"n_eff as {_TABLE} (a not-a-knot cubic spline; beta(omega0) and beta1 (omega - "
   "omega0), beta1 the spline's slope at the carrier, are taken off)")

LOSS = Variants("kind", {
    "constant": {},
    **table_kinds(["loss"], {"outside": _outside("held at the end values")}),
}, default="constant", doc="the power loss: constant (fibre.loss), or loss(lambda) in "
   f"dB/unit as {_TABLE} (PCHIP, which never overshoots into gain), the whole loss: "
   "fibre.loss stays 0")

AREA = Variants("kind", {
    "constant": {},
    **table_kinds(["area"], {"outside": _outside("held at the end values")}),
}, default="constant", doc="the effective mode area: constant (fibre.gamma), or "
   f"Aeff(lambda) in um^2 as {_TABLE} (PCHIP), with fibre.n2 instead of fibre.gamma: the "
   "photon-number-conserving form of Laegsgaard, Opt. Express 15, 16110 (2007): gamma0 = "
   "n2 omega0 / (c Aeff(omega0)), the field weighted by (Aeff(omega0)/Aeff(omega))^(1/4) "
   "going into and coming out of the nonlinearity, n_eff taken constant there")

INPUTS = {"A": Input("pulse", "the input field A(T) in sqrt(W), complex, on the grid T (ps)"),
          "beta": Input("dispersion", "beta(wavelength) in 1/unit, the wavelength in nm"),
          "n_eff": Input("dispersion", "n_eff(wavelength), the wavelength in nm"),
          "loss": Input("loss", "loss(wavelength) in dB/unit, the wavelength in nm"),
          "area": Input("area", "Aeff(wavelength) in um^2, the wavelength in nm")}

SECTIONS = {
    "fibre": {
        "units": Param("m", str, "length unit of fibre.length, output.every and the "
                       "per-length coefficients (beta in ps^n/unit, gamma in 1/(W unit), "
                       "loss in dB/unit)", choices=tuple(LENGTH_UNITS)),
        "length": Param(REQUIRED, float, "fibre length", min=0, min_open=True),
        "beta": Param(None, "floats", "Taylor coefficients [beta2, beta3, ...] of the "
                      "propagation constant at the carrier, in ps^n/unit (n = 2, 3, ...); "
                      "required with dispersion.kind = 'taylor' (the default)"),
        "gamma": Param(None, float, "nonlinear coefficient, 1/(W unit); required unless the "
                       "area is a table (then fibre.n2)"),
        "n2": Param(None, float, "nonlinear index n2 in m^2/W, with area.kind = 'array' or "
                    "'file' (gamma0 = n2 omega0 / (c Aeff(omega0)))", min=0),
        "loss": Param(0.0, float, "power loss, dB/unit (frequency independent; a table: "
                      "the [loss] section)", min=0),
        "self_steepening": Param(True, bool, "include the optical shock term "
                                 "(1 + i tau_shock d_T)"),
        "tau_shock": Param(0.0, float, "shock time; 0 = 1/omega0 (the frequency-independent "
                           "effective area)", min=0, units="fs"),
    },
    "dispersion": DISPERSION,
    "loss": LOSS,
    "area": AREA,
    "raman": RAMAN,
    "grid": {
        "N": Param(REQUIRED, int, "points of the time window (even)", min=16, max=2 ** 24),
        "window": Param(REQUIRED, float, "width W of the periodic time window [-W/2, W/2)",
                        min=0, min_open=True, units="ps"),
        "wavelength": Param(REQUIRED, float, "carrier (centre) wavelength", min=0,
                            min_open=True, units="nm"),
    },
    "pulse": PULSE,
    "noise": {
        "shot_noise": Param(False, bool, "add one photon per mode with a random phase "
                            "(|dc_m| = sqrt(hbar omega_m / W)) to the input"),
        "seed": Param(0, int, "seed: member i draws from numpy default_rng([seed, i])", min=0),
    },
    "ensemble": {
        "members": Param(1, int, "number of realisations M (needs noise.shot_noise); the "
                         "output gains an 'ensemble' dimension, members spread over the "
                         "MPI ranks", min=1, max=10 ** 6),
    },
    "numerics": {
        "method": Param("dop853", str, "stepper: dop853 (8th order, dense output at the "
                        "snapshots) or erk43ip (RK4IP with the embedded 3rd-order error "
                        "estimate of Balac & Mahe 2013, the fibre codes' standard; steps stop "
                        "at the snapshots)", choices=("dop853", "erk43ip")),
        "formulation": Param("interaction", str, "interaction: DOP853 on the integrating-"
                             "factor (interaction-picture) field, dispersion and loss exact; "
                             "lines: DOP853 on the method of lines",
                             choices=("interaction", "lines")),
        "dealias": Param(1.0, float, "fraction of the Nyquist frequency kept in the "
                         "nonlinear term (1 = none, as gnlse-python and Dudley's code)",
                         min=0, max=1, min_open=True),
        "fft": Param("auto", str, "the transforms: pyfftw (planned FFTW, the fftw extra: "
                     "pip install 'physim[fftw]'), scipy (scipy.fft) or auto (pyfftw when "
                     "installed)", choices=FFT_BACKENDS),
        "step_levels": Param(8, int, "steps rounded down to 2^(k/n), n rungs per octave, "
                             "so that consecutive steps reuse the integrating-factor tables "
                             "(0 = the controller's steps as proposed)", min=0, max=64),
        "rtol": Param(1e-8, float, "relative tolerance of DOP853", min=1e-15, max=1e-1),
        "atol": Param(1e-10, float, "absolute tolerance on the Fourier coefficients "
                      "(units of sqrt(W))", min=0, max=1),
        "max_step": Param(INF, float, "largest step (length unit)", min=0, min_open=True,
                          allow_inf=True),
        "first_step": Param(0.0, float, "first step (0 = automatic)", min=0),
        "controller": Param("hairer", str, "step-size controller constants",
                            choices=("hairer", "scipy")),
        "pi_beta": Param(0.0, float, "PI (Lund) stabilisation beta; 0 = I-controller",
                         min=0, max=0.2),
        "max_steps": Param(10_000_000, int, "stop with an error after this many steps", min=1),
    },
    "output": {
        "every": Param(REQUIRED, float, "distance between snapshots (length unit)", min=0,
                       min_open=True),
        **FRAME_OUTPUT,
    },
}


def pulse_t0(pulse: dict) -> float:
    """T0 in ps of a sech/(super-)Gaussian pulse section (from fwhm or t0, in fs)."""
    if pulse.get("t0") is not None:
        return pulse["t0"] * 1e-3
    fwhm = pulse["fwhm"] * 1e-3
    if pulse["kind"] == "sech":
        return fwhm / (2 * math.acosh(math.sqrt(2)))
    m = pulse.get("order", 1)
    return fwhm / (2 * (math.log(2)) ** (1 / (2 * m)))


def _table_checks(p):
    """Each fibre property given once: as a fibre key or as a table."""
    problems = []
    f = p["fibre"]
    if p["dispersion"]["kind"] == "taylor":
        if not f["beta"]:
            problems.append("fibre.beta: needs at least beta2 (a list [beta2, beta3, ...]), "
                            "or a dispersion table (dispersion.kind = 'array' or 'file')")
    elif f["beta"] is not None:
        problems.append(f"fibre.beta: the dispersion is a table (dispersion.kind = "
                        f"{p['dispersion']['kind']!r}); drop fibre.beta")
    if p["loss"]["kind"] != "constant" and f["loss"] != 0:
        problems.append(f"fibre.loss: the loss is a table (loss.kind = {p['loss']['kind']!r}); "
                        "leave fibre.loss at 0 (the table is the whole loss)")
    if p["area"]["kind"] == "constant":
        if f["gamma"] is None:
            problems.append("fibre.gamma: required (1/(W unit)), or fibre.n2 with an area "
                            "table (area.kind = 'array' or 'file')")
        if f["n2"] is not None:
            problems.append("fibre.n2: only with an area table (area.kind = 'array' or "
                            "'file'); with a constant area give fibre.gamma")
    else:
        if f["n2"] is None:
            problems.append(f"fibre.n2: required with an area table (area.kind = "
                            f"{p['area']['kind']!r}), in m^2/W")
        if f["gamma"] is not None:
            problems.append("fibre.gamma: the area is a table, so gamma0 = n2 omega0 / (c "
                            "Aeff(omega0)) comes from fibre.n2; drop fibre.gamma")
        if f["tau_shock"] != 0:
            problems.append("fibre.tau_shock: the area table gives the frequency dependence "
                            "of the nonlinearity; leave tau_shock at 0 (1/omega0)")
    return problems


def _checks(p):
    problems = []
    g, f, pulse = p["grid"], p["fibre"], p["pulse"]
    if g["N"] % 2:
        problems.append(f"grid.N: {g['N']} must be even")
    nu0 = C_NM_PS / g["wavelength"]
    nu_min = nu0 - g["N"] / (2 * g["window"])
    if nu_min <= 0:
        problems.append(f"grid.window: the grid reaches {nu_min:.4g} THz (carrier "
                        f"{nu0:.4g} THz, span N/window = {g['N'] / g['window']:.4g} THz); the "
                        "lowest frequency must be > 0: use a wider window or fewer points")
    problems += _table_checks(p)
    if pulse["kind"] in ("sech", "gaussian", "super_gaussian"):
        given = [k for k in ("fwhm", "t0") if pulse.get(k) is not None]
        if len(given) != 1:
            problems.append("pulse.fwhm: give exactly one of pulse.fwhm and pulse.t0 (fs), "
                            f"got {' and '.join(given) or 'neither'}")
    if p["ensemble"]["members"] > 1 and not p["noise"]["shot_noise"]:
        problems.append(f"ensemble.members: {p['ensemble']['members']} members need "
                        "noise.shot_noise = true, or every member is the same run")
    if p["numerics"]["first_step"] > f["length"]:
        problems.append("numerics.first_step: larger than the fibre (fibre.length)")
    if p["numerics"]["method"] == "erk43ip" and p["numerics"]["formulation"] != "interaction":
        problems.append("numerics.formulation: 'lines' is a DOP853 formulation; erk43ip is an "
                        "interaction-picture method (use formulation = 'interaction')")
    if p["numerics"]["method"] == "erk43ip" and p["numerics"]["pi_beta"] > 0:
        problems.append("numerics.pi_beta: the PI controller is DOP853's; erk43ip uses the "
                        "I-controller (pi_beta = 0)")
    if p["numerics"]["fft"] == "pyfftw" and not have_pyfftw():
        problems.append("numerics.fft: 'pyfftw' needs the pyFFTW package, which does not "
                        "import here: pip install 'physim[fftw]', or use 'scipy' or 'auto'")
    if p["output"]["every"] > f["length"]:
        problems.append(f"output.every: {p['output']['every']} is longer than fibre.length "
                        f"= {f['length']}")
    return problems


SCHEMA = Schema("gnlse", SECTIONS, checks=[_checks])
