"""Case files: TOML loading, schema validation and ``--set`` overrides.

A case is a TOML table ``solver = "name"`` plus sections. Each solver declares
its sections as a schema of :class:`Param` (or :class:`Variants` for a
section whose keys depend on a ``kind``). Validation collects every problem
and raises one :class:`CaseError` that names each bad key and what is allowed,
before any work starts.
"""
from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED = object()


class CaseError(ValueError):
    """An invalid case: the message lists every bad key and what is allowed."""

    def __init__(self, problems: list[str], source: str = "case"):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid {source}:\n{lines}")


@dataclass(frozen=True)
class Param:
    """One case key: its type, default, allowed range or choices, and meaning."""

    default: Any
    type: type | str
    doc: str
    min: float | None = None
    max: float | None = None
    min_open: bool = False  # True: value must be > min rather than >= min
    choices: tuple | None = None
    units: str | None = None
    length: int | None = None  # for list types: required length
    allow_inf: bool = False  # True: +-inf is a meaningful value (e.g. "no limit")

    def allowed(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        t = {float: "a number", int: "an integer", bool: "true or false", str: "a string",
             "floats": "a list of numbers", "float|floats": "a number or a list of numbers",
             "int|ints": "an integer or a list of integers"}.get(self.type, str(self.type))
        lo = "" if self.min is None else (f" > {self.min}" if self.min_open else f" >= {self.min}")
        hi = "" if self.max is None else f" <= {self.max}"
        rng = (lo + (" and" if lo and hi else "") + hi) if (lo or hi) else ""
        n = f" of length {self.length}" if self.length else ""
        return t + n + rng

    def check(self, value) -> tuple[Any, str | None]:
        """Return (coerced value, problem or None)."""
        t = self.type
        if t in ("float|floats", "int|ints"):
            scalar = Param(None, float if t == "float|floats" else int, self.doc, self.min,
                           self.max, self.min_open, allow_inf=self.allow_inf)
            items = value if isinstance(value, list) else [value]
            if isinstance(value, list) and not value:
                return value, f"expected {self.allowed()}, got an empty list"
            if isinstance(value, list) and self.length is not None and len(value) > self.length:
                return value, f"expected {self.allowed()}, got {len(value)} values"
            out = []
            for v in items:
                v, problem = scalar.check(v)
                if problem:
                    return value, problem.replace(scalar.allowed(), self.allowed())
                out.append(v)
            return (out if isinstance(value, list) else out[0]), None
        if t is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return value, f"expected {self.allowed()}, got {value!r}"
            value = float(value)
            if math.isnan(value):
                return value, f"expected {self.allowed()}, got nan"
            if math.isinf(value) and not self.allow_inf:
                rng = self.allowed().removeprefix("a number")
                return value, f"expected a finite number{rng}, got {value!r}"
        elif t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return value, f"expected {self.allowed()}, got {value!r}"
        elif t is bool:
            if not isinstance(value, bool):
                return value, f"expected true or false, got {value!r}"
        elif t is str:
            if not isinstance(value, str):
                return value, f"expected {self.allowed()}, got {value!r}"
        elif t == "floats":
            if not isinstance(value, list) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                return value, f"expected {self.allowed()}, got {value!r}"
            if self.length is not None and len(value) != self.length:
                return value, f"expected {self.allowed()}, got {len(value)} values"
            value = [float(v) for v in value]
            if not self.allow_inf and not all(math.isfinite(v) for v in value):
                return value, f"expected {self.allowed()} (finite), got {value!r}"
        if self.choices is not None and value not in self.choices:
            return value, f"{value!r} is not allowed; expected {self.allowed()}"
        vals = value if isinstance(value, list) else [value]
        if t in (float, int, "floats"):
            for v in vals:
                low = self.min is not None and (v <= self.min if self.min_open else v < self.min)
                high = self.max is not None and v > self.max
                if low or high:
                    return value, f"{v!r} is out of range; expected {self.allowed()}"
        return value, None


@dataclass(frozen=True)
class Variants:
    """A section whose allowed keys depend on the value of ``key`` (e.g. kind)."""

    key: str
    options: dict[str, dict[str, Param]]
    default: str | None = None
    doc: str = ""


@dataclass
class Schema:
    solver: str
    sections: dict[str, dict[str, Param] | Variants]
    checks: list = field(default_factory=list)  # callables(params) -> list[str]


TOP_LEVEL = {"solver", "title", "description"}

# the [output] keys the frame reads, the same in every solver's schema
FRAME_OUTPUT = {
    "log_interval": Param(10.0, float, "seconds between progress log lines when not on a TTY",
                          min=0, min_open=True),
    "checkpoint_interval": Param(60.0, float, "wall-clock seconds between checkpoints (a "
                                 "signal or --walltime also writes one); what a SIGKILL can "
                                 "cost in recomputation", min=0),
}


def param_diff(stored: dict, given: dict, schema: "Schema", may_grow=()) -> list:
    """[(section.key, stored, given)] where two resolved parameter sets differ in what
    decides the result. A key ``stored`` lacks (a run older than the key) counts as its
    default; the frame's output intervals do not count; the keys ``may_grow``
    ((section, key) pairs) may be larger in ``given``."""
    defaults = _defaults(schema, stored)
    out = []
    for sec in sorted(set(stored) | set(given)):
        if sec in ("title", "description"):
            continue
        tb = given.get(sec)
        ta = stored.get(sec, {} if isinstance(tb, dict) else None)
        if not (isinstance(ta, dict) and isinstance(tb, dict)):
            if ta != tb:
                out.append((sec, ta, tb))
            continue
        for key in sorted(set(ta) | set(tb)):
            if sec == "output" and key in FRAME_OUTPUT:
                continue  # how often to log or checkpoint does not change the run
            old = ta[key] if key in ta else defaults.get((sec, key))
            new = tb[key] if key in tb else defaults.get((sec, key))
            if (sec, key) in may_grow and new is not None and old is not None and new >= old:
                continue
            if old != new:
                out.append((f"{sec}.{key}", old, new))
    return out


def _defaults(schema: "Schema", params: dict) -> dict:
    """{(section, key): default} for the kinds ``params`` chose."""
    out = {}
    for sec, spec in schema.sections.items():
        if isinstance(spec, Variants):
            out[(sec, spec.key)] = spec.default
            spec = spec.options.get(params.get(sec, {}).get(spec.key, spec.default), {})
        out.update({(sec, k): p.default for k, p in spec.items() if p.default is not REQUIRED})
    # as stored: JSON has no inf or nan (physim.io writes them as strings)
    return {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in out.items()}


def parse_value(text: str):
    """A ``--set`` value as TOML (numbers, booleans, lists, quoted strings) or a bare string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def for_kind(table: dict, kind, schema: "Schema | None", sec: str, keep=()) -> dict:
    """Section ``table`` switched to ``kind``: without the keys that the new kind does not
    take (with no schema, without every key of the old kind), except those in ``keep``."""
    spec = schema.sections.get(sec) if schema is not None else None
    allowed = spec.options.get(kind, {}) if isinstance(spec, Variants) else {}
    return {k: v for k, v in table.items() if k in keep or (k != "kind" and k in allowed)}


def apply_overrides(raw: dict, overrides, schema: "Schema | None" = None) -> dict:
    """Apply ``section.key=value`` strings to a raw case dict (a copy is returned). One
    that changes a section's ``kind`` drops the keys the new kind does not take (keys
    set by --set stay, and get reported if they do not fit)."""
    out = copy.deepcopy(raw)
    problems = []
    given = set()
    for item in overrides or ():
        if "=" not in item:
            problems.append(f"--set {item!r}: expected section.key=value")
            continue
        dotted, text = item.split("=", 1)
        parts = dotted.strip().split(".")
        if len(parts) != 2 or not all(parts):
            problems.append(f"--set {item!r}: the key must be section.key, got {dotted!r}")
            continue
        sec, key = parts
        out.setdefault(sec, {})
        if not isinstance(out[sec], dict):
            problems.append(f"--set {item!r}: {sec!r} is not a section")
            continue
        value = parse_value(text.strip())
        if key == "kind" and value != out[sec].get("kind"):
            out[sec] = for_kind(out[sec], value, schema, sec, keep=[k for s, k in given
                                                                   if s == sec])
        given.add((sec, key))
        out[sec][key] = value
    if problems:
        raise CaseError(problems, "override")
    return out


def validate(raw: dict, schema: Schema) -> dict:
    """Resolve defaults and check every key; return ``{section: {key: value}}``."""
    problems = []
    for key, value in raw.items():
        if key in TOP_LEVEL:
            if not isinstance(value, str):
                problems.append(f"{key}: expected a string, got {value!r}")
        elif key not in schema.sections:
            problems.append(f"unknown section or key {key!r}; allowed: "
                            + ", ".join(sorted(TOP_LEVEL | set(schema.sections))))
        elif not isinstance(value, dict):
            problems.append(f"{key}: expected a [{key}] section (a table), got {value!r}")
    resolved: dict[str, dict] = {}
    for sec, spec in schema.sections.items():
        given = raw.get(sec, {})
        if not isinstance(given, dict):
            continue
        if isinstance(spec, Variants):
            kind = given.get(spec.key, spec.default)
            if kind is None:
                problems.append(f"{sec}.{spec.key}: required; one of "
                                + ", ".join(repr(k) for k in spec.options))
                continue
            if kind not in spec.options:
                problems.append(f"{sec}.{spec.key}: {kind!r} is not allowed; expected one of "
                                + ", ".join(repr(k) for k in spec.options))
                continue
            params = spec.options[kind]
            resolved[sec] = {spec.key: kind}
            given = {k: v for k, v in given.items() if k != spec.key}
        else:
            params = spec
            resolved[sec] = {}
        for key in given:
            if key not in params:
                where = f" for {spec.key} = {kind!r}" if isinstance(spec, Variants) else ""
                problems.append(f"{sec}.{key}: unknown key{where}; allowed: "
                                + (", ".join(sorted(params)) or "none"))
        for key, p in params.items():
            if key in given:
                value, problem = p.check(given[key])
                if problem:
                    problems.append(f"{sec}.{key}: {problem}")
                resolved[sec][key] = value
            elif p.default is REQUIRED:
                problems.append(f"{sec}.{key}: required ({p.doc}); expected {p.allowed()}")
            else:
                resolved[sec][key] = copy.deepcopy(p.default)
    if not problems:
        for check in schema.checks:
            problems.extend(check(resolved))
    if problems:
        raise CaseError(problems)
    resolved["solver"] = schema.solver
    for key in ("title", "description"):
        if key in raw:
            resolved[key] = raw[key]
    return resolved


def read_case(path: str | Path) -> tuple[dict, str]:
    """Read a TOML case file; return (raw dict, its text)."""
    path = Path(path)
    if not path.is_file():
        raise CaseError([f"case file {str(path)!r} does not exist"], "case")
    text = path.read_text()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError([f"{path}: not valid TOML: {exc}"], "case") from None
    return raw, text


def describe(schema: Schema) -> str:
    """A human-readable listing of every key, for ``physim info --schema``."""
    lines = [f"solver = {schema.solver!r}"]
    for sec, spec in schema.sections.items():
        if isinstance(spec, Variants):
            if spec.doc:
                default = f"; default {spec.default!r}" if spec.default is not None else ""
                lines.append(f"[{sec}]  {spec.key}: {spec.doc}{default}")
            for kind, params in spec.options.items():
                lines.append(f"[{sec}]  {spec.key} = {kind!r}")
                lines += _describe_params(params)
        else:
            lines.append(f"[{sec}]")
            lines += _describe_params(spec)
    return "\n".join(lines)


def _describe_params(params):
    out = []
    for key, p in params.items():
        d = "required" if p.default is REQUIRED else f"default {p.default!r}"
        u = f" [{p.units}]" if p.units else ""
        out.append(f"  {key:<16} {p.doc}{u}; {p.allowed()}; {d}")
    return out


def dumps(raw: dict, header: str = "") -> str:
    """A case dict as TOML text (what ``read_case`` reads back to the same dict)."""
    lines = [f"# {ln}" for ln in header.splitlines()]
    top = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for sec, table in raw.items():
        if isinstance(table, dict):
            lines += ["", f"[{sec}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()
                                         if v is not None]
    return "\n".join(lines) + "\n"


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else
                                            "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # a numpy scalar
        return _toml_value(v.item())
    raise TypeError(f"{v!r} cannot be written in a case file")
