"""EPR of any diffusion with a constant D (physim.analysis.epr.diffusion_epr), against exact values.

OU processes dx = -A x dt + sqrt(2 D) dW: the stationary covariance S solves
A S + S A^T = 2 D; with s = -S^-1 x, v = b - D s = (-A + D S^-1) x and

    Sigma = tr(Omega^T D^-1 Omega S),  Omega = -A + D S^-1          (route 1)
          = tr(A^T D^-1 A S) - 2 tr A + tr(S^-1 D) = tr(A^T D^-1 A S) - tr A   (route 2),

using tr(S^-1 D) = tr A (multiply the Lyapunov equation by S^-1 and take the trace); route 2 is
also the score-free identity E[b^T D^-1 b] + E[div b]. The samples are drawn exactly from the
stationary Gaussian, so only sampling error remains.
"""
import numpy as np
import pytest
import xarray as xr
from scipy.linalg import solve_continuous_lyapunov

from physim.analysis.epr import (aoup_matrices, aoup_trap_epr, diffusion_epr,
                                 entropy_production)


def ou_exact(A, D):
    S = solve_continuous_lyapunov(-A, -2 * D)
    S = 0.5 * (S + S.T)
    Dinv = np.linalg.inv(D)
    Om = -A + D @ np.linalg.inv(S)
    route1 = np.trace(Om.T @ Dinv @ Om @ S)
    route2 = np.trace(A.T @ Dinv @ A @ S) - np.trace(A)
    return S, route1, route2


A2 = np.array([[1.0, 0.8], [-0.8, 0.5]])  # non-symmetric: a rotational (non-gradient) part
D2 = np.array([[0.5, 0.1], [0.1, 0.2]])   # anisotropic, off-diagonal


def test_ou_exact_value_two_routes():
    S, r1, r2 = ou_exact(A2, D2)
    assert abs(r1 - r2) < 1e-12 * r1
    assert r1 == pytest.approx(2.7562962962962967, rel=1e-12)
    np.testing.assert_allclose(A2 @ S + S @ A2.T, 2 * D2, atol=1e-12)


@pytest.mark.parametrize("degree", [1, 2])
def test_anisotropic_rotational_2d_ou_within_one_percent(degree):
    S, exact, _ = ou_exact(A2, D2)
    X = np.random.default_rng(1).multivariate_normal(np.zeros(2), S, size=100_000)
    r = entropy_production(X, drift=lambda x: -x @ A2.T, diffusion=D2, degree=degree)
    est, err = float(r.epr), float(r.epr_error)
    assert abs(est / exact - 1) < 0.01
    assert abs(est - exact) <= 3 * err
    assert abs(float(r.epr_score_free) / exact - 1) < 0.01
    assert r.attrs["divergence"] == "finite differences"
    assert float(r.epr_dof.sum()) == pytest.approx(est, rel=1e-10)


def test_3d_ou_with_given_divergence_and_xarray_samples():
    A = np.array([[1.0, 0.5, 0.0], [-0.5, 0.7, 0.3], [0.2, -0.3, 1.5]])
    D = np.diag([0.3, 1.0, 0.6])
    S, exact, r2 = ou_exact(A, D)
    assert abs(exact - r2) < 1e-10 * exact
    X = np.random.default_rng(2).multivariate_normal(np.zeros(3), S, size=100_000)
    da = xr.DataArray(X, dims=("time", "axis"), name="x")
    r = diffusion_epr(da, lambda x: -x @ A.T, np.diag(D),
                      divergence=lambda x: np.full(len(x), -np.trace(A)))
    assert r.attrs["divergence"] == "given"
    assert abs(float(r.epr) / exact - 1) < 0.015
    assert abs(float(r.epr) - exact) <= 3 * float(r.epr_error)
    assert list(r.coordinate.values) == ["x[0]", "x[1]", "x[2]"]


# ---- nonlinear, non-gradient: b = -(D + Q) grad U with Q antisymmetric keeps p ~ exp(-U)
# (div(Q grad U e^-U) = 0), so s = -grad U, v = -Q grad U and Sigma = E[(Q grad U)^T D^-1 Q grad U]
# is known by quadrature; a double well in x, harmonic in y, rotated by Q.
AW, KY, W = 1.0, 2.0, 0.7
DN = np.array([[0.6, 0.15], [0.15, 0.3]])
Q = W * np.array([[0.0, 1.0], [-1.0, 0.0]])
MN = DN + Q


