"""Run a case: validate, write snapshots as they come, report progress, restart."""
from __future__ import annotations

import json
import logging
import sys
import time as _time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from . import cases, io
from .integrate import IntegrationError
from .solvers import SOLVERS, get_solver

log = logging.getLogger("physim")


class RunError(RuntimeError):
    """A run stopped early; the output written so far is readable."""


def load(case, overrides=()) -> tuple[dict, str]:
    """Resolve a case (path, TOML text or dict) into validated parameters and its text."""
    if isinstance(case, dict):
        raw, text = case, json.dumps(case)
    elif isinstance(case, str) and "\n" in case:
        raw, text = cases.tomllib.loads(case), case
    else:
        raw, text = cases.read_case(case)
    raw = cases.apply_overrides(raw, overrides)
    solver = raw.get("solver")
    if not isinstance(solver, str):
        raise cases.CaseError([f"solver: required at the top of the case; expected one of "
                               + ", ".join(repr(s) for s in sorted(SOLVERS))])
    module = get_solver(solver)
    return cases.validate(raw, module.SCHEMA), text


def default_output(case) -> Path:
    stem = Path(case).stem if isinstance(case, (str, Path)) and "\n" not in str(case) else "run"
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


def run(case, output=None, *, overrides=(), restart=None, overwrite=False,
        progress="auto") -> Path:
    """Run ``case`` (a TOML path, TOML text or dict) and return the output path.

    ``restart=PATH`` continues the run stored in PATH from its last snapshot;
    the case must then resolve to the same parameters (``time.end`` may grow).
    """
    params, text = load(case, overrides)
    module = get_solver(params["solver"])
    from .parallel import get_comm  # imports mpi4py only under an MPI launcher
    comm = get_comm()
    if comm.size > 1 and not getattr(module.Simulation, "distributed", False):
        raise RunError(f"the {params['solver']} solver does not run on several MPI ranks yet; "
                       f"launched on {comm.size}: run it on one rank")
    if restart is not None:
        return _restart(module, params, Path(restart), progress, comm)
    out = Path(output) if output is not None else default_output(case)
    exists = comm.bcast(out.exists() if comm.rank == 0 else None)
    if exists and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (CLI: --overwrite), "
                              "another -o path, or --restart to continue it")
    sim = _simulation(module, params, comm)
    if comm.rank == 0:
        for old in [out] + (sorted(part_dir(out).glob("rank*.h5")) if part_dir(out).is_dir()
                            else []):
            if old.exists():
                old.unlink()  # a new inode: a reader may still hold the old file open
    comm.barrier()
    attrs = {"solver": params["solver"], "title": params.get("title", ""), "case": text,
             **io.params_attrs(params), **sim.attrs()}
    path = part_path(out, comm)
    coords, variables = sim.coords(), sim.variables()
    if comm.size > 1:
        from . import vds
        layouts = comm.allgather(vds.layout(coords, variables, attrs.get("time_attrs")))
        if comm.rank == 0:
            static = {n: v[1] for n, v in coords.items() if sim.split_dim not in v[0]}
            file_attrs = {k: v for k, v in attrs.items() if k != "time_attrs"}
            vds.write_master(out, [part_path(out, comm, r) for r in range(comm.size)],
                             sim.split_dim, layouts=layouts, static=static,
                             attrs={**file_attrs, **io.file_attrs("running")})
    writer = io.Writer(path, coords=coords, variables=variables, attrs=attrs,
                       restart_vars=sim.restart_variables())
    _drive(sim, writer, sim.run(), params, progress, comm, out)
    return out


def part_dir(out: Path) -> Path:
    """Where the rank files of a multi-rank run go: ``<out>.parts/`` beside the master."""
    return out.with_name(out.name + ".parts")


def part_path(out: Path, comm, rank: int | None = None) -> Path:
    """This rank's output file: ``out`` itself on one rank, else ``<out>.parts/rankNNNN.h5``."""
    if comm.size == 1:
        return out
    return part_dir(out) / f"rank{comm.rank if rank is None else rank:04d}.h5"


