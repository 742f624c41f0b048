"""The Boltzmann solver in one space dimension: transport, the Euler limit, conservation,
the H-theorem, rank-count independence, restart and named errors."""
import tomllib
from pathlib import Path

import numpy as np
import pytest

import physim
from physim.cases import CaseError
from physim.parallel import SerialComm, run_ranks
from physim.runner import load
from physim.solvers.boltzmann.riemann import euler_riemann, star_state
from physim.solvers.boltzmann.simulation import LayoutError, Simulation
from physim.solvers.boltzmann.transport import Streaming


@pytest.mark.parametrize("limiter, order", [("vanleer", 1.9), ("mc", 1.9), ("minmod", 1.5),
                                            ("upwind", 0.85)])
def test_free_streaming_against_the_exact_translation(limiter, order):
    """f(x - v t) on a periodic domain, three speeds (one negative, one zero), t = 1:
    the observed order between 128 and 256 cells (measured 2.08, 2.14, 1.85, 0.96)."""
    errs = []
    for n in (128, 256):
        dx = 1 / n
        x = (np.arange(n) + 0.5) * dx
        vx = np.array([-1.3, 0.0, 0.7])
        s = Streaming(SerialComm(), dx, vx, 1, "periodic", limiter)
        f = np.exp(np.sin(2 * np.pi * x))[:, None] * np.ones(3)
        steps = int(np.ceil(1 / (0.8 * s.max_step())))
        for _ in range(steps):
            f = s(f, 1 / steps)
        exact = np.stack([np.exp(np.sin(2 * np.pi * (x - v))) for v in vx], 1)
        errs.append(np.abs(f - exact).mean())
    assert np.log2(errs[0] / errs[1]) > order


def test_streaming_refuses_a_step_beyond_the_courant_limit():
    s = Streaming(SerialComm(), 0.1, np.array([-2.0, 1.0]), 1)
    with pytest.raises(ValueError, match="Courant limit 0.05"):
        s(np.ones((8, 2)), 0.06)


def test_exact_riemann_solver_reproduces_toro():
    """Toro's tests 1-3 (gamma = 1.4; Riemann Solvers, table 4.2): p*, u*."""
    for left, right, p, u in [((1, 0, 1), (0.125, 0, 0.1), 0.30313, 0.92745),
                              ((1, -2, 0.4), (1, 2, 0.4), 0.00189, 0.0),
                              ((1, 0, 1000), (1, 0, 0.01), 460.894, 19.5975)]:
        ps, us = star_state(left, right, 1.4)
        assert ps == pytest.approx(p, rel=2e-4, abs=1e-5) and us == pytest.approx(u, abs=1e-4)
    rho, _, _ = euler_riemann([0.69, 0.8], 0.25, (1, 0, 1), (0.125, 0, 0.1), 1.4, 0.5)
    assert rho == pytest.approx([0.42632, 0.26557], rel=1e-4)  # both sides of the contact


def test_sod_shock_tube_reaches_the_euler_solution(tmp_path, repo_root):
    """Rate 1e6 (mean free path << dx), penalised collisions, 100 cells: the moments
    against the exact Euler solution with gamma = 2 (2-D velocities). Measured L1: rho
    0.0169, p 0.0105 (0.0105 / 0.0066 at the case's 200 cells); between the contact and
    the shock p within 1.02 % and u within 0.012 of the plateau; the totals, with outflow
    ends, within 1e-7 (measured 7e-9)."""
    out = physim.run(repo_root / "cases/boltzmann/sod_1d.toml", tmp_path / "sod.h5",
                     overrides=["space.cells=100", "time.dt=0.001", "output.every=0.15"],
                     progress="none")
    ds = physim.open(out)
    x, t = ds.x.values, 0.15
    n, T = ds.density.values[-1, :, 0], ds.temperature.values[-1, :, 0]
    u = ds.velocity.values[-1, :, 0, 0]
    rho, ue, p = euler_riemann(x, t, (1, 0, 1), (0.125, 0, 0.1), 2.0, 0.5)
    assert np.abs(n - rho).mean() < 0.02 and np.abs(n * T - p).mean() < 0.013
    plateau = (x > 0.68) & (x < 0.74)  # between the contact and the shock
    assert np.abs(n * T - p)[plateau].max() < 0.015 * p[plateau].max()
    assert np.abs(u - ue)[plateau].max() < 0.015
    assert np.abs(ds.energy.values / ds.energy.values[0] - 1).max() < 1e-7
    from physim.solvers.boltzmann.report import report
    report = report(ds.load())
    assert "Euler limit (gamma = 2)" in report


