"""The moving-soliton case the peer scripts run (physim's cases/nlse/soliton.toml).

i psi_t + 1/2 psi_xx + |psi|^2 psi = 0 on x in [-L/2, L/2), N points, 101 snapshots.
"""
import numpy as np

L, N, T, ETA, V, X0, NSNAP = 50.0, 512, 20.0, 2.0, 1.0, -10.0, 101


def exact(x, t):
    """psi = eta sech(eta (x - x0 - v t)) exp(i [v x + (eta^2 - v^2) t / 2])."""
    return (ETA / np.cosh(ETA * (x - X0 - V * t))
            * np.exp(1j * (V * x + 0.5 * (ETA**2 - V**2) * t)))
