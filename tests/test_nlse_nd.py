"""The NLSE/GPE in 2-D and 3-D against closed forms and exact identities (serial runs;
tests/test_parallel_mpi.py repeats cases on 1, 2 and 4 ranks)."""
from pathlib import Path

import numpy as np
import pytest

import physim
from physim.cases import CaseError
from physim.integrate import DOP853
from physim.solvers.nlse import NLSE, exact

CASES = Path(__file__).resolve().parents[1] / "cases" / "nlse"


def second_moment(ds):
    X, Y = np.meshgrid(ds.x.values, ds.y.values, indexing="ij")
    cell = (ds.x.values[1] - ds.x.values[0]) * (ds.y.values[1] - ds.y.values[0])
    return cell * ((X ** 2 + Y ** 2) * np.abs(ds.psi.values) ** 2).sum(axis=(1, 2))


def test_breathing_mode_follows_pitaevskii_rosch(tmp_path):
    """2-D trap: I(t) = H/w^2 + (I0 - H/w^2) cos(2 w t) exactly, for any coupling."""
    out = physim.run(CASES / "trap_breathing_2d.toml", tmp_path / "b.h5", progress="none")
    with physim.open(out) as ds:
        t, H = ds.time.values, float(ds.energy.values[0])
        I = second_moment(ds)
        exact_I = H + (I[0] - H) * np.cos(2 * t)  # omega = 1
        assert np.abs(I - exact_I).max() / I[0] < 1e-9  # measured 3.7e-11
        assert abs(I.max() - I.min()) / I[0] > 0.1  # it does breathe
        assert np.abs(ds.mass.values / ds.mass.values[0] - 1).max() < 1e-11
        assert np.abs(ds.energy.values / H - 1).max() < 1e-10


def test_line_soliton_on_the_diagonal(tmp_path):
    out = physim.run(CASES / "line_soliton_2d.toml", tmp_path / "l.h5", progress="none")
    with physim.open(out) as ds:
        X, Y = np.meshgrid(ds.x.values, ds.y.values, indexing="ij")
        for i, t in enumerate(ds.time.values):
            ref = exact.line_soliton(X, Y, t, 20.0, 2.0, 2)
            # the image overlap of the wrapped profile, 4 exp(-eta P) ~ 4e-6, sets the bar
            assert np.abs(ds.psi.values[i] - ref).max() < 1e-5
        assert abs(ds.mass.values[-1] / ds.mass.values[0] - 1) < 1e-12
        # the soliton moves along the diagonal: momentum_x = -momentum_y
        np.testing.assert_allclose(ds.momentum_x.values, -ds.momentum_y.values, rtol=1e-12)


def _ground_state(N, L, omega, g, T, dim=2, rtol=1e-11):
    m = NLSE(L, [N] * dim, beta=0.5, gamma=-g, imaginary=True,
             potential=lambda *xs: sum(w * w * x * x for w, x in zip(omega, xs)) / 2)
    grids = m.local_grids
    psi0 = np.exp(-sum((x - 0.3) ** 2 for x in grids) / 2) + 0j
    c = m.to_coeffs(psi0)
    c *= np.sqrt(1.0 / m.invariants(c)["mass"])
    st = DOP853(m.rhs_interaction, 0, c, T, rtol=rtol, atol=rtol / 100, frame=m, norm=m.norm)
    energies = []
    for t in np.arange(1.0, T + 1e-9, 1.0):
        st.stop_at(t)
        while st.t < t:
            st.step()
        energies.append(m.invariants(st.y)["energy"])
    return m, st.y, np.array(energies)


def test_linear_trap_ground_state_is_the_gaussian():
    """g = 0: mu = sum(omega_a)/2 and psi the oscillator ground state, in 2-D and 3-D."""
    # the 3-D grid (24^3) is coarse on purpose, for speed: its mu error 7e-9 is the spatial
    # resolution's (32^3 gives 8e-11), not the flow's
    for dim, omega, N, L, T, bar, psi_bar in ((2, (1.0, 2.0), 64, 14.0, 25.0, 1e-9, 1e-7),
                                              (3, (1.0, 1.25, 1.5), 24, 10.0, 22.0, 2e-8, 2e-5)):
        m, c, E = _ground_state(N, L, omega, 0.0, T, dim)
        inv = m.invariants(c)
        assert abs(inv["chemical_potential"] - sum(omega) / 2) < bar
        assert abs(inv["mass"] - 1) < 5e-9  # held by the flow to the tolerance: 1.1e-9 here
        assert np.all(np.diff(E) <= 1e-12)  # the energy never rises
        psi = m.to_field(c)
        ref = 1.0
        for w, x in zip(omega, m.local_grids):
            ref = ref * (w / np.pi) ** 0.25 * np.exp(-w * x * x / 2)
        psi *= np.exp(-1j * np.angle(psi.reshape(-1)[np.abs(psi).argmax()]))
        assert np.abs(psi - ref).max() < psi_bar  # 3-D: 7.4e-6, the 24^3 grid's


