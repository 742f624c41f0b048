"""The Boltzmann solver started from given distributions: initial.kind = "array" (an array
or a callable of the velocities, or of x and the velocities in a 1-D run) and "file" (a
physim output), against the built-in kinds, the exact BKW solution and itself."""
import numpy as np
import pytest

import physim
from physim.cases import CaseError
from physim.inputs import Inputs, declared_for
from physim.parallel import run_ranks
from physim.runner import load
from physim.solvers.boltzmann import INPUTS
from physim.solvers.boltzmann.exact import bkw
from physim.solvers.boltzmann.simulation import Simulation
from physim.solvers.boltzmann.velocity import VelocityGrid

STEP_VARS = ("density", "velocity", "temperature", "H", "H_mixture", "min_f")


def mixture(**sections):
    """Two Maxwell-molecule species, masses 1 and 4, on a coarse 2-D grid."""
    case = {"solver": "boltzmann", "species": {"masses": [1.0, 4.0]},
            "collision": {"gamma": 0.0, "self_rates": 1.0, "cross_rate": 0.5},
            "velocity": {"d": 2, "N": 16, "L": 8.0, "M": 8, "n_rho": 8},
            # a coarse, fast grid, under-resolved on purpose: f reaches 1.1e-3 of its maximum
            # at the truncation radius R/2 and dips to -3.5e-3 of it (the guards' own tests
            # are in test_boltzmann_guards.py)
            "numerics": {"allow_underresolved": True},
            "initial": {"kind": "maxwellians", "density": [1.0, 0.5], "drift": [0.3, -0.05],
                        "temperature": [1.0, 2.0]},
            "time": {"dt": 0.1, "end": 1.0}, "output": {"every": 0.5}}
    for sec, table in sections.items():
        case[sec] = {**case.get(sec, {}), **table}
    return case


def from_file(case, **initial):
    """``case`` started from a file: initial = {"kind": "file", **initial}."""
    return {**case, "initial": {"kind": "file", **initial}}


def gas(**sections):
    """One species on the 2-D grid N = 16, L = 8."""
    case = mixture(species={"masses": 1.0}, collision={"self_rates": 1.0})
    case["initial"] = {"kind": "maxwellians", "density": 1.0, "temperature": 1.0}
    for sec, table in sections.items():
        case[sec] = {**case.get(sec, {}), **table}
    return case


def maxwellian(n, u, T, m=1.0):
    """A callable f(vx, vy) with grid.maxwellian's arithmetic."""
    def f(vx, vy):
        c2 = sum((va - ua) ** 2 for va, ua in zip((vx, vy), u))
        return n * (m / (2 * np.pi * T)) ** (2 / 2) * np.exp(-m * c2 / (2 * T))
    return f


def assert_same_run(a, b):
    """Every distribution and per-step record of two outputs, bit for bit."""
    for k in [v for v in a.data_vars if v.startswith("f_")] + list(STEP_VARS):
        np.testing.assert_array_equal(a[k].values, b[k].values, err_msg=k)


def test_input_names_follow_the_species():
    """One input per species, named as the output variables, from the raw or validated case."""
    assert list(declared_for(INPUTS, {"solver": "boltzmann"})) == ["f_gas"]
    assert list(declared_for(INPUTS, mixture())) == ["f_light", "f_heavy"]
    assert list(declared_for(INPUTS, load(mixture(species={"names": "e, ion"}))[0])) == \
        ["f_e", "f_ion"]


