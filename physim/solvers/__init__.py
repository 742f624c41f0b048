"""Solver registry: each solver package exposes SCHEMA and a Simulation class."""
from importlib import import_module

SOLVERS = {"nlse": "physim.solvers.nlse", "peccary": "physim.solvers.peccary",
           "active": "physim.solvers.active", "boltzmann": "physim.solvers.boltzmann",
           "gnlse": "physim.solvers.nlse.fibre"}


def get_solver(name: str):
    if name not in SOLVERS:
        from ..cases import CaseError
        raise CaseError([f"solver: {name!r} is not a known solver; expected one of "
                         + ", ".join(repr(s) for s in SOLVERS)])
    return import_module(SOLVERS[name])
