"""Vortices in the NLSE/GPE: the ``vortices`` initial kind and the L_z diagnostic."""
from pathlib import Path

import numpy as np
import pytest

import physim
from physim.cases import CaseError
from physim.parallel import run_ranks
from physim.runner import load
from physim.solvers.nlse import NLSE, Simulation, initial_field, vortices

CASES = Path(__file__).resolve().parents[1] / "cases" / "nlse"


def vortex_case(grid=None, **initial):
    ini = {"kind": "vortices", "x": [-4.0, 4.0], "y": [0.0, 0.0], "charges": [1, -1],
           "envelope": "uniform", **initial}
    return {"solver": "nlse", "model": {"gamma": -1.0},
            "grid": grid or {"L": 16.0, "N": [64, 64]}, "initial": ini,
            "time": {"end": 1.0}, "output": {"every": 0.5}}


def field_of(case):
    params = load(case)[0]
    model = Simulation(params).model
    return model, initial_field(model, params)


def winding(psi, i, j, h):
    """Phase winding / 2π along the square of grid points at ±h cells around (i, j),
    counter-clockwise in the (x, y) plane (indices wrap: the box is periodic)."""
    s = np.arange(-h, h)
    path = ([(i + h, j + t) for t in s] + [(i - t, j + h) for t in s]
            + [(i - h, j - t) for t in s] + [(i + t, j - h) for t in s] + [(i + h, j - h)])
    n0, n1 = psi.shape
    phase = np.angle([psi[a % n0, b % n1] for a, b in path])
    step = np.angle(np.exp(1j * np.diff(phase)))  # each step wrapped to (-pi, pi]
    return step.sum() / (2 * np.pi)


def grid_index(x, L, N):
    return int(round((x + L / 2) / (L / N))) % N


# -- L_z --------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, -3])
def test_single_vortex_has_lz_per_particle_n_in_a_round_trap(tmp_path, n):
    """psi ~ (x + i sgn(n) y)^|n| exp(-r^2/2w^2) is an L_z eigenstate; a rotationally
    symmetric trap keeps it one (resolved grid, field negligible at the box edge)."""
    case = {"solver": "nlse", "model": {"beta": 0.5, "gamma": -1.0},
            "grid": {"L": 32.0, "N": [128, 128]},
            "potential": {"kind": "harmonic", "omega": 0.25},  # oscillator length 2 = width
            "initial": {"kind": "vortex", "charge": n, "width": 2.0},
            "time": {"end": 1.0}, "output": {"every": 0.5}}
    with physim.open(physim.run(case, tmp_path / "v.h5", progress="none")) as ds:
        per_particle = ds.angular_momentum_z.values / ds.mass.values
        assert ds.angular_momentum_z.attrs["long_name"].startswith("angular momentum L_z")
    assert abs(per_particle[0] - n) < 1e-12  # measured <= 4.4e-16
    assert np.abs(per_particle - n).max() < 1e-10  # measured <= 7.5e-15


def test_vortex_line_in_3d_is_the_same_in_every_plane_and_has_lz_n():
    model, psi = field_of(vortex_case(grid={"L": [24.0, 24.0, 4.0], "N": [64, 64, 8]},
                                      x=[0.0], y=[0.0], charges=-2, envelope="gaussian",
                                      width=2.0, core=2.0))
    assert np.array_equal(psi, np.broadcast_to(psi[..., :1], psi.shape))
    inv = model.invariants(model.to_coeffs(psi))
    assert abs(inv["angular_momentum_z"] / inv["mass"] + 2) < 1e-12  # measured 1.8e-14


def test_lz_is_measured_from_the_box_centre():
    """About the box centre, L_z = L_z(about r0) + x0 P_y - y0 P_x; here L_z(r0) = N."""
    m = NLSE([40.0, 40.0], [64, 64])
    X, Y = m.local_grids
    x0, y0, k = 3.0, -2.0, 0.7
    psi = ((X - x0) + 1j * (Y - y0)) * np.exp(-((X - x0) ** 2 + (Y - y0) ** 2) / 8 + 1j * k * X)
    inv = m.invariants(m.to_coeffs(psi))
    expected = inv["mass"] + x0 * inv["momentum_y"] - y0 * inv["momentum_x"]
    assert abs(inv["angular_momentum_z"] - expected) < 1e-12 * inv["mass"]


def test_lz_is_bitwise_the_same_on_thread_ranks():
    """The slab-split run (1, 2 and 3 ranks, uneven slabs) writes the same L_z bit for bit."""
    params = load(CASES / "vortex_lattice_2d.toml",
                  ["grid.N=[32, 32]", "initial.x=[-3.0, 4.0, 4.0, -4.0]", "time.end=0.2",
                   "output.every=0.1"])[0]

    def lz(comm):
        sim = Simulation(params, comm)
        return [r.data["angular_momentum_z"] for r in sim.run() if r is not None]

    ref = run_ranks(1, lz)[0]
    assert len(ref) == 3 and abs(ref[0]) > 1e-3  # not zero by symmetry any more
    for size in (2, 3):
        for got in run_ranks(size, lz):
            assert got == ref


