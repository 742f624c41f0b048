"""Fast Fourier-spectral Boltzmann collision operators for single species and mixtures.

For particles of masses m_i, m_j with a = m_i / (m_i + m_j), b = m_j / (m_i + m_j), the
pre-collision pair (v, v - q) scatters to v' = v - b q + b |q| sigma. With a
variable-hard-sphere kernel B(|q|) = kappa |q|^gamma per unit solid angle (gamma = 0:
Maxwell molecules, 1: hard spheres) truncated at |q| <= R, the weak form gives
(Gamba, Haack, Hauck & Hu, SISC 2017; mixtures: Jaiswal, Alexeenko & Hu, CMAME 2019)

    Q+_ij^(k) = int_0^R rho^{d-1} B(rho) G(b rho |k|) int_S FT[f_i(. + b rho s) f_j(. - a rho s)](k) ds drho,
    Q-_ij = f_i (f_j * |S| B 1_{|q|<=R}),

with G(x) = int_S e^{-i x e.s} ds = 4 pi sin(x)/x (d = 3) or 2 pi J0(x) (d = 2). The rho
integral is Gauss-Legendre (n_rho nodes), the direction s a sphere rule (M nodes), and
the shifts are Fourier multipliers on the periodic grid: one complex inverse FFT per
node carries both shifted copies (f_i in the real part, f_j in the imaginary part), and
one real FFT per radius, so an evaluation costs O(M n_rho N^d log N).

The kernel prefactor kappa is chosen from the collision frequency: ``rate`` = |S| kappa,
so a Maxwell gas has loss frequency rate * n (kappa = 1/4pi for rate 1 in 3-D).
"""
from __future__ import annotations

import numba as nb
import numpy as np
import scipy.fft as sfft
from scipy.special import j0

from .velocity import VelocityGrid

SPHERE = {2: 2 * np.pi, 3: 4 * np.pi}


def sphere_rule(d: int, M: int):
    """Directions (M, d) and weights summing to |S^{d-1}|.

    d = 2: M equally spaced angles (exact for trigonometric polynomials of degree < M).
    d = 3: a product rule, Gauss-Legendre in cos(theta) x equally spaced phi, with
    M = n_theta * 2 n_theta directions (M = 72 is 6 x 12).
    """
    if d == 2:
        if M < 4:
            raise ValueError(f"M = {M}: expected at least 4 directions in 2-D")
        th = 2 * np.pi * np.arange(M) / M
        return np.stack([np.cos(th), np.sin(th)], -1), np.full(M, 2 * np.pi / M)
    nt = int(round(np.sqrt(M / 2)))
    if nt < 2 or 2 * nt * nt != M:
        raise ValueError(f"M = {M}: in 3-D expected 2 n^2 directions (8, 18, 32, 50, 72, 98, 128...)")
    x, w = np.polynomial.legendre.leggauss(nt)
    ph = np.pi * np.arange(2 * nt) / nt
    st = np.sqrt(1 - x ** 2)
    dirs = np.stack([np.outer(st, np.cos(ph)), np.outer(st, np.sin(ph)),
                     np.outer(x, np.ones_like(ph))], -1).reshape(-1, 3)
    wts = np.outer(w, np.full(2 * nt, np.pi / nt)).reshape(-1)
    return dirs, wts


def _half_sphere(dirs):
    """Indices of one direction of each antipodal pair, or None if the rule is not symmetric."""
    key = {tuple(np.round(e, 12)): i for i, e in enumerate(dirs)}
    keep, seen = [], set()
    for i, e in enumerate(dirs):
        j = key.get(tuple(np.round(-e, 12) + 0.0))
        if j is None:
            return None
        if i not in seen:
            keep.append(i)
            seen.update((i, j))
    return np.array(keep)


def _shell(d: int, x):
    """G(x) = int_S exp(-i x e.s) ds."""
    if d == 3:
        return 4 * np.pi * np.sinc(x / np.pi)
    return 2 * np.pi * j0(x)


