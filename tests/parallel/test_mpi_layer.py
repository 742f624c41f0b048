"""The MPI layer on however many ranks this runs with.

Run under ``mpiexec -n N python -m pytest tests/parallel -q`` (N = 1, 2, 4;
``tests/test_parallel_mpi.py`` and ``tests/parallel/run_mpi.py`` do that). Run
plainly, every check runs on the serial communicator and then on 2, 3 and 4
thread-ranks (``physim.parallel.threadcomm``).

Every rank builds the same global arrays from fixed seeds and compares its
local part with a single-rank computation (``SerialComm``) on the whole
array. Results must agree *bitwise* — that is the rank-count independence the
solvers rely on. Assertions go through ``agree`` (an allreduce), so a
failure on one rank fails all ranks at the same point instead of leaving the
others waiting in a collective.
"""
import os

import numpy as np
import pytest
import scipy.fft as sfft

from physim.parallel import (Decomposition, DistFFT, SerialComm, allgather_members,
                             default_factors, get_comm, index_partial_sums, launched_under_mpi,
                             local_members, member_rng, mode_numbers, ordered_sum,
                             ordered_sum_sq, with_halo)
from physim.parallel.threadcomm import run_ranks

FFT_SHAPES = [(2,), (7,), (12,), (30,), (64,), (97,), (6, 10), (5, 7), (3, 8), (8, 3), (1, 5),
              (7, 5, 9), (16, 8, 4), (2, 3, 4), (4, 1, 6), (9, 6, 5)]


def agree(comm, cond, msg=""):
    """Assert ``cond`` on every rank, after agreeing on it (collective)."""
    ok = comm.allreduce_min(int(bool(cond)))
    assert ok, f"{msg} (failed on some rank; this is rank {comm.rank} of {comm.size})"


def run_everywhere(check):
    comm = get_comm()
    check(comm)
    if not comm.is_mpi:  # plain pytest: also emulate several ranks
        for size in (2, 3, 4):
            run_ranks(size, check)


def maxabs(x):
    return np.abs(x).max(initial=0.0)


