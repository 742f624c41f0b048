"""The MPI layer shared by the solvers: one code path for 1 rank (no MPI) and many.

* :mod:`.comm` — :func:`get_comm`: an mpi4py wrapper (:class:`Comm`) under
  ``mpiexec``, else :class:`SerialComm` (no MPI import).
* :mod:`.decomposition` — block ranges, slab :class:`Decomposition`, multi-axis
  :class:`Blocks` and :func:`process_grid` (pencils), periodic :func:`halo_exchange`.
* :mod:`.fft` — :class:`DistFFT`, complex FFTs on slabs or pencils (one code: a slab is
  the process grid (P, 1)), bitwise the same on every grid.
* :mod:`.reduce` — sums bitwise independent of the rank count
  (:func:`ordered_sum_sq`, :class:`DistributedNorm` and :class:`BlockNorm` for DOP853).
* :mod:`.pointwise` — position-independent complex products / linear combinations.
* :mod:`.ensemble` — realisations over ranks, per-member random streams.
* :mod:`.threadcomm` — several ranks on threads in one process, for tests.

Importing this package never imports mpi4py; :func:`get_comm` does, and only
under an MPI launcher (or ``PHYSIM_MPI=1``).
"""
from .comm import Comm, SerialComm, get_comm, launched_under_mpi
from .decomposition import (Blocks, Decomposition, block_counts, block_offsets, block_owner,
                            block_range, halo_exchange, process_grid, with_halo)
from .ensemble import allgather_members, local_members, member_rng
from .fft import DistFFT, default_factors, mode_numbers
from .pointwise import cmul, lincomb
from .reduce import (BlockNorm, DistributedNorm, abs_sq, index_partial_sums, ordered_sum, ordered_sum_rows,
                     ordered_sum_sq, tree_sum)
from .threadcomm import ThreadComm, run_ranks

__all__ = [
    "Comm", "SerialComm", "get_comm", "launched_under_mpi",
    "Blocks", "Decomposition", "block_counts", "block_offsets", "block_owner", "block_range",
    "halo_exchange", "process_grid", "with_halo",
    "allgather_members", "local_members", "member_rng",
    "DistFFT", "default_factors", "mode_numbers",
    "cmul", "lincomb",
    "BlockNorm", "DistributedNorm", "abs_sq", "index_partial_sums", "ordered_sum", "ordered_sum_rows",
    "ordered_sum_sq",
    "tree_sum", "ThreadComm", "run_ranks",
]
