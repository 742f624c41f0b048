"""Entropies of |ψ|² and of its spectrum against closed forms and the seed paper's numbers."""
import numpy as np
import pytest
import xarray as xr

from physim.analysis import (density_entropies, entropies, renyi, shannon, spectral_entropies,
                             tsallis)

L, N = 50.0, 512
DX = L / N
X = -L / 2 + DX * np.arange(N)


def soliton(x, t, eta=2.0, v=1.0, x0=-10.0):
    """Exact soliton of i ψ_t + ½ ψ_xx + |ψ|² ψ = 0 (β = ½, γ = 1)."""
    return eta / np.cosh(eta * (x - x0 - v * t)) * np.exp(1j * (v * x + 0.5 * (eta**2 - v**2) * t))


def soliton_dataset(times, eta=2.0, v=1.0, x0=-10.0):
    t = np.asarray(times, dtype=float)
    psi = soliton(X[None, :], t[:, None], eta, v, x0)
    ones = np.ones_like(t)
    return xr.Dataset(
        {"psi": (("time", "x"), psi), "mass": ("time", 2 * eta * ones),
         "momentum": ("time", 2 * eta * v * ones), "energy": ("time", (eta * v**2 - eta**3 / 3) * ones)},
        coords={"time": ("time", t, {"units": "1", "long_name": "time"}),
                "x": ("x", X, {"units": "1"})},
        attrs={"solver": "nlse", "L": L, "N": N, "beta": 0.5, "gamma": 1.0})


# -- continuum closed forms -------------------------------------------------------------
@pytest.mark.parametrize("eta", [1.0, 1.5, 2.0])  # resolved: k_Nyq = 32 > v + 12η
def test_soliton_density_closed_forms(eta):
    # x0 = 0 is a grid point, so max ρ on the grid is the true maximum (needed for R_∞)
    rho = np.abs(soliton(X, 0.0, eta=eta, v=1.0, x0=0.0)) ** 2
    assert abs(shannon(rho, DX) - (2 - np.log(2 * eta))) < 1e-12
    assert abs(renyi(rho, 2, DX) + np.log(eta / 3)) < 1e-12
    assert abs(renyi(rho, np.inf, DX) + np.log(eta / 2)) < 1e-12
    assert abs(tsallis(rho, 2, DX) - (1 - eta / 3)) < 1e-12


def test_soliton_off_grid_centre():
    rho = np.abs(soliton(X, 0.0)) ** 2  # x0 = −10 lies between grid points
    assert abs(shannon(rho, DX) - (2 - np.log(4))) < 1e-12
    assert abs(renyi(rho, 2, DX) + np.log(2 / 3)) < 1e-12


def test_soliton_spectral_closed_forms():
    # |ψ̂| ∝ sech(π(k − v)/2η): ρ(k) has the soliton shape with η → a = π/(2η);
    # v = 0 puts the spectral peak on the k grid
    eta = 2.0
    a = np.pi / (2 * eta)
    res = spectral_entropies(soliton(X, 0.0, eta=eta, v=0.0, x0=0.0), dx=DX,
                             alphas=(2.0, np.inf), qs=(2.0,))
    assert abs(res.shannon.item() - (2 - np.log(2 * a))) < 1e-12
    assert abs(res.renyi.sel(alpha=2.0).item() + np.log(a / 3)) < 1e-12
    assert abs(res.renyi.sel(alpha=np.inf).item() + np.log(a / 2)) < 1e-12
    assert abs(res.tsallis.sel(q=2.0).item() - (1 - a / 3)) < 1e-12


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.9, 1.1, 2.0, 7.0, 60.0])
def test_gaussian_renyi_tsallis_all_orders(alpha):
    # ρ Gaussian of variance s²: R_α = ½ ln(2πs²) + ln α/(2(α−1)), ∫ρ^q = (2πs²)^((1−q)/2)/√q
    s = 1.3
    rho = np.exp(-X**2 / (2 * s**2))
    expect_r = 0.5 * np.log(2 * np.pi * s**2) + np.log(alpha) / (2 * (alpha - 1))
    moment = (2 * np.pi * s**2) ** ((1 - alpha) / 2) / np.sqrt(alpha)
    assert abs(renyi(rho, alpha, DX) - expect_r) < 1e-12
    assert abs(tsallis(rho, alpha, DX) - (1 - moment) / (alpha - 1)) < 1e-12
    assert abs(shannon(rho, DX) - 0.5 * np.log(2 * np.pi * np.e * s**2)) < 1e-12


