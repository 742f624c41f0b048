"""User inputs (physim.inputs) through the NLSE solver: arrays, callables, files.

Validated against exact solutions the built-in kinds cannot express (the N = 2 and
N = 3 solitons N sech x) and against the built-in harmonic trap; then the plumbing:
files by time or index, interpolation only on request, the record in the output that
repeats a run, restart and regress, and one clear line for every bad input.
"""
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from physim.cases import CaseError
from physim.cli import main

HALF_PI = np.pi / 2
CASES = Path(__file__).resolve().parents[1] / "cases"

SECH = """solver = "nlse"
[grid]
L = 40.0
N = 512
[initial]
kind = "array"
[time]
end = 1.5707963267948966
[output]
every = 0.39269908169744814
[numerics]
dealias = 1.0
"""

TRAP = """solver = "nlse"
[model]
gamma = -5.0
[grid]
L = 16.0
N = [48, 40]
[potential]
kind = "harmonic"
omega = [1.0, 1.3]
[initial]
kind = "gaussian"
width = [1.5, 1.2]
[time]
end = 0.5
[output]
every = 0.25
"""


def two_soliton(x, t):
    """The N = 2 soliton of i psi_t + psi_xx / 2 + |psi|^2 psi = 0 with psi(x, 0) = 2 sech x
    (Satsuma & Yajima 1974): it returns to itself, up to a phase, after t = pi / 2."""
    num = np.cosh(3 * x) + 3 * np.exp(4j * t) * np.cosh(x)
    den = np.cosh(4 * x) + 4 * np.cosh(2 * x) + 3 * np.cos(4 * t)
    return 4 * np.exp(0.5j * t) * num / den


def test_two_soliton_from_a_callable_matches_satsuma_yajima(tmp_path):
    # N = 1024: the peak of height 4 at t = pi/4 is 6e-7 off at N = 512; the floor,
    # 8e-9, is the sech tails e^-20 that the periodic box of L = 40 cuts
    out = physim.run(SECH, tmp_path / "n2.h5", progress="none", grid={"N": 1024},
                     inputs={"psi": lambda x: 2 / np.cosh(x)})
    with physim.open(out) as ds:
        x = ds.x.values
        for t in ds.time.values:
            err = np.abs(ds.psi.sel(time=t).values - two_soliton(x, t)).max()
            assert err < 2e-8, (t, err)


@pytest.mark.parametrize("n, N", [(2, 512), (3, 1024)])
def test_higher_order_soliton_returns_after_half_pi(tmp_path, n, N):
    out = physim.run(SECH, tmp_path / "n.h5", progress="none", grid={"N": N},
                     initial={"psi": lambda x: n / np.cosh(x)})
    with physim.open(out) as ds:
        a, b = np.abs(ds.psi.isel(time=0)), np.abs(ds.psi.isel(time=-1))
        middle = np.abs(ds.psi.isel(time=2))
        assert float(abs(a - b).max()) < 1e-7
        assert float(abs(a - middle).max()) > 0.5  # it did breathe in between
        assert float(ds.mass[-1] / ds.mass[0] - 1) < 1e-12


def test_potential_array_equals_the_built_in_harmonic_trap(tmp_path):
    ref = physim.run(TRAP, tmp_path / "harmonic.h5", progress="none")
    beta, w = 0.5, (1.0, 1.3)
    grid = physim.Case(TRAP).params["grid"]
    x = -8 + 16 / 48 * np.arange(48)
    y = -8 + 16 / 40 * np.arange(40)
    V = (w[0] ** 2 * x[:, None] ** 2 + w[1] ** 2 * y[None, :] ** 2) / (4 * beta)
    assert grid["N"] == [48, 40]
    got = physim.run(TRAP, tmp_path / "array.h5", progress="none", potential={"V": V})
    with physim.open(ref) as a, physim.open(got) as b:
        scale = np.abs(a.psi.values).max()
        assert np.abs(a.psi.values - b.psi.values).max() <= 1e-13 * scale
        np.testing.assert_allclose(b.energy.values, a.energy.values, rtol=1e-13)
    with xr.open_dataset(got, group="inputs") as inp:
        np.testing.assert_array_equal(inp.V.values, V)
        assert inp.V.attrs["source"] == "array"


