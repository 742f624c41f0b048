"""The generalised NLSE of fibre optics (GNLSE), pseudo-spectrally, in physical units.

    ∂_z A = −(α/2) A + Σ_{n≥2} i^{n+1} (β_n/n!) ∂_T^n A
            + iγ (1 + iτ_s ∂_T) [A ((1−f_R)|A|² + f_R (h_R ∗ |A|²))]

(Agrawal, Nonlinear Fiber Optics; Dudley, Genty & Coen, Rev. Mod. Phys. 78, 1135 (2006),
eq. 9). Units: z in m, the retarded time T in ps, A in √W, β_n in ps^n/m, γ in 1/(W m),
α in 1/m (power), angular frequencies in rad/ps. τ_s = 1/ω_0 is the optical shock time
(self-steepening); h_R is the Raman response, ∫h_R = 1.

State: the Fourier coefficients c_m of A(T_j) = Σ_m c_m e^{i k_m T_j} on the periodic
window T ∈ [−W/2, W/2) (``scipy.fft`` ``norm="forward"``, as the normalised NLSE). The
optical angular-frequency offset of mode m is ω_m = −k_m (the e^{−iω_0 t} carrier
convention: ∂_T ↦ −iω), so the absolute frequency is ω_0 + ω_m and the spectrum in the
usual convention, Ã(ω) = ∫A e^{iωT} dT, is W·c_m up to a phase. In that picture

    dc/dz = D(ω) c + M·F[...],   D(ω) = i Σ β_n ω^n/n! − α/2,
    nonlinear part = iγ (1 + τ_s ω) F[A ((1−f_R)|A|² + f_R F⁻¹[H_R F|A|²])],

with H_R(ω) = ∫ h_R(s) e^{iωs} ds taken in closed form (not sampled), so the convolution
is the exact periodic one of the band-limited intensity.

With τ_s = 1/ω_0 and no loss the photon number Σ_m W|c_m|²/(ħ(ω_0+ω_m)) is an exact
invariant of the semi-discrete system (a discrete Parseval identity, aliasing or not),
for every real h_R; the energy is not (Raman transfers it to the red).

β(ω), α(ω) and Aeff(ω) may instead come from tables (:mod:`.tables`; the Aeff form is
Lægsgaard's, in :class:`GNLSE`'s docstring): D(ω) is then i(β(ω) − β0 − β1ω) − α(ω)/2,
still applied exactly.

The integrating factor is the exact linear propagator e^{D(ω)τ}, re-anchored at every
step start (the DOP853 ``frame`` protocol, as the normalised NLSE's ``interaction``
formulation), so dispersion and loss are exact and only the nonlinearity limits the step.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import scipy.fft as sfft
from scipy.special import wofz

from ....integrate import _kernels as stage_kernels
from ....integrate.dop853 import LocalNorm
from . import fft as transforms
from . import kernels as fk

C_NM_PS = 299792.458          # speed of light in nm/ps
HBAR = 1.054571817e-34        # J s

# the Raman response models (the schema's raman.kind)
RAMAN_MODELS = ("none", "blow_wood", "lin_agrawal", "hollenbeck_cantrell")


def blow_wood_spectrum(w, tau1, tau2):
    """H(ω) = ∫_0^∞ h(s) e^{iωs} ds of h = (τ1²+τ2²)/(τ1 τ2²) e^{−s/τ2} sin(s/τ1)
    (Blow & Wood, IEEE J. Quantum Electron. 25, 2665 (1989)); H(0) = 1."""
    a, b = 1.0 / tau2, 1.0 / tau1
    return (a * a + b * b) / ((a - 1j * w) ** 2 + b * b)


def lin_agrawal_spectrum(w, tau1, tau2, tau_b, f_b):
    """Lin & Agrawal, Opt. Lett. 31, 3086 (2006): (1−f_b) h_BW + f_b h_b with the boson
    peak h_b = (2τ_b − s)/τ_b² e^{−s/τ_b}; H(0) = 1."""
    a = 1.0 / tau_b - 1j * w
    hb = (2 * tau_b / a - 1 / (a * a)) / tau_b ** 2
    return (1 - f_b) * blow_wood_spectrum(w, tau1, tau2) + f_b * hb


# Hollenbeck & Cantrell, J. Opt. Soc. Am. B 19, 2886 (2002), Table 1: the 13 intermediate
# broadening modes (component position in cm^-1, amplitude, Gaussian and Lorentzian FWHM
# in cm^-1), the values gnlse-python and Dudley's SCG code use.
_HC = np.array([
    [56.25, 1.0, 52.10, 17.37], [100.0, 11.40, 110.42, 38.81],
    [231.25, 36.67, 175.00, 58.33], [362.5, 67.67, 162.50, 54.17],
    [463.0, 74.0, 135.33, 45.11], [497.0, 4.5, 24.5, 8.17], [611.5, 6.8, 41.5, 13.83],
    [691.67, 4.6, 155.00, 51.67], [793.67, 4.2, 59.5, 19.83], [835.5, 4.5, 64.3, 21.43],
    [930.0, 2.7, 150.0, 50.00], [1080.0, 3.1, 91.0, 30.33], [1215.0, 3.0, 160.0, 53.33]])


def _damped_gauss(p, b):
    """∫_0^∞ e^{−p s − b s²} ds for complex p (Re p > 0 or b > 0), b > 0."""
    sb = np.sqrt(b)
    return 0.5 * np.sqrt(np.pi) / sb * wofz(1j * p / (2 * sb))


def hollenbeck_cantrell_spectrum(w):
    """H(ω) of h = Σ_i A_i e^{−γ_i s} e^{−Γ_i² s²/4} sin(ω_i s), normalised to H(0) = 1, in
    closed form through the Faddeeva function (ω in rad/ps)."""
    c = 2.99792458e-2          # speed of light in cm/ps
    w = np.asarray(w, dtype=float)
    out = np.zeros(w.shape, dtype=np.complex128)
    out0 = 0.0 + 0j
    for cp, amp, gauss, lorentz in _HC:
        wi = 2 * np.pi * c * cp
        Li = np.pi * c * gauss
        gi = np.pi * c * lorentz
        b = Li * Li / 4

        def comp(x):
            # sin(wi s) = (e^{i wi s} − e^{−i wi s}) / 2i, times e^{i x s}
            return (_damped_gauss(gi - 1j * (x + wi), b)
                    - _damped_gauss(gi - 1j * (x - wi), b)) / 2j
        out += amp * comp(w)
        out0 += amp * comp(np.zeros(1))[0]
    return out / out0.real


def raman_spectrum(kind: str, w, **p):
    if kind == "blow_wood":
        return blow_wood_spectrum(w, p["tau1"], p["tau2"])
    if kind == "lin_agrawal":
        return lin_agrawal_spectrum(w, p["tau1"], p["tau2"], p["tau_b"], p["f_b"])
    if kind == "hollenbeck_cantrell":
        return hollenbeck_cantrell_spectrum(w)
    raise ValueError(f"raman kind {kind!r}; expected one of {RAMAN_MODELS[1:]}")


def raman_first_moment(kind: str, **p) -> float:
    """∫ s h_R(s) ds in ps (T_R = f_R times this; the Gordon soliton self-frequency shift
    rate is −8 |β2| T_R / (15 T0⁴)), from −i dH/dω at 0."""
    eps = 1e-4
    H = raman_spectrum(kind, np.array([-eps, eps]), **p)
    return float(((H[1] - H[0]) / (2 * eps) / 1j).real)


def mode_offsets(N, window):
    """The optical angular-frequency offsets ω_m = −k_m (rad/ps) of the FFT-ordered modes
    of N points over a window (ps)."""
    m = np.arange(N)
    m = np.where(m < (N + 1) // 2, m, m - N)
    return -(2 * np.pi / window * m)


class PlainFFT1D:
    def __init__(self, n):
        self.N = n

    def forward(self, u, overwrite=False):
        return sfft.fft(u, norm="forward", overwrite_x=overwrite)

    def backward(self, c, overwrite=False):
        return sfft.ifft(c, norm="forward", overwrite_x=overwrite)


class GNLSE:
    """The fibre GNLSE on ``N`` points over a ``window`` (ps) about ``wavelength`` (nm).

    ``betas``: [β2, β3, ...] in ps^n/m; ``gamma`` in 1/(W m); ``alpha``: power loss in 1/m;
    ``tau_shock``: τ_s in ps (None: 1/ω0; 0: no self-steepening); ``raman``: None or
    (f_R, H_R on the rfft frequencies) from :meth:`raman_table`; ``dealias``: the fraction
    of the Nyquist frequency kept in the nonlinear term (1: none); ``fft``: the transforms'
    backend, one of :data:`.fft.BACKENDS` (``numerics.fft``); ``step_levels``: rungs per
    octave of the steppers' step ladder (``numerics.step_levels``; 0: none).

    Tabulated fibres (:mod:`.tables`): ``dispersion``, a function of the absolute ω
    (rad/ps) giving β(ω) − β(ω0) − β1(ω − ω0), replaces the Taylor ``betas``; ``alpha``
    may be a function of the absolute ω (the power loss α(ω)); ``area``, a function of the
    absolute ω giving Aeff(ω), makes the nonlinearity Lægsgaard's (Opt. Express 15, 16110
    (2007)) with ``gamma`` = γ0 = n2 ω0 / (c Aeff(ω0)):

        ∂_z A(ω) = ... + iγ0 (1 + τ_s ω) s(ω) F[B ((1−f_R)|B|² + f_R h_R∗|B|²)],
        B = F⁻¹[s A],  s(ω) = (Aeff(ω0)/Aeff(ω))^{1/4},

    the overlap integral of four modes taken as Π_i Aeff(ω_i)^{−1/4} and n_eff(ω) as n0:
    the approximations of gnlse-python's ``NonlinearityFromEffectiveArea`` (which follows
    Lægsgaard), but for its n0/n_eff(ω) factor, left out because it would break what
    follows. Written for the physical field A (gnlse-python integrates the pseudo-
    field C = s A instead: the same equation), so snapshots, restarts and the input pulse
    are A's. With τ_s = 1/ω0 and no loss the photon number Σ_m W|c_m|²/(ħ(ω0+ω_m)) stays
    an exact invariant of the semi-discrete system (d/dz ∝ Im ∫|B|² (h_R∗|B|²) dT = 0);
    the energy does not."""

    error_at_end = False
    imaginary = False  # the stepper glue of the normalised NLSE asks

    def __init__(self, N, window, wavelength, betas, gamma, alpha=0.0, tau_shock=None,
                 raman=None, fraction=0.0, dealias=1.0, dispersion=None, area=None,
                 fft="auto", step_levels=8):
        self.N, self.window = int(N), float(window)
        self.wavelength = float(wavelength)
        self.omega0 = 2 * np.pi * C_NM_PS / self.wavelength         # rad/ps
        self.nu0 = self.omega0 / (2 * np.pi)                         # THz
        self.dT = self.window / self.N
        self.T = -self.window / 2 + self.dT * np.arange(self.N)
        self.omega = mode_offsets(self.N, self.window)               # offset, rad/ps
        self.k = -self.omega
        self.omega_abs = self.omega0 + self.omega
        self.betas = [float(b) for b in betas] if dispersion is None else None
        self.gamma = float(gamma)
        # the power loss per mode: a constant or α(ω) of a table
        self.alpha = (np.asarray(alpha(self.omega_abs), dtype=float) if callable(alpha)
                      else np.full(self.N, float(alpha)))
        self.tau_shock = 1.0 / self.omega0 if tau_shock is None else float(tau_shock)
        self.fraction = float(fraction) if raman is not None else 0.0
        self.fft = PlainFFT1D(self.N)
        self.local_spectral_shape = self.local_physical_shape = (self.N,)
        # the steppers' error norm: a fixed-order sum, the same steps with any BLAS kernel
        self.norm = LocalNorm(self.N)

        w = self.omega
        if dispersion is not None:
            B = np.asarray(dispersion(self.omega_abs), dtype=float)
        else:
            B = np.zeros(self.N)
            for n, b in enumerate(self.betas, start=2):
                B += b / math.factorial(n) * w ** n
        self.beta_omega = B
        self.D = 1j * B - self.alpha / 2
        kmax = np.abs(self.k).max()
        self.mask = (np.abs(self.k) <= dealias * kmax * (1 + 1e-12)).astype(float)
        self.filtered = dealias < 1
        # iγ(1 + τ_s ω)·M: the nonlinear prefactor, the mask applied on the way out
        self.G = 1j * self.gamma * (1 + self.tau_shock * w) * self.mask
        # Lægsgaard's s(ω) = (Aeff(ω0)/Aeff(ω))^{1/4}: on the way in (B = F⁻¹[s c], in
        # :meth:`nonlinear`) and out (in G)
        self.area_weight = None
        if area is not None:
            aeff = np.asarray(area(self.omega_abs), dtype=float)
            self.area_weight = (float(area(np.array([self.omega0]))[0]) / aeff) ** 0.25
            self.G = self.G * self.area_weight
        # H_R on the rfft modes k_m ≥ 0: ω = −k, so H(ω) = H_R(−k)
        self.H = None
        if raman is not None and self.fraction > 0:
            kr = 2 * np.pi / self.window * np.arange(self.N // 2 + 1)
            self.H = np.ascontiguousarray(raman(-kr))
        # the transforms are unscaled: their 1/N goes into the factors applied after them
        self.transforms = transforms.make(fft, self.N)
        self._Gn = self.G / self.N
        self._Hn = None if self.H is None else self.H / self.N
        self._half_alpha = self.alpha / 2
        # the weight on the way into the nonlinearity: the dealiasing mask, s(ω)
        w_in = self.mask if self.filtered else np.ones(self.N)
        if self.area_weight is not None:
            w_in = w_in * self.area_weight
        self._w_in = w_in.astype(np.complex128)
        self._weighted = self.filtered or self.area_weight is not None
        self.step_levels = int(step_levels)
        self._cache: OrderedDict = OrderedDict()
        self.anchor = 0.0

    # -- transforms -------------------------------------------------------------------
    def to_coeffs(self, A):
        return self.fft.forward(np.asarray(A, dtype=np.complex128))

    def to_field(self, c):
        return self.fft.backward(c)

    # the tables of the last few steps: one rung of DOP853's ladder needs 17 (12 stages,
    # 4 dense-output stages, the snapshot), three rungs cover a controller that wavers
    CACHED_TABLES = 51

    def tables(self, tau):
        """(e^{Dτ}, e^{−Dτ}·G/N, e^{Dτ}·w_in), least recently used dropped first: on a
        step ladder the same stage offsets recur step after step."""
        t = self._cache.get(tau)
        if t is None:
            if len(self._cache) >= self.CACHED_TABLES:
                t = self._cache.popitem(last=False)[1]       # reuse its memory
            else:
                e, back = (np.empty(self.N, dtype=np.complex128) for _ in range(2))
                # unweighted, e^{Dτ}·w_in is e^{Dτ}: one array less to stream per stage
                t = (e, back, np.empty_like(e) if self._weighted else e)
            fk.frame_tables(self.beta_omega, self._half_alpha, self._Gn, self._w_in,
                            float(tau), *t)
            self._cache[tau] = t
        else:
            self._cache.move_to_end(tau)
        return t

    # -- right-hand side ------------------------------------------------------------------
    def _nonlinear(self, factor, out=None):
        """factor · F[A((1−f_R)|A|² + f_R h_R∗|A|²)] (unscaled F), A the field of the
        spectrum in the transforms' input buffer: into ``out``, or a new array."""
        T = self.transforms
        A = T.backward()
        if self._Hn is not None:
            fk.intensity_into(A, T.real)
            s = T.rforward()
            fk.scale_in_place(s, self._Hn)
            fk.raman_mix(A, T.real, T.rbackward(s), self.fraction)
        else:
            fk.kerr(A)
        if out is None:
            return fk.times(T.forward(A), factor)
        fk.multiply_into(T.forward(A), factor, out)
        return out

    def rhs_lines(self, z, c):
        return self.D * c + self.nonlinear_rhs(z, c)

    # -- the ERK4(3)-IP protocol: u' = D u + N(u) -----------------------------------------
    def factor(self, h):
        """e^{D h}."""
        return self.tables(h)[0]

    @property
    def stage_buffer(self):
        """The transforms' input array: a stage argument written here is not copied."""
        return self.transforms.spec

    def nonlinear_rhs(self, z, c, out=None):
        """N(c) = G·F[...], the nonlinear part in the frequency domain (into ``out``)."""
        spec = self.transforms.spec
        if self._weighted:
            fk.multiply_into(c, self._w_in, spec)
        elif c is not spec:
            spec[:] = c
        return self._nonlinear(self._Gn, out)

    def rhs_interaction(self, z, v):
        return self.rhs_offset(z - self.anchor, v)

    def rhs_offset(self, tau, v, out=None):
        """The interaction-picture right-hand side at the anchor + tau (into ``out``)."""
        _, back, load = self.tables(tau)
        fk.multiply_into(load, v, self.transforms.spec)
        return self._nonlinear(back, out)

    def stage_into(self, tau, y, K, coef, s, h, out):
        """:meth:`rhs_offset` of the stage y + h Σ_{i<s} coef_i K_i into ``out``, the stage
        sum and the table e^{Dτ}·w_in in one pass (DOP853's fused stage; real views)."""
        _, back, load = self.tables(tau)
        stage_kernels.stage_sum_times(y, K, coef, s, h, load, self.transforms.spec)
        self._nonlinear(back, out)

    # -- the integrating-factor frame (the DOP853 ``frame`` protocol) --------------------
    def set_anchor(self, z):
        self.anchor = z

    def rebase(self, z_new, y, f):
        e = self.tables(z_new - self.anchor)[0]
        self.anchor = z_new
        return e * y, e * f

    def rebase_by(self, h, z_new, y, f):
        """:meth:`rebase` by the step h itself (a rung of the step ladder)."""
        e = self.tables(h)[0]
        self.anchor = z_new
        return e * y, e * f

    def physical(self, z, z_anchor, y):
        return self.tables(z - z_anchor)[0] * y

    def to_end(self, h, x):
        return self.tables(h)[0] * x

    # -- diagnostics ----------------------------------------------------------------------
    @property
    def order(self):
        """Indices that put the FFT-ordered modes in ascending frequency."""
        return np.argsort(self.omega, kind="stable")

    @property
    def frequency(self):
        """Absolute frequencies in THz, ascending."""
        return self.omega_abs[self.order] / (2 * np.pi)

    def spectrum(self, c):
        """|Ã(ν)|² in pJ/THz (= W ps²), ascending frequency: Σ spectrum · Δν = energy."""
        s = np.abs(self.window * c[self.order]) ** 2
        return s

    def energy(self, c) -> float:
        """∫|A|² dT in pJ."""
        return float(self.window * np.sum(c.real ** 2 + c.imag ** 2))

    def photon_number(self, c) -> float:
        """Σ_m W|c_m|² / (ħ ω_m): the number of photons (ω_m absolute, > 0)."""
        e = self.window * (c.real ** 2 + c.imag ** 2) * 1e-12          # J per mode
        return float(np.sum(e / (HBAR * self.omega_abs * 1e12)))

    def mean_frequency(self, c) -> float:
        """The spectral centroid Σ ν |c|² / Σ |c|² in THz."""
        a = c.real ** 2 + c.imag ** 2
        return float(np.sum(self.omega_abs * a) / np.sum(a) / (2 * np.pi))

    def edge_levels(self, c) -> tuple[float, float]:
        """The highest level, in dB below the peak, of the spectrum in the outer twelfth of the
        frequency grid at either end, and of the power |A|² in the outer twelfth of the time
        window: how close the field comes to the edges of the grid (the spectrum folds over,
        the pulse wraps round the periodic window)."""
        m = max(1, self.N // 12)
        a2 = c.real ** 2 + c.imag ** 2
        order = self.order
        spec = a2[order]
        A = self.to_field(c)
        p = A.real ** 2 + A.imag ** 2

        def level(x):
            peak = x.max()
            edge = max(x[:m].max(), x[-m:].max())
            return 10 * math.log10(edge / peak) if edge > 0 else -np.inf
        return level(spec), level(p)

    def shot_noise(self, rng) -> np.ndarray:
        """One photon per mode with a uniformly random phase: |δc_m| = √(ħω_m / W)."""
        amp = np.sqrt(HBAR * self.omega_abs * 1e12 / (self.window * 1e-12))
        return amp * np.exp(2j * np.pi * rng.random(self.N))
