"""Reductions whose floating-point result does not depend on the rank count.

Why: DOP853 picks its step sizes from an error norm that cancels heavily, so a
1-ulp change in that norm changes the step size, and the solution then
differs by ~1e-10 after many steps. An ``MPI_Allreduce`` of per-rank sums
regroups the additions whenever the rank count changes. Here instead:

1. every global index ``i`` along the distributed axis gets its partial sum
   ``p[i]`` over all other axes, computed entirely on the rank that owns ``i``
   by pairwise halving (:func:`index_partial_sums`), whose order of additions
   depends only on the shape of the other axes — never on how many indices
   the rank holds;
2. the ``p[i]`` are allgathered into one vector in global index order;
3. every rank sums that vector with the same :func:`tree_sum`.

The result is bitwise the same on every rank and for any rank count (1, 2,
4, uneven blocks, empty blocks), and with :class:`SerialComm` it is the same
arithmetic again. The price is one allgather of ``global_n`` numbers per
reduction (``global_n`` = the length of the distributed axis, not the field
size).

The pairwise sums are built from element-wise IEEE additions of numpy arrays
only, so they do not depend on numpy's reduction internals (which switch
between pairwise and sequential summation with the memory layout), on SIMD
width or on alignment.
"""
from __future__ import annotations

import numpy as np


def _halve_inplace(x: np.ndarray, axis: int) -> int:
    """Pairwise-reduce ``x`` along ``axis`` (0 or -1) in place; the sum ends at index 0.

    While the length m > 1: x[:m//2] += x[m//2 : 2*(m//2)], and an odd last
    element moves to position m//2. The additions depend on m only.
    """
    m = x.shape[axis]
    while m > 1:
        h = m // 2
        if axis == 0:
            x[:h] += x[h:2 * h]
            if m % 2:
                x[h] = x[2 * h]
        else:
            x[..., :h] += x[..., h:2 * h]
            if m % 2:
                x[..., h] = x[..., 2 * h]
        m = h + m % 2
    return m


def tree_sum(a, axis: int = -1) -> np.ndarray:
    """Pairwise sum along ``axis`` with a fixed, layout-independent order of additions.

    Halving: while the length m > 1, x[:m//2] += x[m//2 : 2*(m//2)] and an odd
    last element moves to position m//2. Returns an array without ``axis``
    (0.0 for an empty axis).
    """
    x = np.moveaxis(np.asarray(a), axis, -1)
    x = np.array(x, dtype=np.result_type(x.dtype, np.float64), order="C", copy=True)
    if x.shape[-1] == 0:
        return np.zeros(x.shape[:-1], dtype=x.dtype)
    _halve_inplace(x, -1)
    return x[..., 0].copy()


def abs_sq(x) -> np.ndarray:
    """|x|² element-wise (re² + im² for complex input), float64."""
    x = np.asarray(x)
    if np.iscomplexobj(x):
        return np.square(x.real, dtype=np.float64) + np.square(x.imag, dtype=np.float64)
    return np.square(x, dtype=np.float64)


def index_partial_sums(local_array, axis: int, *, overwrite: bool = False) -> np.ndarray:
    """For each index i along ``axis``, the sum over all other axes, in a fixed order.

    With the array viewed as (A, n, B) (A: the axes before ``axis``, B: those
    after, flattened), entry i is the pairwise (:func:`tree_sum`-style) sum
    over B, then over A. The order of additions depends only on A and B, so
    entry i is bitwise the same whether the local array holds one index or
    many. ``overwrite=True`` lets it use a C-contiguous float ``local_array``
    as scratch space.
    """
    a = np.asarray(local_array)
    axis = axis % a.ndim
    shape = a.shape
    n = shape[axis]
    A, B = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1:]))
    dtype = np.result_type(a.dtype, np.float64)
    if overwrite and a.dtype == dtype and a.flags.c_contiguous:
        x = a.reshape(A, n, B)
    else:
        x = np.array(a.reshape(A, n, B), dtype=dtype, order="C", copy=True)
    if A == 0 or B == 0 or n == 0:
        return np.zeros(n, dtype=dtype)
    if B > 1:
        _halve_inplace(x, -1)
    y = x[:, :, 0]
    if A > 1:
        y = np.ascontiguousarray(y)
        _halve_inplace(y, 0)
    return y[0].copy()