# -- the seed paper's discrete numbers ------------------------------------------------------
def test_seed_discrete_values():
    ds = soliton_dataset([0.0])
    res = density_entropies(ds, kind="discrete").isel(time=0)
    assert round(res.shannon.item(), 4) == 2.9400
    assert round(res.renyi.sel(alpha=2.0).item(), 4) == 2.7318
    assert round(res.tsallis.sel(q=2.0).item(), 4) == 0.9349
    assert round(res.tsallis.sel(q=0.5).item(), 4) == 8.0531
    # the closed forms behind them (notes §1.4): Σp² = dx η/3, Σ√p = π/√(2η dx)
    assert abs(res.tsallis.sel(q=2.0).item() - (1 - DX * 2 / 3)) < 1e-12
    assert abs(res.tsallis.sel(q=0.5).item() - 2 * (np.pi / np.sqrt(4 * DX) - 1)) < 1e-10


def test_discrete_is_continuum_minus_ln_d():
    ds = soliton_dataset([0.0, 3.0])
    cont = density_entropies(ds, alphas=(0.5, 2.0, np.inf), qs=(0.5, 2.0))
    disc = density_entropies(ds, alphas=(0.5, 2.0, np.inf), qs=(0.5, 2.0), kind="discrete")
    np.testing.assert_allclose(disc.shannon, cont.shannon - np.log(DX), atol=1e-12)
    np.testing.assert_allclose(disc.renyi, cont.renyi - np.log(DX), atol=1e-12)
    for q in (0.5, 2.0):  # Σ p^q = d^(q−1) ∫ρ^q
        m_cont = 1 - (q - 1) * cont.tsallis.sel(q=q)
        m_disc = 1 - (q - 1) * disc.tsallis.sel(q=q)
        np.testing.assert_allclose(m_disc, DX ** (q - 1) * m_cont, rtol=1e-12)


# -- time invariance and xarray layout -----------------------------------------------------
def test_time_invariance_and_layout():
    ds = soliton_dataset(np.linspace(0, 20, 9))  # the soliton travels from x = −10 to +10
    res = entropies(ds, alphas=(0.5, 2.0), qs=(0.5, 2.0))
    assert set(res.data_vars) == {f"{p}_{n}" for p in ("density", "spectral")
                                  for n in ("shannon", "renyi", "tsallis")}
    assert res.density_renyi.dims == ("alpha", "time")
    assert res.spectral_tsallis.dims == ("q", "time")
    assert res.density_shannon.attrs["units"] == "nats"
    assert "convention" in res.density_shannon.attrs and res.alpha.attrs["units"] == "1"
    for name, var in res.data_vars.items():
        spread = (var.max("time") - var.min("time")).values
        if name.startswith("spectral_") and var.ndim == 2:
            # order 0.5 weighs the spectral tail, which is ~5e-11 of the peak at k_Nyq here
            # and aliases differently as the soliton moves off grid points (notes §2.1)
            tol = np.where(var[var.dims[0]].values < 1, 5e-10, 1e-12)
        else:
            tol = 1e-12
        assert np.all(spread < tol), (name, spread)
    assert abs(res.density_shannon[-1].item() - (2 - np.log(4))) < 1e-12


def test_input_types_agree():
    ds = soliton_dataset([0.0, 1.0])
    a = density_entropies(ds)
    b = density_entropies(ds.psi)
    c = density_entropies(ds.psi.values, dx=DX)
    d = density_entropies(ds.psi.isel(time=1))
    xr.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a.renyi.values, c.renyi.values, rtol=1e-14)
    assert d.shannon.ndim == 0 and abs(d.shannon.item() - a.shannon[1].item()) < 1e-14
    with pytest.raises(ValueError, match="dx"):
        density_entropies(ds.psi.values)


