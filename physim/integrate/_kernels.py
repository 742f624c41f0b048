"""Fused DOP853 stage combinations: one pass over memory, no BLAS call or temporaries."""
import numba


@numba.njit(cache=True, nogil=True)
def stage_sum(y, K, coef, s, h, out):
    """out = y + (sum_{i<s} coef[i] K[i]) h, in scipy's operation order.

    Real arrays (flat real views of complex states): K is (stages, n).
    """
    combination(K, coef, s, out)
    for j in range(y.size):
        out[j] = y[j] + out[j] * h
    return out


@numba.njit(cache=True, nogil=True)
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
