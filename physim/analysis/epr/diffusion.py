"""Entropy production rate of any diffusion with a constant diffusion matrix, from samples.

For dx = b(x) dt + sqrt(2 D) dW with a constant, symmetric, positive-definite D (d x d)
and stationary density p, the probability-flow velocity is v = b - D s with the score
s = grad log p, and the entropy production rate (k_B per unit time) is

    Sigma = E_p[(b - D s)^T D^-1 (b - D s)].

The score is fitted in closed form by D-weighted implicit (Hyvarinen) score matching,
J(s) = E[s^T D s / 2 + div(D s)] = E|s - s_true|_D^2 / 2 + const, on the linear basis

    s(x) = alpha D^-1 b(x) + Theta phi(x),

with phi the monomials of the (standardised) coordinates up to ``degree`` (affine when
degree = 1) plus any user features. J is quadratic: Theta = -(H + alpha D^-1 U) G^-1 and
alpha = (tr(H G^-1 U^T) - E div b) / (E b^T D^-1 b - tr(D^-1 U G^-1 U^T)), with
G = E[phi phi^T], H = E[grad phi], U = E[b phi^T]. Because D^-1 b is in the span, the
fitted EPR is the D-norm of a projection of the true D^-1 b - s: a lower bound on the
exact value in the large-sample limit, and exact when the score is in the span (every
Ornstein-Uhlenbeck process: its score is linear). The divergence of the D^-1 b feature
under the D-weighted loss is div b, which the user gives or which is computed by central
finite differences of the drift callable.

Cross-fitting and error bars are :mod:`physim.analysis.epr.crossfit`'s, the engine the
active-particle estimator shares: scores fitted on K contiguous folds of the samples, the
EPR density v_k^T D^-1 v_m averaged over fold pairs, its error the batch-means error over
``blocks`` contiguous blocks combined with a jackknife over the folds; ``epr_in_sample``
uses one score fitted on everything. The score-free identity (integration by parts, needs stationary samples and a
smooth density that decays at infinity) gives an independent value,
Sigma = E[b^T D^-1 b + div b], reported as ``epr_score_free``.

A singular (positive semi-definite) D, noise on a subspace with projector P only, gives the
``noisy_dof`` convention: D^-1 -> the pseudo-inverse D^+, b -> P b in the fit and in v, and
the score-free value E[b^T D^+ b] + 2 E[div(P b)] - E[div b] (from E[s^T D s] = -E[div b]).
"""
from __future__ import annotations

import warnings
from itertools import combinations_with_replacement

import numpy as np
import xarray as xr

from .crossfit import batch_means, check_reference, cross_fit

__all__ = ["diffusion_epr"]


# ---------------------------------------------------------------- inputs
def _flatten(obj, sample_dims, what):
    """(n, d) float array and the coordinate names, from numpy or xarray."""
    if isinstance(obj, xr.Dataset):
        parts, names = [], []
        for name, da in obj.data_vars.items():
            a, nm = _flatten(da, sample_dims, what)
            parts.append(a)
            names += [f"{name}[{k}]" if a.shape[1] > 1 else str(name) for k in range(a.shape[1])]
        if not parts:
            raise ValueError(f"{what}: the Dataset has no data variables")
        n = {p.shape[0] for p in parts}
        if len(n) > 1:
            raise ValueError(f"{what}: the variables have different sample counts {sorted(n)}")
        return np.concatenate(parts, axis=1), names
    if isinstance(obj, xr.DataArray):
        if isinstance(sample_dims, str):
            sample_dims = (sample_dims,)
        dims = tuple(sample_dims) if sample_dims is not None else obj.dims[:1]
        missing = [s for s in dims if s not in obj.dims]
        if missing:
            raise ValueError(f"{what}: sample dims {missing} are not among its dims {obj.dims}")
        rest = [s for s in obj.dims if s not in dims]
        a = np.asarray(obj.transpose(*dims, *rest).values, dtype=float)
        n = int(np.prod([obj.sizes[s] for s in dims]))
        a = a.reshape(n, -1)
        names = [str(obj.name or "x") + (f"[{k}]" if a.shape[1] > 1 else "")
                 for k in range(a.shape[1])]
        return a, names
    a = np.asarray(obj, dtype=float)
    if a.ndim == 0:
        raise ValueError(f"{what}: a scalar, expected samples of shape (n, d)")
    if a.ndim == 1:
        a = a[:, None]
    k = 1
    if sample_dims is not None:
        if not isinstance(sample_dims, (int, np.integer)) or not 1 <= sample_dims < a.ndim:
            raise ValueError(f"{what}: for a numpy array sample_dims is the number of leading "
                             f"sample axes (1 to {a.ndim - 1}), not {sample_dims!r}")
        k = int(sample_dims)
    a = a.reshape(int(np.prod(a.shape[:k])), -1)
    return a, [f"x{k}" for k in range(a.shape[1])]


