"""The AP transport of the light species in x (space.light_transport = "ap"): its diffusive
limit at small eps against the exact diffusion of the light density, the explicit scheme
at moderate eps, light mass (and total momentum and energy) to round-off, a step that does
not shrink with eps, and bad input named in one line.

The family of problems: mass ratio m_H / m_L = eps^-2, cross_rate = sigma / eps (the
light's mean free path ~ eps / sigma), times in light units t; on the heavy's time
tau = eps t the light density diffuses with D_tau = T (1 + eps^2) / (sigma n_H) (Maxwell
molecules: nu = n_H cross_rate m_H / (m_L + m_H), D = < v_x^2 / nu >_M = T / (m_L nu)).
"""
import numpy as np
import pytest

from physim.cases import CaseError
from physim.runner import load
from physim.solvers.boltzmann.simulation import LayoutError, Simulation
from physim.parallel import run_ranks


def family(eps, light="ap", sigma=1.0, cells=16, length=4.0, tau=0.4, dtau=1 / 64,
           n_L=1.0, self_rates=(1.0, 1.0), amplitude=0.1):
    """A light density wave (mode 1) in a uniform heavy gas, T_L = T_H = 1, periodic box."""
    dx = length / cells
    dt = dtau / eps if light == "ap" else min(dx / 8.0, dtau / eps)
    end = tau / eps
    dt = end / round(end / dt)
    raw = {"solver": "boltzmann", "species": {"masses": [1.0, eps ** -2]},
           "collision": {"gamma": 0.0, "cross_rate": sigma / eps,
                         "self_rates": list(self_rates)},
           "velocity": {"d": 2, "N": 24, "L": 8.0}, "scheme": {"kind": "ap"},
           "space": {"cells": cells, "length": length, "light_transport": light},
           "initial": {"kind": "wave", "density": [n_L, 1.0], "temperature": [1.0, 1.0],
                       "amplitude": [amplitude, 0.0]},
           "time": {"dt": dt, "end": end}, "output": {"every": end},
           "numerics": {"support_tolerance": 0.01}}
    return load(raw)[0]


def run(params):
    """(simulation, light density (steps, cells), light mass (steps,)); checks on the way
    that the total energy and momentum hold to round-off."""
    sim = Simulation(params)
    dens, mass, energy, momentum = [], [], [], []
    for out in sim.run():
        for rec in out if isinstance(out, list) else [out]:
            if rec.axis == "t_step":
                dens.append(np.asarray(rec.data["density"])[:, 0])
                mass.append(np.asarray(rec.data["mass"])[0])
                energy.append(float(rec.data["energy"]))
                momentum.append(np.asarray(rec.data["momentum"]))
    energy, momentum = np.array(energy), np.array(momentum)
    assert np.abs(energy / energy[0] - 1).max() < 1e-13
    assert np.abs(momentum - momentum[0]).max() < 1e-13 * energy[0]
    return sim, np.array(dens), np.array(mass)


def amplitude(sim, n):
    """The sin(k x) coefficient of a density profile (mode 1 of the box)."""
    k = 2 * np.pi / sim.length
    return 2 * (n * np.sin(k * sim.x)).mean()


def test_transport_alone_reaches_the_exact_shell_diffusion_of_the_lorentz_gas():
    """eps = 1e-3, the AP light step alone on a frozen uniform heavy gas (no collision
    step): every |c| shell diffuses with r^2 / (2 nu), so a Maxwellian wave decays as
    < exp(-k^2 t r^2 / (2 nu)) >_M = 1 / (1 + D k^2 t) in 2-D (Maxwell molecules). The
    step dt nu = 1.6e4 is far beyond the light's flight over a cell (dt max|v_x| / dx =
    500). Measured: 1.5 % above the exact decay (the compact Laplacian at 16 cells and
    backward Euler), 4e-4 from the scheme's own limit (per shell, (1 + dt kappa lambda_h)^-n),
    light mass to round-off."""
    eps = 1e-3
    p = family(eps, n_L=0.01)
    sim = Simulation(p)
    f_L, f_H = sim.initial()
    dt, n = sim.dt, len(sim.step_times) - 1
    mass0 = f_L.sum()
    D = sim.light.diffusion(f_L, f_H)  # of the initial Maxwellians
    for _ in range(n):
        f_L, _ = sim.light(f_L, f_H, dt)
    g = sim.grids[0]
    a = amplitude(sim, f_L.sum((1, 2)) * g.dv) / (0.01 * 0.1)
    nu = 1 / eps / (1 + eps ** 2)
    np.testing.assert_allclose(D, 1 / nu, rtol=1e-3)  # T / (m_L nu) on the grid
    k, t = 2 * np.pi / sim.length, n * dt
    exact = 1 / (1 + D.mean() * k ** 2 * t)
    assert abs(a / exact - 1) < 0.04
    v = g.mesh()
    r2 = (v ** 2).sum(0)
    M = g.maxwellian(1.0, np.zeros(2), 1.0)
    lam = 4 * np.sin(k * sim.dx / 2) ** 2 / sim.dx ** 2
    kappa = r2 / 2 * dt / (1 + dt * nu)
    scheme = (M * (1 + dt * kappa * lam) ** -n).sum() / M.sum()
    assert abs(a / scheme - 1) < 1e-3
    assert abs(f_L.sum() / mass0 - 1) < 1e-13


