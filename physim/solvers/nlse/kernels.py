"""Numba kernels for the NLSE right-hand side: one pass over memory each."""
import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def phase_table(a, mmax):
    """table[m] = exp(i a m^2) for m = 0..mmax.

    By the recurrence z_{m+1} = z_m w_m, w_{m+1} = w_m exp(2ia), reseeded from
    cos/sin every 32 values: four times cheaper than sin/cos everywhere, and
    the error stays at the round-off of the phase argument itself.
    """
    table = np.empty(mmax + 1, dtype=np.complex128)
    w2 = complex(np.cos(2 * a), np.sin(2 * a))
    z = 1 + 0j
    w = 1 + 0j
    for m in range(mmax + 1):
        if m % 32 == 0:
            th = a * m * m
            z = complex(np.cos(th), np.sin(th))
            th = a * (2 * m + 1)
            w = complex(np.cos(th), np.sin(th))
        # the recurrence drifts off |z| = 1 (up to 3e-14), which would leak mass at every
        # step; one Newton step towards unit modulus brings it back to round-off
        table[m] = z * (1.5 - 0.5 * (z.real * z.real + z.imag * z.imag))
        z = z * w
        w = w * w2
    return table


@numba.njit(cache=True, nogil=True)
def apply_phase(v, table, absm, mask, out):
    """out = mask * table[|m|] * v."""
    for j in range(v.size):
        out[j] = mask[j] * table[absm[j]] * v[j]
    return out


@numba.njit(cache=True, nogil=True)
def apply_phase_conj(x, table, absm, mask):
    """x <- x * mask * conj(table[|m|]), in place."""
    for j in range(x.size):
        x[j] = x[j] * mask[j] * table[absm[j]].conjugate()


@numba.njit(cache=True, nogil=True)
def cubic(psi, gamma):
    """psi <- i gamma |psi|^2 psi, in place."""
    for j in range(psi.size):
        z = psi[j]
        g = gamma * (z.real * z.real + z.imag * z.imag)
        psi[j] = complex(-g * z.imag, g * z.real)


@numba.njit(cache=True, nogil=True)
def lin_plus(x, lin, c, mask):
    """x <- lin * c + mask * x, in place (method-of-lines right-hand side)."""
    for j in range(x.size):
        x[j] = lin[j] * c[j] + mask[j] * x[j]


# -- N-dimensional kernels -------------------------------------------------------------------
# Spectral arrays are passed as 3-D views (singleton axes for 1-D and 2-D); factors that are
# tensor products over the axes come as per-axis tables indexed by |m| along that axis, so no
# N-D factor array is ever stored. Each element's arithmetic depends only on its own table
# entries, never on its position in the local block: results do not depend on the slab a
# rank holds. For 1-D the products reduce to the 1-D kernels' operations exactly.

@numba.njit(cache=True, nogil=True)
def _factor3(v, e0, e1, e2, m0, m1, m2, a0, a1, a2, out, after):
    """out = (M·E)·v, or (v·M)·E when ``after`` (the 1-D kernels' two operation orders)."""
    n0, n1, n2 = v.shape
    for i in range(n0):
        for j in range(n1):
            mij = m0[a0[i]] * m1[a1[j]]
            eij = e0[a0[i]] * e1[a1[j]]
            for k in range(n2):
                m = mij * m2[a2[k]]
                e = eij * e2[a2[k]]
                if after:
                    out[i, j, k] = v[i, j, k] * m * e
                else:
                    out[i, j, k] = m * e * v[i, j, k]
    return out


def apply_factor3(v, e0, e1, e2, m0, m1, m2, a0, a1, a2, out):
    """out = (M·E) * v with M = m0·m1·m2 (real) and E = e0·e1·e2 (complex), per axis by |m|."""
    return _factor3(v, e0, e1, e2, m0, m1, m2, a0, a1, a2, out, False)


def scale_factor3(x, e0, e1, e2, m0, m1, m2, a0, a1, a2):
    """x <- x * M * E in place (the order of the 1-D kernel apply_phase_conj)."""
    _factor3(x, e0, e1, e2, m0, m1, m2, a0, a1, a2, x, True)


@numba.njit(cache=True, nogil=True)
def spectral_weights3(v, e0, e1, e2, a0, a1, a2, q0, q1, q2, kin, mass):
    """With c = E·v: kin = (q0+q1+q2)|c|² and mass = |c|² (q: per-axis k², by |m|)."""
    n0, n1, n2 = v.shape
    for i in range(n0):
        for j in range(n1):
            eij = e0[a0[i]] * e1[a1[j]]
            qij = q0[a0[i]] + q1[a1[j]]
            for k in range(n2):
                c = eij * e2[a2[k]] * v[i, j, k]
                a = c.real * c.real + c.imag * c.imag
                mass[i, j, k] = a
                kin[i, j, k] = (qij + q2[a2[k]]) * a


@numba.njit(cache=True, nogil=True)
def gp_term(psi, gamma, V, imaginary, dens):
    """psi <- i(γ|ψ|² − V)ψ (real time) or (γ|ψ|² − V)ψ (imaginary time), in place.

    V may be empty (no potential). If ``dens`` is not empty it receives
    (V − γ|ψ|²)|ψ|², the potential-energy density of the chemical potential.
    """
    has_v = V.size > 0
    want = dens.size > 0
    for j in range(psi.size):
        z = psi[j]
        a = z.real * z.real + z.imag * z.imag
        g = gamma * a
        if has_v:
            g = g - V[j]
        if want:
            dens[j] = -g * a
        if imaginary:
            psi[j] = complex(g * z.real, g * z.imag)
        else:
            psi[j] = complex(-g * z.imag, g * z.real)