def _diffusion_matrix(diffusion, d):
    D = np.asarray(diffusion, dtype=float)
    if D.ndim == 0:
        D = D * np.eye(d)
    elif D.ndim == 1:
        if len(D) != d:
            raise ValueError(f"diffusion: {len(D)} diagonal entries for samples of dimension {d}")
        D = np.diag(D)
    elif D.shape != (d, d):
        raise ValueError(f"diffusion: shape {D.shape}, expected a scalar, ({d},) or ({d}, {d}) "
                         f"for samples of dimension {d} (sample_dims says which axes are "
                         "samples)")
    if not np.all(np.isfinite(D)):
        raise ValueError("diffusion: has non-finite entries")
    if not np.allclose(D, D.T, rtol=1e-12, atol=1e-14 * np.abs(D).max()):
        raise ValueError("diffusion: the matrix is not symmetric")
    D = 0.5 * (D + D.T)
    lam, V = np.linalg.eigh(D)
    tol = 1e-12 * max(lam.max(), 0.0)
    if lam.max() <= 0:
        raise ValueError("diffusion: D has no positive eigenvalue (no noise at all)")
    if lam.min() < -tol:
        raise ValueError(f"diffusion: not positive semi-definite (smallest eigenvalue "
                         f"{lam.min():.3g})")
    keep = lam > tol
    Dplus = (V[:, keep] / lam[keep]) @ V[:, keep].T   # pseudo-inverse
    P = V[:, keep] @ V[:, keep].T                      # projector on the noisy subspace
    return D, Dplus, P, bool(keep.all())


def _evaluate(f, X, what, shape):
    """f(X) for a callable (python or numba, on the (n, d) array), checked against shape."""
    try:
        out = f(np.ascontiguousarray(X))
    except Exception as e:  # noqa: BLE001 - the user's function: name it and pass its error on
        raise ValueError(f"{what}: calling it on the ({X.shape[0]}, {X.shape[1]}) samples "
                         f"failed: {type(e).__name__}: {e}") from e
    out = np.asarray(out, dtype=float)
    if out.shape != shape and out.size == int(np.prod(shape)) and out.shape[0] == shape[0]:
        out = out.reshape(shape)
    if out.shape != shape:
        raise ValueError(f"{what}: returned shape {out.shape} for samples of shape {X.shape}; "
                         f"expected {shape}")
    return out


def _fd_divergence(f, X, P, step):
    """Central finite differences of div b and div(P b), one coordinate at a time
    (2 d drift calls)."""
    n, d = X.shape
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    div, divP = np.zeros(n), np.zeros(n)
    for c in range(d):
        h = step * scale[c]
        Xp, Xm = X.copy(), X.copy()
        Xp[:, c] += h
        Xm[:, c] -= h
        dcb = (_evaluate(f, Xp, "drift", (n, d)) - _evaluate(f, Xm, "drift", (n, d))) / (2 * h)
        div += dcb[:, c]
        divP += dcb @ P[c]
    return div, divP


