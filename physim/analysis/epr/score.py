"""Linear-in-parameters score models fitted in closed form by implicit score matching.

The score of particle i's degree of freedom c is s_{ic} = sum_k theta_{ck} psi_k(i):
scalar features psi_k shared by all particles (permutation symmetric), one
coefficient vector per output component c. Hyvarinen's loss
E sum_{i,c} [s_{ic}^2 / 2 + d s_{ic} / d z_{ic}] is quadratic in theta and separates
over c, so theta_c = -(G + lambda I)^{-1} h_c with

    G = E sum_i psi(i) psi(i)^T,     h_c = E sum_i d psi(i) / d z_{ic}.

(A D-weighted loss gives the same theta, since D is constant per component.)
G and h are sums over snapshots and particles: ``accumulate`` streams batches,
and ``reduce(comm)`` adds them over MPI ranks in one allreduce. The loss equals
E|s_theta - s|^2 / 2 + const, so theta is the L2(rho) projection of the true
score on the span: exact when the true score is in it (Gaussian states with
affine features), otherwise the fitted EPR is the EPR of that projection.

Feature sets (``features=``):

* ``"affine"``: 1, the displacement from the trap centre (2) and the propulsion g_i (2):
  exact for independent particles in a harmonic trap;
* ``"propulsion"``: 1 and g_i, for translation-invariant (periodic, untrapped) systems;
* ``"+force"`` suffix: the pair force F_{ic} of the component (outputs on g only).
"""
from __future__ import annotations

import numpy as np

COMPONENTS = ("x0", "x1", "g0", "g1")


class LinearScore:
    def __init__(self, features: str = "affine", outputs=COMPONENTS, ridge: float = 1e-10):
        base, _, extra = features.partition("+")
        if base not in ("affine", "propulsion") or extra not in ("", "force"):
            raise ValueError(f"features = {features!r}: expected 'affine' or 'propulsion', "
                             "optionally with '+force'")
        if extra and any(c.startswith("x") for c in outputs):
            raise ValueError("'+force' features need outputs on g only (the force's "
                             "x-derivative is not a feature)")
        self.features, self.base, self.use_force = features, base, bool(extra)
        self.outputs = tuple(outputs)
        self.ridge = ridge
        self.names = (["1"] + (["dx0", "dx1"] if base == "affine" else []) + ["g0", "g1"]
                      + (["F_c"] if self.use_force else []))
        p = len(self.names)
        self.G = np.zeros((len(self.outputs), p, p))
        self.h = np.zeros((len(self.outputs), p))
        self.count = 0
        self.theta = None

    def _design(self, dx, g, F, c):
        """Feature matrix (N, p) for output component c."""
        cols = [np.ones(len(g))]
        if self.base == "affine":
            cols += [dx[:, 0], dx[:, 1]]
        cols += [g[:, 0], g[:, 1]]
        if self.use_force:
            cols.append(F[:, int(c[1])])
        return np.stack(cols, -1)

    def _dpsi(self, c, n):
        """sum_i d psi / d z_{ic} over n particles (affine features: constants)."""
        d = np.zeros(len(self.names))
        name = {"x0": "dx0", "x1": "dx1", "g0": "g0", "g1": "g1"}[c]
        if name in self.names:
            d[self.names.index(name)] = n
        return d

    def accumulate(self, dx, g, F=None):
        """Add one snapshot (arrays of shape (N, 2))."""
        for k, c in enumerate(self.outputs):
            P = self._design(dx, g, F, c)
            self.G[k] += P.T @ P
            self.h[k] += self._dpsi(c, len(g))
        self.count += 1
        return self

    def reduce(self, comm):
        """Sum G, h and the snapshot count over the ranks of ``comm``."""
        if comm is not None and comm.size > 1:
            self.G = np.asarray(comm.allreduce_sum(self.G))
            self.h = np.asarray(comm.allreduce_sum(self.h))
            self.count = int(comm.allreduce_sum(self.count))
        return self

    def fit(self):
        if self.count == 0:
            raise ValueError("no snapshots accumulated")
        p = len(self.names)
        self.theta = np.stack([-np.linalg.solve(G / self.count + self.ridge * np.eye(p),
                                                h / self.count)
                               for G, h in zip(self.G, self.h)])
        return self

    def __call__(self, dx, g, F=None) -> dict:
        """{component: s (N,)} at one snapshot."""
        if self.theta is None:
            raise ValueError("fit the score first")
        return {c: self._design(dx, g, F, c) @ self.theta[k] for k, c in enumerate(self.outputs)}
