"""Distributed complex FFTs (1D, 2D, 3D, …) on slabs or pencils, with Alltoallv transposes.

Convention (scipy ``norm="forward"``)::

    uhat[m] = (1/N) Σ_j u[j] e^{−2πi m·j/n}     (forward)
    u[j]    =       Σ_m uhat[m] e^{+2πi m·j/n}  (backward)

i.e. ``forward == scipy.fft.fftn(u, norm="forward")`` and ``backward ==
scipy.fft.ifftn(uhat, norm="forward")`` on the global arrays, complex128, up
to round-off where noted below (≤ ~1e-16 relative).

Layouts (blocks by :func:`~physim.parallel.decomposition.block_range`)
-----------------------------------------------------------------------
N-D (ndim >= 2), global shape (n0, n1, n2, …), on a process grid (P0, P1) with
P0·P1 = P; rank r sits at (g0, g1) = divmod(r, P1). A slab is the grid (P, 1) (the
default); in 2-D it is the only grid.

* physical: axis 0 in P0 blocks (block g0) and, in 3-D and up, axis 1 in P1 blocks
  (block g1): rank r holds ``u[a0:b0, a1:b1, :, …]``.
* spectral: axis 1 in P0 blocks (g0) and, in 3-D and up, axis 2 in P1 blocks (g1):
  ``uhat[:, c1:d1, c2:d2, …]``.

  forward = FFT over the local last axes → (3-D+) transpose in the grid row, axis 1
  whole and axis 2 split → FFT over axis 1 → transpose in the grid column, axis 0
  whole and axis 1 split → FFT over axis 0; backward = the reverse. The axes are
  transformed one at a time (last first going forward, first first going back), so
  ``backward`` equals ``scipy.fft.ifftn`` bitwise and ``forward`` differs from
  ``scipy.fft.fftn``'s axis order in the last bits (~1e-16 relative). A transpose is one
  ``Alltoallv`` over the whole communicator with zero counts outside the row or column
  (no sub-communicators); a row or column of one rank moves nothing, so slabs cost what
  they did. Slabs stop at min(n0, n1) ranks; pencils at min(n0, n1)·min(n1, n2).

1-D, length N = n1·n2 (``factors``; default: n1 the largest divisor of N with
n1 <= sqrt(N)), Cooley–Tukey four-step with one transpose. The layouts are
slabs of 2-D *views* of the global vectors, distributed along the views'
axis 1, so they are strided in the vector:

* physical: view ``u.reshape(n1, n2)`` (``u[n2·j1 + j2]`` at [j1, j2]);
  rank r holds columns j2 in ``(a, b) = block_range(n2, P, r)``; the local
  1-D array is ``u.reshape(n1, n2)[:, a:b].ravel()`` (length n1·(b−a)).
* spectral: view ``uhat.reshape(n2, n1)`` (``uhat[k1 + n1·k2]`` at [k2, k1]);
  rank r holds columns k1 in ``(c, d) = block_range(n1, P, r)``; the local
  1-D array is ``uhat.reshape(n2, n1)[:, c:d].ravel()`` (length n2·(d−c)).

  forward = length-n1 FFTs down the columns → twiddle e^{−2πi k1 j2/N} →
  transpose (one Alltoallv) → length-n2 FFTs. This differs from
  ``scipy.fft.fft`` in the last bits and costs ~1.3–2× a plain FFT on one
  rank — the price of rank-count independence. With one rank both local
  arrays are simply the global vectors (natural order). A prime N (n1 = 1)
  works on one rank only: on more it would put the whole spectral vector on
  rank 0, so it is refused — choose a composite N.

In both cases ``physical_slices`` / ``spectral_slices`` index the views
``physical_view_shape`` / ``spectral_view_shape`` (for N-D these are the
global shape itself), and ``physical_index`` / ``spectral_index`` index the
global arrays directly: ``local == global[dist.physical_index]``.

Rank-count independence
-----------------------
All ranks and every rank count and process grid run the same sequence of 1-D ``scipy.fft``
transforms on the same data (with one rank too: there is no separate serial
algorithm), each transform's result does not depend on how many transforms
are batched with it, and the twiddle products use position-independent
arithmetic (:mod:`.pointwise`). So forward/backward results are bitwise
identical for 1, 2, 4, … ranks, with even or uneven blocks.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft

from .decomposition import Blocks, Decomposition, block_range
from .pointwise import cmul
from .reduce import BlockNorm, DistributedNorm


def mode_numbers(n: int) -> np.ndarray:
    """Integer mode numbers of an n-point FFT in fftfreq order: 0, 1, …, −1 (int64)."""
    k = np.arange(n, dtype=np.int64)
    return np.where(k < (n + 1) // 2, k, k - n)


def default_factors(n: int) -> tuple[int, int]:
    """(n1, n2) with n1·n2 = n, n1 the largest divisor of n not above sqrt(n)."""
    n1 = 1
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            n1 = d
    return n1, n // n1


class _Swap:
    """Within one group of ranks (a row or column of the process grid), exchange which of
    two axes is whole.

    ``split_to_whole``: from ``a`` split over the group and ``b`` whole (local shape
    ``local_shape``) to ``a`` whole and ``b`` split; ``whole_to_split`` is the inverse.
    ``members`` are the group's global ranks in block order and ``index`` is this rank's
    place among them. One ``Alltoallv`` over the whole communicator with zero counts outside
    the group (any comm class works, no sub-communicators); a group of one copies nothing.
    """

    def __init__(self, shape, local_shape, a, b, members, index, size):
        self.a, self.b, self.members, self.index = a, b, list(members), index
        G = len(self.members)
        self.split_shape = tuple(local_shape)  # a split, b whole
        whole = list(local_shape)
        whole[a] = shape[a]
        whole[b] = block_range(shape[b], G, index)[1] - block_range(shape[b], G, index)[0]
        self.whole_shape = tuple(whole)  # a whole, b split
        self.b_ranges = [block_range(shape[b], G, s) for s in range(G)]
        self.a_ranges = [block_range(shape[a], G, s) for s in range(G)]
        # split_to_whole: to member s my rows of its b block; from s its a block of my b block
        self.to_whole_send = np.zeros(size, dtype=np.int64)
        self.to_whole_recv = np.zeros(size, dtype=np.int64)
        rest = int(np.prod([n for i, n in enumerate(local_shape) if i not in (a, b)]))
        for s, rank in enumerate(self.members):
            b0, b1 = self.b_ranges[s]
            a0, a1 = self.a_ranges[s]
            self.to_whole_send[rank] = local_shape[a] * (b1 - b0) * rest
            self.to_whole_recv[rank] = (a1 - a0) * self.whole_shape[b] * rest
        self.trivial = G == 1

    def split_to_whole(self, comm, x):
        return self._move(comm, x, self.b, self.b_ranges, self.to_whole_send,
                          self.to_whole_recv, self.a, self.a_ranges, self.whole_shape)

    def whole_to_split(self, comm, x):
        return self._move(comm, x, self.a, self.a_ranges, self.to_whole_recv,
                          self.to_whole_send, self.b, self.b_ranges, self.split_shape)

    def _move(self, comm, x, cut, cut_ranges, send_counts, recv_counts, place, place_ranges,
              shape):
        """Send member s my blocks ``cut_ranges[s]`` of axis ``cut``; place what s sends
        at ``place_ranges[s]`` of axis ``place`` in a new array of ``shape``."""
        if self.trivial:
            return x
        send = (np.concatenate([np.ascontiguousarray(_take(x, cut, r)).reshape(-1)
                                for r in cut_ranges]) if x.size
                else np.empty(0, dtype=np.complex128))
        recv = np.empty(int(recv_counts.sum()), dtype=np.complex128)
        comm.alltoallv(send, send_counts, recv, recv_counts)
        out = np.empty(shape, dtype=np.complex128)
        pos = 0
        for s, rank in enumerate(self.members):
            lo, hi = place_ranges[s]
            cnt = int(recv_counts[rank])
            block = list(shape)
            block[place] = hi - lo
            idx = [slice(None)] * len(shape)
            idx[place] = slice(lo, hi)
            out[tuple(idx)] = recv[pos:pos + cnt].reshape(block)
            pos += cnt
        return out


def _take(x, axis, r):
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(*r)
    return x[tuple(idx)]


class DistFFT:
    """Distributed complex FFT of a global array of ``shape`` over ``comm``.

    ``forward(u_local) -> uhat_local`` and ``backward(uhat_local) ->
    u_local`` take and return local arrays in the layouts of the module
    docstring (new complex128 arrays; inputs are not modified). Both are
    collective. ``axes`` must be None (all axes are transformed).

    Attributes
    ----------
    shape, ndim, N : global shape, its rank, its element count
    physical_view_shape, spectral_view_shape : the arrays the slices index
    physical_slices, spectral_slices : tuples of slices into those views
    physical_index, spectral_index : index tuples into the global arrays
    local_physical_shape, local_spectral_shape : local array shapes
    modes : tuple of int64 arrays, one per axis, broadcastable to
        ``local_spectral_shape``: the integer mode numbers m (fftfreq order,
        wavenumber k = 2π m / L) of the local spectral entries
    physical_decomposition, spectral_decomposition : the view decompositions
    """

    def __init__(self, comm, shape, axes=None, *, factors: tuple[int, int] | None = None,
                 workers: int | None = None, grid: tuple[int, int] | None = None):
        self.comm = comm
        self.shape = tuple(int(n) for n in np.atleast_1d(shape))
        self.ndim = len(self.shape)
        if self.ndim == 0 or min(self.shape) < 1:
            raise ValueError(f"invalid FFT shape {self.shape}")
        if axes is not None and sorted(a % self.ndim for a in axes) != list(range(self.ndim)):
            raise NotImplementedError("DistFFT transforms all axes (axes=None)")
        self.N = int(np.prod(self.shape))
        self.workers = workers
        P, r = comm.size, comm.rank
        if self.ndim == 1:
            if grid is not None and tuple(grid) != (P, 1):
                raise ValueError(f"a 1-D transform has no process grid {tuple(grid)}")
            n1, n2 = default_factors(self.N) if factors is None else map(int, factors)
            if n1 * n2 != self.N or min(n1, n2) < 1:
                raise ValueError(f"factors ({n1}, {n2}) do not multiply to N={self.N}")
            if P > 1 and min(n1, n2) == 1 and self.N > 1:
                raise ValueError(f"N={self.N} with factors ({n1}, {n2}) would put the whole "
                                 f"{'spectral' if n1 == 1 else 'physical'} vector on one rank; "
                                 "use a composite N (or one rank)")
            self.factors, self.grid, self.grid_coords = (n1, n2), (P, 1), (r, 0)
            self.physical_view_shape, self.spectral_view_shape = (n1, n2), (n2, n1)
            pdec = Decomposition((n1, n2), P, r, axis=1)  # columns j2
            sdec = Decomposition((n2, n1), P, r, axis=1)  # columns k1
            self.local_physical_shape = (n1 * pdec.local_n,)
            self.local_spectral_shape = (n2 * sdec.local_n,)
        else:
            P0, P1 = (P, 1) if grid is None else (int(g) for g in grid)
            if P0 < 1 or P1 < 1 or P0 * P1 != P:
                raise ValueError(f"process grid {tuple(grid)} does not multiply to {P} ranks")
            if self.ndim == 2 and P1 != 1:
                raise ValueError(f"a 2-D transform splits one axis: grid ({P}, 1), not {grid}")
            self.factors, self.grid = None, (P0, P1)
            g0, g1 = self.grid_coords = divmod(r, P1)
            self.physical_view_shape = self.spectral_view_shape = self.shape
            if self.ndim == 2:
                pdec = Blocks(self.shape, {0: (P0, g0)})
                sdec = Blocks(self.shape, {1: (P0, g0)})
            else:
                pdec = Blocks(self.shape, {0: (P0, g0), 1: (P1, g1)})
                self._middle = Blocks(self.shape, {0: (P0, g0), 2: (P1, g1)})
                sdec = Blocks(self.shape, {1: (P0, g0), 2: (P1, g1)})
            self.local_physical_shape = pdec.local_shape
            self.local_spectral_shape = sdec.local_shape
        self.physical_decomposition, self.spectral_decomposition = pdec, sdec
        self.physical_slices, self.spectral_slices = pdec.local_slices, sdec.local_slices
        self._setup()

    # -- layout helpers ---------------------------------------------------------------
    @property
    def physical_index(self) -> tuple:
        """``global[physical_index]`` is this rank's physical local array."""
        return self._index(self.physical_decomposition)

    @property
    def spectral_index(self) -> tuple:
        """``global[spectral_index]`` is this rank's spectral local array."""
        return self._index(self.spectral_decomposition)

    def _index(self, dec: Decomposition) -> tuple:
        ranges = [np.arange(s.start or 0, s.stop if s.stop is not None else n, dtype=np.int64)
                  for s, n in zip(dec.local_slices, dec.global_shape)]
        if self.ndim == 1:
            rows, cols = ranges
            return ((rows[:, None] * dec.global_shape[1] + cols[None, :]).ravel(),)
        return np.ix_(*ranges)

    def local_physical(self, global_array) -> np.ndarray:
        """This rank's part of a global physical array (every rank holds all of it)."""
        return self._local(global_array, self.physical_index)

    def local_spectral(self, global_array) -> np.ndarray:
        """This rank's part of a global spectral array (every rank holds all of it)."""
        return self._local(global_array, self.spectral_index)

    def _local(self, g, index):
        g = np.asarray(g)
        if g.shape != self.shape:
            raise ValueError(f"global array shape {g.shape} != {self.shape}")
        return np.ascontiguousarray(g[index])

    @property
    def modes(self) -> tuple[np.ndarray, ...]:
        if self.ndim == 1:
            (idx,) = self.spectral_index
            return (np.where(idx < (self.N + 1) // 2, idx, idx - self.N),)
        out = []
        for i, (s, n) in enumerate(zip(self.spectral_slices, self.shape)):
            m = mode_numbers(n)[s]
            shape = [1] * self.ndim
            shape[i] = m.size
            out.append(m.reshape(shape))
        return tuple(out)

    def physical_norm(self) -> DistributedNorm:
        """DOP853 norm for states in the physical layout (collective)."""
        return self._norm(self.physical_decomposition)

    def spectral_norm(self) -> DistributedNorm:
        """DOP853 norm for states in the spectral layout (collective)."""
        return self._norm(self.spectral_decomposition)

    def _norm(self, dec):
        if self.ndim == 1:
            return DistributedNorm(self.comm, dec.local_shape, dec.axis, dec.n, dec.start)
        if self.ndim == 2:
            (axis,) = dec.axes
            return DistributedNorm(self.comm, dec.local_shape, axis, self.shape[axis],
                                   dec.ranges[axis][0])
        # 3-D and up: per-(i, j) partial sums over the two split axes, whatever the grid,
        # so that slabs and pencils of any rank count add in one order
        return BlockNorm(self.comm, dec.local_shape, dec.axes,
                         tuple(self.shape[a] for a in dec.axes), dec.offsets)

    # -- transforms ---------------------------------------------------------------
    def _setup(self):
        pdec, sdec = self.physical_decomposition, self.spectral_decomposition
        if self.ndim == 1:
            n1, n2 = self.factors
            j2 = np.arange(pdec.start, pdec.stop, dtype=np.int64)
            k1 = np.arange(n1, dtype=np.int64)
            m = (k1[:, None] * j2[None, :]) % self.N
            m = np.where(m > self.N // 2, m - self.N, m)  # angles in (−π, π]
            theta = m * (-2.0 * np.pi / self.N)
            self._twiddle = np.empty(m.shape, dtype=np.complex128)
            self._twiddle.real = np.cos(theta)
            self._twiddle.imag = np.sin(theta)
            self._twiddle_conj = np.conj(self._twiddle)
            # forward: send k1-rows of the [k1, j2_loc] block, receive [k1_loc, j2_s] blocks
            self._fsend = sdec.counts * pdec.local_n
            self._frecv = sdec.local_n * pdec.counts
        else:
            P0, P1 = self.grid
            g0, g1 = self.grid_coords
            ranks0 = [s * P1 + g1 for s in range(P0)]  # my column of the grid: axis-0 peers
            ranks1 = [g0 * P1 + s for s in range(P1)]  # my row of the grid
            if self.ndim == 2:
                self._swaps = [_Swap(self.shape, pdec.local_shape, 0, 1, ranks0, g0, self.comm.size)]
            else:
                self._swaps = [
                    _Swap(self.shape, pdec.local_shape, 1, 2, ranks1, g1, self.comm.size),
                    _Swap(self.shape, self._middle.local_shape, 0, 1, ranks0, g0,
                          self.comm.size)]

    def _fft(self, x, axis, inverse=False):
        if x.size == 0:
            return np.array(x, dtype=np.complex128, copy=True)
        f = sfft.ifft if inverse else sfft.fft
        return f(x, axis=axis, norm="forward", workers=self.workers)

    def _check(self, x, shape, what):
        x = np.asarray(x)
        if x.shape != shape:
            raise ValueError(f"{what} local array has shape {x.shape}, expected {shape}")
        return np.ascontiguousarray(x, dtype=np.complex128)

    def forward(self, u_local) -> np.ndarray:
        """Physical local array -> spectral local array (collective)."""
        u = self._check(u_local, self.local_physical_shape, "physical")
        if self.ndim == 1:
            return self._forward_1d(u)
        # the axes one at a time, last first: the same 1-D transforms on every grid
        if self.ndim > 3:
            u = self._fftn(u, tuple(range(self.ndim - 1, 2, -1)))
        a = self._fft(u, 2) if self.ndim > 2 else self._fft(u, 1)
        if self.ndim > 2:
            a = self._fft(self._swaps[0].split_to_whole(self.comm, a), 1)
        return self._fft(self._swaps[-1].split_to_whole(self.comm, a), 0)

    def backward(self, uhat_local) -> np.ndarray:
        """Spectral local array -> physical local array (collective)."""
        uh = self._check(uhat_local, self.local_spectral_shape, "spectral")
        if self.ndim == 1:
            return self._backward_1d(uh)
        # axis 0 first, as scipy.fft.ifftn does
        b = self._swaps[-1].whole_to_split(self.comm, self._fft(uh, 0, inverse=True))
        if self.ndim == 2:
            return self._fft(b, 1, inverse=True)
        b = self._swaps[0].whole_to_split(self.comm, self._fft(b, 1, inverse=True))
        b = self._fft(b, 2, inverse=True)
        if self.ndim > 3:
            b = self._fftn(b, tuple(range(3, self.ndim)), inverse=True)
        return b

    def _fftn(self, x, axes, inverse=False):
        for a in axes:
            x = self._fft(x, a, inverse)
        return x

    def _forward_1d(self, u):
        pdec, sdec = self.physical_decomposition, self.spectral_decomposition
        n1, n2 = self.factors
        b = self._fft(u.reshape(n1, pdec.local_n), 0)  # [k1, j2_loc]
        cmul(b, self._twiddle, out=b)
        recv = np.empty(sdec.local_n * n2, dtype=np.complex128)
        self.comm.alltoallv(np.ascontiguousarray(b).reshape(-1), self._fsend, recv, self._frecv)
        d = self._unpack(recv, self._frecv, pdec, n2, sdec.local_n)  # [j2, k1_loc]
        return self._fft(d, 0).reshape(-1)  # [k2, k1_loc]

    def _backward_1d(self, uh):
        pdec, sdec = self.physical_decomposition, self.spectral_decomposition
        n1, n2 = self.factors
        d = np.ascontiguousarray(self._fft(uh.reshape(n2, sdec.local_n), 0, inverse=True))
        recv = np.empty(n1 * pdec.local_n, dtype=np.complex128)
        self.comm.alltoallv(d.reshape(-1), self._frecv, recv, self._fsend)
        b = self._unpack(recv, self._fsend, sdec, n1, pdec.local_n)  # [k1, j2_loc]
        cmul(b, self._twiddle_conj, out=b)
        return self._fft(b, 0, inverse=True).reshape(-1)

    def _unpack(self, recv, counts, sender_dec, rows, local_n):
        """Place each rank's received block (its rows of ``sender_dec``) transposed into
        a (rows, local_n) array: the second half of the four-step transpose."""
        out = np.empty((rows, local_n), dtype=np.complex128)
        pos = 0
        for s in range(self.comm.size):
            r0, r1 = sender_dec.range_of(s)
            cnt = int(counts[s])
            out[r0:r1, :] = recv[pos:pos + cnt].reshape(local_n, r1 - r0).T
            pos += cnt
        return out

    def __repr__(self):
        return (f"DistFFT(shape={self.shape}, rank={self.comm.rank}/{self.comm.size}, "
                f"physical={self.local_physical_shape}, spectral={self.local_spectral_shape})")