# ---------------------------------------------------------------- basis
class _Basis:
    """Scalar features phi_j(x) and their gradients: monomials of y = (x - mu) / sigma
    up to ``degree``, then the user's features (callable X -> (phi (n, q), grad (n, q, d)))."""

    def __init__(self, mu, sigma, degree, extra):
        self.mu, self.sigma, self.degree, self.extra = mu, sigma, degree, extra
        d = len(mu)
        self.terms = [t for k in range(degree + 1)
                      for t in combinations_with_replacement(range(d), k)]
        self.names = ["1" if not t else "*".join(f"y{c}" for c in t) for t in self.terms]
        self.extra_count = None

    def __call__(self, X, with_grad=True):
        n, d = X.shape
        Y = (X - self.mu) / self.sigma
        P = len(self.terms)
        phi = np.empty((n, P))
        grad = np.zeros((n, P, d)) if with_grad else None
        for j, t in enumerate(self.terms):
            phi[:, j] = np.prod(Y[:, list(t)], axis=1) if t else 1.0
            for c in (set(t) if with_grad else ()):
                others = list(t)
                others.remove(c)
                g = t.count(c) * (np.prod(Y[:, others], axis=1) if others else 1.0)
                grad[:, j, c] = g / self.sigma[c]
        if self.extra is not None:
            out = self.extra(X)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ValueError("features: the callable must return (phi (n, q), "
                                 "grad phi (n, q, d))")
            ephi, egrad = (np.asarray(o, dtype=float) for o in out)
            if ephi.ndim == 1:
                ephi, egrad = ephi[:, None], egrad.reshape(n, 1, d)
            if ephi.shape[0] != n or egrad.shape != (n, ephi.shape[1], d):
                raise ValueError(f"features: returned phi {ephi.shape} and grad {egrad.shape}; "
                                 f"expected (n, q) and (n, q, {d}) for n = {n}")
            if self.extra_count is None:
                self.extra_count = ephi.shape[1]
                self.names += [f"user{k}" for k in range(ephi.shape[1])]
            phi = np.concatenate([phi, ephi], axis=1)
            grad = np.concatenate([grad, egrad], axis=1) if with_grad else None
        return phi, grad


class _Sums:
    """Sample sums of the quadratic score-matching loss over one fold."""

    def __init__(self):
        self.n = 0
        self.G = self.H = self.U = None
        self.q = self.t = 0.0

    def add(self, phi, grad, b, Dinv_b, div):
        if self.G is None:
            P, d = phi.shape[1], b.shape[1]
            self.G, self.H, self.U = np.zeros((P, P)), np.zeros((d, P)), np.zeros((d, P))
        self.n += len(phi)
        self.G += phi.T @ phi
        self.H += grad.sum(axis=0).T
        self.U += b.T @ phi
        if Dinv_b is not None:
            self.q += float(np.einsum("nc,nc->", b, Dinv_b))
            self.t += float(div.sum())
        return self

    def __add__(self, other):
        out = _Sums()
        out.n = self.n + other.n
        out.G, out.H, out.U = self.G + other.G, self.H + other.H, self.U + other.U
        out.q, out.t = self.q + other.q, self.t + other.t
        return out

    def fit(self, Dinv, use_drift, ridge):
        n = self.n
        G, H, U = self.G / n, self.H / n, self.U / n
        P = len(G)
        Gi = np.linalg.inv(G + ridge * np.trace(G) / P * np.eye(P))
        alpha = 0.0
        if use_drift:
            q, t = self.q / n, self.t / n
            den = q - np.trace(Dinv @ U @ Gi @ U.T)
            # D^-1 b already in the span of phi (e.g. a linear drift with affine features):
            # its coefficient is then arbitrary and 0 gives the same score
            if den > 1e-9 * q:
                alpha = (np.trace(H @ Gi @ U.T) - t) / den
        Theta = -(H + alpha * Dinv @ U) @ Gi
        return alpha, Theta


class _RowDesign:
    """The (n, d) samples for the cross-fit engine: one sample per row, v = b - D s over the
    d coordinates; ``collect`` keeps the split of the EPR over them."""

    def __init__(self, X, b, Dinv_b, divP, basis, D, Dinv, ridge):
        self.X, self.b, self.Dinv_b, self.divP = X, b, Dinv_b, divP
        self.basis, self.D, self.Dinv, self.ridge = basis, D, Dinv, ridge
        self.dof = np.zeros(X.shape[1])

    def sums(self, lo, hi):
        phi, grad = self.basis(self.X[lo:hi])
        use = self.Dinv_b is not None
        return _Sums().add(phi, grad, self.b[lo:hi], self.Dinv_b[lo:hi] if use else None,
                           self.divP[lo:hi] if use else None)

    def fit(self, sums):
        return sums.fit(self.Dinv, self.Dinv_b is not None, self.ridge)

    def velocities(self, lo, hi, fits):
        phi, _ = self.basis(self.X[lo:hi], with_grad=False)
        out = []
        for a, T in fits:
            s = phi @ T.T + (a * self.Dinv_b[lo:hi] if a else 0.0)
            out.append(self.b[lo:hi] - s @ self.D)
        return out

    def weigh(self, v):
        return v @ self.Dinv

    def collect(self, lo, hi, density, v):
        self.dof += np.sum(density, axis=0)


