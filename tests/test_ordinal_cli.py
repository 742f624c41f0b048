"""``physim analyse ordinal`` on multi-series outputs, record axes other than ``time``,
bad options (one line each), and the H-C plane's legend and regime cut."""
import shutil
import warnings
from pathlib import Path

import h5netcdf
import numpy as np
import pytest

from physim import cli
from physim.analysis import ordinal as o
from physim.analysis.ordinal.command import analyse_output


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    """The double-pendulum reference output with extra variables: three probes along
    ``time``, a length-1 extra dimension, a ``t_step`` record, an empty series."""
    src = Path(__file__).parent / "reference" / "peccary_double_pendulum.h5"
    path = tmp_path_factory.mktemp("ordinal_cli") / "multi.h5"
    shutil.copy(src, path)
    with h5netcdf.File(path, "a") as f:
        T = f.dimensions["time"].size
        t = f.variables["time"][:]
        k = np.arange(T)
        f.dimensions["probe"] = 3
        f.dimensions["one"] = 1
        f.dimensions["zero"] = 0
        f.dimensions["t_step"] = T
        f.create_variable("xs", ("probe", "time"), float)[:] = np.stack(
            [np.sin(2 * np.pi * k / 37.3), np.sin(2 * np.pi * k / 61.7),
             np.random.default_rng(0).standard_normal(T)])
        f.create_variable("x_one", ("one", "time"), float)[:] = np.sin(2 * np.pi * k / 37.3)[None]
        f.create_variable("nothing", ("zero", "time"), float)
        f.create_variable("t_step", ("t_step",), float)[:] = t
        f.create_variable("per_step", ("t_step",), float)[:] = np.sin(2 * np.pi * k / 37.3)
    return path


