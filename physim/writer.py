"""The run's output file, laid out whole at the start and then written in place.

Why in place: HDF5 rewrites its metadata (B-trees, object headers, the
superblock's end-of-file address) when a dataset grows, and a process killed
in the middle of that leaves a file that no longer opens. So :meth:`OutputFile.create`
allocates every record a run will produce (the snapshots along ``time``, the
per-step records along ``t_step``, two checkpoint slots) before the first step,
writes the metadata once and closes the file. From then on the run only writes
raw bytes at fixed offsets with ``os.pwrite``: no HDF5 call, no metadata change,
so the file is a complete, openable HDF5 file at every instant, whatever kills
the process. It is also the fastest path (a 512-point complex snapshot costs a
few microseconds).

Validity: a record's coordinate (``time`` or ``t_step``) is NaN until the record
is written and is written after the record's data, so "coordinate finite" means
"record complete". The physim xarray backend (``xarray.open_dataset(path)``)
and :func:`physim.open` drop the records not written yet.

A reader that holds the file open (a notebook watching the run, another process
polling it) must not make the run fail: the layout is written under a temporary name
and renamed into place (a reader never sees half of it, nor locks it), and the final
attributes are set without HDF5's file lock if a reader holds it.

Checkpoints go to one of two slots in turn; a slot's header is invalidated before
its bytes are rewritten and set (with a CRC) after, so a kill during a checkpoint
leaves the previous one intact.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import zlib
from datetime import datetime, timezone
from pathlib import Path

import h5py
import numpy as np
from h5py import h5d, h5p

from . import __version__
from . import inputs as input_group
from .io import (CHECKPOINT_HEADER, CHECKPOINT_SLOTS, RECORD_DIMS, RESTART_GROUP, STEP_DIM,
                 USERBLOCK, USERBLOCK_TEXT, Var, complete_prefix, with_cf_time)

CHUNK_BYTES = 1 << 20  # target chunk size: large sequential writes, few index entries


class OutputError(OSError):
    """The output cannot be created or written (a full disk, a size limit, a lost file)."""


def _human(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.2f} {unit}"
        n /= 1000
    return str(n)


def _early_dcpl():
    # every chunk allocated when the dataset is created: later writes change no metadata
    p = h5p.create(h5p.DATASET_CREATE)
    p.set_alloc_time(h5d.ALLOC_TIME_EARLY)
    return p


def _chunk_rows(n: int, row_bytes: int) -> int:
    per = max(1, CHUNK_BYTES // max(row_bytes, 1))
    chunks = -(-n // per)
    return max(1, -(-n // chunks))  # equal chunks, so little allocated space goes unused


STATUS_BYTES = 1024


def status_value(text: str) -> np.ndarray:
    """``status`` as a fixed-length string: rewriting it later changes no HDF5 metadata's
    size, so it needs no new space in the file (even on a full disk)."""
    raw = text.encode()[:STATUS_BYTES]
    return np.array(raw.ljust(STATUS_BYTES, b"\0"), dtype=f"S{STATUS_BYTES}")


def file_attrs(status: str) -> dict:
    """The attributes every output file carries besides the case's."""
    return {"physim_version": __version__, "Conventions": "CF-1.10",
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "status": status_value(status)}


def checkpoint_bytes(cp: dict) -> bytes:
    """A checkpoint (arrays and JSON-able values) as one byte string."""
    arrays, values, blobs, offset = {}, {}, [], 0
    for name, v in cp.items():
        if isinstance(v, np.ndarray) and v.dtype.kind in "biufc":
            a = np.ascontiguousarray(v)
            arrays[name] = [a.dtype.str, list(a.shape), offset]
            blobs.append(a.tobytes())
            offset += a.nbytes
        else:
            values[name] = v.item() if isinstance(v, np.generic) else v
    head = json.dumps({"arrays": arrays, "values": values}).encode()
    return len(head).to_bytes(8, "little") + head + b"".join(blobs)


def checkpoint_from_bytes(raw: bytes) -> dict:
    n = int.from_bytes(raw[:8], "little")
    head = json.loads(raw[8:8 + n])
    base = 8 + n
    out = dict(head["values"])
    for name, (dtype, shape, offset) in head["arrays"].items():
        dt = np.dtype(dtype)
        count = int(np.prod(shape))
        out[name] = np.frombuffer(raw, dt, count, base + offset).reshape(shape).copy()
    return out


