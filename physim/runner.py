"""Run a case: validate, write snapshots as they come, report progress, restart."""
from __future__ import annotations

import json
import logging
import os
import sys
import time as _time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from . import cases, io
from . import inputs as input_group
from .integrate import IntegrationError
from .solvers import SOLVERS, contract, get_solver
from .stopping import StopRequests, parse_walltime, reason_code, reason_name
from .writer import OutputError, OutputFile, file_attrs, set_attrs

log = logging.getLogger("physim")


class RunError(RuntimeError):
    """A run stopped early; the output written so far is readable."""


def validate(raw: dict) -> dict:
    """Validate a raw case dict against its solver's schema (raises CaseError)."""
    solver = raw.get("solver")
    if not isinstance(solver, str):
        raise cases.CaseError([f"solver: required at the top of the case; expected one of "
                               + ", ".join(repr(s) for s in sorted(SOLVERS))])
    if "sweep" in raw:
        raise cases.CaseError(["[sweep]: this case is a sweep; run it with `physim sweep CASE` "
                               "(physim.run_sweep), or drop the table to run one point"])
    return cases.validate(raw, get_solver(solver).SCHEMA)


def load(case, overrides=()) -> tuple[dict, str]:
    """Resolve a case (path, TOML text, dict or :class:`physim.Case`) into validated
    parameters and the case text the output records."""
    from .api import Case
    c = Case(case, overrides=overrides)
    return c.params, c.text


def default_output(case) -> Path:
    source = getattr(case, "source", case)
    stem = Path(source).stem if isinstance(source, (str, Path)) and source and \
        "\n" not in str(source) else "run"
    return Path(f"{stem}.h5")


