"""Spatially homogeneous Boltzmann gas and binary mixture: fast spectral collision operators."""
from .schema import INPUTS, SCHEMA
from .simulation import Simulation

__all__ = ["INPUTS", "SCHEMA", "Simulation"]
