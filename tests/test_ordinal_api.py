"""The ordinal-analysis interface: inputs, batches, xarray, MPI, errors, warnings, CLI."""
import warnings

import numpy as np
import pytest
import xarray as xr

from physim.analysis import ordinal as o
from physim.parallel import run_ranks

RNG = np.random.default_rng(7)


def test_batch_equals_one_by_one_and_keeps_coordinates():
    X = RNG.standard_normal((3, 4, 3000))
    da = xr.DataArray(X, dims=("run", "probe", "time"),
                      coords={"run": [10, 20, 30], "time": 0.5 * np.arange(3000)})
    ds = o.complexity_entropy(da, 4, [1, 2])
    assert ds.H.dims == ("run", "probe", "delay")
    assert list(ds.run.values) == [10, 20, 30]
    np.testing.assert_allclose(ds.t_pat.values, [1.5, 3.0])
    for i in range(3):
        for j in range(4):
            one = o.complexity_entropy(X[i, j], 4, [1, 2])
            assert np.array_equal(one.H.values, ds.H.values[i, j])
            assert np.array_equal(one.C.values, ds.C.values[i, j])
    # time need not be the last axis of a DataArray
    again = o.complexity_entropy(da.transpose("time", "probe", "run"), 4, [1, 2])
    assert np.array_equal(again.H.transpose(*ds.H.dims).values, ds.H.values)


def test_t_pat_is_converted_to_delay():
    da = xr.DataArray(RNG.standard_normal(5000), dims="time",
                      coords={"time": 0.25 * np.arange(5000)})
    ds = o.complexity_entropy(da, 5, t_pat=3.0)  # (n-1) l dt = 3 -> l = 3
    assert int(ds.delay) == 3 and float(ds.t_pat) == 3.0
    assert float(ds.H) == float(o.complexity_entropy(da.values, 5, 3).H)


def test_nan_windows_are_skipped_and_counted():
    x = RNG.standard_normal(2000)
    y = x.copy()
    y[[100, 1500]] = np.nan
    ds = o.complexity_entropy(y, 4, 2, warn=False)
    assert int(ds.nan_windows) == 2 * 4  # each NaN sits in n windows
    assert int(ds.windows) == 2000 - 3 * 2 - 8
    # the same as counting the two NaN-free stretches separately
    a = o.ordinal_distribution(y[:100], 4, 2)["count"] + \
        o.ordinal_distribution(y[101:1500], 4, 2)["count"] + \
        o.ordinal_distribution(y[1501:], 4, 2)["count"]
    gaps = o.ordinal_distribution(y, 4, 2)["count"]
    # windows that straddle a NaN-free gap of one sample still count in y
    assert int(gaps.sum()) >= int(a.sum())
    allnan = o.complexity_entropy(np.full(100, np.nan), 3, warn=False)
    assert int(allnan.windows) == 0 and np.isnan(float(allnan.H)) and allnan.regime.item() == ""


def test_constant_series_is_one_pattern():
    ds = o.complexity_entropy(np.ones(1000), 4, warn=False)
    assert float(ds.H) == 0.0 and float(ds.C) == 0.0 and float(ds.tie_fraction) == 1.0
    assert not np.signbit(float(ds.H))


def test_generalised_orders_reduce_to_shannon():
    x = RNG.standard_normal(5000)
    s = o.complexity_entropy(x, 4)
    for kind in ("renyi", "tsallis"):
        g = o.complexity_entropy(x, 4, kind=kind, order=[1.0, 1.0 + 1e-7])
        np.testing.assert_allclose(g.H.values, float(s.H), atol=1e-6)
        np.testing.assert_allclose(g.C.values, float(s.C), atol=1e-6)


def test_multiscale_coarse_grains():
    x = RNG.standard_normal(40000)
    ms = o.multiscale(x, [1, 2, 4], 4)
    assert list(ms.scale.values) == [1, 2, 4]
    assert float(ms.H.sel(scale=1)) == float(o.complexity_entropy(x, 4).H)
    coarse = x[:40000].reshape(-1, 4).mean(1)
    assert float(ms.H.sel(scale=4)) == float(o.complexity_entropy(coarse, 4).H)


def test_classification_regions():
    n = 5
    hi = o.h_max_periodic(n)
    assert list(o.classify([0.3, hi - 1e-9], [0.2, 0.3], n)) == ["regular", "regular"]
    H = 0.68
    assert str(o.classify(H, 0.95 * float(o.c_max(H, n)), n)) == "complex"
    assert str(o.classify(H, 1.05 * float(o.c_min(H, n)), n)) == "stochastic"
    assert str(o.classify(0.999863, 0.000245, n)) == "stochastic"  # white noise, 10^5 samples


