"""Time series of the PECCARY paper's examples (Hyman, Daniel & Schaffner 2025).

Each generator returns a dict of named 1-D arrays sampled at t_k = k dt,
k = 0..samples-1. Random series take a seed and use their own
``numpy.random.default_rng(seed)``, never the global state.
"""
from __future__ import annotations

import numpy as np
import scipy.fft

from ...integrate import DOP853


def times(samples: int, dt: float) -> np.ndarray:
    return dt * np.arange(samples)


def sines(samples, dt, periods, amplitudes=None, phases=None) -> dict:
    """sum_i a_i sin(2 pi t / P_i + phi_i); one period gives the plain sine."""
    t = times(samples, dt)
    periods = np.atleast_1d(periods)
    a = np.ones(len(periods)) if amplitudes is None else np.atleast_1d(amplitudes)
    ph = np.zeros(len(periods)) if phases is None else np.atleast_1d(phases)
    x = np.zeros(samples)
    for P, A, f in zip(periods, a, ph):
        x += A * np.sin(2 * np.pi * t / P + f)
    return {"x": x}


NOISE_EXPONENTS = {"white": 0.0, "pink": 1.0, "red": 2.0}


def noise(samples, colour="white", seed=0, exponent=None) -> dict:
    """Gaussian noise with power spectrum ~ 1/f^beta.

    white: ``default_rng(seed).standard_normal(samples)``. pink (beta = 1) and
    red (beta = 2, also called brown): that white series shaped in Fourier space,
    rfft -> multiply by f^(-beta/2) with f = rfftfreq(samples) and the f = 0 bin
    set to 0 -> irfft. ``colour="brownian"`` is the random walk cumsum(white).
    ``exponent`` overrides the colour's beta.
    """
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(samples)
    if colour == "brownian":
        return {"x": np.cumsum(white)}
    beta = NOISE_EXPONENTS[colour] if exponent is None else float(exponent)
    if beta == 0:
        return {"x": white}
    f = scipy.fft.rfftfreq(samples)
    scale = np.zeros_like(f)
    scale[1:] = f[1:] ** (-beta / 2)
    return {"x": scipy.fft.irfft(scipy.fft.rfft(white) * scale, n=samples)}


def logistic(samples, r=4.0, x0=0.1, discard=0) -> dict:
    """x_{k+1} = r x_k (1 - x_k)."""
    x = np.empty(samples + discard)
    x[0] = x0
    for k in range(len(x) - 1):
        x[k + 1] = r * x[k] * (1 - x[k])
    return {"x": x[discard:]}


def henon(samples, a=1.4, b=0.3, x0=1.0, y0=1.0, discard=0) -> dict:
    """x_{k+1} = 1 - a x_k^2 + y_k, y_{k+1} = b x_k."""
    x = np.empty(samples + discard)
    y = np.empty(samples + discard)
    x[0], y[0] = x0, y0
    for k in range(len(x) - 1):
        x[k + 1] = 1 - a * x[k] ** 2 + y[k]
        y[k + 1] = b * x[k]
    return {"x": x[discard:], "y": y[discard:]}


def sample_ode(fun, y0, t, rtol, atol, max_steps=10_000_000) -> np.ndarray:
    """y(t_k) from physim's DOP853 and its 7th-order dense output, shape (len(t), len(y0))."""
    st = DOP853(fun, float(t[0]), np.asarray(y0, dtype=float), float(t[-1]), rtol=rtol,
                atol=atol, max_steps=max_steps)
    out = np.empty((len(t), len(y0)))
    out[0] = y0
    k = 1
    while k < len(t):
        st.step()
        while k < len(t) and t[k] <= st.t:
            out[k] = st.y if t[k] == st.t else st.dense(t[k])
            k += 1
    return out


def double_pendulum_rhs(L1, L2, M1, M2, g):
    """d/dt (theta1, omega1, theta2, omega2) of the planar double pendulum (point masses)."""
    def f(t, s):
        th1, w1, th2, w2 = s
        d = th1 - th2
        den = 2 * M1 + M2 - M2 * np.cos(2 * d)
        a1 = (-g * (2 * M1 + M2) * np.sin(th1) - M2 * g * np.sin(th1 - 2 * th2)
              - 2 * np.sin(d) * M2 * (w2 * w2 * L2 + w1 * w1 * L1 * np.cos(d))) / (L1 * den)
        a2 = (2 * np.sin(d) * (w1 * w1 * L1 * (M1 + M2) + g * (M1 + M2) * np.cos(th1)
                               + w2 * w2 * L2 * M2 * np.cos(d))) / (L2 * den)
        return np.array([w1, a1, w2, a2])
    return f


