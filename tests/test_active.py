"""Active particles: forces against brute force, the trapped-AOUP EPR against the
Lyapunov closed form (both conventions), equilibrium, restart, input errors."""
import numpy as np
import pytest
import xarray as xr

import physim
from physim.analysis.epr import aoup_trap_epr, entropy_production
from physim.cases import CaseError
from physim.solvers.active.forces import (SOFT, WCA, PairForces, brute_forces, divergence,
                                          soft_cutoff)


@pytest.mark.parametrize("kind,phi", [("soft", 0.5), ("soft", 0.9), ("wca", 0.4)])
def test_verlet_list_forces_equal_brute_force(kind, phi):
    rng = np.random.default_rng(2)
    N, a = 600, 1.0 if kind == "soft" else 0.5
    L = np.sqrt(N * np.pi * a * a / phi)
    if kind == "soft":
        params, rc, code = (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), SOFT
        x = rng.uniform(0, L, (N, 2))
    else:
        params, rc, code = (1.0, 1.0), 2 ** (1 / 6), WCA
        m = int(np.ceil(np.sqrt(N)))
        ij = np.stack(np.divmod(np.arange(N), m), -1)
        x = (ij + 0.5) * (L / m) + 0.05 * rng.uniform(-1, 1, (N, 2))
    pf = PairForces(N, L, kind, params, rc, skin=0.4)
    f, g = np.zeros((N, 2)), np.zeros((N, 2))
    for _ in range(5):  # moves smaller and larger than the skin: reuse and rebuild
        pf(x, f)
        brute_forces(x, L, rc, code, *(params + (0.0,))[:3], g)
        assert np.abs(f - g).max() <= 1e-12 * np.abs(g).max()
        assert np.abs(f.sum(0)).max() <= 1e-10 * np.abs(f).max()  # Newton's third law
        x = (x + rng.normal(0, 0.03, x.shape)) % L
    assert 1 < pf.rebuilds < 5


def test_force_divergence_matches_finite_differences():
    rng = np.random.default_rng(3)
    N, L = 50, 14.0
    x = rng.uniform(0, L, (N, 2))
    pf = PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5)
    div = divergence(pf, x)
    h = 1e-6
    fd = np.zeros(N)
    f1, f2 = np.zeros((N, 2)), np.zeros((N, 2))
    for i in range(N):
        for c in range(2):
            xp, xm = x.copy(), x.copy()
            xp[i, c] += h
            xm[i, c] -= h
            brute_forces(xp, L, pf.rc, SOFT, 1.0, 7.5, 2.0, f1)
            brute_forces(xm, L, pf.rc, SOFT, 1.0, 7.5, 2.0, f2)
            fd[i] += (f1[i, c] - f2[i, c]) / (2 * h)
    assert np.abs(div - fd).max() < 1e-6


@pytest.fixture(scope="module")
def trap_runs(tmp_path_factory, repo_root):
    d = tmp_path_factory.mktemp("trap")
    case = repo_root / "cases" / "active" / "trap_aoup.toml"
    runs = {"full": [], "noisy_dof": ["model.epsilon=0.0"], "equilibrium": ["model.v0=0.0"]}
    out = {}
    for name, extra in runs.items():
        p = physim.run(case, d / f"{name}.h5", progress="none", overrides=["system.N=2000"] + extra)
        out[name] = xr.open_dataset(p, engine="h5netcdf").load()
    return out


@pytest.mark.parametrize("name,eps", [("full", 0.1), ("noisy_dof", 0.0)])
def test_trapped_aoup_epr_matches_lyapunov(trap_runs, name, eps):
    """Estimated from the solver's own Euler-Maruyama samples (dt = 1e-3: bias ~0.1 %)."""
    r = entropy_production(trap_runs[name], skip=5)
    exact = aoup_trap_epr(1.0, 1.0, 0.5, eps)
    assert r.attrs["convention"] == exact["convention"] == name
    est, err = float(r.epr) / 2000, float(r.epr_error) / 2000
    assert abs(est - exact["total"]) <= 0.02 * exact["total"]
    assert abs(est - exact["total"]) <= 2 * err  # the error bar covers the exact value
    assert float(r.epr_dof.sum()) == pytest.approx(float(r.epr), rel=1e-12)
    assert r.epr_per_particle.mean() * 2000 == pytest.approx(float(r.epr), rel=1e-12)


