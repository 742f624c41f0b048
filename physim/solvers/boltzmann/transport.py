"""Free streaming ∂_t f + v_x ∂_x f = 0 in one space dimension, cells split over MPI ranks.

Finite volumes on ``cells`` equal cells; every velocity node is a linear advection at
its own speed v_x, solved by the one-step flux-limited upwind scheme (second order in x
and t where the solution is smooth, total-variation diminishing, hence positive, for a
Courant number |v_x| dt / dx <= 1; LeVeque, *Finite Volume Methods*, §6.12). The update
is in flux form, so Σ_x f(x, v) is conserved for every v (periodic), and with it every
velocity moment; specular walls conserve mass and energy (each wall flux at v_x is
returned at -v_x). The stencil needs two ghost cells per side: the ranks
swap them with ``physim.parallel.halo_exchange`` and the end ranks then overwrite theirs
with the boundary condition, so a run does the same arithmetic on any number of ranks.
"""
from __future__ import annotations

import numpy as np

from ...parallel import halo_exchange

GHOSTS = 2
BOUNDARIES = ("periodic", "specular", "diffuse", "outflow")


def _minmod(a, b):
    return np.where(a * b > 0, np.sign(b) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def _vanleer(a, b):
    num = a * np.abs(b) + np.abs(a) * b
    den = np.abs(a) + np.abs(b)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _mc(a, b):
    m = np.minimum(np.minimum(2 * np.abs(a), 2 * np.abs(b)), 0.5 * (np.abs(a) + np.abs(b)))
    return np.where(a * b > 0, np.sign(b) * m, 0.0)


def _upwind(a, b):
    return np.zeros_like(b)


# limited slopes s(a, b) = phi(a / b) b, written without the ratio (no 0 / 0): a is the
# upwind difference, b the one across the face
LIMITERS = {"vanleer": _vanleer, "minmod": _minmod, "mc": _mc, "upwind": _upwind}


def stream(f_ext: np.ndarray, nu: np.ndarray, limiter: str = "vanleer") -> np.ndarray:
    """One step of free streaming on the interior of ``f_ext``.

    f_ext : (n + 4, *vshape), the n cells with two filled ghost cells on each side.
    nu : Courant numbers v_x dt / dx, broadcastable to vshape, |nu| <= 1.
    Returns the n interior cells after the step (a new array).
    """
    slope = LIMITERS[limiter]
    df = np.diff(f_ext, axis=0)  # df[j] = f[j + 1] - f[j]: the face between cells j, j + 1
    centre = df[1:-1]  # faces j = 1 ... n + 1 (the left face of the first cell first)
    lo, hi = f_ext[1:-2], f_ext[2:-1]
    right = hi - 0.5 * (1 + nu) * slope(df[2:], centre)  # v_x < 0: upwind cell j + 1
    left = lo + 0.5 * (1 - nu) * slope(df[:-2], centre)  # v_x > 0: upwind cell j
    flux = nu * np.where(nu > 0, left, right)
    return f_ext[2:-2] - (flux[1:] - flux[:-1])


def mirror_vx(f: np.ndarray, axis: int) -> np.ndarray:
    """f(v_x -> -v_x) on the grid v_j = -L + j h: index j -> (N - j) mod N along ``axis``."""
    return np.roll(np.flip(f, axis=axis), 1, axis=axis)


def _diffuse(f_ext, wall, wall_cell, ghosts, vx, sign):
    """Ghosts of a diffuse (Maxwell) wall: particles leaving the wall cell (sign * v_x < 0
    is towards the wall) are re-emitted with the wall's Maxwellian, scaled so the net mass
    flux through the wall is zero. Both ghosts hold the same values, so every limiter's
    slope at the wall face is 0 and the fluxes there are exactly v_x f_wall_cell (leaving)
    and v_x n_w M_wall (entering): the wall conserves mass to round-off."""
    f = f_ext[wall_cell]
    leaving = (sign * vx < 0)
    entering = (sign * vx > 0)
    n_w = -np.sum(vx * f * leaving) / np.sum(vx * wall * entering)
    ghost = np.where(entering, n_w * wall, f)
    for g in ghosts:
        f_ext[g] = ghost


def fill_ghosts(comm, f_ext: np.ndarray, boundary: str, walls=None, vx=None) -> np.ndarray:
    """Fill the two ghost cells per side of this rank's block (axis 0) in place.

    The ranks swap ghosts periodically; at the ends of the domain ``specular`` then
    mirrors the wall cells with v_x reversed (axis 1 is v_x), ``diffuse`` re-emits what
    reaches a wall with the wall's Maxwellian (``walls``: the left and right ones, on the
    velocity grid; ``vx`` broadcastable to it), and ``outflow`` copies the wall cell (zero
    gradient: waves leave without reflection).
    """
    halo_exchange(comm, f_ext, 0, GHOSTS)
    if boundary == "periodic":
        return f_ext
    first, last = comm.rank == 0, comm.rank == comm.size - 1
    if boundary == "specular":
        if first:
            f_ext[1], f_ext[0] = mirror_vx(f_ext[2], 0), mirror_vx(f_ext[3], 0)
        if last:
            f_ext[-2], f_ext[-1] = mirror_vx(f_ext[-3], 0), mirror_vx(f_ext[-4], 0)
    elif boundary == "diffuse":
        if first:
            _diffuse(f_ext, walls[0], 2, (0, 1), vx, +1.0)
        if last:
            _diffuse(f_ext, walls[1], -3, (-2, -1), vx, -1.0)
    elif boundary == "outflow":
        if first:
            f_ext[:2] = f_ext[2]
        if last:
            f_ext[-2:] = f_ext[-3]
    else:
        raise ValueError(f"boundary = {boundary!r}: expected one of {BOUNDARIES}")
    return f_ext


class Streaming:
    """Free streaming of one species' block (local cells, *velocity grid) over ranks."""

    def __init__(self, comm, dx: float, vx_axis: np.ndarray, d: int,
                 boundary: str = "periodic", limiter: str = "vanleer", walls=None):
        if boundary == "diffuse" and walls is None:
            raise ValueError("boundary = 'diffuse' needs the walls' Maxwellians (walls=)")
        self.walls = walls
        if boundary not in BOUNDARIES:
            raise ValueError(f"boundary = {boundary!r}: expected one of {BOUNDARIES}")
        if limiter not in LIMITERS:
            raise ValueError(f"limiter = {limiter!r}: expected one of {tuple(LIMITERS)}")
        self.comm, self.dx, self.boundary, self.limiter = comm, float(dx), boundary, limiter
        self.vx = np.asarray(vx_axis, float).reshape((-1,) + (1,) * (d - 1))
        if boundary == "specular":
            # the plane v_x = -L is its own mirror image on the grid (its partner +L is the
            # next period): it cannot reflect into anything, so it stays put; otherwise it
            # would leak its (truncation-level) mass through the walls
            self.vx = np.where(np.isclose(self.vx, self.vx.min()), 0.0, self.vx)

    def max_step(self) -> float:
        """The longest stable step (Courant number 1)."""
        return self.dx / np.abs(self.vx).max()

    def __call__(self, f: np.ndarray, dt: float) -> np.ndarray:
        nu = self.vx * (dt / self.dx)
        if np.abs(nu).max() > 1 + 1e-12:
            raise ValueError(f"transport step {dt:g} exceeds the Courant limit "
                             f"{self.max_step():g} (dx / max |v_x|)")
        ext = np.empty((f.shape[0] + 2 * GHOSTS,) + f.shape[1:])
        ext[GHOSTS:-GHOSTS] = f
        fill_ghosts(self.comm, ext, self.boundary, self.walls, self.vx)
        return stream(ext, nu, self.limiter)
