"""The generalised NLSE of fibre optics (solver = "gnlse"), in physical units, on the
NLSE solver's stepper, output, restart and ensemble machinery."""
from .model import GNLSE
from .schema import INPUTS, SCHEMA
from .simulation import Simulation, build_model, pulse_field

__all__ = ["GNLSE", "INPUTS", "SCHEMA", "Simulation", "build_model", "pulse_field"]