def test_sampling_scan_window_and_warnings():
    dt = 0.01
    t = dt * np.arange(20000)
    da = xr.DataArray(np.sin(2 * np.pi * t / 1.0037), dims="time", coords={"time": t})
    scan = o.sampling_scan(da, 5)
    assert abs(scan.attrs["t_nat"] - 1.0037) < 0.01
    r = scan.t_pat_ratio.values
    assert scan.in_window.values.tolist() == ((r >= 0.3) & (r <= 0.5)).tolist()
    best = scan.attrs["recommended_delay"]
    assert abs(float(scan.t_pat_ratio.sel(delay=best)) - 0.4) <= 0.5 * 4 * dt / 1.0037
    assert (scan.regime.sel(delay=scan.in_window) == "regular").all()
    with pytest.warns(o.OrdinalWarning, match="t_dur"):
        o.sampling_scan(da.isel(time=slice(0, 120)), 3, t_nat=1.0037)
    with pytest.warns(o.OrdinalWarning, match="10 n!"):
        o.complexity_entropy(RNG.standard_normal(500), 5)


def test_natural_timescale_methods():
    dt = 0.01
    t = dt * np.arange(10000)
    x = np.sin(2 * np.pi * t / 2.0)
    for m in ("ncross", "maxavg", "minavg"):
        assert abs(o.natural_timescale(x, dt, m) - 2.0) < 0.02
    tn = o.natural_timescale(xr.DataArray(np.stack([x, np.sin(2 * np.pi * t / 0.5)]),
                                          dims=("s", "time"), coords={"time": t}))
    np.testing.assert_allclose(tn.values, [2.0, 0.5], rtol=0.01)


@pytest.mark.parametrize("call,match", [
    (lambda: o.complexity_entropy(np.ones(100), 9), "n = 9"),
    (lambda: o.complexity_entropy(np.ones(100), 4, 0), "delay = 0"),
    (lambda: o.complexity_entropy(np.ones(100), 4, 1.5), "delay = 1.5"),
    (lambda: o.complexity_entropy(np.ones(100), 4, t_pat=1.0), "needs the sampling interval"),
    (lambda: o.complexity_entropy(np.ones(100), 4, t_pat=0.1, dt=1.0), "t_pat = 0.1"),
    (lambda: o.complexity_entropy(np.ones(100), 4, kind="gini"), "kind = 'gini'"),
    (lambda: o.complexity_entropy(np.ones(100), 4, kind="renyi", order=0), "order = 0:"),
    (lambda: o.complexity_entropy(np.ones(100), 4, order=2.0), "only applies"),
    (lambda: o.complexity_entropy(np.ones(100) + 1j, 4), "complex"),
    (lambda: o.complexity_entropy(xr.DataArray(np.ones(10), dims="t"), 3, dim="time"),
     "dim = 'time'"),
    (lambda: o.complexity_entropy(xr.DataArray(np.ones(5), dims="time",
                                               coords={"time": [0, 1, 2, 4, 5.]}), 3, t_pat=2),
     "not uniformly spaced"),
    (lambda: o.natural_timescale(np.ones(10), 1.0, "fourier"), "method = 'fourier'"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_batches_spread_over_ranks_give_the_serial_result():
    X = RNG.standard_normal((7, 3000))
    serial = o.complexity_entropy(X, 4, [1, 3])
    for size in (2, 3):
        outs = run_ranks(size, lambda comm: o.complexity_entropy(X, 4, [1, 3], comm=comm))
        for ds in outs:
            for v in ("H", "C", "windows", "missing_patterns"):
                assert np.array_equal(ds[v].values, serial[v].values)
        dist = run_ranks(size, lambda comm: o.ordinal_distribution(X, 4, comm=comm))
        assert np.array_equal(dist[0]["count"].values, o.ordinal_distribution(X, 4)["count"].values)


def test_no_window_copies_for_long_delays():
    # a delay of 10^5 on 10^6 points: memory stays O(n!) (ordpy issue #12 copies windows)
    import tracemalloc
    x = RNG.standard_normal(1_000_000)
    o.complexity_entropy(x, 5, 1000)  # compile
    tracemalloc.start()
    o.complexity_entropy(x, 5, 100_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2e6  # bytes; the series itself is 8 MB and is not copied


def test_warnings_are_ordinal_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", o.OrdinalWarning)
        o.complexity_entropy(RNG.standard_normal(20000), 4)  # 20000 > 10 * 4!
