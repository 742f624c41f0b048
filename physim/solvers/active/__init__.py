"""Self-propelled particles (AOUP, ABP) with short-range repulsion in a periodic 2-D box."""
from .schema import INPUTS, SCHEMA
from .simulation import Simulation, box_side

__all__ = ["INPUTS", "SCHEMA", "Simulation", "box_side"]
