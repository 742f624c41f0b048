"""Element-wise arithmetic whose result for an element does not depend on its position.

Bitwise rank-count independence needs more than ordered reductions: the value
computed for one grid point must not depend on where that point sits in the
local array, and the local arrays change with the rank count. Two common
numpy/BLAS operations break this on current x86 builds:

* complex ``a * b``: numpy's SIMD loop uses fused multiply-adds, its scalar
  tail does not, so a product's last bit depends on the element's position;
* ``np.dot`` / BLAS (e.g. DOP853's stage sums ``np.dot(K.T, A)``): the kernels
  block and vectorise by position, with FMA in some code paths only.

The functions here use only separately rounded real multiplies and adds on
float64 views (one ufunc per operation, no FMA possible), so element i's
result depends only on the inputs at i. Real-array ufuncs (``+``, ``*``,
``np.square``), complex ``np.abs``, ``scipy.fft`` along an axis (batch
independent) and numpy's ``cos``/``sin`` were found position-independent
(numpy 2.4, scipy 1.17, AVX-512 x86-64); tests/parallel checks the FFTs and
norms bitwise across rank counts.
"""
from __future__ import annotations

import numpy as np


def cmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Complex product a·b as (ar·br − ai·bi) + i(ar·bi + ai·br), every operation rounded.

    ``a`` and ``b`` are complex128 arrays of one shape (``b`` may broadcast);
    ``out`` may be ``a`` (in place).
    """
    a = np.asarray(a, dtype=np.complex128)
    b = np.asarray(b, dtype=np.complex128)
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    re = ar * br
    re -= ai * bi
    im = ar * bi
    im += ai * br
    if out is None:
        out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.complex128)
    out.real = re
    out.imag = im
    return out


def lincomb(coeffs, arrays, out: np.ndarray | None = None) -> np.ndarray:
    """Σ_j coeffs[j] · arrays[j] for real coefficients, accumulated in order j = 0, 1, …

    Element i is ((0 + c0·x0[i]) + c1·x1[i]) + …, each product and sum rounded
    on its own (complex arrays through their float64 views), zero
    coefficients skipped: position-independent, unlike ``np.dot(K.T, c)``,
    and it keeps the arrays' shape (``np.dot(K.T, c)`` reverses the axes of
    N-D arrays). ``arrays``: a stacked C-contiguous array (S, …) — e.g. the
    DOP853 stages ``K[:s]``, handled by one compiled pass per term — or a
    sequence of equally shaped arrays.
    """
    c = np.array([float(x) for x in coeffs], dtype=np.float64)
    if c.size > len(arrays):
        raise ValueError(f"{c.size} coefficients for {len(arrays)} arrays")
    first = np.asarray(arrays[0])
    dtype = np.result_type(first.dtype, np.float64)
    if out is None:
        out = np.empty(first.shape, dtype=dtype)
    o = _real_view(out).reshape(-1)
    if (isinstance(arrays, np.ndarray) and arrays.flags.c_contiguous and arrays.dtype == dtype
            and c.size):
        stack = arrays[:c.size]
        flat = (stack.view(np.float64) if np.iscomplexobj(stack) else stack).reshape(c.size, -1)
        _lincomb_kernel()(c, flat, o)
        return out
    o[...] = 0.0
    tmp = np.empty_like(o)
    for cj, arr in zip(c, arrays):
        if cj == 0.0:
            continue
        x = _real_view(np.ascontiguousarray(arr, dtype=dtype)).reshape(-1)
        np.multiply(x, cj, out=tmp)
        o += tmp
    return out


_KERNEL = None


def _lincomb_kernel():
    """The compiled accumulation (numba imported on first use only; no fastmath, so no FMA)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def kernel(c, K, out):
            m = out.size
            for i in range(m):
                out[i] = 0.0
            for j in range(c.size):
                cj = c[j]
                if cj != 0.0:
                    for i in range(m):
                        out[i] += cj * K[j, i]

        _KERNEL = kernel
    return _KERNEL


def _real_view(x: np.ndarray) -> np.ndarray:
    if np.iscomplexobj(x):
        if not x.flags.c_contiguous:
            raise ValueError("complex arrays must be C-contiguous")
        return x.view(np.float64)
    return x
