"""Entropy production of active matter: exact Gaussian references, linear scores, estimator."""
from . import estimator as _estimator
from .diffusion import diffusion_epr
from .gaussian import (aoup_matrices, aoup_parity, aoup_trap_epr, linear_epr,
                       stationary_covariance)
from .score import LinearScore


def entropy_production(ds, *args, drift=None, diffusion=None, **kwargs):
    """EPR from samples. With ``drift=`` and ``diffusion=``: any diffusion with a constant D,
    ``ds`` being the samples (see :func:`diffusion_epr`); otherwise an active (AOUP) run
    (see :func:`physim.analysis.epr.estimator.entropy_production`)."""
    if drift is not None or diffusion is not None:
        if drift is None or diffusion is None:
            raise ValueError("entropy_production: a general diffusion needs both drift= and "
                             "diffusion=")
        return diffusion_epr(ds, drift, diffusion, *args, **kwargs)
    return _estimator.entropy_production(ds, *args, **kwargs)


entropy_production.__doc__ += "\n\nActive runs:\n" + (_estimator.entropy_production.__doc__ or "")

__all__ = ["LinearScore", "aoup_matrices", "aoup_parity", "aoup_trap_epr", "diffusion_epr",
           "entropy_production", "linear_epr", "stationary_covariance"]
