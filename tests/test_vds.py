"""Per-rank files stitched by a virtual-dataset master that plain xarray opens."""
import numpy as np
import xarray as xr

from physim.io import Var
from physim.vds import write_master
from physim.writer import OutputFile

NX, NK = 10, 4
PLANNED = 3


def rank_file(path, a, b, n_snap, attrs=None):
    w = OutputFile.create(
        path, coords={"x": (("x",), np.arange(a, b) * 0.5, {"units": "1"}),
                      "k": (("k",), np.arange(NK) * 1.0, {"units": "1"})},
        variables={"psi": Var(("time", "x"), np.complex128, {"units": "1"}),
                   "mass": Var(("time",), np.float64, {}),
                   "spec": Var(("time", "k"), np.float64, {})},
        attrs=dict(attrs or {}), sizes={"time": PLANNED})
    for i in range(n_snap):
        write_snapshot(w, i, a, b)
    return w


def write_snapshot(w, i, a, b):
    w.write("time", i, 0.25 * i, {"psi": np.arange(a, b) + 1j * i, "mass": 2.0 + i,
                                  "spec": np.full(NK, float(i))})


def test_master_stitches_blocks_and_follows_the_parts(tmp_path):
    blocks = [(0, 4), (4, 7), (7, 10)]
    writers = [rank_file(tmp_path / f"r{r}.h5", a, b, 2, {"solver": "nlse"})
               for r, (a, b) in enumerate(blocks)]
    master = write_master(tmp_path / "out.h5", [tmp_path / f"r{r}.h5" for r in range(3)], "x")
    with xr.open_dataset(master) as ds:  # physim's backend: the complete records only
        assert ds.sizes == {"time": 2, "x": NX, "k": NK}
        np.testing.assert_array_equal(ds.x.values, np.arange(NX) * 0.5)
        np.testing.assert_array_equal(ds.psi.values[1], np.arange(NX) + 1j)
        assert ds.psi.dtype == np.complex128 and ds.attrs["solver"] == "nlse"
        np.testing.assert_array_equal(ds.time.values, [0.0, 0.25])
        np.testing.assert_array_equal(ds.mass.values, [2.0, 3.0])
    with xr.open_dataset(master, engine="h5netcdf") as ds:  # the whole layout
        assert ds.sizes["time"] == PLANNED and np.isnan(ds.time.values[2])
    # the rank files are written on; the master, written once, shows it
    for w, (a, b) in zip(writers, blocks):
        write_snapshot(w, 2, a, b)
        w.close()
    with xr.open_dataset(master) as ds:
        assert ds.sizes["time"] == 3
        np.testing.assert_array_equal(ds.psi.values[2], np.arange(NX) + 2j)


def test_a_lagging_rank_holds_the_master_back(tmp_path):
    rank_file(tmp_path / "r0.h5", 0, 5, 3).close()
    rank_file(tmp_path / "r1.h5", 5, 10, 2).close()  # this rank died one snapshot earlier
    master = write_master(tmp_path / "m.h5", [tmp_path / "r0.h5", tmp_path / "r1.h5"], "x")
    with xr.open_dataset(master) as ds:  # only what every rank completed
        assert ds.sizes["time"] == 2
        np.testing.assert_array_equal(ds.psi.values[1], np.arange(NX) + 1j)


def test_master_and_parts_move_together(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "parts").mkdir()
    rank_file(run / "parts" / "r0.h5", 0, 6, 2).close()
    rank_file(run / "parts" / "r1.h5", 6, 10, 2).close()
    write_master(run / "out.h5", [run / "parts" / "r0.h5", run / "parts" / "r1.h5"], "x")
    moved = tmp_path / "elsewhere"
    run.rename(moved)
    with xr.open_dataset(moved / "out.h5") as ds:
        np.testing.assert_array_equal(ds.psi.values[1], np.arange(NX) + 1j)
        assert list(ds.attrs["physim_parts"]) == ["parts/r0.h5", "parts/r1.h5"]


def test_master_stitches_pencils_along_two_dims(tmp_path):
    """Blocks of x and y on a 2 x 2 grid (uneven): each rank's offsets place it; the
    shared x and y coordinates are mapped once."""
    NY = 7
    full = (np.arange(NX)[:, None] * 100 + np.arange(NY)[None, :]).astype(float)
    xb, yb = [(0, 6), (6, 10)], [(0, 4), (4, 7)]
    paths, offsets = [], []
    for gx, (a, b) in enumerate(xb):
        for gy, (c, d) in enumerate(yb):
            path = tmp_path / f"r{gx}{gy}.h5"
            w = OutputFile.create(
                path, coords={"x": (("x",), np.arange(a, b) * 0.5, {"units": "1"}),
                              "y": (("y",), np.arange(c, d) * 0.25, {"units": "1"})},
                variables={"f": Var(("time", "x", "y"), np.float64, {"units": "1"}),
                           "g": Var(("time", "y"), np.float64, {})},
                attrs={"solver": "nlse"}, sizes={"time": 2})
            for i in range(2):
                w.write("time", i, 1.0 * i, {"f": full[a:b, c:d] + i, "g": np.arange(c, d) + i})
            w.close()
            paths.append(path)
            offsets.append({"x": a, "y": c})
    master = write_master(tmp_path / "m.h5", paths, ("x", "y"), offsets=offsets)
    with xr.open_dataset(master) as ds:
        assert ds.sizes == {"time": 2, "x": NX, "y": NY}
        np.testing.assert_array_equal(ds.x.values, np.arange(NX) * 0.5)
        np.testing.assert_array_equal(ds.y.values, np.arange(NY) * 0.25)
        np.testing.assert_array_equal(ds.f.values[1], full + 1)
        np.testing.assert_array_equal(ds.g.values[0], np.arange(NY))
