"""Active particles started from given positions (``[initial] kind = "array"`` / ``"file"``):
continuing a run and quenching it, the stored /inputs and runs repeated from them, the
restart, one line per bad input, and the physics: a trapped AOUP started from its exact
stationary Gaussian stays there, a quench follows the exact covariance transient."""
import shutil

import numpy as np
import pytest
import xarray as xr
from scipy.linalg import solve_discrete_lyapunov

import physim
from physim.analysis.epr.gaussian import aoup_matrices, stationary_covariance
from physim.cases import CaseError
from physim.inputs import Input, Inputs, Resolved, sha256
from physim.solvers.active import box_side
from physim.solvers.active.dynamics import ou_coefficients

SOFT = {"solver": "active", "model": {"kind": "aoup", "v0": 1.0, "gamma": 0.5, "epsilon": 0.1},
        "interaction": {"kind": "soft"}, "system": {"N": 200, "phi": 0.3},
        "initial": {"seed": 1}, "time": {"dt": 0.01, "end": 1.0}, "output": {"every": 0.5}}
ABP = {**SOFT, "model": {"kind": "abp", "v0": 1.0, "Dr": 0.5}}
FILE = {"kind": "file", "seed": 2}  # a run from a file takes a seed of its own


def _run(case, path, **kw):
    return physim.run(case, path, progress="none", **kw)