def run(multi, *argv):
    args = cli._parser().parse_args(["analyse", "ordinal", str(multi), *argv])
    cli.check_args(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyse_output(args)[0]


def series(multi, var):
    import xarray as xr
    with xr.open_dataset(multi, engine="physim") as ds:
        return ds[var].load()


def test_scan_per_series_equals_each_series_alone(multi):
    res = run(multi, "--var", "xs", "--scan", "--n", "4")
    assert res["t_pat_ratio"].dims == ("probe", "delay")
    xs = series(multi, "xs")
    for i in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = o.sampling_scan(xs.isel(probe=i), 4)
        assert int(res["recommended_delay"][i]) == one.attrs["recommended_delay"]
        assert float(res["t_nat"][i]) == one.attrs["t_nat"]
        d = one["delay"].values
        assert np.array_equal(res["H"].isel(probe=i).sel(delay=d).values, one["H"].values)


def test_t_pat_ratio_per_series_and_pooled(multi):
    xs = series(multi, "xs")
    res = run(multi, "--var", "xs", "--t-pat-ratio", "0.4", "--n", "4")
    assert res["H"].dims == ("probe",) and res["delay"].dims == ("probe",)
    for i in range(3):
        one = o.complexity_entropy(xs.isel(probe=i), 4, int(res["delay"][i]), warn=False)
        assert float(res["H"][i]) == float(one.H) and float(res["C"][i]) == float(one.C)
    pooled = run(multi, "--var", "xs", "--t-pat-ratio", "0.4", "--n", "4", "--pool")
    assert pooled["H"].ndim == 0 and pooled.attrs["pooled_series"] == 3
    assert int(pooled["windows"]) == 3 * (xs.sizes["time"] - 3 * int(pooled["delay"]))
    counts = o.ordinal_distribution(xs, 4, int(pooled["delay"]))["count"].sum("probe")
    direct = o.complexity_entropy(counts / counts.sum(), 4, probs=True)
    assert abs(float(pooled["H"]) - float(direct["H"])) < 1e-14
    scan = run(multi, "--var", "xs", "--scan", "--n", "4", "--pool")
    assert scan["H"].dims == ("delay",) and scan.attrs["pooled_series"] == 3


def test_length_one_dimension_and_t_step_axis(multi):
    one = run(multi, "--var", "x_one", "--scan", "--n", "4")
    step = run(multi, "--var", "per_step", "--scan", "--n", "4")  # t_step found without --dim
    assert np.array_equal(one["H"].isel(one=0).values, step["H"].values)
    assert int(one["recommended_delay"][0]) == step.attrs["recommended_delay"]
    r = run(multi, "--var", "per_step", "--t-pat-ratio", "0.4", "--n", "4")
    assert int(r["delay"]) == step.attrs["recommended_delay"]


@pytest.mark.parametrize("argv,status,words", [
    (["--n", "1"], 2, "--n 1"),
    (["--n", "9"], 2, "--n 9"),
    (["--kind", "renyi"], 2, "needs --order"),
    (["--kind", "tsallis"], 2, "needs --order"),
    (["--order", "2"], 2, "renyi or tsallis"),
    (["--kind", "renyi", "--order", "-1"], 2, "--order -1"),
    (["--delay", "0"], 2, "--delay 0"),
    (["--t-pat-ratio", "-0.4"], 2, "--t-pat-ratio"),
    (["--var", "nothing"], 1, "empty"),
    (["--var", "x2", "--delay", "100000"], 1, "too few for one window"),
    (["--var", "nope"], 1, "not in the file"),
])
def test_bad_options_are_one_line(multi, capsys, argv, status, words):
    assert cli.main(["analyse", "ordinal", str(multi), *argv]) == status
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("physim: error: ") and words in lines[0], err
    assert "Traceback" not in err and out == ""


def test_not_hdf5_is_one_line(tmp_path, capsys):
    (tmp_path / "notes.h5").write_text("not a file physim wrote\n")
    assert cli.main(["analyse", "ordinal", str(tmp_path / "notes.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an HDF5 file" in err[0]


def test_empty_array_is_refused_clearly():
    with pytest.raises(ValueError, match="the series is empty"):
        o.complexity_entropy(np.array([]), 3)
    with pytest.raises(ValueError, match="the series is empty"):
        o.complexity_entropy(np.zeros((0, 100)), 3)


def test_hc_plane_has_a_legend_and_the_classifier_cut():
    import matplotlib
    matplotlib.use("Agg")
    from physim.plotting.ordinal import hc_plane, regime_boundaries
    ax = hc_plane([0.5, 0.68, 0.99], [0.39, 0.40, 0.01], 5)
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"regular", "complex", "stochastic", "regime cut (classify)"} <= set(names)
    Hg, Cg, idx = regime_boundaries(5, 200)
    ok = np.isfinite(idx)
    # the grid reproduces classify point by point, and all three regimes occur
    assert set(np.unique(idx[ok])) == {0.0, 1.0, 2.0}
    regimes = np.array(o.REGIMES)[idx[ok].astype(int)]
    assert np.array_equal(regimes, o.classify(Hg[ok], Cg[ok], 5))


def test_hc_plane_labels_do_not_cover_each_other():
    """Close points (a sine and an orbit, the Hénon and logistic maps) get labels on
    different sides: no two label boxes, and no label and region name, overlap."""
    import matplotlib
    matplotlib.use("Agg")
    from physim.plotting.ordinal import hc_plane
    ax = hc_plane([0.51, 0.52, 0.62, 0.68, 0.59, 0.9, 0.99],
                  [0.393, 0.388, 0.405, 0.40, 0.37, 0.12, 0.002], 5,
                  labels=["sine", "galactic_orbit", "henon", "logistic", "double_pendulum",
                          "pink_noise", "white_noise"])
    r = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.texts]
    frame = ax.get_window_extent(r)
    names = [t.get_window_extent(r) for t in ax.texts if t.get_text() in
             ("sine", "galactic_orbit", "henon", "logistic", "double_pendulum")]
    assert len(names) == 5
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)


def test_plot_of_a_map_skips_the_sampling_scan_with_one_line(tmp_path, caplog):
    """A map has one sampling interval (its natural time is about one iterate): the scan
    figure would be one point beside a window it cannot reach."""
    import logging

    import physim
    from physim.plotting.ordinal import standard_figures
    out = physim.run("cases/peccary/henon.toml", tmp_path / "h.h5", progress="none")
    with caplog.at_level(logging.WARNING, logger="physim"), physim.open(out) as ds:
        paths = standard_figures(ds.load(), tmp_path / "figs")
    assert [p.name for p in paths] == ["series.png", "hc_plane.png"]
    assert "sampling-scan figure skipped: the series allows 1 sampling interval" in caplog.text