def test_a_file_continues_a_run_at_a_chosen_time(tmp_path):
    first = physim.run(TRAP, tmp_path / "a.h5", progress="none", time={"end": 1.0})
    again = physim.run(TRAP, tmp_path / "b.h5", progress="none",
                       initial={"kind": "file", "path": str(first), "time": 0.5},
                       time={"start": 0.5, "end": 1.0})
    with physim.open(first) as a, physim.open(again) as b, \
            xr.open_dataset(again, group="inputs") as inp:
        np.testing.assert_array_equal(inp.psi.values, a.psi.sel(time=0.5).values)
        # the first snapshot went through the FFT and back
        np.testing.assert_allclose(b.psi.isel(time=0).values, a.psi.sel(time=0.5).values,
                                   rtol=0, atol=1e-15)
        # the stepper starts afresh at 0.5: the same solution to the tolerance
        np.testing.assert_allclose(b.psi.isel(time=-1).values, a.psi.isel(time=-1).values,
                                   rtol=0, atol=1e-8)
    with xr.open_dataset(again, group="inputs") as inp:
        attrs = inp.psi.attrs
        assert attrs["source"] == "file" and attrs["path"] == str(first.resolve())
        assert attrs["record_index"] == 2 and len(attrs["sha256"]) == 64


def test_index_selects_a_record_and_the_last_is_the_default(tmp_path):
    first = physim.run(TRAP, tmp_path / "a.h5", progress="none")
    for sel, i in (({}, -1), ({"index": 0}, 0), ({"index": -2}, 1)):
        out = physim.run(TRAP, tmp_path / f"b{i}.h5", progress="none",
                         initial={"kind": "file", "path": str(first), **sel})
        with physim.open(first) as a, xr.open_dataset(out, group="inputs") as b:
            np.testing.assert_array_equal(b.psi.values, a.psi.isel(time=i).values)


def test_another_grid_is_refused_unless_interpolation_is_asked(tmp_path):
    coarse = physim.run(TRAP, tmp_path / "coarse.h5", progress="none", grid={"N": [32, 28]},
                        time={"end": 0.25})
    with pytest.raises(CaseError, match=r"initial.psi: x: the source grid \(32 points from -8 "
                       r"to 7\.5\) differs from the run's \(48 points from -8 to 7\.66667\); "
                       "set interpolate = true"):
        physim.run(TRAP, tmp_path / "fine.h5", progress="none",
                   initial={"kind": "file", "path": str(coarse), "index": 0})
    assert not (tmp_path / "fine.h5").exists()
    fine = physim.run(TRAP, tmp_path / "fine.h5", progress="none",
                      initial={"kind": "file", "path": str(coarse), "index": 0,
                               "interpolate": True})
    exact = physim.run(TRAP, tmp_path / "exact.h5", progress="none", time={"end": 0.25})
    with physim.open(fine) as a, physim.open(exact) as b:
        # the trigonometric interpolant is exact to what the box is not periodic by:
        # the Gaussian's tail at the edge, exp(-8^2 / (2 1.5^2)) = 6.6e-7, gives 1.5e-7
        err = np.abs(a.psi.isel(time=0).values - b.psi.isel(time=0).values).max()
        assert err < 3e-7
    with xr.open_dataset(fine, group="inputs") as inp:
        assert inp.psi.attrs["interpolated_x"] == "32 points from -8 to 7.5"


def test_any_netcdf_file_on_the_same_coordinates(tmp_path):
    x = -20 + 40 / 512 * np.arange(512)
    da = xr.DataArray(2 / np.cosh(x), dims="x", coords={"x": x}, name="field")
    da.to_netcdf(tmp_path / "field.nc", engine="h5netcdf")
    out = physim.run(SECH, tmp_path / "n2.h5", progress="none",
                     initial={"kind": "file", "path": str(tmp_path / "field.nc"),
                              "variable": "field"}, time={"end": HALF_PI / 4})
    with physim.open(out) as ds:
        t = float(ds.time[-1])
        assert np.abs(ds.psi.isel(time=-1).values - two_soliton(x, t)).max() < 2e-8
    # a DataArray is matched by its coordinates like a file
    with pytest.raises(CaseError, match=r"initial.psi: x: the source grid \(256 points"):
        physim.run(SECH, tmp_path / "bad.h5", progress="none", inputs={"psi": da[::2]})


def test_the_output_alone_repeats_the_run(tmp_path, capsys):
    first = physim.run(TRAP, tmp_path / "a.h5", progress="none",
                       initial={"psi": lambda x, y: np.exp(-x ** 2 - (y - 0.5) ** 2 + 0.3j * x)})
    assert main(["-q", "run", str(first), "-o", str(tmp_path / "b.h5")]) == 0
    with physim.open(first) as a, physim.open(tmp_path / "b.h5") as b:
        np.testing.assert_array_equal(a.psi.values, b.psi.values)
    assert main(["-q", "regress", str(first), str(first)]) == 0
    assert "OK: matches the reference" in capsys.readouterr().out


