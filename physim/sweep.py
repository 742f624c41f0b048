"""Parameter sweeps: one case, many ordinary runs, and one xarray Dataset of them all.

A sweep is a case and the values of some of its keys, combined as a grid (every
combination, the default) or zipped (the i-th value of every key together). Each point is
an ordinary run with its own output ``DIR/point-NNNN.h5`` and status, restartable like any
run. ``DIR/sweep.json`` (the manifest) holds the case, the keys and each point's values and
output. Running the sweep again skips the completed points, continues the interrupted ones
from their checkpoints (a point killed outright, still marked ``running``, too) and reports
the failed ones (``retry_failed`` runs those anew).

Executors are existing engines; physim schedules nothing itself:

* ``local`` (default): a pool of ``workers`` threads, each running one point at a time as
  its own process (``python -m physim.cli run``; ``ranks`` > 1 launches it under
  ``mpiexec -n ranks``). A SIGINT or SIGTERM to the sweep is passed on to every running
  point, which checkpoints and ends ``interrupted``.
* ``mpi``: ``mpi4py.futures.MPIPoolExecutor``; launch the sweep as
  ``mpiexec -n K python -m mpi4py.futures -m physim.cli sweep ... --executor mpi``: K - 1
  worker ranks, each running serial points in-process.
* ``dask``: ``dask.distributed``: a ``Client`` on ``scheduler`` (an address, e.g. that of a
  dask-jobqueue ``SLURMCluster``) or on a ``LocalCluster`` of ``workers`` processes.

The case may hold the sweep itself, in a ``[sweep]`` table::

    [sweep]
    mode = "grid"                 # or "zip"
    "system.phi" = [0.1, 0.3, 0.5]
    model.v0 = [0.5, 1.0]         # the same as "model.v0"
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import product
from pathlib import Path

from .cases import CaseError, dumps, parse_value

log = logging.getLogger("physim")

MANIFEST = "sweep.json"
EXECUTORS = ("local", "mpi", "dask")


def fail(message: str):
    raise CaseError([message])


# ---------------------------------------------------------------- the plan
def parse_values(text: str) -> list:
    """``0.1,0.3,0.5`` or ``[1, 2],[3, 4]`` or ``soft,wca``: a TOML array without its
    brackets, or bare words split at the commas."""
    try:
        return tomllib.loads(f"v = [{text}]")["v"]
    except tomllib.TOMLDecodeError:
        return [parse_value(t.strip()) for t in text.split(",")]


def split_sweep_overrides(items) -> tuple[dict, list[str]]:
    """``--set`` items of a sweep: ({key: values} for those with two or more values, the
    fixed ``key=value`` items)."""
    values, fixed = {}, []
    for item in items:
        if "=" not in item:
            fail(f"--set {item!r}: expected section.key=value or section.key=v1,v2,...")
        key, text = item.split("=", 1)
        vals = parse_values(text.strip())
        if len(vals) > 1:
            values[key.strip()] = vals
        else:
            fixed.append(item)
    return values, fixed


def _flatten(table: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def split_case(raw: dict) -> tuple[dict, dict, str]:
    """(the case without its [sweep] table, {key: values}, mode) of a raw case."""
    raw = dict(raw)
    table = raw.pop("sweep", None)
    if table is None:
        return raw, {}, "grid"
    if not isinstance(table, dict):
        fail("[sweep]: expected a table of section.key = [values] (and mode)")
    table = dict(table)
    mode = table.pop("mode", "grid")
    values = _flatten(table)
    for key, v in values.items():
        if not isinstance(v, list) or not v:
            fail(f"[sweep] {key}: expected a non-empty list of values, got {v!r}")
    return raw, values, mode


class Plan:
    """The points of a sweep: ``keys`` and, per point, its values (in key order)."""

    def __init__(self, case, values: dict, mode: str = "grid", fixed=()):
        from .api import Case
        if mode not in ("grid", "zip"):
            fail(f"sweep mode = {mode!r}: expected 'grid' (every combination) or 'zip'")
        given = Case(case)  # read, not validated: the [sweep] table is not a case section
        self.source = given.source
        base, table, table_mode = split_case(given.raw)
        values = {**table, **values}
        if not values:
            fail("nothing to sweep: give --set section.key=v1,v2,... (two or more values) "
                 "or a [sweep] table in the case")
        mode = table_mode if mode == "grid" and table else mode
        for key in values:
            if len(key.split(".")) != 2:
                fail(f"sweep key {key!r}: expected section.key, e.g. system.phi")
        self.keys = list(values)
        if mode == "zip":
            lengths = {k: len(v) for k, v in values.items()}
            if len(set(lengths.values())) > 1:
                fail(f"zip sweep: the keys have different numbers of values {lengths}; give "
                     "each the same number, or sweep the grid")
            self.points = [list(p) for p in zip(*values.values())]
        else:
            self.points = [list(p) for p in product(*values.values())]
        self.values, self.mode, self.fixed = values, mode, list(fixed)
        self.base = base
        self.text = dumps(base)
        # every point resolves before any runs: one line per bad value
        problems: dict[str, list[int]] = {}
        for i in range(len(self.points)):
            try:
                Case(base, overrides=self.fixed + self.overrides(i)).params
            except CaseError as exc:
                for m in exc.problems:
                    problems.setdefault(m, []).append(i)
        if problems:
            n = len(self.points)
            raise CaseError([m + (" (every point)" if len(at) == n else
                                  " (point " + "; point ".join(f"{i}: {self.describe(i)}"
                                                                for i in at) + ")")
                             for m, at in problems.items()])

    def overrides(self, i: int) -> list[str]:
        return [f"{k}={_toml(v)}" for k, v in zip(self.keys, self.points[i])]

    def describe(self, i: int) -> str:
        return ", ".join(f"{k}={_toml(v)}" for k, v in zip(self.keys, self.points[i]))

    def manifest(self, outdir: Path) -> dict:
        return {"format": 1, "case": self.text, "mode": self.mode, "keys": self.keys,
                "fixed": self.fixed, "values": self.values,
                "points": [{"index": i, "values": p, "output": point_name(i)}
                           for i, p in enumerate(self.points)]}


def _toml(value) -> str:
    return dumps({"v": value}).split("=", 1)[1].strip()


def point_name(i: int) -> str:
    return f"point-{i:04d}.h5"


def read_manifest(path) -> dict:
    path = Path(path)
    man = path / MANIFEST if path.is_dir() else path
    if not man.is_file():
        raise FileNotFoundError(f"no sweep at {str(path)!r} (no {MANIFEST}): run "
                                "`physim sweep CASE -o DIR` first")
    try:
        return json.loads(man.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{man}: not a sweep manifest ({exc})") from exc


def _write_manifest(outdir: Path, data: dict):
    tmp = outdir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, outdir / MANIFEST)  # atomic: a killed sweep leaves the old or the new


# ---------------------------------------------------------------- point states
def point_status(path: Path) -> str:
    """missing, completed, running, interrupted: SIGNAL, failed: ... or unreadable."""
    if not path.exists():
        return "missing"
    try:
        from .runner import read_attrs
        return str(read_attrs(path).get("status", "unreadable"))
    except Exception:  # noqa: BLE001 - a torn or foreign file: run the point anew
        return "unreadable"


def action(status: str, retry_failed: bool) -> str | None:
    """What a point in this status needs: None (done or left), new, restart or overwrite."""
    if status == "completed":
        return None
    if status == "missing":
        return "new"
    if status == "running" or status.startswith("interrupted"):
        return "restart"
    if status.startswith("failed"):
        return "overwrite" if retry_failed else None
    return "overwrite"


# ---------------------------------------------------------------- running one point
def run_point(spec: dict) -> dict:
    """Run one point in this process (the mpi and dask executors), serially."""
    from .parallel.comm import SerialComm
    from .runner import run
    t0 = time.time()
    out = Path(spec["output"])
    try:
        how = spec["action"]
        try:
            run(spec["case"], out, overrides=spec["overrides"], progress="none",
                restart=out if how == "restart" else None, overwrite=how != "new",
                comm=SerialComm())
        except Exception as exc:  # noqa: BLE001 - e.g. no checkpoint yet: start it anew
            if how != "restart":
                raise
            log.info("point %d: restart failed (%s); running it anew", spec["index"], exc)
            run(spec["case"], out, overrides=spec["overrides"], progress="none",
                overwrite=True, comm=SerialComm())
    except Exception as exc:  # noqa: BLE001 - reported per point; the sweep goes on
        err = " ".join(ln.strip().lstrip("- ") for ln in str(exc).splitlines()[-1:])
        return {"index": spec["index"], "status": _status_after(out, err), "error": err,
                "seconds": time.time() - t0}
    return {"index": spec["index"], "status": point_status(out), "error": "",
            "seconds": time.time() - t0}


class _Processes:
    """The local executor's child processes, so that a signal reaches all of them."""

    def __init__(self):
        self.lock, self.procs, self.stopping = threading.Lock(), set(), None

    def run(self, cmd: list[str], env: dict) -> subprocess.CompletedProcess:
        with self.lock:
            if self.stopping is not None:
                return subprocess.CompletedProcess(cmd, 130, "", "not started: sweep stopped")
            # a session of its own: a terminal's Ctrl-C reaches the sweep, which passes it on
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, start_new_session=True)
            self.procs.add(p)
        try:
            out, err = p.communicate()
        finally:
            with self.lock:
                self.procs.discard(p)
        return subprocess.CompletedProcess(cmd, p.returncode, out, err)

    def signal_all(self, signum):
        with self.lock:
            self.stopping = signum
            for p in self.procs:
                try:
                    os.killpg(p.pid, signum)
                except ProcessLookupError:
                    pass


