"""Ordinal analysis against independent implementations and closed forms.

* ordpy (Pessa & Ribeiro) and antropy (Vallat): H, C, Renyi, Tsallis and
  weighted PE to 1e-12, with ties and several delays;
* the white-noise finite-size bias 1 - (n!-1)/(2 N ln n!) (Miller-Madow);
* forbidden patterns of the logistic map, and the white-noise expectation of
  missing patterns;
* the periodic-region geometry: a sampled sine makes at most 2(2n-3) patterns.
"""
from math import factorial

import numpy as np
import pytest

from physim.analysis import ordinal as o
from physim.solvers.peccary import generators as gen

ordpy = pytest.importorskip("ordpy")
antropy = pytest.importorskip("antropy")

RNG = np.random.default_rng(20261123)
SERIES = {
    "gaussian": RNG.standard_normal(20000),
    "integers_0_2": RNG.integers(0, 3, 20000).astype(float),  # heavily tied
    "rounded_noise": np.round(RNG.standard_normal(20000), 1),
    "logistic": gen.logistic(20000)["x"],
    "red_noise": gen.noise(20000, "red", seed=3)["x"],
    "sine": gen.sines(20000, 1.0, [100.37])["x"],
}


@pytest.mark.parametrize("name", sorted(SERIES))
@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_shannon_matches_ordpy(name, n):
    x = SERIES[name]
    delays = [1, 3, 10] if n < 7 else [1, 3]
    ds = o.complexity_entropy(x, n, delays, warn=False)
    for i, d in enumerate(delays):
        H, C = ordpy.complexity_entropy(x, dx=n, taux=d)
        assert abs(ds.H.values[i] - H) <= 1e-12
        assert abs(ds.C.values[i] - C) <= 1e-12


@pytest.mark.parametrize("name", sorted(SERIES))
@pytest.mark.parametrize("n", [3, 5, 6])
def test_entropy_matches_antropy(name, n):
    x = SERIES[name]
    for d in (1, 2):
        H = float(o.complexity_entropy(x, n, d, warn=False).H)
        assert abs(H - antropy.perm_entropy(x, order=n, delay=d, normalize=True)) <= 1e-12


@pytest.mark.parametrize("kind,orders,fn,key", [
    ("renyi", [0.5, 2.0, 5.0], "renyi_complexity_entropy", "alpha"),
    ("tsallis", [0.5, 2.0, 3.0], "tsallis_complexity_entropy", "q")])