def test_restart_reads_the_inputs_from_the_output(tmp_path):
    V = lambda x, y: 0.5 * x ** 2 + 0.8 * y ** 2 + 0.05 * x ** 4  # noqa: E731 - not harmonic
    case = physim.Case(TRAP, potential={"V": V})
    straight = case.run(tmp_path / "straight.h5", progress="none", time={"end": 1.0})
    short = case.run(tmp_path / "short.h5", progress="none")
    # the case names no V now: the restart takes the one stored in short.h5
    physim.run(TRAP, restart=short, progress="none", time={"end": 1.0},
               potential={"kind": "array"})
    with physim.open(straight) as a, physim.open(short) as b:
        assert b.sizes["time"] == 5
        np.testing.assert_allclose(b.psi.values, a.psi.values, rtol=0, atol=1e-9)


def test_a_multi_rank_free_case_text_round_trips(tmp_path):
    case = physim.Case(TRAP, grid={"N": [32, 32]}, overrides=["time.end=0.75"])
    again = physim.Case(case.text)
    assert again.params == case.params
    assert "changed in Python or by --set" not in physim.Case(TRAP).text


# -- bad input: one line, before any work, nothing written ------------------------------
BAD = [
    ({"inputs": {"psi": np.ones(100)}}, r"initial.psi: shape \(100,\); expected \(512,\) over \('x',\)"),
    ({"inputs": {"psi": np.full(512, np.nan)}}, r"initial.psi: 512 non-finite values \(the first "
                                                r"at index \(0,\)\)"),
    ({"inputs": {"psi": np.array(["a"] * 512)}}, r"initial.psi: dtype <U1; expected numbers"),
    ({"inputs": {"psi": lambda x: 1 / 0}}, r"initial.psi: the callable .*<lambda> raised "
                                           "ZeroDivisionError: division by zero"),
    ({"inputs": {"psi": lambda x: np.ones(3)}}, r"initial.psi: the callable .* returned shape "
                                                r"\(3,\); expected \(512,\)"),
    ({"inputs": {"phi": np.ones(512)}}, r"inputs\['phi'\]: not an input of the nlse solver; "
                                        "it takes 'psi', 'V'"),
    ({}, r"initial.psi: initial.kind = 'array' needs this input .* with shape \(512,\)"),
    ({"inputs": {"psi": np.ones(512), "V": np.ones(512)}, "potential": {"kind": "harmonic"}},
     "potential.V: given as an array, but potential.kind = 'harmonic'"),
    ({"inputs": {"psi": np.ones(512), "V": 1j * np.ones(512)}},
     r"potential.V: complex values; this input is real"),
    ({"initial": {"kind": "file", "path": "/nonexistent/run.h5"}},
     "initial.path: '/nonexistent/run.h5' does not exist"),
]


@pytest.mark.parametrize("kw, message", BAD)
def test_bad_inputs_one_line(tmp_path, kw, message):
    with pytest.raises(CaseError, match=message) as info:
        physim.run(SECH, tmp_path / "out.h5", progress="none", **kw)
    assert len(info.value.problems) == 1 and "\n" not in info.value.problems[0]
    assert not (tmp_path / "out.h5").exists()


def test_bad_files_one_line(tmp_path):
    # the [output] section and the output path in one call: through a Case
    src = physim.Case(SECH, time={"end": 0.1}, output={"every": 0.05},
                      inputs={"psi": lambda x: 1 / np.cosh(x)}).run(tmp_path / "src.h5",
                                                                    progress="none")
    (tmp_path / "junk.h5").write_bytes(b"not a file at all")
    cases = [
        ({"path": str(src), "variable": "phi"}, "initial.variable: src.h5 has no variable "
                                                "'phi'; it has 'psi', 'mass'"),
        ({"path": str(src), "time": 0.07}, "initial.time: src.h5 has no record at time = "
                                           "0.07; it has 3 from 0 to 0.1"),
        ({"path": str(src), "index": 3}, "initial.index: 3 is out of range: src.h5 has 3 "
                                         "records of 'psi'"),
        ({"path": str(src), "index": 0, "time": 0.0}, "initial.time: give time or index"),
        ({"path": str(src), "member": 1}, "initial.member: 'psi' in src.h5 has no ensemble"),
        ({"path": str(tmp_path / "junk.h5")}, "initial.path: .*junk.h5' is not a netCDF/HDF5 "
                                              "file xarray can open"),
        ({"path": str(src), "variable": "mass"}, r"initial.psi: has dims \(\); the run needs "
                                                 r"\('x',\)"),
    ]
    for sec, message in cases:
        with pytest.raises(CaseError, match=message):
            physim.run(SECH, tmp_path / "out.h5", progress="none",
                       initial={"kind": "file", **sec})
        assert not (tmp_path / "out.h5").exists()


