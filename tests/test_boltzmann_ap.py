"""The disparate-mass truncation and the asymptotic-preserving scheme against exact results."""
import numpy as np
import pytest
import xarray as xr

import physim
from physim.cases import CaseError
from physim.solvers.boltzmann.ap import DisparateMixture
from physim.solvers.boltzmann.disparate import SphericalMean
from physim.solvers.boltzmann.epochal import epochal_timescales
from physim.solvers.boltzmann.mixture import maxwell_moment_rates, maxwell_moment_solution
from physim.solvers.boltzmann.velocity import VelocityGrid


@pytest.mark.parametrize("d, N, bar", [(2, 32, 2e-7), (2, 64, 2e-8), (3, 24, 5e-7)])
def test_spherical_mean_of_a_shifted_maxwellian(d, N, bar):
    """The spectral spherical mean about c of a Maxwellian centred at u, against the closed
    form (d = 3: e^{-(r^2 + a^2)/2} sinh(ra)/(ra); d = 2: e^{-(r^2 + a^2)/2} I0(ra))."""
    from scipy.special import i0e
    g = VelocityGrid(d, N, 8.0)
    u, c = np.zeros(d), np.zeros(d)
    u[0], c[1] = 0.7, 0.1
    fbar = SphericalMean(g)(g.maxwellian(1.0, u, 1.0), c)
    r = np.sqrt(sum((va - ca) ** 2 for va, ca in zip(g.mesh(), c)))
    a = np.linalg.norm(u - c)
    x = r * a
    if d == 3:
        exact = (2 * np.pi) ** -1.5 * np.exp(-(r ** 2 + a ** 2) / 2) * np.sinh(x) / x
    else:
        exact = np.exp(-(r - a) ** 2 / 2) * i0e(x) / (2 * np.pi)
    assert np.abs(fbar - exact).max() < bar


def _rates(mix, fs):
    """(du_x, dT) of each species from the truncated right-hand side."""
    out = []
    for f, q, g, m in zip(fs, mix.rhs(fs), mix.grids, mix.masses):
        e = 1e-7 / np.abs(q).max() * np.abs(f).max()
        n0, u0, T0 = g.moments(f, m)
        n1, u1, T1 = g.moments(f + e * q, m)
        out.append(((u1 - u0)[0] / e, (T1 - T0) / e))
    return out


@pytest.mark.parametrize("eps", [0.5, 0.1, 0.01])
def test_truncated_operators_give_the_maxwell_moment_rates(eps):
    """Maxwell molecules against the exact moment equations, at every eps (the exchange
    terms carry the exact reduced-mass factors): (a) equal drifts, T_L = 1 < T_H = 2: the
    temperature exchange of both species; (b) the light drifting at 0.3, equal temperatures:
    the momentum exchange and the frictional heating of both species (the heavy's share,
    m_L / (m_L + m_H) of it, moved to the heavy)."""
    mix = DisparateMixture(2, 32, 8.0, eps, L_heavy=eps * 8.0 * np.sqrt(2))
    gL, gH = mix.grids
    for u, T in (([0.0, 0.0], (1.0, 2.0)), ([0.3, 0.0], (1.0, 1.0))):
        u = np.array(u)
        fs = [gL.maxwellian(1.0, u, T[0], mix.m_L), gH.maxwellian(1.0, [0.0, 0.0], T[1], mix.m_H)]
        du, dT = maxwell_moment_rates(2, mix.masses, [[1, 1], [1, 1]], [1, 1], [u, [0, 0]], T)
        for s, (rate_u, rate_T) in enumerate(_rates(mix, fs)):
            if u[0]:
                assert rate_u == pytest.approx(du[s][0], rel=1e-3)
            # the heavy's frictional heating: 2.6e-3 (its spectral drift about a shifted centre)
            assert rate_T == pytest.approx(dT[s], rel=5e-3 if s and u[0] else 2e-3)


