"""Block (slab) decompositions of N-D arrays along one axis, and periodic halo exchange.

Block rule (used everywhere in ``physim.parallel``): ``n`` items over ``size``
ranks; rank r owns the consecutive indices ``block_range(n, size, r)``; the
first ``n % size`` ranks own one item more. A rank may own nothing when
``n < size``.
"""
from __future__ import annotations

import numpy as np


def block_range(n: int, size: int, rank: int) -> tuple[int, int]:
    """(start, stop) of rank ``rank``'s block of ``n`` items over ``size`` ranks."""
    if n < 0 or size < 1 or not 0 <= rank < size:
        raise ValueError(f"block_range(n={n}, size={size}, rank={rank})")
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def block_counts(n: int, size: int) -> np.ndarray:
    """Block lengths of all ranks (int64 array of length ``size``)."""
    base, extra = divmod(n, size)
    return np.array([base + (1 if r < extra else 0) for r in range(size)], dtype=np.int64)


def block_offsets(n: int, size: int) -> np.ndarray:
    """Block starts of all ranks (int64 array of length ``size``)."""
    return np.array([block_range(n, size, r)[0] for r in range(size)], dtype=np.int64)


def block_owner(index: int, n: int, size: int) -> int:
    """The rank whose block holds global index ``index``."""
    if not 0 <= index < n:
        raise IndexError(f"index {index} outside [0, {n})")
    base, extra = divmod(n, size)
    cut = extra * (base + 1)
    return index // (base + 1) if index < cut else extra + (index - cut) // base


class Decomposition:
    """A global N-D shape distributed over ``size`` ranks in blocks along ``axis``.

    Rank ``rank`` holds ``global[local_slices]``: indices ``start:stop`` along
    ``axis`` and everything along the other axes, as a C-ordered array of
    shape ``local_shape``.
    """

    def __init__(self, global_shape, size: int = 1, rank: int = 0, axis: int = 0):
        self.global_shape = tuple(int(n) for n in global_shape)
        ndim = len(self.global_shape)
        if ndim == 0 or not -ndim <= axis < ndim:
            raise ValueError(f"axis {axis} is invalid for shape {self.global_shape}")
        self.axis = axis % ndim
        self.size, self.rank = int(size), int(rank)
        self.n = self.global_shape[self.axis]
        self.start, self.stop = block_range(self.n, self.size, self.rank)
        self.counts = block_counts(self.n, self.size)
        self.offsets = block_offsets(self.n, self.size)

    @classmethod
    def for_comm(cls, comm, global_shape, axis: int = 0) -> "Decomposition":
        return cls(global_shape, comm.size, comm.rank, axis)

    @property
    def local_n(self) -> int:
        return self.stop - self.start

    @property
    def local_slices(self) -> tuple[slice, ...]:
        return tuple(slice(self.start, self.stop) if i == self.axis else slice(None)
                     for i in range(len(self.global_shape)))

    @property
    def local_shape(self) -> tuple[int, ...]:
        return self.shape_of(self.rank)

    def range_of(self, rank: int) -> tuple[int, int]:
        return block_range(self.n, self.size, rank)

    def shape_of(self, rank: int) -> tuple[int, ...]:
        """Local shape on rank ``rank``."""
        s = list(self.global_shape)
        s[self.axis] = int(self.counts[rank])
        return tuple(s)

    def owner(self, index: int) -> int:
        return block_owner(index, self.n, self.size)

    def local_part(self, global_array: np.ndarray) -> np.ndarray:
        """This rank's block of a global array (a C-contiguous copy)."""
        if tuple(global_array.shape) != self.global_shape:
            raise ValueError(f"global array shape {global_array.shape} != {self.global_shape}")
        return np.ascontiguousarray(global_array[self.local_slices])

    def __repr__(self):
        return (f"Decomposition(global_shape={self.global_shape}, axis={self.axis}, "
                f"rank={self.rank}/{self.size}, block=[{self.start}, {self.stop}))")