def test_interacting_ground_state_case_satisfies_the_virial_identity(tmp_path):
    """2-D: E_kin - E_trap + E_int = 0 at the ground state; mass held; Thomas-Fermi bound."""
    out = physim.run(CASES / "trap_ground_state_2d.toml", tmp_path / "g.h5", progress="none")
    with physim.open(out) as ds:
        assert ds.residual.values[-1] < 1e-8
        assert np.abs(ds.mass.values / ds.mass.values[0] - 1).max() < 1e-9
        assert np.all(np.diff(ds.energy.values) <= 1e-12)
        psi = ds.psi.values[-1]
        mass = float(ds.mass.values[-1])
        cell = float((ds.x[1] - ds.x[0]) * (ds.y[1] - ds.y[0]))
        g = 20.0
        e_int = 0.5 * g * cell * (np.abs(psi) ** 4).sum()
        e_trap = float(ds.energy_potential.values[-1])
        e_kin = float(ds.energy.values[-1]) - e_trap - e_int
        assert abs(e_kin - e_trap + e_int) < 1e-8 * e_trap
        mu = float(ds.chemical_potential.values[-1])
        assert abs(mu - (e_kin + e_trap + 2 * e_int) / mass) < 1e-9
        # Thomas-Fermi (no kinetic energy) underestimates mu; within 10% at g N = 20
        mu_tf = np.sqrt(g * mass / np.pi)
        assert mu_tf < mu < 1.1 * mu_tf


def test_3d_masked_hamiltonian_and_mass_are_conserved():
    m = NLSE([8.0, 9.0, 10.0], [16, 18, 20], beta=0.5, gamma=1.0,
             potential=lambda x, y, z: 0.5 * (x * x + y * y + z * z))
    X, Y, Z = m.local_grids
    psi = (1.2 * np.exp(-(X ** 2 + 1.3 * Y ** 2 + 0.8 * Z ** 2) / 2 + 0.5j * X)).astype(complex)
    c = m.to_coeffs(psi)
    inv0 = m.invariants(c)
    st = DOP853(m.rhs_interaction, 0, c, 0.5, rtol=1e-12, atol=1e-14, frame=m, norm=m.norm)
    while not st.done:
        st.step()
    inv = m.invariants(st.y)
    assert abs(inv["mass"] / inv0["mass"] - 1) < 1e-12
    assert abs(inv["energy_discrete"] / inv0["energy_discrete"] - 1) < 1e-11


def test_ensemble_member_zero_is_the_single_run(tmp_path):
    ens = physim.run(CASES / "mi_ensemble.toml", tmp_path / "e.h5", progress="none",
                     overrides=["ensemble.members=3", "grid.N=64", "time.end=1.0"])
    one = physim.run(CASES / "mi_ensemble.toml", tmp_path / "o.h5", progress="none",
                     overrides=["ensemble.members=1", "grid.N=64", "time.end=1.0"])
    with physim.open(ens) as a, physim.open(one) as b:
        assert a.psi.dims == ("time", "ensemble", "x")
        np.testing.assert_array_equal(a.psi.values[:, 0], b.psi.values)
        assert not np.array_equal(a.psi.values[0, 1], a.psi.values[0, 0])  # other seeds


@pytest.mark.parametrize("override, message", [
    (["grid.N=[64, 64]", "grid.L=20.0"], "initial.kind: 'soliton' is a 1-D solution"),
    (["grid.N=[64, 64, 64, 64]"], "grid.N: 1, 2 or 3 values"),
    (["grid.N=[64, 63]"], "grid.N: 63 must be even"),
    (["grid.N=[64, 64]", "grid.L=[1.0, 2.0, 3.0]"], "grid.L: needs 1 or 2 values (grid.N has 2 axes)"),
    (["ensemble.members=4"], "ensemble.members: 4 members need initial.noise > 0"),
    (["potential.kind='harmonic'", "potential.omega=[1.0, 2.0]"], "potential.omega: needs 1 value (grid.N has 1 axis)"),
])
def test_bad_nd_input_names_the_key(tmp_path, override, message):
    with pytest.raises(CaseError) as err:
        physim.run(CASES / "soliton.toml", tmp_path / "x.h5", overrides=override)
    assert message in str(err.value)


def test_line_soliton_needs_a_square_box(tmp_path):
    with pytest.raises(CaseError, match="periodic only in a square box"):
        physim.run(CASES / "line_soliton_2d.toml", tmp_path / "x.h5",
                   overrides=["grid.L=[20.0, 24.0]"])