def _load(path, group=None):
    with xr.open_dataset(path, group=group) as ds:
        return ds.load()


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An AOUP run (random start), an ABP run and a run of 3 replicas to start from."""
    d = tmp_path_factory.mktemp("src")
    return {"aoup": _run(SOFT, d / "aoup.h5"), "abp": _run(ABP, d / "abp.h5"),
            "replicas": _run(SOFT, d / "r3.h5", ensemble={"replicas": 3})}


# -- physim.inputs: an optional input a file lacks --------------------------------------------

def test_optional_input_missing_from_file_is_none_and_stays_none_when_replayed(tmp_path):
    path = tmp_path / "a.nc"
    xr.Dataset({"a": (("i",), np.arange(3.0))}, coords={"i": np.arange(3)}).to_netcdf(path)
    declared = {"a": Input("s", "needed"), "b": Input("s", "optional", required=False),
                "c": Input("s", "needed too")}
    sec = {"kind": "file", "path": str(path), "time": None, "index": None, "member": None,
           "interpolate": False}
    ins = Inputs({"solver": "x", "s": sec}, declared)
    coords = {"i": np.arange(3)}
    assert np.array_equal(ins.array("a", coords), [0.0, 1.0, 2.0])
    assert ins.array("b", coords) is None and "b" not in ins.resolved
    with pytest.raises(CaseError, match="has no variable 'c'"):  # a required one still fails
        ins.array("c", coords)
    # a run repeated from its output neither reads the file again nor invents b
    path.unlink()
    again = Inputs({"solver": "x", "s": sec}, declared, {"a": ins.resolved["a"]})
    assert np.array_equal(again.array("a", coords), [0.0, 1.0, 2.0])
    assert again.array("b", coords) is None
    assert isinstance(again.given["a"], Resolved)


# -- continuing, quenching, the stored inputs ----------------------------------------------

def test_continue_from_last_snapshot_is_bitwise_and_recorded(source, tmp_path):
    out = _run(SOFT, tmp_path / "b.h5", initial={**FILE, "path": str(source["aoup"])})
    a, b = _load(source["aoup"]), _load(out)
    assert np.array_equal(b.position.values[0], a.position.values[-1])
    assert np.array_equal(b.propulsion.values[0], a.propulsion.values[-1])
    assert not np.array_equal(b.position.values[-1], b.position.values[0])
    ins = _load(out, "inputs")
    assert set(ins.data_vars) == {"position", "propulsion"}
    assert ins.position.dims == ("particle", "dim")
    assert np.array_equal(ins.particle.values, a.particle.values)
    assert np.array_equal(ins.dim.values, a.dim.values)
    assert np.array_equal(ins.position.values, a.position.values[-1])
    at = ins.position.attrs
    assert at["source"] == "file" and at["variable"] == "position"
    assert at["path"] == str(source["aoup"].resolve()) and at["sha256"] == sha256(source["aoup"])
    assert at["record_index"] == a.sizes["time"] - 1 and at["record_coord"] == 1.0
    assert "position and propulsion from initial.kind = 'file'" in b.attrs["seeding"]


def test_file_record_by_time(source, tmp_path):
    out = _run(SOFT, tmp_path / "b.h5", initial={**FILE, "path": str(source["aoup"]),
                                                 "time": 0.5})
    assert np.array_equal(_load(out).position.values[0], _load(source["aoup"]).position.values[1])


def test_quench_of_v0_from_a_file(source, tmp_path):
    out = _run(SOFT, tmp_path / "q.h5", initial={**FILE, "path": str(source["aoup"])},
               model={"v0": 3.0})
    a, q = _load(source["aoup"]), _load(out)
    assert q.attrs["model_v0"] == 3.0
    assert np.array_equal(q.position.values[0], a.position.values[-1])
    assert np.isfinite(q.position.values).all()
    assert (q.position.values >= 0).all() and (q.position.values <= q.attrs["L"]).all()


def test_abp_continues_its_orientations(source, tmp_path):
    out = _run(ABP, tmp_path / "b.h5", initial={**FILE, "path": str(source["abp"])})
    a, b = _load(source["abp"]), _load(out)
    assert np.array_equal(b.orientation.values[0], a.orientation.values[-1])
    assert set(_load(out, "inputs").data_vars) == {"position", "orientation"}


def test_array_from_python_draws_the_rest_from_the_seed(tmp_path):
    N = 200
    x0 = np.random.default_rng(9).uniform(0, 10, (N, 2)) + 5.0
    out = _run(SOFT, tmp_path / "b.h5", initial={"position": x0})
    b = _load(out)
    assert np.array_equal(b.position.values[0], x0)
    # nothing is drawn for the given positions: g comes first from default_rng([seed, 0])
    g = np.random.default_rng([1, 0]).standard_normal((N, 2))
    assert np.array_equal(b.propulsion.values[0], g)
    ins = _load(out, "inputs")
    assert set(ins.data_vars) == {"position"} and ins.position.attrs["source"] == "array"
    assert "propulsion, then the noise" in b.attrs["seeding"]
    # the same seed and input: the same run
    again = _run(SOFT, tmp_path / "c.h5", initial={"position": x0})
    assert np.array_equal(_load(again).position.values, b.position.values)


def test_random_start_is_unchanged(tmp_path):
    """Cases without initial.kind start as before: positions, then g, from the seed."""
    assert physim.Case(SOFT).params["initial"] == {"kind": "random", "seed": 1, "spread": 0.0}
    out = _load(_run(SOFT, tmp_path / "a.h5"))
    rng = np.random.default_rng([1, 0])
    assert np.array_equal(out.position.values[0], rng.uniform(0, out.attrs["L"], (200, 2)))
    assert np.array_equal(out.propulsion.values[0], rng.standard_normal((200, 2)))


def test_position_only_file_draws_propulsion(source, tmp_path):
    path = tmp_path / "pos.nc"
    x = _load(source["aoup"]).position.values[-1]
    xr.Dataset({"position": (("particle", "dim"), x)}).to_netcdf(path)
    out = _load(_run(SOFT, tmp_path / "b.h5", initial={**FILE, "path": str(path)}))
    assert np.array_equal(out.position.values[0], x)
    assert np.array_equal(out.propulsion.values[0],
                          np.random.default_rng([2, 0]).standard_normal((200, 2)))


def test_positions_off_the_box_by_round_off_are_wrapped(tmp_path):
    L = box_side(physim.Case(SOFT).params)
    x0 = np.random.default_rng(9).uniform(0, L, (200, 2))
    x0[0] = (-1e-12, L)
    x0[1] = (L * (1 + 1e-9), 1.0)
    out = _run(SOFT, tmp_path / "b.h5", initial={"position": x0})
    x = _load(out).position.values[0]
    assert x[0, 1] == L and 0 <= x[0, 0] <= L and 0 <= x[1, 0] < 1e-6 * L
    assert np.array_equal(x[2:], x0[2:])


# -- replicas ---------------------------------------------------------------------------------

def test_one_configuration_for_every_replica(tmp_path):
    x0 = np.random.default_rng(9).uniform(0, 10, (200, 2))
    b = _load(_run(SOFT, tmp_path / "b.h5", initial={"position": x0}, ensemble={"replicas": 3}))
    assert b.position.dims == ("time", "replica", "particle", "dim")
    for r in range(3):
        assert np.array_equal(b.position.values[0, r], x0)
    assert not np.array_equal(b.position.values[-1, 0], b.position.values[-1, 1])
    assert "the same for every replica" in b.attrs["seeding"]


def test_each_replica_from_its_own_and_member(source, tmp_path):
    a = _load(source["replicas"])
    per = _load(_run(SOFT, tmp_path / "b.h5", ensemble={"replicas": 3},
                     initial={**FILE, "path": str(source["replicas"]), "per_replica": True}))
    assert np.array_equal(per.position.values[0], a.position.values[-1])
    assert np.array_equal(per.propulsion.values[0], a.propulsion.values[-1])
    one = _load(_run(SOFT, tmp_path / "c.h5", ensemble={"replicas": 2},
                     initial={**FILE, "path": str(source["replicas"]), "member": 1}))
    for r in range(2):
        assert np.array_equal(one.position.values[0, r], a.position.values[-1, 1])


# -- repeated from the output, restarted -------------------------------------------------------

def test_rerun_of_the_output_is_bitwise_for_array_and_file(source, tmp_path):
    from physim.cli import main
    src = tmp_path / "src.h5"
    shutil.copy(source["aoup"], src)
    runs = {"array": _run(SOFT, tmp_path / "arr.h5",
                          initial={"position": _load(src).position.values[-1]}),
            "file": _run(SOFT, tmp_path / "file.h5", initial={**FILE, "path": str(src)})}
    src.unlink()  # the output alone repeats the run: the file is not read again
    for name, out in runs.items():
        again = tmp_path / f"{name}_again.h5"
        assert main(["-q", "run", str(out), "-o", str(again)]) == 0
        a, b = _load(out), _load(again)
        for v in ("position", "propulsion"):
            assert np.array_equal(a[v].values, b[v].values), (name, v)
        assert set(_load(again, "inputs").data_vars) == set(_load(out, "inputs").data_vars)


def test_restart_of_a_run_from_a_file_is_bitwise(source, tmp_path):
    src = tmp_path / "src.h5"
    shutil.copy(source["aoup"], src)
    ini = {**FILE, "path": str(src)}
    full = _run(SOFT, tmp_path / "full.h5", initial=ini, time={"end": 2.0})
    short = _run(SOFT, tmp_path / "short.h5", initial=ini, time={"end": 1.0})
    src.unlink()  # the restart reads the inputs from short.h5
    physim.run(SOFT, initial=ini, time={"end": 2.0}, restart=short, progress="none")
    a, b = _load(full), _load(short)
    assert b.sizes["time"] == a.sizes["time"] == 5
    for v in ("position", "propulsion"):
        assert np.array_equal(a[v].values, b[v].values)


# -- one line per bad input ----------------------------------------------------------------------

def _bad(case, src):
    x = _load(src["aoup"]).position.values[-1]
    nan = x.copy()
    nan[3, 1] = np.nan
    out = x.copy()
    out[7] = (-0.5, 1.0)
    foo = src["aoup"].with_name("foo.nc")
    xr.Dataset({"foo": (("particle",), np.zeros(200))}).to_netcdf(foo)
    return {
        "N": ({"initial": {"position": x[:150]}}, r"initial.position: 150 particles; "
              r"system.N = 200"),
        "N_file": ({"initial": {**FILE, "path": str(src["aoup"])}, "system": {"N": 100}},
                   r"initial.position: 200 particles in aoup.h5; system.N = 100"),
        "shape": ({"initial": {"position": np.zeros((200, 3))}},
                  r"initial.position: shape \(200, 3\); expected \(200, 2\)"),
        "orientation_shape": ({"model": ABP["model"],
                               "initial": {"position": x, "orientation": np.zeros((200, 2))}},
                              r"initial.orientation: shape \(200, 2\); expected \(200,\)"),
        "nan": ({"initial": {"position": nan}}, r"initial.position: 1 non-finite values"),
        "outside": ({"initial": {"position": out}}, r"initial.position: 1 particles outside "
                    r"the box \[0, L\)\^2 with L = 45.7646 from system.phi; the first: "
                    r"particle 7 at \(-0.5, 1\)"),
        "missing": ({"initial": {**FILE, "path": str(foo)}},
                    r"initial.position: foo.nc has no variable 'position'; it has 'foo'"),
        "no_file": ({"initial": {**FILE, "path": str(foo.with_name("nope.h5"))}},
                    r"initial.path: .*nope.h5' does not exist"),
        "aoup_file_for_abp": ({"model": ABP["model"],
                               "initial": {**FILE, "path": str(src["aoup"])}},
                              r"initial.path: aoup.h5 holds propulsion and no orientation: it "
                              r"is from an AOUP run, and model.kind = 'abp' needs orientation"),
        "abp_file_for_aoup": ({"initial": {**FILE, "path": str(src["abp"])}},
                              r"initial.path: abp.h5 holds orientation and no propulsion"),
        "orientation_for_aoup": ({"initial": {"position": x, "orientation": np.zeros(200)}},
                                 r"initial.orientation: model.kind = 'aoup' takes propulsion"),
        "same_seed": ({"initial": {**FILE, "seed": 1, "path": str(src["aoup"])}},
                      r"initial.seed: 1 is the seed of aoup.h5: this run would reuse the noise"),
        "replicas_shared": ({"initial": {**FILE, "path": str(src["replicas"])},
                             "ensemble": {"replicas": 3}},
                            r"initial.position: one configuration per replica \(3\) in r3.h5; "
                            r"set initial.per_replica = true .* or choose one for all with "
                            r"initial.member = i"),
        "replicas_count": ({"initial": {**FILE, "path": str(src["replicas"]),
                                        "per_replica": True}, "ensemble": {"replicas": 4}},
                           r"initial.position: 3 replicas in r3.h5; ensemble.replicas = 4"),
        "per_replica_one": ({"initial": {**FILE, "path": str(src["aoup"]), "per_replica": True}},
                            r"initial.per_replica: needs ensemble.replicas > 1"),
        "interpolate": ({"initial": {**FILE, "path": str(src["aoup"]), "interpolate": True}},
                        r"initial.interpolate: particles are not resampled"),
    }[case]


@pytest.mark.parametrize("case", ["N", "N_file", "shape", "orientation_shape", "nan", "outside",
                                  "missing", "no_file", "aoup_file_for_abp", "abp_file_for_aoup",
                                  "orientation_for_aoup", "same_seed", "replicas_shared",
                                  "replicas_count", "per_replica_one", "interpolate"])
def test_bad_input_is_one_line_before_any_work(case, source, tmp_path):
    change, match = _bad(case, source)
    base = {**SOFT, "model": change.pop("model", SOFT["model"])}
    out = tmp_path / "x.h5"
    with pytest.raises(CaseError, match=match) as err:
        _run(base, out, **change)
    assert len(err.value.problems) == 1
    assert not out.exists()


# -- physics: a trapped AOUP from its stationary Gaussian ----------------------------------------

A, V0, GAMMA, EPS, DT, NP, L_TRAP = 1.0, 1.0, 0.5, 0.1, 0.01, 4000, 20.0
TRAP = {"solver": "active", "model": {"kind": "aoup", "v0": V0, "gamma": GAMMA, "epsilon": EPS},
        "interaction": {"kind": "none"}, "system": {"N": NP, "L": L_TRAP, "trap": A},
        "initial": {"seed": 5}, "time": {"dt": DT, "end": 10.0}, "output": {"every": 1.0}}


def _scheme(v0):
    """(F, Q) of one axis of the solver's scheme for z = (x - c, g): z' = F z + noise(Q)
    (Euler-Maruyama for x with the old g, the exact OU transition for g)."""
    decay, kick = ou_coefficients(GAMMA, DT)
    return (np.array([[1 - A * DT, v0 * DT], [0.0, decay]]),
            np.diag([2 * EPS * DT, kick ** 2]))


def _covariances(ds):
    """Per snapshot: the sample covariance of (x - c, g) over particles and both axes."""
    dx = (ds.position.values - L_TRAP / 2).reshape(ds.sizes["time"], -1)
    g = ds.propulsion.values.reshape(ds.sizes["time"], -1)
    return np.stack([np.stack([(dx * dx).mean(1), (dx * g).mean(1)], -1),
                     np.stack([(dx * g).mean(1), (g * g).mean(1)], -1)], -2)


def _transient(C0, v0, snapshots, steps):
    """The exact covariance of the scheme at each snapshot, from C0."""
    F, Q = _scheme(v0)
    out, C = [C0], C0
    for _ in range(snapshots - 1):
        for _ in range(steps):
            C = F @ C @ F.T + Q
        out.append(C)
    return np.array(out)


def _z_scores(sample, exact, n):
    """(sample - exact) / sd of the Gaussian estimator (known mean), per entry."""
    sx, sg, cxg = exact[..., 0, 0], exact[..., 1, 1], exact[..., 0, 1]
    return np.stack([(sample[..., 0, 0] - sx) / (sx * np.sqrt(2 / n)),
                     (sample[..., 0, 1] - cxg) / np.sqrt((sx * sg + cxg ** 2) / n)], -1)


def test_trapped_aoup_from_its_stationary_gaussian_stays_there(tmp_path):
    F, Q = _scheme(V0)
    C = solve_discrete_lyapunov(F, Q)  # the scheme's own stationary law: no dt bias
    Cc = stationary_covariance(*aoup_matrices(A, V0, GAMMA, EPS))  # the SDE's, for scale
    assert np.allclose(C, Cc, rtol=5e-3)
    assert Cc[0, 0] == pytest.approx(EPS / A + V0 ** 2 / (A * (A + GAMMA)))
    z = np.random.default_rng(7).multivariate_normal([0, 0], C, size=(NP, 2))
    x0, g0 = L_TRAP / 2 + z[..., 0], z[..., 1]
    n = 2 * NP
    stat = _load(_run(TRAP, tmp_path / "s.h5", initial={"position": x0, "propulsion": g0}))
    zs = _z_scores(_covariances(stat), C, n)
    assert np.abs(zs).max() < 4  # every snapshot, variance and x-g covariance
    # the default start (uniform in the box) is far from it and relaxes onto the exact
    # transient of the covariance
    rel = _load(_run(TRAP, tmp_path / "r.h5", initial={"seed": 6}))
    S = _covariances(rel)
    exact = _transient(np.diag([L_TRAP ** 2 / 12, 1.0]), V0, rel.sizes["time"], 100)
    assert (S[0, 0, 0] - C[0, 0]) / (C[0, 0] * np.sqrt(2 / n)) > 100
    assert np.abs(_z_scores(S, exact, n)).max() < 4
    assert abs(_z_scores(S[-1], C, n)).max() < 4


def test_quench_of_v0_follows_the_exact_transient(tmp_path):
    """A stationary trapped AOUP at v0 = 1, continued from its file at v0 = 2: its
    covariance moves from one Lyapunov solution to the other along the exact recursion."""
    a = _run(TRAP, tmp_path / "a.h5", initial={"spread": 1.0})
    q = _load(_run(TRAP, tmp_path / "q.h5", initial={"kind": "file", "path": str(a), "seed": 8},
                   model={"v0": 2.0}, time={"end": 8.0}))
    n = 2 * NP
    C1, C2 = (solve_discrete_lyapunov(*_scheme(v)) for v in (V0, 2.0))
    # A had relaxed (a start of width 1 decays as e^{-2 A t}): q starts at A's law
    exact = _transient(C1, 2.0, q.sizes["time"], 100)
    S = _covariances(q)
    assert np.abs(_z_scores(S, exact, n)).max() < 4
    assert (S[-1, 0, 0] - C1[0, 0]) / (C2[0, 0] * np.sqrt(2 / n)) > 30
    assert np.abs(_z_scores(S[-1], C2, n)).max() < 4