# -- limits, special orders, vectorisation ----------------------------------------------------
def test_order_one_limits():
    rho = np.abs(soliton(X, 0.0)) ** 2
    s = shannon(rho, DX)
    assert renyi(rho, 1.0, DX) == s and tsallis(rho, 1.0, DX) == s
    for eps in (1e-3, 1e-6, 1e-10):
        # first order: R_{1±ε} − S = ∓(ε/2) Var(ln ρ); no cancellation down to ε = 1e-10
        assert abs(renyi(rho, 1 + eps, DX) - s) < 2 * eps
        assert abs(renyi(rho, 1 - eps, DX) - s) < 2 * eps
        assert abs(tsallis(rho, 1 + eps, DX) - s) < 2 * eps
    # the two evaluation paths agree across their switch at |α − 1| = 0.25
    assert abs(renyi(rho, 0.75 - 1e-12, DX) - renyi(rho, 0.75 + 1e-12, DX)) < 1e-11
    assert abs(tsallis(rho, 1.25 - 1e-12, DX) - tsallis(rho, 1.25 + 1e-12, DX)) < 1e-11


def test_order_zero_support_and_floor():
    rho = np.zeros(N)
    rho[100:164] = 1.0
    assert abs(renyi(rho, 0, DX) - np.log(64 * DX)) < 1e-14
    assert abs(tsallis(rho, 0, DX) - (64 * DX - 1)) < 1e-14
    # a uniform density has all Rényi entropies equal to ln |support|
    for a in (0.5, 2.0, np.inf):
        assert abs(renyi(rho, a, DX) - np.log(64 * DX)) < 1e-13
    rho[0] = 1e-20  # round-off-sized tail: counts unless floored
    assert abs(renyi(rho, 0, DX) - np.log(65 * DX)) < 1e-14
    assert abs(renyi(rho, 0, DX, floor=1e-15) - np.log(64 * DX)) < 1e-14


def test_vectorised_over_other_axes():
    rho = np.abs(soliton(X[None, :], np.array([[0.0], [2.0], [5.0]]), eta=1.5)) ** 2
    row = np.array([renyi(r, 2.0, DX) for r in rho])
    np.testing.assert_allclose(renyi(rho, 2.0, DX), row, rtol=1e-14)
    np.testing.assert_allclose(tsallis(rho.T, 0.5, DX, axis=0),
                               [tsallis(r, 0.5, DX) for r in rho], rtol=1e-14)


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [-0.5, -1, float("nan")])
def test_negative_orders_rejected(bad):
    rho = np.ones(8)
    with pytest.raises(ValueError, match=f"alpha={bad!r}"):
        renyi(rho, bad, 1.0)
    with pytest.raises(ValueError, match=f"q={bad!r}"):
        tsallis(rho, bad, 1.0)
    with pytest.raises(ValueError, match=f"alpha={bad!r}"):
        density_entropies(soliton_dataset([0.0]), alphas=(2.0, bad))
    with pytest.raises(ValueError, match=f"q={bad!r}"):
        spectral_entropies(soliton_dataset([0.0]), qs=(bad,))


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="q=inf"):
        tsallis(np.ones(4), np.inf, 1.0)
    with pytest.raises(ValueError, match="negative"):
        shannon(np.array([1.0, -1.0]), 1.0)
    with pytest.raises(ValueError, match="kind='bogus'"):
        density_entropies(soliton_dataset([0.0]), kind="bogus")
    with pytest.raises(KeyError, match="nope"):
        density_entropies(soliton_dataset([0.0]), var="nope")


def test_two_and_three_d_entropies_are_over_the_plane_and_volume():
    """A Gaussian |psi|^2 of variance s^2 per axis: S = (d/2) ln(2 pi e s^2) exactly (the
    grid resolves it); the old default took x-lines of the plane one at a time."""
    from physim.analysis import entropies
    for d in (2, 3):
        n, L, w = 48, 16.0, 1.3
        x = -L / 2 + L / n * np.arange(n)
        grids = np.meshgrid(*([x] * d), indexing="ij")
        psi = np.exp(-sum(g ** 2 for g in grids) / (2 * w * w)) + 0j
        dims = ("x", "y", "z")[:d]
        ds = xr.Dataset({"psi": (("time",) + dims, psi[None])},
                        coords={"time": [0.0], **{k: x for k in dims}})
        e = entropies(ds)
        assert e.density_shannon.dims == ("time",)
        exact = d / 2 * np.log(2 * np.pi * np.e * w * w / 2)
        assert abs(float(e.density_shannon[0]) - exact) < 1e-10
        # |psi_hat|^2 is Gaussian too, of variance 1/(2 w^2) per axis in k
        exact_k = d / 2 * np.log(np.pi * np.e / w ** 2)
        assert abs(float(e.spectral_shannon[0]) - exact_k) < 1e-10
