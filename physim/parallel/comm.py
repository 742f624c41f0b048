"""The communicator every solver talks to: MPI when launched under ``mpiexec``, else serial.

:func:`get_comm` returns a :class:`Comm` (a thin wrapper around
``mpi4py.MPI.COMM_WORLD``) when the process was started by an MPI launcher, or a
:class:`SerialComm` (one rank, no MPI import at all) otherwise. Both expose the
same methods, so solvers run one code path; with one rank every collective is a
copy.

Whether MPI is used is decided by ``PHYSIM_MPI``:

* unset or ``auto``: use MPI iff the environment shows an MPI launcher
  (``PMI_RANK``/``PMI_SIZE`` from MPICH/Hydra, Intel MPI and Slurm PMI,
  ``OMPI_COMM_WORLD_SIZE`` from Open MPI, ``PMIX_RANK`` from PMIx) or
  ``mpi4py.MPI`` has already been imported. Launched with more than one rank
  but without mpi4py is an error (every rank would run the whole problem).
* ``0``/``off``/``serial``: always serial, never import mpi4py.
* ``1``/``on``/``mpi``: always import mpi4py (a plain ``python`` run then is an
  MPI singleton, size 1).

Array methods take C-contiguous numpy buffers (float64 or complex128, the
types the solvers use; any dtype mpi4py maps works); object methods
(``bcast``, ``allgather``) pickle.
"""
from __future__ import annotations

import os
import sys

import numpy as np

_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                  "OMPI_COMM_WORLD_RANK", "MPI_LOCALNRANKS")


def _displs(counts) -> np.ndarray:
    c = np.asarray(counts, dtype=np.int64)
    d = np.zeros_like(c)
    np.cumsum(c[:-1], out=d[1:])
    return d