def test_equilibrium_epr_is_zero_within_its_error_bar(trap_runs):
    r = entropy_production(trap_runs["equilibrium"], skip=5)
    assert abs(float(r.epr)) <= 3 * float(r.epr_error)
    assert abs(float(r.epr)) / 2000 < 1e-3  # the driven runs make 6.7 per particle
    assert float(r.epr_in_sample) > 0  # the plug-in on its own fit is biased up


def test_restart_is_bitwise(tmp_path, repo_root):
    case = repo_root / "cases" / "active" / "mips.toml"
    ov = ["system.N=300", "time.end=50", "output.every=10", "model.gamma=0.1", "model.v0=0.5"]
    full = physim.run(case, tmp_path / "a.h5", progress="none", overrides=ov)
    short = physim.run(case, tmp_path / "b.h5", progress="none",
                       overrides=ov[:1] + ["time.end=20"] + ov[2:])
    physim.run(case, overrides=ov, restart=short, progress="none")
    a = xr.open_dataset(full, engine="h5netcdf")
    b = xr.open_dataset(short, engine="h5netcdf")
    assert b.sizes["time"] == a.sizes["time"]
    assert np.array_equal(a.position.values, b.position.values)
    assert np.array_equal(a.propulsion.values, b.propulsion.values)
    assert (a.position.values >= 0).all() and (a.position.values < a.attrs["L"]).all()


def test_abp_runs_and_keeps_unit_speed(tmp_path, repo_root):
    case = {"solver": "active", "model": {"kind": "abp", "v0": 1.0, "Dr": 0.1},
            "interaction": {"kind": "wca"}, "system": {"N": 200, "phi": 0.2},
            "time": {"dt": 0.001, "end": 10.0}, "output": {"every": 5.0}}
    out = physim.run(case, tmp_path / "abp.h5", progress="none")
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.orientation.dims == ("time", "particle")
    # free rotational diffusion: Var(theta(t) - theta(0)) = 2 Dr t
    d = ds.orientation.values[-1] - ds.orientation.values[0]
    assert abs(d.var() / (2 * 0.1 * 10) - 1) < 0.25


@pytest.mark.parametrize("override,match", [
    ("system.phi=0.0", "give the packing fraction phi or the box side L"),
    ("output.every=0.15", "whole number of steps"),
    ("model.gamma=-1", "model.gamma"),
    ("interaction.kind='lj'", "interaction.kind"),
])
def test_bad_input_is_named(tmp_path, repo_root, override, match):
    with pytest.raises(CaseError, match=match):
        physim.run(repo_root / "cases" / "active" / "mips.toml", tmp_path / "x.h5",
                   overrides=[override])


def test_cli_epr_and_figures(trap_runs, tmp_path, capsys):
    from physim.cli import main
    from physim.plotting import standard_figures
    path = tmp_path / "trap.h5"
    trap_runs["full"].to_netcdf(path, engine="h5netcdf")
    assert main(["analyse", "epr", str(path), "--skip", "5", "-o", str(tmp_path / "e.h5"),
                 "--plot", str(tmp_path / "m.png")]) == 0
    out = capsys.readouterr().out
    assert "convention: full" in out and "EPR:" in out
    saved = xr.open_dataset(tmp_path / "e.h5", engine="h5netcdf")
    assert saved.epr_density.dims == ("bx", "by") and saved.current.dims[0] == "component"
    names = [p.name for p in standard_figures(trap_runs["full"], tmp_path / "figs")]
    assert names == ["snapshots.png", "epr_map.png", "epr_particles.png"]
    from physim.plotting.active import epr_vs_phi_figure
    r = entropy_production(trap_runs["full"], skip=5)
    fig = epr_vs_phi_figure([0.1, 0.2], [r, r])
    assert len(fig.axes[0].lines) >= 2