class CollisionOperator:
    batch_bytes = 1 << 20  # the transform batch (see gain_loss)
    """Q_ij(f_i, f_j) on one velocity grid for masses (m_i, m_j).

    grid : VelocityGrid shared by both arguments.
    gamma : kernel exponent (0 Maxwell molecules, 1 hard spheres).
    rate : |S| kappa, the angular integral of the kernel at |q| = 1.
    R : truncation of |q| (default 2 S with S = 2L / (3 + sqrt 2), the anti-aliasing bound).
    n_rho, M : radial and sphere quadrature sizes (defaults N and 2 N in 2-D / 72 in 3-D).
    """

    def __init__(self, grid: VelocityGrid, m_i: float = 1.0, m_j: float = 1.0,
                 gamma: float = 0.0, rate: float = 1.0, R: float | None = None,
                 n_rho: int | None = None, M: int | None = None, workers: int | None = None):
        if not (m_i > 0 and m_j > 0):
            raise ValueError(f"masses ({m_i}, {m_j}): expected > 0")
        if not -grid.d < gamma <= 2:
            raise ValueError(f"gamma = {gamma}: expected -d < gamma <= 2")
        if not rate > 0:
            raise ValueError(f"rate = {rate}: expected > 0")
        self.grid, self.gamma, self.rate = grid, float(gamma), float(rate)
        self.m_i, self.m_j = float(m_i), float(m_j)
        self.a, self.b = m_i / (m_i + m_j), m_j / (m_i + m_j)
        d, N, L = grid.d, grid.N, grid.L
        self.R = 2 * (2 * L / (3 + np.sqrt(2))) if R is None else float(R)
        self.n_rho = N if n_rho is None else int(n_rho)
        self.M = (2 * N if d == 2 else 72) if M is None else int(M)
        self.workers = workers
        self.dirs, self.dir_w = sphere_rule(d, self.M)
        # equal masses and f_i = f_j: the product f(v + s/2) f(v - s/2) is even in s, so one
        # of each antipodal pair of directions (weight doubled) gives the same sum
        half = _half_sphere(self.dirs)
        self._half = (self.dirs[half], 2 * self.dir_w[half]) if (
            half is not None and self.a == self.b) else None
        x, w = np.polynomial.legendre.leggauss(self.n_rho)
        self.rho = 0.5 * self.R * (x + 1)
        kappa = self.rate / SPHERE[d]
        self.rho_w = 0.5 * self.R * w * self.rho ** (d - 1) * kappa * self.rho ** self.gamma
        k = grid.wavenumbers()
        self._k = k
        kmod = grid.kmod()
        rk = kmod[..., : N // 2 + 1]  # rfft half spectrum (last axis)
        self._gain_w = np.stack([wp * _shell(d, self.b * rp * rk)
                                 for rp, wp in zip(self.rho, self.rho_w)])
        # the loss kernel |S| B 1_{|q|<=R}, Fourier transformed with the same radial rule
        self._loss_hat = SPHERE[d] * sum(wp * _shell(d, rp * rk)
                                         for rp, wp in zip(self.rho, self.rho_w))

    def gain_loss(self, f_i, f_j):
        """(Q+, Q-) separately."""
        g, wk = self.grid, self.workers
        # f is real: one real forward transform each (half an N^d FFT), extended to the
        # full spectrum that the shifts need; the loss reuses the half spectrum of f_j
        fri = sfft.rfftn(f_i, workers=wk)
        frj = fri if f_j is f_i else sfft.rfftn(f_j, workers=wk)
        fi3 = _full_spectrum(_as3(fri), g.N)
        fj3 = fi3 if f_j is f_i else _full_spectrum(_as3(frj), g.N)
        axes = tuple(range(1, g.d + 1))
        acc = np.zeros(self._gain_w.shape[1:], complex)
        pair = f_j is f_i and self._half is not None
        dirs, wts = self._half if pair else (self.dirs, self.dir_w)
        n = f_i.size
        # directions per batch: a buffer of about 1 MB stays in cache (see CarlemanOperator)
        step = max(1, min(len(wts), self.batch_bytes // (16 * n)))
        buf = np.empty((step,) + g.shape, dtype=np.complex128)
        prod = np.empty(g.shape)
        k3 = [np.zeros(1)] * (3 - g.d) + [np.ravel(ka) for ka in self._k]
        d3 = np.zeros((len(wts), 3))
        d3[:, 3 - g.d:] = dirs
        for p, rp in enumerate(self.rho):
            prod[...] = 0.0
            for s0 in range(0, len(wts), step):
                m = min(step, len(wts) - s0)
                s = rp * d3[s0:s0 + m]
                b = buf[:m]
                b3 = b.reshape((m,) + fi3.shape)
                if pair:
                    # equal masses, f_i = f_j: the pair f(v + c) f(v - c), c = rho s / 2,
                    # from one real multiplier cos k.c + sin k.c (see _shifted_self)
                    _shifted_self(fi3, *k3, self.b * s, b3)
                else:
                    _shifted_pair(fi3, fj3, *k3, self.b * s, -self.a * s, b3)
                b = sfft.ifftn(b, axes=axes, workers=wk, overwrite_x=True)
                (_add_gain_self if pair else _add_gain)(b.reshape(m, -1), wts[s0:s0 + m],
                                                         prod.reshape(-1))
            _accumulate(acc.reshape(-1), self._gain_w[p].reshape(-1),
                        sfft.rfftn(prod, workers=wk).reshape(-1))
        gain = sfft.irfftn(acc, s=g.shape, workers=wk)
        conv = sfft.irfftn(frj * self._loss_hat, s=g.shape, workers=wk)
        return gain, f_i * conv

    def __call__(self, f_i, f_j=None):
        """Q_ij(f_i, f_j) (f_j defaults to f_i: the single-species operator)."""
        gain, loss = self.gain_loss(f_i, f_i if f_j is None else f_j)
        return gain - loss

    def loss_frequency(self, f_j) -> np.ndarray:
        """nu(v) = int f_j(v_*) |S| B(|v - v_*|) dv_* (the implicit part of penalised schemes)."""
        return sfft.irfftn(sfft.rfftn(f_j, workers=self.workers) * self._loss_hat,
                           s=self.grid.shape, workers=self.workers)


def _as3(a):
    """A 2-D or 3-D array as 3-D (a leading axis of length 1 for 2-D)."""
    return a.reshape((1,) * (3 - a.ndim) + a.shape)


@nb.njit(cache=True)
def _full_spectrum(fr, n2):
    """The full spectrum (n0, n1, n2) of a real array from its rfft half (last axis n2 // 2 + 1)."""
    n0, n1, h = fr.shape
    out = np.empty((n0, n1, n2), np.complex128)
    for i0 in range(n0):
        j0 = (n0 - i0) % n0
        for i1 in range(n1):
            j1 = (n1 - i1) % n1
            for i2 in range(h):
                out[i0, i1, i2] = fr[i0, i1, i2]
            for i2 in range(h, n2):
                out[i0, i1, i2] = np.conj(fr[j0, j1, n2 - i2])
    return out


@nb.njit(cache=True)
def _shifted_pair(fi, fj, k0, k1, k2, cb, ca, out):
    """out[j] = fi e^{i k.cb_j} + i fj e^{i k.ca_j}; the phases separate over the axes, so
    they come from per-axis tables (it was d full-grid exps per shift)."""
    n0, n1, n2 = fi.shape
    b0, a0 = np.empty(n0, np.complex128), np.empty(n0, np.complex128)
    b1, a1 = np.empty(n1, np.complex128), np.empty(n1, np.complex128)
    b2, a2 = np.empty(n2, np.complex128), np.empty(n2, np.complex128)
    for j in range(out.shape[0]):
        for i in range(n0):
            b0[i], a0[i] = np.exp(1j * k0[i] * cb[j, 0]), np.exp(1j * k0[i] * ca[j, 0])
        for i in range(n1):
            b1[i], a1[i] = np.exp(1j * k1[i] * cb[j, 1]), np.exp(1j * k1[i] * ca[j, 1])
        for i in range(n2):
            b2[i], a2[i] = np.exp(1j * k2[i] * cb[j, 2]), np.exp(1j * k2[i] * ca[j, 2])
        for i0 in range(n0):
            pb0, pa0 = b0[i0], a0[i0]
            for i1 in range(n1):
                pb1, pa1 = pb0 * b1[i1], pa0 * a1[i1]
                for i2 in range(n2):
                    out[j, i0, i1, i2] = (fi[i0, i1, i2] * (pb1 * b2[i2])
                                          + 1j * fj[i0, i1, i2] * (pa1 * a2[i2]))


@nb.njit(cache=True)
def _shifted_self(fh, k0, k1, k2, c, out):
    """out[j] = fh (cos k.c_j + sin k.c_j), a real multiplier.

    Its inverse transform is z = (f+ + f-)/2 - i (f+ - f-)/2 with f+- = f(v +- c_j), so
    Re z^2 - Im z^2 = f+ f- (see _add_gain_self): the pair of shifted copies of the
    equal-mass gain in one complex transform, as fh e^{ik.c} + i fh e^{-ik.c} gave, for a
    real product per point in place of four complex ones. The phase separates over the
    axes: Re + Im of p e^{i k2 c2} is pr (cos + sin) + pi (cos - sin) with p the product
    of the first two axes' phases.
    """
    n0, n1, n2 = fh.shape
    e0, e1 = np.empty(n0, np.complex128), np.empty(n1, np.complex128)
    u2, w2 = np.empty(n2), np.empty(n2)
    for j in range(out.shape[0]):
        for i in range(n0):
            e0[i] = np.exp(1j * k0[i] * c[j, 0])
        for i in range(n1):
            e1[i] = np.exp(1j * k1[i] * c[j, 1])
        for i in range(n2):
            x = k2[i] * c[j, 2]
            cs, sn = np.cos(x), np.sin(x)
            u2[i], w2[i] = cs + sn, cs - sn
        for i0 in range(n0):
            for i1 in range(n1):
                p = e0[i0] * e1[i1]
                pr, pi = p.real, p.imag
                for i2 in range(n2):
                    out[j, i0, i1, i2] = fh[i0, i1, i2] * (pr * u2[i2] + pi * w2[i2])


@nb.njit(cache=True)
def _add_gain_self(z, w, gain):
    """gain += sum_j w_j (Re z_j^2 - Im z_j^2): the shifted pair products of _shifted_self."""
    for j in range(z.shape[0]):
        wj = w[j]
        for i in range(gain.size):
            zr, zi = z[j, i].real, z[j, i].imag
            gain[i] += wj * (zr * zr - zi * zi)


@nb.njit(cache=True)
def _accumulate(acc, w, x):
    """acc += w x (one radius' weights times its transform, without temporaries)."""
    for i in range(acc.size):
        acc[i] += w[i] * x[i]


@nb.njit(cache=True)
def _filtered(fh, filt, out):
    """out[j] = fh * filt[j] for every direction j (flattened spectra)."""
    for j in range(filt.shape[0]):
        for i in range(fh.size):
            out[j, i] = fh[i] * filt[j, i]


@nb.njit(cache=True)
def _add_gain(ab, w, gain):
    """gain += sum_j w_j Re(ab_j) Im(ab_j): the Carleman gain of the directions in ab."""
    for j in range(ab.shape[0]):
        wj = w[j]
        for i in range(gain.size):
            z = ab[j, i]
            gain[i] += wj * z.real * z.imag


class CarlemanOperator:
    batch_bytes = 1 << 20  # the transform batch (see gain_loss)
    """The Mouhot-Pareschi fast spectral operator Q(f, f) for one species, O(M N^d log N).

    In Carleman form Q = int_{B_R} int_{B_R} Bt(x, y) delta(x.y) [f(v+y) f(v+x) - f(v+x+y) f(v)]
    with Bt = 2^{d-1} B(|x+y|) |x+y|^{2-d}, which is a constant for 2-D Maxwell molecules
    (gamma = 0) and 3-D hard spheres (gamma = 1). Writing x along a direction e and y in
    its orthogonal complement, the weights separate:

        beta(l, m) = Bt int_{e} phi(l.e) psi(m, e) de,
        d = 2: phi = psi = 2R sinc(R xi) (psi at m.e_perp), e over a half circle;
        d = 3: phi = R^2 [2 sinc(R xi) - sinc^2(R xi / 2)], psi = 2 pi R^2 J1(R |m_perp|) / (R |m_perp|),
               e over a half sphere,

    so the gain is sum_e w_e Bt a_e(v) b_e(v) with a_e, b_e two filtered copies of f, both
    real, taken by one complex inverse FFT per direction. The loss uses beta(m, m) from
    the same rule, so mass is conserved to round-off.
    """

    def __init__(self, grid: VelocityGrid, gamma: float = 0.0, rate: float = 1.0,
                 R: float | None = None, M: int | None = None, workers: int | None = None):
        d = grid.d
        if (d, gamma) not in ((2, 0.0), (3, 1.0)):
            raise ValueError(f"gamma = {gamma} in {d}-D: the Carleman (Mouhot-Pareschi) "
                             "operator separates for 2-D Maxwell molecules (gamma = 0) and 3-D "
                             "hard spheres (gamma = 1); use CollisionOperator otherwise")
        self.grid, self.gamma, self.rate, self.workers = grid, float(gamma), float(rate), workers
        N, L = grid.N, grid.L
        self.R = 2 * (2 * L / (3 + np.sqrt(2))) if R is None else float(R)
        R = self.R
        kappa = self.rate / SPHERE[d]
        self.Bt = 2 ** (d - 1) * kappa
        k = grid.wavenumbers()
        kvec = np.stack(np.broadcast_arrays(*k))
        if d == 2:
            self.M = max(8, N // 2) if M is None else int(M)
            th = np.pi * np.arange(self.M) / self.M
            dirs = np.stack([np.cos(th), np.sin(th)], -1)
            wts = np.full(self.M, np.pi / self.M)
            sinc = lambda x: np.sinc(x / np.pi)  # noqa: E731
            phis = [2 * R * sinc(R * np.tensordot(e, kvec, 1)) for e in dirs]
            psis = [2 * R * sinc(R * np.tensordot(np.array([-e[1], e[0]]), kvec, 1))
                    for e in dirs]
        else:
            from scipy.special import j1
            self.M = 72 if M is None else int(M)
            if int(round(np.sqrt(self.M / 2))) % 2:
                raise ValueError(f"M = {self.M}: the 3-D Carleman rule needs M = 2 n^2 with n "
                                 "even (32, 72, 128, 200...), so that half the sphere is kept")
            dirs, wts = sphere_rule(3, self.M)
            half = dirs[:, 2] > 0  # one of each antipodal pair: the upper half sphere
            dirs, wts = dirs[half], wts[half]
            sinc = lambda x: np.sinc(x / np.pi)  # noqa: E731
            kk = (kvec ** 2).sum(0)
            phis, psis = [], []
            for e in dirs:
                xi = np.tensordot(e, kvec, 1)
                phis.append(R ** 2 * (2 * sinc(R * xi) - sinc(R * xi / 2) ** 2))
                kp = R * np.sqrt(np.maximum(kk - xi ** 2, 0.0))
                with np.errstate(invalid="ignore", divide="ignore"):
                    psis.append(2 * np.pi * R ** 2 * np.where(kp > 1e-8, j1(kp) / kp, 0.5))
        self.dirs, self.dir_w = dirs, wts
        phis, psis = np.array(phis), np.array(psis)
        h = N // 2 + 1  # phi and psi are even in k: the rfft half holds them
        self._loss = self.Bt * np.tensordot(wts, phis * psis, 1)[..., :h]
        # phi + i psi once, whole: a table of the rfft half read at mirrored points
        # (half the memory) made Q 6-11 % slower than this straight product
        self._filt = (phis + 1j * psis).reshape(len(wts), -1)
        self._w = self.Bt * np.asarray(wts, float)

    def gain_loss(self, f, _=None):
        g = self.grid
        # f is real: a real forward transform (half an N^d FFT), and the loss is real
        fr = sfft.rfftn(f, workers=self.workers)
        fh = _full_spectrum(_as3(fr), g.N).reshape(-1)
        axes = tuple(range(1, g.d + 1))
        gain = np.zeros(g.shape)
        # directions per batch: a buffer of about 1 MB stays in cache through the product,
        # the transforms and the gain (a 16 MB batch ran at 2x the FFT floor at N = 256)
        step = max(1, min(64, self.batch_bytes // (16 * f.size)))
        nd = len(self.dir_w)
        buf = np.empty((min(step, nd),) + g.shape, dtype=np.complex128)
        for s in range(0, nd, step):
            m = min(step, nd - s)
            b = buf[:m]
            # phi and psi are real and even in k, so both filtered copies of the real f are
            # real: one complex transform gives a_e + i b_e; the products are fused
            # (numba) and the transforms work in place, so no temporaries per direction
            _filtered(fh, self._filt[s:s + m], b.reshape(m, -1))
            b = sfft.ifftn(b, axes=axes, workers=self.workers, overwrite_x=True)
            _add_gain(b.reshape(m, -1), self._w[s:s + m], gain.reshape(-1))
        loss = f * sfft.irfftn(fr * self._loss, s=g.shape, workers=self.workers)
        return gain, loss

    def __call__(self, f, _=None):
        gain, loss = self.gain_loss(f)
        return gain - loss

    def loss_frequency(self, f) -> np.ndarray:
        """nu(v): the loss term is nu f (the implicit part of penalised schemes)."""
        return sfft.irfftn(sfft.rfftn(f, workers=self.workers) * self._loss, s=self.grid.shape,
                           workers=self.workers)
