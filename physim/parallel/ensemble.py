"""Ensembles of independent realisations spread over ranks.

Member (realisation) ``i`` of ``M`` lives on the rank whose block
``block_range(M, size, rank)`` holds ``i``, and its random numbers come from
``member_rng(base_seed, i)`` — a function of the member index only, so member
``i`` is bitwise the same run whatever the rank count. Fields are never
gathered; small per-member results (scalars, short vectors) can be collected
with :func:`allgather_members`.
"""
from __future__ import annotations

import numpy as np

from .decomposition import block_range


def local_members(M: int, comm) -> range:
    """The member indices this rank owns (consecutive, block distribution)."""
    return range(*block_range(int(M), comm.size, comm.rank))


def member_rng(base_seed: int, index: int) -> np.random.Generator:
    """``numpy.random.default_rng([base_seed, index])``: member ``index``'s own stream."""
    return np.random.default_rng([int(base_seed), int(index)])


def allgather_members(comm, M: int, local_values) -> np.ndarray:
    """Stack small per-member results of all ranks, in member order, on every rank.

    ``local_values`` holds one entry (scalar or small array, all of one shape)
    per member of ``local_members(M, comm)``, in that order. Returns an array
    of shape (M, …). Collective; meant for scalars and short vectors, not fields.
    """
    mine = local_members(M, comm)
    vals = [np.asarray(v) for v in local_values]
    if len(vals) != len(mine):
        raise ValueError(f"rank {comm.rank} owns {len(mine)} members but gave {len(vals)} values")
    parts = comm.allgather((mine.start, vals))
    out = None
    for start, vs in parts:
        for j, v in enumerate(vs):
            if out is None:
                out = np.empty((M,) + v.shape, dtype=v.dtype)
            out[start + j] = v
    if out is None:
        out = np.empty((M,))
    return out
