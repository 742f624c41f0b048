"""Boltzmann collision operators and the homogeneous mixture against exact results."""
import numpy as np
import pytest
import xarray as xr

import physim
from physim.cases import CaseError
from physim.solvers.boltzmann.exact import bkw
from physim.solvers.boltzmann.mixture import (Mixture, maxwell_moment_rates,
                                              maxwell_moment_solution)
from physim.solvers.boltzmann.spectral import CarlemanOperator, CollisionOperator
from physim.solvers.boltzmann.velocity import VelocityGrid


@pytest.mark.parametrize("N, M, bar", [(32, 8, 5e-5), (64, 16, 1e-10)])
def test_bkw_2d_fast_spectral(N, M, bar):
    """Mouhot-Pareschi operator on the 2-D BKW solution at t = 1: Q(f) = df/dt
    (research-note bars; measured 1.7e-5 and 4.2e-12 against max |df/dt| = 0.044)."""
    g = VelocityGrid(2, N, 10.0)
    f, dfdt = bkw(g, 1.0)
    assert np.abs(CarlemanOperator(g, M=M)(f) - dfdt).max() < bar


def test_bkw_2d_general_operator():
    """The general (GHHH) operator, independent quadrature, on the same solution."""
    g = VelocityGrid(2, 64, 10.0)
    f, dfdt = bkw(g, 1.0)
    assert np.abs(CollisionOperator(g, M=32)(f) - dfdt).max() < 1e-10


@pytest.mark.parametrize("N, bar", [(16, 5e-3), (24, 1e-4), (32, 5e-6)])
def test_bkw_3d(N, bar):
    """3-D BKW at t = 6.5 (L = 8, n_rho = N, 72 directions): spectral convergence
    (measured 2.8e-3, 5.2e-5, 2.1e-6 against max |df/dt| = 0.019)."""
    g = VelocityGrid(3, N, 8.0)
    f, dfdt = bkw(g, 6.5)
    assert np.abs(CollisionOperator(g, M=72)(f) - dfdt).max() < bar


def test_hard_spheres_two_operators_agree():
    """3-D hard spheres: the Carleman form (Mouhot-Pareschi) and the general form are
    different quadratures of the same operator; Q of a Maxwellian vanishes."""
    g = VelocityGrid(3, 24, 8.0)
    f = 0.5 * g.maxwellian(1.0, [1.0, 0, 0], 0.6) + 0.5 * g.maxwellian(1.0, [-1.0, 0.3, 0], 0.8)
    q1 = CarlemanOperator(g, gamma=1.0)(f)
    q2 = CollisionOperator(g, gamma=1.0, n_rho=24)(f)
    assert np.abs(q1 - q2).max() < 0.01 * np.abs(q2).max()
    assert np.abs(CarlemanOperator(g, gamma=1.0)(g.maxwellian(1, [0.2, 0, 0], 1.0))).max() < 1e-5


def _two_maxwellians(g, m, n, u, T):
    return [g.maxwellian(ns, us, Ts, ms) for ns, us, Ts, ms in zip(n, u, T, m)]


def test_mixture_moment_rates_match_the_closed_form():
    """Maxwell molecules, masses 1 and 4: du_i/dt and dT_i/dt of the four operators
    against the exact moment equations (research note §4 set-up, in 2-D)."""
    g = VelocityGrid(2, 64, 12.0)
    m, rates, n = (1.0, 4.0), ((1.0, 0.5), (0.5, 1.0)), (1.0, 0.5)
    u, T = np.array([[0.3, 0.0], [-0.05, 0.0]]), (1.0, 2.0)
    fs = _two_maxwellians(g, m, n, u, T)
    mix = Mixture(g, m, 0.0, rates, M=32)
    Q = mix.rhs(fs)
    du, dT = maxwell_moment_rates(2, m, rates, n, u, T)
    v = g.mesh()
    for s in range(2):
        rate_u = (v[0] * Q[s]).sum() * g.dv / n[s]
        # d(n T)/dt with n fixed: T' = m int |v-u|^2 Q / (d n) - 2 m u . u' / d
        c2 = sum((va - ua) ** 2 for va, ua in zip(v, u[s]))
        rate_T = m[s] * (c2 * Q[s]).sum() * g.dv / (2 * n[s])
        assert rate_u == pytest.approx(du[s][0], rel=1e-4)
        assert rate_T == pytest.approx(dT[s], rel=1e-4)


