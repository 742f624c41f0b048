"""Where the entropy is produced in a phase-separated active system: each particle's local
environment (dense cluster, interface, dilute gas) at every snapshot, and the divergence of
the mean probability-flow velocity on a grid.

A particle with at least ``dense`` neighbours within ``2.4 a`` (a: the particle radius)
is in the dense phase, one with at most ``dilute`` in the gas, the rest at the interface: the
README's MIPS classification (hexagonal packing gives 6 neighbours at 2a, a gas near 0).
"""
from __future__ import annotations

import numpy as np

REGIONS = ("dilute", "interface", "dense")
NEIGHBOUR_RADIUS = 2.4  # in particle radii
DENSE, DILUTE = 5, 2


def local_neighbours(x, L, r) -> np.ndarray:
    """Number of other particles within r of each particle (periodic box of side L)."""
    from scipy.spatial import cKDTree
    y = np.mod(x, L)
    tree = cKDTree(y, boxsize=L)
    return tree.query_ball_point(y, r, return_length=True) - 1


def region_of(counts, dense: int = DENSE, dilute: int = DILUTE) -> np.ndarray:
    """0 (dilute), 1 (interface) or 2 (dense) from neighbour counts."""
    c = np.asarray(counts)
    return np.where(c >= dense, 2, np.where(c <= dilute, 0, 1))


def particle_radius(params: dict) -> float | None:
    """The particle radius a of a run's interaction (None without interactions)."""
    inter = params["interaction"]
    if inter["kind"] == "soft":
        return float(inter["radius"])
    if inter["kind"] == "wca":
        return float(inter["sigma"]) / 2
    return None


def flow_divergence(current, density, spacing) -> np.ndarray:
    """div of the mean velocity field j / rho on a periodic grid (central differences);
    NaN where a bin or a neighbour of it holds no particle."""
    with np.errstate(invalid="ignore", divide="ignore"):
        vx, vy = (np.where(density > 0, current[c] / density, np.nan) for c in (0, 1))
    return ((np.roll(vx, -1, 0) - np.roll(vx, 1, 0))
            + (np.roll(vy, -1, 1) - np.roll(vy, 1, 1))) / (2 * spacing)
