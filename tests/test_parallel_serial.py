"""physim.parallel on its serial path: one rank, no MPI (mpi4py need not be installed)."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.fft as sfft

from physim.parallel import (Blocks, Decomposition, DistFFT, DistributedNorm, SerialComm, block_counts,
                             block_offsets, block_owner, block_range, cmul, default_factors,
                             halo_exchange, index_partial_sums, lincomb, local_members,
                             member_rng, mode_numbers, ordered_sum, ordered_sum_sq,
                             process_grid, tree_sum, with_halo)

LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                 "OMPI_COMM_WORLD_RANK", "MPI_LOCALNRANKS", "PHYSIM_MPI")


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    env.update(extra)
    return env


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", code], env=_clean_env(**env),
                          capture_output=True, text=True, timeout=60)


# -- communicator --------------------------------------------------------------------
def test_get_comm_is_serial_without_mpi_import():
    r = _run("import sys; from physim.parallel import get_comm; c = get_comm(); "
             "print(type(c).__name__, c.rank, c.size, c.is_root, 'mpi4py' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["SerialComm", "0", "1", "True", "False"]


def test_physim_mpi_0_overrides_a_launcher():
    r = _run("import sys; from physim.parallel import get_comm; "
             "print(type(get_comm()).__name__, 'mpi4py' in sys.modules)",
             PHYSIM_MPI="0", PMI_SIZE="4", PMI_RANK="0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["SerialComm", "False"]


def test_forced_mpi_without_mpi4py_is_an_error():
    r = _run("import sys; sys.modules['mpi4py'] = None\n"
             "from physim.parallel import get_comm\n"
             "try:\n    get_comm()\nexcept RuntimeError as e:\n    print('RuntimeError')",
             PHYSIM_MPI="1")
    assert r.stdout.strip() == "RuntimeError", r.stderr


def test_launched_with_ranks_but_no_mpi4py_is_an_error():
    r = _run("import sys; sys.modules['mpi4py'] = None\n"
             "from physim.parallel import get_comm\n"
             "try:\n    get_comm()\nexcept RuntimeError as e:\n    print('RuntimeError')",
             PMI_SIZE="2", PMI_RANK="0")
    assert r.stdout.strip() == "RuntimeError", r.stderr


def test_serial_comm_methods():
    c = SerialComm()
    assert (c.rank, c.size, c.is_root, c.is_mpi) == (0, 1, True, False)
    c.barrier()
    assert c.bcast({"a": 1}) == {"a": 1}
    assert c.allgather(5) == [5]
    x = np.arange(3.0)
    s = c.allreduce_sum(x)
    assert np.array_equal(s, x) and s is not x
    assert c.allreduce_max(2.5) == 2.5
    send = np.arange(5) + 1j
    recv = np.empty(5, complex)
    c.alltoallv(send, [5], recv, [5])
    assert np.array_equal(recv, send)
    out = np.empty(4)
    c.allgatherv(np.arange(4.0), out, [4])
    assert np.array_equal(out, np.arange(4.0))
    assert np.array_equal(c.sendrecv(np.ones(2), dest=0, source=0), np.ones(2))
    with pytest.raises(ValueError):
        c.sendrecv(np.ones(2), dest=1, source=0)
    with pytest.raises(ValueError):
        c.alltoallv(send, [5], recv, [4])
    assert isinstance(c.split(3), SerialComm)


# -- decomposition -------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 5, 7, 16, 17])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 8])
def test_block_range_is_balanced_and_tiles(n, size):
    ranges = [block_range(n, size, r) for r in range(size)]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(ranges[r][1] == ranges[r + 1][0] for r in range(size - 1))
    lens = [b - a for a, b in ranges]
    assert lens == [n // size + (r < n % size) for r in range(size)]
    assert list(block_counts(n, size)) == lens
    assert list(block_offsets(n, size)) == [a for a, _ in ranges]
    for i in range(n):
        a, b = ranges[block_owner(i, n, size)]
        assert a <= i < b


def test_block_range_examples():
    assert [block_range(10, 4, r) for r in range(4)] == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert [block_range(2, 4, r) for r in range(4)] == [(0, 1), (1, 2), (2, 2), (2, 2)]
    with pytest.raises(ValueError):
        block_range(5, 2, 2)


def test_decomposition_slabs():
    g = np.arange(7 * 5 * 3).reshape(7, 5, 3)
    parts = [Decomposition(g.shape, 3, r, axis=1) for r in range(3)]
    assert [p.local_shape for p in parts] == [(7, 2, 3), (7, 2, 3), (7, 1, 3)]
    assert parts[2].local_slices == (slice(None), slice(4, 5), slice(None))
    assert np.array_equal(np.concatenate([p.local_part(g) for p in parts], axis=1), g)
    d = Decomposition.for_comm(SerialComm(), (4, 6), axis=-1)
    assert (d.axis, d.local_shape, d.owner(5)) == (1, (4, 6), 0)


def test_halo_exchange_one_rank_wraps_periodically():
    c = SerialComm()
    g = np.arange(6 * 2, dtype=float).reshape(6, 2)
    h = with_halo(c, g, axis=0, width=2)
    assert np.array_equal(h, g[[4, 5, 0, 1, 2, 3, 4, 5, 0, 1]])
    h2 = with_halo(c, g.T.copy(), axis=1, width=1)
    assert np.array_equal(h2, g.T[:, [5, 0, 1, 2, 3, 4, 5, 0]])
    assert halo_exchange(c, g.copy(), 0, 0).shape == g.shape
    with pytest.raises(ValueError):
        with_halo(c, g[:1], axis=0, width=2)


# -- FFT -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1,), (8,), (12,), (30,), (97,), (256,), (6, 10), (5, 7),
                                   (16, 16), (1, 4), (7, 5, 9), (8, 4, 16), (3, 1, 2)])
def test_dist_fft_serial_matches_scipy(shape):
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    u = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    d = DistFFT(SerialComm(), shape)
    # one rank: the local arrays are the global ones (1-D included)
    assert d.local_physical_shape == d.local_spectral_shape == shape
    assert np.array_equal(d.local_physical(u), u) and np.array_equal(d.local_spectral(u), u)
    U = d.forward(u)
    ref = sfft.fftn(u, norm="forward")
    assert U.dtype == np.complex128 and U.shape == shape
    assert np.abs(U - ref).max() <= 1e-15 * max(1.0, np.abs(ref).max() * 10)
    back = d.backward(U)
    assert np.abs(back - u).max() <= 1e-14
    if len(shape) > 1:  # the backward transform does scipy's axis order
        assert np.array_equal(d.backward(ref), sfft.ifftn(ref, norm="forward"))
    for ax, m in enumerate(d.modes):
        expect = np.rint(sfft.fftfreq(shape[ax], 1.0 / shape[ax])).astype(np.int64)
        shp = [1] * len(shape)
        shp[ax] = -1
        assert np.array_equal(np.broadcast_to(m, shape),
                              np.broadcast_to(expect.reshape(shp), shape))
    assert d.spectral_norm().size == d.physical_norm().size == d.N
    assert d.spectral_norm().sum_sq(U) == pytest.approx(np.sum(np.abs(ref) ** 2), rel=1e-13)


def test_dist_fft_1d_factors_and_layout():
    assert default_factors(64) == (8, 8)
    assert default_factors(30) == (5, 6)
    assert default_factors(97) == (1, 97)
    rng = np.random.default_rng(5)
    u = rng.standard_normal(48) + 1j * rng.standard_normal(48)
    ref = sfft.fft(u, norm="forward")
    for factors in [(1, 48), (48, 1), (4, 12), (12, 4), (6, 8)]:
        d = DistFFT(SerialComm(), 48, factors=factors)
        assert d.physical_view_shape == factors and d.spectral_view_shape == factors[::-1]
        assert np.abs(d.forward(u) - ref).max() <= 1e-15
        assert np.abs(d.backward(d.forward(u)) - u).max() <= 1e-14
    with pytest.raises(ValueError):
        DistFFT(SerialComm(), 48, factors=(5, 10))
    with pytest.raises(NotImplementedError):
        DistFFT(SerialComm(), (4, 4), axes=(1,))
    with pytest.raises(ValueError):
        DistFFT(SerialComm(), (4, 4)).forward(np.zeros((4, 5)))
    assert np.array_equal(mode_numbers(5), [0, 1, 2, -2, -1])
    assert np.array_equal(mode_numbers(4), [0, 1, -2, -1])


def test_dist_fft_is_rank_count_independent_on_thread_ranks():
    from physim.parallel.threadcomm import run_ranks

    shape = (10, 6, 4)
    rng = np.random.default_rng(9)
    u = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    one = DistFFT(SerialComm(), shape).forward(u)

    def part(comm):
        d = DistFFT(comm, shape)
        U = d.forward(d.local_physical(u))
        return np.array_equal(U, d.local_spectral(one)), d.spectral_norm().sum_sq(U)

    ref_norm = DistFFT(SerialComm(), shape).spectral_norm().sum_sq(one)
    for size in (2, 3, 4):
        res = run_ranks(size, part)
        assert all(ok and s == ref_norm for ok, s in res)


@pytest.mark.parametrize("shape", [(10, 6, 4), (7, 5, 9), (3, 1, 2), (4, 6, 5, 3)])
def test_pencils_are_bitwise_the_serial_transform_on_any_grid(shape):
    """Slabs are the grids (P, 1); pencils split x and y; every grid, empty blocks
    included, runs the same 1-D transforms and the same ordered sums."""
    from physim.parallel.threadcomm import run_ranks

    rng = np.random.default_rng(11)
    u = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    d = DistFFT(SerialComm(), shape)
    one = d.forward(u)
    back = d.backward(one)
    assert np.array_equal(d.backward(one), sfft.ifftn(one, norm="forward"))
    norms = d.spectral_norm().sum_sq(one), d.physical_norm().sum(np.abs(back))

    def part(comm, grid):
        dd = DistFFT(comm, shape, grid=grid)
        U = dd.forward(dd.local_physical(u))
        B = dd.backward(U)
        return (np.array_equal(U, dd.local_spectral(one))
                and np.array_equal(B, dd.local_physical(back))
                and (dd.spectral_norm().sum_sq(U), dd.physical_norm().sum(np.abs(B))) == norms)

    for grid in [(2, 1), (1, 2), (2, 2), (3, 1), (1, 4), (3, 2)]:
        assert all(run_ranks(grid[0] * grid[1], lambda c: part(c, grid))), grid


def test_pencil_layouts_and_refusals():
    from physim.parallel.threadcomm import run_ranks

    d = DistFFT(SerialComm(), (8, 6, 4), grid=(1, 1))
    assert d.grid == (1, 1) and d.physical_slices == (slice(0, 8), slice(0, 6), slice(None))
    with pytest.raises(ValueError, match="does not multiply"):
        DistFFT(SerialComm(), (8, 6, 4), grid=(2, 1))
    with pytest.raises(ValueError, match="splits one axis"):
        run_ranks(2, lambda c: DistFFT(c, (8, 6), grid=(1, 2)))
    b = Blocks((10, 7, 3), {0: (3, 2), 1: (2, 1)})
    assert b.ranges == ((7, 10), (4, 7), (0, 3)) and b.offsets == (7, 4)
    assert b.local_shape == (3, 3, 3)
    assert process_grid(4, (8, 8)) == (2, 2) and process_grid(6, (8, 8)) == (3, 2)
    assert process_grid(8, (2, 16)) == (2, 4) and process_grid(7, (6, 6)) is None
    assert process_grid(2, (8, 8)) == (2, 1)


def test_nlse_split_grid_rules():
    from physim.solvers.nlse.simulation import LayoutError, split_grid

    auto = {"decomposition": "auto", "process_grid": None}
    assert split_grid(auto, [16, 12, 16], 4) == (4, 1)  # slabs while they fit
    assert split_grid(auto, [8, 8, 8], 16) == (4, 4)  # then pencils
    assert split_grid({**auto, "decomposition": "pencil"}, [16, 12, 16], 4) == (2, 2)
    assert split_grid({**auto, "process_grid": [1, 4]}, [16, 12, 16], 4) == (1, 4)
    with pytest.raises(LayoutError, match=r"slabs take at most min\(N_x, N_y\) = 8 ranks "
                                          r"\(a 3-D field goes further"):
        split_grid({**auto, "decomposition": "slab"}, [8, 8, 8], 16)
    with pytest.raises(LayoutError, match=r"slabs take at most min\(N_x, N_y\) = 8 ranks$"):
        split_grid(auto, [8, 8], 16)
    with pytest.raises(LayoutError, match=r"P_y <= min\(N_y, N_z\) = 8"):
        split_grid({**auto, "process_grid": [1, 16]}, [16, 8, 16], 16)
    with pytest.raises(LayoutError, match="no pencil grid"):
        split_grid(auto, [8, 8, 8], 67)


# -- reductions ------------------------------------------------------------------------
def test_tree_sum_fixed_order_and_accuracy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1001) * 10.0 ** rng.uniform(-6, 6, 1001)
    s = tree_sum(x)
    assert s == pytest.approx(math.fsum(x), rel=1e-14)
    # the same numbers in a non-contiguous / transposed layout give the same bits
    m = rng.standard_normal((7, 33))
    assert np.array_equal(tree_sum(m, axis=1), tree_sum(np.asfortranarray(m), axis=1))
    assert np.array_equal(tree_sum(m.T, axis=0), tree_sum(m, axis=1))
    assert np.array_equal(tree_sum(m, axis=1)[2:5], tree_sum(m[2:5], axis=1))
    assert tree_sum(np.array([])) == 0.0 and tree_sum(np.array([2.5])) == 2.5


@pytest.mark.parametrize("shape,axis", [((40,), 0), ((40, 9), 0), ((9, 40), 1), ((3, 40, 5), 1),
                                        ((4, 3, 40), 2), ((40, 1), 0)])
def test_partial_sums_do_not_depend_on_block_width(shape, axis):
    rng = np.random.default_rng(11)
    g = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * 1e3
    full = index_partial_sums(abs(g) ** 2, axis)
    for a, b in [(0, 1), (3, 4), (0, 40), (5, 21), (17, 40), (39, 40), (10, 10)]:
        blk = np.take(g, np.arange(a, b), axis=axis)
        assert np.array_equal(index_partial_sums(abs(blk) ** 2, axis), full[a:b])
    # any split into blocks gives the bitwise same ordered sum
    one = ordered_sum_sq(SerialComm(), g, axis, shape[axis], 0)
    assert one == pytest.approx(np.sum(np.abs(g) ** 2), rel=1e-13)


def test_ordered_sum_checks_the_tiling():
    g = np.ones((5, 2))
    assert ordered_sum(SerialComm(), g, 0, 5, 0) == 10.0
    with pytest.raises(ValueError):
        ordered_sum_sq(SerialComm(), g, 0, 6, 0)
    with pytest.raises(ValueError):
        DistributedNorm(SerialComm(), (5, 2), 0, 5, 1)


def test_distributed_norm_protocol_and_dop853():
    from physim.integrate.dop853 import DOP853, LocalNorm

    rng = np.random.default_rng(2)
    n = DistributedNorm(SerialComm(), (6, 4), axis=1, global_n=4, offset=0)
    x = rng.standard_normal((6, 4)) + 1j * rng.standard_normal((6, 4))
    assert n.size == 24
    assert n.sum_sq(x) == n.sum_sq(x.ravel()) == pytest.approx(LocalNorm(24).sum_sq(x))
    with pytest.raises(ValueError):
        n.sum_sq(x.T)
    # DOP853 with the distributed norm on one rank: a damped oscillator
    lam = np.array([-0.5 + 3j, -0.1 + 1j, -2.0 + 0.5j])
    y0 = np.ones(3, complex)
    norm = DistributedNorm(SerialComm(), (3,), axis=0, global_n=3, offset=0)
    s = DOP853(lambda t, y: lam * y, 0.0, y0, 2.0, rtol=1e-10, atol=1e-12, norm=norm)
    while not s.done:
        s.step()
    assert np.abs(s.y - np.exp(2 * lam)).max() < 1e-8


# -- position-independent arithmetic ---------------------------------------------------
def test_pointwise_results_do_not_depend_on_position():
    rng = np.random.default_rng(8)
    n = 203
    a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    b = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    full = cmul(a, b)
    assert np.abs(full - a * b).max() <= 1e-15
    K = rng.standard_normal((5, n)) + 1j * rng.standard_normal((5, n))
    c = [0.3, 0.0, -1.7, 2.25, 1e-3]
    lc = lincomb(c, K)
    assert np.abs(lc - np.dot(K.T, c)).max() <= 1e-14
    for st in range(0, 12):
        for w in (1, 2, 3, 5, 8, 9, 17):
            sl = slice(st, st + w)
            assert np.array_equal(cmul(a[sl], b[sl]), full[sl])
            assert np.array_equal(lincomb(c, np.ascontiguousarray(K[:, sl])), lc[sl])
    out = a.copy()
    cmul(out, b, out=out)
    assert np.array_equal(out, full)
    # compiled (stacked array) and numpy (list of arrays) paths agree bitwise; N-D shapes kept
    assert np.array_equal(lincomb(c, list(K)), lc)
    K3 = rng.standard_normal((4, 6, 5))
    assert np.array_equal(lincomb(c[:4], K3), lincomb(c[:4], list(K3)))
    assert lincomb(c[:4], K3).shape == (6, 5)
    assert np.abs(lincomb(c[:4], K3) - np.tensordot(c[:4], K3, axes=1)).max() <= 1e-14


# -- ensembles -------------------------------------------------------------------------
def test_ensemble_serial():
    c = SerialComm()
    assert local_members(7, c) == range(0, 7)
    assert local_members(0, c) == range(0, 0)
    x = member_rng(123, 4).standard_normal(5)
    assert np.array_equal(x, np.random.default_rng([123, 4]).standard_normal(5))
    assert not np.array_equal(x, member_rng(123, 5).standard_normal(5))
    assert not np.array_equal(x, member_rng(124, 4).standard_normal(5))


def test_ordered_sum_rows_is_rank_count_independent():
    """Column sums of a row-distributed table: bitwise the same on 1-4 thread ranks
    (uneven and empty blocks) and equal to numpy's sum to round-off."""
    from physim.parallel import ordered_sum_rows, run_ranks
    table = np.random.default_rng(3).standard_normal((7, 4)) * 10.0 ** np.arange(4)

    def job(comm):
        d = Decomposition((7,), comm.size, comm.rank)
        return ordered_sum_rows(comm, table[d.start:d.stop], 7, d.start)
    ref = run_ranks(1, job)[0]
    np.testing.assert_allclose(ref, table.sum(0), rtol=1e-14)
    for size in (2, 3, 4, 8):
        for got in run_ranks(size, job):
            np.testing.assert_array_equal(got, ref)