def _flat(buf: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(buf, np.ndarray) or not buf.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous numpy array")
    return buf.reshape(-1)


class SerialComm:
    """One rank, no MPI: every collective returns (a copy of) its own input."""

    rank = 0
    size = 1
    is_root = True
    is_mpi = False
    mpi_comm = None

    def __repr__(self):
        return "SerialComm(rank=0, size=1)"

    def barrier(self) -> None:
        pass

    def bcast(self, obj, root: int = 0):
        self._check_rank(root)
        return obj

    def allreduce_sum(self, x):
        """Sum over ranks (float round-off depends on the rank count; see ``reduce``)."""
        return np.array(x, copy=True) if isinstance(x, np.ndarray) else x

    def allreduce_max(self, x):
        return np.array(x, copy=True) if isinstance(x, np.ndarray) else x

    def allreduce_min(self, x):
        return np.array(x, copy=True) if isinstance(x, np.ndarray) else x

    def allgather(self, obj) -> list:
        return [obj]

    def allgatherv(self, sendbuf: np.ndarray, recvbuf: np.ndarray, recvcounts) -> np.ndarray:
        """Concatenate every rank's ``sendbuf`` (rank order) into ``recvbuf``."""
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        if list(recvcounts) != [s.size] or r.size < s.size:
            raise ValueError(f"recvcounts {list(recvcounts)} do not match sendbuf size {s.size}")
        r[:s.size] = s
        return recvbuf

    def alltoallv(self, sendbuf: np.ndarray, sendcounts, recvbuf: np.ndarray,
                  recvcounts) -> np.ndarray:
        """Rank r's block ``sendcounts[s]`` (elements, consecutive) goes to rank s."""
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        (ns,), (nr,) = list(sendcounts), list(recvcounts)
        if ns != nr or ns > s.size or nr > r.size:
            raise ValueError(f"sendcounts {ns} / recvcounts {nr} do not match the buffers")
        r[:nr] = s[:ns]
        return recvbuf

    def sendrecv(self, sendbuf, dest: int, source: int, recvbuf=None, sendtag: int = 0,
                 recvtag: int | None = None):
        """Send to ``dest`` and receive from ``source`` (here both must be rank 0)."""
        self._check_rank(dest)
        self._check_rank(source)
        if not isinstance(sendbuf, np.ndarray):
            return sendbuf
        if recvbuf is None:
            return np.array(sendbuf, copy=True)
        np.copyto(recvbuf, sendbuf)
        return recvbuf

    def split(self, color: int, key: int = 0) -> "SerialComm":
        return SerialComm()

    @staticmethod
    def _check_rank(r):
        if r != 0:
            raise ValueError(f"rank {r} does not exist in a serial communicator")


class Comm(SerialComm):
    """An mpi4py communicator (``COMM_WORLD`` by default) with the ``SerialComm`` methods.

    Thin: each method is one mpi4py call; ``mpi_comm`` is the raw communicator
    for anything else.
    """

    is_mpi = True

    def __init__(self, mpi_comm=None):
        from mpi4py import MPI

        self._MPI = MPI
        self.mpi_comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.rank = self.mpi_comm.Get_rank()
        self.size = self.mpi_comm.Get_size()
        self.is_root = self.rank == 0

    def __repr__(self):
        return f"Comm(rank={self.rank}, size={self.size})"

    def barrier(self) -> None:
        self.mpi_comm.Barrier()

    def bcast(self, obj, root: int = 0):
        return self.mpi_comm.bcast(obj, root=root)

    def _allreduce(self, x, op):
        if isinstance(x, np.ndarray):
            send = np.ascontiguousarray(x)
            out = np.empty_like(send)
            self.mpi_comm.Allreduce(send, out, op=op)
            return out
        return self.mpi_comm.allreduce(x, op=op)

    def allreduce_sum(self, x):
        """Sum over ranks (float round-off depends on the rank count; see ``reduce``)."""
        return self._allreduce(x, self._MPI.SUM)

    def allreduce_max(self, x):
        return self._allreduce(x, self._MPI.MAX)

    def allreduce_min(self, x):
        return self._allreduce(x, self._MPI.MIN)

    def allgather(self, obj) -> list:
        return self.mpi_comm.allgather(obj)

    def allgatherv(self, sendbuf, recvbuf, recvcounts):
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        counts = np.asarray(recvcounts, dtype=np.int64)
        self.mpi_comm.Allgatherv(s, [r, (counts, _displs(counts))])
        return recvbuf

    def alltoallv(self, sendbuf, sendcounts, recvbuf, recvcounts):
        """Rank r's block ``sendcounts[s]`` (elements, consecutive) goes to rank s.

        Blocks are packed back to back in rank order in both buffers (the
        displacements are the running sums of the counts).
        """
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        sc = np.asarray(sendcounts, dtype=np.int64)
        rc = np.asarray(recvcounts, dtype=np.int64)
        self.mpi_comm.Alltoallv([s, (sc, _displs(sc))], [r, (rc, _displs(rc))])
        return recvbuf

    def sendrecv(self, sendbuf, dest, source, recvbuf=None, sendtag=0, recvtag=None):
        """Send to ``dest`` while receiving from ``source``.

        numpy ``sendbuf``: the message lands in ``recvbuf`` (allocated like
        ``sendbuf`` if None) and that is returned; other objects are pickled
        and the received object is returned.
        """
        recvtag = sendtag if recvtag is None else recvtag
        if not isinstance(sendbuf, np.ndarray):
            return self.mpi_comm.sendrecv(sendbuf, dest, sendtag, None, source, recvtag)
        send = np.ascontiguousarray(sendbuf)
        out = np.empty_like(send) if recvbuf is None else recvbuf
        if not out.flags.c_contiguous:
            raise ValueError("recvbuf must be C-contiguous")
        self.mpi_comm.Sendrecv(send, dest, sendtag, out, source, recvtag)
        return out

    def split(self, color: int, key: int = 0) -> "Comm":
        return Comm(self.mpi_comm.Split(color, key))


def launched_under_mpi() -> bool:
    """True if an MPI launcher (mpiexec/srun) started this process, judged by its env."""
    return any(v in os.environ for v in _LAUNCHER_VARS)


def _launcher_size() -> int:
    for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        try:
            return int(os.environ[v])
        except (KeyError, ValueError):
            pass
    return 0


def _mpi_mode() -> str:
    """'serial', 'mpi' (forced) or 'auto-mpi' (launcher detected) from PHYSIM_MPI and the env."""
    mode = os.environ.get("PHYSIM_MPI", "auto").strip().lower()
    if mode in ("0", "off", "no", "false", "serial"):
        return "serial"
    if mode in ("1", "on", "yes", "true", "mpi"):
        return "mpi"
    if mode not in ("", "auto"):
        raise ValueError(f"PHYSIM_MPI={mode!r}: use auto, 0 or 1")
    return "auto-mpi" if launched_under_mpi() or "mpi4py.MPI" in sys.modules else "serial"


_COMM: SerialComm | None = None


def get_comm() -> SerialComm:
    """The world communicator: a :class:`Comm` under MPI, else a :class:`SerialComm`.

    The first call decides (see the module docstring) and the result is cached.
    """
    global _COMM
    if _COMM is None:
        mode = _mpi_mode()
        if mode == "serial":
            _COMM = SerialComm()
        else:
            try:
                _COMM = Comm()
            except ImportError as exc:
                if mode == "mpi" or _launcher_size() > 1:
                    raise RuntimeError(
                        f"MPI requested (PHYSIM_MPI or {_launcher_size()} launched ranks) but "
                        f"mpi4py does not import ({exc}); install the 'mpi' extra or run "
                        "without mpiexec") from exc
                _COMM = SerialComm()
    return _COMM