def randc(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# -- communicator ---------------------------------------------------------------------
def check_collectives(comm):
    r, P = comm.rank, comm.size
    agree(comm, comm.bcast({"x": 3} if comm.is_root else None) == {"x": 3}, "bcast")
    agree(comm, comm.allgather(r) == list(range(P)), "allgather")
    agree(comm, comm.allreduce_sum(r + 1) == P * (P + 1) // 2, "allreduce_sum scalar")
    s = comm.allreduce_sum(np.full(3, r + 1.0))
    agree(comm, np.array_equal(s, np.full(3, P * (P + 1) / 2)), "allreduce_sum array")
    agree(comm, comm.allreduce_max(float(r)) == P - 1, "allreduce_max")
    m = comm.allreduce_max(np.array([r, -r]))
    agree(comm, np.array_equal(m, [P - 1, 0]), "allreduce_max array")
    counts = [k % 3 for k in range(P)]
    out = np.empty(sum(counts))
    comm.allgatherv(np.full(counts[r], float(r)), out, counts)
    agree(comm, np.array_equal(out, np.repeat(np.arange(P, dtype=float), counts)), "allgatherv")
    got = comm.sendrecv(np.array([r, 10 * r]), dest=(r + 1) % P, source=(r - 1) % P)
    agree(comm, np.array_equal(got, [(r - 1) % P, 10 * ((r - 1) % P)]), "sendrecv ring")
    obj = comm.sendrecv(("hi", r), dest=(r - 1) % P, source=(r + 1) % P, sendtag=5)
    agree(comm, obj == ("hi", (r + 1) % P), "sendrecv object")
    comm.barrier()


def check_alltoallv(comm):
    r, P = comm.rank, comm.size

    def count(src, dst):
        return (src + 2 * dst) % 3 + (src == dst)

    for dtype in (np.complex128, np.float64):
        sc = [count(r, s) for s in range(P)]
        send = np.concatenate([(100 * r + s) + 1j * np.arange(c) if dtype == np.complex128
                               else (100 * r + s) + 0.5 * np.arange(c)
                               for s, c in zip(range(P), sc)]).astype(dtype)
        rc = [count(s, r) for s in range(P)]
        recv = np.full(sum(rc), -1, dtype=dtype)
        comm.alltoallv(send, sc, recv, rc)
        want = np.concatenate([(100 * s + r) + (1j if dtype == np.complex128 else 0.5)
                               * np.arange(c) for s, c in zip(range(P), rc)]).astype(dtype)
        agree(comm, np.array_equal(recv, want), f"alltoallv {np.dtype(dtype).name}")


def test_collectives():
    run_everywhere(check_collectives)


def test_alltoallv():
    run_everywhere(check_alltoallv)


def test_get_comm_matches_launcher():
    comm = get_comm()
    if launched_under_mpi() and os.environ.get("PHYSIM_MPI", "auto") in ("", "auto"):
        assert comm.is_mpi
        size = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE")
        if size:
            assert comm.size == int(size)
    else:
        assert isinstance(comm, SerialComm) and comm.size == 1


# -- FFT ------------------------------------------------------------------------------
def check_fft(comm):
    serial = SerialComm()
    for i, shape in enumerate(FFT_SHAPES):
        rng = np.random.default_rng(1000 + i)
        u = randc(rng, shape)
        name = f"shape {shape}"
        if len(shape) == 1 and comm.size > 1 and min(default_factors(shape[0])) == 1:
            with pytest.raises(ValueError, match="composite"):
                DistFFT(comm, shape)  # prime N: the spectral vector would sit on one rank
            continue
        d, s = DistFFT(comm, shape), DistFFT(serial, shape)
        # one rank: the local arrays are the global ones, in natural order
        U1 = s.forward(u.reshape(s.local_physical_shape)).reshape(shape)
        ref = sfft.fftn(u, norm="forward")
        agree(comm, maxabs(U1 - ref) <= 1e-14, f"{name}: serial forward vs scipy")
        ul = d.local_physical(u)
        agree(comm, np.array_equal(ul, u.reshape(d.physical_view_shape)[d.physical_slices]
                                   .reshape(d.local_physical_shape)), f"{name}: slices/index")
        U = d.forward(ul)
        agree(comm, U.shape == d.local_spectral_shape, f"{name}: spectral shape")
        agree(comm, np.array_equal(U, d.local_spectral(U1)), f"{name}: forward bitwise vs 1 rank")
        agree(comm, maxabs(U - d.local_spectral(ref)) <= 1e-14, f"{name}: forward vs scipy")
        v = d.backward(U)
        agree(comm, np.array_equal(v, d.local_physical(s.backward(
            U1.reshape(s.local_spectral_shape)).reshape(shape))), f"{name}: backward bitwise")
        agree(comm, maxabs(v - ul) <= 1e-14, f"{name}: round trip")
        if len(shape) > 1:
            inv = sfft.ifftn(ref, norm="forward")
            agree(comm, np.array_equal(d.backward(d.local_spectral(ref)), d.local_physical(inv)),
                  f"{name}: backward == scipy.ifftn bitwise")
        # mode numbers of the local spectral entries
        grids = np.meshgrid(*[mode_numbers(n) for n in shape], indexing="ij")
        for ax, m in enumerate(d.modes):
            agree(comm, np.array_equal(np.broadcast_to(m, d.local_spectral_shape),
                                       d.local_spectral(grids[ax])), f"{name}: modes axis {ax}")
        # norms in both layouts: bitwise the single-rank value
        for lay, local, glob in (("spectral", U, U1), ("physical", ul, u)):
            nd, ns = getattr(d, f"{lay}_norm")(), getattr(s, f"{lay}_norm")()
            sd = nd.sum_sq(local)
            ss = ns.sum_sq(glob.reshape(s.local_physical_shape if lay == "physical"
                                        else s.local_spectral_shape))
            agree(comm, nd.size == d.N and sd == ss, f"{name}: {lay} norm {sd!r} vs {ss!r}")
            agree(comm, abs(sd - np.sum(np.abs(glob) ** 2)) <= 1e-12 * ss, f"{name}: {lay} sum")


def test_dist_fft():
    run_everywhere(check_fft)


# -- reductions -------------------------------------------------------------------------
def check_ordered_sums(comm):
    serial = SerialComm()
    for i, (shape, axis) in enumerate([((37,), 0), ((10, 7), 0), ((6, 13), 1), ((5, 4, 11), 2),
                                       ((3, 9, 5), 1), ((2, 6), 0)]):
        rng = np.random.default_rng(2000 + i)
        g = randc(rng, shape) * 10.0 ** rng.uniform(-8, 8, shape)
        dec = Decomposition.for_comm(comm, shape, axis)
        loc = dec.local_part(g)
        one = ordered_sum_sq(serial, g, axis, shape[axis], 0)
        got = ordered_sum_sq(comm, loc, axis, shape[axis], dec.start)
        agree(comm, got == one, f"ordered_sum_sq {shape}/{axis}: {got!r} != {one!r}")
        agree(comm, comm.allreduce_max(got) == comm.allreduce_min(got), "same on every rank")
        plain = ordered_sum(comm, loc.real, axis, shape[axis], dec.start)
        agree(comm, plain == ordered_sum(serial, g.real, axis, shape[axis], 0), "ordered_sum")
        parts = index_partial_sums(loc, axis)
        agree(comm, np.array_equal(parts, index_partial_sums(g, axis)[dec.start:dec.stop]),
              "partial sums independent of the block width")


def test_ordered_sums():
    run_everywhere(check_ordered_sums)


# -- halos ------------------------------------------------------------------------------
def check_halo(comm):
    P = comm.size
    for width in (1, 2, 3):
        for extra in (0, 1, P + 1):
            n = P * width + extra
            for shape, axis in (((n, 3), 0), ((2, n), 1), ((4, 2, n), 2)):
                g = np.arange(np.prod(shape), dtype=float).reshape(shape)
                dec = Decomposition.for_comm(comm, shape, axis)
                h = with_halo(comm, dec.local_part(g), axis, width)
                want = g.take(np.arange(dec.start - width, dec.stop + width) % n, axis=axis)
                agree(comm, np.array_equal(h, want), f"halo n={n} width={width} axis={axis}")


def test_halo_exchange():
    run_everywhere(check_halo)


# -- ensembles --------------------------------------------------------------------------
def check_ensemble(comm):
    for M in (1, 3, 7, 10):
        mine = local_members(M, comm)
        owned = sorted(i for r in comm.allgather(list(mine)) for i in r)
        agree(comm, owned == list(range(M)), f"members of M={M}")
        vals = [member_rng(42, i).standard_normal(2) for i in mine]
        allv = allgather_members(comm, M, vals)
        want = np.array([member_rng(42, i).standard_normal(2) for i in range(M)])
        agree(comm, np.array_equal(allv, want), "per-member streams")


def test_ensemble():
    run_everywhere(check_ensemble)


def check_ordinal_batches(comm):
    """Ordinal analysis of a batch spread over the ranks equals the one-rank result."""
    from physim.analysis import ordinal
    X = np.random.default_rng(11).standard_normal((9, 4000))
    X[3, 100] = np.nan
    mine = ordinal.complexity_entropy(X, 4, [1, 2], comm=comm, warn=False)
    ref = ordinal.complexity_entropy(X, 4, [1, 2], warn=False)
    for v in ("H", "C", "windows", "nan_windows", "missing_patterns"):
        agree(comm, np.array_equal(mine[v].values, ref[v].values, equal_nan=True),
              f"ordinal {v} on {comm.size} ranks")


def test_ordinal_batches():
    run_everywhere(check_ordinal_batches)