def _local_command(spec: dict, ranks: int) -> list[str]:
    out = spec["output"]
    cmd = [sys.executable, "-m", "physim.cli", "-q", "run", spec["case_file"], "-o", out,
           "--progress", "none"]
    for o in spec["overrides"]:
        cmd += ["--set", o]
    if spec["action"] == "restart":
        cmd += ["--restart", out]
    elif spec["action"] == "overwrite":
        cmd += ["--overwrite"]
    if ranks > 1:
        cmd = [_mpiexec(), "-n", str(ranks)] + cmd
    return cmd


def _mpiexec() -> str:
    """The mpiexec beside this Python (the mpich wheel's) or on PATH."""
    import shutil
    local = Path(sys.executable).parent / "mpiexec"
    found = str(local) if local.exists() else shutil.which("mpiexec")
    if not found:
        fail("ranks > 1: no mpiexec beside this Python or on PATH (install the 'mpi' extra)")
    return found


def _run_local(spec, ranks, procs: _Processes) -> dict:
    t0 = time.time()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "PMIX_", "OMPI_"))}
    r = procs.run(_local_command(spec, ranks), env)
    if r.returncode != 0 and spec["action"] == "restart" and procs.stopping is None \
            and "checkpoint" in (r.stderr or ""):
        r = procs.run(_local_command({**spec, "action": "overwrite"}, ranks), env)
    lines = [ln.strip().lstrip("- ") for ln in (r.stderr or "").splitlines() if ln.strip()]
    err = "" if r.returncode == 0 else (lines[-1] if lines else f"exit {r.returncode}")
    return {"index": spec["index"], "status": _status_after(Path(spec["output"]), err),
            "error": err, "seconds": time.time() - t0, "returncode": r.returncode}


