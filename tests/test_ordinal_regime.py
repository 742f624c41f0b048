"""The regime test (physim.analysis.ordinal.regime): regular, complex, stochastic, undetermined.

Small series generated here with fixed seeds; the battery that validates the rule
on many more systems is benchmarks/peccary_regime_battery.py (README, "Regime").
"""
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physim.analysis import ordinal as o


def test_sampling_scan_warns_when_the_recommended_delay_is_outside_the_window():
    x = np.random.default_rng(0).standard_normal(5000)  # t_nat ~ 4 samples: delay 1 is 1.0 t_nat
    with pytest.warns(o.OrdinalWarning, match="outside the window.*not clamped"):
        scan = o.sampling_scan(x, 5, dt=1.0)
    assert scan.attrs["recommended_in_window"] == 0
    assert scan.attrs["recommended_ratio"] > 0.5
    t = 0.01 * np.arange(20000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", o.OrdinalWarning)
        scan = o.sampling_scan(np.sin(2 * np.pi * t / 1.0037), 5, dt=0.01)
    assert scan.attrs["recommended_in_window"] == 1
    assert 0.3 <= scan.attrs["recommended_ratio"] <= 0.5


def _flow(rhs, y0, dt, samples, comp=0):
    y = solve_ivp(rhs, (0, 50), y0, method="DOP853", rtol=1e-8, atol=1e-8).y[:, -1]
    t = dt * np.arange(samples)
    return solve_ivp(rhs, (0, t[-1]), y, method="DOP853", rtol=1e-8, atol=1e-8,
                     t_eval=t).y[comp]


def lorenz(t, s):
    return [10 * (s[1] - s[0]), s[0] * (28 - s[2]) - s[1], s[0] * s[1] - 8 / 3 * s[2]]


def roessler(t, s):
    return [-s[1] - s[2], s[0] + 0.2 * s[1], 0.2 + s[2] * (s[0] - 5.7)]


def fgn(rng, hurst, samples):
    k = np.arange(samples + 1)
    g = 0.5 * ((k + 1.0) ** (2 * hurst) - 2 * k ** (2.0 * hurst) + np.abs(k - 1.0) ** (2 * hurst))
    c = np.concatenate([g, g[-2:0:-1]])
    lam = np.maximum(np.fft.fft(c).real, 0)
    w = rng.standard_normal(c.size) + 1j * rng.standard_normal(c.size)
    return np.fft.fft(np.sqrt(lam / c.size) * w).real[:samples]


def regime(x, dt=1.0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", o.OrdinalWarning)
        return o.regime_test(x, dt=dt, **kw)


def ar1(rng, phi, samples):
    x = np.zeros(samples)
    e = rng.standard_normal(samples)
    for k in range(1, samples):
        x[k] = phi * x[k - 1] + e[k]
    return x


@pytest.mark.parametrize("make", [
    lambda r: r.standard_normal(10000),
    lambda r: ar1(r, 0.9, 10000),
    lambda r: fgn(r, 0.8, 10000),
], ids=["white", "AR(1) 0.9", "fGn H=0.8"])
def test_noise_is_stochastic(make):
    res = regime(make(np.random.default_rng(1)))
    assert res["regime"] == "stochastic", res["reason"]
    e = res["evidence"]
    assert e["p_missing_white"] >= 1e-3 and res["confidence"] == 1.0


def test_chaos_is_complex():
    lor = regime(_flow(lorenz, [1, 1, 20], 0.015, 10000, comp=2), dt=0.015)
    ros = regime(_flow(roessler, [1, 1, 0], 0.12, 10000), dt=0.12)
    x = np.empty(5000)
    x[0] = 0.1
    for k in range(x.size - 1):
        x[k + 1] = 4 * x[k] * (1 - x[k])
    log = regime(x)
    for res in (lor, ros, log):
        assert res["regime"] == "complex", res["reason"]
        e = res["evidence"]
        assert e["missing_patterns"] > e["surrogate_missing_max"]
        assert e["p_missing_white"] < 1e-3 and e["zero_one_K"] > 0.5
    # Roessler sits left of H_max,per: the plane alone calls it regular
    assert ros["evidence"]["H"] < ros["evidence"]["h_max_periodic"]


@pytest.mark.parametrize("periods,amps", [([1.0], [1.0]), ([1.0, 1 / 3.7], [1.0, 0.5]),
                                          ([1.0, 1 / np.sqrt(2), 1 / np.pi], [1, 0.7, 0.4])],
                         ids=["sine", "two sines", "three sines"])
def test_periodic_and_quasi_periodic_are_regular(periods, amps):
    dt = 0.02 / 1.00371
    t = dt * np.arange(10000)
    x = sum(a * np.sin(2 * np.pi * t / p + 0.3 * i) for i, (p, a) in enumerate(zip(periods, amps)))
    res = regime(x, dt=dt)
    assert res["regime"] == "regular", res["reason"]
    assert res["evidence"]["zero_one_K"] < 0.5


def test_n3_is_undetermined():
    res = regime(np.random.default_rng(0).standard_normal(5000), n=3)
    assert res["regime"] == "undetermined" and "n = 3" in res["reason"]
    assert res["confidence"] == 0.0
    ce = o.complexity_entropy(np.random.default_rng(0).standard_normal(5000), 3)
    assert ce.regime.item() == "undetermined"


def test_ties_are_undetermined():
    x = np.random.default_rng(0).integers(0, 3, 20000).astype(float)
    res = regime(x)
    assert res["regime"] == "undetermined" and "equal values" in res["reason"]
    assert res["evidence"]["tie_fraction"] > 0.9
    with pytest.warns(o.OrdinalWarning, match="equal values"):
        assert o.complexity_entropy(x, 5).regime.item() == "undetermined"


def test_too_few_windows_is_undetermined():
    res = regime(np.random.default_rng(0).standard_normal(600))
    assert res["regime"] == "undetermined" and "windows" in res["reason"]


def test_complexity_entropy_regime_uses_missing_patterns():
    # white noise at 10^4 samples: stochastic, and its p_missing_white is reported
    ce = o.complexity_entropy(np.random.default_rng(2).standard_normal(10000), 5, warn=False)
    assert ce.regime.item() == "stochastic" and float(ce.p_missing_white) == 1.0
    assert o.REGIME_LABELS == ("regular", "complex", "stochastic", "undetermined")


@pytest.mark.parametrize("kw,match", [({"surrogates": -1}, "surrogates = -1"),
                                      ({"delay": 0}, "delay = 0"),
                                      ({"delay": 1.5}, "delay = 1.5"),
                                      ({"method": "fft"}, "method = 'fft'")])
def test_bad_arguments_get_one_clear_line(kw, match):
    with pytest.raises(ValueError, match=match):
        o.regime_test(np.random.default_rng(0).standard_normal(2000), **kw)