def _wave(**extra):
    over = [f"{k}={v}" for k, v in extra.items()]
    return load(Path(__file__).resolve().parents[1] / "cases/boltzmann/wave_1d.toml", over)[0]


@pytest.mark.parametrize("boundary", ["periodic", "specular"])
def test_conservation_and_h_theorem(tmp_path, repo_root, boundary):
    """Mass and energy to round-off (and momentum with periodic ends); H falls at every
    step (measured: the largest change of H per step is -6e-5)."""
    out = physim.run(repo_root / "cases/boltzmann/wave_1d.toml", tmp_path / "w.h5",
                     overrides=[f"space.boundary={boundary!r}", "time.end=0.5",
                                "space.cells=16"], progress="none")
    ds = physim.open(out)
    for key in ("mass", "energy"):
        v = ds[key].values.reshape(ds.sizes["t_step"], -1)
        assert np.abs(v / v[0] - 1).max() < 1e-13, key
    if boundary == "periodic":
        assert np.abs(ds.momentum.values - ds.momentum.values[0]).max() < 1e-13
    assert np.diff(ds.H_mixture.values).max() < 0
    assert ds.attrs["boundary"] == boundary


def test_uniform_gas_is_the_homogeneous_solver():
    """Every cell of a uniform (bimodal) gas takes exactly the homogeneous steps."""
    over = ["initial.kind='bimodal'", "initial.drift=1.0", "time.end=0.05", "time.dt=0.01",
            "numerics.support_tolerance=0.2"]  # beams at +-1 on the L = 6 grid: 0.11
    p_hom = load(dict(_raw_wave(), space={"cells": 0}), over)[0]
    p_sp = load(_raw_wave(), over + ["space.cells=6"])[0]
    hom, sp = Simulation(p_hom), Simulation(p_sp)
    f_hom = last_step(hom)["f_gas"]
    f_sp = last_step(sp)["f_gas"]
    for fi in f_sp:
        np.testing.assert_array_equal(fi, f_hom)


def last_step(sim) -> dict:
    """The last step's records (each per-step quantity with its one-row t_step axis) and
    the snapshot it ends on, from the solver's own run (no output file)."""
    last = [r for r in sim.run() if r is not None][-1]
    out = {}
    for rec in last:
        for k, v in rec.data.items():
            out[k] = np.asarray(v)[None] if rec.axis == "t_step" else v
    return out


def _raw_wave():
    with open(Path(__file__).resolve().parents[1] / "cases/boltzmann/wave_1d.toml", "rb") as fh:
        raw = tomllib.load(fh)
    for k in ("amplitude", "temperature_amplitude"):
        raw["initial"].pop(k)
    return raw


def _gathered_run(params, comm):
    sim = Simulation(params, comm)
    last = last_step(sim)
    keep = {k: v for k, v in last.items() if k not in ("t_step",)}
    parts = comm.allgather(keep)
    out = {}
    for k in keep:
        split = np.ndim(keep[k]) >= 1 and ("x" in sim.variables()[k].dims
                                           if k in sim.variables() else False)
        xaxis = sim.variables()[k].dims.index("x") - (1 if k.startswith("f_") else 0) \
            if split else None
        out[k] = np.concatenate([p[k] for p in parts], axis=xaxis) if split else parts[0][k]
    return out


@pytest.mark.parametrize("extra", [{}, {"space.boundary": "'specular'", "space.limiter": "'mc'"},
                                   {"space.boundary": "'diffuse'",
                                    "space.wall_temperature": "[1.0, 1.5]"}])
