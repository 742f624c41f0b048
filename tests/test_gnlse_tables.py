"""The fibre GNLSE with tabulated dispersion (beta or n_eff), loss and effective area:
each table against the closed form it must reproduce, Laegsgaard's photon-number
invariant, the file route, and the one-line messages of bad tables."""
import numpy as np
import pytest

import physim
from physim.cases import CaseError, validate
from physim.inputs import Inputs
from physim.solvers.nlse.fibre import INPUTS, SCHEMA, build_model
from physim.solvers.nlse.fibre.model import C_NM_PS

B2, B3, B4, GAMMA = -0.02, 1e-4, -2e-7, 0.01      # ps^n/m, 1/(W m)
LAM0 = 1550.0
W0 = 2 * np.pi * C_NM_PS / LAM0
C_M_PS = 2.99792458e-4
# a dense table over 1300-1900 nm: wider than the test grid's 1453-1670 nm
LAM = np.linspace(1300.0, 1900.0, 2001)
W = 2 * np.pi * C_NM_PS / LAM


def case(z=0.4, T0=0.1, N=512, window=20.0, fibre=None, **sections):
    """A soliton-scale case with self-steepening and Raman, fibre keys replaced by
    ``fibre`` (a value None drops the key)."""
    P0 = 2 * abs(B2) / (GAMMA * T0 ** 2)
    fib = {"length": z, "beta": [B2, B3, B4], "gamma": GAMMA}
    fib.update(fibre or {})
    out = {"solver": "gnlse", "fibre": {k: v for k, v in fib.items() if v is not None},
           "raman": {"kind": "blow_wood"},
           "grid": {"N": N, "window": window, "wavelength": LAM0},
           "pulse": {"kind": "sech", "peak_power": P0, "t0": T0 * 1e3},
           "numerics": {"rtol": 1e-11, "atol": 1e-13},
           "output": {"every": z / 2}}
    out.update(sections)
    return out


def run(tmp_path, c, name, **inputs):
    out = physim.run(c, tmp_path / name, inputs=inputs or None, progress="none")
    return physim.open(out).load()


