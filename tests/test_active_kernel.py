"""The compiled time stepper (dynamics.advance) against the step-by-step reference of
numpy normals, PairForces and step_aoup / step_abp, and the force table against the
closed form."""
import numpy as np
import pytest

from physim.solvers.active.dynamics import (ABP, AOUP, advance, ou_coefficients, step_abp,
                                            step_aoup)
from physim.solvers.active.forces import (SOFT, WCA, PairForces, force_table, pair_forces,
                                          soft_cutoff, table_forces)


def _setup(kind, N=300, phi=0.5, seed=5):
    rng = np.random.default_rng(seed)
    if kind == "soft":
        L = np.sqrt(N * np.pi / phi)
        pf = PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5)
        x = rng.uniform(0, L, (N, 2))
    else:
        L = np.sqrt(N * np.pi * 0.25 / phi)
        pf = PairForces(N, L, "wca", (1.0, 1.0), 2 ** (1 / 6), 0.3)
        m = int(np.ceil(np.sqrt(N)))
        ij = np.stack(np.divmod(np.arange(N), m), -1)
        x = (ij + 0.5) * (L / m) + 0.05 * rng.uniform(-1, 1, (N, 2))
    return rng, L, pf, x


@pytest.mark.parametrize("model,kind,eps,A", [("aoup", "soft", 0.0, 0.0),
                                              ("aoup", "soft", 0.05, 0.01),
                                              ("abp", "wca", 0.02, 0.0)])
def test_advance_is_the_step_by_step_reference_bitwise(model, kind, eps, A):
    """Same normals (numba draws from the numpy Generator), same list, same sums: equal
    bits when the closed-form force is used (an empty table)."""
    rng, L, pf, x = _setup(kind)
    N, dt, v0, steps = len(x), 0.01 if kind == "wca" else 0.1, 0.5, 60
    s = rng.standard_normal((N, 2)) if model == "aoup" else rng.uniform(0, 2 * np.pi, N)
    decay, kick = ou_coefficients(0.3, dt)
    c = L / 2
    # reference: what simulation.run did, one Python call per step
    xr, sr, gr = x.copy(), s.copy(), np.random.default_rng(9)
    pr = PairForces(N, L, kind, pf.p[:3 if kind == "soft" else 2], pf.rc, pf.skin)
    f, xi, eta = np.zeros((N, 2)), np.zeros((N, 2)), np.empty((N, 2))
    pr._build(xr)
    for _ in range(steps):
        pr(xr, f)
        if eps > 0:
            gr.standard_normal(out=xi)
        gr.standard_normal(out=eta)
        if model == "aoup":
            step_aoup(xr, sr, f, xi, eta, dt, v0, eps, decay, kick, A, c, c, L, True)
        else:
            step_abp(xr, sr, f, xi, eta, dt, v0, eps, 0.2, A, c, c, L, True)
    # the compiled loop
    xa, sa, ga = x.copy(), s.copy(), np.random.default_rng(9)
    col = sa if model == "aoup" else sa[:, None]
    pf._build(xa)
    fa, xia, etaa = np.zeros((N, 2)), np.zeros((N, 2)), np.empty((N, 2))
    taken, npair, rebuilds, need = advance(
        AOUP if model == "aoup" else ABP, xa, col, ga, steps, dt, v0, eps, decay, kick, 0.2,
        A, c, L, pf.pairs, pf.npair, pf.x_ref, pf.rc + pf.skin, (0.5 * pf.skin) ** 2, pf.rc,
        pf.kind, *pf.p, 0.0, 0.0, np.zeros((0, 4)), fa, xia, etaa, np.arange(N))
    assert (taken, need) == (steps, 0) and rebuilds > 0
    assert rebuilds == pr.rebuilds - 1
    assert np.array_equal(xa, xr) and np.array_equal(sa, sr)
    assert ga.bit_generator.state == gr.bit_generator.state
    assert (xa >= 0).all() and (xa < L).all()


