"""PECCARY: ordinal patterns, permutation entropy and statistical complexity.

Bandt-Pompe ordinal patterns of any time series (numpy or xarray, one series
or batches, optionally spread over MPI ranks), the complexity-entropy plane
and the sampling-interval choice of Hyman, Daniel & Schaffner (ApJ 987, 195, 2025).
"""
from .api import (OrdinalWarning, classify, complexity_entropy, expected_missing_white,
                  finite_size_entropy_white, multiscale, ordinal_distribution,
                  renyi_complexity_entropy, tsallis_complexity_entropy)
from .plane import (REGIMES, boundaries, c_max, c_min, curves, h_max_periodic, h_min_periodic,
                    periodic_line)
from .regime import REGIME_LABELS, regime_test
from .sampling import natural_timescale, sampling_scan

__all__ = ["OrdinalWarning", "REGIMES", "boundaries", "c_max", "c_min", "classify",
           "complexity_entropy", "curves", "expected_missing_white",
           "finite_size_entropy_white", "h_max_periodic", "h_min_periodic", "multiscale",
           "natural_timescale", "ordinal_distribution", "periodic_line",
           "regime_test", "REGIME_LABELS", "renyi_complexity_entropy", "sampling_scan",
           "tsallis_complexity_entropy"]
