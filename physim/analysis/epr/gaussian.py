"""Exact entropy production of linear (Gaussian) diffusions, for validation.

For dz = M z dt + sqrt(2 D) dW with a stable M, the stationary covariance C
solves M C + C M^T + 2 D = 0 (``scipy.linalg.solve_continuous_lyapunov``), the
score is s = -C^{-1} z and the probability-flow velocity v = b - D s = (M + D C^{-1}) z.

Conventions (named in every result):

* ``full``: Sigma = E[v^T D^{-1} v] (Seifert), all degrees of freedom noisy;
* ``noisy_dof``: the same sum over the noisy degrees of freedom only (D restricted
  to its non-zero diagonal), finite when some have no noise (the AOUP with
  epsilon = 0: noise on the propulsion g only, the paper's MIPS runs).

Parity of the propulsion under time reversal (``parity=``):

* ``even`` (the paper's): every variable is even, Sigma = E[v^T D^-1 v];
* ``odd`` (velocity-like g, Fodor et al., PRL 117, 038103, 2016; Dabelow, Bo & Eichhorn,
  PRX 9, 021009, 2019): the path-probability ratio against the time-reversed path with
  g -> -g gives Sigma = E[(b_irr - D s)^T D^-1 (b_irr - D s)], with the irreversible
  drift b_irr(z) = (b(z) + E b(E z)) / 2 (E = diag(+1 on x, -1 on g)). For the AOUP
  b_irr = (F - A x, -gamma g): the propulsion term v0 g of dx is reversible. This needs
  noise on every degree of freedom whose b_irr is non-zero; with epsilon = 0 the x-only
  path measure of Fodor et al. applies instead (harmonic trap: Sigma = 0).

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


def linear_epr(M, D, parity=None) -> dict:
    """Sigma and its split per degree of freedom for dz = M z dt + sqrt(2 D) dW (D diagonal).

    parity : None (all even) or a vector of +1 (even) / -1 (odd) per degree of freedom;
        then v is replaced by b_irr - D s with b_irr = (M + E M E) z / 2.
    Returns {"total", "per_dof" (0 where D_kk = 0), "convention", "C"}.
    """
    M, D = np.asarray(M, float), np.asarray(D, float)
    if not np.allclose(D, np.diag(np.diag(D))):
        raise ValueError("D must be diagonal")
    C = stationary_covariance(M, D)
    d = np.diag(D)
    noisy = d > 0
    Mv = M
    if parity is not None:
        E = np.diag(np.asarray(parity, float))
        Mv = 0.5 * (M + E @ M @ E)
        if np.any(np.abs(Mv[~noisy]) > 0):
            raise ValueError("parity: a degree of freedom without noise has an irreversible "
                             "drift; the path measure is singular (Sigma is infinite in these "
                             "variables)")
    Omega = Mv + D @ np.linalg.inv(C)
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


def aoup_parity(N: int, parity: str = "even"):
    """The parity vector of ``aoup_matrices``' state (x_1..x_N, g_1..g_N) for ``linear_epr``."""
    if parity not in ("even", "odd"):
        raise ValueError(f"parity = {parity!r}: expected 'even' or 'odd'")
    return np.r_[np.ones(N), np.full(N, 1.0 if parity == "even" else -1.0)]


def aoup_trap_epr(a: float, v0: float, gamma: float, epsilon: float, dim: int = 2,
                  parity: str = "even") -> dict:
    """Closed forms for one AOUP in the trap a x^2/2, per particle (all dim axes).

    parity = "even" (g even under time reversal, the paper's convention):
      full (epsilon > 0): dim v0^2 gamma / (epsilon (a + gamma));
      noisy_dof (epsilon = 0): dim a for every v0 > 0, and 0 at v0 = 0 (then g is an
      equilibrium OU process and x sits at the trap centre: the limit v0 -> 0 is singular).
    parity = "odd" (g velocity-like):
      full (epsilon > 0): dim v0^2 a / (epsilon (a + gamma)) (0 for a free particle);
      epsilon = 0: 0, the x-only path measure of Fodor et al. (2016) (harmonic potential).
    """
    if parity not in ("even", "odd"):
        raise ValueError(f"parity = {parity!r}: expected 'even' or 'odd'")
    if parity == "odd":
        if epsilon > 0:
            return {"total": dim * v0 ** 2 * a / (epsilon * (a + gamma)), "convention": "full",
                    "parity": "odd"}
        return {"total": 0.0, "convention": "x_path", "parity": "odd"}
    if epsilon > 0:
        return {"total": dim * v0 ** 2 * gamma / (epsilon * (a + gamma)), "convention": "full",
                "parity": "even"}
    return {"total": dim * a if v0 != 0 else 0.0, "convention": "noisy_dof", "parity": "even"}
