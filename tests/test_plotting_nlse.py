"""Standard NLSE figures: files written, dispatch on the solver, no pyplot state."""
import sys

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

import physim.plotting
from physim.plotting import nlse as nplot

L, N = 40.0, 256
DX = L / N
X = -L / 2 + DX * np.arange(N)
PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ("spacetime", "spectrum", "conservation", "entropies", "wigner")


def soliton_dataset(eta=2.0, v=1.0, x0=-8.0, times=np.linspace(0, 10, 21)):
    t = np.asarray(times, dtype=float)
    psi = eta / np.cosh(eta * (X[None, :] - x0 - v * t[:, None])) \
        * np.exp(1j * (v * X[None, :] + 0.5 * (eta**2 - v**2) * t[:, None]))
    drift = 1e-13 * t  # something visible on the log scale
    return xr.Dataset(
        {"psi": (("time", "x"), psi),
         "mass": ("time", 2 * eta + drift),
         "momentum": ("time", 2 * eta * v - drift),
         "energy": ("time", eta * v**2 - eta**3 / 3 + 3 * drift),
         "energy_discrete": ("time", np.zeros_like(t))},
        coords={"time": ("time", t, {"units": "1", "long_name": "time"}),
                "x": ("x", X, {"units": "1"})},
        attrs={"solver": "nlse", "L": L, "N": N, "beta": 0.5, "gamma": 1.0, "title": "soliton"})


def test_standard_figures_via_dispatcher(tmp_path):
    paths = physim.plotting.standard_figures(soliton_dataset(), tmp_path / "figs")
    assert [p.name for p in paths] == [f"{n}.png" for n in NAMES]
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == PNG and len(data) > 5000, p


def test_prefix_and_file_roundtrip(tmp_path):
    # as the CLI does: write/read HDF5, then plot the loaded dataset
    path = tmp_path / "run.h5"
    soliton_dataset(times=[0.0, 1.0, 2.0]).to_netcdf(path, engine="h5netcdf", invalid_netcdf=True)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        paths = physim.plotting.standard_figures(ds.load(), tmp_path, prefix="run_")
    assert {p.name for p in paths} == {f"run_{n}.png" for n in NAMES}
    assert all(p.stat().st_size > 0 for p in paths)


def test_unknown_solver_is_named():
    ds = soliton_dataset(times=[0.0]).assign_attrs(solver="heat")
    with pytest.raises(ValueError, match="'heat'.*nlse"):
        physim.plotting.standard_figures(ds, "unused")


def test_individual_figures_and_no_pyplot_state():
    before = _pyplot_figures()
    ds = soliton_dataset(times=[0.0, 5.0])
    for fn in (nplot.spacetime_figure, nplot.spectrum_figure, nplot.conservation_figure,
               nplot.entropies_figure, nplot.wigner_figure):
        assert isinstance(fn(ds), Figure)
    assert _pyplot_figures() == before


def test_conservation_labels_absolute_drift_for_zero_start():
    ds = soliton_dataset(v=0.0, times=[0.0, 1.0, 2.0])  # momentum is 0 at t = 0
    fig = nplot.conservation_figure(ds)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["mass (relative)", "momentum (absolute)", "energy (relative)"]


def _pyplot_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    return plt.get_fignums() if plt else []


def test_spectrum_figure_with_empty_modes():
    # two periods of a breather leave every odd mode exactly zero
    import numpy as np
    import xarray as xr

    from physim.plotting.nlse import spectrum_figure
    x = np.linspace(-np.pi, np.pi, 32, endpoint=False)
    psi = np.array([1 + 0.1 * np.cos(2 * x) * np.exp(1j * t) for t in (0.0, 0.5)])
    ds = xr.Dataset({"psi": (("time", "x"), psi)}, coords={"time": [0.0, 0.5], "x": x},
                    attrs={"solver": "nlse", "title": "t"})
    fig = spectrum_figure(ds)
    data = fig.axes[0].collections[0].get_array()
    assert np.isfinite(np.asarray(data)).all()


def test_two_and_three_d_runs_get_maps_not_space_time(tmp_path):
    """physim plot on a 2-D / 3-D field (it failed: the 1-D figures transpose to (time, x)),
    and an imaginary-time run also gets its relaxation figure."""
    import physim
    case = "cases/nlse/trap_ground_state_2d.toml"
    for name, over in (("plane", ["grid.N=[16, 16]", "time.end=1.0", "output.every=0.5"]),
                       ("cube", ["grid.N=[8, 8, 8]", "time.end=1.0", "output.every=0.5"])):
        out = physim.run(case, tmp_path / f"{name}.h5", overrides=over, progress="none")
        with physim.open(out) as ds:
            paths = physim.plotting.standard_figures(ds.load(), tmp_path / name)
        assert [p.stem for p in paths] == ["density", "spectrum", "conservation", "entropies",
                                           "relaxation"]
        assert all(p.read_bytes()[:8] == PNG for p in paths)
