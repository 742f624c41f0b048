"""What a user brings to a run: initial states, potentials... as arrays, callables or files.

A solver declares the inputs it accepts (``INPUTS``: name -> :class:`Input`), each owned
by a case section; where the names depend on the case (one input per species, say),
``INPUTS`` is a callable of the case (its raw dict or its validated parameters) that
returns that dict (:func:`declared_for`). The owning section then takes two more kinds,
made by :func:`source_kinds`:

* ``kind = "array"``: the values come from the Python API,
  ``physim.run(case, inputs={"psi": array_or_callable})`` (or a keyword section such as
  ``initial={"psi": ...}``). An array must have the grid's shape; a callable is called
  with the grid coordinates (one broadcastable array per dimension, in the input's
  dimension order) and its result is broadcast to that shape. An ``xarray.DataArray``
  is matched by its coordinates, like a file.
* ``kind = "file"``: ``path`` (any physim output, a multi-rank master included, or any
  netCDF/HDF5 file xarray opens), ``variable`` (default: the input's own name, which is
  the name physim writes it under), ``time`` or ``index`` (which record; default the
  last complete one), ``member`` (which realisation, when the variable has an
  ensemble or replica dimension) and ``interpolate``.

A table (:meth:`Inputs.table`: a fibre's n_eff(wavelength), say) is not resampled onto
the run's grid: it keeps its own coordinate, and the solver interpolates it as its
physics asks. From Python it is a (2, n) array [coordinate, values] or a DataArray along
the coordinate; from a file, the variable of the input's name along that coordinate.

An optional input (``Input(..., required=False)``) that a file lacks is None, as when
it is not given with kind ``array``; the solver then makes it itself. A run repeated
from its output (``physim run OUT.h5``, ``--restart``) does without it again, and does
not read the file: its inputs come from ``/inputs`` alone.

A state given on another grid is refused, naming both grids, unless
``interpolate = true``: periodic dimensions are then resampled spectrally (the
trigonometric interpolant; the box must be the same), the others linearly (zero
outside the source grid).

Whatever came in is written into the output's group ``/inputs`` (every array as it
was used, with its source: the path and sha256 of a file, the name of a callable),
so that the output alone reproduces the run: ``physim run OUT.h5`` runs it again,
and ``--restart`` and ``physim regress`` read the inputs from there.
``xarray.open_dataset(out, group="inputs")`` shows them (for a multi-rank run, open a
rank file, ``OUT.h5.parts/rank0000.h5``: each holds them whole; :func:`read` on the
master finds them there).

Every problem (a wrong shape, dtype or non-finite value, a file without the variable
or the time asked, a callable that raises) is one line naming the key and what was
expected, raised as :class:`physim.cases.CaseError` before any work starts.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cases import REQUIRED, CaseError, Param

GROUP = "inputs"
SOURCE_KINDS = ("array", "file")


@dataclass(frozen=True)
class Input:
    """An input a solver accepts: the section that owns it, what it is, whether a
    section of kind array/file must provide it."""

    section: str
    doc: str
    required: bool = True


def source_kinds(names, extra: dict | None = None) -> dict[str, dict[str, Param]]:
    """The ``array`` and ``file`` kinds of a section that owns the inputs ``names``
    (each with the solver's ``extra`` keys, e.g. a noise level). With one name the file
    kind has a ``variable`` key (default: that name); with several, or with names that
    depend on the case (``names = []``), each input reads the variable of its own name."""
    extra = dict(extra or {})
    names = list(names)
    file = {"path": Param(REQUIRED, str, "the file: a physim output or any netCDF/HDF5 "
                          "file with the run's coordinates")}
    if len(names) == 1:
        file["variable"] = Param(names[0], str, "the variable to read")
    file.update({
        "time": Param(None, float, "the record at this time (default: the last complete one)"),
        "index": Param(None, int, "the record at this index (negative counts from the end)"),
        "member": Param(None, int, "the realisation, when the variable has an ensemble or "
                        "replica dimension", min=0),
        "interpolate": Param(False, bool, "resample a state on another grid (spectrally "
                             "along periodic dimensions, linearly along the others)"),
    })
    return {"array": extra, "file": {**file, **extra}}


def table_kinds(names, extra: dict | None = None) -> dict[str, dict[str, Param]]:
    """The ``array`` and ``file`` kinds of a section whose inputs are tables
    (:meth:`Inputs.table`): as :func:`source_kinds` without ``interpolate`` (a table
    keeps its own coordinate; the solver interpolates it)."""
    kinds = source_kinds(names, extra)
    kinds["file"] = {k: v for k, v in kinds["file"].items() if k != "interpolate"}
    kinds["file"]["path"] = Param(REQUIRED, str, "the file: a physim output or any "
                                  "netCDF/HDF5 file holding the table")
    return kinds


def declared_for(declared, case: dict) -> dict:
    """{name: Input} of a solver's ``INPUTS`` for ``case``: the dict itself, or what the
    callable returns for the case (raw or validated; it must cope with missing keys)."""
    return dict(declared(case) if callable(declared) else declared)


def fail(key: str, problem: str):
    raise CaseError([f"{key}: {problem}"], "input")


@dataclass
class Resolved:
    """An input as the run uses it: on the run's grid, with where it came from."""

    dims: tuple
    coords: dict          # {dim: values}
    values: np.ndarray
    attrs: dict


class Inputs:
    """The inputs of one run: what the user gave, resolved on demand by the solver.

    The solver calls :meth:`array` for each input its case asks for, with the grid
    coordinates it needs them on (global, the same on every rank); the frame writes
    :attr:`resolved` into the output and checks with :meth:`finish` that nothing
    given went unused."""

    def __init__(self, params: dict, declared, given: dict | None = None):
        self.params = params
        self.declared = declared = declared_for(declared, params)
        self.given = dict(given or {})
        self.resolved: dict[str, Resolved] = {}
        unknown = [n for n in self.given if n not in declared]
        if unknown:
            fail(f"inputs[{unknown[0]!r}]", "not an input of the "
                 f"{params.get('solver')} solver; it takes "
                 + (", ".join(repr(n) for n in declared) or "none"))
        for name, value in self.given.items():
            sec = declared[name].section
            kind = params.get(sec, {}).get("kind")
            if kind != "array" and not isinstance(value, Resolved):
                fail(f"{sec}.{name}", f"given as an array, but {sec}.kind = {kind!r}; "
                     f"set {sec}.kind = 'array' (physim does when the case does not say)")

    def array(self, name: str, coords: dict, dtype=float, periodic=()) -> np.ndarray | None:
        """The input ``name`` on the grid ``coords`` ({dim: 1-D values}, in the input's
        dimension order) as a ``dtype`` array, or None when an optional input is not
        given (nor held by the file). ``periodic``: the dims whose values are a periodic
        grid."""
        spec = self.declared[name]
        sec = self.params[spec.section]
        key = f"{spec.section}.{name}"
        dims = tuple(coords)
        coords = {d: np.asarray(v) for d, v in coords.items()}
        shape = tuple(len(v) for v in coords.values())
        if name in self.given:
            value = self.given[name]
            if isinstance(value, Resolved):  # stored in an earlier run's output
                out, attrs = _checked(key, value.values, shape, dims, dtype), value.attrs
            else:
                out, attrs = _from_python(key, value, coords, dtype, periodic)
        elif sec["kind"] == "file" and (spec.required or not self._replayed(spec.section)):
            got = _from_file(key, sec, name, coords, dtype, periodic, spec.required)
            if got is None:  # an optional input the file does not hold
                return None
            out, attrs = got
        elif spec.required:
            fail(key, f"{spec.section}.kind = 'array' needs this input ({spec.doc}): pass "
                 f"physim.run(..., inputs={{{name!r}: array}}) with shape {shape} over "
                 f"{dims}")
        else:
            return None
        self.resolved[name] = Resolved(dims, coords, out, attrs)
        return out

    def table(self, name: str, coord: str, min_points: int = 2, at=None):
        """The input ``name`` as a real 1-D table on its own coordinate ``coord`` (not on
        the run's grid: the solver interpolates it as the physics asks), as (coordinate
        values, values), or None when an optional input is not given. From Python: an
        ``xarray.DataArray`` along ``coord``, a (2, n) array (row 0 the coordinate, row
        1 the values) or, where the solver gives ``at`` (the run's grid on ``coord``), a
        callable of ``coord`` sampled there; from a file: the section's ``variable``
        (default ``name``) along the coordinate ``coord``.
        The coordinate must be strictly monotonic."""
        spec = self.declared[name]
        sec = self.params[spec.section]
        key = f"{spec.section}.{name}"
        if name in self.given:
            value = self.given[name]
            if isinstance(value, Resolved):  # stored in an earlier run's output
                x, y, attrs = value.coords[value.dims[0]], value.values, value.attrs
            else:
                x, y, attrs = _table_from_python(key, value, coord, at)
        elif sec["kind"] == "file":
            x, y, attrs = _table_from_file(key, sec, name, coord)
        elif spec.required:
            fail(key, f"{spec.section}.kind = 'array' needs this input ({spec.doc}): pass "
                 f"physim.run(..., inputs={{{name!r}: table}}), a (2, n) array [{coord}, "
                 f"values] or an xarray.DataArray along {coord!r}")
        else:
            return None
        x = np.asarray(x)
        n = x.shape[0] if x.ndim == 1 else -1
        if n < min_points:
            fail(key, f"{coord}: shape {x.shape}; expected a 1-D table of at least "
                 f"{min_points} points")
        x = _checked(f"{key} ({coord})", x, (n,), (coord,), float)
        y = _checked(key, y, (n,), (coord,), float)
        step = np.diff(x)
        if not (np.all(step > 0) or np.all(step < 0)):
            fail(key, f"{coord}: the values must be strictly increasing or decreasing "
                 "(no repeated or unsorted points)")
        # each table keeps its own coordinate in /inputs: two tables need not share it
        dim = f"{name}_{coord}"
        self.resolved[name] = Resolved((dim,), {dim: x}, y, attrs)
        return x, y

    def _replayed(self, section: str) -> bool:
        """Whether ``section``'s inputs come from an earlier run's ``/inputs`` (an optional
        input missing there was missing in that run's source too)."""
        return any(isinstance(v, Resolved) and self.declared[n].section == section
                   for n, v in self.given.items())

    def finish(self):
        """Refuse inputs that were given but that the solver did not use."""
        unused = [n for n in self.given if n not in self.resolved]
        if unused:
            spec = self.declared[unused[0]]
            fail(f"{spec.section}.{unused[0]}", "given, but this case does not use it")


# -- sources -----------------------------------------------------------------------------

def _from_python(key, value, coords, dtype, periodic):
    dims = tuple(coords)
    shape = tuple(len(v) for v in coords.values())
    if callable(value) and not _is_dataarray(value):
        grids = np.meshgrid(*coords.values(), indexing="ij", sparse=True)
        try:
            got = value(*grids)
        except Exception as exc:  # the user's function: say which key it was
            fail(key, f"the callable {_name(value)} raised {type(exc).__name__}: {exc}")
        try:
            got = np.broadcast_to(np.asarray(got), shape)
        except ValueError:
            fail(key, f"the callable {_name(value)} returned shape {np.shape(got)}; expected "
                 f"{shape} over {dims} (or one that broadcasts to it)")
        return _checked(key, got, shape, dims, dtype), {"source": "callable",
                                                        "callable": _name(value)}
    if _is_dataarray(value):
        got, how = _on_grid(key, value, coords, periodic, interpolate=False)
        return _checked(key, got, shape, dims, dtype), {"source": "xarray.DataArray", **how}
    try:
        got = np.asarray(value)
    except Exception as exc:
        fail(key, f"cannot be read as an array ({type(exc).__name__}: {exc})")
    return _checked(key, got, shape, dims, dtype), {"source": "array"}


def _table_from_python(key, value, coord, at=None):
    if callable(value) and not _is_dataarray(value):
        if at is None:
            fail(key, f"a callable, which this input does not take; expected a (2, n) array "
                 f"[{coord}, values] or a DataArray along {coord!r}")
        at = np.asarray(at, dtype=float)
        y, attrs = _from_python(key, value, {coord: at}, float, ())
        return at, y, attrs
    if _is_dataarray(value):
        if value.dims != (coord,) or coord not in value.coords:
            fail(key, f"a DataArray with dims {tuple(value.dims)}; expected one dimension "
                 f"{coord!r} with its coordinate values")
        return (np.asarray(value[coord].values), np.asarray(value.values),
                {"source": "xarray.DataArray"})
    try:
        got = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        fail(key, f"cannot be read as a table ({type(exc).__name__}: {exc}); expected a "
             f"(2, n) array [{coord}, values] or a DataArray along {coord!r}")
    if got.ndim != 2 or got.shape[0] != 2:
        fail(key, f"shape {got.shape}; expected a (2, n) array [{coord}, values] or a "
             f"DataArray along {coord!r}")
    return got[0], got[1], {"source": "array"}


def _table_from_file(key, sec, name, coord):
    path, ds = _open(key, sec)
    with ds:
        variable = sec.get("variable", name)
        if variable not in ds.variables:
            fail(key.split(".")[0] + ".variable" if "variable" in sec else key,
                 f"{path.name} has no variable {variable!r}; it has "
                 + ", ".join(repr(v) for v in ds.data_vars))
        da, picked = _select(key.split(".")[0], ds[variable], (coord,), sec, path.name)
        if da.dims != (coord,) or coord not in da.coords:
            fail(key, f"{path.name}: {variable!r} has dims {tuple(da.dims)}; expected one "
                 f"dimension {coord!r} with its coordinate values")
        x, y = np.asarray(da[coord].values), np.asarray(da.values)
    attrs = {"source": "file", "path": str(path.resolve()), "sha256": sha256(path),
             "variable": variable, **picked}
    return x, y, attrs


def _open(key, sec):
    """(path, dataset) of a file-kind section ``sec``, or one line naming ``section.path``."""
    import xarray as xr

    from .io import is_physim_file
    from .io import open as open_output
    path = Path(sec["path"]).expanduser()
    where = f"{key.split('.')[0]}.path"
    if not path.is_file():
        fail(where, f"{str(path)!r} does not exist")
    try:
        ds = open_output(path) if is_physim_file(path) else xr.open_dataset(path)
    except Exception as exc:
        fail(where, f"{str(path)!r} is not a netCDF/HDF5 file xarray can open "
             f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    return path, ds


def _from_file(key, sec, name, coords, dtype, periodic, required=True):
    path, ds = _open(key, sec)
    variable = sec.get("variable", name)
    with ds:
        if variable not in ds.variables:
            if not required:
                return None
            fail(key.split(".")[0] + ".variable" if "variable" in sec else key,
                 f"{path.name} has no variable {variable!r}; it has "
                 + ", ".join(repr(v) for v in ds.data_vars))
        da, picked = _select(key.split(".")[0], ds[variable], tuple(coords), sec, path.name)
        got, how = _on_grid(key, da, coords, periodic, sec["interpolate"])
    shape = tuple(len(v) for v in coords.values())
    attrs = {"source": "file", "path": str(path.resolve()), "sha256": sha256(path),
             "variable": variable, **picked, **how}
    return _checked(key, got, shape, tuple(coords), dtype), attrs


def _select(sec_name, da, dims, sec, fname):
    """``da`` without its record and member dimensions: the record asked for."""
    picked = {}
    extra = [d for d in da.dims if d not in dims]
    record = [d for d in extra if d in ("time", "t_step")]
    if sec["time"] is not None and sec["index"] is not None:
        fail(f"{sec_name}.time", "give time or index, not both")
    if record:
        d = record[0]
        n = da.sizes[d]
        if n == 0:
            fail(f"{sec_name}.path", f"{fname}: {da.name!r} has no complete record yet")
        if sec["time"] is not None:
            t = np.asarray(da[d].values, dtype=float)
            i = int(np.argmin(np.abs(t - sec["time"])))
            tol = 1e-9 * max(1.0, abs(sec["time"]), float(np.max(np.abs(t))))
            if abs(t[i] - sec["time"]) > tol:
                fail(f"{sec_name}.time", f"{fname} has no record at {d} = {sec['time']:g}; "
                     f"it has {n} from {t[0]:g} to {t[-1]:g} (nearest {t[i]:.12g})")
        else:
            i = -1 if sec["index"] is None else sec["index"]
            if not -n <= i < n:
                fail(f"{sec_name}.index", f"{i} is out of range: {fname} has {n} records "
                     f"of {da.name!r}")
            i %= n
        picked = {"record_dim": d, "record_index": i,
                  "record_coord": float(da[d].values[i]) if d in da.coords else float(i)}
        da = da.isel({d: i})
        extra.remove(d)
    if sec["member"] is not None:
        many = [d for d in extra if da.sizes[d] > 1]
        if not many:
            fail(f"{sec_name}.member", f"{da.name!r} in {fname} has no ensemble or replica "
                 "dimension to choose from")
        d = many[0]
        if sec["member"] >= da.sizes[d]:
            fail(f"{sec_name}.member", f"{sec['member']} is out of range: {da.name!r} has "
                 f"{da.sizes[d]} along {d!r}")
        da = da.isel({d: sec["member"]})
        picked["member"] = sec["member"]
        extra.remove(d)
    for d in extra:
        if da.sizes[d] == 1:
            da = da.isel({d: 0})
        else:
            fail(f"{sec_name}.member", f"{da.name!r} in {fname} has the dimension {d!r} "
                 f"({da.sizes[d]}) that the input lacks; choose one with member = i")
    return da, picked


def _on_grid(key, da, coords, periodic, interpolate):
    """The values of DataArray ``da`` on the grid ``coords``: as they are when the grids
    agree, resampled when ``interpolate``, else refused naming both grids."""
    dims = tuple(coords)
    missing = [d for d in dims if d not in da.dims]
    if missing or len(da.dims) != len(dims):
        fail(key, f"has dims {tuple(da.dims)}; the run needs {dims}")
    da = da.transpose(*dims)
    values = np.asarray(da.values)
    how = {}
    for axis, d in enumerate(dims):
        target = coords[d]
        source = np.asarray(da[d].values, dtype=float) if d in da.coords else None
        if source is None:
            if values.shape[axis] != len(target):
                fail(key, f"{d}: {values.shape[axis]} points; the run has {len(target)} "
                     "(and the source has no coordinate values to interpolate from)")
            continue
        if _same_grid(source, target):
            continue
        if not interpolate:
            fail(key, f"{d}: the source grid ({_grid(source)}) differs from the run's "
                 f"({_grid(target)}); set interpolate = true to resample it")
        values = _resample(key, d, values, axis, source, target, d in periodic)
        how[f"interpolated_{d}"] = _grid(source)
    return values, how


def _same_grid(a, b):
    if len(a) != len(b):
        return False
    scale = max(float(np.max(np.abs(b))) if len(b) else 1.0, 1e-300)
    return bool(np.allclose(a, b, rtol=0, atol=1e-9 * scale))


def _grid(x):
    if len(x) < 2:
        return f"{len(x)} point" + ("" if len(x) == 1 else "s")
    return f"{len(x)} points from {x[0]:.6g} to {x[-1]:.6g}"


def _resample(key, d, values, axis, source, target, periodic):
    if periodic:
        ds, dt = np.diff(source), np.diff(target)
        uniform = np.allclose(ds, ds[0], rtol=1e-9) and np.allclose(dt, dt[0], rtol=1e-9)
        Ls, Lt = ds[0] * len(source), dt[0] * len(target)
        if not uniform or not np.isclose(Ls, Lt, rtol=1e-9) or not np.isclose(
                source[0], target[0], rtol=0, atol=1e-9 * Lt):
            fail(key, f"{d}: spectral resampling needs the same periodic box; the source is "
                 f"{_grid(source)} (period {Ls:.6g}), the run {_grid(target)} (period "
                 f"{Lt:.6g})")
        from scipy.signal import resample
        return resample(values, len(target), axis=axis)
    from scipy.interpolate import interp1d
    lo, hi = source[0], source[-1]
    if lo > hi:
        source, values = source[::-1], np.flip(values, axis)
    return interp1d(source, values, axis=axis, bounds_error=False, fill_value=0.0,
                    assume_sorted=True)(target)


def _checked(key, got, shape, dims, dtype):
    got = _complex_from_compound(np.asarray(got))
    if got.shape != shape:
        fail(key, f"shape {got.shape}; expected {shape} over {dims}")
    want = np.dtype(dtype)
    if got.dtype.kind not in "biufc":
        fail(key, f"dtype {got.dtype}; expected numbers ({want})")
    if got.dtype.kind == "c" and want.kind != "c":
        if np.any(got.imag != 0):
            fail(key, f"complex values; this input is real ({want})")
        got = got.real
    out = np.array(got, dtype=want)  # a copy the solver owns
    bad = ~np.isfinite(out)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(key, f"{int(bad.sum())} non-finite values (the first at index {where}); "
             "expected finite numbers")
    return out


def _complex_from_compound(a):
    """Complex numbers stored as a compound of two floats (h5py's and many codes' way;
    netCDF-C reads them so) as complex."""
    names = a.dtype.names
    if names and len(names) == 2 and all(a.dtype[n].kind == "f" for n in names) and \
            names[0].lower()[:1] == "r" and names[1].lower()[:1] == "i":
        return a[names[0]] + 1j * a[names[1]]
    return a


def _is_dataarray(value):
    return type(value).__name__ == "DataArray" and hasattr(value, "dims")


def _name(fn):
    mod = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", type(fn).__name__)
    return f"{mod}.{qual}" if mod else qual


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


# -- in the output -------------------------------------------------------------------------

def write_group(f, resolved: dict):
    """Write the inputs into the open h5netcdf file ``f`` as the group ``/inputs``."""
    if not resolved:
        return
    g = f.create_group(GROUP)
    dims = {}
    for r in resolved.values():
        for d, v in r.coords.items():
            dims.setdefault(d, v)
    g.dimensions = {d: len(v) for d, v in dims.items()}
    for d, v in dims.items():
        g.create_variable(d, (d,), data=np.asarray(v))
    for name, r in resolved.items():
        v = g.create_variable(name, r.dims, data=r.values)
        v.attrs.update({k: (str(x) if not isinstance(x, (int, float)) else x)
                        for k, x in r.attrs.items()})
    g.attrs["about"] = ("the inputs of the run as it used them; physim run on this file, "
                        "--restart and physim regress read them from here")


def nbytes(resolved: dict) -> int:
    return sum(r.values.nbytes + sum(np.asarray(v).nbytes for v in r.coords.values())
               for r in resolved.values())


def read(path) -> dict:
    """{name: Resolved} stored in an output (a multi-rank master: from its first rank file)."""
    import h5py
    path = Path(path)
    with h5py.File(path, "r") as f:
        parts = [p.decode() if isinstance(p, bytes) else str(p)
                 for p in f.attrs.get("physim_parts", [])]
        if parts and GROUP not in f:
            return read(path.parent / parts[0])
        if GROUP not in f:
            return {}
        g = f[GROUP]
        out = {}
        for name, ds in g.items():
            if ds.is_scale:
                continue
            dims = tuple(dd[0].name.rsplit("/", 1)[-1] for dd in ds.dims)
            coords = {d: g[d][...] for d in dims}
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in ds.attrs.items()
                     if k not in ("DIMENSION_LIST", "_Netcdf4Coordinates", "_Netcdf4Dimid")}
            out[name] = Resolved(dims, coords, ds[...], attrs)
    return out