def test_projection_conserves_to_round_off():
    g = VelocityGrid(2, 48, 12.0)
    m = (1.0, 4.0)
    fs = [0.5 * (g.maxwellian(1.0, [0.8, 0], 0.5, 1.0) + g.maxwellian(1.0, [-0.8, 0], 0.5, 1.0)),
          g.maxwellian(0.5, [0, 0.2], 2.0, 4.0)]
    mix = Mixture(g, m, 0.0, ((1.0, 0.5), (0.5, 1.0)), M=24)
    Q = mix.rhs(fs)
    raw = mix.raw_moments
    C = [g.conserved_basis(ms) for ms in m]
    mass = [C[s][0] @ Q[s].ravel() for s in range(2)]
    mom = sum(C[s][1:3] @ Q[s].ravel() for s in range(2))
    energy = sum(C[s][3] @ Q[s].ravel() for s in range(2))
    scale = max(np.abs(q).max() for q in Q) * g.dv * g.N ** 2
    assert max(abs(x) for x in mass + list(mom) + [energy]) < 1e-12 * scale
    assert np.abs(raw).max() > 1e-9 * scale  # the raw operator is conservative only to quadrature


def test_temperature_and_velocity_relaxation_against_the_moment_ode(tmp_path):
    """The full solver (RK4 + projection) from two drifting Maxwellians, Maxwell molecules,
    masses 1 and 4: u_i(t) and T_i(t) against the closed moment equations within 1 %
    of their differences (measured 2.2e-6 and 2.6e-6)."""
    case = {"solver": "boltzmann", "species": {"masses": [1.0, 4.0]},
            "collision": {"gamma": 0.0, "self_rates": 1.0, "cross_rate": 0.5},
            "velocity": {"d": 2, "N": 48, "L": 12.0, "M": 24, "n_rho": 24},
            "initial": {"kind": "maxwellians", "density": [1.0, 0.5], "drift": [0.3, -0.05],
                        "temperature": [1.0, 2.0]},
            "time": {"dt": 0.2, "end": 6.0}, "output": {"every": 2.0}}
    ds = xr.open_dataset(physim.run(case, tmp_path / "mix.h5", progress="none"),
                         engine="h5netcdf").load()
    t = ds.t_step.values
    u_ref, T_ref = maxwell_moment_solution(2, (1.0, 4.0), ((1.0, 0.5), (0.5, 1.0)), (1.0, 0.5),
                                           [[0.3, 0.0], [-0.05, 0.0]], [1.0, 2.0], t)
    dT = np.abs(ds.temperature.values - T_ref).max()
    du = np.abs(ds.velocity.values - u_ref).max()
    assert dT < 0.01 * 1.0 and du < 0.01 * 0.35
    assert dT < 1e-4 and du < 1e-4
    # conservation over the run, and the H-theorem at every step
    n = ds.density.values
    assert np.abs(n - n[0]).max() < 1e-12 * n[0].max()
    rho_u = (ds.density * ds.velocity * xr.DataArray([1.0, 4.0], dims="species")).sum("species")
    assert np.abs(rho_u - rho_u[0]).max() < 1e-12
    assert (np.diff(ds.H_mixture.values) <= 1e-12 * abs(ds.H_mixture.values[0])).all()


def test_bkw_run_through_the_frame(tmp_path, repo_root):
    """The shipped case: max |f - f_BKW(t)| over t in [1, 5] with RK4, dt = 0.05, N = 64
    (measured 1.6e-10); H never increases; T stays 1."""
    ds = xr.open_dataset(physim.run(repo_root / "cases" / "boltzmann" / "bkw_2d.toml",
                                    tmp_path / "bkw.h5", progress="none"),
                         engine="h5netcdf").load()
    assert float(ds.error_bkw.max()) < 1e-9
    H = ds.H.values[:, 0]
    assert (np.diff(H) <= 1e-13).all() and H[-1] < H[0]
    assert np.abs(ds.temperature.values - 1.0).max() < 1e-12
    assert ds.sizes["time"] == 9 and ds.sizes["t_step"] == 81