def double_pendulum(samples, dt, L1=1.0, L2=1.0, M1=1.0, M2=1.0, g=9.80665,
                    theta1=120.0, theta2=-10.0, omega1=0.0, omega2=0.0,
                    rtol=1e-10, atol=1e-12) -> dict:
    """Double pendulum from angles in degrees (rates in deg/s), integrated with DOP853.

    Returns the angles, the Cartesian positions of both masses (pivot at the
    origin, y up) and the energy, whose drift measures the integration error.
    """
    t = times(samples, dt)
    s0 = np.radians([theta1, omega1, theta2, omega2])
    s = sample_ode(double_pendulum_rhs(L1, L2, M1, M2, g), s0, t, rtol, atol)
    th1, w1, th2, w2 = s.T
    x1, y1 = L1 * np.sin(th1), -L1 * np.cos(th1)
    x2, y2 = x1 + L2 * np.sin(th2), y1 - L2 * np.cos(th2)
    kin = 0.5 * M1 * (L1 * w1) ** 2 + 0.5 * M2 * ((L1 * w1) ** 2 + (L2 * w2) ** 2
                                                  + 2 * L1 * L2 * w1 * w2 * np.cos(th1 - th2))
    pot = M1 * g * y1 + M2 * g * y2
    return {"theta1": th1, "theta2": th2, "x1": x1, "y1": y1, "x2": x2, "y2": y2,
            "energy": kin + pot}


def galactic_acceleration(v0, rc, q, disk_mass, disk_a, disk_b, bulge_mass, bulge_a):
    """Axisymmetric potential (G = 1): a flattened logarithmic halo, a Miyamoto-Nagai
    disc and a Hernquist bulge,

        Phi = v0^2/2 ln(rc^2 + R^2 + z^2/q^2) - M_d / sqrt(R^2 + (a_d + sqrt(z^2 + b_d^2))^2)
              - M_b / (r + a_b)

    (Binney & Tremaine 2008, Eqs. 2.71, 2.69a, 2.64). Returns (rhs, potential).
    """
    def potential(x, y, z):
        R2 = x * x + y * y
        phi = 0.5 * v0 * v0 * np.log(rc * rc + R2 + z * z / (q * q))
        if disk_mass:
            phi = phi - disk_mass / np.sqrt(R2 + (disk_a + np.sqrt(z * z + disk_b ** 2)) ** 2)
        if bulge_mass:
            phi = phi - bulge_mass / (np.sqrt(R2 + z * z) + bulge_a)
        return phi

    def rhs(t, s):
        x, y, z, vx, vy, vz = s
        R2 = x * x + y * y
        h = v0 * v0 / (rc * rc + R2 + z * z / (q * q))
        ax, ay, az = -h * x, -h * y, -h * z / (q * q)
        if disk_mass:
            zb = np.sqrt(z * z + disk_b ** 2)
            d3 = (R2 + (disk_a + zb) ** 2) ** 1.5
            ax -= disk_mass * x / d3
            ay -= disk_mass * y / d3
            az -= disk_mass * z * (disk_a + zb) / (zb * d3)
        if bulge_mass:
            r = np.sqrt(R2 + z * z)
            g = bulge_mass / (r * (r + bulge_a) ** 2) if r > 0 else 0.0
            ax -= g * x
            ay -= g * y
            az -= g * z
        return np.array([vx, vy, vz, ax, ay, az])
    return rhs, potential


def galactic_orbit(samples, dt, position=(8.0, 0.0, 0.0), velocity=(0.0, 1.0, 0.0), *,
                   v0=1.0, rc=1.0, q=0.9, disk_mass=0.0, disk_a=3.0, disk_b=0.3,
                   bulge_mass=0.0, bulge_a=0.5, rtol=1e-10, atol=1e-12) -> dict:
    """A tracer orbit in the axisymmetric potential of :func:`galactic_acceleration`.

    Integrated in Cartesian coordinates with physim's DOP853. Returns x, y, z,
    the cylindrical radius R, the angular momentum L_z (conserved: a check) and
    the energy (conserved).
    """
    t = times(samples, dt)
    rhs, phi = galactic_acceleration(v0, rc, q, disk_mass, disk_a, disk_b, bulge_mass, bulge_a)
    s = sample_ode(rhs, np.concatenate([position, velocity]).astype(float), t, rtol, atol)
    x, y, z, vx, vy, vz = s.T
    return {"x": x, "y": y, "z": z, "R": np.hypot(x, y), "Lz": x * vy - y * vx,
            "energy": 0.5 * (vx * vx + vy * vy + vz * vz) + phi(x, y, z)}
