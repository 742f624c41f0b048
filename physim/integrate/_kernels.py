"""Fused DOP853 stage combinations and norms: one pass over memory, no BLAS call or temporaries.

error_model="numpy": a division follows IEEE (inf, nan) instead of raising Python's
ZeroDivisionError, whose per-element branch kept the loops from vectorising (ERK4(3)-IP's
error pass took 35 us at N = 2^13, now 9 us); the values are the same bit for bit.
"""
import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def stage_sum(y, K, coef, s, h, out):
    """out = y + (sum_{i<s} coef[i] K[i]) h, in scipy's operation order.

    Real arrays (flat real views of complex states): K is (stages, n).
    """
    combination(K, coef, s, out)
    for j in range(y.size):
        out[j] = y[j] + out[j] * h
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def combination(K, coef, s, out):
    """out = sum_{i<s} coef[i] K[i], summed in stage order for every element alike.

    BLAS gemv may round the last few elements of a vector differently (a scalar
    tail loop); a distributed state's error estimate must not depend on where a
    rank's block ends.
    """
    n = out.size
    for j in range(n):
        out[j] = coef[0] * K[0, j]
    for i in range(1, s):
        c = coef[i]
        if c != 0.0:
            for j in range(n):
                out[j] += c * K[i, j]
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def sum_sq(x):
    """Σ x[j]² of a flat real array in a fixed order: no BLAS, no FMA (no fastmath).

    Eight interleaved accumulators (element j goes to j % 8, each summed in index
    order) joined by one fixed tree: the same additions on every CPU, SIMD width and
    thread count, while the loop still vectorises. np.linalg.norm (BLAS ddot) rounds
    per kernel: OPENBLAS_CORETYPE=SkylakeX and =Haswell differ by 1.4e-16 already
    for 4 elements, and DOP853's step sizes follow the last bit of this sum.
    """
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    n = x.size
    m = n - n % 8
    for j in range(0, m, 8):
        a0 += x[j] * x[j]
        a1 += x[j + 1] * x[j + 1]
        a2 += x[j + 2] * x[j + 2]
        a3 += x[j + 3] * x[j + 3]
        a4 += x[j + 4] * x[j + 4]
        a5 += x[j + 5] * x[j + 5]
        a6 += x[j + 6] * x[j + 6]
        a7 += x[j + 7] * x[j + 7]
    acc = np.array([a0, a1, a2, a3, a4, a5, a6, a7])
    for j in range(m, n):
        acc[j - m] += x[j] * x[j]
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))


# -- ERK4(3)-IP (erk43ip.py): its stage arithmetic in one pass each (complex arrays) ------
@numba.njit(cache=True, nogil=True, error_model="numpy")
def erk_start(e, y, f, half, uI, k1, x):
    """uI = e y, k1 = e f, x = uI + (h/2) k1."""
    for j in range(y.size):
        uI[j] = e[j] * y[j]
        k1[j] = e[j] * f[j]
        x[j] = uI[j] + half * k1[j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def axpy_into(a, s, b, out):
    """out = a + s b."""
    for j in range(a.size):
        out[j] = a[j] + s * b[j]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def scaled_axpy_into(e, a, s, b, out):
    """out = e (a + s b)."""
    for j in range(a.size):
        out[j] = e[j] * (a[j] + s * b[j])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def erk_end(e, uI, k1, k2, k3, k4, h6, out):
    """out = e (uI + (h/6)(k1 + 2 k2 + 2 k3)) + (h/6) k4: the fourth-order solution."""
    for j in range(uI.size):
        out[j] = e[j] * (uI[j] + h6 * (k1[j] + 2 * k2[j] + 2 * k3[j])) + h6 * k4[j]
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def erk_error(y, u4, k4, k5, h10, atol, rtol, out):
    """out = (h/10)(k4 − k5) / (atol + rtol max(|y|, |u4|)), real and imaginary parts
    interleaved as a flat real array (for the norm's sum of squares). |.| as the square
    root of the larger |.|², not two hypot calls: a loop that vectorises (hypot made this
    pass cost as much as an FFT), the same number but for the last bit."""
    for j in range(y.size):
        a = y[j].real * y[j].real + y[j].imag * y[j].imag
        b = u4[j].real * u4[j].real + u4[j].imag * u4[j].imag
        inv = 1.0 / (atol + rtol * np.sqrt(max(a, b)))
        d = h10 * (k4[j] - k5[j])
        out[2 * j] = d.real * inv
        out[2 * j + 1] = d.imag * inv
    return out