def _check_blocks(blocks, global_n):
    pos = 0
    for off, n in sorted(blocks):
        if n == 0:
            continue
        if off != pos:
            raise ValueError(f"the ranks' blocks {sorted(blocks)} do not tile [0, {global_n})")
        pos += n
    if pos != global_n:
        raise ValueError(f"the ranks' blocks {sorted(blocks)} do not tile [0, {global_n})")


def ordered_sum(comm, local_array, axis: int, global_n: int, offset: int):
    """Σ of a distributed array, bitwise independent of the rank count.

    ``local_array`` holds global indices ``offset … offset + local_n − 1``
    along ``axis`` (all of every other axis); the blocks of all ranks tile
    ``[0, global_n)`` (any block sizes, in any rank order). Collective.
    Returns the same float (or complex) on every rank.
    """
    part = index_partial_sums(local_array, axis)
    gathered = comm.allgather((int(offset), part))
    _check_blocks([(off, p.size) for off, p in gathered], global_n)
    full = np.zeros(global_n, dtype=np.result_type(*(p.dtype for _, p in gathered)))
    for off, p in gathered:
        full[off:off + p.size] = p
    return tree_sum(full)[()]


def ordered_sum_rows(comm, local_rows, global_n: int, offset: int) -> np.ndarray:
    """Column sums of a table distributed by rows, bitwise independent of the rank count.

    ``local_rows`` (local_n, k) holds rows ``offset … offset + local_n − 1`` of a
    (global_n, k) table (e.g. per-cell quantities); every rank gets the k sums, added
    in the same :func:`tree_sum` order over the global rows. Collective; one allgather
    of the table.
    """
    rows = np.asarray(local_rows, dtype=np.float64)
    rows = rows.reshape(rows.shape[0], int(np.prod(rows.shape[1:])))  # also 0 rows
    gathered = comm.allgather((int(offset), rows))
    _check_blocks([(off, r.shape[0]) for off, r in gathered], global_n)
    full = np.zeros((global_n, rows.shape[1]))
    for off, r in gathered:
        full[off:off + r.shape[0]] = r
    return tree_sum(full, axis=0)


def ordered_sum_sq(comm, local_array, axis: int, global_n: int, offset: int) -> float:
    """Σ |x|² over a distributed array, bitwise independent of the rank count.

    Same layout rules as :func:`ordered_sum`.
    """
    return float(ordered_sum(comm, abs_sq(local_array), axis, global_n, offset))


class _OrderedNorm:
    """``sum_sq`` and ``sum`` of a distributed state through the subclass's ``_ordered``."""

    local_shape: tuple
    _local_size: int

    def sum_sq(self, x) -> float:
        """Global Σ|x|² (collective)."""
        return self._ordered(abs_sq(self._local(x)), overwrite=True)

    def sum(self, x) -> float:
        """Global Σx of a real array in the same layout (collective, rank-count independent)."""
        return self._ordered(np.asarray(self._local(x), dtype=np.float64), overwrite=False)

    def _local(self, x):
        x = np.asarray(x)
        if x.shape != self.local_shape:
            if x.ndim != 1 or x.size != self._local_size:
                raise ValueError(f"state of shape {x.shape} is not in the local layout "
                                 f"{self.local_shape}")
            x = x.reshape(self.local_shape)
        return x

    def _ordered(self, a, overwrite) -> float:
        raise NotImplementedError