def test_results_do_not_depend_on_the_rank_count(extra):
    """1, 2 and 3 ranks (threads, uneven blocks): bit for bit the same f and records."""
    params = _wave(**{"space.cells": 10, "time.end": 0.05, "output.every": 0.05, **extra})
    ref = run_ranks(1, lambda comm: _gathered_run(params, comm))[0]
    for size in (2, 3):
        for got in run_ranks(size, lambda comm: _gathered_run(params, comm)):
            for k in ref:
                np.testing.assert_array_equal(got[k], ref[k], err_msg=f"{size} ranks: {k}")


def test_too_many_ranks_is_refused_before_any_work():
    params = _wave(**{"space.cells": 5})
    with pytest.raises(LayoutError, match="space.cells = 5 on 3 ranks"):
        run_ranks(3, lambda comm: Simulation(params, comm))


@pytest.mark.parametrize("override, match", [
    ("time.dt=0.01", r"time.dt = 0.01: the transport needs dt <= dx / max\|v_x\| = 0.00520833"),
    ("space.cells=0", "initial.kind = 'wave': needs space.cells > 0"),
    ("space.boundary='open'", "space.boundary"),
    ("space.wall_temperature=[1.0, -1.0]", "space.wall_temperature"),
    ("initial.amplitude=[0.1, 0.2]", "initial.amplitude: 2 values for 1 species"),
])
def test_bad_input_is_named(override, match, repo_root):
    with pytest.raises(CaseError, match=match):
        load(repo_root / "cases/boltzmann/wave_1d.toml", [override])


def test_restart_continues_bit_for_bit(tmp_path, repo_root):
    case = repo_root / "cases/boltzmann/wave_1d.toml"
    over = ["space.cells=8", "output.every=0.05"]
    full = physim.run(case, tmp_path / "full.h5", overrides=over + ["time.end=0.1"],
                      progress="none")
    part = physim.run(case, tmp_path / "part.h5", overrides=over + ["time.end=0.05"],
                      progress="none")
    physim.run(case, overrides=over + ["time.end=0.1"], restart=part, progress="none")
    a, b = physim.open(full), physim.open(part)
    np.testing.assert_array_equal(a.f_gas.values, b.f_gas.values)
    np.testing.assert_array_equal(a.H_mixture.values, b.H_mixture.values)


def test_disparate_mixture_in_space_conserves(tmp_path, repo_root):
    """The AP collision step in every cell (2-D Maxwell, mass ratio 100): each species'
    mass and the total energy to round-off, momentum with periodic ends."""
    out = physim.run(repo_root / "cases/boltzmann/mixture_1d.toml", tmp_path / "m.h5",
                     overrides=["space.cells=8", "time.end=0.25", "output.every=0.125"],
                     progress="none")
    ds = physim.open(out)
    m = ds.mass.values
    assert np.abs(m / m[0] - 1).max() < 1e-13
    assert np.abs(ds.energy.values / ds.energy.values[0] - 1).max() < 1e-13
    assert np.abs(ds.momentum.values - ds.momentum.values[0]).max() < 1e-13
    T = ds.temperature.values
    assert np.isfinite(T).all() and ds.sizes["species"] == 2


def test_standard_figures_and_report(tmp_path, repo_root):
    """`physim plot` and `physim analyse boltzmann` on a run in x and a homogeneous one."""
    from physim.cli import main
    from physim.plotting import standard_figures
    wave = physim.run(repo_root / "cases/boltzmann/wave_1d.toml", tmp_path / "w.h5",
                      overrides=["space.cells=8", "time.end=0.05", "output.every=0.025"],
                      progress="none")
    bkw = physim.run(repo_root / "cases/boltzmann/bkw_2d.toml", tmp_path / "b.h5",
                     overrides=["time.end=1.5", "output.every=0.25"], progress="none")
    names = {p.name for p in standard_figures(physim.open(wave), tmp_path / "fw")}
    assert names == {"distributions.png", "xt.png", "profiles.png", "totals.png"}
    names = {p.name for p in standard_figures(physim.open(bkw), tmp_path / "fb")}
    assert names == {"distributions.png", "relaxation.png"}
    assert main(["analyse", "boltzmann", str(wave)]) == 0