def _status_after(out: Path, error: str) -> str:
    """The point's status after a try: its file's, or failed when it wrote none."""
    status = point_status(out)
    return f"failed: {error}" if status == "missing" and error else status


# ---------------------------------------------------------------- the sweep
def sweep(case, outdir=None, *, values=None, mode: str = "grid", overrides=(),
          executor: str = "local", workers: int | None = None, ranks: int = 1,
          scheduler: str | None = None, retry_failed: bool = False, overwrite: bool = False,
          progress: str = "auto") -> dict:
    """Run every point of a sweep of ``case`` into ``outdir`` and return the summary
    ``{"outdir", "points": [{index, values, status, error}], "completed", "failed",
    "interrupted"}``.

    values : {section.key: [values]} (beside any [sweep] table of the case); ``mode``
        "grid" or "zip"; ``overrides``: fixed ``section.key=value`` for every point.
    executor : "local" (``workers`` processes, default the core count; each point an MPI
        run of ``ranks`` ranks when ranks > 1), "mpi" (mpi4py.futures; under mpiexec) or
        "dask" (``scheduler`` address, or a LocalCluster of ``workers`` processes).
    """
    if executor not in EXECUTORS:
        fail(f"executor = {executor!r}: expected one of {', '.join(EXECUTORS)}")
    if ranks < 1 or (ranks > 1 and executor != "local"):
        fail(f"ranks = {ranks}: points of several ranks need the local executor (mpi and "
             "dask workers run serial points)")
    if workers is not None and workers < 1:
        fail(f"workers = {workers}: expected a positive number")
    if ranks > 1:
        _mpiexec()  # refused now, not in every point
    plan = Plan(case, dict(values or {}), mode, overrides)
    if outdir is None:
        outdir = Path(f"{Path(plan.source).stem if plan.source else 'sweep'}_sweep")
    outdir = Path(outdir)
    manifest = plan.manifest(outdir)
    if (outdir / MANIFEST).exists():
        old = read_manifest(outdir)
        same = all(old.get(k) == manifest[k] for k in ("case", "mode", "keys", "fixed", "values"))
        if not same and not overwrite:
            fail(f"{outdir} holds another sweep (its {MANIFEST} differs in case, keys or "
                 "values); give another output directory or --overwrite")
        if not same:
            for p in old.get("points", []):
                (outdir / p["output"]).unlink(missing_ok=True)
    outdir.mkdir(parents=True, exist_ok=True)
    _write_manifest(outdir, manifest)
    case_file = outdir / "case.toml"
    case_file.write_text(plan.text)

    todo, summary = [], {}
    for i, p in enumerate(plan.points):
        out = outdir / point_name(i)
        st = point_status(out)
        how = action(st, retry_failed)
        summary[i] = {"index": i, "values": p, "status": st, "error": ""}
        if how is not None:
            todo.append({"index": i, "case": plan.text, "case_file": str(case_file),
                         "overrides": list(plan.fixed) + plan.overrides(i),
                         "output": str(out), "action": how})
    done = len(plan.points) - len(todo)
    log.info("sweep of %d points over %s (%s) in %s: %d to run, %d done", len(plan.points),
             ", ".join(plan.keys), plan.mode, outdir, len(todo), done)
    bar = None
    if progress in ("bar", "auto") and sys.stderr.isatty() and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(plan.points), initial=done, unit="point", desc="sweep")

    def report(r):
        summary[r["index"]].update(status=r["status"], error=r.get("error", ""))
        what = plan.describe(r["index"])
        msg = f"point {r['index']} ({what}): {r['status']} in {r['seconds']:.1f} s"
        if r.get("error") and not r["status"].startswith(("completed", "failed")):
            msg += f": {r['error']}"
        if bar is not None:
            bar.update(1)
            bar.write(msg)
        elif progress != "none":
            log.info(msg)

    if todo:
        if executor == "local":
            _local(todo, workers, ranks, report)
        elif executor == "mpi":
            _mpi(todo, report)
        else:
            _dask(todo, workers, scheduler, report)
    if bar is not None:
        bar.close()
    points = [summary[i] for i in range(len(plan.points))]
    count = {k: sum(1 for p in points if p["status"].startswith(k))
             for k in ("completed", "failed", "interrupted")}
    return {"outdir": outdir, "points": points, **count,
            "other": len(points) - sum(count.values())}