@pytest.mark.parametrize("scheme", ["full", "ap"])
def test_maxwellian_callables_reproduce_kind_maxwellians(tmp_path, scheme):
    """(a) Two drifting Maxwellians given as callables f(vx, vy): the run is the
    maxwellians run bit for bit (every snapshot and per-step record); with the AP scheme
    (mass ratio 100) the heavy one on its own grid of half width velocity.L_heavy."""
    m_H = 4.0 if scheme == "full" else 100.0
    case = mixture(species={"masses": [1.0, m_H]}, scheme={"kind": scheme},
                   velocity={"L_heavy": 0.0 if scheme == "full" else 1.2})
    ref = physim.run(case, tmp_path / "ref.h5", progress="none")
    out = physim.run(case, tmp_path / "given.h5", progress="none", initial={
        "f_light": maxwellian(1.0, (0.3, 0.0), 1.0, 1.0),
        "f_heavy": maxwellian(0.5, (-0.05, 0.0), 2.0, m_H)})
    a, b = physim.open(ref), physim.open(out)
    assert b.attrs["parameters"].count('"kind": "array"') == 1
    assert_same_run(a, b)
    import xarray as xr
    with xr.open_dataset(out, group="inputs", engine="h5netcdf") as g:
        assert g.f_light.attrs["source"] == "callable" and g.f_heavy.dims == ("heavy_vx",
                                                                               "heavy_vy")


def test_species_names_and_inputs_in_one_call(tmp_path):
    """species.names given in the same call as the input named after it."""
    out = physim.run(gas(time={"end": 0.2}), tmp_path / "ar.h5", progress="none",
                     species={"names": "argon"},
                     initial={"f_argon": maxwellian(1.0, (0.0, 0.0), 1.0)})
    ds = physim.open(out)
    assert "f_argon" in ds and ds.f_argon.dims == ("time", "argon_vx", "argon_vy")


def test_bkw_array_evolves_as_the_exact_solution(tmp_path, repo_root):
    """(b) The 2-D BKW solution at t0 = 1 given as an array (t0 = 1): max |f - f_BKW(t)|
    at the snapshots up to t = 3 within the BKW test's bar 1e-9 (measured 1.3e-10), and
    the run is the kind = "bkw" run bit for bit (its error_bkw apart)."""
    case = repo_root / "cases/boltzmann/bkw_2d.toml"
    over = ["time.end=3.0"]  # t = 1 to 3
    g = VelocityGrid(2, 64, 10.0)
    out = physim.run(case, tmp_path / "given.h5", overrides=over, progress="none",
                     initial={"f_gas": bkw(g, 1.0)[0], "t0": 1.0})
    ds = physim.open(out)
    assert "error_bkw" not in ds
    t = ds.time.values
    np.testing.assert_allclose(t, [1.0, 1.5, 2.0, 2.5, 3.0], rtol=1e-15)
    err = max(np.abs(f - bkw(g, ti)[0]).max() for f, ti in zip(ds.f_gas.values, t))
    assert err < 1e-9
    ref = physim.open(physim.run(case, tmp_path / "bkw.h5", overrides=over, progress="none"))
    assert_same_run(ref, ds)
    np.testing.assert_array_equal(ref.t_step.values, ds.t_step.values)


