"""One logical dataset from per-rank files: a master file of HDF5 virtual datasets.

Each MPI rank writes its own block of the output (its slab of a field, or its
members of an ensemble) to its own file with :class:`physim.writer.OutputFile`; no rank
ever gathers a full field. :func:`write_master` then writes a small master file
whose variables are *virtual datasets* mapping those blocks into place along
the distributed dimension. The record axes map without limit, so the master
follows the rank files' extents and needs writing only once (after every rank
has laid its file out: HDF5 resolves the mappings through them);
``xarray.open_dataset(master)`` opens it with no options and shows the records
that every rank has completed. HDF5 resolves the rank files relative to the
master's directory.
"""
from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
from h5py import h5d, h5p, h5s, h5t

from .io import STEP_DIM, USERBLOCK, USERBLOCK_TEXT, with_cf_time

RECORD_DIMS = ("time", STEP_DIM)  # unlimited record axes: snapshots, and every step
UNLIMITED = h5s.UNLIMITED
_SKIP_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME", "_Netcdf4Dimid",
               "_Netcdf4Coordinates", "_FillValue"}


def _fill(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.array(np.nan, dtype=dtype)
    return np.zeros((), dtype=dtype)


def _virtual(group, name, parts, global_shape, dtype, unlimited_first):
    """Create ``name`` mapping each (file, dataset, offset, local_shape) block into place
    (``offset``: the block's first index along every axis)."""
    dcpl = h5p.create(h5p.DATASET_CREATE)
    ndim = len(global_shape)
    maxshape = tuple(UNLIMITED if (unlimited_first and d == 0) else n
                     for d, n in enumerate(global_shape))
    for path, dset, offset, shape in parts:
        if any(n == 0 for d, n in enumerate(shape) if not (unlimited_first and d == 0)):
            continue  # a rank that owns no part of a distributed dimension
        vs = h5s.create_simple(tuple(global_shape), maxshape)
        ss = h5s.create_simple(tuple(shape), tuple(
            UNLIMITED if (unlimited_first and d == 0) else n for d, n in enumerate(shape)))
        if unlimited_first:
            # one block per time index, repeated without limit
            block = (1,) + tuple(shape[1:])
            count = (UNLIMITED,) + (1,) * (ndim - 1)
            vs.select_hyperslab(tuple(offset), count, stride=(1,) * ndim, block=block)
            ss.select_hyperslab((0,) * ndim, count, stride=(1,) * ndim, block=block)
        else:
            vs.select_hyperslab(tuple(offset), (1,) * ndim, block=tuple(shape))
            ss.select_hyperslab((0,) * ndim, (1,) * ndim, block=tuple(shape))
        dcpl.set_virtual(vs, os.fsencode(path), dset.encode(), ss)
    dcpl.set_fill_value(_fill(dtype))
    space = h5s.create_simple(tuple(global_shape), maxshape)
    h5d.create(group.id, name.encode(), h5t.py_create(np.dtype(dtype)), space, dcpl=dcpl)
    return group[name]


def _describe(path):
    """{name: (dims, dtype, attrs, shape)} of the top-level variables, and the global attrs."""
    with h5py.File(path, "r") as f:
        info = {}
        for n, d in f.items():
            if not isinstance(d, h5py.Dataset):
                continue  # groups (the restart state) stay per rank
            dims = tuple(s[0].name.lstrip("/") if len(s) else n for s in d.dims)
            info[n] = (dims, d.dtype, {k: v for k, v in d.attrs.items() if k not in _SKIP_ATTRS},
                       d.shape)
        return info, dict(f.attrs)


def layout(coords: dict, variables: dict, time_attrs=None) -> dict:
    """The per-file description :func:`write_master` needs, from what a rank hands its
    :class:`physim.writer.OutputFile` (``coords``: name -> (dims, values, attrs); ``variables``:
    name -> Var), so the master can be written before any rank file is readable."""
    sizes = {}
    info = {}
    for n, (dims, values, vattrs) in coords.items():
        values = np.asarray(values)
        sizes.update(zip(dims, values.shape))
        info[n] = (tuple(dims), values.dtype, dict(vattrs), values.shape)
    info["time"] = (("time",), np.dtype(np.float64),
                    with_cf_time(dict(time_attrs or {})), (0,))
    if any(var.dims[0] == STEP_DIM for var in variables.values()):
        info[STEP_DIM] = ((STEP_DIM,), np.dtype(np.float64),
                          {"units": "1", "long_name": "time of every step"}, (0,))
    for n, var in variables.items():
        shape = tuple(0 if d in RECORD_DIMS else sizes[d] for d in var.dims)
        info[n] = (tuple(var.dims), np.dtype(var.dtype), dict(var.attrs), shape)
    return info


def write_master(master, rank_files, dim, *, layouts=None, attrs=None,
                 static=None, offsets=None) -> Path:
    """Write ``master``: the rank files' variables stitched along dimension ``dim``.

    ``rank_files`` are in rank order and each holds a contiguous block of
    ``dim``. Variables with ``dim`` are stitched; the others, and the global
    attributes, come from the first file. Variables along a record axis (``time``,
    or ``t_step`` for quantities kept at every step) map without limit. Paths are stored relative to the master's directory, so the master
    and its rank files can be moved together. The master is written to a
    temporary name and renamed, so a reader never sees half of it.

    ``dim`` may be a tuple of dimensions when the ranks hold blocks of several
    (pencils): ``offsets`` then gives, per rank, ``{dim: first index}`` of its block.
    Ranks whose blocks of a variable's split dimensions coincide (the ``x`` coordinate
    of ranks that differ only in ``y``) map it once. Without ``offsets`` the blocks of
    the one ``dim`` follow each other in rank order.

    By default the layout is read from the rank files, which must then be
    closed (or flushed by this process). A run whose rank files are still open
    in their writer processes passes ``layouts`` (one :func:`layout` per rank),
    ``attrs`` (global attributes) and ``static`` (values of the variables that
    are neither stitched nor along time) instead: HDF5 resolves the mappings
    only when the master is read.
    """
    master = Path(master)
    split = (dim,) if isinstance(dim, str) else tuple(dim)
    if layouts is None:
        descs = [_describe(f)[0] for f in rank_files]
        info, attrs = _describe(rank_files[0])
        static = None
    else:
        descs, info, attrs = list(layouts), layouts[0], dict(attrs or {})
    rels = [os.path.relpath(Path(f).resolve(), master.resolve().parent) for f in rank_files]
    if offsets is None:
        if len(split) != 1:
            raise ValueError(f"stitching along {split} needs each rank's block offsets")
        counts = [d[split[0]][3][0] for d in descs]
        offsets = [{split[0]: int(o)} for o in np.concatenate([[0], np.cumsum(counts)[:-1]])]
    sizes = {d: max(int(offsets[r][d]) + int(descs[r][d][3][0]) for r in range(len(descs)))
             for d in split}
    tmp = master.with_name(master.name + ".tmp")
    with h5py.File(tmp, "w", userblock_size=USERBLOCK) as out:
        for n, (dims, dtype, vattrs, shape0) in info.items():
            timed = dims[0] in RECORD_DIMS
            mine = [d for d in split if d in dims]
            if mine or timed:
                parts, seen = [], set()
                for r in (range(len(rank_files)) if mine else [0]):
                    key = tuple(int(offsets[r][d]) for d in mine)
                    if key in seen:
                        continue
                    seen.add(key)
                    shape = list(descs[r][n][3])
                    if timed:
                        shape[0] = 0
                    start = [int(offsets[r][d]) if d in mine else 0 for d in dims]
                    parts.append((rels[r], n, start, shape))
                gshape = [sizes[d] if d in mine else k for d, k in zip(dims, shape0)]
                if timed:
                    gshape[0] = 0
                _virtual(out, n, parts, gshape, dtype, timed)
            elif static is not None:
                values = np.asarray(static[n])
                if values.dtype.kind in "OU":  # names (e.g. of species)
                    out.create_dataset(n, data=values.astype(object), dtype=h5py.string_dtype())
                else:
                    out.create_dataset(n, data=values)
            else:
                with h5py.File(rank_files[0], "r") as f0:
                    out.create_dataset(n, data=f0[n][...])
            out[n].attrs.update(vattrs)
        for n, (dims, *_rest) in info.items():
            if dims == (n,):
                out[n].make_scale(n)
        for n, (dims, *_rest) in info.items():
            if dims != (n,):
                for axis, d in enumerate(dims):
                    out[n].dims[axis].attach_scale(out[d])
        out.attrs.update(attrs)
        out.attrs["physim_parts"] = np.array(rels, dtype=h5py.string_dtype())
    with open(tmp, "r+b") as fh:  # the user block names the format (see physim.io)
        fh.write(USERBLOCK_TEXT.ljust(USERBLOCK, b"\n")[:USERBLOCK])
    os.replace(tmp, master)
    return master
