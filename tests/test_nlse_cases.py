"""Each NLSE case file against its exact solution or closed-form prediction."""
from pathlib import Path

import numpy as np
import pytest

import physim
from physim.solvers.nlse import exact

CASES = "cases/nlse"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, repo_root):
    """Run every case once (at its default settings) and share the outputs."""
    tmp = tmp_path_factory.mktemp("nlse_cases")
    done = {}

    def get(name, *overrides):
        key = (name,) + overrides
        if key not in done:
            path = physim.run(repo_root / CASES / f"{name}.toml", tmp / f"{len(done)}.h5",
                              overrides=overrides, progress="none")
            done[key] = physim.open(path).load()
        return done[key]
    return get


def rel_l2(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_soliton_error_and_conservation(outputs):
    ds = outputs("soliton")
    x, t = ds.x.values, ds.time.values
    err = max(rel_l2(ds.psi.values[i], exact.soliton_physical(x, t[i], 2.0, 1.0, -10.0))
              for i in range(0, len(t), 10))
    assert err < 1e-10
    assert ds.mass.values[0] == pytest.approx(4.0, rel=1e-14)  # N = 2 eta
    assert ds.momentum.values[0] == pytest.approx(4.0, rel=1e-14)  # P = 2 eta v
    assert ds.energy.values[0] == pytest.approx(1 * 2 - 8 / 3, rel=1e-13)  # H = eta v^2 - eta^3/3
    drift = lambda q: np.abs(q - q[0]).max() / abs(q[0])  # noqa: E731
    assert drift(ds.mass.values) < 1e-12
    assert drift(ds.momentum.values) < 1e-12
    assert drift(ds.energy.values) < 1e-9


def test_soliton_lines_formulation_agrees(outputs):
    ds = outputs("soliton", "numerics.formulation='lines'", "time.end=5.0", "output.every=5.0")
    psi = ds.psi.values[-1]
    assert rel_l2(psi, exact.soliton_physical(ds.x.values, 5.0, 2.0, 1.0, -10.0)) < 1e-10


def _soliton_fit(ds, t, eta, v, guess):
    """Centre (first moment of |psi|^2 in a +-8 window) and phase constant of one soliton."""
    x, psi = ds.x.values, ds.psi.sel(time=t).values
    L = float(ds.attrs["L"])
    d = (x - guess + L / 2) % L - L / 2
    w = np.abs(d) < 8
    xc = guess + np.sum(d[w] * np.abs(psi[w]) ** 2) / np.sum(np.abs(psi[w]) ** 2)
    template = exact.soliton(x[w], t, eta, v, xc - v * t)
    phi = np.angle(np.sum(psi[w] * np.conj(template)))
    return xc, phi


def test_two_soliton_collision_shifts(outputs):
    ds = outputs("two_soliton")
    T = float(ds.time[-1])
    dx1, dx2, dp1, dp2 = exact.two_soliton_shifts(2.0, 2.0, 1.5, -2.0)
    # theory values quoted in the research notes (independent check of the formula)
    np.testing.assert_allclose([dx1, dx2, dp1, dp2],
                               [0.276500, -0.368667, 1.188950, 1.686370], atol=1e-6)
    x1, p1 = _soliton_fit(ds, T, 2.0, 2.0, -10 + 2 * T + dx1)
    x2, p2 = _soliton_fit(ds, T, 1.5, -2.0, 10 - 2 * T + dx2)
    assert abs((x1 - (-10 + 2 * T)) - dx1) < 1e-6
    assert abs((x2 - (10 - 2 * T)) - dx2) < 1e-6
    wrap = lambda a: (a + np.pi) % (2 * np.pi) - np.pi  # noqa: E731
    assert abs(wrap(p1 - dp1)) < 1e-6
    assert abs(wrap(p2 - dp2)) < 1e-6
    q = ds.mass.values
    assert np.abs(q - q[0]).max() / q[0] < 1e-11  # measured 2e-12 at default tolerances


def test_akhmediev_peak_period_and_error(outputs):
    ds = outputs("akhmediev")
    a = 0.25
    omega, b, period, peak = exact.akhmediev_params(a)
    x, t = ds.x.values, ds.time.values
    amp = np.abs(ds.psi.values).max(axis=1)
    i = int(np.argmax(amp))
    assert t[i] == pytest.approx(0.0, abs=1e-12)
    assert abs(amp[i] - peak) < 1e-10  # 1 + sqrt(2)
    # spatial period: the dominant wavenumber of |psi|^2 at the peak
    spec = np.abs(np.fft.rfft(np.abs(ds.psi.values[i]) ** 2 - 1))
    kdom = 2 * np.pi / float(ds.attrs["L"]) * np.argmax(spec)
    assert 2 * np.pi / kdom == pytest.approx(period, rel=1e-12)
    errs = [rel_l2(ds.psi.values[j], exact.akhmediev(x, t[j], a)) for j in range(0, len(t), 20)]
    assert max(errs) < 1e-10


def test_peregrine_peak(outputs):
    ds = outputs("peregrine")
    psi0 = ds.psi.sel(time=0.0).values
    assert abs(np.abs(psi0).max() - 3.0) < 1e-4  # 1/L^2 boundary mismatch limits this
    assert rel_l2(psi0, exact.peregrine(ds.x.values, 0.0)) < 2e-5


def test_modulation_instability_growth_rate(outputs):
    ds = outputs("modulation_instability", "time.end=10.0")
    L = float(ds.attrs["L"])
    t = ds.time.values
    c = np.fft.fft(ds.psi.values, axis=1) / ds.psi.shape[1]
    k = 2 * np.pi * np.fft.fftfreq(ds.psi.shape[1], L / ds.psi.shape[1])
    fit = (t >= 4) & (t <= 10)
    measured, predicted = [], []
    for m in range(1, 12):  # the unstable band |k| < 2 holds modes m = 1..11
        for j in (m, -m):
            slope = np.polyfit(t[fit], np.log(np.abs(c[fit, j])), 1)[0]
            measured.append(slope)
            predicted.append(exact.mi_gain(k[j]))
    measured, predicted = np.array(measured), np.array(predicted)
    fastest = np.argmax(predicted)
    assert predicted[fastest] == pytest.approx(1.0)  # k = sqrt(2), g = A^2
    assert abs(measured[fastest] / predicted[fastest] - 1) < 0.05
    strong = predicted > 0.6
    assert np.all(np.abs(measured[strong] / predicted[strong] - 1) < 1e-3)
    assert ds.attrs["initial_seed"] == 20261122


def test_noise_seed_reproducible(tmp_path, repo_root):
    case = repo_root / CASES / "modulation_instability.toml"
    kw = dict(overrides=["time.end=0.2"], progress="none")
    a = physim.open(physim.run(case, tmp_path / "a.h5", **kw)).load()
    b = physim.open(physim.run(case, tmp_path / "b.h5", **kw)).load()
    c = physim.open(physim.run(case, tmp_path / "c.h5", overrides=["time.end=0.2",
                                                                   "initial.seed=7"],
                               progress="none")).load()
    assert np.array_equal(a.psi.values, b.psi.values)
    assert not np.array_equal(a.psi.values, c.psi.values)


def test_an_under_resolved_run_warns_once_and_names_the_fix(tmp_path, caplog):
    """The modulation instability at N = 128 fills the grid's band by t = 25 (momentum
    off by 5e-3): one warning naming grid.N; at N = 256 it stays resolved (share 3e-11)."""
    import logging
    cases = Path(__file__).resolve().parents[1] / "cases" / "nlse"
    with caplog.at_level(logging.WARNING, logger="physim"):
        physim.run(cases / "modulation_instability.toml", tmp_path / "a.h5",
                   overrides=["grid.N=128", "output.every=5.0"], progress="none")
    hits = [r.getMessage() for r in caplog.records if "under-resolved" in r.getMessage()]
    assert len(hits) == 1 and "raise grid.N" in hits[0] and "dealias" not in hits[0], hits
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="physim"):
        physim.run(cases / "modulation_instability.toml", tmp_path / "b.h5",
                   overrides=["grid.N=128", "output.every=5.0", "numerics.dealias=0.6666666666666666"],
                   progress="none")
    hits = [r.getMessage() for r in caplog.records if "under-resolved" in r.getMessage()]
    assert len(hits) == 1 and "numerics.dealias = 0.666667 keeps only" in hits[0], hits
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="physim"):
        physim.run(cases / "modulation_instability.toml", tmp_path / "c.h5",
                   overrides=["output.every=5.0"], progress="none")
    assert not [r for r in caplog.records if "under-resolved" in r.getMessage()]