def _simulation(module, params, comm):
    if not getattr(module.Simulation, "distributed", False):
        return module.Simulation(params)
    try:
        return module.Simulation(params, comm)
    except ValueError as exc:  # the case does not fit the ranks (checked before any work)
        if type(exc).__name__ == "LayoutError":
            raise RunError(str(exc)) from None
        raise


def _restart(module, params, path: Path, progress, comm) -> Path:
    part = part_path(path, comm)
    if not part.exists():
        raise RunError(f"{part} does not exist: a restart needs the rank files of the first run "
                       f"on the same number of ranks (launched on {comm.size})")
    attrs, cp, n = io.read_restart(part)
    ranks = int(attrs.get("mpi_ranks", 1))
    if ranks != comm.size:
        raise RunError(f"{path} was written by {ranks} MPI ranks; restart it on {ranks} "
                       f"(launched on {comm.size})")
    stored = io.params_from_attrs(attrs)
    diff = _param_diff(stored, io.params_from_attrs(io.params_attrs(params)))
    if diff:
        raise cases.CaseError([f"{k}: {a!r} in {path.name}, {b!r} in the case; a restart must use "
                               "the same parameters (only time.end may grow)" for k, a, b in diff],
                              "restart")
    sim = _simulation(module, params, comm)
    if n >= len(sim.times):
        log.info("%s already holds all %d snapshots", path, n)
        return path
    writer = io.Writer(part, coords={}, variables=sim.variables(), attrs={}, append=True)
    writer.set_status("running", io.params_attrs(params))
    _drive(sim, writer, sim.run(start=n, checkpoint=cp), params, progress, comm, path)
    return path


def _master_status(comm, out, status, attrs=None):
    """Mirror the final status into the master of a multi-rank run (rank 0 only)."""
    if comm.size == 1 or comm.rank != 0:
        return
    import h5py
    try:
        with h5py.File(out, "a") as f:
            f.attrs["status"] = status
            for k, v in (attrs or {}).items():
                f.attrs[k] = v
    except OSError as exc:  # the rank files still hold the truth
        log.warning("could not update the status in %s: %s", out, exc)


def _param_diff(a: dict, b: dict):
    out = []
    for sec in sorted(set(a) | set(b)):
        if sec in ("title", "description"):
            continue
        ta, tb = a.get(sec), b.get(sec)
        if isinstance(ta, dict) and isinstance(tb, dict):
            for key in sorted(set(ta) | set(tb)):
                if (sec, key) == ("time", "end") and tb.get(key, 0) >= ta.get(key, 0):
                    continue
                if ta.get(key) != tb.get(key):
                    out.append((f"{sec}.{key}", ta.get(key), tb.get(key)))
        elif ta != tb:
            out.append((sec, ta, tb))
    return out


def _drive(sim, writer, snapshots, params, progress, comm, out):
    bar = _Progress(sim.times[0], sim.times[-1], params["output"]["log_interval"],
                    progress if comm.rank == 0 else "none")
    wall = _time.monotonic()
    stats = {}
    try:
        with threadpool_limits(1):  # BLAS threads only slow small stage sums down
            for t, data, cp, stats in snapshots:
                writer.append(t, data, cp, {f"integrator_{k}": v for k, v in stats.items()})
                bar.update(float(np.max(t)), sim.progress_info())
    except IntegrationError as exc:
        writer.set_status(f"failed: {exc}")
        writer.close()
        _master_status(comm, out, f"failed: {exc}")
        raise RunError(f"{exc}; the {writer.n} snapshots written so far are in {out}") from None
    except BaseException as exc:
        writer.set_status(f"interrupted: {type(exc).__name__}")
        writer.close()
        _master_status(comm, out, f"interrupted: {type(exc).__name__}")
        raise
    finally:
        bar.close()
    wall = {"wall_time_s": _time.monotonic() - wall}
    if hasattr(sim, "summary"):  # results a solver derives from the whole run
        wall.update(sim.summary())
    writer.set_status("completed", wall)
    writer.close()
    comm.barrier()  # the master reports completed only when every rank is
    _master_status(comm, out, "completed", wall)
    (log.info if comm.rank == 0 else log.debug)(
        "wrote %d snapshots to %s (%s)", writer.n, out,
             ", ".join(f"{k}={v}" for k, v in stats.items()))
