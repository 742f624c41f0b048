"""The shared output format: one netCDF4-compatible HDF5 file per run.

Layout (what ``xarray.open_dataset(path)`` sees, through physim's xarray backend):

* a ``time`` dimension holding every snapshot the run will write (and ``t_step``
  for quantities kept at every step), laid out when the run starts; a record's
  coordinate is NaN until the record is complete, and the backend shows only the
  complete ones (``engine="h5netcdf"`` shows the raw layout);
* static coordinates; every variable has ``units`` and ``long_name`` (CF-1.10);
* global attributes: ``solver``, ``physim_version``, ``Conventions``, ``case`` (the
  case file text), ``parameters`` (resolved parameters as JSON, plus flat copies of
  the scalar ones), ``created``, ``status`` and, at the end, integrator statistics;
* a 512-byte HDF5 user block naming the format, so that xarray hands the file to
  physim's backend (complex fields stay complex whichever netCDF libraries are
  installed) while HDF5, h5py, netCDF4 and ncdump read it as usual;
* the group ``/restart`` (plain HDF5; xarray does not show it) holds two
  checkpoint slots; ``physim run --restart`` continues from the newest valid one
  and reproduces the uninterrupted run bit for bit.

How the file is written so that it opens whatever ends the run: :mod:`physim.writer`.
"""
from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

RESTART_GROUP = "restart"
CHECKPOINT_SLOTS = 2
CHECKPOINT_HEADER = "header"
STEP_DIM = "t_step"  # the optional second record axis (e.g. moments at every time step)
RECORD_DIMS = ("time", STEP_DIM)
USERBLOCK = 512
USERBLOCK_TEXT = (b"physim output: an HDF5 file (netCDF-4 compatible) after this 512-byte user "
                  b"block.\nOpen it with xarray.open_dataset(path) where physim is installed, "
                  b"or physim.open(path); h5py, netCDF4 and ncdump read it as it is.\n")


class Record(NamedTuple):
    """What a solver's run yields: records along ``axis`` (``time`` or ``t_step``) at
    coordinate(s) ``coord`` (a number, or an array for a block of records), with ``data``
    holding every variable on that axis."""

    axis: str
    coord: object
    data: dict


@dataclass(frozen=True)
class Var:
    """A variable: its dims (``time`` first for snapshot variables), dtype and attrs."""

    dims: tuple[str, ...]
    dtype: object
    attrs: dict
    shape: tuple[int, ...] | None = None  # restart variables: sizes of dims the file lacks


def _jsonable(obj):
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def flat_attrs(params: dict) -> dict:
    """Scalar parameters as attributes named ``section_key`` (e.g. ``grid_N``)."""
    out = {}
    for sec, table in params.items():
        if isinstance(table, dict):
            for key, v in table.items():
                if isinstance(v, (bool, np.bool_)):
                    out[f"{sec}_{key}"] = int(v)
                elif isinstance(v, (int, float, str)):
                    out[f"{sec}_{key}"] = v
                elif isinstance(v, list) and v and all(isinstance(x, (int, float)) for x in v):
                    out[f"{sec}_{key}"] = np.asarray(v, dtype=float)
    return out


def with_cf_time(attrs: dict) -> dict:
    """The time coordinate's attributes with the CF ``axis`` and ``standard_name``."""
    return {"units": "1", "long_name": "time", **attrs, "standard_name": "time", "axis": "T"}


def params_from_attrs(attrs: dict) -> dict:
    return json.loads(attrs["parameters"])


def params_attrs(params: dict) -> dict:
    return {"parameters": json.dumps(_jsonable(params)), **flat_attrs(params)}


def is_physim_file(path) -> bool:
    """Whether ``path`` starts with physim's user block (files of physim >= 0.2)."""
    try:
        with builtins.open(path, "rb") as fh:
            return fh.read(len(USERBLOCK_TEXT)) == USERBLOCK_TEXT
    except OSError:
        return False


def complete_records(path) -> dict:
    """{record dim: number of complete records} of an output (or a multi-rank master:
    the fewest over its rank files, so every record shown is complete on every rank)."""
    import h5py
    path = Path(path)
    with h5py.File(path, "r") as f:
        parts = [path.parent / str(p, "utf-8") if isinstance(p, bytes) else path.parent / p
                 for p in f.attrs.get("physim_parts", [])]
        if not parts:
            return {d: complete_prefix(f[d][...]) for d in RECORD_DIMS if d in f}
    counts = [complete_records(p) if p.exists() else {} for p in parts]
    dims = set().union(*counts) if counts else set()
    return {d: min(c.get(d, 0) for c in counts) for d in dims}


def complete_prefix(coord: np.ndarray) -> int:
    """How many leading records a coordinate marks complete (finite)."""
    bad = ~np.isfinite(coord)
    return int(np.argmax(bad)) if bad.any() else len(coord)


def open(path, **kwargs):  # noqa: A001 - mirrors xarray.open_dataset
    """Open a physim output as an xarray.Dataset of its complete records (lazily; close it
    or use ``with``). The same as ``xarray.open_dataset(path)`` where physim is installed."""
    import xarray as xr
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no physim output at {str(path)!r}")
    return xr.open_dataset(path, engine="physim", **kwargs)

