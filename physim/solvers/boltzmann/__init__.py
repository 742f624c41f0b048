"""Spatially homogeneous Boltzmann gas and binary mixture: fast spectral collision operators."""
from .schema import SCHEMA
from .simulation import Simulation

__all__ = ["SCHEMA", "Simulation"]
