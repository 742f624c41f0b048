"""Checks of the command line's file arguments, made before any work starts.

Each check raises :class:`UsageError`, whose message is one line:
``<file or key>: <what is wrong>; <what is allowed>``. ``physim.cli`` prints it as
``physim: error: ...`` and exits with status 2, so a bad argument never reaches the
readers and writers (nor leaves a half-made output or figures directory behind).
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

OUTPUT = "expected a physim output file (the .h5 written by physim run)"
CASE = "expected a UTF-8 TOML case file such as cases/nlse/soliton.toml"


class UsageError(Exception):
    """A bad argument; the message is one line that names it and what is allowed."""

    def __init__(self, name, wrong: str, allowed: str):
        super().__init__(" ".join(f"{name}: {wrong}; {allowed}".split()))


def input_file(path, allowed: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise UsageError(path, "no such file", allowed)
    if not p.is_file():
        raise UsageError(path, "is a directory" if p.is_dir() else "is not a regular file",
                         allowed)
    if not os.access(p, os.R_OK):
        raise UsageError(path, "permission denied (not readable)", allowed)
    return p


def output_file(path, solvers=None, *, command="", restart=False) -> str:
    """A physim output to read (of one of ``solvers`` if given); return its solver."""
    import h5py
    p = input_file(path, OUTPUT)
    if not h5py.is_hdf5(p):
        wrong = ("is empty" if p.stat().st_size == 0 else
                 "is a case file, not an output" if p.suffix == ".toml" else
                 "is not an HDF5 file")
        raise UsageError(path, wrong, OUTPUT if p.suffix != ".toml" else
                         f"expected a physim output file (run the case with: physim run {path})")
    try:
        with h5py.File(p, "r") as f:
            solver = f.attrs.get("solver")
            has_restart = "restart" in f or "physim_parts" in f.attrs  # a master: per rank
    except OSError as exc:  # e.g. truncated: the signature is there, the rest is not
        reason = str(exc).partition("(")[2].rstrip(")") or str(exc)
        raise UsageError(path, f"the HDF5 file does not open ({reason})",
                         "expected a complete physim output file") from None
    if isinstance(solver, bytes):
        solver = solver.decode()
    if not isinstance(solver, str):
        raise UsageError(path, "is an HDF5 file without the physim attribute 'solver'", OUTPUT)
    if solvers is not None and solver not in solvers:
        names = " or ".join(sorted(solvers))
        raise UsageError(path, f"is an output of the {solver} solver",
                         f"{command} needs an output of the {names} solver")
    if restart and not has_restart:
        raise UsageError(path, "holds no restart state",
                         "--restart needs an output written by physim run")
    return solver


def case_file(path) -> None:
    """A TOML case file: exists, is a regular file, UTF-8 and valid TOML."""
    p = input_file(path, CASE)
    try:
        tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(path, "not UTF-8 text (a binary file?)", CASE) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(path, f"not valid TOML ({exc})", CASE) from None


def case_or_output(path) -> None:
    """A case file, or a physim output whose case (and inputs) run again."""
    from .io import is_physim_file
    if is_physim_file(path):
        output_file(path)
    else:
        case_file(path)


def _writable_dir(d: Path, name) -> None:
    if not d.is_dir():
        raise UsageError(name, f"the directory {str(d)!r} does not exist",
                         "create it first or choose a path in an existing directory")
    if not os.access(d, os.W_OK | os.X_OK):
        raise UsageError(name, f"permission denied: the directory {str(d)!r} is not writable",
                         "choose a path in a writable directory")


def new_file(path, *, exists_ok=True, option="-o") -> None:
    """A file to write: not a directory, in an existing writable directory."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(path, "is a directory", f"{option} takes the path of a file to write, "
                         f"e.g. {p / 'run.h5'}")
    if p.exists() and not exists_ok:
        raise UsageError(path, "exists", "pass --overwrite, another -o path, "
                         "or --restart OUT to continue it")
    if p.exists() and not p.is_file():
        raise UsageError(path, "is not a regular file", f"{option} takes the path of a file")
    _writable_dir(p.parent, path)
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(path, "permission denied (not writable)", "choose another path")


def new_dir(path, option="-d") -> None:
    """A directory to write into (made if missing): not a file, its parent exists."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(path, "is not a directory", f"{option} takes a directory "
                         "(created if missing)")
    _writable_dir(p if p.is_dir() else p.parent, path)
