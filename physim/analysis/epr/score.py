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
* ``"+force"``: the pair force F_{ic} of the component, on every output. On an x output
  its derivative d F_{ic} / d x_{ic} = -(H_ii)_{cc} enters h. With it, 1, g and (with a trap)
  the displacement, D^-1 b = ((v0 g + F - A dx) / eps, -g) lies in the span of every output,
  which makes the fitted EPR a lower bound of the true one (research note §4 (iii)).
* ``"+hessian"``: (H_ii g_i)_c, (sum_j H_ij g_j)_c and (H F)_{ic}, with H the Hessian of
  the pair energy: with g_i and F_i they span the small-persistence (UCNA-like) score
  s_g ~ -(1 + tau H)(g + F / v0). They act on g outputs only: on an x output their
  derivatives would need third derivatives of U, so their columns are zero there (theta 0).

Suffixes combine: ``"propulsion+force+hessian"``.
"""
from __future__ import annotations

import numpy as np

COMPONENTS = ("x0", "x1", "g0", "g1")


EXTRAS = {"force": ["F_c"], "hessian": ["Hs_g_c", "Hc_g_c", "H_F_c"]}
_SOURCE = {"F_c": "F", "Hs_g_c": "Hs_g", "Hc_g_c": "Hc_g", "H_F_c": "H_F"}


class LinearScore:
    def __init__(self, features: str = "affine", outputs=COMPONENTS, ridge: float = 1e-10):
        base, *extras = features.split("+")
        if base not in ("affine", "propulsion") or any(e not in EXTRAS for e in extras):
            raise ValueError(f"features = {features!r}: expected 'affine' or 'propulsion', "
                             "optionally with '+force' and '+hessian'")
        self.features, self.base, self.extras = features, base, tuple(extras)
        self.use_force = bool(extras)  # the drift must supply F (and Hessian products)
        self.outputs = tuple(outputs)
        self.ridge = ridge
        self.names = (["1"] + (["dx0", "dx1"] if base == "affine" else []) + ["g0", "g1"]
                      + [n for e in extras for n in EXTRAS[e]])
        p = len(self.names)
        self.G = np.zeros((len(self.outputs), p, p))
        self.h = np.zeros((len(self.outputs), p))
        self.count = 0
        self.theta = None

    @property
    def needs(self) -> tuple:
        """Which extra arrays the drift must supply: "F", "hessian"."""
        x_force = "force" in self.extras and any(c.startswith("x") for c in self.outputs)
        return (("F",) if self.extras else ()) + (("hessian",) if "hessian" in self.extras
                                                  or x_force else ())

    def _design(self, dx, g, extra, c):
        """Feature matrix (N, p) for output component c."""
        cols = [np.ones(len(g))]
        if self.base == "affine":
            cols += [dx[:, 0], dx[:, 1]]
        cols += [g[:, 0], g[:, 1]]
        k = int(c[1])
        for e in self.extras:
            if e == "hessian" and c.startswith("x"):
                cols += [np.zeros(len(g))] * len(EXTRAS[e])
            else:
                cols += [extra[_SOURCE[n]][:, k] for n in EXTRAS[e]]
        return np.stack(cols, -1)

    def _dpsi(self, c, g, extra):
        """sum_i d psi / d z_{ic}: 1 for the matching coordinate, diag(H_ii) for H_ii g_i on
        g outputs, -diag(H_ii) for F on x outputs."""
        d = np.zeros(len(self.names))
        name = {"x0": "dx0", "x1": "dx1", "g0": "g0", "g1": "g1"}[c]
        if name in self.names:
            d[self.names.index(name)] = len(g)
        on_x = c.startswith("x")
        if "Hs_g_c" in self.names and not on_x:
            d[self.names.index("Hs_g_c")] = extra["H_diag"][:, int(c[1])].sum()
        if "F_c" in self.names and on_x:
            d[self.names.index("F_c")] = -extra["H_diag"][:, int(c[1])].sum()
        return d

    def accumulate(self, dx, g, extra=None):
        """Add one snapshot (arrays of shape (N, 2); ``extra`` holds F and Hessian products)."""
        for k, c in enumerate(self.outputs):
            P = self._design(dx, g, extra, c)
            self.G[k] += P.T @ P
            self.h[k] += self._dpsi(c, g, extra)
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

    def __call__(self, dx, g, extra=None) -> dict:
        """{component: s (N,)} at one snapshot."""
        if self.theta is None:
            raise ValueError("fit the score first")
        return {c: self._design(dx, g, extra, c) @ self.theta[k]
                for k, c in enumerate(self.outputs)}
