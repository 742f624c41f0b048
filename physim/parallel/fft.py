"""Distributed complex FFTs (1D, 2D, 3D, …) by slab decomposition and Alltoallv transposes.

Convention (scipy ``norm="forward"``)::

    uhat[m] = (1/N) Σ_j u[j] e^{−2πi m·j/n}     (forward)
    u[j]    =       Σ_m uhat[m] e^{+2πi m·j/n}  (backward)

i.e. ``forward == scipy.fft.fftn(u, norm="forward")`` and ``backward ==
scipy.fft.ifftn(uhat, norm="forward")`` on the global arrays, complex128, up
to round-off where noted below (≤ ~1e-16 relative).

Layouts (rank r of P, blocks by :func:`~physim.parallel.decomposition.block_range`)
---------------------------------------------------------------------------------
N-D (ndim >= 2), global shape (n0, n1, n2, …):

* physical: slabs along axis 0. Rank r holds ``u[a:b, :, :, …]`` with
  ``(a, b) = block_range(n0, P, r)``, local shape (b−a, n1, n2, …).
* spectral: slabs along axis 1. Rank r holds ``uhat[:, c:d, :, …]`` with
  ``(c, d) = block_range(n1, P, r)``, local shape (n0, d−c, n2, …).

  forward = FFT over axes 1… (local) → transpose (one Alltoallv) → FFT over axis 0;
  backward = the reverse. ``backward`` equals ``scipy.fft.ifftn`` bitwise;
  ``forward`` does the axes in a different order than ``scipy.fft.fftn``
  (axes 1… before 0), which changes the last bits (~1e-16 relative).

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
All ranks and every rank count run the same sequence of 1-D ``scipy.fft``
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

from .decomposition import Decomposition
from .pointwise import cmul
from .reduce import DistributedNorm


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
                 workers: int | None = None):
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
            n1, n2 = default_factors(self.N) if factors is None else map(int, factors)
            if n1 * n2 != self.N or min(n1, n2) < 1:
                raise ValueError(f"factors ({n1}, {n2}) do not multiply to N={self.N}")
            if P > 1 and min(n1, n2) == 1 and self.N > 1:
                raise ValueError(f"N={self.N} with factors ({n1}, {n2}) would put the whole "
                                 f"{'spectral' if n1 == 1 else 'physical'} vector on one rank; "
                                 "use a composite N (or one rank)")
            self.factors = (n1, n2)
            self.physical_view_shape, self.spectral_view_shape = (n1, n2), (n2, n1)
            pdec = Decomposition((n1, n2), P, r, axis=1)  # columns j2
            sdec = Decomposition((n2, n1), P, r, axis=1)  # columns k1
            self.local_physical_shape = (n1 * pdec.local_n,)
            self.local_spectral_shape = (n2 * sdec.local_n,)
        else:
            self.factors = None
            self.physical_view_shape = self.spectral_view_shape = self.shape
            pdec = Decomposition(self.shape, P, r, axis=0)
            sdec = Decomposition(self.shape, P, r, axis=1)
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
        return DistributedNorm(self.comm, dec.local_shape, dec.axis, dec.n, dec.start)

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
            rest = int(np.prod(self.shape[2:]))
            self._rest = rest
            # forward: send [a:b, c_s:d_s, …] to s, receive [a_s:b_s, c:d, …] from s
            self._fsend = pdec.local_n * sdec.counts * rest
            self._frecv = pdec.counts * sdec.local_n * rest

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
        pdec, sdec = self.physical_decomposition, self.spectral_decomposition
        n0, n1 = self.shape[:2]
        rest = self._rest
        if u.size:
            a = sfft.fftn(u, axes=tuple(range(1, self.ndim)), norm="forward",
                          workers=self.workers)
        else:
            a = u
        a = a.reshape(pdec.local_n, n1, rest)
        send = np.empty(a.size, dtype=np.complex128)
        pos = 0
        for s in range(self.comm.size):
            c, d = sdec.range_of(s)
            cnt = int(self._fsend[s])
            send[pos:pos + cnt].reshape(pdec.local_n, d - c, rest)[...] = a[:, c:d]
            pos += cnt
        recv = np.empty(n0 * sdec.local_n * rest, dtype=np.complex128)
        self.comm.alltoallv(send, self._fsend, recv, self._frecv)
        return self._fft(recv.reshape(self.local_spectral_shape), 0)

    def backward(self, uhat_local) -> np.ndarray:
        """Spectral local array -> physical local array (collective)."""
        uh = self._check(uhat_local, self.local_spectral_shape, "spectral")
        if self.ndim == 1:
            return self._backward_1d(uh)
        pdec, sdec = self.physical_decomposition, self.spectral_decomposition
        n1 = self.shape[1]
        rest = self._rest
        b = np.ascontiguousarray(self._fft(uh, 0, inverse=True))
        recv = np.empty(pdec.local_n * n1 * rest, dtype=np.complex128)
        self.comm.alltoallv(b.reshape(-1), self._frecv, recv, self._fsend)
        out = np.empty((pdec.local_n, n1, rest), dtype=np.complex128)
        pos = 0
        for s in range(self.comm.size):
            c, d = sdec.range_of(s)
            cnt = int(self._fsend[s])
            out[:, c:d] = recv[pos:pos + cnt].reshape(pdec.local_n, d - c, rest)
            pos += cnt
        out = out.reshape(self.local_physical_shape)
        if out.size == 0:
            return out
        return sfft.ifftn(out, axes=tuple(range(1, self.ndim)), norm="forward",
                          workers=self.workers)

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