@pytest.mark.parametrize("name", ["gaussian", "integers_0_2", "logistic"])
def test_generalised_planes_match_ordpy(kind, orders, fn, key, name):
    x = SERIES[name]
    ds = o.complexity_entropy(x, 4, 2, kind=kind, order=orders, warn=False)
    assert ds.H.dims == ("order",)
    ref = getattr(ordpy, fn)(x, **{key: orders}, dx=4, taux=2)
    np.testing.assert_allclose(ds.H.values, ref[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.C.values, ref[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 5])
def test_weighted_matches_ordpy(n):
    for name in ("gaussian", "red_noise", "integers_0_2"):
        x = SERIES[name][:5000]
        H = float(o.complexity_entropy(x, n, 2, weighted=True, warn=False).H)
        assert abs(H - ordpy.weighted_permutation_entropy(x, dx=n, taux=2)) <= 1e-12


def test_distribution_matches_ordpy_patterns():
    x = SERIES["integers_0_2"][:3000]
    ds = o.ordinal_distribution(x, 4, 1)
    pats, probs = ordpy.ordinal_distribution(x, dx=4, taux=1, return_missing=True)
    ref = {"".join(str(int(v)) for v in p): q for p, q in zip(pats, probs)}
    ours = dict(zip(ds.pattern.values, ds.probability.values))
    assert set(ref) == set(ours)
    for k in ref:
        assert abs(ref[k] - ours[k]) <= 1e-15


def test_ties_ranked_by_time_and_reported():
    # stable argsort: 1 1 1 and 1 1 2 are the rising 012, 1 2 1 is 021, 2 1 1 is 120
    ds = o.ordinal_distribution(np.array([1.0, 1, 1, 2, 1, 1]), 3)
    counts = dict(zip(ds.pattern.values, ds["count"].values))
    assert counts["012"] == 2 and counts["021"] == 1 and counts["120"] == 1
    r = o.complexity_entropy(np.array([1.0, 1, 1, 2, 1, 1]), 3, warn=False)
    assert float(r.tie_fraction) == 1.0
    assert float(o.complexity_entropy(SERIES["gaussian"], 3).tie_fraction) == 0.0


@pytest.mark.parametrize("n", [5, 6, 7])
def test_white_noise_finite_size_bias(n):
    """Mean H over 300 white series with N = 10 n! windows: within 1e-3 of Miller-Madow.

    Miller-Madow treats windows as independent draws. Overlapping windows are not,
    and for n <= 4 (few patterns, strong overlap) the bias differs by more: measured
    1.1e-3 at n = 4 and 8e-3 at n = 3 (README, "Finite-size bias").
    """
    N = 10 * factorial(n)
    X = np.random.default_rng(n).standard_normal((300, N + n - 1))
    ds = o.complexity_entropy(X, n, warn=False)
    assert (ds.windows == N).all()
    expect = o.finite_size_entropy_white(N, n)
    assert abs(float(ds.H.mean()) - expect) <= 1e-3
    # and at 50 n!, where the bias is five times smaller
    X = np.random.default_rng(10 + n).standard_normal((100, 50 * factorial(n) + n - 1))
    H = float(o.complexity_entropy(X, n, warn=False).H.mean())
    assert abs(H - o.finite_size_entropy_white(50 * factorial(n), n)) <= 3e-4


def test_missing_patterns_of_white_noise_match_expectation():
    n, N = 5, 3 * 120
    X = np.random.default_rng(5).standard_normal((500, N + n - 1))
    ds = o.complexity_entropy(X, n, warn=False)
    mean = float(ds.missing_patterns.mean())
    assert abs(mean - float(ds.missing_expected_white[0])) <= 0.1 * mean
    X = np.random.default_rng(6).standard_normal((300, 10 * 120 + n - 1))
    none_missing = float((o.complexity_entropy(X, n, warn=False).missing_patterns == 0).mean())
    assert none_missing >= 0.95


def test_logistic_map_has_forbidden_patterns():
    x = gen.logistic(100_000)["x"]
    ds = o.complexity_entropy(x, 5)
    assert int(ds.missing_patterns) >= 89  # e.g. the pattern 43210 cannot occur (Amigo 2007)
    assert float(ds.missing_expected_white) < 1e-100
    # the same number of white-noise windows sees all 120
    assert int(o.complexity_entropy(RNG.standard_normal(100_000), 5).missing_patterns) == 0
    # forbidden patterns survive any series length above a few n!
    assert int(o.complexity_entropy(x[:2000], 5, warn=False).missing_patterns) >= 89


@pytest.mark.parametrize("n", [4, 5, 6])
def test_sine_stays_in_the_periodic_region(n):
    x = gen.sines(100_000, 1.0, [100.37])["x"]
    ds = o.complexity_entropy(x, n, list(range(1, 26)))
    hi = o.h_max_periodic(n)
    assert (ds.H <= hi + 1e-12).all()
    assert (ds.missing_patterns >= factorial(n) - 2 * (2 * n - 3)).all()
    dist = o.ordinal_distribution(x, n, 10)
    assert int((dist["count"] > 0).sum()) <= 2 * (2 * n - 3)


def test_plane_geometry_against_ordpy():
    for n in (4, 5, 6):
        hmin, cmin, hmax, cmax = o.curves(n)
        ref_max = ordpy.maximum_complexity_entropy(n)
        ref_min = ordpy.minimum_complexity_entropy(n)
        assert np.abs(np.interp(ref_max[:, 0], hmax, cmax) - ref_max[:, 1]).max() < 1e-3
        assert np.abs(np.interp(ref_min[:, 0], hmin, cmin) - ref_min[:, 1]).max() < 1e-3
    assert abs(o.h_min_periodic(5) - 0.144783) < 1e-6
    assert abs(o.h_max_periodic(5) - 0.551240) < 1e-6
    assert abs(o.h_max_periodic(6) - 0.439316) < 1e-6
    assert abs(o.curves(5)[3].max() - 0.4248) < 1e-3
    assert abs(o.curves(6)[3].max() - 0.4967) < 1e-3


def test_n_and_delay_change_the_result():
    """A guard against the (n, delay)-ignored bug of other packages."""
    x = SERIES["red_noise"]
    a = o.complexity_entropy(x, 4, 1, warn=False)
    assert float(o.complexity_entropy(x, 5, 1, warn=False).H) != float(a.H)
    assert float(o.complexity_entropy(x, 4, 2, warn=False).H) != float(a.H)