# ---------------------------------------------------------------- estimator
def diffusion_epr(samples, drift, diffusion, *, divergence=None, degree: int | None = None,
                  features=None, drift_feature: bool = True, sample_dims=None,
                  noisy_divergence=None,
                  blocks: int = 10, folds: int = 4, ridge: float = 1e-10,
                  fd_step: float = 1e-4, chunk: int = 50_000) -> xr.Dataset:
    """Entropy production rate of dx = b(x) dt + sqrt(2 D) dW from stationary samples.

    samples : numpy (n, d), or (n, ...) with the trailing axes flattened into the state
        (``sample_dims=k``: the first k axes are samples, e.g. 2 for (time, chain, d)); or
        an xarray DataArray (its ``sample_dims``, default its first dim, are the samples, the
        other dims the state); or a Dataset whose variables (over the same sample dims) are
        concatenated into the state, in order (e.g. ``ds[["position", "propulsion"]]`` with
        ``sample_dims=("time", "particle")`` for independent particles). Blocks and folds are
        contiguous in the order of the samples (the first sample dim varies slowest): keep
        time first so they are blocks in time.
    drift : a callable b(X) on the (n, d) array returning (n, d) (python, numpy or a numba
        ``@njit`` function), or the drift values at the samples (same layout as ``samples``).
    diffusion : D, constant: a scalar (D I), the diagonal (d,) or a symmetric (d, d) matrix,
        positive semi-definite. Positive definite: the ``full`` convention. Singular (noise on
        a subspace only, projector P): the ``noisy_dof`` convention, Sigma = E[v^T D^+ v] with
        v = P b - D s (the AOUP with epsilon = 0: D = diag(0, gamma)); its score-free value is
        E[b^T D^+ b] + 2 E[div(P b)] - E[div b].
    noisy_divergence : div(P b) for a singular D (callable or values); by finite differences
        of a callable drift when not given.
    divergence : div b, a callable X -> (n,) or its values at the samples; None computes it by
        central finite differences of a callable drift (2 d extra calls, relative step
        ``fd_step`` of each coordinate's spread). With drift values and no divergence the
        D^-1 b feature and the score-free value are dropped (with a warning).
    degree : polynomial degree of the scalar basis (the d outputs each get all monomials);
        default 2 for d <= 10, else 1 (affine: exact for every OU process).
    features : extra scalar features, a callable X -> (phi (n, q), grad phi (n, q, d)).
    drift_feature : include D^-1 b in the basis (makes the fit a lower bound; default True).

    Returns an xarray Dataset as :func:`physim.analysis.epr.entropy_production` does: ``epr``
    (cross-fitted, with ``epr_error``), ``epr_in_sample`` (+ error), ``epr_score_free``
    (+ error) and ``epr_dof`` (the split sum_c v_c (D^-1 v)_c over the state coordinates);
    attrs: convention ("full" or "noisy_dof"), samples, folds, degree, alpha, theta, and the
    divergence's source.
    """
    X, names = _flatten(samples, sample_dims, "samples")
    n, d = X.shape
    if not np.all(np.isfinite(X)):
        bad = int((~np.isfinite(X)).any(axis=1).sum())
        raise ValueError(f"samples: {bad} of {n} samples hold NaN or inf")
    if n < 2 * folds:
        raise ValueError(f"samples: {n} samples for {folds} folds; need at least 2 per fold")
    D, Dinv, P, full = _diffusion_matrix(diffusion, d)  # Dinv: the pseudo-inverse

    if callable(drift):
        b = _evaluate(drift, X, "drift", (n, d))
    else:
        b, _ = _flatten(drift, sample_dims, "drift")
        if b.shape != (n, d):
            raise ValueError(f"drift: values of shape {b.shape} for samples of shape {(n, d)}")
    if not np.all(np.isfinite(b)):
        raise ValueError("drift: non-finite values at some samples")

    def given(value, what):
        if callable(value):
            return _evaluate(value, X, what, (n,))
        v, _ = _flatten(value, sample_dims, what)
        if v.shape != (n, 1):
            raise ValueError(f"{what}: {v.size} values for {n} samples")
        return v[:, 0]
    if full and noisy_divergence is not None:
        raise ValueError("noisy_divergence: only for a singular D (here D is positive definite "
                         "and div(P b) = div b)")
    need_fd = divergence is None or (not full and noisy_divergence is None)
    if need_fd and callable(drift):
        div, divP = _fd_divergence(drift, X, P, fd_step)
        div_source = "finite differences"
    else:
        div = divP = None
        div_source = "none"
    if divergence is not None:
        div, div_source = given(divergence, "divergence"), "given"
    if full:
        divP = div
    elif noisy_divergence is not None:
        divP = given(noisy_divergence, "noisy_divergence")
    if div is None or divP is None:
        div = divP = None
    for v, what in ((div, "divergence"), (divP, "noisy_divergence")):
        if v is not None and not np.all(np.isfinite(v)):
            raise ValueError(f"{what}: non-finite values at some samples")
    use_drift = drift_feature and div is not None
    if drift_feature and div is None:
        warnings.warn("diffusion_epr: drift given as values without divergence: the D^-1 b "
                      "feature and the score-free EPR are dropped (pass divergence="
                      + (")" if full else " and noisy_divergence=)"),
                      stacklevel=2)

    if degree is None:
        degree = 2 if d <= 10 else 1
    if degree < 0 or int(degree) != degree:
        raise ValueError(f"degree = {degree}: expected a non-negative integer")
    mu, sig = X.mean(axis=0), X.std(axis=0)
    sig = np.where(sig > 0, sig, 1.0)
    basis = _Basis(mu, sig, int(degree), features)
    Dinv_b = b @ Dinv  # D symmetric; D^+ b for a singular D
    b_all, b = b, (b if full else b @ P)  # the noisy part P b enters the fit and v

    # rows per batch: keep the (rows, features, d) gradient array near 32 MB
    chunk = int(max(256, min(chunk, 4_000_000 // max(1, len(basis.terms) * d))))
    design = _RowDesign(X, b, Dinv_b if use_drift else None, divP if use_drift else None,
                        basis, D, Dinv, ridge)
    res = cross_fit(design, n, folds=folds, blocks=blocks, chunk=chunk)
    alpha, Theta = res.fit
    if div is not None:
        # E[b D^+ b] + 2 E[div P b] - E[div b]: with E[s D s] = E[b s] = -E[div b]
        epr_free, err_free = batch_means(np.einsum("nc,nc->n", b_all, Dinv_b) + 2 * divP - div,
                                         blocks)
    else:
        epr_free = err_free = float("nan")
    conditions, consistency = check_reference(
        res, epr_free, err_free, [],
        "the samples may not be stationary, the drift, divergence or D may not be the ones "
        "that generated them, or the density is not smooth")
    out = xr.Dataset(
        {"epr": ((), res.epr, {"long_name": "entropy production rate E[v D^-1 v], v = b - D s",
                              "units": "k_B / time"}),
         "epr_error": ((), res.error, {"long_name": f"standard error: batch means ({blocks} "
                                       f"blocks) and a jackknife over {folds} folds "
                                       f"({len(res.pairs)} pairs)"}),
         "epr_in_sample": ((), res.in_sample, {"long_name": "plug-in EPR with one score "
                                               "fitted on all samples (biased up by its fit "
                                               "error)"}),
         "epr_in_sample_error": ((), res.in_sample_error, {}),
         "epr_score_free": ((), epr_free, {"long_name": "score-free estimate E[b D^-1 b + div b]"
                                           " (stationary samples, smooth density)"}),
         "epr_score_free_error": ((), err_free, {}),
         "epr_dof": (("coordinate",), design.dof / n,
                     {"long_name": "split of the EPR over the state: v_c (D^-1 v)_c"})},
        coords={"coordinate": names})
    out.attrs.update(convention="full" if full else "noisy_dof", samples=n, dimension=d,
                     folds=folds, consistency=consistency, score_free_conditions=conditions,
                     epr_fit_error=res.fit_error, degree=int(degree), drift_feature=int(use_drift),
                     alpha=float(alpha), theta=np.ravel(Theta),
                     feature_names=",".join((["D^-1 b"] if use_drift else []) + basis.names),
                     divergence=div_source)
    return out