def test_continue_a_run_from_its_last_snapshot(tmp_path, repo_root):
    """(c) kind = "file" on a run's output (its last record, t0 = its end): the continued
    run's first snapshot and first per-step record are the source's last bit for bit,
    and its records continue the straight run's to round-off (measured 8.4e-16 of the
    largest value: the steps are differences of other times); a record chosen by time
    continues alike (9e-17). In x the same: a sound wave continued from its file."""
    first = physim.run(mixture(), tmp_path / "first.h5", progress="none")
    straight = physim.open(physim.run(mixture(time={"end": 2.0}), tmp_path / "straight.h5",
                                      progress="none"))
    src = physim.open(first)
    cont = physim.open(physim.run(from_file(mixture(time={"end": 2.0}), path=str(first), t0=1.0),
                                  tmp_path / "cont.h5", progress="none"))
    for k in ("f_light", "f_heavy"):
        np.testing.assert_array_equal(cont[k].values[0], src[k].values[-1])
    for k in STEP_VARS:
        np.testing.assert_array_equal(cont[k].values[0], src[k].values[-1], err_msg=k)
    np.testing.assert_allclose(cont.t_step.values, straight.t_step.values[10:], rtol=1e-15)
    for k in ("f_light", "f_heavy") + STEP_VARS:
        x, y = straight[k].values, cont[k].values
        x = x[2:] if k.startswith("f_") else x[10:]
        np.testing.assert_allclose(y, x, rtol=0, atol=1e-13 * np.abs(x).max(), err_msg=k)
    # the mass of each species and the total energy carry on from the source
    n0 = src.density.values[0]
    assert np.abs(cont.density.values - n0).max() < 1e-12
    # in x: the sound wave continued from its last snapshot
    case, over = repo_root / "cases/boltzmann/wave_1d.toml", ["space.cells=8",
                                                              "output.every=0.025"]
    wave = physim.run(case, tmp_path / "wave.h5", overrides=over + ["time.end=0.05"],
                      progress="none")
    whole = physim.open(physim.run(case, tmp_path / "whole.h5", progress="none",
                                   overrides=over + ["time.end=0.1"]))
    raw = physim.Case(case, overrides=over + ["time.end=0.05"]).raw
    raw["time"]["end"] = 0.1  # t = 0.05 to 0.1
    more = physim.open(physim.run(from_file(raw, path=str(wave), t0=0.05),
                                  tmp_path / "more.h5", progress="none"))
    np.testing.assert_array_equal(more.f_gas.values[0], physim.open(wave).f_gas.values[-1])
    for k in ("f_gas", "mass", "energy", "H"):
        x = whole[k].values[2:] if k == "f_gas" else whole[k].values[10:]
        np.testing.assert_allclose(more[k].values, x, rtol=0, atol=1e-13 * np.abs(x).max(),
                                   err_msg=k)
    mid = physim.open(physim.run(from_file(mixture(time={"end": 1.0}), path=str(first),
                                           time=0.5, t0=0.5), tmp_path / "mid.h5",
                                 progress="none"))
    np.testing.assert_allclose(mid.f_light.values[-1], src.f_light.values[-1], rtol=0,
                               atol=1e-13 * src.f_light.values.max())


def test_physim_run_on_an_output_repeats_it(tmp_path):
    """(d) `physim run OUT.h5 -o OUT2.h5` reproduces OUT bit for bit: from a callable, and
    from a file that is gone by then (the output keeps what it read); --restart continues
    a run from a callable bit for bit."""
    from physim.cli import main
    given = physim.run(mixture(time={"end": 0.5}), tmp_path / "given.h5", progress="none",
                       initial={"f_light": maxwellian(1.0, (0.3, 0.0), 1.0, 1.0),
                                "f_heavy": maxwellian(0.5, (0.0, 0.1), 2.0, 4.0)})
    src = physim.run(mixture(time={"end": 0.5}), tmp_path / "src.h5", progress="none")
    cont = physim.run(from_file(mixture(time={"end": 1.0}), path=str(src), t0=0.5),
                      tmp_path / "cont.h5", progress="none")
    src.unlink()
    for out in (given, cont):
        again = tmp_path / f"again_{out.name}"
        assert main(["run", str(out), "-o", str(again), "--progress", "none", "-q"]) == 0
        assert_same_run(physim.open(out), physim.open(again))
    longer = physim.run(given, tmp_path / "longer.h5", progress="none", time={"end": 1.0})
    physim.run(given, time={"end": 1.0}, restart=tmp_path / "again_given.h5", progress="none")
    assert_same_run(physim.open(longer), physim.open(tmp_path / "again_given.h5"))


