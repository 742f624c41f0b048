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
* ``"+hessian2"``: (H^2 g)_{ic} and (H^2 F)_{ic} (g outputs only, like "+hessian"; the
  derivative of the first is diag (H^2)_ii = H_ii^2 + sum_j B_ij^2). With "+hessian" they
  span -(1 + a H + b H^2) w + c F, w = g + F / v0: at the MIPS state point (tau = 1e4) the
  sampled w is not in the adiabatic law N(gamma Gamma^-1 F / v0, gamma Gamma^-1),
  Gamma = gamma + H (its tau |H w|^2 is 2x tr H in the bulk and 10-100x at contacts with
  1-4 neighbours), and the H^2 terms raise the held-out capture there from 0.06-0.30 to
  0.45-0.72 (README, "MIPS state point").
* ``"+contact2"``: per pair within the cutoff, k(r_ij) T(u_ij, rhat_ij) with u_ij = w_i - w_j
  the relative velocity (units of v0), the kernels k = f''(r), -f'(r)/r, f(r)/r^2 (f the pair
  force magnitude) and the forms rhat (u.rhat)^2, that (u.rhat)(u.that), rhat (u.that)^2:
  the terms quadratic in w that the third derivatives of U put in the next order beyond the
  adiabatic score (g outputs only; their g derivatives enter h). They need v0 > 0.