class DistributedNorm(_OrderedNorm):
    """The DOP853 norm protocol for a state distributed in blocks along one axis.

    The state's local array has shape ``local_shape``; along ``axis`` it holds
    global indices ``offset … offset + local_shape[axis] − 1`` of ``global_n``.
    ``size`` is the global element count and ``sum_sq(x)`` the global Σ|x|²
    (collective; bitwise the same on every rank and for every rank count, see
    the module docstring). ``x`` must be in the state's local layout: shape
    ``local_shape`` or its C-order flattening.

    Use it on one rank too (``SerialComm``): only then do serial and parallel
    runs take the same steps (DOP853's ``LocalNorm`` sums differently).
    """

    def __init__(self, comm, local_shape, axis: int, global_n: int, offset: int):
        self.comm = comm
        self.local_shape = tuple(int(n) for n in local_shape)
        self.axis = axis % len(self.local_shape)
        self.global_n, self.offset = int(global_n), int(offset)
        local_n = self.local_shape[self.axis]
        blocks = comm.allgather((self.offset, local_n))
        _check_blocks(blocks, self.global_n)
        self._offsets = np.array([b[0] for b in blocks], dtype=np.int64)
        self.counts = np.array([b[1] for b in blocks], dtype=np.int64)
        # Allgatherv packs rank blocks in rank order; map them to global order
        order = np.argsort(self._offsets, kind="stable")
        self._in_order = bool(np.all(order == np.arange(len(order))))
        self._perm = np.concatenate([np.arange(o, o + n) for o, n in
                                     zip(self._offsets, self.counts)]).astype(np.int64)
        rest = int(np.prod([n for i, n in enumerate(self.local_shape) if i != self.axis]))
        self.size = self.global_n * rest
        self._local_size = int(np.prod(self.local_shape))

    @classmethod
    def from_decomposition(cls, comm, decomposition) -> "DistributedNorm":
        d = decomposition
        return cls(comm, d.local_shape, d.axis, d.n, d.start)

    def _ordered(self, a, overwrite) -> float:
        part = index_partial_sums(a, self.axis, overwrite=overwrite)
        gathered = np.empty(self.global_n, dtype=np.float64)
        self.comm.allgatherv(np.ascontiguousarray(part), gathered, self.counts)
        if not self._in_order:
            full = np.empty_like(gathered)
            full[self._perm] = gathered
            gathered = full
        return float(tree_sum(gathered))


class BlockNorm(_OrderedNorm):
    """The DOP853 norm protocol for a state split in blocks along two axes (pencils).

    ``local_shape`` holds, along ``axes = (a, b)``, the global indices
    ``offsets[i] … offsets[i] + local_shape[axes[i]] − 1`` of ``global_n[i]``; every
    other axis is whole. Each (i, j) of the two split axes gets its partial sum over
    the other axes on the rank that owns it (pairwise halving, the same additions
    whatever the block); the (global_n[0], global_n[1]) table of partials is
    allgathered and summed by :func:`tree_sum` on every rank. So the result is bitwise
    the same for any process grid and rank count (a slab is a grid with one part along
    ``b``), at the price of one allgather of that table per reduction.
    """

    def __init__(self, comm, local_shape, axes, global_n, offsets):
        self.comm = comm
        self.local_shape = tuple(int(n) for n in local_shape)
        self.axes = tuple(a % len(self.local_shape) for a in axes)
        self.global_n = tuple(int(n) for n in global_n)
        a, b = self.axes
        mine = (int(offsets[0]), self.local_shape[a], int(offsets[1]), self.local_shape[b])
        self._blocks = comm.allgather(mine)
        cover = np.zeros(self.global_n, dtype=np.int64)
        for oa, na, ob, nb in self._blocks:
            cover[oa:oa + na, ob:ob + nb] += 1
        if not np.all(cover == 1):
            raise ValueError(f"the ranks' blocks {self._blocks} do not tile {self.global_n}")
        self.counts = np.array([na * nb for _, na, _, nb in self._blocks], dtype=np.int64)
        rest = int(np.prod([n for i, n in enumerate(self.local_shape) if i not in self.axes]))
        self.size = self.global_n[0] * self.global_n[1] * rest
        self._local_size = int(np.prod(self.local_shape))

    def _ordered(self, a, overwrite) -> float:
        ax = self.axes
        y = np.moveaxis(a, ax, (0, 1))
        na, nb = y.shape[:2]
        y = np.array(y.reshape(na * nb, -1) if y.size else np.zeros((na * nb, 1)),
                     dtype=np.float64, order="C", copy=True)
        if y.shape[1] > 1:
            _halve_inplace(y, -1)
        part = np.ascontiguousarray(y[:, 0])
        gathered = np.empty(int(self.counts.sum()), dtype=np.float64)
        self.comm.allgatherv(part, gathered, self.counts)
        table = np.empty(self.global_n, dtype=np.float64)
        pos = 0
        for oa, na_, ob, nb_ in self._blocks:
            table[oa:oa + na_, ob:ob + nb_] = gathered[pos:pos + na_ * nb_].reshape(na_, nb_)
            pos += na_ * nb_
        return float(tree_sum(table.reshape(-1)))