def test_cli_bad_input_file_is_one_line(tmp_path, capsys):
    case = tmp_path / "c.toml"
    case.write_text(SECH.replace('kind = "array"', 'kind = "file"\npath = "missing.h5"'))
    assert main(["-q", "run", str(case), "-o", str(tmp_path / "o.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].strip() == "- initial.path: 'missing.h5' does not exist"


def test_a_run_older_than_a_key_restarts(tmp_path):
    """An output written before a section or key existed (here: no [potential], no
    initial.kind) continues: the missing keys count as their defaults."""
    import json

    from physim.runner import read_attrs
    from physim.writer import set_attrs
    case = physim.Case(TRAP, potential={"kind": "none"}, initial={"kind": "gaussian",
                                                                 "width": 1.5})
    out = case.run(tmp_path / "old.h5", progress="none")
    params = json.loads(read_attrs(out)["parameters"])
    del params["potential"], params["initial"]["noise"]
    set_attrs(out, {"parameters": json.dumps(params)})
    case.run(restart=out, progress="none", time={"end": 1.0})
    with physim.open(out) as ds:
        assert ds.sizes["time"] == 5 and ds.attrs["status"] == "completed"


def test_peccary_takes_a_series_of_ones_own(tmp_path):
    """A series from Python or a file: the same H and C as the generated one."""
    sine = physim.run(CASES / "peccary/sine.toml", tmp_path / "sine.h5", progress="none")
    with physim.open(sine) as ds:
        x, t = ds.x.values, ds.time.values
        attrs = dict(ds.attrs)
    case = physim.Case(CASES / "peccary/sine.toml", signal={"x": x})
    mine = case.run(tmp_path / "mine.h5", progress="none")
    fromfile = physim.run(CASES / "peccary/sine.toml", tmp_path / "file.h5", progress="none",
                          signal={"kind": "file", "path": str(sine)})
    for out in (mine, fromfile):
        with physim.open(out) as ds:
            np.testing.assert_array_equal(ds.x.values, x)
            np.testing.assert_array_equal(ds.time.values, t)
            assert ds.attrs["ordinal_H"] == attrs["ordinal_H"]
            assert ds.attrs["ordinal_C"] == attrs["ordinal_C"]
    with pytest.raises(CaseError, match=r"signal.x: shape \(10,\); expected \(%d,\)" % len(x)):
        physim.run(CASES / "peccary/sine.toml", tmp_path / "bad.h5", signal={"x": x[:10]})


def test_three_d_field_and_potential_from_callables(tmp_path):
    """3-D: V given as a callable equal to the built-in anisotropic trap, psi as a callable
    equal to the built-in Gaussian: the same run to round-off."""
    case = physim.Case(TRAP, grid={"N": [16, 12, 10], "L": [10.0, 8.0, 6.0]},
                       potential={"omega": [1.0, 1.3, 1.7]},
                       initial={"width": [1.5, 1.2, 1.0]}, time={"end": 0.2},
                       output={"every": 0.1})
    ref = case.run(tmp_path / "builtin.h5", progress="none")
    w = (1.0, 1.3, 1.7)
    given = case.with_(
        potential={"V": lambda x, y, z: (w[0] ** 2 * x ** 2 + w[1] ** 2 * y ** 2
                                         + w[2] ** 2 * z ** 2) / 2},
        initial={"psi": lambda x, y, z: np.exp(-(x / 1.5) ** 2 / 2 - (y / 1.2) ** 2 / 2
                                               - z ** 2 / 2)})
    out = given.run(tmp_path / "given.h5", progress="none")
    with physim.open(ref) as a, physim.open(out) as b:
        assert b.psi.shape == (3, 16, 12, 10)
        np.testing.assert_allclose(b.psi.values, a.psi.values, rtol=0,
                                   atol=1e-13 * float(np.abs(a.psi).max()))
