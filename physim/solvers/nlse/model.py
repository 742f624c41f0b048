"""The 1D NLSE  i ψ_t + β ψ_xx + γ |ψ|² ψ = 0  on a periodic grid, pseudo-spectrally.

State: the Fourier coefficients c_k with ψ(x_j) = Σ_k c_k e^{i k x_j}
(``scipy.fft`` with ``norm="forward"``), so tolerances are in units of |ψ|.

    dc/dt = −iβk² c + M · F[ iγ |ψ_M|² ψ_M ],   ψ_M = F⁻¹[M c]

M = D·σ: the dealiasing mask D (|k| ≤ dealias·k_Nyq) times the optional
exponential filter σ(k) = exp(−α (|k|/k_cut)^p), k_cut the largest kept |k|.
M enters symmetrically, so the semi-discrete system stays Hamiltonian and
conserves mass and H_M = L Σ βk²|c|² − (γ/2)∫|ψ_M|⁴ exactly. Momentum is
exact only when the cubic term is fully dealiased (dealias < 1/2, i.e.
|m| < N/4); the 2/3 rule leaves aliasing in the cubic term, and momentum then
drifts by that (for resolved fields, round-off-level) error. The dispersion
relation is not filtered (unlike the reference paper's solver, which filters
the linear term too).

Two formulations for DOP853:

* ``lines``: the system above as it stands (method of lines);
* ``interaction``: v = e^{iβk²(t−t_a)} c, re-anchored at every step start t_a,
  so dispersion is exact and only the nonlinearity limits the step.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from . import kernels


class NLSE:
    def __init__(self, L: float, N: int, beta: float = 0.5, gamma: float = 1.0,
                 dealias: float = 2 / 3, filter: bool = False, filter_alpha: float = 36.0,
                 filter_order: float = 36.0):
        self.L, self.N, self.beta, self.gamma = float(L), int(N), float(beta), float(gamma)
        self.dx = self.L / self.N
        self.x = -self.L / 2 + self.dx * np.arange(self.N)
        self.m = np.rint(sfft.fftfreq(self.N, 1.0 / self.N)).astype(np.int64)
        self.k = 2 * np.pi / self.L * self.m
        k_nyq = np.pi * self.N / self.L
        self.k_cut = dealias * k_nyq
        keep = np.abs(self.k) <= self.k_cut * (1 + 1e-12)
        self.k_cut = np.abs(self.k[keep]).max()
        mask = keep.astype(float)
        if filter:
            mask *= np.exp(-filter_alpha * (np.abs(self.k) / self.k_cut) ** filter_order)
        self.mask = mask
        self.filtered = bool(filter) or dealias < 1
        # momentum uses k with the unpaired Nyquist mode set to 0
        self.k_mom = self.k.copy()
        self.k_mom[self.m == -self.N // 2] = 0.0
        self.lin = -1j * self.beta * self.k ** 2
        self._a_unit = -self.beta * (2 * np.pi / self.L) ** 2  # phase per unit time per m²
        self._ones = np.ones(self.N)
        self._absm = np.abs(self.m)
        self._mmax = int(self._absm.max())
        self._cache: dict = {}
        self.anchor = 0.0

    # -- transforms ---------------------------------------------------------
    def to_coeffs(self, psi):
        return sfft.fft(psi, norm="forward")

    def to_field(self, c):
        return sfft.ifft(c, norm="forward")

    # -- phases of the integrating factor ------------------------------------
    def table(self, tau: float) -> np.ndarray:
        """e^{−iβk²τ} per |m| (k = 2πm/L); cached, since the DOP853 stage offsets recur."""
        t = self._cache.get(tau)
        if t is None:
            if len(self._cache) > 64:
                self._cache.clear()
            t = kernels.phase_table(self._a_unit * tau, self._mmax)
            self._cache[tau] = t
        return t

    def phase(self, tau: float, masked: bool) -> np.ndarray:
        """(M·) e^{−iβk²τ} as a full array (for diagnostics and tests)."""
        return kernels.apply_phase(np.ones(self.N, complex), self.table(tau), self._absm,
                                   self.mask if masked else self._ones,
                                   np.empty(self.N, complex))

    # -- right-hand sides ------------------------------------------------------
    def nonlinear(self, c_masked):
        """F[iγ|ψ|²ψ] for ψ = F⁻¹[c_masked] (a fresh array)."""
        psi = sfft.ifft(c_masked, norm="forward", overwrite_x=True)
        kernels.cubic(psi, self.gamma)
        return sfft.fft(psi, norm="forward", overwrite_x=True)

    def rhs_lines(self, t, c):
        out = self.nonlinear(self.mask * c)
        kernels.lin_plus(out, self.lin, c, self.mask)
        return out

    def rhs_interaction(self, t, v):
        tab = self.table(t - self.anchor)
        out = self.nonlinear(kernels.apply_phase(v, tab, self._absm, self.mask,
                                                 np.empty_like(v)))
        kernels.apply_phase_conj(out, tab, self._absm, self.mask)
        return out

    # -- the integrating-factor frame (the DOP853 ``frame`` protocol) ---------
    def set_anchor(self, t):
        self.anchor = t

    def _advance(self, y, tau):
        return kernels.apply_phase(y, self.table(tau), self._absm, self._ones, np.empty_like(y))

    def rebase(self, t_new, y, f):
        tau = t_new - self.anchor
        self.anchor = t_new
        return self._advance(y, tau), self._advance(f, tau)

    def physical(self, t, t_anchor, y):
        return self._advance(y, t - t_anchor)

    # -- invariants -----------------------------------------------------------
    def invariants(self, c) -> dict:
        """Mass, momentum and Hamiltonian (spectral), plus the scheme's own H_M."""
        a2 = (c.real ** 2 + c.imag ** 2)
        mass = self.L * a2.sum()
        momentum = self.L * (self.k_mom * a2).sum()
        kin = self.L * self.beta * (self.k ** 2 * a2).sum()
        psi = self.to_field(c)
        pot = 0.5 * self.gamma * self.dx * (np.abs(psi) ** 4).sum()
        out = dict(mass=mass, momentum=momentum, energy=kin - pot)
        if self.filtered:
            psi_m = self.to_field(self.mask * c)
            out["energy_discrete"] = kin - 0.5 * self.gamma * self.dx * (np.abs(psi_m) ** 4).sum()
        else:
            out["energy_discrete"] = out["energy"]
        return out