def test_couette_profiles_show_u_y(tmp_path, repo_root):
    """Between walls sliding along y the profile figure shows u_y (the shear), not u_x."""
    from physim.plotting.boltzmann import profiles_figure
    out = physim.run(repo_root / "cases/boltzmann/couette_1d.toml", tmp_path / "c.h5",
                     overrides=["space.cells=8", "time.end=0.05", "output.every=0.05"],
                     progress="none")
    ds = physim.open(out)
    fig = profiles_figure(ds)
    assert fig.axes[1].get_title().startswith("velocity u_y")
    line = fig.axes[1].get_lines()[0].get_ydata()
    np.testing.assert_array_equal(line, ds.velocity.values[-1, :, 0, 1])
    assert np.ptp(line) > 0.05  # the walls at -0.5 and 0.5 drag the gas along y


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow that is being tested
def test_blow_up_stops_with_a_clear_message_and_keeps_the_output(tmp_path, repo_root):
    """RK4 at rate 2000 with dt = 0.005 is unstable: the run stops naming the step and the
    stable alternative, and the snapshots written so far stay readable. (Without
    allow_underresolved the resolution guard stops it one step earlier, on f < 0.)"""
    out = tmp_path / "blow.h5"
    with pytest.raises(physim.runner.RunError, match="scheme.kind = 'penalised'"):
        physim.run(repo_root / "cases/boltzmann/wave_1d.toml", out, progress="none",
                   overrides=["collision.self_rates=2000.0", "space.cells=8",
                              "time.end=0.1", "output.every=0.01",
                              "numerics.allow_underresolved=true"])
    ds = physim.open(out)
    assert ds.attrs["status"].startswith("failed") and ds.sizes["time"] >= 1
    assert np.isfinite(ds.f_gas.values).all()


def test_diffuse_walls_reach_the_exact_free_molecular_steady_state(tmp_path, repo_root):
    """No collisions, walls at T = 1 and 2: every plane v_x > 0 ends as a M_1, every
    v_x < 0 as b M_2, uniform in x, with a S_1 = b S_2 (zero mass flux) and the mass
    conserved; the plane v_x = 0 never moves. That discrete steady state is solved here in
    closed form (measured: 6.4e-13 of max f after t = 30; mass to 2e-15)."""
    from physim.solvers.boltzmann.velocity import VelocityGrid
    out = physim.run(repo_root / "cases/boltzmann/wave_1d.toml", tmp_path / "fourier.h5",
                     progress="none", overrides=[
                         "space.boundary='diffuse'", "space.wall_temperature=[1.0, 2.0]",
                         "collision.self_rates=0.0", "space.cells=16", "initial.amplitude=0.0",
                         "initial.temperature_amplitude=0.0", "initial.drift=0.0",
                         "time.dt=0.01", "time.end=30.0", "output.every=15.0"])
    ds = physim.open(out)
    f = ds.f_gas.values
    g = VelocityGrid(2, 16, 6.0)
    vx = g.mesh()[0]
    M1, M2 = g.maxwellian(1, [0, 0], 1.0), g.maxwellian(1, [0, 0], 2.0)
    pos, neg, zero = vx > 0, vx < 0, vx == 0
    S1, S2 = (vx * M1 * pos).sum(), (-vx * M2 * neg).sum()
    mass = f[0].sum() * g.dv / 16
    P1, P2 = (M1 * pos).sum() * g.dv, (M2 * neg).sum() * g.dv
    Z = (f[0, 0] * zero).sum() * g.dv
    b = (mass - Z) / (P1 * S2 / S1 + P2)
    exact = np.where(pos, b * S2 / S1 * M1, np.where(neg, b * M2, f[0, 0]))
    assert np.abs(f[-1] - exact).max() < 1e-9 * exact.max()
    assert np.abs(ds.mass.values / ds.mass.values[0] - 1).max() < 1e-13