def rel_l2(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def taylor_beta(w, b0=0.0, b1=0.0):
    d = w - W0
    return b0 + b1 * d + B2 * d ** 2 / 2 + B3 * d ** 3 / 6 + B4 * d ** 4 / 24


def test_beta_and_neff_tables_reproduce_the_taylor_run(tmp_path):
    """beta(omega) from the Taylor coefficients (with a beta1 the spline's slope must take
    off) and n_eff = beta c / omega of the same fibre (beta0 = n0 omega0 / c ~ 6e6/m)
    give the Taylor run's field."""
    ref = run(tmp_path, case(), "taylor.h5")
    table = {"fibre": {"beta": None}, "dispersion": {"kind": "array"}}
    ds = run(tmp_path, case(**table), "beta.h5",
             beta=np.array([LAM, taylor_beta(W, b1=4.9e3)]))
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 1e-8
    n_eff = taylor_beta(W, b0=1.45 * W0 / C_M_PS, b1=1.47 / C_M_PS) * C_M_PS / W
    ds = run(tmp_path, case(fibre={"beta": None},
                            dispersion={"kind": "array", "quantity": "n_eff"}), "neff.h5",
             n_eff=np.array([LAM, n_eff]))
    # beta0 ~ 6e6/m carries 1e-9/m of rounding: the slope beta1 it leaves is a delay
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 2e-8


def test_neff_table_from_a_file_in_km(tmp_path):
    """The n_eff table read from a netCDF variable along 'wavelength' is the array run
    (to round-off); in km it is the run in m (beta = n_eff omega / c per km); the output
    keeps the table in /inputs."""
    import xarray as xr
    n_eff = taylor_beta(W, b0=1.45 * W0 / C_M_PS, b1=1.47 / C_M_PS) * C_M_PS / W
    path = tmp_path / "pcf.nc"
    xr.Dataset({"n_eff": ("wavelength", n_eff)},
               coords={"wavelength": ("wavelength", LAM, {"units": "nm"})}).to_netcdf(path)
    z = 0.4
    km = case(z * 1e-3, fibre={"beta": None, "units": "km", "gamma": GAMMA * 1e3},
              dispersion={"kind": "file", "quantity": "n_eff", "path": str(path)})
    a = run(tmp_path, km, "km.h5")
    km["dispersion"] = {"kind": "array", "quantity": "n_eff"}
    b = run(tmp_path, km, "array.h5", n_eff=np.array([LAM, n_eff]))
    assert rel_l2(a.A.values[-1], b.A.values[-1]) < 1e-14
    m = case(z, fibre={"beta": None}, dispersion={"kind": "array", "quantity": "n_eff"})
    b = run(tmp_path, m, "m.h5", n_eff=np.array([LAM, n_eff]))
    # beta0 is 6e9/km there: its rounding (and beta1's from it) differs from the m run's
    assert rel_l2(a.A.values[-1], b.A.values[-1]) < 1e-7
    stored = physim.inputs.read(tmp_path / "km.h5")["n_eff"]
    assert stored.dims == ("n_eff_wavelength",) and np.array_equal(stored.values, n_eff)
    assert a.attrs["fibre_tables"] == "dispersion: file (n_eff)"
    # the output alone runs it again (the table from /inputs, not the file)
    path.unlink()
    again = physim.open(physim.run(tmp_path / "km.h5", tmp_path / "again.h5",
                                   progress="none")).load()
    assert np.array_equal(again.A.values, a.A.values)


def test_constant_loss_table_is_fibre_loss(tmp_path):
    ref = run(tmp_path, case(fibre={"loss": 3.0}), "const.h5")
    ds = run(tmp_path, case(loss={"kind": "array"}), "table.h5",
             loss=np.array([LAM, np.full(LAM.size, 3.0)]))
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 1e-13


def test_rising_loss_attenuates_each_mode_linearly(tmp_path):
    """gamma = 0: |c_m(z)|^2 = |c_m(0)|^2 exp(-alpha(omega_m) z), alpha from the
    Rayleigh-like law itself (not from the solver's interpolant)."""
    z = 2.0

    def db(lam):
        return 1.0 + 20.0 * (1400.0 / lam) ** 4
    c = case(z, fibre={"gamma": 0.0}, raman={"kind": "none"}, loss={"kind": "array"})
    ds = run(tmp_path, c, "loss.h5", loss=np.array([LAM, db(LAM)]))
    nu = ds.frequency.values
    alpha = db(C_NM_PS / nu) * np.log(10) / 10
    s0, s1 = ds.spectrum.values[0], ds.spectrum.values[-1]
    keep = s0 > 1e-30 * s0.max()
    got = -np.log(s1[keep] / s0[keep]) / z
    assert np.max(np.abs(got / alpha[keep] - 1)) < 1e-10
    assert alpha.max() / alpha.min() > 1.3   # the loss does vary over the spectrum


def test_constant_area_table_is_gamma(tmp_path):
    """A constant Aeff table with n2 is the run with gamma = n2 omega0 / (c Aeff)."""
    n2, aeff = 2.6e-20, 80.0
    gamma = n2 * W0 * 1e12 / (C_M_PS * 1e12 * aeff * 1e-12)
    ref = run(tmp_path, case(fibre={"gamma": gamma}), "gamma.h5")
    c = case(fibre={"gamma": None, "n2": n2}, area={"kind": "array"})
    ds = run(tmp_path, c, "area.h5", area=np.array([LAM, np.full(LAM.size, aeff)]))
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 1e-13
    assert ds.attrs["gamma_per_W_m"] == pytest.approx(gamma, rel=1e-14)


def test_area_table_conserves_photon_number_not_energy(tmp_path):
    """Aeff(omega) from 6 to 14 um^2 across the table, Raman and self-steepening, no loss:
    Laegsgaard's form keeps sum_m W|c_m|^2 / (hbar omega_m) (the photon number of the
    physical field) to the tolerance; the energy and the constant-area result move."""
    aeff = np.interp(LAM, [1300.0, 1900.0], [6.0, 14.0])
    c = case(0.3, N=1024, fibre={"gamma": None, "n2": 2.6e-20}, area={"kind": "array"})
    ds = run(tmp_path, c, "area.h5", area=np.array([LAM, aeff]))
    n, e = ds.photon_number.values, ds.energy.values
    assert abs(n[-1] / n[0] - 1) < 1e-9
    assert abs(e[-1] / e[0] - 1) > 1e-4
    a0 = float(np.interp(LAM0, LAM, aeff))
    flat = run(tmp_path, c, "flat.h5", area=np.array([LAM, np.full(LAM.size, a0)]))
    assert rel_l2(ds.A.values[-1], flat.A.values[-1]) > 1e-3


def test_callables_of_the_wavelength_are_the_tables(tmp_path):
    """beta, loss and Aeff given as functions of the wavelength (nm), sampled on the
    grid's modes: beta(lambda) of the Taylor fibre gives the Taylor run; the Rayleigh-like
    loss law attenuates each mode by exactly its own alpha; a constant-area function is
    gamma; the samples are kept in /inputs (the callable's name as the source)."""
    def beta(lam):
        return taylor_beta(2 * np.pi * C_NM_PS / lam, b1=4.9e3)
    ref = run(tmp_path, case(), "taylor.h5")
    ds = run(tmp_path, case(fibre={"beta": None}, dispersion={"kind": "array"}),
             "beta.h5", beta=beta)
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 1e-8
    import xarray as xr
    kept = xr.open_dataset(tmp_path / "beta.h5", group="inputs")
    assert kept.beta.attrs["callable"].endswith("beta")
    assert kept.beta.size == 512

    def db(lam):
        return 1.0 + 20.0 * (1400.0 / lam) ** 4
    c = case(2.0, fibre={"gamma": 0.0}, raman={"kind": "none"}, loss={"kind": "array"})
    ds = run(tmp_path, c, "loss.h5", loss=db)
    alpha = db(C_NM_PS / ds.frequency.values) * np.log(10) / 10
    s0, s1 = ds.spectrum.values[0], ds.spectrum.values[-1]
    keep = s0 > 1e-30 * s0.max()
    assert np.max(np.abs(-np.log(s1[keep] / s0[keep]) / 2.0 / alpha[keep] - 1)) < 1e-10

    n2, aeff = 2.6e-20, 80.0
    gamma = n2 * W0 * 1e12 / (C_M_PS * 1e12 * aeff * 1e-12)
    ref = run(tmp_path, case(fibre={"gamma": gamma}), "gamma.h5")
    ds = run(tmp_path, case(fibre={"gamma": None, "n2": n2}, area={"kind": "array"}),
             "area.h5", area=lambda lam: np.full_like(lam, aeff))
    assert rel_l2(ds.A.values[-1], ref.A.values[-1]) < 1e-13


def test_bad_callable_table_one_line():
    c = _changed(TABLE_CASE)
    for given, words in (
            (lambda lam: 1 / 0, "<lambda> raised ZeroDivisionError"),
            (lambda lam: lam[:3], "<lambda> returned shape (3,)"),
            (lambda lam: np.where(lam > 1550, np.nan, 0.0),
             "dispersion.beta: 256 non-finite values")):
        with pytest.raises(CaseError) as err:
            _model(c, beta=given)
        assert words in str(err.value)
        assert len(err.value.problems) == 1


TABLE_CASE = {"fibre": {"beta": None}, "dispersion": {"kind": "array"}}


def _model(c, **given):
    p = validate(c, SCHEMA)
    return build_model(p, Inputs(p, INPUTS, given))


def test_extend_outside_the_table():
    """outside = 'extend': beta continues as a straight line (the end's group velocity),
    loss and area keep their end values; inside, the table as given."""
    lam = np.linspace(1500.0, 1600.0, 201)
    w = 2 * np.pi * C_NM_PS / lam
    m = _model(case(fibre={"beta": None}, dispersion={"kind": "array", "outside": "extend"},
                    loss={"kind": "array", "outside": "extend"}),
               beta=np.array([lam, taylor_beta(w)]), loss=np.array([lam, 1500.0 / lam]))
    wa = m.omega_abs
    lo, hi = wa < w.min(), wa > w.max()
    assert lo.any() and hi.any()
    B = m.beta_omega
    assert np.allclose(np.diff(B[hi][np.argsort(wa[hi])], 2), 0, atol=1e-9)
    mid = ~(lo | hi)
    assert np.allclose(B[mid], taylor_beta(wa[mid]), rtol=0, atol=1e-6)
    alpha = m.alpha / (np.log(10) / 10)
    assert np.allclose(alpha[lo], 1500.0 / 1600.0) and np.allclose(alpha[hi], 1.0)


def _changed(sections):
    """The test case with ``sections`` merged in (a None value deletes the key)."""
    c = case()
    for sec, table in sections.items():
        base = dict(c.get(sec, {}))
        base.update(table)
        c[sec] = {k: v for k, v in base.items() if v is not None}
    return c


@pytest.mark.parametrize("change, given, words", [
    ({"dispersion": {"kind": "array"}}, {"beta": np.array([LAM, taylor_beta(W)])},
     "fibre.beta: the dispersion is a table"),
    ({"fibre": {"beta": None}, "dispersion": {"kind": "taylor"}}, {},
     "fibre.beta: needs at least beta2"),
    ({"fibre": {"beta": None}, "dispersion": {"kind": "array", "quantity": "n"}}, {},
     "dispersion.quantity: 'n' is not allowed"),
    ({"fibre": {"loss": 1.0}, "loss": {"kind": "array"}}, {},
     "fibre.loss: the loss is a table"),
    ({"fibre": {"gamma": None}}, {}, "fibre.gamma: required"),
    ({"fibre": {"n2": 2.6e-20}}, {}, "fibre.n2: only with an area table"),
    ({"area": {"kind": "array"}, "fibre": {"gamma": None}}, {},
     "fibre.n2: required with an area table"),
    ({"area": {"kind": "array"}, "fibre": {"n2": 1e-20}}, {},
     "fibre.gamma: the area is a table"),
    ({"fibre": {"gamma": None, "n2": 2.6e-20, "tau_shock": 1.0}, "area": {"kind": "array"}},
     {}, "fibre.tau_shock: the area table gives"),
    ({"loss": {"kind": "file"}}, {}, "loss.path: required"),
    ({"area": {"kind": "array", "outside": "clip"}, "fibre": {"gamma": None, "n2": 1e-20}},
     {}, "area.outside: 'clip' is not allowed"),
])
def test_bad_table_case_one_line(change, given, words):
    c = _changed(change)
    with pytest.raises(CaseError) as err:
        validate(c, SCHEMA)
    assert words in str(err.value)
    assert len(err.value.problems) == 1


NARROW = np.linspace(1500.0, 1600.0, 101)
TABLE = {"fibre": {"beta": None}, "dispersion": {"kind": "array"}}


@pytest.mark.parametrize("sections, given, words", [
    (TABLE, {"beta": np.array([NARROW, 0 * NARROW])},
     "dispersion.beta: the table covers 1500 to 1600 nm; the grid's frequencies span"),
    ({"fibre": {"beta": None}, "dispersion": {"kind": "array", "outside": "extend"}},
     {"beta": np.array([NARROW + 100, 0 * NARROW])},
     "dispersion.beta: the table covers 1600 to 1700 nm; the carrier (1550 nm) is outside"),
    (TABLE, {"beta": np.array([LAM[:3], LAM[:3]])}, "expected a 1-D table of at least 4"),
    (TABLE, {"beta": np.array([np.r_[LAM[:5], LAM[3]], np.zeros(6)])},
     "dispersion.beta: wavelength: the values must be strictly increasing or decreasing"),
    (TABLE, {"beta": LAM}, "dispersion.beta: shape (2001,); expected a (2, n) array"),
    ({"fibre": {"beta": None}, "dispersion": {"kind": "array", "quantity": "n_eff"}},
     {"n_eff": np.array([LAM, -np.ones(LAM.size)])}, "dispersion.n_eff: n_eff must be > 0"),
    ({"loss": {"kind": "array"}}, {"loss": np.array([LAM, -np.ones(LAM.size)])},
     "loss.loss: the loss must be >= 0"),
    ({"fibre": {"gamma": None, "n2": 2.6e-20}, "area": {"kind": "array"}},
     {"area": np.array([LAM, np.zeros(LAM.size)])}, "area.area: the effective area must be"),
    (TABLE, {}, "dispersion.beta: dispersion.kind = 'array' needs this input"),
    (TABLE, {"n_eff": np.array([LAM, np.ones(LAM.size)])},
     "dispersion.quantity: 'beta', but the table given is 'n_eff'"),
])
def test_bad_table_one_line(sections, given, words):
    c = _changed(sections)
    with pytest.raises(CaseError) as err:
        _model(c, **given)
    assert words in str(err.value)
    assert len(err.value.problems) == 1
