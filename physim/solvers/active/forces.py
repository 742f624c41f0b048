"""Short-range pair forces in a periodic 2-D box: cell-built Verlet pair lists in numba.

Pairs within r_c + skin are listed from a cell grid (O(N)); the list is reused
until some particle has moved more than skin/2 since it was built, which keeps
every pair that comes within r_c. Forces are summed over the list with
Newton's third law. Positions live in [0, L)^2; separations use the minimum image.

Pair forces (magnitude along r_hat = (x_i - x_j)/r, repulsive > 0):

* ``soft``: k softplus_beta(2a - r) = k ln(1 + e^{beta (2a - r)}) / beta, the smoothed
  harmonic disks of Boffi & Vanden-Eijnden (after Fily & Marchetti), a = radius;
  cut at r_c where the tail has fallen below ``tol`` (see ``soft_cutoff``);
* ``wca``: 24 eps (2 (s/r)^12 - (s/r)^6) / r for r < 2^(1/6) s (Weeks-Chandler-Andersen).
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

SOFT, WCA = 0, 1


def soft_cutoff(radius: float, beta: float, tol: float = 1e-8) -> float:
    """r_c beyond which the soft force is below tol * k: 2a + ln(1/(beta tol)) / beta."""
    return 2 * radius + max(0.0, math.log(1.0 / (beta * tol))) / beta


@nb.njit(cache=True, inline="always")
def _pair(r, kind, p0, p1, p2):
    """Force magnitude at distance r: soft (p0 = k, p1 = beta, p2 = 2a) or WCA (p0 = eps, p1 = s)."""
    if kind == SOFT:
        u = p1 * (p2 - r)
        # softplus without overflow: ln(1 + e^u) = max(u, 0) + ln(1 + e^-|u|)
        return p0 * (max(u, 0.0) + math.log1p(math.exp(-abs(u)))) / p1
    sr6 = (p1 / r) ** 6
    return 24.0 * p0 * (2.0 * sr6 * sr6 - sr6) / r


@nb.njit(cache=True, inline="always")
def _pair_slope(r, kind, p0, p1, p2):
    """d/dr of the force magnitude: soft -k sigmoid(beta (2a - r)); WCA
    24 eps (-26 (s/r)^12 + 7 (s/r)^6) / r^2."""
    if kind == SOFT:
        u = p1 * (p2 - r)
        return -p0 / (1.0 + math.exp(-u)) if u > -700 else 0.0
    sr6 = (p1 / r) ** 6
    return 24.0 * p0 * (-26.0 * sr6 * sr6 + 7.0 * sr6) / (r * r)


@nb.njit(cache=True)
def _wrap(d, L):
    if d > 0.5 * L:
        return d - L
    if d < -0.5 * L:
        return d + L
    return d


@nb.njit(cache=True)
def build_pairs(x, L, reach, pairs):
    """Fill ``pairs`` with (i, j), i < j, closer than ``reach``; return the count (or -needed).

    Cells of side >= reach; with fewer than 3 cells per side every pair is checked.
    """
    N = x.shape[0]
    nc = int(L // reach)
    npair = 0
    cap = pairs.shape[0]
    r2max = reach * reach
    if nc < 3:
        for i in range(N):
            for j in range(i + 1, N):
                dx = _wrap(x[i, 0] - x[j, 0], L)
                dy = _wrap(x[i, 1] - x[j, 1], L)
                if dx * dx + dy * dy < r2max:
                    if npair < cap:
                        pairs[npair, 0] = i
                        pairs[npair, 1] = j
                    npair += 1
        return npair if npair <= cap else -npair
    side = L / nc
    head = -np.ones(nc * nc, np.int64)
    nxt = np.empty(N, np.int64)
    for i in range(N):
        cx = int(x[i, 0] / side) % nc
        cy = int(x[i, 1] / side) % nc
        c = cx * nc + cy
        nxt[i] = head[c]
        head[c] = i
    for cx in range(nc):
        for cy in range(nc):
            c = cx * nc + cy
            # half stencil: the cell itself and 4 of its 8 neighbours
            for k in range(5):
                if k == 0:
                    ox, oy = 0, 0
                elif k == 1:
                    ox, oy = 1, 0
                elif k == 2:
                    ox, oy = 1, 1
                elif k == 3:
                    ox, oy = 0, 1
                else:
                    ox, oy = -1, 1
                d = ((cx + ox) % nc) * nc + (cy + oy) % nc
                i = head[c]
                while i >= 0:
                    j = head[d] if k > 0 else nxt[i]
                    while j >= 0:
                        dx = _wrap(x[i, 0] - x[j, 0], L)
                        dy = _wrap(x[i, 1] - x[j, 1], L)
                        if dx * dx + dy * dy < r2max:
                            if npair < cap:
                                pairs[npair, 0] = min(i, j)
                                pairs[npair, 1] = max(i, j)
                            npair += 1
                        j = nxt[j]
                    i = nxt[i]
    return npair if npair <= cap else -npair


_NO_TABLE = np.zeros((0, 4))


@nb.njit(cache=True)
def pair_forces(x, L, pairs, npair, rc, kind, p0, p1, p2, f):
    """f[i] = sum of pair forces on i from the listed pairs closer than rc (closed form)."""
    table_forces(x, L, pairs, npair, rc, kind, p0, p1, p2, 0.0, 0.0, _NO_TABLE, f)


def brute_forces(x, L, rc, kind, p0, p1, p2, f):
    """The same forces from every pair, without cells or lists (for tests)."""
    N = x.shape[0]
    i, j = np.triu_indices(N, 1)
    pairs = np.ascontiguousarray(np.stack([i, j], -1).astype(np.int64))
    pair_forces(x, L, pairs, len(pairs), rc, kind, p0, p1, p2, f)


@nb.njit(cache=True)
def max_displacement_sq(x, x_ref, L):
    m = 0.0
    for i in range(x.shape[0]):
        dx = _wrap(x[i, 0] - x_ref[i, 0], L)
        dy = _wrap(x[i, 1] - x_ref[i, 1], L)
        m = max(m, dx * dx + dy * dy)
    return m


class PairForces:
    """Forces from a Verlet pair list that rebuilds itself when particles have moved."""

    def __init__(self, N: int, L: float, kind: str, params: tuple, rc: float, skin: float):
        self.L, self.rc, self.skin = float(L), float(rc), float(skin)
        self.kind = {"soft": SOFT, "wca": WCA}[kind]
        self.p = tuple(float(v) for v in params) + (0.0,) * (3 - len(params))
        self.pairs = np.empty((max(16, 8 * N), 2), np.int64)
        self.npair = 0
        self.x_ref = None
        self.rebuilds = 0

    def _build(self, x):
        while True:
            n = build_pairs(x, self.L, self.rc + self.skin, self.pairs)
            if n >= 0:
                break
            self.pairs = np.empty((int(-n * 1.5) + 16, 2), np.int64)
        self.npair = n
        self.x_ref = x.copy()
        self.rebuilds += 1

    def ensure(self, x):
        """Rebuild the pair list if some particle moved more than half the skin since."""
        if self.x_ref is None or max_displacement_sq(x, self.x_ref, self.L) > (0.5 * self.skin) ** 2:
            self._build(x)

    def __call__(self, x, f):
        self.ensure(x)
        pair_forces(x, self.L, self.pairs, self.npair, self.rc, self.kind, *self.p, f)
        return f


def divergence(pf: "PairForces", x: np.ndarray) -> np.ndarray:
    """div_{x_i} F_i for every particle: -tr H_ii (F = -grad U), i.e. sum_j [f'(r) + f(r)/r]
    in 2-D, from the Hessian blocks of ``hessian_products``."""
    z = np.zeros_like(np.asarray(x, dtype=float))
    return -hessian_features(pf, x, z, z)["H_diag"].sum(-1)


@nb.njit(cache=True, inline="always")
def _pair_block(x, i, j, L, rc2, kind, p0, p1, p2):
    """(inside, B_xx, B_yy, B_xy, ex, ey, r) of the pair (i, j): B_ij = -f'(r) e e^T -
    f(r)/r (I - e e^T), e the unit separation from j to i, f the force magnitude."""
    dx = _wrap(x[i, 0] - x[j, 0], L)
    dy = _wrap(x[i, 1] - x[j, 1], L)
    r2 = dx * dx + dy * dy
    if not (r2 < rc2 and r2 > 0.0):
        return False, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    r = math.sqrt(r2)
    a = -_pair_slope(r, kind, p0, p1, p2)
    b = -_pair(r, kind, p0, p1, p2) / r
    ex = dx / r
    ey = dy / r
    return (True, a * ex * ex + b * (1.0 - ex * ex), a * ey * ey + b * (1.0 - ey * ey),
            (a - b) * ex * ey, ex, ey, r)


@nb.njit(cache=True)
def hessian_products(x, g, F, L, pairs, npair, rc, kind, p0, p1, p2, hs, hc, hf, hdiag):
    """Products with the Hessian of the pair energy U (F = -grad U), per particle i:

    hs_i = H_ii g_i, hc_i = sum_{j != i} H_ij g_j, hf_i = (H F)_i, hdiag_i = diag(H_ii),
    with H_ii = sum_j B_ij, H_ij = -B_ij and B_ij = -f'(r) r r^T - f(r)/r (I - r r^T)
    (r the unit separation, f the force magnitude): the features of the small-persistence
    score s_g ~ -(1 + tau H)(g + F / v0).
    """
    hs[:] = 0.0
    hc[:] = 0.0
    hf[:] = 0.0
    hdiag[:] = 0.0
    rc2 = rc * rc
    for q in range(npair):
        i = pairs[q, 0]
        j = pairs[q, 1]
        inside, bxx, byy, bxy, _ex, _ey, _r = _pair_block(x, i, j, L, rc2, kind, p0, p1, p2)
        if inside:
            # B is symmetric and the same for (i, j) and (j, i)
            hs[i, 0] += bxx * g[i, 0] + bxy * g[i, 1]
            hs[i, 1] += bxy * g[i, 0] + byy * g[i, 1]
            hs[j, 0] += bxx * g[j, 0] + bxy * g[j, 1]
            hs[j, 1] += bxy * g[j, 0] + byy * g[j, 1]
            hc[i, 0] -= bxx * g[j, 0] + bxy * g[j, 1]
            hc[i, 1] -= bxy * g[j, 0] + byy * g[j, 1]
            hc[j, 0] -= bxx * g[i, 0] + bxy * g[i, 1]
            hc[j, 1] -= bxy * g[i, 0] + byy * g[i, 1]
            fx = F[i, 0] - F[j, 0]
            fy = F[i, 1] - F[j, 1]
            hf[i, 0] += bxx * fx + bxy * fy
            hf[i, 1] += bxy * fx + byy * fy
            hf[j, 0] -= bxx * fx + bxy * fy
            hf[j, 1] -= bxy * fx + byy * fy
            hdiag[i, 0] += bxx
            hdiag[i, 1] += byy
            hdiag[j, 0] += bxx
            hdiag[j, 1] += byy


@nb.njit(cache=True)
def _apply_blocks(x, v, L, pairs, npair, rc, kind, p0, p1, p2, out):
    """out = H v (self and cross parts together) over the listed pairs."""
    out[:] = 0.0
    rc2 = rc * rc
    for q in range(npair):
        i = pairs[q, 0]
        j = pairs[q, 1]
        inside, bxx, byy, bxy, ex, ey, r = _pair_block(x, i, j, L, rc2, kind, p0, p1, p2)
        if inside:
            ux = v[i, 0] - v[j, 0]
            uy = v[i, 1] - v[j, 1]
            out[i, 0] += bxx * ux + bxy * uy
            out[i, 1] += bxy * ux + byy * uy
            out[j, 0] -= bxx * ux + bxy * uy
            out[j, 1] -= bxy * ux + byy * uy


@nb.njit(cache=True)
def square_diagonal(x, L, pairs, npair, rc, kind, p0, p1, p2, out):
    """out_i = diag((H^2)_ii) = diag(H_ii H_ii + sum_{j != i} B_ij B_ij), the derivative
    d (H^2 g)_ic / d g_ic of the H^2 g feature."""
    N = x.shape[0]
    s1 = np.zeros((N, 3))  # H_ii: xx, yy, xy
    s2 = np.zeros((N, 2))  # sum_j (B_ij^2): xx, yy
    rc2 = rc * rc
    for q in range(npair):
        i = pairs[q, 0]
        j = pairs[q, 1]
        inside, bxx, byy, bxy, ex, ey, r = _pair_block(x, i, j, L, rc2, kind, p0, p1, p2)
        if inside:
            for k in (i, j):
                s1[k, 0] += bxx
                s1[k, 1] += byy
                s1[k, 2] += bxy
                s2[k, 0] += bxx * bxx + bxy * bxy
                s2[k, 1] += byy * byy + bxy * bxy
    for i in range(N):
        out[i, 0] = s1[i, 0] * s1[i, 0] + s1[i, 2] * s1[i, 2] + s2[i, 0]
        out[i, 1] = s1[i, 1] * s1[i, 1] + s1[i, 2] * s1[i, 2] + s2[i, 1]


def hessian_square_features(pf: "PairForces", x: np.ndarray, Hg: np.ndarray,
                            HF: np.ndarray) -> dict:
    """{"H2_g", "H2_F", "H2_diag"}: H (H g), H (H F) and diag((H^2)_ii) at one configuration,
    from the products H g = Hs_g + Hc_g and H F of ``hessian_features``. They carry the
    curvature beyond the adiabatic score -(1 + tau H) w (see the score's "+hessian2")."""
    x = np.ascontiguousarray(x)
    pf.ensure(x)
    out = {k: np.zeros_like(x) for k in ("H2_g", "H2_F", "H2_diag")}
    args = (pf.L, pf.pairs, pf.npair, pf.rc, pf.kind, *pf.p)
    _apply_blocks(x, np.ascontiguousarray(Hg), *args, out["H2_g"])
    _apply_blocks(x, np.ascontiguousarray(HF), *args, out["H2_F"])
    square_diagonal(x, *args, out["H2_diag"])
    return out


CONTACT_KERNELS = ("f2", "f1r", "f0r2")  # f''(r), -f'(r) / r, f(r) / r^2
CONTACT_FORMS = ("rr", "rt", "tt")       # rhat (u.rhat)^2, that (u.rhat)(u.that), rhat (u.that)^2


@nb.njit(cache=True)
def contact_quadratics(x, w, L, pairs, npair, rc, kind, p0, p1, p2, val, der):
    """Pair terms quadratic in the relative velocity u_ij = w_i - w_j, w = g + F / v0:

    val[m, i] = sum_j k_a(r_ij) T_b(u_ij, rhat_ij), m = 3 a + b, with the kernels k_a of
    ``CONTACT_KERNELS`` and the vector forms T_b of ``CONTACT_FORMS`` (that = rhat rotated by
    90 degrees); der[m, i, c] = d val[m, i, c] / d g_ic (u_ij depends on g_i through w_i)."""
    val[:] = 0.0
    der[:] = 0.0
    rc2 = rc * rc
    for q in range(npair):
        i = pairs[q, 0]
        j = pairs[q, 1]
        dx = _wrap(x[i, 0] - x[j, 0], L)
        dy = _wrap(x[i, 1] - x[j, 1], L)
        r2 = dx * dx + dy * dy
        if r2 < rc2 and r2 > 0.0:
            r = math.sqrt(r2)
            f = _pair(r, kind, p0, p1, p2)
            fp = _pair_slope(r, kind, p0, p1, p2)
            h = 1e-5 * r
            fpp = (_pair_slope(r + h, kind, p0, p1, p2)
                   - _pair_slope(r - h, kind, p0, p1, p2)) / (2.0 * h)
            kern = (fpp, -fp / r, f / r2)
            e0 = dx / r
            e1 = dy / r
            t0 = -e1
            t1 = e0
            u0 = w[i, 0] - w[j, 0]
            u1 = w[i, 1] - w[j, 1]
            ur = u0 * e0 + u1 * e1
            ut = u0 * t0 + u1 * t1
            # the forms T_b and their g derivatives, per component: (T_0, T_1, dT_0, dT_1)
            # rr: rhat ur^2 (d: 2 ur rhat_c^2); rt: that ur ut (d: that_c (rhat_c ut +
            # that_c ur)); tt: rhat ut^2 (d: 2 ut rhat_c that_c); -T on j, +dT on both
            forms = ((e0 * ur * ur, e1 * ur * ur, 2.0 * ur * e0 * e0, 2.0 * ur * e1 * e1),
                     (t0 * ur * ut, t1 * ur * ut, t0 * (e0 * ut + t0 * ur),
                      t1 * (e1 * ut + t1 * ur)),
                     (e0 * ut * ut, e1 * ut * ut, 2.0 * ut * e0 * t0, 2.0 * ut * e1 * t1))
            for a in range(3):
                k = kern[a]
                for b in range(3):
                    m = 3 * a + b
                    v0, v1, d0, d1 = forms[b]
                    val[m, i, 0] += k * v0
                    val[m, i, 1] += k * v1
                    val[m, j, 0] -= k * v0
                    val[m, j, 1] -= k * v1
                    der[m, i, 0] += k * d0
                    der[m, i, 1] += k * d1
                    der[m, j, 0] += k * d0
                    der[m, j, 1] += k * d1


def contact_features(pf: "PairForces", x: np.ndarray, w: np.ndarray) -> dict:
    """{"Q_<kernel>_<form>": (N, 2), "dQ_<kernel>_<form>": (N, 2)}: the pair terms quadratic
    in the relative velocity w_i - w_j and their g derivatives (``contact_quadratics``)."""
    x = np.ascontiguousarray(x)
    pf.ensure(x)
    M = len(CONTACT_KERNELS) * len(CONTACT_FORMS)
    val, der = np.zeros((M,) + x.shape), np.zeros((M,) + x.shape)
    contact_quadratics(x, np.ascontiguousarray(w), pf.L, pf.pairs, pf.npair, pf.rc, pf.kind,
                       *pf.p, val, der)
    out = {}
    for a, kn in enumerate(CONTACT_KERNELS):
        for b, fn in enumerate(CONTACT_FORMS):
            out[f"Q_{kn}_{fn}"] = val[3 * a + b]
            out[f"dQ_{kn}_{fn}"] = der[3 * a + b]
    return out


def hessian_features(pf: "PairForces", x: np.ndarray, g: np.ndarray, F: np.ndarray) -> dict:
    """{"Hs_g", "Hc_g", "H_F", "H_diag"} at one configuration (see ``hessian_products``)."""
    x = np.ascontiguousarray(x)
    pf.ensure(x)
    out = {k: np.zeros_like(x) for k in ("Hs_g", "Hc_g", "H_F", "H_diag")}
    hessian_products(x, np.ascontiguousarray(g), np.ascontiguousarray(F), pf.L, pf.pairs,
                     pf.npair, pf.rc, pf.kind, *pf.p, out["Hs_g"], out["Hc_g"], out["H_F"],
                     out["H_diag"])
    return out


# -- the tabulated soft force used by the time stepper -----------------------------------------
TABLE_INTERVALS = 4096  # cubic Hermite pieces in r^2 on [r_lo^2, r_c^2]: |F error| < 2e-11 k
TABLE_LOW = 0.5         # below r_lo = TABLE_LOW * 2a (centres within a radius): closed form


def force_table(kind: int, p: tuple, rc: float, n: int = TABLE_INTERVALS):
    """(s0, 1/h, coef): F(r)/r as a piecewise cubic in s = r^2 on [s0, rc^2] (Hermite
    interpolation of the closed form and its exact s-derivative at n + 1 nodes), the
    coefficients of piece k in powers of the local coordinate u = (s - s0)/h - k in [0, 1).
    Only the soft force is tabulated (a table of shape (0, 4) otherwise): its softplus
    costs an exp and a log1p per pair, the table three multiply-adds."""
    if kind != SOFT:
        return 0.0, 0.0, np.zeros((0, 4))
    p0, p1, p2 = p
    s0 = (TABLE_LOW * p2) ** 2
    h = (rc * rc - s0) / n
    s = s0 + h * np.arange(n + 1)
    r = np.sqrt(s)
    F = np.array([_pair(v, SOFT, p0, p1, p2) for v in r])
    Fp = np.array([_pair_slope(v, SOFT, p0, p1, p2) for v in r])
    y = F / r
    d = (Fp - F / r) / (2 * r * r) * h  # dm/ds, scaled to the unit interval
    y0, y1, d0, d1 = y[:-1], y[1:], d[:-1], d[1:]
    coef = np.stack([y0, d0, 3 * (y1 - y0) - 2 * d0 - d1, 2 * (y0 - y1) + d0 + d1], -1)
    return float(s0), float(1.0 / h), np.ascontiguousarray(coef)


@nb.njit(cache=True, inline="always")
def _pair_over_r(r2, kind, p0, p1, p2, s0, inv_h, coef):
    """F(r)/r at r^2 = r2 (> 0, < rc^2): from the table where there is one, else closed form."""
    n = coef.shape[0]
    if n > 0 and r2 >= s0:
        t = (r2 - s0) * inv_h
        k = int(t)
        if k >= n:
            k = n - 1
        u = t - k
        return coef[k, 0] + u * (coef[k, 1] + u * (coef[k, 2] + u * coef[k, 3]))
    r = math.sqrt(r2)
    return _pair(r, kind, p0, p1, p2) / r


@nb.njit(cache=True)
def table_forces(x, L, pairs, npair, rc, kind, p0, p1, p2, s0, inv_h, coef, f):
    """f[i] = sum of pair forces on i from the listed pairs closer than rc, F/r from the
    table ``coef`` (see ``force_table``) where it has one, else the closed form."""
    f[:] = 0.0
    rc2 = rc * rc
    for q in range(npair):
        i = pairs[q, 0]
        j = pairs[q, 1]
        dx = _wrap(x[i, 0] - x[j, 0], L)
        dy = _wrap(x[i, 1] - x[j, 1], L)
        r2 = dx * dx + dy * dy
        if r2 < rc2 and r2 > 0.0:
            m = _pair_over_r(r2, kind, p0, p1, p2, s0, inv_h, coef)
            f[i, 0] += m * dx
            f[i, 1] += m * dy
            f[j, 0] -= m * dx
            f[j, 1] -= m * dy


@nb.njit(cache=True)
def cell_order(x, L, reach):
    """The particles ordered by the cell (side >= reach, as in ``build_pairs``) they are in,
    by index within a cell: a counting sort, O(N). Neighbours then lie near each other in
    memory, which keeps the pair loop in cache at large N."""
    N = x.shape[0]
    nc = max(1, int(L // reach))
    side = L / nc
    cell = np.empty(N, np.int64)
    count = np.zeros(nc * nc + 1, np.int64)
    for i in range(N):
        c = (int(x[i, 0] / side) % nc) * nc + int(x[i, 1] / side) % nc
        cell[i] = c
        count[c + 1] += 1
    for c in range(nc * nc):
        count[c + 1] += count[c]
    order = np.empty(N, np.int64)
    for i in range(N):
        c = cell[i]
        order[count[c]] = i
        count[c] += 1
    return order
