"""Shannon, Rényi and Tsallis entropies of |ψ(x)|² and of its power spectrum.

Conventions
-----------
A density ρ ≥ 0 sampled on a uniform grid with spacing d is normalised so that
Σ ρ d = 1 (on a periodic grid the trapezoid rule is this plain sum, and it is
spectrally accurate). Then, with ∫ meaning Σ (·) d,

* Shannon  S   = −∫ ρ ln ρ            (0 ln 0 = 0)
* Rényi    R_α = ln(∫ ρ^α) / (1 − α)   (R_1 = S, R_0 = ln |supp ρ|, R_∞ = −ln max ρ)
* Tsallis  T_q = (1 − ∫ ρ^q) / (q − 1) (T_1 = S, T_0 = |supp ρ| − 1)

where 0^0 = 0, so α = 0 / q = 0 measure the support {ρ > 0}. These are
*continuum* (differential) entropies in nats: they depend on the unit of x
(or k) but not on the grid. ``kind="discrete"`` instead uses the grid
probabilities p_j = ρ_j d (Σ p = 1) in the same formulas with d = 1; that
reproduces the numbers of the reference paper (arXiv:2509.05901 supplement).
The two are related by

    S_disc = S − ln d,   R_α,disc = R_α − ln d,   Σ p^q = d^(q−1) ∫ ρ^q,

so discrete Shannon/Rényi grow by ln 2 each time the grid is refined 2×.

For the bright soliton, ρ = (η/2) sech²(ηx): S = 2 − ln 2η, R_2 = −ln(η/3),
R_∞ = −ln(η/2); its spectrum has the same shape with η → π/(2η).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.fft as sfft
import xarray as xr
from scipy.special import logsumexp, xlogy

# Within this distance of 1 the expm1/log1p forms below are used: they have no
# cancellation as α → 1, and |(α − 1) ln ρ| ≤ 0.25·745 cannot overflow.
_NEAR_ONE = 0.25

CONVENTION = ("rho = density / int density; S = -int rho ln rho; "
              "R_a = ln(int rho^a) / (1 - a); T_q = (1 - int rho^q) / (q - 1); "
              "0^0 = 0; int = sum * spacing (continuous) or spacing = 1 on p_j = rho_j d (discrete)")


# -- low level: numpy --------------------------------------------------------------
def _normalise(rho, d, axis, floor):
    rho = np.asarray(rho, dtype=float)
    if np.any(rho < 0):
        raise ValueError("entropy: the density has negative values")
    if d <= 0 or not np.isfinite(d):
        raise ValueError(f"entropy: grid spacing d={d!r} must be positive and finite")
    if floor:
        rho = np.where(rho > floor * rho.max(axis=axis, keepdims=True), rho, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return rho / (rho.sum(axis=axis, keepdims=True) * d)


def _check_order(value, name, allow_inf=True):
    ok = isinstance(value, numbers.Real) and value >= 0 and (allow_inf or np.isfinite(value))
    if not ok:
        what = ">= 0" if allow_inf else ">= 0 and finite"
        raise ValueError(f"{name}={value!r} is not allowed: the order must be {what}")
    return float(value)


def _moment_minus_one(rho, a, d, axis):
    """∫ρ^a − 1 = ∫ρ (ρ^(a−1) − 1), accurate for a near 1 (needs ∫ρ = 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(rho > 0, rho * np.expm1((a - 1) * np.log(rho)), 0.0)
    return terms.sum(axis=axis) * d


def _log_moment(rho, a, d, axis):
    """ln ∫ρ^a for a > 0 via log-sum-exp, so large orders do not overflow."""
    with np.errstate(divide="ignore"):
        return logsumexp(a * np.log(rho), axis=axis) + np.log(d)


def _support(rho, d, axis):
    return np.count_nonzero(rho > 0, axis=axis) * d


def shannon(rho, d=1.0, axis=-1, *, floor=0.0):
    """Shannon entropy −∫ρ ln ρ of the density ``rho`` (normalised here) on spacing ``d``.

    Values ≤ ``floor``·max ρ count as zero (default: only exact zeros).
    """
    p = _normalise(rho, d, axis, floor)
    return -xlogy(p, p).sum(axis=axis) * d


def renyi(rho, alpha, d=1.0, axis=-1, *, floor=0.0):
    """Rényi entropy ln(∫ρ^α)/(1 − α) of order ``alpha`` ∈ [0, ∞]; α = 1 is Shannon."""
    a = _check_order(alpha, "alpha")
    p = _normalise(rho, d, axis, floor)
    if a == 1:
        return -xlogy(p, p).sum(axis=axis) * d
    if np.isinf(a):
        return -np.log(p.max(axis=axis))
    if a == 0:
        return np.log(_support(p, d, axis))
    if abs(a - 1) <= _NEAR_ONE:
        return np.log1p(_moment_minus_one(p, a, d, axis)) / (1 - a)
    return _log_moment(p, a, d, axis) / (1 - a)


def tsallis(rho, q, d=1.0, axis=-1, *, floor=0.0):
    """Tsallis entropy (1 − ∫ρ^q)/(q − 1) of finite order ``q`` ≥ 0; q = 1 is Shannon."""
    q = _check_order(q, "q", allow_inf=False)
    p = _normalise(rho, d, axis, floor)
    if q == 1:
        return -xlogy(p, p).sum(axis=axis) * d
    if q == 0:
        return _support(p, d, axis) - 1.0
    if abs(q - 1) <= _NEAR_ONE:
        return -_moment_minus_one(p, q, d, axis) / (q - 1)
    return -np.expm1(_log_moment(p, q, d, axis)) / (q - 1)


# -- input handling shared with phase_space ------------------------------------------
def as_field(data, var="psi", dim="x", dx=None):
    """(DataArray of the field with dimension ``dim``, grid spacing) from any accepted input.

    ``data`` is an xarray.Dataset (``data[var]`` is used), a DataArray, or a numpy
    array whose last axis is x (then ``dx`` is required; a 2-D array is (time, x)
    and x = −L/2 + j dx). The spacing comes from ``dx`` if given, else from the
    (uniform) coordinate ``dim``.
    """
    if isinstance(data, xr.Dataset):
        if var not in data:
            raise KeyError(f"the dataset has no variable {var!r}; it has {sorted(data.data_vars)}")
        data = data[var]
    if not isinstance(data, xr.DataArray):
        arr = np.asarray(data)
        if dx is None:
            raise ValueError("a numpy field needs the grid spacing: pass dx=...")
        if arr.ndim not in (1, 2):
            raise ValueError(f"a numpy field must be 1-D (x) or 2-D (time, x), got shape {arr.shape}")
        n = arr.shape[-1]
        x = -n * dx / 2 + dx * np.arange(n)
        dims = (dim,) if arr.ndim == 1 else ("time", dim)
        return xr.DataArray(arr, dims=dims, coords={dim: x}), float(dx)
    if dim not in data.dims:
        raise ValueError(f"the field has no dimension {dim!r}; its dims are {data.dims}")
    if dx is not None:
        return data, float(dx)
    if dim not in data.coords or data.sizes[dim] < 2:
        raise ValueError(f"cannot infer the spacing of {dim!r}: pass dx=...")
    x = np.asarray(data[dim].values, dtype=float)
    d = (x[-1] - x[0]) / (len(x) - 1)
    if not np.allclose(np.diff(x), d, rtol=1e-9, atol=0):
        raise ValueError(f"coordinate {dim!r} is not uniformly spaced")
    return data, float(d)


# -- high level: xarray ----------------------------------------------------------------
_KINDS = ("continuous", "discrete")


def _entropy_set(rho, d, dim, alphas, qs, kind, floor, what, unit_note):
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r} is not one of {_KINDS}")
    alphas = [_check_order(a, "alpha") for a in np.atleast_1d(alphas).tolist()]
    qs = [_check_order(q, "q", allow_inf=False) for q in np.atleast_1d(qs).tolist()]
    if kind == "discrete":
        rho, d = rho * d, 1.0  # p_j = ρ_j d; normalisation makes the factor moot

    def apply(fn, *args):
        return xr.apply_ufunc(fn, rho, *args, input_core_dims=[[dim]] + [[]] * len(args),
                              kwargs={"d": d, "floor": floor})

    def stack(fn, orders, name):
        parts = [apply(lambda r, o=o, **kw: fn(r, o, **kw)) for o in orders]
        return xr.concat(parts, dim=xr.DataArray(orders, dims=name, name=name))

    common = {"units": "nats", "kind": kind, "convention": CONVENTION, "note": unit_note}
    out = xr.Dataset({
        "shannon": apply(shannon).assign_attrs(long_name=f"Shannon entropy of {what}", **common),
        "renyi": stack(renyi, alphas, "alpha").assign_attrs(
            long_name=f"Renyi entropy of {what}", **common),
        "tsallis": stack(tsallis, qs, "q").assign_attrs(
            long_name=f"Tsallis entropy of {what}", **common),
    })
    out["alpha"].attrs.update(long_name="Renyi order alpha", units="1")
    out["q"].attrs.update(long_name="Tsallis index q", units="1")
    return out.assign_attrs(kind=kind, convention=CONVENTION)


