"""The NLSE discretisation: masks, invariants, kernels, and the stepper vs scipy on it."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physim.integrate import DOP853, SCIPY_CONTROLLER
from physim.solvers.nlse import NLSE, exact, kernels


def run(model, c0, t1, interaction=True, **kw):
    st = DOP853(model.rhs_interaction if interaction else model.rhs_lines, 0.0, c0, t1,
                frame=model if interaction else None, **kw)
    while not st.done:
        st.step()
    return st


def test_phase_kernel_matches_exp():
    m = NLSE(60.0, 4096)
    for tau in (1e-3, 0.1, 0.37):
        p = m.phase(tau, masked=False)
        ref = np.exp(-1j * m.beta * m.k ** 2 * tau)
        # the error is that of the phase argument itself, |a m^2| * eps
        assert np.abs(p - ref).max() < 1e-15 * (m.beta * m.k.max() ** 2 * tau) * 50


def test_dealias_mask_and_k_grid():
    m = NLSE(2 * np.pi, 12, dealias=2 / 3)
    np.testing.assert_array_equal(m.k, [0, 1, 2, 3, 4, 5, -6, -5, -4, -3, -2, -1])
    assert m.k_cut == 4  # 2/3 of Nyquist (6)
    np.testing.assert_array_equal(m.mask, (np.abs(m.k) <= 4).astype(float))
    assert m.x[0] == -np.pi and m.x[-1] < np.pi  # endpoint excluded


def test_solve_ivp_same_steps_on_nlse_rhs():
    m = NLSE(40.0, 64, dealias=1.0)
    c0 = m.to_coeffs(exact.soliton_physical(m.x, 0, 1.0, 0.5, -3.0))
    ref = solve_ivp(m.rhs_lines, (0, 2.0), c0, method="DOP853", rtol=1e-9, atol=1e-11)
    for arithmetic in ("blas", "fused"):
        st = DOP853(m.rhs_lines, 0.0, c0, 2.0, rtol=1e-9, atol=1e-11,
                    controller=SCIPY_CONTROLLER, arithmetic=arithmetic)
        ts = [0.0]
        while not st.done:
            st.step()
            ts.append(st.t)
        if arithmetic == "blas":
            np.testing.assert_array_equal(ts, ref.t)
        else:  # same steps, step sizes equal to round-off (amplified by the error estimate)
            np.testing.assert_allclose(ts, ref.t, rtol=0, atol=1e-8)
        np.testing.assert_allclose(st.y, ref.y[:, -1], rtol=0, atol=1e-14)


@pytest.mark.parametrize("dealias, filt", [(2 / 3, False), (2 / 3, True), (1.0, True), (0.49, False)])
def test_masked_scheme_conserves_its_invariants(dealias, filt):
    # a rough, under-resolved state: aliasing and the filter matter here
    m = NLSE(20.0, 64, dealias=dealias, filter=filt)
    c0 = m.to_coeffs(exact.soliton_physical(m.x, 0, 3.0, 2.0, 0.0))
    q0 = m.invariants(c0)
    st = run(m, c0, 2.0, rtol=1e-12, atol=1e-14)
    q1 = m.invariants(st.y)
    assert abs(q1["mass"] - q0["mass"]) / q0["mass"] < 1e-12
    dp = abs(q1["momentum"] - q0["momentum"]) / abs(q0["momentum"])
    if dealias < 0.5:  # |m| < N/4: the cubic term is exactly dealiased, so is the product rule
        assert dp < 1e-11
    else:  # the 2/3 rule does not dealias a cubic: momentum drifts by the aliasing error
        assert dp > 1e-6
    # the masked Hamiltonian is the exact invariant of the semi-discrete system ...
    assert abs(q1["energy_discrete"] - q0["energy_discrete"]) / abs(q0["energy_discrete"]) < 1e-10
    # ... while the unmasked one is not, on an under-resolved grid
    assert abs(q1["energy"] - q0["energy"]) / abs(q0["energy"]) > 1e-8


def test_filtered_soliton_error_bound():
    # the reference paper's filter costs accuracy: about 1e-6 on its own soliton case
    m = NLSE(50.0, 512, dealias=1.0, filter=True)
    c0 = m.to_coeffs(exact.soliton_physical(m.x, 0, 2.0, 1.0, -10.0))
    st = run(m, c0, 10.0, rtol=1e-10, atol=1e-12)
    ex = exact.soliton_physical(m.x, 10.0, 2.0, 1.0, -10.0)
    err = np.linalg.norm(m.to_field(st.y) - ex) / np.linalg.norm(ex)
    assert err < 2e-6


def test_spectral_convergence():
    errs = {}
    for N in (192, 256, 384):
        m = NLSE(50.0, N, dealias=1.0)
        c0 = m.to_coeffs(exact.soliton_physical(m.x, 0, 2.0, 1.0, -10.0))
        st = run(m, c0, 5.0, rtol=1e-12, atol=1e-15)
        ex = exact.soliton_physical(m.x, 5.0, 2.0, 1.0, -10.0)
        errs[N] = np.linalg.norm(m.to_field(st.y) - ex) / np.linalg.norm(ex)
    assert errs[192] > errs[256] > errs[384]
    assert errs[384] < 1e-8


def test_interaction_takes_fewer_steps_on_fine_grids():
    m = NLSE(60.0, 2048, dealias=1.0)
    c0 = m.to_coeffs(exact.soliton_physical(m.x, 0, 2.0, 1.0, -10.0))
    a = run(m, c0, 0.5, interaction=False, rtol=1e-10, atol=1e-12)
    b = run(m, c0, 0.5, interaction=True, rtol=1e-10, atol=1e-12)
    # explicit DOP853 is stability-bound: h <= 5.96 / (beta k_nyq^2)
    k_nyq = np.pi * 2048 / 60
    assert a.stats.naccept >= 0.5 / (5.96 / (0.5 * k_nyq ** 2))
    assert b.stats.naccept * 4 < a.stats.naccept


def test_defocusing_dark_soliton():
    # grey/dark soliton of i psi_t + 1/2 psi_xx - |psi|^2 psi = 0 (research notes 2.6),
    # on a box wide enough that the tanh tails match the periodic wrap to ~1e-13
    u0, phi = 1.0, 0.3
    L, N, T = 60.0, 512, 2.0

    def dark(x, t):
        # a pair of kinks at +-L/4 keeps the field periodic; they do not interact (e^-30)
        s = u0 * np.sin(phi) * t
        a = u0 * np.cos(phi)
        f1 = 1j * np.sin(phi) + np.cos(phi) * np.tanh(a * (x + L / 4 - s))
        f2 = -1j * np.sin(phi) + np.cos(phi) * np.tanh(a * (x - L / 4 + s))
        return u0 * f1 * f2 * np.exp(-1j * u0 ** 2 * t)

    m = NLSE(L, N, gamma=-1.0, dealias=1.0)
    x = m.x
    psi0 = dark(x, 0.0)
    assert np.allclose(np.abs(psi0[[0, N // 2]]), 1.0, atol=1e-12)
    st = run(m, m.to_coeffs(psi0), T, rtol=1e-12, atol=1e-14)
    # density is the product of two grey-soliton dips moving apart at +-u0 sin(phi)
    dens = np.abs(m.to_field(st.y)) ** 2
    assert np.abs(dens - np.abs(dark(x, T)) ** 2).max() < 1e-6


def test_phase_tables_are_unitary():
    # the integrating factor is applied at every step: any |phase| != 1 leaks mass
    t = kernels.phase_table(-0.5 * (2 * np.pi / 60) ** 2 * 0.0123, 2048)
    assert np.abs(np.abs(t) ** 2 - 1).max() < 1e-15
    m = NLSE(60.0, 1024, dealias=1.0)
    c = m.to_coeffs(exact.soliton_physical(m.x, 0, 2.0, 1.0, -10.0))
    m0 = m.invariants(c)["mass"]
    y = c.copy()
    for i in range(1688):
        y = m.to_end(0.00591 + 1e-7 * i, y)
    assert abs(m.invariants(y)["mass"] - m0) / m0 < 2e-14