def test_interpolated_file(tmp_path, repo_root):
    """interpolate = true resamples linearly: 16 cells and N = 16 onto 8 cells and N = 24
    keeps the mass to 1e-4 (measured 6.8e-5), while the linear interpolant of the coarse
    Maxwellians raises the energy by O(h^2) (measured +7.7 %); onto 16 cells from 8 the
    run's first cell lies outside the source's, and is refused by name."""
    case = repo_root / "cases/boltzmann/wave_1d.toml"
    over = ["time.end=0.01", "output.every=0.01"]
    src = {n: physim.open(physim.run(case, tmp_path / f"src{n}.h5", progress="none",
                                     overrides=over + [f"space.cells={n}"])) for n in (8, 16)}
    raw = physim.Case(case, overrides=over + ["space.cells=8", "velocity.N=24"]).raw
    out = physim.open(physim.run(from_file(raw, path=str(tmp_path / "src16.h5"),
                                           interpolate=True), tmp_path / "fine.h5",
                                 progress="none"))
    assert abs(out.mass.values[0, 0] / src[16].mass.values[-1, 0] - 1) < 1e-4
    assert 0 < out.energy.values[0] / src[16].energy.values[-1] - 1 < 0.1
    raw = physim.Case(case, overrides=over + ["space.cells=16"]).raw
    with pytest.raises(CaseError, match=r"initial.f_gas: zero mass \(int f dv = 0\) in the "
                                        r"cell at x = 0.03125"):
        physim.run(from_file(raw, path=str(tmp_path / "src8.h5"), interpolate=True),
                   tmp_path / "bad.h5", progress="none")


def wave_callable(d=2):
    """f(x, vx, vy) of wave_1d (density 1 + 0.3 sin 2 pi x, T 1 + 0.2 sin 2 pi x, drift 0.3)
    with the arithmetic of the kind "wave"."""
    def f(x, vx, vy):
        wave = np.sin(2 * np.pi * 1 * x / 1.0)
        n, T = 1.0 * (1 + 0.3 * wave), 1.0 * (1 + 0.2 * wave)
        c2 = sum((va - ua) ** 2 for va, ua in zip((vx, vy), (0.3, 0.0)))
        return n * (1.0 / (2 * np.pi * T)) ** (d / 2) * np.exp(-1.0 * c2 / (2 * T))
    return f


def test_density_wave_in_x_from_a_callable(tmp_path, repo_root):
    """(e) 1-D in x: the sound wave of wave_1d given as f(x, vx, vy) with the arithmetic of
    the kind "wave" is that run bit for bit, and the same on 1, 2 and 3 ranks."""
    case = repo_root / "cases/boltzmann/wave_1d.toml"
    over = ["space.cells=12", "time.end=0.05", "output.every=0.025"]
    ref = physim.open(physim.run(case, tmp_path / "wave.h5", overrides=over, progress="none"))
    out = physim.open(physim.run(case, tmp_path / "given.h5", overrides=over, progress="none",
                                 initial={"f_gas": wave_callable()}))
    assert out.f_gas.dims == ("time", "x", "gas_vx", "gas_vy")
    assert_same_run(ref, out)
    for k in ("mass", "momentum", "energy"):
        np.testing.assert_array_equal(out[k].values, ref[k].values, err_msg=k)
    params = physim.Case(case, overrides=over, initial={"f_gas": wave_callable()}).params

    def last(comm):
        sim = Simulation(params, comm, inputs=Inputs(params, INPUTS, {"f_gas": wave_callable()}))
        *_, rec = [r for r in sim.run() if r is not None]
        return sim.dec.start, [r.data for r in rec if r.axis == "time"][0]["f_gas"]
    one = run_ranks(1, last)[0][1]
    for size in (2, 3):
        parts = run_ranks(size, last)
        np.testing.assert_array_equal(np.concatenate([f for _, f in parts]), one)


# -- named errors, before any work ---------------------------------------------------------

G = VelocityGrid(2, 16, 8.0)
M = G.maxwellian(1.0, [0.0, 0.0], 1.0)


def _dip():
    f = M.copy()
    f[4, 8] = -0.01 * M.max()
    return f


def _nan():
    f = M.copy()
    f[3, 4] = np.nan
    return f


def _raises(vx, vy):
    raise ZeroDivisionError("bad formula")