def _local(todo, workers, ranks, report):
    procs = _Processes()
    workers = workers or max(1, (os.cpu_count() or 1) // ranks)
    handlers = {}

    def forward(signum, frame):
        log.warning("sweep: %s: passing it on to the running points (they checkpoint)",
                    signal.Signals(signum).name)
        procs.signal_all(signum)
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            handlers[s] = signal.signal(s, forward)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_run_local, spec, ranks, procs) for spec in todo]
            for f in as_completed(futures):
                report(f.result())
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    if procs.stopping is not None:
        from .runner import RunInterrupted
        name = signal.Signals(procs.stopping).name
        raise RunInterrupted(name, f"sweep stopped by {name}; run it again to continue the "
                                   "interrupted points")


def _mpi(todo, report):
    try:
        from mpi4py.futures import MPIPoolExecutor
    except ImportError as exc:
        fail(f"executor = 'mpi' needs mpi4py (the 'mpi' extra): {exc}")
    with MPIPoolExecutor() as pool:
        for r in pool.map(run_point, todo, unordered=True):
            report(r)


def _dask(todo, workers, scheduler, report):
    try:
        from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    except ImportError as exc:
        fail(f"executor = 'dask' needs dask.distributed (pip install 'physim[dask]'): {exc}")
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                               threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        futures = [client.submit(run_point, spec, pure=False) for spec in todo]
        for f in dask_completed(futures):
            report(f.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------- combined results
def _dim_names(keys):
    short = [k.split(".")[-1] for k in keys]
    return short if len(set(short)) == len(short) else list(keys)


def open_sweep(path, *, chunks="auto") -> "xr.Dataset":
    """One xarray Dataset of a sweep: the scanned keys as dimensions (grid; named by the key,
    e.g. ``phi`` for ``system.phi``, or ``section.key`` where two keys share a name) or as
    coordinates along ``point`` (zip), with ``status`` per point. Points not yet written are
    NaN. ``chunks``: "auto" opens every point lazily with dask where dask is installed (None:
    eagerly). Attributes that differ between points are dropped: the scanned values are the
    coordinates, ``sweep_case`` the common case; :func:`point` turns one point back into an
    output of its own."""
    import numpy as np
    import xarray as xr

    from .io import open as open_output
    path = Path(path)
    man = read_manifest(path)
    outdir = path if path.is_dir() else path.parent
    if chunks == "auto":
        try:
            import dask  # noqa: F401
            chunks = {}
        except ImportError:
            chunks = None
    keys, dims = man["keys"], _dim_names(man["keys"])
    parts, statuses, attrs = [], [], []
    for p in man["points"]:
        out = outdir / p["output"]
        st = point_status(out)
        statuses.append(st)
        if st in ("missing", "unreadable"):
            continue
        ds = open_output(out, chunks=chunks)
        attrs.append(dict(ds.attrs))
        ds = ds.expand_dims(point=[p["index"]])
        parts.append(ds)
    if not parts:
        raise ValueError(f"{path}: no point of the sweep has output yet")
    combined = xr.concat(parts, dim="point", join="outer", combine_attrs="drop_conflicts",
                         data_vars="all", coords="different", compat="equals")
    index = combined.point.values
    for k, d in zip(keys, dims):
        vals = [man["points"][i]["values"][keys.index(k)] for i in index]
        combined = combined.assign_coords({d: ("point", _array(vals))})
        combined[d].attrs.update(case_key=k, long_name=k)
    combined["status"] = ("point", np.array([statuses[i] for i in index], dtype=object))
    # attributes that differ between points are results (H, C, wall time...) or the
    # scanned keys themselves: they become variables over the points, not lost
    for key in sorted(set().union(*attrs)):
        vals = [a.get(key) for a in attrs]
        if key in combined or all(_same(v, vals[0]) for v in vals):
            continue
        if not all(v is None or np.ndim(v) == 0 for v in vals):
            continue
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      for v in vals if v is not None)
        arr = (np.array([np.nan if v is None else float(v) for v in vals]) if numeric else
               np.array(["" if v is None else str(v) for v in vals], dtype=object))
        combined[key] = ("point", arr, {"long_name": f"attribute {key} of each point",
                                        "point_attribute": 1})
    missing = [i for i, st in enumerate(statuses) if st in ("missing", "unreadable")]
    if man["mode"] == "grid":
        if len(dims) == 1:  # one key: its values index the points directly
            combined = combined.swap_dims(point=dims[0]).drop_vars("point")
            every = _array([p["values"][0] for p in man["points"]])
            combined = combined.reindex({dims[0]: every})
        else:
            combined = combined.set_index(point=dims).unstack("point")
        # points never written: their status is 'missing' rather than NaN
        combined["status"] = combined.status.fillna("missing")
    combined.attrs.update(sweep_mode=man["mode"], sweep_keys=",".join(keys),
                          sweep_case=man["case"], sweep_points=len(man["points"]),
                          sweep_missing=len(missing))
    return combined


