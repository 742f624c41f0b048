"""PECCARY: ordinal patterns, permutation entropy and statistical complexity.

Bandt-Pompe ordinal patterns of any time series (numpy or xarray, one series
or batches, optionally spread over MPI ranks), the complexity-entropy plane
and the sampling-interval choice of Hyman, Daniel & Schaffner (ApJ 987, 195, 2025);
and ordpy's other tools: pattern sequences and missing patterns, ordinal
networks, the Fisher-Shannon plane, 2-D patterns of images, the permutation
Jensen-Shannon distance, and pattern probabilities as input.
"""
from .api import (OrdinalWarning, classify, complexity_entropy, expected_missing_white,
                  finite_size_entropy_white, multiscale, ordinal_distribution,
                  renyi_complexity_entropy, tsallis_complexity_entropy)
from .plane import (REGIMES, boundaries, c_max, c_min, curves, h_max_periodic, h_min_periodic,
                    periodic_line)
from .distance import js_distance
from .fisher import fisher_information, fisher_shannon, image_fisher_shannon
from .images import image_complexity_entropy, image_ordinal_distribution
from .networks import (OrdinalNetwork, global_node_entropy, image_ordinal_network,
                       missing_links, ordinal_network, random_ordinal_network)
from .patterns import (image_ordinal_sequence, missing_patterns, ordinal_sequence,
                       pattern_labels, pattern_table)
from .regime import REGIME_LABELS, regime_test
from .sampling import natural_timescale, sampling_scan

__all__ = ["OrdinalWarning", "REGIMES", "boundaries", "c_max", "c_min", "classify",
           "complexity_entropy", "curves", "expected_missing_white",
           "finite_size_entropy_white", "h_max_periodic", "h_min_periodic", "multiscale",
           "natural_timescale", "ordinal_distribution", "periodic_line",
           "regime_test", "REGIME_LABELS", "renyi_complexity_entropy", "sampling_scan", "tsallis_complexity_entropy",
           # ordpy's other features (README: "ordpy's functions in physim")
           "OrdinalNetwork", "fisher_information", "fisher_shannon", "global_node_entropy",
           "image_complexity_entropy", "image_fisher_shannon", "image_ordinal_distribution",
           "image_ordinal_network", "image_ordinal_sequence", "js_distance", "missing_links",
           "missing_patterns", "ordinal_network", "ordinal_sequence", "pattern_labels",
           "pattern_table", "random_ordinal_network"]
