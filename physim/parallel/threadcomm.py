"""Several ranks inside one process, on threads: multi-rank tests without MPI.

``run_ranks(size, fn)`` calls ``fn(comm)`` on ``size`` threads, each with a
:class:`ThreadComm` that implements the :class:`~physim.parallel.comm.SerialComm`
methods for real (collectives through a shared board and a barrier,
``sendrecv`` through mailboxes), and returns the ``size`` results in rank
order. Arrays are copied on the way, as MPI would. For tests and debugging
only: a collective that one rank misses raises ``BrokenBarrierError`` after
``timeout`` seconds instead of hanging.
"""
from __future__ import annotations

import copy
import queue
import threading
from functools import reduce

import numpy as np

from .comm import SerialComm, _displs, _flat


class _Board:
    def __init__(self, size: int, timeout: float):
        self.size = size
        self.timeout = timeout
        self.barrier = threading.Barrier(size, timeout=timeout)
        self.slots = [None] * size
        self.lock = threading.Lock()
        self.mail: dict = {}

    def box(self, src, dst, tag) -> queue.Queue:
        with self.lock:
            return self.mail.setdefault((src, dst, tag), queue.Queue())


class ThreadComm(SerialComm):
    """Rank ``rank`` of ``board.size`` threads (see :func:`run_ranks`)."""

    is_mpi = False

    def __init__(self, board: _Board, rank: int):
        self._board = board
        self.rank, self.size = rank, board.size
        self.is_root = rank == 0

    def __repr__(self):
        return f"ThreadComm(rank={self.rank}, size={self.size})"

    def _exchange(self, obj) -> list:
        b = self._board
        b.slots[self.rank] = obj
        b.barrier.wait()
        out = list(b.slots)
        b.barrier.wait()
        return out

    def barrier(self):
        self._board.barrier.wait()

    def bcast(self, obj, root=0):
        return copy.deepcopy(self._exchange(obj)[root])

    def allreduce_sum(self, x):
        return reduce(lambda a, b: a + b, [copy.deepcopy(v) for v in self._exchange(x)])

    def allreduce_max(self, x):
        vals = self._exchange(x)
        return (reduce(np.maximum, vals).copy() if isinstance(x, np.ndarray) else max(vals))

    def allreduce_min(self, x):
        vals = self._exchange(x)
        return (reduce(np.minimum, vals).copy() if isinstance(x, np.ndarray) else min(vals))

    def allgather(self, obj):
        return [copy.deepcopy(v) for v in self._exchange(obj)]

    def allgatherv(self, sendbuf, recvbuf, recvcounts):
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        parts = self._exchange(s.copy())
        counts, displs = np.asarray(recvcounts), _displs(recvcounts)
        for p, n, d in zip(parts, counts, displs):
            if p.size != n:
                raise ValueError(f"recvcounts {list(counts)} do not match the sent sizes")
            r[d:d + n] = p
        return recvbuf

    def alltoallv(self, sendbuf, sendcounts, recvbuf, recvcounts):
        s, r = _flat(sendbuf, "sendbuf"), _flat(recvbuf, "recvbuf")
        sc = np.asarray(sendcounts, dtype=np.int64)
        parts = self._exchange((s.copy(), sc, _displs(sc)))
        rc, rd = np.asarray(recvcounts, dtype=np.int64), _displs(recvcounts)
        for src, (buf, cnts, dsp) in enumerate(parts):
            n = cnts[self.rank]
            if n != rc[src]:
                raise ValueError(f"rank {self.rank} expects {rc[src]} from {src}, which sends {n}")
            r[rd[src]:rd[src] + n] = buf[dsp[self.rank]:dsp[self.rank] + n]
        return recvbuf

    def sendrecv(self, sendbuf, dest, source, recvbuf=None, sendtag=0, recvtag=None):
        recvtag = sendtag if recvtag is None else recvtag
        b = self._board
        msg = np.array(sendbuf, copy=True) if isinstance(sendbuf, np.ndarray) else \
            copy.deepcopy(sendbuf)
        b.box(self.rank, dest, sendtag).put(msg)
        got = b.box(source, self.rank, recvtag).get(timeout=b.timeout)
        if recvbuf is None or not isinstance(got, np.ndarray):
            return got
        np.copyto(recvbuf, got.reshape(recvbuf.shape))
        return recvbuf

    def split(self, color, key=0):
        raise NotImplementedError("ThreadComm.split")


def run_ranks(size: int, fn, timeout: float = 60.0) -> list:
    """Run ``fn(comm)`` on ``size`` thread-ranks; results in rank order.

    The first exception raised on any rank is re-raised here (after the other
    ranks were released by breaking the barrier).
    """
    board = _Board(size, timeout)
    results, errors = [None] * size, [None] * size

    def target(r):
        try:
            results[r] = fn(ThreadComm(board, r))
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors[r] = exc
            board.barrier.abort()

    threads = [threading.Thread(target=target, args=(r,), daemon=True) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    primary = [e for e in errors if e is not None and
               not isinstance(e, threading.BrokenBarrierError)]
    if primary or any(errors):
        raise (primary or [e for e in errors if e is not None])[0]
    return results