@pytest.mark.parametrize("value, match", [
    (_dip(), r"initial.f_gas: negative values down to -0.01 of max f; f is a density"),
    (np.zeros((16, 16)), r"initial.f_gas: zero mass \(int f dv = 0\)"),
    (np.ones((16, 15)), r"initial.f_gas: shape \(16, 15\); expected \(16, 16\) over "
                        r"\('gas_vx', 'gas_vy'\)"),
    (maxwellian(1.0, (0.0, 0.0), 20.0), r"initial.f_gas: not decayed at the edge of the "
     r"velocity box: f on the faces of \[-8, 8\)\^2 reaches 0.29 of its maximum .*use a "
     r"larger velocity.L"),
    (_nan(), r"initial.f_gas: 1 non-finite values \(the first at index \(3, 4\)\)"),
    (_raises, r"initial.f_gas: the callable .*_raises raised ZeroDivisionError: bad formula"),
])
def test_bad_given_f_is_one_line(tmp_path, value, match):
    """(f) Each problem of a given f is one line naming it, and nothing is written."""
    with pytest.raises(CaseError, match=match) as err:
        physim.run(gas(), tmp_path / "bad.h5", progress="none", initial={"f_gas": value})
    assert len(err.value.problems) == 1
    assert not (tmp_path / "bad.h5").exists()


def test_bad_cases_with_inputs_are_named(tmp_path):
    """(f) A missing or unknown species input, the AP scheme without velocity.L_heavy, a
    file without the species or on another grid, and an empty cell in x."""
    f_light = maxwellian(1.0, (0.0, 0.0), 1.0)
    cases = [
        (dict(case=mixture(), initial={"f_light": f_light}),
         r"initial.f_heavy: initial.kind = 'array' needs this input"),
        (dict(case=gas(), inputs={"f_argon": M}),
         r"inputs\['f_argon'\]: not an input of the boltzmann solver; it takes 'f_gas'"),
        (dict(case=mixture(species={"masses": [1.0, 100.0]}, scheme={"kind": "ap"}),
              initial={"f_light": f_light, "f_heavy": f_light}),
         r"velocity.L_heavy: scheme.kind = 'ap' with initial.kind = 'array' needs the heavy "
         r"grid's half width"),
        (dict(case=gas(), initial={"f_gas": lambda x, vx, vy: 0 * x + M}),
         r"initial.f_gas: the callable .*<lambda> raised TypeError"),
    ]
    for kw, match in cases:
        with pytest.raises(CaseError, match=match):
            physim.run(output=tmp_path / "bad.h5", progress="none", **kw)
        assert not (tmp_path / "bad.h5").exists()
    src = physim.run(gas(time={"end": 0.2}), tmp_path / "src.h5", progress="none")
    for case, match in [
        (gas(species={"names": "argon"}),
         r"initial.f_argon: src.h5 has no variable 'f_argon'; it has 'f_gas'"),
        (gas(velocity={"N": 24}), r"initial.f_gas: gas_vx: the source grid \(16 points from "
                                  r"-8 to 7\) differs from the run's \(24 points from -8 to "
                                  r"7.33333\); set interpolate = true"),
    ]:
        with pytest.raises(CaseError, match=match):
            physim.run(from_file(case, path=str(src)), tmp_path / "bad.h5", progress="none")
    wave = {"solver": "boltzmann", "velocity": {"d": 2, "N": 16, "L": 8.0},
            "numerics": {"support_tolerance": 1e-2},
            "space": {"cells": 8}, "initial": {"kind": "array"},
            "time": {"dt": 0.01, "end": 0.02}, "output": {"every": 0.01}}
    with pytest.raises(CaseError, match=r"initial.f_gas: zero mass \(int f dv = 0\) in the "
                                        r"cell at x = 0.5625"):
        physim.run(wave, tmp_path / "bad.h5", progress="none",
                   inputs={"f_gas": lambda x, vx, vy: (np.abs(x - 0.55) > 0.05) * M})


def test_time_end_is_an_end_time_as_in_every_solver(repo_root):
    """time.end is the time the run ends at, counted from initial.t0 (it was a duration):
    an end before the start is refused in one line."""
    case = repo_root / "cases/boltzmann/bkw_2d.toml"  # t0 = 1
    with pytest.raises(physim.cases.CaseError, match=r"time.end = 0.5: the end time must "
                       r"come after the start initial.t0 = 1.0") as e:
        physim.Case(case, overrides=["time.end=0.5"]).params
    assert len(e.value.problems) == 1
