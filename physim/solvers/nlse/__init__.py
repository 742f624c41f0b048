"""Pseudo-spectral NLSE solver with (integrating-factor) DOP853 time stepping."""
from .model import NLSE
from .schema import INPUTS, SCHEMA
from .simulation import Simulation, initial_field

__all__ = ["INPUTS", "NLSE", "SCHEMA", "Simulation", "initial_field"]
