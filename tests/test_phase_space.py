"""Wigner distribution: marginals, the analytic Gaussian, layout and time selection."""
import numpy as np
import pytest
import scipy.fft as sfft
import xarray as xr

from physim.analysis import wigner, wigner_marginals

L, N = 50.0, 512
DX = L / N
X = -L / 2 + DX * np.arange(N)


def soliton(x, t, eta=2.0, v=1.0, x0=-10.0):
    """Exact soliton of i ψ_t + ½ ψ_xx + |ψ|² ψ = 0 (β = ½, γ = 1)."""
    return eta / np.cosh(eta * (x - x0 - v * t)) * np.exp(1j * (v * x + 0.5 * (eta**2 - v**2) * t))


def soliton_dataset(times):
    t = np.asarray(times, dtype=float)
    return xr.Dataset({"psi": (("time", "x"), soliton(X[None, :], t[:, None]))},
                      coords={"time": t, "x": X}, attrs={"solver": "nlse", "L": L, "N": N})


def test_soliton_marginals_open():
    psi = soliton(X, 0.0)
    w = wigner(psi, dx=DX)
    over_k, over_x = wigner_marginals(w)
    # ∫W dk = |ψ|²: the even rows of the 2× grid are the data points
    assert np.abs(over_k.values[::2] - np.abs(psi) ** 2).max() < 1e-10
    # ∫W dx = |ψ̃(k)|² = dx²|fft(ψ, 2N)|²/2π at every k = mπ/L ...
    spec = sfft.fftshift(DX**2 * np.abs(sfft.fft(psi, 2 * N)) ** 2 / (2 * np.pi))
    assert np.abs(over_x.values - spec).max() < 1e-10
    # ... which on the FFT grid (even m) is dx²|ψ̂|²/2π with ψ̂ = fft(ψ)
    coarse = sfft.fftshift(DX**2 * np.abs(sfft.fft(psi)) ** 2 / (2 * np.pi))
    assert np.abs(over_x.values[::2] - coarse).max() < 1e-10
    # total: Σ W h Δk = mass = 2η
    assert abs(float(over_x.sum()) * (np.pi / L) - 4.0) < 1e-10


def test_soliton_marginals_periodic_exact():
    psi = soliton(X, 0.0, x0=20.0)  # straddles nothing special: periodic is exact anyway
    w = wigner(psi, dx=DX, boundary="periodic")
    over_k, over_x = wigner_marginals(w)
    assert np.abs(over_k.values[::2] - np.abs(psi) ** 2).max() < 1e-12
    coarse = sfft.fftshift(DX**2 * np.abs(sfft.fft(psi)) ** 2 / np.pi)
    coarse[0] /= 2  # the Nyquist mode is split between ±k_Nyq, which fold onto one cell
    assert np.abs(over_x.values[::2] - coarse).max() < 1e-12
    assert np.abs(over_x.values[1::2]).max() < 1e-12


@pytest.mark.parametrize("x0,k0,sigma", [(0.3, 2.0, 1.0), (-4.1, -3.0, 1.4)])
def test_gaussian_matches_analytic(x0, k0, sigma):
    length, n = 40.0, 256
    dx = length / n
    x = -length / 2 + dx * np.arange(n)
    psi = (np.pi * sigma**2) ** -0.25 * np.exp(-(x - x0) ** 2 / (2 * sigma**2) + 1j * k0 * x)
    w = wigner(psi, dx=dx)
    xx, kk = np.meshgrid(w.x, w.k, indexing="ij")
    exact = np.exp(-(xx - x0) ** 2 / sigma**2 - sigma**2 * (kk - k0) ** 2) / np.pi
    assert w.dtype == np.float64
    assert np.abs(w.values - exact).max() < 1e-8


def test_periodic_ghost_at_antipode():
    # documented behaviour: on a circle a packet at x0 interferes with itself at x0 + L/2
    length, n, sigma = 40.0, 256, 1.0
    dx = length / n
    x = -length / 2 + dx * np.arange(n)
    psi = (np.pi * sigma**2) ** -0.25 * np.exp(-x**2 / (2 * sigma**2))
    w = wigner(psi, dx=dx, boundary="periodic")
    xx, kk = np.meshgrid(w.x, w.k, indexing="ij")
    exact = np.exp(-xx**2 / sigma**2 - sigma**2 * kk**2) / np.pi
    near = np.abs(w.x.values) < length / 4
    assert np.abs(w.values - exact)[near].max() < 1e-8
    assert np.abs(w.values - exact)[~near].max() > 0.1


def test_plane_wave_periodic_is_a_delta():
    m0 = 5
    k0 = 2 * np.pi * m0 / L
    w = wigner(np.exp(1j * k0 * X), dx=DX, boundary="periodic")
    expect = np.where(np.isclose(w.k.values, k0), L / np.pi, 0.0)  # 1/Δk in the k0 cell
    assert np.abs(w.values - expect[None, :]).max() < 1e-9


def test_layout_and_coordinates():
    w = wigner(soliton(X, 0.0), dx=DX)
    assert w.dims == ("x", "k") and w.shape == (2 * N, 2 * N)
    np.testing.assert_allclose(np.diff(w.k), np.pi / L, rtol=1e-12)
    np.testing.assert_allclose(np.diff(w.x), DX / 2, rtol=1e-12)
    assert w.k[0] == -np.pi / DX and w.x[0] == -L / 2
    assert w.attrs["boundary"] == "open"


def test_time_selection():
    ds = soliton_dataset([0.0, 1.0, 2.0])
    one = wigner(ds, time=1.1)  # nearest snapshot
    assert one.dims == ("x", "k") and float(one.time) == 1.0
    two = wigner(ds, time=[0.0, 2.0])
    assert two.dims == ("time", "x", "k") and list(two.time.values) == [0.0, 2.0]
    xr.testing.assert_allclose(two.isel(time=1), wigner(ds.psi.isel(time=2)))
    assert wigner(ds).sizes["time"] == 3
    # a moving soliton's W is translated: the k-marginal is unchanged
    np.testing.assert_allclose(two.isel(time=0).sum("x"), two.isel(time=1).sum("x"), atol=1e-9)


def test_bad_inputs():
    with pytest.raises(ValueError, match="boundary='wrap'"):
        wigner(soliton(X, 0.0), dx=DX, boundary="wrap")
    with pytest.raises(ValueError, match="dx"):
        wigner(soliton(X, 0.0))
    with pytest.raises(ValueError, match="no time dimension"):
        wigner(soliton(X, 0.0), dx=DX, time=0.0)