def test_ap_relaxation_matches_the_exact_moment_equations_at_finite_eps():
    """The AP run (40 steps, as at any eps) against the exact Maxwell-molecule moment ODE at
    eps = 0.35, which was not used in tuning: T_L - T_H and u_L - u_H within 2 % of their
    initial values (measured 1e-3; the leading-order factors gave 8.4 % and 4.3 %)."""
    eps = 0.35
    mix = DisparateMixture(2, 32, 8.0, eps, L_heavy=8 * eps * np.sqrt(2))
    gL, gH = mix.grids
    kappa = 4 * eps ** 2 / (1 + eps ** 2) ** 2
    for (u0, T0, end, col, x0) in (((0.0, 0.0), (1.0, 2.0), 2 / kappa, 1, -1.0),
                                    ((0.3, 0.0), (1.0, 1.0), 2.0, 0, 0.3)):
        fs = [gL.maxwellian(1.0, u0, T0[0], mix.m_L), gH.maxwellian(1.0, [0, 0], T0[1], mix.m_H)]
        dt, rows = end / 40, []
        for _ in range(40):
            fs = mix.step(fs, dt)
            (_, uL, TL), (_, uH, TH) = (g.moments(f, m) for g, f, m in
                                         zip(mix.grids, fs, mix.masses))
            rows.append((uL[0] - uH[0], TL - TH))
        t = dt * np.arange(1, 41)
        u, T = maxwell_moment_solution(2, mix.masses, [[1, 1], [1, 1]], [1, 1],
                                       [u0, [0, 0]], T0, np.r_[0.0, t])
        exact = np.stack([u[1:, 0, 0] - u[1:, 1, 0], T[1:, 0] - T[1:, 1]], axis=1)
        assert np.abs(np.array(rows)[:, col] - exact[:, col]).max() < 0.02 * abs(x0)


@pytest.mark.parametrize("eps", [0.5, 0.01])
def test_hard_sphere_exchange_rate(eps):
    """3-D hard spheres (B = b|q|): the temperature rates of the truncated model against the
    two-Maxwellian ODE dT_i/dt = -(64/3) sqrt(2 pi) b mu_ij n_j sqrt(T_i/m_i + T_j/m_j)
    (T_i - T_j), mu_ij = m_i m_j / (m_i + m_j)^2 (research note §4); at eps = 0.5 the
    reduced-mass and thermal factors matter (1.28 and 1.22 times the leading order)."""
    rate = 1.0
    b = rate / (4 * np.pi)
    mix = DisparateMixture(3, 24, 8.0, eps, gamma=1.0, L_heavy=eps * 8.0 * np.sqrt(2))
    gL, gH = mix.grids
    fs = [gL.maxwellian(1.0, [0, 0, 0], 1.0, mix.m_L), gH.maxwellian(1.0, [0, 0, 0], 2.0, mix.m_H)]
    m, T = mix.masses, (1.0, 2.0)
    mu = m[0] * m[1] / (m[0] + m[1]) ** 2
    root = np.sqrt(T[0] / m[0] + T[1] / m[1])
    exact = [-(64 / 3) * np.sqrt(2 * np.pi) * b * mu * root * (T[0] - T[1]),
             -(64 / 3) * np.sqrt(2 * np.pi) * b * mu * root * (T[1] - T[0])]
    for (_, rate_T), want in zip(_rates(mix, fs), exact):
        assert rate_T == pytest.approx(want, rel=5e-3)