def test_advance_asks_for_a_larger_pair_buffer():
    rng, L, pf, x = _setup("soft")
    N = len(x)
    pf._build(x)
    small = np.empty((10, 2), np.int64)
    x_ref = x + 10.0  # forces a rebuild at the first step
    g = rng.standard_normal((N, 2))
    state = np.random.default_rng(1).bit_generator.state
    r = np.random.default_rng(1)
    taken, _, _, need = advance(AOUP, x.copy(), g, r, 5, 0.1, 0.1, 0.0, 1.0, 0.0, 0.0, 0.0,
                                L / 2, L, small, 0, x_ref, pf.rc + pf.skin, 0.01, pf.rc,
                                pf.kind, *pf.p, 0.0, 0.0, np.zeros((0, 4)), np.zeros((N, 2)),
                                np.zeros((N, 2)), np.empty((N, 2)), np.arange(N))
    assert taken == 0 and need == pf.npair
    assert r.bit_generator.state == state  # nothing drawn for the step not taken


@pytest.mark.parametrize("phi", [0.5, 0.9])
def test_table_forces_match_the_closed_form(phi):
    rng, L, pf, x = _setup("soft", N=600, phi=phi)
    pf._build(x)
    f, g = np.zeros_like(x), np.zeros_like(x)
    pair_forces(x, L, pf.pairs, pf.npair, pf.rc, pf.kind, *pf.p, f)
    table_forces(x, L, pf.pairs, pf.npair, pf.rc, pf.kind, *pf.p, *force_table(SOFT, pf.p, pf.rc),
                 g)
    assert np.abs(f - g).max() < 1e-10  # k = 1; the cut-off itself leaves 1e-8
    s0, inv_h, coef = force_table(SOFT, pf.p, pf.rc)
    assert s0 == 1.0 and coef.shape == (4096, 4)
    assert force_table(WCA, (1.0, 1.0, 0.0), 2 ** (1 / 6))[2].shape == (0, 4)


def test_cell_order_keeps_each_particles_noise_and_the_bitwise_restart(tmp_path, repo_root,
                                                                        monkeypatch):
    """Sorted chunks (forced on at N = 300): g, driven by each particle's own normals only,
    is bitwise the unsorted run's; a continued run is bitwise the uninterrupted one."""
    import xarray as xr

    import physim
    import physim.solvers.active.simulation as sim
    from physim.solvers.active.forces import cell_order
    case = repo_root / "cases" / "active" / "mips.toml"
    ov = ["system.N=300", "time.end=40", "output.every=10", "model.gamma=0.1", "model.v0=0.5"]
    plain = physim.run(case, tmp_path / "p.h5", progress="none", overrides=ov)
    monkeypatch.setattr(sim, "SORT_FROM", 0)
    full = physim.run(case, tmp_path / "a.h5", progress="none", overrides=ov)
    short = physim.run(case, tmp_path / "b.h5", progress="none",
                       overrides=ov[:1] + ["time.end=20"] + ov[2:])
    physim.run(case, overrides=ov, restart=short, progress="none")
    p, a, b = (xr.open_dataset(f, engine="h5netcdf") for f in (plain, full, short))
    assert np.array_equal(p.propulsion.values, a.propulsion.values)
    assert np.array_equal(a.position.values, b.position.values)
    assert np.array_equal(a.propulsion.values, b.propulsion.values)
    L = a.attrs["L"]
    d = (a.position.values - p.position.values + L / 2) % L - L / 2
    assert np.abs(d[1]).max() < 1e-6  # the same trajectory up to round-off, early on
    x = np.random.default_rng(0).uniform(0, 30.0, (500, 2))
    o = cell_order(x, 30.0, 4.0)
    assert np.array_equal(np.sort(o), np.arange(500))
    c = (x[o] // (30.0 / 7)).astype(int)  # 7 cells of side 30 / 7 >= 4
    key = c[:, 0] * 7 + c[:, 1]
    assert (np.diff(key) >= 0).all()