def test_small_eps_light_density_follows_the_diffusion_equation():
    """The full solver at eps = 1e-3, sigma = 30 (the energy exchange E holds the shells on
    the Maxwellian, a trace light gas n_L = 1e-4 leaves the heavy at rest): the density
    wave decays as exp(-D k^2 t), D = T (1 + eps^2) eps / sigma, over tau = 1.5 (96 steps
    of dt = 15.6, dt max|v_x| / dx = 500, dt nu = 4.7e5). Measured: 3.1 % above the exact
    amplitude (8 cells: the compact Laplacian's k^2 is 5 % short), 0.46 % from backward
    Euler on that Laplacian; light mass, total momentum and energy to round-off."""
    eps, sigma = 1e-3, 30.0
    p = family(eps, sigma=sigma, cells=8, length=2.0, tau=1.5, n_L=1e-4, self_rates=(0, 0))
    sim, dens, mass = run(p)
    a = amplitude(sim, dens[-1]) / (1e-4 * 0.1)
    k, t = 2 * np.pi / sim.length, sim.step_times[-1]
    D = (1 + eps ** 2) * eps / sigma
    assert abs(a / np.exp(-D * k ** 2 * t) - 1) < 0.04
    lam = 4 * np.sin(k * sim.dx / 2) ** 2 / sim.dx ** 2
    nu, dt = sigma / eps / (1 + eps ** 2), sim.dt
    scheme = (1 + dt * lam / nu * dt * nu / (1 + dt * nu)) ** -(len(sim.step_times) - 1)
    assert abs(a / scheme - 1) < 0.01
    assert np.abs(mass / mass[0] - 1).max() < 1e-13


def test_moderate_eps_agrees_with_the_explicit_transport():
    """eps = 0.3 (the light's mean free path 0.3 against dx = 0.25: kinetic), the same dt
    for both (26 steps to tau = 0.2). Measured: the density wave's amplitude 0.0745 (AP)
    against 0.0731 (explicit), 2.0 %, largest difference of the density 1.7e-3 (1.7 % of
    the initial perturbation). The AP step is first order (upwind in g, backward Euler),
    the explicit one second order in x: to tau = 0.4 the amplitudes are 0.0480 (AP) and
    0.0464 at 16 cells, 0.0472 and 0.0469 at 32 (3.5 % -> 0.56 %). Light mass, total
    momentum and energy to round-off in both."""
    eps = 0.3
    out = {}
    for light in ("ap", "explicit"):
        sim, dens, mass = run(family(eps, light, tau=0.2, dtau=1 / 128))
        out[light] = amplitude(sim, dens[-1]), dens[-1]
        assert len(dens) == 27
        assert np.abs(mass / mass[0] - 1).max() < 1e-13
    (a_ap, n_ap), (a_ex, n_ex) = out["ap"], out["explicit"]
    assert abs(a_ap / a_ex - 1) < 0.04
    assert np.abs(n_ap - n_ex).max() < 0.03 * 0.1


def test_the_step_is_bounded_by_the_heavy_not_by_eps():
    """At eps = 1e-3 the AP case takes dt = 1000 dx / velocity.L (the explicit transport's
    limit), bounded only by the heavy's dt <= dx / L_heavy; the same dt with the explicit
    light transport is refused, naming its limit."""
    p = family(1e-3, "ap", dtau=1 / 32, tau=0.5)
    assert p["time"]["dt"] / (0.25 / 8.0) == pytest.approx(1000.0)
    with pytest.raises(CaseError, match=r"time.dt = 31.25: the transport needs dt <= dx / "
                       r"max\|v_x\| = 0.03125 \(.*velocity.L = 8\)"):
        load(_raw(1e-3), ["space.light_transport='explicit'", "time.dt=31.25",
                          "time.end=62.5", "output.every=62.5"])


def _raw(eps):
    return {"solver": "boltzmann", "species": {"masses": [1.0, eps ** -2]},
            "collision": {"cross_rate": 1 / eps}, "velocity": {"d": 2, "N": 24, "L": 8.0},
            "scheme": {"kind": "ap"}, "space": {"cells": 16, "length": 4.0,
                                               "light_transport": "ap"},
            "initial": {"kind": "wave", "density": [1.0, 1.0], "temperature": [1.0, 1.0]},
            "time": {"dt": 1.25, "end": 2.5}, "output": {"every": 2.5}}


@pytest.mark.parametrize("override, match", [
    ("space.light_transport='implicit'", "space.light_transport"),
    ("scheme.kind='full'", "space.light_transport = 'ap': needs scheme.kind = 'ap'"),
    ("space.boundary='specular'", "space.light_transport = 'ap': needs space.boundary = "
     "'periodic'"),
    ("time.dt=5.0", r"time.dt = 5: the transport needs dt <= dx / max\|v_x\| = 3.125 "
     r"\(.*velocity.L_heavy = 0.08\)"),
])
def test_bad_input_is_named_in_one_line(override, match):
    with pytest.raises(CaseError, match=match) as err:
        load(_raw(0.01), [override, "time.end=10.0", "output.every=10.0"])
    assert str(err.value).count("\n") <= 1


def test_more_than_one_rank_is_refused():
    p = load(_raw(0.01))[0]
    with pytest.raises(LayoutError, match="light_transport = 'ap' runs on one rank"):
        run_ranks(2, lambda comm: Simulation(p, comm))