def test_error_bkw_uses_the_cases_collision_rate(tmp_path, repo_root):
    """At self_rates = 2 the run is the rate-1 run at twice the time (Q is linear in the
    rate): error_bkw, against f_BKW(t0 + 2 (t - t0)), matches the rate-1 run's step for
    step (against f_BKW(t) it was 1.5e-2)."""
    case = repo_root / "cases" / "boltzmann" / "bkw_2d.toml"
    base = ["velocity.N=32", "velocity.M=8", "output.every=0.5"]
    one = physim.open(physim.run(case, tmp_path / "r1.h5", progress="none", overrides=base +
                                 ["time.dt=0.05", "time.end=2.0"]))
    two = physim.open(physim.run(case, tmp_path / "r2.h5", progress="none", overrides=base + [
        "time.dt=0.025", "time.end=1.5", "collision.self_rates=2.0", "output.every=0.25"]))
    assert float(one.error_bkw.max()) < 1e-4
    np.testing.assert_allclose(two.error_bkw.values, one.error_bkw.values, rtol=1e-6,
                               atol=1e-15)


@pytest.mark.parametrize("override, match", [
    ({"species": {"masses": [1.0, 2.0, 3.0]}}, "species.masses"),
    ({"species": {"masses": 1e300}}, r"species.masses: 1e\+300 is out of range; expected a "
     r"number or a list of numbers of length 2 >= 1e-12 and <= 1000000000000.0"),
    ({"species": {"masses": [1.0, 1e300]}}, r"species.masses: 1e\+300 is out of range"),
    ({"velocity": {"d": 4}}, "velocity.d"),
    ({"velocity": {"N": 33}}, "velocity.N"),
    ({"initial": {"kind": "bkw", "t0": 1.0}, "velocity": {"d": 3}}, "initial.t0"),
    ({"collision": {"method": "fast"}}, "collision.method"),
    ({"initial": {"kind": "maxwellians", "density": [1.0, 1.0, 1.0], "temperature": 1.0}},
     "initial.density"),
])
def test_bad_input_is_named(tmp_path, override, match):
    case = {"solver": "boltzmann", "species": {"masses": [1.0, 4.0]},
            "velocity": {"d": 2, "N": 16, "L": 8.0},
            "initial": {"kind": "maxwellians", "density": 1.0, "temperature": 1.0},
            "time": {"dt": 0.1, "end": 1.0}, "output": {"every": 0.5}}
    for sec, vals in override.items():
        case[sec] = {**case.get(sec, {}), **vals}
        if sec == "initial" and vals.get("kind") == "bkw":
            case[sec] = vals
            case["species"] = {"masses": 1.0}
    with pytest.raises(CaseError, match=match):
        physim.run(case, tmp_path / "bad.h5", progress="none")
    assert not (tmp_path / "bad.h5").exists()


def test_krook_wu_mixture_exact_solution():
    """The Krook-Wu exact solution of a 3-D Maxwell mixture (masses 1 and 2) at t = 6.5:
    the four general (GHHH, unequal-mass) operators against df_i/dt, converging with N
    (measured: N = 24: 6.0e-5 / 2.8e-3, N = 32: 1.2e-6 / 1.5e-4 against max |df_i/dt| =
    3.5e-3 / 9.9e-3; L = 9, n_rho = N, M = 32)."""
    from physim.solvers.boltzmann.exact import krook_wu
    g = VelocityGrid(3, 32, 9.0)
    (f1, d1), (f2, d2) = krook_wu(g, 6.5, 2.0)
    mix = Mixture(g, (1.0, 2.0), 0.0, ((1.0, 0.5), (0.5, 1.0)), method="general", M=32)
    Q = mix.rhs([f1, f2], project=False)
    assert np.abs(Q[0] - d1).max() < 2e-6
    assert np.abs(Q[1] - d2).max() < 2e-4
