"""The NLSE / Gross–Pitaevskii equation in 1, 2 or 3 dimensions, pseudo-spectrally.

    i ψ_t + β ∇²ψ − V(x) ψ + γ |ψ|² ψ = 0          on a periodic box Π [−L_a/2, L_a/2)

(γ > 0 focusing / attractive; the GPE i ψ_t = −½∇²ψ + Vψ + g|ψ|²ψ is β = ½, γ = −g.)

State: the Fourier coefficients c_k with ψ(x_j) = Σ_k c_k e^{i k·x_j}
(``scipy.fft``'s ``norm="forward"``), so tolerances are in units of |ψ|. With
g(c) = β|k|² c + M·F[(V − γ|ψ_M|²) ψ_M], ψ_M = F⁻¹[M c]:

    real time:       dc/dt = −i g(c)
    imaginary time:  dc/dτ = −g(c) + μ(c) c,   μ = Re⟨c, g⟩ / ⟨c, c⟩

The imaginary-time flow is the continuous normalised gradient flow: it
conserves the mass exactly (so no renormalisation step is needed), lowers the
energy, and its fixed points are the discrete stationary states g = μ c, so
the ground state it converges to does not depend on the time step (unlike
split-step imaginary time). μ is the chemical potential.

M = Π_a D_a σ_a is a tensor product over the axes of the dealiasing masks D_a
(|k_a| ≤ dealias·k_Nyq,a) and the optional exponential filters σ_a. It enters
symmetrically, so the semi-discrete real-time system stays Hamiltonian: mass
and H_M = L^d Σ β|k|²|c|² + ∫V|ψ_M|² − (γ/2)∫|ψ_M|⁴ are exact invariants.
Momentum is exact only when the cubic term is fully dealiased (dealias < 1/2)
and V = 0; with the 2/3 rule it drifts by the (round-off level, for resolved
fields) aliasing error. The dispersion relation is not filtered. V sits in
the nonlinear part, so it limits the explicit step like the cubic term does.

Two formulations for DOP853:

* ``lines``: the system above as it stands (method of lines);
* ``interaction``: v = e^{−Λ(t−t_a)} c with Λ = −iβ|k|² (−β|k|² in imaginary
  time), re-anchored at every step start t_a, so dispersion is exact and only
  the nonlinearity and V limit the step. In imaginary time the factors
  e^{β|k|²(t−t_a)} grow inside a step, so the error is measured at the step's
  end (``to_end``), where it is the error of c itself.

Layout: the transform is :class:`physim.parallel.DistFFT` (slabs along axis 0
in physical space, along axis 1 in spectral space) for 2-D and 3-D, on any
communicator; a 1-D field on one rank uses a plain ``scipy.fft`` transform.
Every reduction (DOP853's error norm, μ, the invariants) goes through
:class:`physim.parallel.DistributedNorm`, so a run takes bitwise the same steps
on any number of ranks.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from ...parallel import DistFFT, DistributedNorm, SerialComm
from . import kernels

_ONE_C = np.ones(1, dtype=np.complex128)
_ONE_R = np.ones(1)
_ZERO_I = np.zeros(1, dtype=np.int64)
_ZERO_R = np.zeros(1)
_EMPTY_R = np.empty(0)


class PlainFFT:
    """``scipy.fft`` on a whole 1-D field: the layout of DistFFT on one rank, faster."""

    def __init__(self, n: int):
        self.comm = SerialComm()
        self.shape = (int(n),)
        self.ndim, self.N = 1, int(n)
        self.grid, self.grid_coords = (1, 1), (0, 0)
        self.local_physical_shape = self.local_spectral_shape = self.shape
        self.physical_index = self.spectral_index = (slice(None),)
        m = np.arange(n, dtype=np.int64)
        self.modes = (np.where(m < (n + 1) // 2, m, m - n),)

    def forward(self, u, overwrite=False):
        return sfft.fft(u, norm="forward", overwrite_x=overwrite)

    def backward(self, uhat, overwrite=False):
        return sfft.ifft(uhat, norm="forward", overwrite_x=overwrite)

    def spectral_norm(self):
        return _LocalSum(self.N)

    physical_norm = spectral_norm


class _LocalSum:
    """The norm/sum protocol of DistributedNorm for a field held whole by one process."""

    def __init__(self, size):
        self.size = size

    @staticmethod
    def sum_sq(x):
        # norm()**2 rather than a dot product: DOP853's error estimate cancels
        return np.linalg.norm(np.ravel(x)) ** 2

    @staticmethod
    def sum(x):
        return float(np.sum(x))


def _per_axis(value, dim, name):
    v = np.atleast_1d(np.asarray(value, dtype=float))
    if v.size == 1:
        v = np.repeat(v, dim)
    if v.size != dim:
        raise ValueError(f"{name}: expected 1 or {dim} values, got {v.size}")
    return v


class NLSE:
    """The model on a grid of ``N`` points per axis over a box of side ``L`` (scalars or
    one value per axis). ``potential``: None, a callable ``V(*local_grids)``
    returning V on this rank's physical points, or V on the whole grid (an array). ``comm``: the communicator the
    field is split over (default: one rank); ``grid``: its process grid (P0, P1) (default
    (P, 1): slabs along x; 3-D with P1 > 1: pencils, split along x and y)."""

    def __init__(self, L, N, beta: float = 0.5, gamma: float = 1.0, dealias: float = 1.0,
                 filter: bool = False, filter_alpha: float = 36.0, filter_order: float = 36.0,
                 *, potential=None, imaginary: bool = False, comm=None, transform: str = "auto",
                 grid: tuple[int, int] | None = None):
        Ns = tuple(int(n) for n in np.atleast_1d(N))
        self.dim = dim = len(Ns)
        if not 1 <= dim <= 3:
            raise ValueError(f"N: 1, 2 or 3 axes, got {dim}")
        Ls = tuple(float(v) for v in _per_axis(L, dim, "L"))
        self.Ls, self.Ns = Ls, Ns
        self.L, self.N = (Ls[0], Ns[0]) if dim == 1 else (Ls, Ns)
        self.beta, self.gamma, self.imaginary = float(beta), float(gamma), bool(imaginary)
        self.error_at_end = self.imaginary  # DOP853: measure the error at the step's end
        comm = comm if comm is not None else SerialComm()
        if transform not in ("auto", "distributed"):
            raise ValueError(f"transform={transform!r}; expected 'auto' or 'distributed'")
        if dim == 1 and comm.size == 1 and transform == "auto":
            self.fft = PlainFFT(Ns[0])
        else:
            self.fft = DistFFT(comm, Ns, grid=grid)
        self.comm = comm
        self.volume = float(np.prod(Ls))
        self.cell = float(np.prod([l / n for l, n in zip(Ls, Ns)]))
        self.dxs = tuple(l / n for l, n in zip(Ls, Ns))
        self.dx = self.dxs[0] if dim == 1 else self.dxs
        self.xs = tuple(-l / 2 + (l / n) * np.arange(n) for l, n in zip(Ls, Ns))
        self.x = self.xs[0]
        self._norm_spec = self.fft.spectral_norm()
        self._norm_phys = self.fft.physical_norm()
        self.norm = self._norm_spec

        # per-axis tables indexed by |m| along the axis
        self._mmax = [n // 2 for n in Ns]
        self._kunit = [2 * np.pi / l for l in Ls]
        self.masks, self.k_cut = [], []
        for a in range(dim):
            m = np.arange(self._mmax[a] + 1)
            k = self._kunit[a] * m
            kc = dealias * np.pi * Ns[a] / Ls[a]
            keep = k <= kc * (1 + 1e-12)
            kc = k[keep].max()
            mask = keep.astype(float)
            if filter:
                mask *= np.exp(-filter_alpha * (k / kc) ** filter_order)
            self.masks.append(mask)
            self.k_cut.append(kc)
        if dim == 1:
            self.k_cut = self.k_cut[0]
        self.filtered = bool(filter) or dealias < 1
        self.dealias = float(dealias)
        self._k2 = [(self._kunit[a] * np.arange(self._mmax[a] + 1)) ** 2 for a in range(dim)]

        # the local spectral block as a 3-D view: axes of the field, padded at the front
        # (1-D) or back (2-D) with singleton axes whose tables are [1]
        shape = self.fft.local_spectral_shape
        modes = [np.abs(np.ravel(md)).astype(np.int64) for md in self.fft.modes]
        if dim == 1:
            self._shape3 = (1, 1) + tuple(shape)
            self._axes3 = (None, None, 0)
        elif dim == 2:
            self._shape3 = tuple(shape) + (1,)
            self._axes3 = (0, 1, None)
        else:
            self._shape3 = tuple(shape)
            self._axes3 = (0, 1, 2)
        self._absm3 = tuple(_ZERO_I if a is None else modes[a] for a in self._axes3)
        self._mask3 = tuple(_ONE_R if a is None else self.masks[a] for a in self._axes3)
        self._ones3 = tuple(np.ones_like(m) for m in self._mask3)
        self._onec3 = tuple(np.ones(m.size, dtype=np.complex128) for m in self._mask3)
        self._k2_3 = tuple(_ZERO_R if a is None else self._k2[a] for a in self._axes3)

        # the physical slab: broadcastable local grids and V
        self.local_grids = self._local_grids()
        self.V = None
        if potential is not None:
            V = (potential[self.fft.physical_index] if isinstance(potential, np.ndarray)
                 else potential(*self.local_grids))
            V = np.asarray(V, dtype=np.float64)
            self.V = np.ascontiguousarray(np.broadcast_to(V, self.fft.local_physical_shape))
        self._V_flat = self.V.reshape(-1) if self.V is not None else _EMPTY_R

        self._cache: dict = {}
        self.anchor = 0.0
        self._full = {}

    # -- layout -------------------------------------------------------------
    def _local_grids(self):
        fft = self.fft
        if self.dim == 1:
            return (self.xs[0][fft.physical_index[0]],)
        out = []
        for a, (x, s) in enumerate(zip(self.xs, fft.physical_slices)):
            shape = [1] * self.dim
            xa = x[s]
            shape[a] = xa.size
            out.append(xa.reshape(shape))
        return tuple(out)

    @property
    def local_physical_shape(self):
        return self.fft.local_physical_shape

    @property
    def local_spectral_shape(self):
        return self.fft.local_spectral_shape

    def _full_array(self, name):
        """A full local spectral array of a tensor-product quantity (lines formulation only)."""
        arr = self._full.get(name)
        if arr is None:
            one = np.ones(self._shape3, dtype=np.complex128)
            if name == "mask":
                arr = kernels.apply_factor3(one, *self._onec3, *self._mask3,
                                            *self._absm3, np.empty_like(one)).real.copy()
            elif name == "k2":
                arr = np.empty(self._shape3)
                kernels.spectral_weights3(one, *self._onec3, *self._absm3,
                                          *self._k2_3, arr, np.empty(self._shape3))
            arr = arr.reshape(self.local_spectral_shape)
            self._full[name] = arr
        return arr

    @property
    def mask(self) -> np.ndarray:
        """M on this rank's spectral block (a full array; for diagnostics)."""
        return self._full_array("mask")

    @property
    def k2(self) -> np.ndarray:
        """|k|² on this rank's spectral block."""
        return self._full_array("k2")

    @property
    def k(self) -> np.ndarray:
        """The 1-D wavenumbers in FFT order (1-D only)."""
        if self.dim != 1:
            raise AttributeError("k is defined for 1-D models; use fft.modes")
        return self._kunit[0] * self.fft.modes[0]

    @property
    def m(self) -> np.ndarray:
        return self.fft.modes[0] if self.dim == 1 else self.fft.modes

    # -- transforms ---------------------------------------------------------
    def to_coeffs(self, psi):
        return self.fft.forward(psi)

    def to_field(self, c):
        return self.fft.backward(c)

    # -- factors of the integrating factor ----------------------------------
    def tables(self, tau: float):
        """Per-axis (E_a(τ), E_a(−τ)·[mask_a ≠ 0]) by |m|; cached, since DOP853's stage
        offsets recur. E = e^{−iβk²τ} in real time, e^{−βk²τ} in imaginary time."""
        t = self._cache.get(tau)
        if t is None:
            if len(self._cache) > 64:
                self._cache.clear()
            fwd, inv = [], []
            for a in range(self.dim):
                if self.imaginary:
                    q = self.beta * self._k2[a] * tau
                    e = np.exp(-q) + 0j
                    with np.errstate(over="ignore"):
                        ei = np.where(self.masks[a] != 0, np.exp(np.minimum(q, 700.0)), 0.0) + 0j
                else:
                    e = kernels.phase_table(-self.beta * self._kunit[a] ** 2 * tau, self._mmax[a])
                    ei = np.conj(e)
                fwd.append(e)
                inv.append(ei)
            t = (self._pad(fwd, _ONE_C), self._pad(inv, _ONE_C))
            self._cache[tau] = t
        return t

    def _pad(self, per_axis, one):
        return tuple(one if a is None else per_axis[a] for a in self._axes3)

    def table(self, tau: float) -> np.ndarray:
        """E(τ) per |m| (1-D only; kept for the 1-D tests and benchmarks)."""
        return self.tables(tau)[0][2]

    def phase(self, tau: float, masked: bool) -> np.ndarray:
        """(M·) E(τ) as a full local array (for diagnostics and tests)."""
        one = np.ones(self._shape3, dtype=np.complex128)
        fwd, _ = self.tables(tau)
        return kernels.apply_factor3(one, *fwd, *(self._mask3 if masked else self._ones3),
                                     *self._absm3, np.empty_like(one)
                                     ).reshape(self.local_spectral_shape)

    def _apply(self, v, tau, masked):
        v3 = v.reshape(self._shape3)
        fwd, _ = self.tables(tau)
        out = np.empty_like(v3)
        kernels.apply_factor3(v3, *fwd, *(self._mask3 if masked else self._ones3),
                              *self._absm3, out)
        return out.reshape(v.shape)

    # -- right-hand sides ---------------------------------------------------------
    def _nonlinear(self, c_masked, dens=_EMPTY_R):
        """F[i(γ|ψ|²−V)ψ] (or F[(γ|ψ|²−V)ψ] in imaginary time), ψ = F⁻¹[c_masked]."""
        plain = isinstance(self.fft, PlainFFT)
        psi = self.fft.backward(c_masked, overwrite=True) if plain else self.fft.backward(c_masked)
        kernels.gp_term(psi.reshape(-1), self.gamma, self._V_flat, self.imaginary,
                        dens.reshape(-1))
        return self.fft.forward(psi, overwrite=True) if plain else self.fft.forward(psi)

    def _mu(self, c_or_v, tau, dens):
        """μ = (Σβ|k|²|c|² + (1/N)Σ(V − γ|ψ_M|²)|ψ_M|²) / Σ|c|², with c = E(τ)·v."""
        v3 = c_or_v.reshape(self._shape3)
        kin, mass = np.empty(self._shape3), np.empty(self._shape3)
        fwd = self.tables(tau)[0] if tau is not None else self._onec3
        kernels.spectral_weights3(v3, *fwd, *self._absm3, *self._k2_3, kin, mass)
        s, shape = self._norm_spec, self.local_spectral_shape
        total = s.sum(mass.reshape(shape))
        pot = self._norm_phys.sum(dens) / self.fft.N
        return (self.beta * s.sum(kin.reshape(shape)) + pot) / total

    def _dens(self):
        return np.empty(self.local_physical_shape) if self.imaginary else _EMPTY_R

    def rhs_lines(self, t, c):
        mask = self.mask
        dens = self._dens()
        out = self._nonlinear(mask * c, dens)
        if self.imaginary:
            out *= mask
            out -= self.beta * self.k2 * c
            out += self._mu(c, None, dens) * c
        elif self.dim == 1:
            kernels.lin_plus(out, -1j * self.beta * self.k2, c, mask)
        else:
            out *= mask
            out -= 1j * self.beta * self.k2 * c
        return out

    def rhs_interaction(self, t, v):
        tau = t - self.anchor
        dens = self._dens()
        out = self._nonlinear(self._apply(v, tau, True), dens)
        _, inv = self.tables(tau)
        kernels.scale_factor3(out.reshape(self._shape3), *inv, *self._mask3, *self._absm3)
        if self.imaginary:
            out += self._mu(v, tau, dens) * v
        return out

    # -- the integrating-factor frame (the DOP853 ``frame`` protocol) ---------
    def set_anchor(self, t):
        self.anchor = t

    def rebase(self, t_new, y, f):
        tau = t_new - self.anchor
        self.anchor = t_new
        return self._apply(y, tau, False), self._apply(f, tau, False)

    def physical(self, t, t_anchor, y):
        return self._apply(y, t - t_anchor, False)

    def to_end(self, h, x):
        """x, a vector in the frame of a step's start, in the frame of its end (t + h)."""
        return self._apply(x, h, False)

    # -- diagnostics -----------------------------------------------------------
    def _spectral_sum(self, a):
        return self._norm_spec.sum(a)

    def _physical_sum(self, a):
        return self._norm_phys.sum(a)

    def momentum_wavenumbers(self):
        """Per axis, k_a on the local spectral block with the unpaired Nyquist mode at 0."""
        out = []
        for a, md in enumerate(self.fft.modes):
            k = self._kunit[a] * np.where(md == -self.Ns[a] // 2, 0, md)
            out.append(np.broadcast_to(k, self.local_spectral_shape))
        return out

    def angular_momentum_z(self, c, psi=None) -> float:
        """L_z = ∫ ψ* (−i)(x ∂_y − y ∂_x) ψ dx, with x, y measured from the box centre 0
        (2-D and 3-D). Collective, and bitwise the same on any rank count.

        The derivatives are spectral (with the unpaired Nyquist mode at 0, as for the
        momentum); x and y multiply in physical space, where they are the grid values.
        Re[ψ*(−i)Dψ] = Im[ψ* Dψ] is summed: the imaginary part integrates to 0 (L_z is
        Hermitian), so it adds nothing but round-off.

        L_z is not conserved on a periodic box in general: x ∂_y − y ∂_x does not commute
        with the periodic Laplacian (x jumps across the box edge). It is conserved (to the
        truncation) only with a rotationally symmetric trap (or none) and a field that
        is negligible at the box edge, so that the box is never felt.
        """
        if self.dim < 2:
            raise AttributeError("angular_momentum_z needs a 2-D or 3-D model")
        kx, ky = self.momentum_wavenumbers()[:2]
        psi = self.to_field(c) if psi is None else psi
        dx_psi = self.to_field(1j * kx * c)
        dy_psi = self.to_field(1j * ky * c)
        X, Y = self.local_grids[:2]
        rot = X * dy_psi - Y * dx_psi
        density = psi.real * rot.imag - psi.imag * rot.real  # Im(conj(psi) * rot)
        return self.cell * self._physical_sum(density)

    def edge_share(self, c) -> float:
        """The share of the power in the top sixth of the kept band (5/6 k_cut < |k| <= k_cut,
        |k| the largest of |k_a| / k_Nyq,a): ~0 on a resolved field. Collective."""
        band = self._full.get("edge")
        if band is None:
            kn = np.zeros(self._shape3)
            for slot, (m, a) in enumerate(zip(self._absm3, self._axes3)):
                if a is not None:
                    shape = [1, 1, 1]
                    shape[slot] = m.size
                    kn = np.maximum(kn, m.reshape(shape) / (self.Ns[a] / 2))
            band = (kn > 5 / 6 * self.dealias) & (kn <= self.dealias * (1 + 1e-12))
            band = self._full["edge"] = band.reshape(self.local_spectral_shape)
        a2 = c.real ** 2 + c.imag ** 2
        a2 = a2.reshape(self.local_spectral_shape)
        total = self._spectral_sum(a2)
        return float(self._spectral_sum(np.where(band, a2, 0.0)) / total) if total > 0 else 0.0

    def invariants(self, c) -> dict:
        """Mass, momentum (per axis), L_z (2-D, 3-D), energy, the scheme's own H_M; μ and
        the stationarity residual ‖g − μc‖/‖c‖ in imaginary time. Collective."""
        a2 = c.real ** 2 + c.imag ** 2
        vol = self.volume
        mass = vol * self._spectral_sum(a2)
        moms = [vol * self._spectral_sum(k * a2) for k in self.momentum_wavenumbers()]
        kin = vol * self.beta * self._spectral_sum(self.k2 * a2)

        def potential_terms(psi):
            r2 = psi.real ** 2 + psi.imag ** 2
            quartic = -0.5 * self.gamma * self.cell * self._physical_sum(r2 * r2)
            ext = self.cell * self._physical_sum(self.V * r2) if self.V is not None else 0.0
            return ext, quartic

        psi = self.to_field(c)
        ext, quartic = potential_terms(psi)
        out = dict(mass=mass, energy=kin + ext + quartic)
        if self.dim == 1:
            out["momentum"] = moms[0]
        else:
            for name, p in zip("xyz", moms):
                out[f"momentum_{name}"] = p
            out["angular_momentum_z"] = self.angular_momentum_z(c, psi)
        if self.filtered:
            ext_m, quartic_m = potential_terms(self.to_field(self.mask * c))
            out["energy_discrete"] = kin + ext_m + quartic_m
        else:
            out["energy_discrete"] = out["energy"]
        if self.V is not None:
            out["energy_potential"] = ext
        if self.imaginary:
            dens = self._dens()
            nl = self._nonlinear(self.mask * c, dens)  # F[(γ|ψ_M|²−V)ψ_M]
            mu = self._mu(c, None, dens)
            r = self.beta * self.k2 * c - self.mask * nl - mu * c
            out["chemical_potential"] = mu
            out["residual"] = float(np.sqrt(self._spectral_sum(r.real ** 2 + r.imag ** 2)
                                            / self._spectral_sum(a2)))
        return out