_DISCRETE_NOTE = "discrete Shannon/Renyi = continuous - ln(spacing)"


SPACE_DIMS = ("x", "y", "z")


def _space(data, var, dim, dx):
    """(field, dims, spacings) for ``dim`` = one name, several, or None (every one of x, y,
    z that the field has: a 2-D or 3-D field's entropies are over the plane or volume)."""
    if dim is None:
        arr = data[var] if isinstance(data, xr.Dataset) and var in data else data
        dims = (tuple(d for d in SPACE_DIMS if d in arr.dims)
                if isinstance(arr, xr.DataArray) else ()) or ("x",)
    else:
        dims = (dim,) if isinstance(dim, str) else tuple(dim)
    if dx is not None and len(dims) > 1 and np.ndim(dx) == 0:
        dx = (dx,) * len(dims)
    parts = [as_field(data, var, d, None if dx is None else (dx if len(dims) == 1 else dx[i]))
             for i, d in enumerate(dims)]
    return parts[0][0], dims, tuple(p[1] for p in parts)


def _flatten(arr, dims, name):
    """The dims as one core dim ``name`` (for the entropy sums over a plane or volume)."""
    if len(dims) == 1:
        return arr.rename({dims[0]: name}) if dims[0] != name else arr
    return arr.stack({name: dims}).drop_vars([name, *dims], errors="ignore")


