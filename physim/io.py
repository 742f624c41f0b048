"""The shared output format: one netCDF4-compatible HDF5 file per run.

Layout (what ``xarray.open_dataset(path, engine="h5netcdf")`` sees):

* an unlimited ``time`` dimension; snapshot variables are appended along it
  and the file is flushed after each snapshot, so a killed run leaves every
  completed snapshot readable;
* static coordinates with ``units`` attributes;
* global attributes: ``solver``, ``physim_version``, ``case`` (the case file
  text), ``parameters`` (resolved parameters as JSON, plus flat copies of the
  scalar ones), ``created``, ``status`` and integrator statistics.

The group ``/restart`` (ignored by xarray) holds the integrator state of the
step that produced the last snapshot; ``physim run --restart`` continues from
it and reproduces the uninterrupted run bit for bit.

Crash safety: flushing is not enough, since HDF5 rewrites metadata in place and
a process killed in the middle of a write leaves a file that no longer opens
(and SWMR mode leaves a flag that needs h5clear). So by default a separate
writer process owns the file: a compute process that is killed (SIGKILL, the
OOM killer, a scheduler) closes the pipe, and the writer marks the file
``interrupted`` and closes it cleanly with every snapshot it received.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from pathlib import Path

import h5netcdf
import h5py
import numpy as np

from . import __version__

RESTART_GROUP = "restart"


STEP_DIM = "t_step"  # the optional second record axis (e.g. moments at every time step)
STEP_CHUNK = 1024


@dataclass(frozen=True)
class Var:
    """A variable: its dims (``time`` first for snapshot variables), dtype and attrs."""

    dims: tuple[str, ...]
    dtype: object
    attrs: dict
    shape: tuple[int, ...] | None = None  # restart variables: sizes of dims the file lacks
    time_chunk: int = 1  # HDF5 chunk length along time (long series appended in blocks)


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


def file_attrs(status: str) -> dict:
    """The attributes every output file carries besides the case's."""
    return {"physim_version": __version__, "status": status,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


class H5Writer:
    """Append snapshots to a new (or, for a restart, existing) file, in this process."""

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
        if any(v.dims[0] == STEP_DIM for v in variables.values()):
            dims[STEP_DIM] = None  # a second record axis: quantities kept at every step
        for name, (dim_tuple, values, _) in coords.items():
            for d, n in zip(dim_tuple, np.shape(values)):
                dims[d] = n
        group_dims = {}
        for var in variables.values():
            for d in var.dims:
                if d not in dims:
                    raise ValueError(f"dimension {d!r} has no coordinate")
        for var in (restart_vars or {}).values():
            for i, d in enumerate(var.dims):
                if d not in dims:
                    if var.shape is None:
                        raise ValueError(f"dimension {d!r} has no coordinate and no size")
                    group_dims[d] = var.shape[i]
        f.dimensions = dims
        for name, (dim_tuple, values, vattrs) in coords.items():
            values = np.asarray(values)
            if values.dtype.kind in "OU":  # names (e.g. of species): variable-length strings
                v = f.create_variable(name, dim_tuple, data=values.astype(object),
                                      dtype=h5py.string_dtype())
            else:
                v = f.create_variable(name, dim_tuple, data=values)
            v.attrs.update(vattrs)
        t = f.create_variable("time", ("time",), np.float64)
        t.attrs.update(attrs.pop("time_attrs", {"units": "1", "long_name": "time"}))
        if STEP_DIM in dims:
            ts = f.create_variable(STEP_DIM, (STEP_DIM,), np.float64, chunks=(STEP_CHUNK,))
            ts.attrs.update({"units": t.attrs.get("units", "1"), "long_name": "time of every step"})
        for name, var in variables.items():
            shape = [var.time_chunk if d == "time" else STEP_CHUNK if d == STEP_DIM else dims[d]
                     for d in var.dims]
            v = f.create_variable(name, var.dims, var.dtype, chunks=tuple(shape))
            v.attrs.update(var.attrs)
        if restart_vars:
            g = f.create_group(RESTART_GROUP)
            if group_dims:  # the local spectral block of a rank: sizes only the restart needs
                g.dimensions = group_dims
            for name, var in restart_vars.items():
                g.create_variable(name, var.dims, var.dtype)
        f.attrs.update(attrs)
        f.attrs.update(file_attrs("running"))
        f.flush()
        self.n = 0

    def append(self, time: float, data: dict, checkpoint: dict | None = None,
               attrs: dict | None = None) -> None:
        """Write one snapshot (and the restart state that goes with it), then flush.

        ``time`` may be a 1-D array: a block of snapshots, with ``data`` stacked along time.
        Variables on the step axis are appended as a block when ``data`` holds ``t_step``
        (their times).
        """
        f, i = self.f, self.n
        k = int(np.size(time))
        rows = slice(i, i + k) if np.ndim(time) else i
        f.resize_dimension("time", i + k)
        f.variables["time"][rows] = time
        for name, var in self.variables.items():
            if var.dims[0] == "time":
                f.variables[name][rows, ...] = data[name]
        if STEP_DIM in data and len(data[STEP_DIM]):
            j, m = f.dimensions[STEP_DIM].size, len(data[STEP_DIM])
            f.resize_dimension(STEP_DIM, j + m)
            f.variables[STEP_DIM][j:j + m] = data[STEP_DIM]
            for name, var in self.variables.items():
                if var.dims[0] == STEP_DIM:
                    f.variables[name][j:j + m, ...] = data[name]
        if checkpoint is not None:
            self.write_checkpoint(checkpoint, snapshot=i + k - 1)
        if attrs:
            f.attrs.update(attrs)
        f.flush()
        self.n = i + k

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



class Writer:
    """:class:`H5Writer` run in a child process (``background=True``, the default).

    Same methods; errors in the child (a full disk, say) are raised here at the
    next call. ``append`` returns once the snapshot is handed over. The child is
    started as ``python -m physim.writer_process`` (not multiprocessing's spawn,
    which would re-import the caller's ``__main__``).
    """

    def __init__(self, path, *, background: bool = True, **kw):
        self.path, self.n = Path(path), 0
        self._local = self._proc = None
        if not background:
            self._local = H5Writer(path, **kw)
            self.n = self._local.n
            return
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "physim.writer_process", str(down_r), str(up_w)],
            pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL)
        os.close(down_r)
        os.close(up_w)
        self._send = Connection(down_w, readable=False)
        self._recv = Connection(up_r, writable=False)
        self._send.send((str(path), kw))
        self.n = self._reply()

    def _reply(self):
        try:
            kind, value = self._recv.recv()
        except EOFError:
            raise OSError(f"the writer process for {self.path} died") from None
        if kind == "error":
            raise OSError(f"writing {self.path} failed: {value}")
        return value

    def _call(self, *msg):
        if self._local is not None:
            return getattr(self._local, msg[0])(*msg[1:])
        while self._recv.poll():  # an asynchronous failure of an earlier append
            self._reply()
        self._send.send(msg)

    def append(self, time, data, checkpoint=None, attrs=None):
        self._call("append", time, data, checkpoint, attrs)
        self.n += int(np.size(time))

    def set_status(self, status, attrs=None):
        self._call("set_status", status, attrs)

    def close(self):
        if self._local is not None:
            self._local.close()
            return
        if self._proc is None:
            return
        try:
            self._send.send(("close",))
            self._reply()
        finally:
            self._send.close()
            self._recv.close()
            self._proc.wait()
            self._proc = None


def serve(conn_in, conn_out):
    """The writer process: apply messages until "close", or until the pipe breaks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    try:
        path, kw = conn_in.recv()
        w = H5Writer(path, **kw)
        conn_out.send(("ok", w.n))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        conn_out.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    try:
        while True:
            try:
                msg = conn_in.recv()
            except (EOFError, OSError):
                w.set_status("interrupted: the run process ended without closing the file")
                break
            if msg[0] == "close":
                break
            getattr(w, msg[0])(*msg[1:])
        w.close()
        conn_out.send(("ok", w.n))
    except Exception as exc:  # noqa: BLE001
        try:
            conn_out.send(("error", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
        w.close()


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
    import xarray as xr
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no physim output at {str(path)!r}")
    return xr.open_dataset(path, engine="h5netcdf")
