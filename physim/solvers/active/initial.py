"""The initial state a case brings (``[initial] kind = "array"`` or ``"file"``).

``position`` has dims (particle, dim) with particle = 0..N-1 and dim = 0, 1, the
coordinates physim writes, so a snapshot of a physim output matches as it is. The AOUP
takes ``propulsion`` g (particle, dim) and the ABP ``orientation`` theta (particle,);
either is drawn from the seeded generator when the source has none. With
``ensemble.replicas = R > 1`` one configuration starts every replica, or, with
``initial.per_replica = true``, each replica r starts from its own (a leading dim
replica = 0..R-1: the last snapshot of a run with R replicas).

The noise comes from ``default_rng([initial.seed, r])`` as in a random start, so a run
from a physim output must not use that output's seed: it would replay the source's
noise (shifted by the source's initial draws at most). A trapped AOUP continued so
comes back to its own start after as long as the source ran (measured: positions
correlated 0.999 with the start there, 0.02 with another seed). That is refused; arrays
from Python cannot be checked, give them a seed of their own.

Positions must lie in the box [0, L)^2 (x = L, which the solver's own wrapping can
write, is kept). Values outside [0, L] by round-off (up to 1e-6 L, float32 included)
are wrapped; farther ones are refused, not wrapped: a file from a box of another side
is a likely mistake. Every problem is one line (physim.inputs.fail) before
any work.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ...inputs import Resolved, fail

log = logging.getLogger("physim")

STATE = {"aoup": "propulsion", "abp": "orientation"}
NAMES = ("position", "propulsion", "orientation")
ROUND_OFF = 1e-6  # of L: how far outside the box a position is still wrapped


def input_coords(p: dict, name: str) -> dict:
    """{dim: values} the input ``name`` is given on (the output's coordinates)."""
    out = {"particle": np.arange(p["system"]["N"])}
    if name != "orientation":
        out["dim"] = np.arange(2)
    if p["initial"]["per_replica"]:
        out = {"replica": np.arange(p["ensemble"]["replicas"]), **out}
    return out


def given_state(p: dict, inputs, L: float) -> dict:
    """{"position": x[, "propulsion" or "orientation": s]}, whole arrays as the case gives
    them (a leading replica axis with ``per_replica``); what is absent is to be drawn."""
    kind = p["model"]["kind"]
    own = STATE[kind]
    other = STATE["abp" if kind == "aoup" else "aoup"]
    if other in inputs.given:
        fail(f"initial.{other}", f"model.kind = {kind!r} takes {own}, not {other} (that is "
             f"the {'ABP' if kind == 'aoup' else 'AOUP'}'s)")
    _check_source(p, inputs, kind, own, other, L)
    out = {"position": inputs.array("position", input_coords(p, "position"), float)}
    _into_box(out["position"], L, p)
    s = inputs.array(own, input_coords(p, own), float)
    if s is not None:
        out[own] = s
    return out


def _check_source(p, inputs, kind, own, other, L):
    """Counts of particles and replicas, and the model kind of a file, named in the case's
    own terms (system.N, ensemble.replicas, model.kind) before the values are read."""
    ini, N, R = p["initial"], p["system"]["N"], p["ensemble"]["replicas"]
    found = _source_sizes(p, inputs)
    if found is None:
        return  # physim.inputs says what is wrong with the source
    sizes, where, attrs = found
    if ini["kind"] == "file" and not inputs.given:
        if "position" in sizes and own not in sizes and other in sizes:
            fail("initial.path", f"{where} holds {other} and no {own}: it is from an "
                 f"{'ABP' if kind == 'aoup' else 'AOUP'} run, and model.kind = {kind!r} "
                 f"needs {own}; start from a run of the same kind (or pass its positions "
                 "alone with kind = 'array')")
        if attrs.get("solver") == "active" and _seed(attrs) == ini["seed"]:
            fail("initial.seed", f"{ini['seed']} is the seed of {where}: this run would reuse "
                 f"the noise {where} drew, and not be independent of it (a trapped AOUP comes "
                 f"back near its own start after as long as {where} ran); give it another "
                 "initial.seed")
        if attrs.get("solver") == "active" and "L" in attrs:
            L_file = float(attrs["L"])
            if abs(L_file - L) > 1e-12 * L:
                log.warning("initial.path: %s was run in a box of side L = %.6g, this case "
                            "has L = %.6g; its positions are taken as they are", where,
                            L_file, L)
    for name, sz in sizes.items():
        key = f"initial.{name}"
        if "particle" in sz and sz["particle"] != N:
            fail(key, f"{sz['particle']} particles{where and ' in ' + where}; system.N = {N} "
                 "(one row per particle)")
        n = sz.get("replica")
        if ini["per_replica"]:
            if n is None:
                fail(key, f"initial.per_replica = true needs one configuration per replica, "
                     f"dims {tuple(input_coords(p, name))}; {where or 'the array'} has "
                     f"dims {tuple(sz)}")
            if n != R:
                fail(key, f"{n} replicas{where and ' in ' + where}; ensemble.replicas = {R}")
        elif n is not None and n > 1 and ini.get("member") is None:
            fail(key, f"one configuration per replica ({n}){where and ' in ' + where}; "
                 "set initial.per_replica = true to start each replica from its own"
                 + (", or choose one for all with initial.member = i"
                    if ini["kind"] == "file" else ""))


def _seed(attrs):
    """The initial.seed of the physim output with attributes ``attrs``, or None."""
    from ...io import params_from_attrs
    try:
        return int(params_from_attrs(attrs)["initial"]["seed"])
    except Exception:
        return None


def _source_sizes(p, inputs):
    """({name: {dim: size}} of the source without its record dim, the file's name or "",
    the file's attributes), or None when that cannot be told before reading it."""
    if inputs.given or p["initial"]["kind"] == "array":
        sizes = {}
        for name, v in inputs.given.items():
            if isinstance(v, Resolved):
                sizes[name] = dict(zip(v.dims, v.values.shape))
            elif type(v).__name__ == "DataArray" and hasattr(v, "sizes"):
                sizes[name] = dict(v.sizes)
            elif not callable(v):
                try:
                    shape = np.shape(v)
                except Exception:
                    continue  # physim.inputs says why it is not an array
                base = ("particle",) if name == "orientation" else ("particle", "dim")
                if (len(shape) == len(base) + 1 and p["ensemble"]["replicas"] > 1
                        and shape[0] != p["system"]["N"]):  # (N, 2) theta is a wrong shape
                    base = ("replica",) + base
                if len(shape) == len(base):
                    sizes[name] = dict(zip(base, shape))
        return sizes, "", {}
    import xarray as xr

    from ...io import is_physim_file
    from ...io import open as open_output
    path = Path(p["initial"]["path"]).expanduser()
    try:
        ds = open_output(path) if is_physim_file(path) else xr.open_dataset(path)
    except Exception:
        return None
    with ds:
        sizes = {n: {d: s for d, s in ds[n].sizes.items() if d not in ("time", "t_step")}
                 for n in NAMES if n in ds.variables}
        return sizes, path.name, dict(ds.attrs)


def _into_box(x, L, p):
    """Wrap positions outside [0, L] by round-off, in place; refuse farther ones."""
    far = (x < -ROUND_OFF * L) | (x > L * (1 + ROUND_OFF))
    if far.any():
        s = p["system"]
        side = f"system.L = {L:.6g}" if s["phi"] == 0 else f"L = {L:.6g} from system.phi"
        rows = far.any(axis=-1)
        first = tuple(int(i) for i in np.argwhere(rows)[0])
        at = ", ".join(f"{v:.6g}" for v in x[first])
        which = (f"replica {first[0]} particle {first[1]}" if len(first) == 2
                 else f"particle {first[0]}")
        fail("initial.position", f"{int(rows.sum())} particles outside the box [0, L)^2 with "
             f"{side}; the first: {which} at ({at}). Positions are not wrapped (from a "
             "run in another box?); wrap them with x % L if that is meant")
    out = (x < 0) | (x > L)
    if out.any():
        x[out] %= L