def test_score_generalises_to_another_size(trap_runs):
    """A score fitted on one system size applied to another (the paper's transfer):
    for independent trapped particles the one-body score is size-independent."""
    a = entropy_production(trap_runs["full"], skip=5)
    ds = trap_runs["full"].isel(particle=slice(0, 500))
    from physim.analysis.epr import LinearScore
    sc = LinearScore("affine")
    sc.theta = np.asarray(a.attrs["theta"]).reshape(4, -1)
    b = entropy_production(ds, skip=5, score=sc)
    assert float(b.epr) / 500 == pytest.approx(float(a.epr) / 2000, rel=0.03)


@pytest.mark.slow
def test_mips_at_the_papers_state_point(tmp_path, repo_root):
    """N = 4096, phi = 0.5, v0 = 0.025, gamma = 1e-4, dt = 0.1 (about 5 minutes): by
    gamma t = 3 the system has split into a dense (>= 5 neighbours within 2.4 a) and a
    dilute (<= 2) phase. Measured 0.52 / 0.26 (research note: 0.60 / 0.26)."""
    from physim.analysis.epr.regions import local_neighbours
    out = physim.run(repo_root / "cases" / "active" / "mips.toml", tmp_path / "m.h5",
                     progress="none", overrides=["time.end=30000", "output.every=10000"])
    ds = xr.open_dataset(out, engine="h5netcdf")
    nb = local_neighbours(ds.position.isel(time=-1).values, ds.attrs["L"], 2.4)
    assert (nb >= 5).mean() >= 0.5 and (nb <= 2).mean() >= 0.2


def test_hessian_products_match_finite_differences():
    from physim.solvers.active.forces import hessian_features
    rng = np.random.default_rng(4)
    N, L = 40, 12.0
    x = rng.uniform(0, L, (N, 2))
    g = rng.standard_normal((N, 2))
    pf = PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5)
    F = np.zeros((N, 2))
    pf(x, F)
    h = hessian_features(pf, x, g, F)
    # H = -dF/dx by central differences, as a (2N x 2N) matrix
    H = np.zeros((2 * N, 2 * N))
    f1, f2 = np.zeros((N, 2)), np.zeros((N, 2))
    eps = 1e-6
    for k in range(2 * N):
        xp, xm = x.copy(), x.copy()
        xp.flat[k] += eps
        xm.flat[k] -= eps
        brute_forces(xp, L, pf.rc, SOFT, 1.0, 7.5, 2.0, f1)
        brute_forces(xm, L, pf.rc, SOFT, 1.0, 7.5, 2.0, f2)
        H[:, k] = -(f1 - f2).ravel() / (2 * eps)
    blocks = H.reshape(N, 2, N, 2)
    self_part = np.einsum("iaib,ib->ia", blocks, g)
    full = (H @ g.ravel()).reshape(N, 2)
    assert np.abs(h["Hs_g"] - self_part).max() < 1e-6
    assert np.abs(h["Hc_g"] - (full - self_part)).max() < 1e-6
    assert np.abs(h["H_F"] - (H @ F.ravel()).reshape(N, 2)).max() < 1e-6
    assert np.abs(h["H_diag"] - np.einsum("iaia->ia", blocks)).max() < 1e-6
    # the "+hessian2" products: H^2 g, H^2 F and the diagonal of H^2 (its g derivative)
    from physim.solvers.active.forces import hessian_square_features
    h2 = hessian_square_features(pf, x, h["Hs_g"] + h["Hc_g"], h["H_F"])
    scale = np.abs(H @ H).max()
    assert np.abs(h2["H2_g"] - (H @ H @ g.ravel()).reshape(N, 2)).max() < 1e-6 * scale * 10
    assert np.abs(h2["H2_F"] - (H @ H @ F.ravel()).reshape(N, 2)).max() < 1e-6 * scale * 10
    assert np.abs(h2["H2_diag"] - np.diag(H @ H).reshape(N, 2)).max() < 1e-6 * scale * 10


