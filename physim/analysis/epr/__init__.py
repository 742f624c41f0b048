"""Entropy production of active matter: exact Gaussian references, linear scores, estimator."""
from .estimator import entropy_production
from .gaussian import aoup_matrices, aoup_trap_epr, linear_epr, stationary_covariance
from .score import LinearScore

__all__ = ["LinearScore", "aoup_matrices", "aoup_trap_epr", "entropy_production",
           "linear_epr", "stationary_covariance"]