class OutputFile:
    """An output file open for writing records and checkpoints in place.

    ``create`` lays out a new file; ``reopen`` continues one (a restart).
    ``rows[axis]`` counts the records written along each record axis.
    """

    def __init__(self, path: Path, layout: dict, sizes: dict, slots: list, rows: dict):
        self.path, self.layout, self.sizes, self.slots = path, layout, sizes, slots
        self.rows = dict(rows)
        self.seq = 0
        self.fd = os.open(path, os.O_RDWR)

    # -- layout ----------------------------------------------------------------------
    @staticmethod
    def needed_bytes(coords: dict, variables: dict, sizes: dict, restart_vars: dict) -> int:
        dims = {d: n for _, (ds, values, _) in coords.items() for d, n in zip(ds, np.shape(values))}
        dims.update(sizes)
        total = 0
        for var in variables.values():
            total += int(np.prod([dims[d] for d in var.dims])) * np.dtype(var.dtype).itemsize
        for var in restart_vars.values():
            total += 2 * _restart_nbytes(var, dims)
        return total + 8 * sum(sizes.values()) + (1 << 16)

    @classmethod
    def create(cls, path, *, coords: dict, variables: dict[str, Var], attrs: dict,
               sizes: dict, restart_vars: dict[str, Var] | None = None,
               checkpoint_extra: int = 1 << 16, inputs: dict | None = None) -> "OutputFile":
        """Lay out ``path`` for ``sizes`` records along each record axis (``time``, ``t_step``)
        and return it open for writing. ``attrs`` may hold ``time_attrs`` for the time
        coordinate; ``inputs`` ({name: :class:`physim.inputs.Resolved`}) go into the group
        ``/inputs``. Fails (OutputError, nothing left behind) if the disk or the file-size
        limit cannot hold the whole run."""
        path = Path(path)
        restart_vars = restart_vars or {}
        sizes = {d: int(n) for d, n in sizes.items()
                 if d == "time" or any(v.dims[0] == d for v in variables.values())}
        need = cls.needed_bytes(coords, variables, sizes, restart_vars) + 2 * checkpoint_extra
        inputs = inputs or {}
        need += input_group.nbytes(inputs)
        _check_room(path, need)
        attrs = dict(attrs)
        time_attrs = with_cf_time(attrs.pop("time_attrs", {"units": "1", "long_name": "time"}))
        tmp = path.with_name(path.name + ".layout")
        try:
            _write_layout(tmp, coords, variables, attrs, time_attrs, sizes, restart_vars,
                          checkpoint_extra, inputs)
            os.replace(tmp, path)
            out = cls.reopen(path, fresh=True)
            try:
                os.posix_fallocate(out.fd, 0, os.fstat(out.fd).st_size)
            except OSError as exc:
                out.close()
                raise OutputError(f"{path}: cannot reserve the {_human(need)} the run's output "
                                  f"needs: {exc.strerror}") from None
            except AttributeError:  # a platform without posix_fallocate
                pass
        except OutputError:
            tmp.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
            raise OutputError(f"{path}: cannot create the output ({_human(need)}): "
                              f"{exc.strerror or exc}") from None
        return out

    @classmethod
    def reopen(cls, path, fresh: bool = False) -> "OutputFile":
        """Open an existing output for writing: its layout, record counts and checkpoints."""
        path = Path(path)
        layout, sizes = {}, {}
        with h5py.File(path, "r") as f:
            for name, d in f.items():
                if not isinstance(d, h5py.Dataset) or d.ndim == 0:
                    continue
                dim0 = name if d.is_scale else (
                    d.dims[0][0].name.lstrip("/") if len(d.dims[0]) else None)
                if dim0 not in RECORD_DIMS:
                    continue
                sizes[dim0] = d.shape[0]
                rows_per = d.chunks[0]
                rest0 = (0,) * (d.ndim - 1)
                offsets = [d.id.get_chunk_info_by_coord((j * rows_per,) + rest0).byte_offset
                           for j in range(-(-d.shape[0] // rows_per))]
                layout[name] = (dim0, d.dtype, int(np.prod(d.shape[1:])) * d.dtype.itemsize,
                                rows_per, offsets, d.shape[1:])
            slots = []
            if RESTART_GROUP in f:
                g = f[RESTART_GROUP]
                for k in range(CHECKPOINT_SLOTS):
                    s = g[f"slot{k}"]
                    slots.append((s.id.get_offset(), s.shape[0]))
                header_offset = g[CHECKPOINT_HEADER].id.get_offset()
            else:
                header_offset = None
            rows = {d: 0 for d in sizes} if fresh else {
                d: complete_prefix(f[d][...]) for d in sizes}
        out = cls(path, layout, sizes, slots, rows)
        out.header_offset = header_offset
        if not fresh and slots:
            out.seq = max((h[0] for h in out._headers()), default=0)
        return out

    # -- records ---------------------------------------------------------------------------
    def write(self, axis: str, start: int, coord, data: dict) -> None:
        """Write records ``start, start+1, ...`` along ``axis``: every variable of ``data``
        on that axis, then the coordinate values ``coord`` (which mark them complete)."""
        coord = np.atleast_1d(np.asarray(coord, dtype=np.float64))
        k = len(coord)
        if start + k > self.sizes[axis]:
            raise OutputError(f"{self.path}: {start + k} records along {axis!r}, but the file "
                              f"was laid out for {self.sizes[axis]}")
        block = np.ndim(data.get(axis, coord)) > 0 or k > 1
        for name, (dim0, dtype, row_bytes, per, offsets, rest) in self.layout.items():
            if dim0 != axis or name == axis:
                continue
            values = np.ascontiguousarray(data[name], dtype=dtype)
            if not block:
                values = values.reshape((1,) + tuple(rest))
            self._rows(values, start, row_bytes, per, offsets)
        _, _, row_bytes, per, offsets, _ = self.layout[axis]
        self._rows(coord, start, row_bytes, per, offsets)
        self.rows[axis] = max(self.rows.get(axis, 0), start + k)

    def _rows(self, values: np.ndarray, start: int, row_bytes: int, per: int, offsets) -> None:
        raw = memoryview(values).cast("B")
        i, done = start, 0
        while done < len(raw):
            chunk, within = divmod(i, per)
            take = min(per - within, (len(raw) - done) // row_bytes)
            self._pwrite(raw[done:done + take * row_bytes], offsets[chunk] + within * row_bytes)
            done += take * row_bytes
            i += take

    def _pwrite(self, buf, offset: int) -> None:
        try:
            while len(buf):
                n = os.pwrite(self.fd, buf, offset)
                buf, offset = buf[n:], offset + n
        except OSError as exc:
            raise OutputError(f"writing {self.path} failed: {exc.strerror} ({_human(len(buf))} "
                              "still to write); the records written so far are readable") from None

    # -- checkpoints ------------------------------------------------------------------------
    def _headers(self) -> list:
        raw = os.pread(self.fd, 8 * 4 * CHECKPOINT_SLOTS, self.header_offset)
        return np.frombuffer(raw, "<i8").reshape(CHECKPOINT_SLOTS, 4).tolist()

    def write_checkpoint(self, cp: dict) -> None:
        """Store ``cp`` (with the record counts) in the older slot."""
        cp = {**cp, "_rows": dict(self.rows)}
        raw = checkpoint_bytes(cp)
        self.seq += 1
        k = self.seq % CHECKPOINT_SLOTS
        offset, capacity = self.slots[k]
        if len(raw) > capacity:
            raise OutputError(f"{self.path}: a checkpoint of {_human(len(raw))} does not fit its "
                              f"slot of {_human(capacity)}")
        head = self.header_offset + 32 * k
        self._pwrite(np.array([-1, 0, 0, 0], "<i8").tobytes(), head)
        self._pwrite(raw, offset)
        self._pwrite(np.array([self.seq, len(raw), zlib.crc32(raw), 0], "<i8").tobytes(), head)

    def checkpoints(self) -> list[tuple[int, dict]]:
        """The valid checkpoints, newest first, as (sequence number, checkpoint)."""
        out = []
        if not self.slots:  # a solver that regenerates its runs keeps no checkpoints
            return out
        for k, (seq, n, crc, _) in enumerate(self._headers()):
            if seq <= 0:
                continue
            raw = os.pread(self.fd, n, self.slots[k][0])
            if len(raw) == n and zlib.crc32(raw) == crc:
                out.append((seq, checkpoint_from_bytes(raw)))
        return sorted(out, key=lambda s: -s[0])

    # -- the end ----------------------------------------------------------------------------
    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def finish(self, status: str, attrs: dict | None = None) -> None:
        """Close the raw handle and set the final attributes through HDF5."""
        self.close()
        set_attrs(self.path, {"status": status, **(attrs or {})})


def set_attrs(path, attrs: dict) -> None:
    """Set attributes in place where the file reserved them (``status``, the statistics
    ``create`` was given placeholders for): a full disk cannot stop those writes."""
    try:
        f = h5py.File(path, "r+")
    except OSError as exc:  # a reader in another process holds HDF5's lock on the file
        if "lock" not in str(exc):
            raise
        f = h5py.File(path, "r+", locking=False)
    with f:
        for k, v in attrs.items():
            if k == "status":
                v = status_value(v)
            elif isinstance(v, (bool, np.bool_)):
                v = np.int64(v)
            elif isinstance(v, (int, np.integer)):
                v = np.int64(v)
            elif isinstance(v, (float, np.floating)):
                v = np.float64(v)
            f.attrs.modify(k, v)


def _restart_nbytes(var: Var, dims: dict) -> int:
    shape = var.shape if var.shape is not None else tuple(dims[d] for d in var.dims)
    return int(np.prod(shape)) * np.dtype(var.dtype).itemsize


def _check_room(path: Path, need: int) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: the directory {parent} does not exist")
    free = shutil.disk_usage(parent).free
    if need > free:
        raise OutputError(f"{path}: the run's output needs {_human(need)}, but only {_human(free)} "
                          f"are free on {parent}; free space, write elsewhere (-o), or write "
                          "fewer snapshots (output.every)")
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and need > limit:
        raise OutputError(f"{path}: the run's output needs {_human(need)}, but the file-size "
                          f"limit (ulimit -f) is {_human(limit)}")


def _write_layout(path, coords, variables, attrs, time_attrs, sizes, restart_vars, extra,
                  inputs):
    import h5netcdf
    with h5netcdf.File(path, "w", userblock_size=USERBLOCK) as f:
        dims = {d: None for d in sizes}
        for _, (dim_tuple, values, _) in coords.items():
            for d, n in zip(dim_tuple, np.shape(values)):
                dims[d] = n
        for var in variables.values():
            for d in var.dims:
                if d not in dims:
                    raise ValueError(f"dimension {d!r} has no coordinate")
        f.dimensions = dims
        for d, n in sizes.items():
            f.resize_dimension(d, n)
        for name, (dim_tuple, values, vattrs) in coords.items():
            values = np.asarray(values)
            if values.dtype.kind in "OU":  # names (e.g. of species): variable-length strings
                v = f.create_variable(name, dim_tuple, data=values.astype(object),
                                      dtype=h5py.string_dtype())
            else:
                v = f.create_variable(name, dim_tuple, data=values)
            v.attrs.update(vattrs)
        for d, n in sizes.items():
            v = f.create_variable(d, (d,), np.float64, chunks=(_chunk_rows(n, 8),),
                                  fillvalue=np.nan, dcpl=_early_dcpl(), fill_time="alloc")
            v.attrs.update(time_attrs if d == "time" else
                           {"units": time_attrs.get("units", "1"),
                            "long_name": "time of every step"})
        for name, var in variables.items():
            row = [dims[d] for d in var.dims[1:]]
            itemsize = np.dtype(var.dtype).itemsize
            per = _chunk_rows(sizes[var.dims[0]], int(np.prod(row)) * itemsize)
            # no fill: the record's coordinate (NaN until written) says whether it is there
            v = f.create_variable(name, var.dims, var.dtype, chunks=tuple([per] + row),
                                  dcpl=_early_dcpl(), fill_time="never")
            v.attrs.update(var.attrs)
        f.attrs.update(attrs)
        f.attrs.update(file_attrs("running"))
        input_group.write_group(f, inputs)
    with h5py.File(path, "r+") as f:  # the restart slots: plain HDF5, invisible to xarray
        if restart_vars:
            dims = {d: n for _, (ds, values, _) in coords.items() for d, n in zip(ds, np.shape(values))}
            arrays = sum(_restart_nbytes(v, dims) for v in restart_vars.values())
            g = f.create_group(RESTART_GROUP)
            g.attrs["about"] = ("checkpoints of the run (physim's own format; see "
                                "physim.writer): two slots written in turn")
            capacity = arrays + 64 * len(restart_vars) + extra
            for k in range(CHECKPOINT_SLOTS):
                g.create_dataset(f"slot{k}", (capacity,), np.uint8, dcpl=_early_dcpl(),
                                 fill_time="never")
            g.create_dataset(CHECKPOINT_HEADER, data=np.zeros((CHECKPOINT_SLOTS, 4), "<i8"),
                             dcpl=_early_dcpl())
    with open(path, "r+b") as fh:  # the user block: what the file is, for a human and xarray
        fh.write(USERBLOCK_TEXT.ljust(USERBLOCK, b"\n")[:USERBLOCK])