class _Progress:
    """tqdm bar on a TTY; otherwise a log line every ``interval`` seconds."""

    def __init__(self, t0, t1, interval, mode="auto"):
        self.t0, self.t1, self.interval = t0, t1, interval
        tty = sys.stderr.isatty()
        self.bar = None
        if mode == "bar" or (mode == "auto" and tty):
            import shutil

            from tqdm import tqdm
            # a pty of width 0 (some consoles) would make tqdm draw nothing
            self.bar = tqdm(total=t1 - t0, unit="t", ncols=shutil.get_terminal_size().columns,
                            bar_format="{l_bar}{bar}| t={n:.4g}/{total:.4g} "
                            "[{elapsed}<{remaining}{postfix}]")
        self.quiet = mode == "none"
        self.start = self.last = _time.monotonic()
        self.last_steps = 0
        self.done = 0.0

    def update(self, t, info):
        if self.bar is not None:
            self.bar.update(t - self.t0 - self.bar.n)
            if info:
                self.bar.set_postfix(h=f"{info['h']:.3g}", steps=info["steps"], refresh=False)
            return
        now = _time.monotonic()
        if self.quiet or now - self.last < self.interval:
            return
        steps = info.get("steps", 0)
        rate = (steps - self.last_steps) / (now - self.last)
        log.info("t = %.6g / %.6g (%.1f%%), h = %.3g, %.0f steps/s", t, self.t1,
                 100 * (t - self.t0) / (self.t1 - self.t0), info.get("h", float("nan")), rate)
        self.last, self.last_steps = now, steps

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run(case, output=None, *, overrides=(), inputs=None, restart=None, overwrite=False,
        progress="auto", walltime=None, comm=None, **sections) -> Path:
    """Run ``case`` and return the output path.

    ``case``: a TOML path, TOML text, a dict, a :class:`physim.Case`, or a physim output
    (its case and inputs run again). Keyword sections update the case key by key, e.g.
    ``run("soliton.toml", grid={"N": 1024}, time={"end": 5})``; ``output`` given as a
    dict is the ``[output]`` section (with a path too: ``Case(..., output={...}).run(path)``). ``inputs`` ({name: array, callable or
    DataArray}) are the solver's inputs (:mod:`physim.inputs`), e.g. ``{"psi": psi0}``.

    ``restart=PATH`` continues the run stored in PATH from its newest checkpoint; the
    case must then resolve to the same parameters (``time.end`` may grow).
    ``walltime`` (seconds, or ``"HH:MM:SS"``) stops the run cleanly, with a checkpoint,
    before that much time has passed since this call. ``comm``: the communicator to run on
    (default the world's; a sweep's MPI workers pass a serial one). A run stopped by a signal or by
    ``walltime`` raises :class:`RunInterrupted` after closing its file.
    """
    stop = StopRequests(None if walltime is None else
                        (walltime if isinstance(walltime, (int, float)) else
                         parse_walltime(walltime)))
    from .api import Case
    if isinstance(output, dict):  # the [output] section, not a path
        sections["output"], output = output, None
    case = Case(case, overrides=overrides, inputs=inputs, **sections)
    params, text = case.params, case.text
    module = get_solver(params["solver"])
    from .parallel import get_comm  # imports mpi4py only under an MPI launcher
    comm = get_comm() if comm is None else comm
    if comm.size > 1 and not getattr(module.Simulation, "distributed", False):
        raise RunError(f"the {params['solver']} solver does not run on several MPI ranks yet; "
                       f"launched on {comm.size}: run it on one rank")
    if restart is not None:
        return _restart(module, params, Path(restart), progress, comm, stop)
    out = Path(output) if output is not None else default_output(case)
    if case.source and Path(case.source).resolve() == out.resolve():
        raise RunError(f"{out} is the run to repeat; write the new run elsewhere (-o PATH)")
    exists = comm.bcast(out.exists() if comm.rank == 0 else None)
    if exists and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (CLI: --overwrite), "
                              "another -o path, or --restart to continue it")
    sim, used = _simulation(module, params, comm, case.inputs)
    if comm.rank == 0:
        for old in [out] + (sorted(part_dir(out).glob("rank*.h5")) if part_dir(out).is_dir()
                            else []):
            if old.exists():
                old.unlink()  # a new inode: a reader may still hold the old file open
    comm.barrier()
    attrs = {"solver": params["solver"], "title": params.get("title", ""), "case": text,
             **io.params_attrs(params), **sim.attrs(), **final_placeholders(sim)}
    path = part_path(out, comm)
    path.parent.mkdir(parents=True, exist_ok=True)
    coords, variables = sim.coords(), sim.variables()
    sizes = record_sizes(sim)
    try:
        f, problem = OutputFile.create(path, coords=coords, variables=variables, attrs=attrs,
                                       sizes=sizes, restart_vars=sim.restart_variables(),
                                       inputs=used), None
    except OutputError as exc:
        f, problem = None, str(exc)
    problems = [p for p in comm.allgather(problem) if p]
    if problems:  # every rank stops, before any work
        if f is not None:
            f.close()
            path.unlink(missing_ok=True)
        raise RunError(problems[0])
    if comm.size > 1:  # once every part is laid out: HDF5 resolves the mappings in them
        from . import vds
        layouts = comm.allgather(vds.layout(coords, variables, attrs.get("time_attrs")))
        offsets = comm.allgather(sim.block_offsets())
        if comm.rank == 0:
            split = contract.split_dims(sim)
            static = {n: v[1] for n, v in coords.items() if not set(split) & set(v[0])}
            master_attrs = {k: v for k, v in attrs.items() if k != "time_attrs"}
            vds.write_master(out, [part_path(out, comm, r) for r in range(comm.size)],
                             split, layouts=layouts, static=static,
                             offsets=None if offsets[0] is None else offsets,
                             attrs={**master_attrs, **file_attrs("running")})
        comm.barrier()
    _drive(sim, f, sim.run(), params, progress, comm, out, stop)
    return out


def final_placeholders(sim) -> dict:
    """The attributes a run sets at its end, created now with their types so that the end
    only rewrites them in place."""
    out = {f"integrator_{k}": np.int64(0) for k in sim.stats()}
    out["wall_time_s"] = np.float64(np.nan)
    return out


def record_sizes(sim) -> dict:
    """The planned length of every record axis of ``sim``'s output."""
    return {"time": len(sim.times), **sim.record_sizes()}


def part_dir(out: Path) -> Path:
    """Where the rank files of a multi-rank run go: ``<out>.parts/`` beside the master."""
    return out.with_name(out.name + ".parts")


def part_path(out: Path, comm, rank: int | None = None) -> Path:
    """This rank's output file: ``out`` itself on one rank, else ``<out>.parts/rankNNNN.h5``."""
    if comm.size == 1:
        return out
    return part_dir(out) / f"rank{comm.rank if rank is None else rank:04d}.h5"


def _simulation(module, params, comm, given=None):
    """The solver's Simulation for ``params`` on ``comm``, and the inputs it used."""
    declared = getattr(module, "INPUTS", {})
    ins = input_group.Inputs(params, declared, given)
    kwargs = {"inputs": ins} if declared else {}
    try:
        if not getattr(module.Simulation, "distributed", False):
            sim = module.Simulation(params, **kwargs)
        else:
            sim = module.Simulation(params, comm, **kwargs)
    except ValueError as exc:  # the case does not fit the ranks (checked before any work)
        if type(exc).__name__ == "LayoutError":
            raise RunError(str(exc)) from None
        raise
    contract.check(sim)
    ins.finish()
    return sim, ins.resolved


