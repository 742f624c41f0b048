"""Exact entropy production of linear (Gaussian) diffusions, for validation.

For dz = M z dt + sqrt(2 D) dW with a stable M, the stationary covariance C
solves M C + C M^T + 2 D = 0 (``scipy.linalg.solve_continuous_lyapunov``), the
score is s = -C^{-1} z and the probability-flow velocity v = b - D s = (M + D C^{-1}) z.

Conventions (named in every result):

* ``full``: Sigma = E[v^T D^{-1} v] (Seifert), all degrees of freedom noisy;
* ``noisy_dof``: the same sum over the noisy degrees of freedom only (D restricted
  to its non-zero diagonal), finite when some have no noise (the AOUP with
  epsilon = 0: noise on the propulsion g only, the paper's MIPS runs).

Units: k_B per unit time.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import solve_continuous_lyapunov


def stationary_covariance(M, D) -> np.ndarray:
    M, D = np.asarray(M, float), np.asarray(D, float)
    if np.max(np.linalg.eigvals(M).real) >= 0:
        raise ValueError("the drift matrix has an eigenvalue with real part >= 0: no "
                         "stationary state")
    C = solve_continuous_lyapunov(M, -2 * D)
    return 0.5 * (C + C.T)


def linear_epr(M, D) -> dict:
    """Sigma and its split per degree of freedom for dz = M z dt + sqrt(2 D) dW (D diagonal).

    Returns {"total", "per_dof" (0 where D_kk = 0), "convention", "C"}.
    """
    M, D = np.asarray(M, float), np.asarray(D, float)
    if not np.allclose(D, np.diag(np.diag(D))):
        raise ValueError("D must be diagonal")
    C = stationary_covariance(M, D)
    d = np.diag(D)
    noisy = d > 0
    Omega = M + D @ np.linalg.inv(C)
    V = Omega @ C @ Omega.T  # E[v v^T]
    per = np.zeros(len(d))
    per[noisy] = np.diag(V)[noisy] / d[noisy]
    return {"total": float(per.sum()), "per_dof": per,
            "convention": "full" if noisy.all() else "noisy_dof", "C": C}


def aoup_matrices(K, v0: float, gamma: float, epsilon: float, dim: int = 2):
    """(M, D) of N linearly coupled AOUPs, state (x_1..x_N, g_1..g_N) per Cartesian axis.

    dx = (v0 g - K x) dt + sqrt(2 eps) dW, dg = -gamma g dt + sqrt(2 gamma) dB; K is the
    N x N stiffness matrix (a trap of stiffness a: K = a I). The axes decouple, so the
    matrices are for one axis; multiply rates by ``dim``.
    """
    K = np.atleast_2d(np.asarray(K, float))
    N = K.shape[0]
    M = np.block([[-K, v0 * np.eye(N)], [np.zeros((N, N)), -gamma * np.eye(N)]])
    D = np.diag(np.r_[np.full(N, epsilon), np.full(N, gamma)])
    return M, D


def aoup_trap_epr(a: float, v0: float, gamma: float, epsilon: float, dim: int = 2) -> dict:
    """Closed forms for one AOUP in the trap a x^2/2, per particle (all dim axes):

    full (epsilon > 0): dim v0^2 gamma / (epsilon (a + gamma));
    noisy_dof (epsilon = 0): dim a.
    """
    if epsilon > 0:
        return {"total": dim * v0 ** 2 * gamma / (epsilon * (a + gamma)), "convention": "full"}
    return {"total": dim * a, "convention": "noisy_dof"}
