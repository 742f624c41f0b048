"""Time integrators shared by the solvers."""
from .dop853 import (DOP853, HAIRER_CONTROLLER, SCIPY_CONTROLLER, Checkpoint, Controller,
                     IntegrationError, LocalNorm, ScipyNorm)

__all__ = ["DOP853", "Controller", "HAIRER_CONTROLLER", "SCIPY_CONTROLLER", "Checkpoint",
           "IntegrationError", "LocalNorm", "ScipyNorm"]