def _relax(eps, dtau, taus=0.4, N=32):
    """Bimodal light (T = 1) against a heavy Maxwellian at T = 2, Maxwell molecules, to tau = 0.4."""
    mix = DisparateMixture(2, N, 8.0, eps, L_heavy=eps * 8.0 * np.sqrt(2))
    gL, gH = mix.grids
    u = np.array([1.0, 0.0])
    fs = [0.5 * (gL.maxwellian(1.0, u, 0.5) + gL.maxwellian(1.0, -u, 0.5)),
          gH.maxwellian(1.0, [0.0, 0.0], 2.0, mix.m_H)]

    def totals(fs):
        P = sum(mix._momentum(s, f) for s, f in enumerate(fs))
        E = sum(0.5 * ms * ((g.mesh() ** 2).sum(0) * f).sum() * g.dv
                for f, g, ms in zip(fs, mix.grids, mix.masses))
        return P, E
    P0, E0 = totals(fs)
    dt, rows = dtau / eps ** 2, []
    for k in range(int(round(taus / dtau))):
        fs = mix.step(fs, dt)
        rows.append((gL.moments(fs[0])[2], gH.moments(fs[1], mix.m_H)[2]))
    P, E = totals(fs)
    t = dt * np.arange(1, len(rows) + 1)
    kappa = 2 * mix.m_L * mix.m_H * 2.0 / (mix.m_L + mix.m_H) ** 2
    T = np.array(rows)
    dev = [np.abs(f - g.maxwellian(*g.moments(f, ms), ms)).max() / f.max()
           for f, g, ms in zip(fs, mix.grids, mix.masses)]
    return T, -np.exp(-kappa * t), (np.abs(P - P0).max(), abs(E - E0) / E0), dev


def test_ap_scheme_is_uniform_in_eps_and_first_order():
    """A fixed step in tau = eps^2 t for eps = 0.1, 1e-3, 1e-6: stable, conservative, the
    same limit for the two small eps, and T_L - T_H against e^{-kappa t} within the
    first-order time error (measured 5.6e-3 / 1.85e-3 / 1.85e-3 at dtau = 0.02, 8.4e-4 at
    dtau = 0.01; at eps = 0.1 the truncation's O(eps^2) part does not fall with dtau)."""
    runs = {eps: _relax(eps, 0.02) for eps in (0.1, 1e-3, 1e-6)}
    for eps, (T, exact, (dP, dE), dev) in runs.items():
        assert np.isfinite(T).all()
        assert dE < 1e-10 and dP < 1e-8
        assert np.abs(T[:, 0] - T[:, 1] - exact).max() < (0.01 if eps == 0.1 else 0.004)
        assert max(dev) < 1e-3  # both species Maxwellian after the fast stages
    assert np.abs(runs[1e-3][0] - runs[1e-6][0]).max() < 1e-6
    T, exact, _, _ = _relax(1e-6, 0.01)
    err_half = np.abs(T[:, 0] - T[:, 1] - exact).max()
    err = np.abs(runs[1e-6][0][:, 0] - runs[1e-6][0][:, 1] - runs[1e-6][1]).max()
    assert 1.6 < err / err_half < 2.4


def test_ap_case_runs_through_the_frame(tmp_path):
    case = {"solver": "boltzmann", "species": {"masses": [1.0, 1e6]},
            "velocity": {"d": 2, "N": 32, "L": 8.0}, "scheme": {"kind": "ap"},
            "initial": {"kind": "bimodal", "density": [1.0, 1.0], "drift": [1.0, 0.0],
                        "temperature": [0.5, 2.0]},
            "time": {"dt": 2e4, "end": 4e5}, "output": {"every": 1e5},
            # beams of T = 0.5 at +-1 on L = 8: f at R/2 is 7e-4 of its maximum
            "numerics": {"support_tolerance": 1e-2}}
    ds = xr.open_dataset(physim.run(case, tmp_path / "ap.h5", progress="none"),
                         engine="h5netcdf").load()
    assert ds.f_heavy.shape == (5, 32, 32)
    assert float(ds.heavy_vx.max()) < 0.02  # the heavy grid is eps sqrt(2) L wide
    m = xr.DataArray([1.0, 1e6], dims="species")
    E = (ds.density * (ds.temperature + m * (ds.velocity ** 2).sum("component") / 2)).sum("species")
    assert np.abs(E - E[0]).max() < 1e-10
    assert (np.diff(ds.H_mixture.values) <= 1e-10).all()
    case["species"]["masses"] = [1.0, 2.0]
    with pytest.raises(CaseError, match="scheme.kind = 'ap'"):
        physim.run(case, tmp_path / "bad.h5", progress="none")


