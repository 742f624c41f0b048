"""PECCARY example series (sines, noises, maps, double pendulum, galactic orbit) as cases."""
from .schema import INPUTS, SCHEMA
from .simulation import Simulation, generate

__all__ = ["INPUTS", "SCHEMA", "Simulation", "generate"]
