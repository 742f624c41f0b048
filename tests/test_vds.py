"""Per-rank files stitched by a virtual-dataset master that plain xarray opens."""
import numpy as np
import xarray as xr

from physim.io import H5Writer, Var
from physim.vds import write_master

NX, NK = 10, 4


def rank_file(path, a, b, n_snap, attrs=None):
    w = H5Writer(path, coords={"x": (("x",), np.arange(a, b) * 0.5, {"units": "1"}),
                               "k": (("k",), np.arange(NK) * 1.0, {"units": "1"})},
                 variables={"psi": Var(("time", "x"), np.complex128, {"units": "1"}),
                            "mass": Var(("time",), np.float64, {}),
                            "spec": Var(("time", "k"), np.float64, {})},
                 attrs=dict(attrs or {}))
    for i in range(n_snap):
        w.append(0.25 * i, {"psi": np.arange(a, b) + 1j * i, "mass": 2.0 + i,
                            "spec": np.full(NK, float(i))})
    return w


def test_master_stitches_blocks_and_grows(tmp_path):
    blocks = [(0, 4), (4, 7), (7, 10)]
    writers = [rank_file(tmp_path / f"r{r}.h5", a, b, 2, {"solver": "nlse"})
               for r, (a, b) in enumerate(blocks)]
    for w in writers:
        w.f.flush()
    master = write_master(tmp_path / "out.h5", [tmp_path / f"r{r}.h5" for r in range(3)], "x")
    for w in writers:
        w.close()
    with xr.open_dataset(master, engine="h5netcdf") as ds:
        assert ds.sizes == {"time": 2, "x": NX, "k": NK}
        np.testing.assert_array_equal(ds.x.values, np.arange(NX) * 0.5)
        np.testing.assert_array_equal(ds.psi.values[1], np.arange(NX) + 1j)
        assert ds.psi.dtype == np.complex128 and ds.attrs["solver"] == "nlse"
        np.testing.assert_array_equal(ds.time.values, [0.0, 0.25])
        np.testing.assert_array_equal(ds.mass.values, [2.0, 3.0])
    # the rank files grow; the master, written once, follows (unlimited mapping)
    for r, (a, b) in enumerate(blocks):
        w = H5Writer(tmp_path / f"r{r}.h5", coords={}, variables={
            "psi": Var(("time", "x"), np.complex128, {}), "mass": Var(("time",), np.float64, {}),
            "spec": Var(("time", "k"), np.float64, {})}, attrs={}, append=True)
        w.append(0.5, {"psi": np.arange(a, b) + 2j, "mass": 4.0, "spec": np.full(NK, 2.0)})
        w.close()
    with xr.open_dataset(master, engine="h5netcdf") as ds:
        assert ds.sizes["time"] == 3
        np.testing.assert_array_equal(ds.psi.values[2], np.arange(NX) + 2j)


def test_lagging_rank_shows_fill_value(tmp_path):
    rank_file(tmp_path / "r0.h5", 0, 5, 3).close()
    rank_file(tmp_path / "r1.h5", 5, 10, 2).close()  # this rank died one snapshot earlier
    master = write_master(tmp_path / "m.h5", [tmp_path / "r0.h5", tmp_path / "r1.h5"], "x")
    with xr.open_dataset(master, engine="h5netcdf") as ds:
        assert ds.sizes["time"] == 3
        assert np.isnan(ds.psi.values[2, 5:]).all()
        np.testing.assert_array_equal(ds.psi.values[2, :5], np.arange(5) + 2j)


def test_master_and_parts_move_together(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "parts").mkdir()
    rank_file(run / "parts" / "r0.h5", 0, 6, 2).close()
    rank_file(run / "parts" / "r1.h5", 6, 10, 2).close()
    write_master(run / "out.h5", [run / "parts" / "r0.h5", run / "parts" / "r1.h5"], "x")
    moved = tmp_path / "elsewhere"
    run.rename(moved)
    with xr.open_dataset(moved / "out.h5", engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds.psi.values[1], np.arange(NX) + 1j)
        assert list(ds.attrs["physim_parts"]) == ["parts/r0.h5", "parts/r1.h5"]