def test_epochal_relaxation_three_stages(tmp_path, repo_root):
    """The shipped hard-sphere cases at eps = 0.03 and 0.01 (AP scheme, growing steps):
    the three stages at their time scales. Measured (observed / theory):
    light drift 0.540 / 0.505 and 0.541 / 0.506; heavy anisotropy 17.7 / 16.4 and
    56.3 / 48.5 (theory: the first Chapman-Enskog viscosity, an estimate for hard spheres);
    temperatures 132 / 127 and 1188 / 1145."""
    from physim.solvers.boltzmann.epochal import epochal_timescales
    r = {}
    for tag, eps in (("0p03", 0.03), ("0p01", 0.01)):
        out = physim.run(repo_root / "cases" / "boltzmann" / f"epochal_eps{tag}.toml",
                         tmp_path / f"{tag}.h5", progress="none")
        with xr.open_dataset(out, engine="h5netcdf") as ds:
            r[eps] = epochal_timescales(ds.load())
    for eps, s in r.items():
        assert s["light_drift"]["observed"] == pytest.approx(s["light_drift"]["theory"], rel=0.1)
        assert s["heavy_anisotropy"]["observed"] == pytest.approx(
            s["heavy_anisotropy"]["theory"], rel=0.25)
        assert s["temperature"]["observed"] == pytest.approx(s["temperature"]["theory"],
                                                             rel=0.06)
    a, b = r[0.03], r[0.01]
    # the scalings: stage 1 ~ 1, stage 2 ~ 1/eps, stage 3 ~ 1/eps^2
    assert a["light_drift"]["observed"] == pytest.approx(b["light_drift"]["observed"], rel=0.03)
    assert 0.03 * a["heavy_anisotropy"]["observed"] == pytest.approx(
        0.01 * b["heavy_anisotropy"]["observed"], rel=0.1)
    assert 0.03 ** 2 * a["temperature"]["observed"] == pytest.approx(
        0.01 ** 2 * b["temperature"]["observed"], rel=0.03)


def test_epochal_heavy_maxwellisation_converges_to_the_exact_rate(tmp_path, repo_root):
    """2-D Maxwell molecules (the eps = 0.1 case with gamma = 0): the heavy anisotropy decays
    at exactly n_H rate / 2, and the observed stage-2 time converges to it at first order in
    the step (growth - 1 halved: 2.315 -> 2.139; extrapolated 1.97 against 2; the rest of
    the 16 % at 4 % growth is the penalised step's error, not a second exponential); stage 1
    is exact at every step."""
    case = physim.Case(repo_root / "cases" / "boltzmann" / "epochal_eps0p1.toml").with_(
        overrides=["collision.gamma=0.0", "velocity.d=2", "time.end=20.0"])
    r = []
    for k in (1, 2):
        out = physim.run(case.with_(overrides=[f"time.growth={1 + 0.04 / k}",
                                               f"output.steps={40 * k}"]),
                         tmp_path / f"m{k}.h5", progress="none")
        with xr.open_dataset(out, engine="h5netcdf") as ds:
            r.append(epochal_timescales(ds.load()))
    s1, s2 = (x["heavy_anisotropy"]["observed"] for x in r)
    assert r[0]["heavy_anisotropy"]["theory"] == pytest.approx(2.0, rel=1e-12)
    assert 1.7 < (s1 - 2.0) / (s2 - 2.0) < 2.3
    assert 2 * s2 - s1 == pytest.approx(2.0, rel=0.03)
    for x in r:
        assert x["light_drift"]["observed"] == pytest.approx(x["light_drift"]["theory"], rel=2e-3)