def test_contact_quadratics_derivatives_and_rotation():
    """The "+contact2" pair terms: their g derivatives match central differences, and they
    rotate with the configuration (vector features of rotated x and w)."""
    from physim.solvers.active.forces import contact_features
    rng = np.random.default_rng(6)
    N, L = 30, 12.0
    x = rng.uniform(0, L, (N, 2))
    w = rng.standard_normal((N, 2))
    pf = PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5)
    q = contact_features(pf, x, w)
    names = [k for k in q if k.startswith("Q_")]
    h = 1e-6
    fd = {name: np.zeros((N, 2)) for name in names}
    for i in range(N):  # particle i's own derivative: only w_i moves
        for c in (0, 1):
            wp, wm = w.copy(), w.copy()
            wp[i, c] += h
            wm[i, c] -= h
            qp, qm = contact_features(pf, x, wp), contact_features(pf, x, wm)
            for name in names:
                fd[name][i, c] = (qp[name][i, c] - qm[name][i, c]) / (2 * h)
    for name in names:
        assert np.abs(fd[name] - q["d" + name]).max() < 1e-5 * (1 + np.abs(fd[name]).max())
    # rotation by 90 degrees about the box centre (a symmetry of the square periodic box)
    R = np.array([[0.0, -1.0], [1.0, 0.0]])
    xr_ = (x - L / 2) @ R.T % L
    qr = contact_features(PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5),
                          xr_, w @ R.T)
    for name in names:
        assert np.allclose(qr[name], q[name] @ R.T, atol=1e-10)


def test_interacting_score_at_small_persistence(tmp_path):
    """Soft disks, N = 128, phi = 0.4, v0 = 1, gamma = 5, noise on g only (research note §4:
    the compact basis {g, F, H g, H F} captures 0.92). The score-free identity is exact:
    the fitted EPR is a lower bound of it (within its error) and captures >= 0.85."""
    case = {"solver": "active", "model": {"kind": "aoup", "v0": 1.0, "gamma": 5.0, "epsilon": 0.0},
            "interaction": {"kind": "soft"}, "system": {"N": 128, "phi": 0.4},
            "initial": {"seed": 5}, "time": {"dt": 0.01, "end": 410.0}, "output": {"every": 1.0}}
    ds = xr.open_dataset(physim.run(case, tmp_path / "s.h5", progress="none"),
                         engine="h5netcdf").load()
    r = entropy_production(ds, skip=10)
    assert r.attrs["features"] == "propulsion+force+hessian"
    ref, ref_err = float(r.epr_score_free), float(r.epr_score_free_error)
    fitted, err = float(r.epr), float(r.epr_error)
    assert fitted <= ref + 3 * np.hypot(err, ref_err)
    assert fitted / ref >= 0.85
    plain = entropy_production(ds, skip=10, features="propulsion+force")
    assert float(plain.epr) < fitted  # the Hessian features capture more


def test_blow_up_stops_with_a_message_and_keeps_the_output(tmp_path):
    from physim.runner import RunError
    case = {"solver": "active", "model": {"kind": "abp", "v0": 1.0, "Dr": 1.0},
            "interaction": {"kind": "wca", "epsilon": 1e306}, "system": {"N": 400, "phi": 0.7},
            "time": {"dt": 0.01, "end": 5.0}, "output": {"every": 0.5}}
    with pytest.raises(RunError, match="non-finite particle state at t = 0.5"):
        physim.run(case, tmp_path / "b.h5", progress="none")
    with xr.open_dataset(tmp_path / "b.h5") as ds:
        assert ds.attrs["status"].startswith("failed") and ds.sizes["time"] == 1


def test_epr_map_zooms_to_a_cluster_in_a_large_box():
    import matplotlib
    matplotlib.use("Agg")
    from physim.plotting.active import epr_map_figure
    n, L = 60, 120.0
    b = (np.arange(n) + 0.5) * L / n
    rho = np.zeros((n, n))
    rho[28:33, 29:31] = 3.0
    res = xr.Dataset({"density": (("bx", "by"), rho), "epr_density": (("bx", "by"), 2 * rho),
                      "current": (("c", "bx", "by"), np.zeros((2, n, n)))},
                     coords={"bx": b, "by": b}, attrs={"convention": "full"})
    fig = epr_map_figure(res)
    for ax in fig.axes[:2]:  # the two maps (then the colour bars)
        x0, x1 = ax.get_xlim()
        assert x0 == pytest.approx(26 * 2.0) and x1 == pytest.approx(35 * 2.0)
    res["density"][:] = 1.0  # a filled box is shown whole
    fig = epr_map_figure(res)
    assert fig.axes[0].get_xlim() == pytest.approx((0, L))
