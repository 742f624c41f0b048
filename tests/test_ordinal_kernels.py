"""The unrolled n = 3..7 counting path gives exactly the sliding kernel's counts and stats
(float64: other dtypes go to the sliding kernel, checked through the API at the end)."""
import numpy as np
import pytest

from physim.analysis import ordinal as o

from physim.analysis.ordinal._kernels import (count_batch, count_batch_small, count_one,
                                              count_one_small, place_values)

RNG = np.random.default_rng(11)
DATA = {
    "gaussian": RNG.standard_normal((3, 2003)),
    "tied": RNG.integers(0, 3, (2, 2000)).astype(float),
    "nan_and_ties": np.where(RNG.random((2, 1500)) < 0.02, np.nan,
                             RNG.integers(0, 4, (2, 1500)).astype(float)),
    "integers": RNG.integers(0, 5, (2, 1000)).astype(float),
    "too_short": np.ones((2, 4)),
}


@pytest.mark.parametrize("name", sorted(DATA))
@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_unrolled_equals_sliding(name, n):
    from math import factorial
    X = DATA[name]
    for d in (1, 2, 5):
        ref_c = np.zeros((X.shape[0], factorial(n)), np.int64)
        ref_s = np.zeros((X.shape[0], 3), np.int64)
        count_batch(X, n, d, place_values(n), ref_c, np.zeros((X.shape[0], 1)), ref_s, False)
        for fn, rows in ((count_batch_small, X), (count_one_small, X[:1])):
            c = np.zeros((rows.shape[0], factorial(n)), np.int64)
            s = np.zeros((rows.shape[0], 3), np.int64)
            fn(rows, n, d, c, s)
            assert np.array_equal(c, ref_c[:rows.shape[0]]) and \
                np.array_equal(s, ref_s[:rows.shape[0]])
        c1 = np.zeros((1, factorial(n)), np.int64)
        s1 = np.zeros((1, 3), np.int64)
        count_one(X[:1], n, d, place_values(n), c1, np.zeros((1, 1)), s1, False)
        assert np.array_equal(c1, ref_c[:1]) and np.array_equal(s1, ref_s[:1])


def test_other_dtypes_give_the_float64_result():
    x = RNG.integers(0, 50, 3000)
    ref = o.complexity_entropy(x.astype(float), 4, [1, 2], warn=False)
    for X in (x, x.astype(np.int32), x.astype(np.float32)):
        ds = o.complexity_entropy(X, 4, [1, 2], warn=False)
        assert np.array_equal(ds.H.values, ref.H.values)
        assert np.array_equal(ds.tie_fraction.values, ref.tie_fraction.values)