def _restart(module, params, path: Path, progress, comm, stop) -> Path:
    part = part_path(path, comm)
    if not part.exists():
        raise RunError(f"{part} does not exist: a restart needs the rank files of the first run "
                       f"on the same number of ranks (launched on {comm.size})")
    if not io.is_physim_file(part):
        raise RunError(f"{part}: not an output of this physim version (no physim user block); "
                       "it cannot be continued, run the case again")
    attrs = read_attrs(part)
    ranks = int(attrs.get("mpi_ranks", 1))
    if ranks != comm.size:
        raise RunError(f"{path} was written by {ranks} MPI ranks; restart it on {ranks} "
                       f"(launched on {comm.size})")
    stored = io.params_from_attrs(attrs)
    # the key that lengthens a run: time.end, or what the solver names (fibre.length)
    grow = getattr(module, "MAY_GROW", (("time", "end"),))
    diff = cases.param_diff(stored, io.params_from_attrs(io.params_attrs(params)),
                            module.SCHEMA, may_grow=grow)
    if diff:
        names = " or ".join(".".join(g) for g in grow)
        raise cases.CaseError([f"{k}: {a!r} in {path.name}, {b!r} in the case; a restart must use "
                               f"the same parameters (only {names} may grow)" for k, a, b in diff],
                              "restart")
    sim, used = _simulation(module, params, comm, input_group.read(part))
    f = OutputFile.reopen(part)
    found = f.checkpoints()
    seqs = [s for s, _ in found]
    if getattr(sim, "lockstep", False) and comm.size > 1:
        # the ranks must continue from the same step: the newest checkpoint all of them hold
        newest = min(max(s, default=0) for s in comm.allgather(seqs))
        found = [(s, cp) for s, cp in found if s == newest]
    if not found:
        f.close()
        raise RunError(f"{part} holds no usable checkpoint (the solver cannot continue runs, "
                       "or the run was killed before its first one); run the case again")
    cp = found[0][1]
    rows = cp.pop("_rows")
    sizes = record_sizes(sim)
    if any(n > f.sizes.get(d, 0) for d, n in sizes.items()):
        f = _grow(f, sim, params, sizes, rows, cp, used)
    if rows.get("time", 0) >= sizes["time"]:
        f.close()
        log.info("%s already holds all %d snapshots", path, sizes["time"])
        return path
    f.rows = {d: int(n) for d, n in rows.items()}
    set_attrs(part, {"status": "running", **io.params_attrs(params)})
    _master_status(comm, path, "running")
    _drive(sim, f, sim.run(resume=cp), params, progress, comm, path, stop)
    return path


def _grow(f: OutputFile, sim, params, sizes, rows, cp, used) -> OutputFile:
    """A copy of ``f`` laid out for more records (time.end grew), swapped in atomically."""
    import h5py
    f.close()
    tmp = f.path.with_name(f.path.name + ".grow")
    attrs = read_attrs(f.path)
    for key in ("status", "physim_version", "created", "Conventions"):
        attrs.pop(key, None)
    attrs.update(io.params_attrs(params), case=attrs.get("case", ""))
    attrs["time_attrs"] = sim.attrs().get("time_attrs", {"units": "1", "long_name": "time"})
    g = OutputFile.create(tmp, coords=sim.coords(), variables=sim.variables(), attrs=attrs,
                          sizes=sizes, restart_vars=sim.restart_variables(), inputs=used)
    with h5py.File(f.path, "r") as old:
        for axis, n in rows.items():
            if n:
                data = {name: old[name][:n] for name, lay in g.layout.items() if lay[0] == axis}
                g.write(axis, 0, data.pop(axis), data)
    g.rows = {d: int(n) for d, n in rows.items()}
    g.write_checkpoint(cp)
    os.replace(tmp, f.path)
    g.path = f.path
    return g


def read_attrs(path) -> dict:
    import h5netcdf  # netCDF's reading of attributes (scalars as scalars)
    with h5netcdf.File(path, "r") as fh:
        return dict(fh.attrs)


def _master_status(comm, out, status, attrs=None):
    """Mirror the status into the master of a multi-rank run (rank 0 only)."""
    if comm.size == 1 or comm.rank != 0:
        return
    try:
        set_attrs(out, {"status": status, **(attrs or {})})
    except OSError as exc:  # the rank files still hold the truth
        log.warning("could not update the status in %s: %s", out, exc)


