"""A case as a Python object: keyword sections instead of ``"section.key=value"`` strings.

    >>> case = physim.Case("cases/nlse/soliton.toml", grid={"N": 1024}, time={"end": 5})
    >>> out = case.run("soliton.h5", overwrite=True)
    >>> physim.run("cases/nlse/soliton.toml", grid={"N": 1024})   # the same, in one call

A section given as a keyword updates the case's section key by key (one that changes
the section's ``kind`` drops the keys the new kind does not take). An array or a
callable given for one of the solver's inputs (e.g. ``initial={"psi": psi0}``) goes to
the run's inputs (:mod:`physim.inputs`), and the section's kind becomes ``"array"``.
A ``Case`` is immutable: :meth:`Case.with_` returns a changed copy.
"""
from __future__ import annotations

import copy
import json
import logging
from pathlib import Path

from . import cases

log = logging.getLogger("physim")


class Case:
    """A case: a TOML path, TOML text, a dict, a physim output (its case and inputs, to run
    it again) or another Case; then ``overrides`` (``"section.key=value"`` strings, as
    ``--set``), ``inputs`` ({name: array, callable or DataArray}) and keyword sections."""

    def __init__(self, case, /, *, overrides=(), inputs=None, **sections):
        if isinstance(case, Case):
            raw, text, given, source = (copy.deepcopy(case.raw), case.text, dict(case.inputs),
                                        case.source)
        else:
            raw, text, given, source = _read(case)
        changed = bool(overrides or sections or inputs)
        raw = cases.apply_overrides(raw, overrides, _schema(raw))
        given.update(inputs or {})
        values = {}  # arrays and callables in the keyword sections: inputs, once declared
        for sec, table in sections.items():
            if not isinstance(table, dict):
                raise cases.CaseError([f"{sec}: a section is given as a dict of its keys, got "
                                       f"{type(table).__name__}"])
            target = raw.setdefault(sec, {})
            if not isinstance(target, dict):
                raise cases.CaseError([f"{sec}: not a section of this case"])
            values[sec] = {k: v for k, v in table.items() if _is_input_value(v)}
            table = {k: v for k, v in table.items() if k not in values[sec]}
            if "kind" in table and table["kind"] != target.get("kind"):
                raw[sec] = target = cases.for_kind(target, table["kind"], _schema(raw), sec)
            target.update(table)
        # after the plain keys: the inputs a solver declares may depend on them (species names)
        declared = _declared(raw)
        for sec, table in values.items():
            for key, value in table.items():
                if key in declared and declared[key].section == sec:
                    given[key] = value
                else:  # not an input: the case keeps it, and validation names it
                    raw[sec][key] = value
        for name in given:
            sec = declared[name].section if name in declared else None
            # a kind named in the same call wins (and Inputs reports the conflict)
            if sec and "kind" not in sections.get(sec, {}) and \
                    not isinstance(given[name], _stored()):
                _as_array_kind(raw, sec, name)
        self.raw, self.inputs, self.source = raw, given, source
        self.text = cases.dumps(raw, f"case from {source}, changed in Python or by --set"
                                if source else "") if changed or text is None else text

    def with_(self, *, overrides=(), inputs=None, **sections) -> "Case":
        """A copy with more overrides, inputs or keyword sections."""
        return Case(self, overrides=overrides, inputs=inputs, **sections)

    @property
    def solver(self) -> str:
        return self.raw.get("solver")

    @property
    def params(self) -> dict:
        """The validated parameters, every default filled in (raises CaseError)."""
        from .runner import validate
        return validate(self.raw)

    def run(self, output=None, **kwargs):
        """Run the case (keywords as :func:`physim.run`); return the output path."""
        from .runner import run
        return run(self, output, **kwargs)

    def __repr__(self) -> str:
        return f"Case({self.source or 'python'!s}):\n{self.text}"


def _read(case):
    """(raw dict, text or None when it must be written from the dict, inputs, source)."""
    if isinstance(case, dict):
        return copy.deepcopy(case), None, {}, ""
    if isinstance(case, str) and "\n" in case:
        try:
            return cases.tomllib.loads(case), case, {}, ""
        except cases.tomllib.TOMLDecodeError as exc:
            raise cases.CaseError([f"case text: not valid TOML: {exc}"]) from None
    from .io import is_physim_file
    if is_physim_file(case):
        return _from_output(Path(case))
    raw, text = cases.read_case(case)
    return raw, text, {}, str(case)


def _from_output(path: Path):
    """The case and the inputs of an earlier run, to run it again."""
    from . import inputs
    from .runner import read_attrs
    text = str(read_attrs(path).get("case", ""))
    try:
        raw = cases.tomllib.loads(text)
    except cases.tomllib.TOMLDecodeError:
        try:  # physim 0.2 wrote a dict case as JSON
            raw = json.loads(text)
        except ValueError:
            raise cases.CaseError([f"{path}: its 'case' attribute is neither TOML nor JSON; "
                                   "it cannot be run again"]) from None
    return raw, text, inputs.read(path), str(path)


def _schema(raw):
    from .solvers import SOLVERS, get_solver
    return get_solver(raw["solver"]).SCHEMA if raw.get("solver") in SOLVERS else None


def _declared(raw) -> dict:
    from .solvers import SOLVERS, get_solver
    solver = raw.get("solver")
    if solver not in SOLVERS:
        return {}
    from .inputs import declared_for
    return declared_for(getattr(get_solver(solver), "INPUTS", {}), raw)


def _as_array_kind(raw, sec, name):
    """Make section ``sec`` take its inputs from Python (kind = "array"), dropping the keys
    of the kind it replaces."""
    table = raw.setdefault(sec, {})
    old = table.get("kind")
    if old == "array":
        return
    kept = cases.for_kind(table, "array", _schema(raw), sec)
    dropped = [k for k in table if k != "kind" and k not in kept]
    if old is not None:
        log.info("%s: using the given %s instead of kind %r%s", sec, name, old,
                 f" (dropping {', '.join(dropped)})" if dropped else "")
    raw[sec] = {"kind": "array", **kept}


def _is_input_value(v) -> bool:
    return callable(v) or hasattr(v, "__array__") or (
        isinstance(v, list) and bool(v) and isinstance(v[0], (list, tuple)))


def _stored():
    from .inputs import Resolved
    return Resolved