def halo_exchange(comm, arr: np.ndarray, axis: int, width: int) -> np.ndarray:
    """Fill the ghost layers of a periodic 1D decomposition along ``axis`` in place.

    ``arr`` is this rank's block *with* ``width`` ghost layers on both sides:
    ``arr.shape[axis] == local_n + 2 * width``, interior ``width:width + local_n``.
    Afterwards the low ghosts ``[:width]`` hold the last ``width`` interior layers
    of the rank below (rank − 1, periodically) and the high ghosts
    ``[-width:]`` the first ``width`` interior layers of the rank above — i.e.
    the ghosts hold global indices ``start − width … start − 1`` and
    ``stop … stop + width − 1`` (mod n). With one rank the block wraps onto
    itself. Every rank needs ``local_n >= width`` (blocks of ``block_range``
    with n >= size * width guarantee that). Returns ``arr``.
    """
    width = int(width)
    if width < 0:
        raise ValueError(f"halo width {width} < 0")
    axis = axis % arr.ndim
    local_n = arr.shape[axis] - 2 * width
    if width == 0:
        return arr
    if local_n < width:
        raise ValueError(f"rank {comm.rank}: block of {local_n} layers along axis {axis} is "
                         f"thinner than the halo width {width}")
    a = np.moveaxis(arr, axis, 0)
    lo, hi = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
    # upward: my last interior layers -> the low ghosts of the rank above
    send = np.ascontiguousarray(a[local_n:local_n + width])
    a[:width] = comm.sendrecv(send, dest=hi, source=lo, sendtag=11)
    # downward: my first interior layers -> the high ghosts of the rank below
    send = np.ascontiguousarray(a[width:2 * width])
    a[width + local_n:] = comm.sendrecv(send, dest=lo, source=hi, sendtag=12)
    return arr


def with_halo(comm, local: np.ndarray, axis: int, width: int) -> np.ndarray:
    """A copy of ``local`` padded with ``width`` ghost layers on both sides along
    ``axis``, the ghosts filled by :func:`halo_exchange`."""
    axis = axis % local.ndim
    pad = [(0, 0)] * local.ndim
    pad[axis] = (width, width)
    out = np.pad(local, pad)
    return halo_exchange(comm, out, axis, width)


class Blocks:
    """A global N-D shape split in blocks along several axes over a process grid.

    ``split`` maps an axis to ``(parts, index)``: the axis is cut into ``parts``
    blocks by :func:`block_range` and this rank holds block ``index``. The other
    axes are whole. ``Blocks(shape, {0: (P, r)})`` is the slab of
    :class:`Decomposition` ``(shape, P, r, axis=0)``.
    """

    def __init__(self, global_shape, split: dict):
        self.global_shape = tuple(int(n) for n in global_shape)
        self.split = {int(a) % len(self.global_shape): (int(p), int(i)) for a, (p, i) in
                      split.items()}
        self.axes = tuple(sorted(self.split))
        self.ranges = tuple(block_range(n, *self.split[a]) if a in self.split else (0, n)
                            for a, n in enumerate(self.global_shape))

    @property
    def local_shape(self) -> tuple[int, ...]:
        return tuple(b - a for a, b in self.ranges)

    @property
    def local_slices(self) -> tuple[slice, ...]:
        return tuple(slice(a, b) if i in self.split else slice(None)
                     for i, (a, b) in enumerate(self.ranges))

    @property
    def offsets(self) -> tuple[int, ...]:
        """The block's first global index along each split axis (in ``axes`` order)."""
        return tuple(self.ranges[a][0] for a in self.axes)

    def __repr__(self):
        return f"Blocks(global_shape={self.global_shape}, ranges={self.ranges})"


def process_grid(size: int, limits: tuple[int, int]) -> tuple[int, int] | None:
    """The most nearly square (P0, P1) with P0·P1 = size, P0 <= limits[0], P1 <= limits[1]
    and P0 >= P1 where that choice exists (None when no factorisation fits)."""
    fits = [(p, size // p) for p in range(1, size + 1)
            if size % p == 0 and p <= limits[0] and size // p <= limits[1]]
    if not fits:
        return None
    return min(fits, key=lambda g: (abs(g[0] - g[1]), -g[0]))
