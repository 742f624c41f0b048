"""Standard figures of solver output, chosen by the output's ``solver`` attribute.

Solver modules are imported on first use so that ``import physim`` does not
pull in matplotlib.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

# solver name -> module with standard_figures(ds, outdir, prefix="")
SOLVERS: dict[str, str] = {"nlse": "physim.plotting.nlse", "peccary": "physim.plotting.ordinal",
                           "active": "physim.plotting.active",
                           "boltzmann": "physim.plotting.boltzmann",
                           "gnlse": "physim.plotting.gnlse"}


def register(solver: str, module: str) -> None:
    """Make ``standard_figures`` dispatch outputs of ``solver`` to ``module``."""
    SOLVERS[solver] = module


def standard_figures(ds, outdir, prefix: str = "") -> list[Path]:
    """Write the standard PNG figures of ``ds`` into ``outdir``; return their paths."""
    solver = ds.attrs.get("solver")
    if solver not in SOLVERS:
        raise ValueError(f"no standard figures for solver {solver!r}; "
                         f"known solvers: {', '.join(sorted(SOLVERS))}")
    return import_module(SOLVERS[solver]).standard_figures(ds, outdir, prefix=prefix)


__all__ = ["standard_figures", "register", "SOLVERS"]
