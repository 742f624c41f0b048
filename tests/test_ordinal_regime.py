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