def point(ds):
    """One point of :func:`open_sweep`'s Dataset (selected down to it with ``.sel`` or
    ``.isel``) as its own output: the per-point attributes back in ``attrs``, so that the
    analyses that read them (``entropy_production``, ``physim.analysis.ordinal``...) run."""
    out = ds.copy()
    for name in [v for v in ds.data_vars if ds[v].attrs.get("point_attribute")]:
        if ds[name].ndim:
            raise ValueError(f"point: {name!r} still varies over {ds[name].dims}; select one "
                             "point first, e.g. ds.sel(phi=0.3)")
        value = ds[name].values.item()
        if not (isinstance(value, float) and value != value):  # NaN: the point lacks it
            out.attrs[name] = value
        out = out.drop_vars(name)
    return out.drop_vars("status", errors="ignore")


def _same(a, b) -> bool:
    try:
        import numpy as np
        return bool(np.array_equal(a, b))
    except Exception:  # noqa: BLE001
        return a == b


def _array(vals):
    import numpy as np
    try:
        a = np.asarray(vals)
        if a.ndim == 1:
            return a
    except ValueError:
        pass
    return np.array([json.dumps(v) for v in vals], dtype=object)  # list values: as text


def describe(path) -> str:
    """The text of ``physim info`` on a sweep: its keys and each point's values and status."""
    path = Path(path)
    man = read_manifest(path)
    outdir = path if path.is_dir() else path.parent
    lines = [f"sweep: {len(man['points'])} points, {man['mode']} over {', '.join(man['keys'])}"]
    counts: dict[str, int] = {}
    for p in man["points"]:
        st = point_status(outdir / p["output"])
        counts[st.split(":")[0]] = counts.get(st.split(":")[0], 0) + 1
        vals = ", ".join(f"{k}={_toml(v)}" for k, v in zip(man["keys"], p["values"]))
        lines.append(f"  {p['output']}  {vals}  {st}")
    lines.append("status: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    lines.append("case:\n" + "\n".join("  " + ln for ln in man["case"].splitlines()))
    return "\n".join(lines)
