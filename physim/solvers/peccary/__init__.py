"""PECCARY example series (sines, noises, maps, double pendulum, galactic orbit) as cases."""
from .schema import SCHEMA
from .simulation import Simulation, generate

__all__ = ["SCHEMA", "Simulation", "generate"]
