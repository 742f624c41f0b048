"""The drift of the particle equations at stored snapshots, for the entropy-production estimator."""
from __future__ import annotations

import json
import math

import numpy as np

from .forces import (CONTACT_FORMS, CONTACT_KERNELS, PairForces, contact_features, divergence,
                     hessian_features, hessian_square_features, soft_cutoff)


class ActiveDrift:
    """b = (b_x, b_s) and div_x b_x of the particles of a run, from its parameters; s is the
    propulsion state: g (AOUP) or the heading theta (ABP).

    AOUP: b_x = v0 g + F(x) - A (x - c), b_g = -gamma g, noise (eps, gamma);
    ABP: b_x = v0 e(theta) + F(x) - A (x - c), b_theta = 0, noise (eps, Dr);
    div_x b_x per particle = div F_i - 2 A.
    """

    def __init__(self, params: dict, L: float):
        m, s, inter = params["model"], params["system"], params["interaction"]
        self.params = params
        self.kind = m["kind"]
        self.v0, self.eps = m["v0"], m["epsilon"]
        # the propulsion's diffusivity: gamma for g, Dr for theta
        self.gamma = m["gamma"] if self.kind == "aoup" else m["Dr"]
        self.A, self.L, self.c = s["trap"], L, L / 2
        N = s["N"]
        self.forces = None
        if inter["kind"] == "soft":
            self.forces = PairForces(N, L, "soft", (inter["k"], inter["beta"],
                                                    2 * inter["radius"]),
                                     soft_cutoff(inter["radius"], inter["beta"], inter["tol"]),
                                     params["numerics"]["skin"])
        elif inter["kind"] == "wca":
            self.forces = PairForces(N, L, "wca", (inter["epsilon"], inter["sigma"]),
                                     2 ** (1 / 6) * inter["sigma"], params["numerics"]["skin"])

    @classmethod
    def from_output(cls, ds):
        if "parameters" not in ds.attrs or ds.attrs.get("solver") != "active":
            raise ValueError("the dataset is not an output of physim's active solver (no "
                             "'parameters' attribute with its model); for samples from "
                             "elsewhere pass case= (an active case that describes the model)")
        return cls(json.loads(ds.attrs["parameters"]), float(ds.attrs["L"]))

    @classmethod
    def from_case(cls, case):
        from ...api import Case
        from .simulation import box_side
        params = Case(case).params
        if params["solver"] != "active":
            raise ValueError(f"case= describes a {params['solver']} run; the EPR needs an "
                             "active case")
        return cls(params, box_side(params))

    def displacement(self, x):
        """x - c with the minimum image (the trap centre is the box centre)."""
        d = x - self.c
        return d - self.L * np.round(d / self.L)

    def force(self, x):
        f = np.zeros_like(x)
        if self.forces is not None:
            self.forces(np.ascontiguousarray(x), f)
        return f

    @property
    def state(self) -> str:
        """The output variable of the propulsion state."""
        return "propulsion" if self.kind == "aoup" else "orientation"

    def propulsion(self, s):
        """The unit of self-propulsion of each particle: g, or e(theta) = (cos, sin)."""
        if self.kind == "aoup":
            return s
        return np.stack([np.cos(s), np.sin(s)], -1)

    def __call__(self, x, s):
        """(b_x, b_s, div_x b_x per particle, F) at one snapshot (b_s: -gamma g, or 0 for
        theta, of shape (N, 1))."""
        F = self.force(x)
        bx = self.v0 * self.propulsion(s) + F - self.A * self.displacement(x)
        div = np.full(x.shape[0], -2.0 * self.A)
        if self.forces is not None:
            div = div + divergence(self.forces, np.ascontiguousarray(x))
        bs = -self.gamma * s if self.kind == "aoup" else np.zeros((x.shape[0], 1))
        return bx, bs, div, F

    def extra(self, x, g, F, needs) -> dict | None:
        """The arrays a score's features need at one snapshot: F, and Hessian products
        (``"hessian"``; ``"hessian2"`` adds H^2 g, H^2 F and diag (H^2)_ii; ``"contact2"`` the
        pair terms quadratic in w_i - w_j, w = g + F / v0, and their g derivatives)."""
        if not needs:
            return None
        out = {"F": F}
        if "positions" in needs:
            out.update(x=x, L=self.L)
        if "hessian" in needs or "hessian2" in needs:
            if self.forces is None:
                z = np.zeros_like(x)
                out.update({"Hs_g": z, "Hc_g": z, "H_F": z, "H_diag": z})
            else:
                out.update(hessian_features(self.forces, x, g, F))
        if "hessian2" in needs:
            if self.forces is None:
                z = np.zeros_like(x)
                out.update({"H2_g": z, "H2_F": z, "H2_diag": z})
            else:
                out.update(hessian_square_features(self.forces, x, out["Hs_g"] + out["Hc_g"],
                                                   out["H_F"]))
        if "contact2" in needs:
            if self.forces is None or self.v0 == 0:
                z = np.zeros_like(x)
                out.update({f"{p}Q_{k}_{f}": z for p in ("", "d") for k in CONTACT_KERNELS
                            for f in CONTACT_FORMS})
            else:
                out.update(contact_features(self.forces, x, g + F / self.v0))
        return out

    @property
    def noise(self):
        """(D_x, D_s): the diffusivities of position and propulsion (gamma or Dr)."""
        return self.eps, self.gamma


def free_particle_epr(v0, gamma, eps, dim=2):
    """Per-particle EPR of a free AOUP (full convention): dim v0^2 / eps."""
    return dim * v0 ** 2 / eps if eps > 0 else math.inf