# -- the vortices kind -------------------------------------------------------------------
def test_lattice_case_windings_equal_the_charges(tmp_path):
    out = physim.run(CASES / "vortex_lattice_2d.toml", tmp_path / "l.h5", progress="none")
    params = load(CASES / "vortex_lattice_2d.toml")[0]
    ini, L, N = params["initial"], params["grid"]["L"], params["grid"]["N"]
    with physim.open(out) as ds:
        psi = ds.psi.values
    assert psi.shape[0] == 5
    for x0, y0, n in zip(ini["x"], ini["y"], ini["charges"]):
        i, j = grid_index(x0, L, N[0]), grid_index(y0, L, N[1])
        for snap in psi:
            assert abs(winding(snap, i, j, 4) - n) < 1e-9
            # the checkerboard holds every vortex in place: |psi| is smallest at the core
            near = np.abs(snap[i - 4:i + 5, j - 4:j + 5])
            assert np.unravel_index(near.argmin(), near.shape) == (4, 4)
    total = winding(psi[0], N[0] // 2, N[1] // 2, N[0] // 2 - 1)  # a loop around all four
    assert abs(total) < 1e-9


UNEVEN = dict(grid={"L": [16.0, 20.0], "N": [128, 160]}, x=[-3.0, 4.5, -1.0, 2.0],
              y=[-5.0, -4.0, 3.0, 6.0], charges=[1, -2, -1, 2], core=2.0)


@pytest.mark.parametrize("envelope", ["uniform", "gaussian"])
def test_initial_windings_equal_the_charges(envelope):
    model, psi = field_of(vortex_case(**UNEVEN, envelope=envelope, width=5.0))
    for x0, y0, n in zip(UNEVEN["x"], UNEVEN["y"], UNEVEN["charges"]):
        i = grid_index(x0, model.Ls[0], model.Ns[0])
        j = grid_index(y0, model.Ls[1], model.Ns[1])
        assert abs(winding(psi, i, j, 6) - n) < 1e-9


def test_uniform_background_is_periodic_and_spectrally_smooth():
    """Exactly periodic (the theta function's images), so with resolved cores the spectrum
    is at round-off outside 2/3 of the band (nearest-image distances would leave a
    kink half a box from each core). |psi| itself has a conical point at each |n| = 1 core,
    so |psi|^2 is checked with psi."""
    model, psi = field_of(vortex_case(**UNEVEN))
    kx, ky = (np.abs(k) for k in model.momentum_wavenumbers()[:2])
    k_nyq = [np.pi * n / L for n, L in zip(model.Ns, model.Ls)]
    outside = (kx > 2 / 3 * k_nyq[0]) | (ky > 2 / 3 * k_nyq[1])
    for f in (psi, np.abs(psi) ** 2 + 0j):
        c = np.abs(model.to_coeffs(f))
        assert c[outside].max() < 1e-13 * c.max()  # measured 6.5e-16, 3.2e-15
    X, Y = model.local_grids
    ini = load(vortex_case(**UNEVEN))[0]["initial"]
    Lx, Ly = model.Ls
    for shifted in (vortices.field(X + Lx, Y, ini, Lx, Ly),
                    vortices.field(X, Y - Ly, ini, Lx, Ly)):
        assert np.abs(shifted - psi).max() < 1e-12


@pytest.mark.parametrize("initial, message", [
    ({"y": [0.0]}, "initial.y: needs 2 values, one per vortex (as initial.x), got 1"),
    ({"charges": [1, 0]}, "initial.charges: 0 is not a vortex"),
    ({"charges": [1, -1, 1]}, "initial.charges: needs 1 or 2 values"),
    ({"x": [-4.0, 8.0]}, "initial.x: 8 is outside the box; each value must lie in [-8, 8)"),
    ({"y": [0.0, -9.5]}, "initial.y: -9.5 is outside the box"),
    ({"charges": [1, 1]}, "initial.charges: total charge +2; a uniform envelope is periodic "
                          "only with total charge 0"),
    ({"charges": 1}, "initial.charges: total charge +2"),
    ({"x": [], "y": []}, "initial.x: needs at least one vortex position"),
    ({"envelope": "flat"}, "initial.envelope: 'flat' is not allowed"),
])
def test_bad_vortices_input_names_the_key(initial, message):
    with pytest.raises(CaseError) as err:
        load(vortex_case(**initial))
    assert message in str(err.value)
    assert len(err.value.problems) == 1


def test_vortices_need_two_or_three_axes_and_gaussian_takes_any_charge():
    with pytest.raises(CaseError, match="'vortices' needs a 2-D or 3-D grid"):
        load(vortex_case(grid={"L": 16.0, "N": 64}))
    assert load(vortex_case(charges=[1, 1], envelope="gaussian"))[0]["initial"]["charges"] \
        == [1, 1]
