"""PECCARY example cases: each runs from its case file and lands where the paper puts it.

Also validates the generators independently: conservation laws of the DOP853
double pendulum and galactic orbit, the spectral slopes of the coloured noises,
and reference (H, C) values computed with peccary 0.1.1 / ordpy 1.2.3.
"""
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from physim.analysis import ordinal as o
from physim.cases import CaseError
from physim.cli import main
from physim.solvers.peccary import generators as gen

CASES = sorted(p.stem for p in (Path(__file__).parents[1] / "cases" / "peccary").glob("*.toml"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, repo_root):
    d = tmp_path_factory.mktemp("peccary")
    return {name: physim.run(repo_root / "cases" / "peccary" / f"{name}.toml", d / f"{name}.h5",
                             progress="none") for name in CASES}


def test_all_paper_examples_are_cases():
    assert {"sine", "sines", "white_noise", "pink_noise", "red_noise", "logistic", "henon",
            "double_pendulum", "galactic_orbit"} <= set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_case_is_classified_as_expected(outputs, name):
    with xr.open_dataset(outputs[name], engine="h5netcdf") as ds:
        assert ds.attrs["status"] == "completed"
        expected = ds.attrs["analysis_expected"]
        assert expected, f"{name}: the case states no expected regime"
        assert ds.attrs["ordinal_regime"] == expected, (
            f"{name}: H = {ds.attrs['ordinal_H']:.4f}, C = {ds.attrs['ordinal_C']:.4f}: "
            f"{ds.attrs['ordinal_regime_reason']}")
        # the stored analysis is the analysis of the stored series
        var = ds.attrs["ordinal_variable"]
        again = o.complexity_entropy(ds[var], int(ds.attrs["ordinal_n"]),
                                     int(ds.attrs["ordinal_delay"]), warn=False)
        assert float(again.H) == ds.attrs["ordinal_H"]
        assert ds[var].sizes["time"] == ds.attrs["sampling_samples"]


# Reference values (n = 5, 10^5 samples) from peccary 0.1.1 and ordpy 1.2.3 (they agree to
# 3e-15), with the generators documented in physim.solvers.peccary.generators.
REFERENCE = {
    "sine": (10, 0.509264, 0.391832),
    "white_noise": (1, 0.999863, 0.000245),
    "pink_noise": (1, 0.977465, 0.038024),
    "red_noise": (1, 0.881522, 0.160184),
    "logistic": (1, 0.679087, 0.399237),
    "henon": (1, 0.615936, 0.404446),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_values(outputs, name):
    delay, H, C = REFERENCE[name]
    with xr.open_dataset(outputs[name], engine="h5netcdf") as ds:
        r = o.complexity_entropy(ds["x"], 5, delay)
    assert abs(float(r.H) - H) < 1e-6 and abs(float(r.C) - C) < 1e-6


def test_logistic_forbidden_patterns_in_case(outputs):
    with xr.open_dataset(outputs["logistic"], engine="h5netcdf") as ds:
        assert ds.attrs["ordinal_missing_patterns"] >= 89
        assert ds.attrs["ordinal_missing_expected_white"] < 1e-100


def test_double_pendulum_conserves_energy():
    d = gen.double_pendulum(6400, 2 ** -6)
    E = d["energy"]
    scale = 2 * 9.80665 * 2  # (M1 + M2) g (L1 + L2): the size of the energy exchanges
    assert np.abs(E - E[0]).max() < 3e-8 * scale  # measured 8.8e-9 at rtol 1e-10 over 100 s
    assert np.allclose(np.hypot(d["x1"], d["y1"]), 1.0)
    # chaotic: a 1e-9 rad change in the start grows to order one within 100 s
    e = gen.double_pendulum(6400, 2 ** -6, theta1=120.0 + np.degrees(1e-9))
    assert np.abs(e["x2"] - d["x2"]).max() > 0.1


def test_double_pendulum_small_angles_follow_the_normal_modes():
    """At small amplitude the slow normal mode of two equal 1 m / 1 kg pendula has
    omega^2 = (2 - sqrt 2) g / L; start on it (theta2 = sqrt 2 theta1) and stay on it."""
    g = 9.80665
    w = np.sqrt((2 - np.sqrt(2)) * g)
    t = 0.01 * np.arange(2000)
    d = gen.double_pendulum(2000, 0.01, theta1=0.01, theta2=0.01 * np.sqrt(2))
    np.testing.assert_allclose(d["theta1"], np.radians(0.01) * np.cos(w * t), atol=1e-9)


def test_galactic_orbit_conserves_energy_and_angular_momentum():
    d = gen.galactic_orbit(4000, 0.05, (8.0, 0.0, 0.5), (0.0, 0.9, 0.1), disk_mass=5.0)
    for key in ("energy", "Lz"):
        assert np.abs(d[key] - d[key][0]).max() < 1e-8 * np.abs(d[key][0])
    # a circular orbit in the plane of the pure logarithmic halo keeps R and speed v0 R/sqrt(rc^2+R^2)
    R = 5.0
    v = R / np.hypot(1.0, R)
    c = gen.galactic_orbit(2000, 0.05, (R, 0, 0), (0, v, 0))
    assert np.abs(c["R"] - R).max() < 1e-8


@pytest.mark.parametrize("colour,beta", [("pink", 1.0), ("red", 2.0)])
def test_noise_spectral_slopes(colour, beta):
    from scipy.signal import welch
    x = gen.noise(2 ** 18, colour, seed=1)["x"]
    f, P = welch(x, nperseg=4096, window="boxcar", noverlap=0)
    keep = (f > 2e-3) & (f < 0.25)
    slope = np.polyfit(np.log(f[keep]), np.log(P[keep]), 1)[0]
    assert abs(slope + beta) < 0.05


def test_noise_is_reproducible_and_seeded():
    assert np.array_equal(gen.noise(1000, "pink", 4)["x"], gen.noise(1000, "pink", 4)["x"])
    assert not np.array_equal(gen.noise(1000, "pink", 4)["x"], gen.noise(1000, "pink", 5)["x"])


def test_cli_analyse_ordinal(outputs, capsys, tmp_path):
    assert main(["analyse", "ordinal", str(outputs["henon"])]) == 0
    out = capsys.readouterr().out
    assert "regime: complex" in out and "H: 0.6159" in out
    assert "regime_test (delay 1): complex, confidence 1.00: forbidden patterns" in out
    assert main(["analyse", "ordinal", str(outputs["henon"]), "--var", "y", "--n", "4",
                 "--delay", "1", "--delay", "2", "-o", str(tmp_path / "r.h5"),
                 "--plot", str(tmp_path / "hc.png")]) == 0
    saved = xr.open_dataset(tmp_path / "r.h5", engine="h5netcdf")
    assert saved.H.dims == ("delay",) and saved.attrs["n"] == 4
    assert (tmp_path / "hc.png").stat().st_size > 10_000
    assert main(["analyse", "ordinal", str(outputs["sine"]), "--scan",
                 "--plot", str(tmp_path / "scan.png")]) == 0
    assert "recommended delay = 10" in capsys.readouterr().out
    assert main(["analyse", "ordinal", str(outputs["henon"]), "--var", "nope"]) == 1
    assert "'nope' is not in the file" in capsys.readouterr().err


def test_cli_analyse_ordinal_on_nlse_output(tmp_path, repo_root, capsys):
    """Any physim output: |psi|^2 at every grid point of an NLSE run is a batch of series."""
    out = physim.run(repo_root / "cases" / "nlse" / "soliton.toml", tmp_path / "s.h5",
                     progress="none", overrides=["grid.N=64", "output.every=0.1"])
    assert main(["analyse", "ordinal", str(out), "--var", "psi"]) == 1
    assert "--part" in capsys.readouterr().err
    assert main(["analyse", "ordinal", str(out), "--var", "psi", "--part", "abs2", "--n", "3",
                 "-o", str(tmp_path / "r.h5")]) == 0
    r = xr.open_dataset(tmp_path / "r.h5", engine="h5netcdf")
    assert r.H.dims == ("x",) and r.sizes["x"] == 64


def test_bad_case_values_are_named(tmp_path, repo_root):
    case = repo_root / "cases" / "peccary" / "henon.toml"
    with pytest.raises(CaseError, match="analysis.variable: 'theta1' is not an output"):
        physim.run(case, tmp_path / "a.h5", overrides=["analysis.variable='theta1'"])
    with pytest.raises(CaseError, match="analysis.n"):
        physim.run(case, tmp_path / "a.h5", overrides=["analysis.n=9"])
    with pytest.raises(CaseError, match="signal.colour"):
        physim.run(repo_root / "cases" / "peccary" / "pink_noise.toml", tmp_path / "b.h5",
                   overrides=["signal.colour='green'"])


def test_standard_figures(outputs, tmp_path):
    from physim.plotting import standard_figures
    with xr.open_dataset(outputs["double_pendulum"], engine="h5netcdf") as ds:
        paths = standard_figures(ds.load(), tmp_path)
    assert [p.name for p in paths] == ["series.png", "hc_plane.png", "sampling_scan.png"]