Suffixes combine: ``"propulsion+force+hessian"``.
"""
from __future__ import annotations

import numpy as np

COMPONENTS = ("x0", "x1", "g0", "g1")


_CONTACT = [f"Q_{k}_{f}" for k in ("f2", "f1r", "f0r2") for f in ("rr", "rt", "tt")]
EXTRAS = {"force": ["F_c"], "hessian": ["Hs_g_c", "Hc_g_c", "H_F_c"],
          "hessian2": ["H2_g_c", "H2_F_c"], "contact2": [n + "_c" for n in _CONTACT]}
_SOURCE = {"F_c": "F", "Hs_g_c": "Hs_g", "Hc_g_c": "Hc_g", "H_F_c": "H_F", "H2_g_c": "H2_g",
           "H2_F_c": "H2_F", **{n + "_c": n for n in _CONTACT}}
_G_ONLY = ("hessian", "hessian2", "contact2")  # columns that are zero on x outputs (third derivatives)


class LinearScore:
    def __init__(self, features: str = "affine", outputs=COMPONENTS, ridge: float = 1e-10):
        base, *extras = features.split("+")
        if base not in ("affine", "propulsion") or any(e not in EXTRAS for e in extras):
            raise ValueError(f"features = {features!r}: expected 'affine' or 'propulsion', "
                             "optionally with '+force', '+hessian', '+hessian2' and "
                             "'+contact2'")
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
        """Which extra arrays the drift must supply: "F", "hessian", "hessian2"."""
        x_force = "force" in self.extras and any(c.startswith("x") for c in self.outputs)
        return (("F",) if self.extras else ()) + (("hessian",) if "hessian" in self.extras
                                                  or x_force else ()) + \
            (("hessian2",) if "hessian2" in self.extras else ()) + \
            (("contact2",) if "contact2" in self.extras else ())

    def _design(self, dx, g, extra, c):
        """Feature matrix (N, p) for output component c."""
        cols = [np.ones(len(g))]
        if self.base == "affine":
            cols += [dx[:, 0], dx[:, 1]]
        cols += [g[:, 0], g[:, 1]]
        k = int(c[1])
        for e in self.extras:
            if e in _G_ONLY and c.startswith("x"):
                cols += [np.zeros(len(g))] * len(EXTRAS[e])
            else:
                cols += [extra[_SOURCE[n]][:, k] for n in EXTRAS[e]]
        return np.stack(cols, -1)

    def _dpsi(self, c, g, extra):
        """sum_i d psi / d z_{ic}: 1 for the matching coordinate, diag(H_ii) for H_ii g_i and
        diag((H^2)_ii) for H^2 g on g outputs, -diag(H_ii) for F on x outputs."""
        d = np.zeros(len(self.names))
        name = {"x0": "dx0", "x1": "dx1", "g0": "g0", "g1": "g1"}[c]
        if name in self.names:
            d[self.names.index(name)] = len(g)
        on_x = c.startswith("x")
        if "Hs_g_c" in self.names and not on_x:
            d[self.names.index("Hs_g_c")] = extra["H_diag"][:, int(c[1])].sum()
        if "H2_g_c" in self.names and not on_x:
            d[self.names.index("H2_g_c")] = extra["H2_diag"][:, int(c[1])].sum()
        if "contact2" in self.extras and not on_x:
            for n in _CONTACT:
                d[self.names.index(n + "_c")] = extra["d" + n][:, int(c[1])].sum()
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

    def __add__(self, other):
        out = LinearScore(self.features, self.outputs, self.ridge)
        out.G, out.h, out.count = self.G + other.G, self.h + other.h, self.count + other.count
        return out

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


# degree of the heading-output polynomial: chosen on trapped / clustered ABP runs (seed 1:
# capture 0.72 -> 0.93 at eps = 0 from degree 1 to 3; degree 4 doubles the error bars at
# equilibrium), reported on held-out runs in benchmarks/epr_validation.py
DEGREE = 3


class HeadingScore:
    """Linear score of active Brownian particles, whose state is (x_i, theta_i).

    On the x outputs, LinearScore's features with the heading e_i = (cos theta_i, sin theta_i)
    in place of g: with 1, e, the trap displacement and F they hold
    D^-1 b_x = (v0 e + F - A dx) / eps (b_theta = 0), so the fitted EPR is a lower bound.
    On the heading output ``"th"``: the monomials up to ``degree`` of a = e . y and
    b = e_perp . y, e_perp = d e / d theta = (-sin, cos), for y = dx (with a trap) and F
    (with interactions): by rotation invariance the density depends on theta only through
    them, and the first-order (small-persistence) score v0 e_perp . (F - A dx) / ... is in
    their span. Their theta derivatives (d a / d theta = b, d b / d theta = -a) enter h.
    """

    def __init__(self, features: str = "affine", outputs=("x0", "x1", "th"),
                 ridge: float = 1e-10, degree: int = DEGREE):
        base, *extras = features.split("+")
        if {"hessian", "hessian2", "contact2"} & set(extras):
            raise ValueError(f"features = {features!r}: '+hessian' and '+hessian2' are g-output "
                             "features of "
                             "the AOUP; for ABP use 'affine' or 'propulsion', optionally "
                             "'+force'")
        x_outputs = tuple(c for c in outputs if c != "th")
        bad = [c for c in outputs if c not in ("x0", "x1", "th")]
        if bad:
            raise ValueError(f"outputs {bad}: an ABP score has outputs x0, x1 and th")
        self.x = LinearScore(features, x_outputs, ridge) if x_outputs else None
        if self.x is None:
            LinearScore(features, ("x0",))  # validates the feature names
        self.features, self.outputs, self.ridge = features, tuple(outputs), ridge
        self.base, self.extras, self.degree = base, tuple(extras), int(degree)
        self.on_heading = "th" in outputs
        names = [v for y, on in (("dx", base == "affine"), ("F", "force" in extras)) if on
                 for v in (f"e.{y}", f"eperp.{y}")]
        from itertools import combinations_with_replacement
        self.th_terms = [t for k in range(degree + 1)
                         for t in combinations_with_replacement(range(len(names)), k)]
        self.th_names = ["*".join(names[i] for i in t) or "1" for t in self.th_terms]
        p = len(self.th_names)
        self.Gt, self.ht = np.zeros((p, p)), np.zeros(p)
        self.count = 0
        self.theta_th = None

    @property
    def names(self):
        return (list(self.x.names) if self.x is not None else []) + \
            ["th:" + n for n in self.th_names]

    @property
    def needs(self) -> tuple:
        own = ("F",) if "force" in self.extras else ()
        return tuple(dict.fromkeys((self.x.needs if self.x is not None else ()) + own))

    @staticmethod
    def headings(th):
        return np.stack([np.cos(th), np.sin(th)], -1)

    def _heading_design(self, dx, th, extra):
        """Columns on the heading output and the sums of their theta derivatives: monomials
        up to ``degree`` of a_j = e . y_j and b_j = e_perp . y_j (y: dx with a trap, F with
        interactions) times nothing; d a_j / d theta = b_j, d b_j / d theta = -a_j."""
        e, ep = self.headings(th), np.stack([-np.sin(th), np.cos(th)], -1)
        ys = ([dx] if self.base == "affine" else []) + \
            ([extra["F"]] if "force" in self.extras else [])
        z = [v for y in ys for v in ((e * y).sum(-1), (ep * y).sum(-1))]
        dz = [v for j in range(len(ys)) for v in (z[2 * j + 1], -z[2 * j])]
        cols, dsum = [np.ones(len(th))], [0.0]
        for t in self.th_terms[1:]:
            cols.append(np.prod([z[i] for i in t], axis=0))
            d = 0.0
            for q, i in enumerate(t):
                rest = t[:q] + t[q + 1:]
                d = d + dz[i] * (np.prod([z[r] for r in rest], axis=0) if rest else 1.0)
            dsum.append(float(np.sum(d)))
        return np.stack(cols, -1), np.array(dsum)

    def accumulate(self, dx, th, extra=None):
        if self.x is not None:
            self.x.accumulate(dx, self.headings(th), extra)
        if self.on_heading:
            P, dP = self._heading_design(dx, th, extra)
            self.Gt += P.T @ P
            self.ht += dP
        self.count += 1
        return self

    def __add__(self, other):
        out = HeadingScore(self.features, self.outputs, self.ridge, self.degree)
        if self.x is not None:
            out.x = self.x + other.x
        out.Gt, out.ht = self.Gt + other.Gt, self.ht + other.ht
        out.count = self.count + other.count
        return out

    def reduce(self, comm):
        if comm is not None and comm.size > 1:
            if self.x is not None:
                self.x.reduce(comm)
            self.Gt = np.asarray(comm.allreduce_sum(self.Gt))
            self.ht = np.asarray(comm.allreduce_sum(self.ht))
            self.count = int(comm.allreduce_sum(self.count))
        return self

    def fit(self):
        if self.count == 0:
            raise ValueError("no snapshots accumulated")
        if self.x is not None:
            self.x.fit()
        p = len(self.th_names)
        self.theta_th = -np.linalg.solve(self.Gt / self.count + self.ridge * np.eye(p),
                                         self.ht / self.count)
        return self

    @property
    def theta(self):
        if self.theta_th is None:
            return None
        x = np.ravel(self.x.theta) if self.x is not None else np.zeros(0)
        return np.concatenate([x, self.theta_th])

    def __call__(self, dx, th, extra=None) -> dict:
        if self.theta_th is None:
            raise ValueError("fit the score first")
        out = self.x(dx, self.headings(th), extra) if self.x is not None else {}
        if self.on_heading:
            out["th"] = self._heading_design(dx, th, extra)[0] @ self.theta_th
        return out
