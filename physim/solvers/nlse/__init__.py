"""Pseudo-spectral NLSE solver with (integrating-factor) DOP853 time stepping."""
from .model import NLSE
from .schema import SCHEMA
from .simulation import Simulation, initial_field

__all__ = ["NLSE", "SCHEMA", "Simulation", "initial_field"]
