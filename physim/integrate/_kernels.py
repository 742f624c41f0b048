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


# the block of a state that the fused passes below sum in a local buffer: 4 kB, in L1
_BLOCK = 512


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _block_sum(K, coef, s, j0, m, tmp):
    """tmp[:m] = sum_{i<s} coef[i] K[i, j0:j0+m], in :func:`combination`'s order."""
    c0 = coef[0]
    row = K[0, j0:j0 + m]
    for b in range(m):
        tmp[b] = c0 * row[b]
    for i in range(1, s):
        c = coef[i]
        if c != 0.0:
            row = K[i, j0:j0 + m]
            for b in range(m):
                tmp[b] += c * row[b]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def stage_sum_times(y, K, coef, s, h, w, out):
    """out = w (y + (sum_{i<s} coef[i] K[i]) h), complex w and out: :func:`stage_sum`
    and a pointwise factor in one pass, rounded exactly as :func:`stage_sum` followed by
    the product (the integrating-factor stage of a right-hand side, written straight into
    a transform's input buffer). y, K: flat real views as in :func:`stage_sum`. The sum
    is formed block by block in a buffer that stays in L1, so each stage row is read
    once, not read and written back once per row."""
    n = y.size
    tmp = np.empty(_BLOCK)
    for j0 in range(0, n, _BLOCK):
        m = min(_BLOCK, n - j0)
        _block_sum(K, coef, s, j0, m, tmp)
        yb = y[j0:j0 + m]
        wb = w[j0 // 2:(j0 + m) // 2]
        ob = out[j0 // 2:(j0 + m) // 2]
        for b in range(m // 2):
            re = yb[2 * b] + tmp[2 * b] * h
            im = yb[2 * b + 1] + tmp[2 * b + 1] * h
            ob[b] = wb[b] * complex(re, im)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def scaled_errors(K, e5, e3, s, y, y_new, atol, rtol, pairs, err5, err3):
    """err5 = (sum_{i<s} e5[i] K[i]) / scale and err3 likewise, scale = atol + rtol
    max(|y|, |y_new|) per element: DOP853's two error estimates in one pass over the
    stages (flat real views; with ``pairs`` the state is complex, element k the pair 2k,
    2k+1). A complex |.| is the square root of the larger |.|²: the same number as the
    larger of two hypot calls but for the last bit, in a loop that vectorises."""
    n = y.size
    t5 = np.empty(_BLOCK)
    t3 = np.empty(_BLOCK)
    step = 2 if pairs else 1
    for j0 in range(0, n, _BLOCK):
        m = min(_BLOCK, n - j0)
        _block_sum(K, e5, s, j0, m, t5)
        _block_sum(K, e3, s, j0, m, t3)
        yb, nb = y[j0:j0 + m], y_new[j0:j0 + m]
        o5, o3 = err5[j0:j0 + m], err3[j0:j0 + m]
        for b in range(0, m, step):
            if pairs:
                a = yb[b] * yb[b] + yb[b + 1] * yb[b + 1]
                c = nb[b] * nb[b] + nb[b + 1] * nb[b + 1]
                scale = atol + np.sqrt(max(a, c)) * rtol
                o5[b + 1] = t5[b + 1] / scale
                o3[b + 1] = t3[b + 1] / scale
            else:
                scale = atol + max(abs(yb[b]), abs(nb[b])) * rtol
            o5[b] = t5[b] / scale
            o3[b] = t3[b] / scale


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
