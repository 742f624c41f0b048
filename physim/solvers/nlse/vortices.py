"""Point vortices for ``initial.kind = "vortices"``: in the plane or on the torus.

Each vortex j at (x_j, y_j) with winding n_j ≠ 0 contributes a factor

    W_j = w_j^{|n_j|} / (|w_j|² + ξ²)^{|n_j|/2},   w_j ≈ (x − x_j) + i sgn(n_j)(y − y_j),

the rational core profile: |W_j| = (r²/(r² + ξ²))^{|n|/2} → 1 − |n|ξ²/(2r²) far away, the
algebraic far field of a stationary GP vortex (matched for |n| = 1 when ξ is the healing
length sqrt(β/|γ|)/amplitude). It is chosen over tanh(r/ξ), which is as smooth, for
that tail.

* Gaussian envelope: w_j is the plane's own (x − x_j) + i sgn(n_j)(y − y_j). The field is
  periodic only because the envelope vanishes at the box edge, so any charges are fine.
* Uniform background: the plane's factors are not periodic, and nearest-image distances
  would leave a kink half a box away from each vortex (the field's spectrum then decays
  only algebraically). Instead w_j comes from the product over *all* periodic images,
  the Jacobi theta function:

      Z_j = (L_x/π) θ₁(u)/θ₁'(0) · exp(−π (y − y_j)²/(L_x L_y)),   u = π(z − z_j)/L_x,

  with nome q = exp(−π L_y/L_x). Z_j ≈ z − z_j at the core, |Z_j| is doubly periodic
  (the Gaussian factor cancels θ₁'s growth along y), and Z_j changes sign under
  x → x + L_x and is multiplied by −exp(−2πi(x − x_j)/L_x) under y → y + L_y (w_j is Z_j
  for n_j > 0, its conjugate for n_j < 0). In the product over the vortices those factors cancel
  when Σ n_j = 0 (which is why a uniform background needs zero total charge), except for
  the constant phase exp(2πi D_x/L_x), D = Σ n_j z_j, which a uniform flow e^{i(αx + βy)}
  with quantised circulation removes. Of the allowed flows the smallest is taken: the mean
  phase gradient of the θ-product is (2π D_y/(L_x L_y), 0), so
  α = −2π round(D_y/L_y)/L_x and β = 2π (round(D_x/L_x) − D_x/L_x)/L_y.
  The field is then exactly periodic and real-analytic: its spectrum decays like
  exp(−ξ|k|), set by the cores alone. |Z_j| is at most about half the box, so |ψ| comes
  close to the background amplitude only where every core is many ξ away.
"""
from __future__ import annotations

import numpy as np


def planar_factor(X, Y, x0, y0, n, core):
    """W for the plane: ((x−x0) + i sgn(n)(y−y0))^|n| / (r² + ξ²)^{|n|/2}."""
    w = (X - x0) + 1j * np.sign(n) * (Y - y0)
    return _core(w, n, core)


def _core(w, n, core):
    m = abs(n)
    return w ** m / (w.real ** 2 + w.imag ** 2 + core * core) ** (m / 2)


def _theta1_scaled(u, q):
    """θ₁(u)/(2 q^{1/4}) = Σ_m (−1)^m q^{m(m+1)} sin((2m+1)u), and the same for θ₁'(0).

    With |Im u| ≤ −ln(q)/2 the m-th term is at most q^{m²} times the first one, so the
    series stops once q^{m²} is below round-off.
    """
    terms = 1 + int(np.ceil(np.sqrt(37.0 / -np.log(q))))
    s = np.zeros(np.broadcast(u).shape, dtype=np.complex128)
    d0 = 0.0
    for m in range(terms):
        a = (-1) ** m * q ** (m * (m + 1))
        s = s + a * np.sin((2 * m + 1) * u)
        d0 += a * (2 * m + 1)
    return s, d0


def torus_coordinate(X, Y, x0, y0, Lx, Ly):
    """Z (module docstring): ≈ (x−x0) + i(y−y0) at the vortex, |Z| doubly periodic."""
    dx, dy = X - x0, Y - y0
    # evaluate at the nearest image in y, where the series has no cancellation, and move
    # back with Z(z + i k L_y) = (−1)^k exp(−2πi k dx/L_x) Z(z)
    k = np.rint(dy / Ly)
    dyw = dy - k * Ly
    q = np.exp(-np.pi * Ly / Lx)
    s, d0 = _theta1_scaled(np.pi * (dx + 1j * dyw) / Lx, q)
    Z = (Lx / np.pi) * (s / d0) * np.exp(-np.pi * dyw ** 2 / (Lx * Ly))
    return Z * np.where(k % 2, -1.0, 1.0) * np.exp(-2j * np.pi * k * dx / Lx)


def torus_factor(X, Y, x0, y0, n, core, Lx, Ly):
    Z = torus_coordinate(X, Y, x0, y0, Lx, Ly)
    return _core(Z if n > 0 else np.conj(Z), n, core)


def background_flow(xs, ys, charges, Lx, Ly):
    """(α, β) of the smallest uniform flow that makes the θ-product periodic."""
    Dx = sum(n * x for n, x in zip(charges, xs))
    Dy = sum(n * y for n, y in zip(charges, ys))
    alpha = -2 * np.pi * np.rint(Dy / Ly) / Lx
    beta = 2 * np.pi * (np.rint(Dx / Lx) - Dx / Lx) / Ly
    return alpha, beta


def charges_of(ini) -> list[int]:
    """One charge per vortex: the list, one value for all, or +1 (the default)."""
    c, n = ini["charges"], len(ini["x"])
    if c is None:
        return [1] * n
    c = c if isinstance(c, list) else [c]
    return c * n if len(c) == 1 else list(c)


def field(X, Y, ini, Lx, Ly):
    """ψ on the (broadcastable) grids X, Y for the case's ``[initial]`` section, no noise."""
    xs, ys, ns, core = ini["x"], ini["y"], charges_of(ini), ini["core"]
    a = ini["amplitude"]
    if ini["envelope"] == "gaussian":
        w = ini["width"]
        psi = a * np.exp(-(X ** 2 + Y ** 2) / (2 * w * w)) + 0j
        for x0, y0, n in zip(xs, ys, ns):
            psi = psi * planar_factor(X, Y, x0, y0, n, core)
        return psi
    alpha, beta = background_flow(xs, ys, ns, Lx, Ly)
    psi = a * np.exp(1j * (alpha * X + beta * Y))
    for x0, y0, n in zip(xs, ys, ns):
        psi = psi * torus_factor(X, Y, x0, y0, n, core, Lx, Ly)
    return psi
