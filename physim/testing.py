"""Compare a run's output with reference data, with stated tolerances.

A regression check, not a validation: the reference files in
``tests/reference`` are themselves checked against analytic solutions in the
test suite.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

KEY_ATTRS = ("solver", "parameters")
DEFAULT_RTOL = 1e-8
DEFAULT_ATOL = 1e-10


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    errors: dict[str, float] = field(default_factory=dict)  # max abs error per variable

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"{'variable':<20} max |a - b|"]
        lines += [f"{k:<20} {v:.3e}" for k, v in self.errors.items()]
        lines.append("OK: matches the reference" if self.ok else "MISMATCH:")
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def _open(obj):
    if isinstance(obj, xr.Dataset):
        return obj
    from .io import open as open_output
    return open_output(obj)


def compare(actual, reference, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
            variables=None, attrs=KEY_ATTRS, per_variable: dict | None = None) -> Comparison:
    """Compare datasets (or paths): every reference variable, coordinate and key attribute.

    A value passes when |a − b| <= atol + rtol·|b| elementwise (numpy.allclose);
    ``per_variable`` maps a name to its own ``(rtol, atol)``.
    """
    a, b = _open(actual), _open(reference)
    res = Comparison()
    names = list(variables) if variables is not None else list(b.data_vars)
    for name in list(b.coords) + names:
        if name not in a.variables:
            res.problems.append(f"{name}: missing from the output")
            continue
        va, vb = a[name], b[name]
        if va.dims != vb.dims or va.shape != vb.shape:
            res.problems.append(f"{name}: dims/shape {va.dims}{va.shape} differ from the "
                                f"reference {vb.dims}{vb.shape}")
            continue
        xa, xb = np.asarray(va.values), np.asarray(vb.values)
        if xa.dtype.kind in "fc" or xb.dtype.kind in "fc":
            r, t = (per_variable or {}).get(name, (rtol, atol))
            err = float(np.max(np.abs(xa - xb))) if xa.size else 0.0
            res.errors[name] = err
            bad = ~np.isclose(xa, xb, rtol=r, atol=t)
            if bad.any():
                res.problems.append(f"{name}: {int(bad.sum())} of {xa.size} values differ "
                                    f"(max |a-b| = {err:.3e}, rtol={r:g}, atol={t:g})")
        elif not np.array_equal(xa, xb):
            res.problems.append(f"{name}: values differ")
    for key in attrs:
        same = (_same_parameters(a.attrs.get(key), b.attrs.get(key))
                if key == "parameters" else b.attrs.get(key) == a.attrs.get(key))
        if not same:
            res.problems.append(f"attribute {key!r} differs from the reference")
    return res


def _same_parameters(actual, reference) -> bool:
    """Whether two runs' resolved parameters decide the same result: keys a reference
    written before they existed count as their defaults; the frame's log and checkpoint
    intervals do not count."""
    if not (isinstance(actual, str) and isinstance(reference, str)):
        return actual == reference
    from .cases import param_diff
    from .solvers import SOLVERS, get_solver
    ref, act = json.loads(reference), json.loads(actual)
    if ref.get("solver") not in SOLVERS or ref.get("solver") != act.get("solver"):
        return ref == act
    return not param_diff(ref, act, get_solver(ref["solver"]).SCHEMA)


def assert_matches(actual, reference, **kw) -> Comparison:
    """``compare`` that raises AssertionError with the report when anything differs."""
    res = compare(actual, reference, **kw)
    if not res.ok:
        raise AssertionError(res.report())
    return res
