"""The shared output format: one netCDF4-compatible HDF5 file per run.

Layout (what ``xarray.open_dataset(path, engine="h5netcdf")`` sees):

* an unlimited ``time`` dimension; snapshot variables are appended along it
  and the file is flushed after each snapshot, so a killed run leaves every
  completed snapshot readable;
* static coordinates with ``units`` attributes;
* global attributes: ``solver``, ``physim_version``, ``case`` (the case file
  text), ``parameters`` (resolved parameters as JSON, plus flat copies of the
  scalar ones), ``created``, ``status`` and integrator statistics.

The group ``/restart`` (ignored by xarray) holds the integrator state at the
step boundary after the last snapshot; ``physim run --restart`` continues from
it and reproduces the uninterrupted run bit for bit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import h5netcdf
import numpy as np
import xarray as xr

from . import __version__

RESTART_GROUP = "restart"


@dataclass(frozen=True)
class Var:
    """A variable: its dims (``time`` first for snapshot variables), dtype and attrs."""

    dims: tuple[str, ...]
    dtype: object
    attrs: dict


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


class Writer:
    """Append snapshots to a new (or, for a restart, existing) output file."""

    def __init__(self, path, *, coords: dict, variables: dict[str, Var], attrs: dict,
                 restart_vars: dict[str, Var] | None = None, append: bool = False):
        self.path = Path(path)
        self.variables = variables
        if append:
            self.f = h5netcdf.File(self.path, "a")
            self.n = self.f.dimensions["time"].size
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.f = h5netcdf.File(self.path, "w")
        dims = {"time": None}
        for name, (dim_tuple, values, _) in coords.items():
            for d, n in zip(dim_tuple, np.shape(values)):
                dims[d] = n
        for var in list(variables.values()) + list((restart_vars or {}).values()):
            for d in var.dims:
                if d not in dims:
                    raise ValueError(f"dimension {d!r} has no coordinate")
        f.dimensions = dims
        for name, (dim_tuple, values, vattrs) in coords.items():
            v = f.create_variable(name, dim_tuple, data=np.asarray(values))
            v.attrs.update(vattrs)
        t = f.create_variable("time", ("time",), np.float64)
        t.attrs.update(attrs.pop("time_attrs", {"units": "1", "long_name": "time"}))
        for name, var in variables.items():
            shape = [1 if d == "time" else dims[d] for d in var.dims]
            v = f.create_variable(name, var.dims, var.dtype, chunks=tuple(shape))
            v.attrs.update(var.attrs)
        if restart_vars:
            g = f.create_group(RESTART_GROUP)
            for name, var in restart_vars.items():
                g.create_variable(name, var.dims, var.dtype)
        f.attrs.update(attrs)
        f.attrs["physim_version"] = __version__
        f.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        f.attrs["status"] = "running"
        f.flush()
        self.n = 0

    def append(self, time: float, data: dict, checkpoint: dict | None = None,
               attrs: dict | None = None) -> None:
        """Write one snapshot (and the restart state that goes with it), then flush."""
        f, i = self.f, self.n
        f.resize_dimension("time", i + 1)
        f.variables["time"][i] = time
        for name in self.variables:
            f.variables[name][i, ...] = data[name]
        if checkpoint is not None:
            self.write_checkpoint(checkpoint, snapshot=i)
        if attrs:
            f.attrs.update(attrs)
        f.flush()
        self.n = i + 1

    def write_checkpoint(self, checkpoint: dict, snapshot: int) -> None:
        g = self.f.groups[RESTART_GROUP]
        for name, value in checkpoint.items():
            if name in g.variables:
                g.variables[name][...] = value
            else:
                g.attrs[name] = value
        g.attrs["snapshot"] = snapshot

    def set_status(self, status: str, attrs: dict | None = None) -> None:
        self.f.attrs["status"] = status
        if attrs:
            self.f.attrs.update(attrs)
        self.f.flush()

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_restart(path) -> tuple[dict, dict, int]:
    """Return (global attrs, checkpoint dict, number of snapshots) of an output file."""
    with h5netcdf.File(path, "r") as f:
        attrs = dict(f.attrs)
        n = f.dimensions["time"].size
        if RESTART_GROUP not in f.groups:
            raise ValueError(f"{path} holds no restart state")
        g = f.groups[RESTART_GROUP]
        cp = {name: v[...] for name, v in g.variables.items()}
        cp.update(dict(g.attrs))
    if n == 0:
        raise ValueError(f"{path} holds no snapshot to restart from")
    if int(cp.get("snapshot", -1)) != n - 1:
        raise ValueError(f"{path}: the restart state belongs to snapshot {cp.get('snapshot')}, "
                         f"but the file holds {n} snapshots")
    return attrs, cp, n


def params_from_attrs(attrs: dict) -> dict:
    return json.loads(attrs["parameters"])


def params_attrs(params: dict) -> dict:
    return {"parameters": json.dumps(_jsonable(params)), **flat_attrs(params)}


def open(path) -> xr.Dataset:  # noqa: A001 - mirrors xarray.open_dataset
    """Open a physim output as an xarray.Dataset (lazily; close it or use ``with``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no physim output at {str(path)!r}")
    return xr.open_dataset(path, engine="h5netcdf")