def double_well_samples(n, seed):
    rng = np.random.default_rng(seed)
    grid = np.linspace(-3.5, 3.5, 20001)
    pdf = np.exp(-AW * (grid ** 2 - 1) ** 2)
    cdf = np.cumsum(pdf)
    cdf /= cdf[-1]
    x = np.interp(rng.random(n), cdf, grid)
    y = rng.normal(0.0, 1 / np.sqrt(KY), n)
    return np.stack([x, y], -1)


def double_well_exact():
    grid = np.linspace(-3.5, 3.5, 200001)
    p = np.exp(-AW * (grid ** 2 - 1) ** 2)
    Ux2 = np.sum((4 * AW * grid * (grid ** 2 - 1)) ** 2 * p) / p.sum()  # E[(dU/dx)^2]
    G = np.diag([Ux2, KY])  # E[grad U grad U^T] (x, y independent, E[dU/dy^2] = KY)
    return float(np.trace(Q.T @ np.linalg.inv(DN) @ Q @ G))


def rotating_double_well():
    numba = pytest.importorskip("numba")

    @numba.njit(cache=False)
    def drift(z):
        out = np.empty_like(z)
        for i in range(z.shape[0]):
            ux = 4 * AW * z[i, 0] * (z[i, 0] ** 2 - 1)
            uy = KY * z[i, 1]
            out[i, 0] = -(MN[0, 0] * ux + MN[0, 1] * uy)
            out[i, 1] = -(MN[1, 0] * ux + MN[1, 1] * uy)
        return out
    return drift


def test_rotating_double_well_numba_drift():
    drift = rotating_double_well()
    exact = double_well_exact()
    X = double_well_samples(100_000, 4)
    # the score -grad U is cubic: degree 3 spans it, degree 2 with D^-1 b gives a lower bound
    r3 = diffusion_epr(X, drift, DN, degree=3)
    r2 = diffusion_epr(X, drift, DN, degree=2)
    free, ferr = float(r3.epr_score_free), float(r3.epr_score_free_error)
    assert abs(free - exact) <= 3 * ferr  # the score-free identity is the reference here
    assert abs(float(r3.epr) / exact - 1) < 0.02
    assert abs(float(r3.epr) - free) <= 3 * np.hypot(float(r3.epr_error), ferr)
    assert float(r2.epr) <= exact + 3 * float(r2.epr_error)
    assert float(r2.epr) > 0.5 * exact
    # the divergence by finite differences equals the analytic one
    div = -(DN[0, 0] * 4 * AW * (3 * X[:, 0] ** 2 - 1) + DN[1, 1] * KY)
    rg = diffusion_epr(X, drift, DN, degree=3, divergence=div)
    assert float(rg.epr) == pytest.approx(float(r3.epr), rel=1e-6)


def test_equilibrium_gradient_drift_gives_zero():
    X = double_well_samples(50_000, 5)

    def drift(z):  # D = I, b = -grad U: detailed balance
        return -np.stack([4 * AW * z[:, 0] * (z[:, 0] ** 2 - 1), KY * z[:, 1]], -1)
    r = diffusion_epr(X, drift, 1.0, degree=3)
    assert abs(float(r.epr)) <= 3 * float(r.epr_error)
    assert abs(float(r.epr_score_free)) <= 3 * float(r.epr_score_free_error)
    assert float(r.epr_in_sample) > 0  # the plug-in on its own fit is biased up


def test_drift_values_instead_of_a_callable():
    S, exact, _ = ou_exact(A2, D2)
    X = np.random.default_rng(6).multivariate_normal(np.zeros(2), S, size=50_000)
    b = -X @ A2.T
    with pytest.warns(UserWarning, match="without divergence"):
        r = diffusion_epr(X, b, D2)
    assert np.isnan(float(r.epr_score_free))
    assert abs(float(r.epr) / exact - 1) < 0.03  # affine features still span the OU score
    r = diffusion_epr(X, b, D2, divergence=np.full(len(X), -np.trace(A2)))
    assert abs(float(r.epr_score_free) / exact - 1) < 0.03