def density_entropies(data, alphas=(0.5, 2.0), qs=(0.5, 2.0), kind="continuous", var="psi",
                      dim=None, *, dx=None, floor=0.0) -> xr.Dataset:
    """Entropies of ρ(x) = |ψ|²/∫|ψ|² dx at every time: ``shannon``, ``renyi(alpha)``, ``tsallis(q)``.

    ``dim``: the spatial dims (default: every one of x, y, z the field has, so a 2-D or
    3-D field's entropies are over its plane or volume, dx = the cell). Continuous
    entropies are in nats per the unit of x; ``kind="discrete"`` uses p_j = |ψ_j|²/Σ|ψ|²
    (the reference paper's definition, grid dependent).
    """
    psi, dims, ds = _space(data, var, dim, dx)
    rho = _flatten(np.abs(psi) ** 2, dims, "_r")
    return _entropy_set(rho, float(np.prod(ds)), "_r", alphas, qs, kind, floor,
                        "|psi(x)|^2",
                        f"continuous entropies depend on the unit of {', '.join(dims)}; "
                        + _DISCRETE_NOTE)


def spectral_entropies(data, alphas=(0.5, 2.0), qs=(0.5, 2.0), kind="continuous", var="psi",
                       dim=None, *, dx=None, floor=0.0) -> xr.Dataset:
    """Entropies of the power spectrum ρ(k) = |ψ̂(k)|²/∫|ψ̂|² dk, k = 2π·fftfreq(N, dx) per
    spatial dim (default: all of x, y, z the field has).

    The spacing is dk = Π 2π/L (L = N dx); discrete p_m = |ψ̂_m|²/Σ|ψ̂|².
    """
    psi, dims, ds = _space(data, var, dim, dx)
    axes = tuple(range(-len(dims), 0))
    ks = [f"_k{i}" for i in range(len(dims))]
    spec = xr.apply_ufunc(lambda a: np.abs(sfft.fftn(a, axes=axes)) ** 2, psi,
                          input_core_dims=[list(dims)], output_core_dims=[ks])
    dk = float(np.prod([2 * np.pi / (psi.sizes[n] * d) for n, d in zip(dims, ds)]))
    return _entropy_set(_flatten(spec, ks, "_k"), dk, "_k", alphas, qs, kind, floor,
                        "|psi_hat(k)|^2",
                        "continuous entropies depend on the unit of k; " + _DISCRETE_NOTE)


def entropies(data, alphas=(0.5, 2.0), qs=(0.5, 2.0), kind="continuous", var="psi", dim=None,
              *, dx=None, floor=0.0) -> xr.Dataset:
    """Density and spectral entropies in one Dataset (variables ``density_*``, ``spectral_*``)."""
    kw = dict(alphas=alphas, qs=qs, kind=kind, var=var, dim=dim, dx=dx, floor=floor)
    dens = density_entropies(data, **kw)
    spec = spectral_entropies(data, **kw)
    out = xr.merge([dens.rename({v: f"density_{v}" for v in dens.data_vars}),
                    spec.rename({v: f"spectral_{v}" for v in spec.data_vars})],
                   combine_attrs="override")
    return out.assign_attrs(kind=kind, convention=CONVENTION)
