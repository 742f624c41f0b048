"""The generalised NLSE of fibre optics (solver = "gnlse"), in physical units, on the
NLSE solver's stepper, output, restart and ensemble machinery."""
from .model import GNLSE
from .schema import INPUTS, SCHEMA
from .simulation import Simulation, build_model, pulse_field

# a restart may continue a run along a longer fibre
MAY_GROW = (("fibre", "length"),)

__all__ = ["GNLSE", "MAY_GROW", "INPUTS", "SCHEMA", "Simulation", "build_model", "pulse_field"]