@pytest.mark.parametrize("kwargs,match", [
    (dict(drift=lambda x: x[:, :1]), r"drift: returned shape \(100, 1\)"),
    (dict(drift=np.zeros((99, 2))), r"drift: values of shape \(99, 2\)"),
    (dict(diffusion=np.diag([1.0, -0.1])), "diffusion: not positive semi-definite"),
    (dict(diffusion=np.zeros((2, 2))), "diffusion: D has no positive eigenvalue"),
    (dict(noisy_divergence=np.zeros(100)), "noisy_divergence: only for a singular D"),
    (dict(diffusion=np.array([[1.0, 0.5], [0.0, 1.0]])), "diffusion: the matrix is not symmetric"),
    (dict(diffusion=np.eye(3)), r"diffusion: shape \(3, 3\)"),
    (dict(samples="nan"), "samples: 1 of 100 samples hold NaN or inf"),
    (dict(divergence=np.zeros(7)), "divergence: 7 values for 100 samples"),
])
def test_bad_inputs_are_named(kwargs, match):
    X = np.random.default_rng(0).normal(size=(100, 2))
    if kwargs.pop("samples", None) == "nan":
        X[3, 1] = np.nan
    args = dict(drift=lambda x: -x, diffusion=np.eye(2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        diffusion_epr(X, **args)


def test_entropy_production_needs_both_drift_and_diffusion():
    with pytest.raises(ValueError, match="needs both drift= and diffusion="):
        entropy_production(np.zeros((10, 2)), drift=lambda x: -x)


# ---- the active solver's trapped AOUP through the general call
def test_trapped_aoup_full_state_exact_samples():
    """Three independent trapped AOUPs as one 12-dimensional diffusion z = (x, g),
    D = diag(eps, gamma)."""
    a, v0, gamma, eps, N = 1.0, 1.0, 0.5, 0.1, 3
    M1, D1 = aoup_matrices(a * np.eye(N), v0, gamma, eps)  # one axis: (x_1..x_N, g_1..g_N)
    M, D = np.kron(M1, np.eye(2)), np.kron(D1, np.eye(2))   # both axes
    S = solve_continuous_lyapunov(M, -2 * D)
    Z = np.random.default_rng(7).multivariate_normal(np.zeros(len(M)), 0.5 * (S + S.T), 100_000)
    r = diffusion_epr(Z, lambda z: z @ M.T, np.diag(D))
    exact = N * aoup_trap_epr(a, v0, gamma, eps)["total"]
    assert r.attrs["degree"] == 1  # d = 12 > 10: affine by default
    assert abs(float(r.epr) / exact - 1) < 0.01
    assert abs(float(r.epr) - exact) <= 3 * float(r.epr_error)


def test_active_solver_trapped_aoup_through_the_general_call(tmp_path, repo_root):
    """The solver's own Euler-Maruyama snapshots (dt = 1e-3: bias ~0.1 %): non-interacting,
    so each particle's (x, g) is a sample of one 4-dimensional diffusion."""
    import physim
    p = physim.run(repo_root / "cases" / "active" / "trap_aoup.toml", tmp_path / "t.h5",
                   progress="none", overrides=["system.N=3000"])
    ds = xr.open_dataset(p, engine="h5netcdf").load()
    a, v0, gamma, eps, c = 1.0, 1.0, 0.5, 0.1, float(ds.attrs["L"]) / 2

    def drift(z):
        return np.concatenate([v0 * z[:, 2:] - a * (z[:, :2] - c), -gamma * z[:, 2:]], axis=1)
    r = entropy_production(ds[["position", "propulsion"]].isel(time=slice(5, None)),
                           drift=drift, diffusion=[eps, eps, gamma, gamma],
                           sample_dims=("time", "particle"))
    exact = aoup_trap_epr(a, v0, gamma, eps)["total"]  # per particle, both axes
    est, err = float(r.epr), float(r.epr_error)
    assert abs(est / exact - 1) < 0.02
    assert abs(est - exact) <= 3 * err
    # the active estimator on the same snapshots (it fits the same affine score)
    act = entropy_production(ds, skip=5)
    assert est == pytest.approx(float(act.epr) / 3000, rel=0.01)


def test_rotating_double_well_unknown_density_against_the_score_free_identity():
    """b = -grad U + w (-y, x): the stationary density is not known; Euler-Maruyama samples
    (numba, dt = 5e-4) and the score-free identity E[b^T D^-1 b + div b] as the reference.
    That identity is the more sensitive to the time step (it weighs the tails of |b|^2): 1.190
    at dt = 2e-3 vs 1.131 at 5e-4 (20000 chains), while the fit moves 1.126 -> 1.119, and
    degree 5 gives the same as 3 (the score is converged in the basis)."""
    numba = pytest.importorskip("numba")
    Lc = np.linalg.cholesky(2 * DN)

    @numba.njit(cache=False)
    def drift(z):
        out = np.empty_like(z)
        for i in range(z.shape[0]):
            x, y = z[i, 0], z[i, 1]
            out[i, 0] = -4 * AW * x * (x * x - 1) - W * y
            out[i, 1] = -KY * y + W * x
        return out

    @numba.njit(cache=False)
    def simulate(chains, snaps, every, burn, dt, seed):
        np.random.seed(seed)
        out = np.empty((snaps, chains, 2))
        sq = np.sqrt(dt)
        for i in range(chains):
            x, y = 0.0, 0.0
            for s in range(-1, snaps):
                for _ in range(int(round((burn if s < 0 else every) / dt))):
                    n0, n1 = np.random.standard_normal(), np.random.standard_normal()
                    bx = -4 * AW * x * (x * x - 1) - W * y
                    by = -KY * y + W * x
                    x += bx * dt + sq * Lc[0, 0] * n0
                    y += by * dt + sq * (Lc[1, 0] * n0 + Lc[1, 1] * n1)
                if s >= 0:
                    out[s, i, 0], out[s, i, 1] = x, y
        return out
    Z = simulate(2000, 30, 0.5, 2.0, 5e-4, 1)  # (time, chain, 2)
    r = diffusion_epr(Z, drift, DN, degree=3, sample_dims=2)
    est, err = float(r.epr), float(r.epr_error)
    free, ferr = float(r.epr_score_free), float(r.epr_score_free_error)
    assert abs(est - free) <= 3 * np.hypot(err, ferr)
    assert est <= free + 3 * np.hypot(err, ferr)  # the fit is a lower bound
    assert est > 0.95 * free


def test_user_features_extend_the_basis():
    """Degree 2 misses the cubic score of the rotated double well; adding x^3 restores it."""
    drift = rotating_double_well()
    exact = double_well_exact()
    X = double_well_samples(100_000, 4)

    def cubic(z):
        grad = np.zeros((len(z), 1, 2))
        grad[:, 0, 0] = 3 * z[:, 0] ** 2
        return z[:, :1] ** 3, grad
    r = diffusion_epr(X, drift, DN, degree=2, features=cubic)
    r3 = diffusion_epr(X, drift, DN, degree=3)
    assert abs(float(r.epr) / exact - 1) < 0.02
    assert float(r.epr) == pytest.approx(float(r3.epr), rel=5e-3)
    assert r.attrs["feature_names"].endswith("user0")


@pytest.mark.parametrize("given", [False, True])
def test_trapped_aoup_noise_on_g_only_noisy_dof(given):
    """epsilon = 0: D = diag(0, 0, gamma, gamma) is singular; Sigma_g = 2 a per particle, and the
    score-free value E[b D^+ b] + 2 E[div P b] - E[div b] = -E[div_x b_x] = 2 a."""
    a, v0, gamma = 1.0, 1.0, 0.5
    M1, D1 = aoup_matrices([[a]], v0, gamma, 0.0)
    M, D = np.kron(M1, np.eye(2)), np.kron(D1, np.eye(2))   # z = (x0, x1, g0, g1)
    S = solve_continuous_lyapunov(M, -2 * D)
    Z = np.random.default_rng(8).multivariate_normal(np.zeros(4), 0.5 * (S + S.T), 100_000)
    kw = dict(divergence=np.full(len(Z), -2 * a - 2 * gamma),
              noisy_divergence=lambda z: np.full(len(z), -2 * gamma)) if given else {}
    r = diffusion_epr(Z, lambda z: z @ M.T, np.diag(D), **kw)
    exact = aoup_trap_epr(a, v0, gamma, 0.0)
    assert r.attrs["convention"] == exact["convention"] == "noisy_dof"
    assert abs(float(r.epr) / exact["total"] - 1) < 0.02
    assert abs(float(r.epr) - exact["total"]) <= 3 * float(r.epr_error)
    assert abs(float(r.epr_score_free) - exact["total"]) <= 3 * float(r.epr_score_free_error)
    assert float(r.epr_dof[0]) == 0 and float(r.epr_dof[1]) == 0