class RunInterrupted(RunError):
    """A run stopped early on request (a signal or the wall-clock limit), with a checkpoint:
    ``physim run CASE --restart OUT`` continues it."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class _Stop(Exception):
    pass


def _drive(sim, f: OutputFile, records, params, progress, comm, out, stop: StopRequests):
    """Write what ``records`` yields, checkpoint on schedule, stop cleanly on request.

    The signal handlers stay installed until the file is closed: a signal that reaches a
    rank after the ranks agreed to stop must not kill it while it finishes."""
    with stop:
        _drive_records(sim, f, records, params, progress, comm, out, stop)


def _drive_records(sim, f, records, params, progress, comm, out, stop):
    bar = _Progress(sim.times[0], sim.times[-1], params["output"]["log_interval"],
                    progress if comm.rank == 0 else "none")
    every = params["output"]["checkpoint_interval"]
    can_checkpoint = bool(f.slots)
    lockstep = comm.size > 1 and getattr(sim, "lockstep", False)
    start = last = _time.monotonic()
    next_cp = start  # the first safe point checkpoints: a killed run can always continue
    gap = cp_cost = 0.0
    reason = None

    def checkpoint():
        nonlocal cp_cost
        t = _time.monotonic()
        f.write_checkpoint(sim.checkpoint())
        cp_cost = max(cp_cost, _time.monotonic() - t)

    def end(status):
        attrs = {f"integrator_{k}": v for k, v in sim.stats().items()}
        attrs["wall_time_s"] = _time.monotonic() - start
        if status == "completed":
            attrs.update(sim.summary())
        f.finish(status, attrs)
        return attrs

    try:
        with threadpool_limits(1):  # BLAS threads only slow small stage sums down
            ticks = 0
            for item in records:
                if item is not None:
                    for rec in (item if isinstance(item, list) else (item,)):
                        f.write(rec.axis, f.rows.get(rec.axis, 0), rec.coord, rec.data)
                        if rec.axis == "time":
                            bar.update(float(np.max(rec.coord)), sim.progress_info())
                else:
                    # a step boundary: look at the clock on every 8th only (steps can take
                    # microseconds); the ranks of a lockstep run tick alike, so they agree
                    ticks += 1
                    if ticks & 7 and (lockstep or stop.reason is None):
                        continue
                now = _time.monotonic()
                gap, last = max(gap, now - last), now
                # stop early enough to finish the step in flight and write the checkpoint
                reason = stop.check(need=2 * gap + 2 * cp_cost + 1.0)
                due = can_checkpoint and now >= next_cp
                if lockstep:  # every rank stops, for the same reason, and checkpoints alike
                    flags = comm.allreduce_max(np.array([reason_code(reason), due], float))
                    reason, due = reason_name(int(flags[0])), bool(flags[1])
                if due or (reason and can_checkpoint):
                    checkpoint()
                    next_cp = _time.monotonic() + every
                if reason:
                    raise _Stop
            if can_checkpoint:
                checkpoint()  # the end state: a later run may extend time.end
    except _Stop:
        bar.close()
        end(f"interrupted: {reason}")
        comm.barrier()
        _master_status(comm, out, f"interrupted: {reason}")
        comm.barrier()
        how = (f"continue it with --restart {out}" if can_checkpoint else
               "this solver regenerates its runs: run the case again")
        raise RunInterrupted(reason, f"stopped by {reason} after {f.rows.get('time', 0)} of "
                             f"{len(sim.times)} snapshots; {out} is closed and readable; "
                             f"{how}") from None
    except IntegrationError as exc:
        bar.close()
        end(f"failed: {exc}")
        _master_status(comm, out, f"failed: {exc}")
        raise RunError(f"{exc}; the {f.rows.get('time', 0)} snapshots written so far are in "
                       f"{out}") from None
    except OutputError as exc:
        bar.close()
        try:
            end(f"failed: {exc}")
        except OSError:
            pass  # the file stays readable as it is: status 'running', records complete
        raise RunError(str(exc)) from None
    except BaseException as exc:
        bar.close()
        try:
            end(f"interrupted: {type(exc).__name__}")
            _master_status(comm, out, f"interrupted: {type(exc).__name__}")
        except OSError:
            pass
        raise
    bar.close()
    attrs = end("completed")
    comm.barrier()  # the master reports completed only when every rank is
    _master_status(comm, out, "completed", attrs)
    comm.barrier()  # and no rank reads the master while rank 0 writes it
    (log.info if comm.rank == 0 else log.debug)(
        "wrote %d snapshots to %s (%s)", f.rows.get("time", 0), out,
        ", ".join(f"{k}={v}" for k, v in sim.stats().items()))
