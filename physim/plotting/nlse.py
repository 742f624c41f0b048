"""Standard figures of an NLSE run (Dataset as written by the nlse solver).

Every ``*_figure`` function returns a :class:`matplotlib.figure.Figure` built
without pyplot, so nothing leaks into a global figure registry and the Agg
canvas is used whatever backend the session has selected.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.fft as sfft
from matplotlib.figure import Figure

from ..analysis import entropies as _entropies
from ..analysis import wigner as _wigner
from .canvas import figure

# Below this |Q(0)| (relative to the mass) a relative drift is meaningless: e.g.
# the momentum of a standing soliton is zero up to round-off.
_ZERO_REL = 1e-12
_LOG_FLOOR = 1e-17


def _title(ds) -> str:
    return ds.attrs.get("title") or ds.attrs.get("case_name") or "NLSE"


def spacetime_figure(ds) -> Figure:
    """|ψ(x, t)|² as a pcolormesh over (x, t)."""
    fig, (ax,) = figure(1, 6.4, 4.2)
    mesh = ax.pcolormesh(ds.x, ds.time, np.abs(ds.psi.transpose("time", "x").values) ** 2,
                         shading="nearest", cmap="viridis", rasterized=True)
    fig.colorbar(mesh, ax=ax, label=r"$|\psi|^2$")
    ax.set(xlabel="x", ylabel="t", title=f"{_title(ds)}: $|\\psi(x,t)|^2$")
    return fig


def spectrum_figure(ds, decades: float = 16.0) -> Figure:
    """log10 |ψ̂(k, t)|² (unnormalised FFT, k fftshifted), ``decades`` below the peak shown."""
    psi = ds.psi.transpose("time", "x").values
    n = psi.shape[-1]
    dx = float(ds.x[1] - ds.x[0])
    k = sfft.fftshift(2 * np.pi * sfft.fftfreq(n, dx))
    with np.errstate(divide="ignore"):
        logp = np.log10(sfft.fftshift(np.abs(sfft.fft(psi, axis=-1)) ** 2, axes=-1))
    top = np.nanmax(logp[np.isfinite(logp)]) if np.isfinite(logp).any() else 0.0
    # exactly empty modes (log10 0 = -inf) would draw as holes: clip to the colour floor
    logp = np.where(np.isfinite(logp), logp, top - decades)
    fig, (ax,) = figure(1, 6.4, 4.2)
    mesh = ax.pcolormesh(k, ds.time, logp, shading="nearest", cmap="magma",
                         vmin=top - decades, vmax=top, rasterized=True)
    fig.colorbar(mesh, ax=ax, label=r"$\log_{10}|\hat\psi(k)|^2$")
    ax.set(xlabel="k", ylabel="t", title=f"{_title(ds)}: power spectrum")
    return fig


def conservation_figure(ds, names=("mass", "momentum", "energy")) -> Figure:
    """|Q(t) − Q(0)|/|Q(0)| on a log scale; absolute drift when Q(0) ≈ 0."""
    fig, (ax,) = figure(1, 6.4, 4.2)
    t = ds.time.values
    scale0 = abs(float(ds["mass"][0])) if "mass" in ds else 1.0
    for name in names:
        if name not in ds:
            continue
        q = np.asarray(ds[name].values, dtype=float)
        relative = abs(q[0]) > _ZERO_REL * max(scale0, 1e-300)
        drift = np.abs(q - q[0]) / (abs(q[0]) if relative else 1.0)
        label = f"{name} ({'relative' if relative else 'absolute'})"
        if name.startswith("momentum") and "energy_potential" in ds:
            label += ", not conserved in a potential"
        elif name == "angular_momentum_z":
            label += ", conserved in a rotation-symmetric potential only"
        # t = 0 has zero drift by definition; leave it out rather than draw the floor
        ax.semilogy(t[1:], np.maximum(drift[1:], _LOG_FLOOR), label=label)
    ax.set(xlabel="t", ylabel=r"$|Q(t)-Q(0)|\,/\,|Q(0)|$  (absolute if $Q(0)\approx 0$)")
    ax.set_title(f"{_title(ds)}\nconservation (floor {_LOG_FLOOR:g})", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def entropies_figure(ds, ent=None) -> Figure:
    """Density and spectral Shannon / Rényi (nats) and Tsallis (no unit) entropies vs t."""
    ent = _entropies(ds) if ent is None else ent
    fig, axes = figure(2, 5.2, 4.6)
    t = ds.time.values
    for ax, part in zip(axes, ("density", "spectral")):
        ax.plot(t, ent[f"{part}_shannon"], "k-", label="Shannon")
        for a in ent.alpha.values:
            ax.plot(t, ent[f"{part}_renyi"].sel(alpha=a), "--", label=f"Rényi α={a:g}")
        for q in ent.q.values:
            ax.plot(t, ent[f"{part}_tsallis"].sel(q=q), ":", label=f"Tsallis q={q:g}")
        # Shannon and Rényi are logarithms (nats); Tsallis is a power sum, not in nats
        ax.set(xlabel="t", ylabel="Shannon, Rényi: nats;  Tsallis: no unit",
               title=f"{part} entropies of {'|ψ(x)|²' if part == 'density' else '|ψ̂(k)|²'}"
                     " / mass (continuous)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
               ncols=5, fontsize="small")
    return fig


def _spectral_range(ds, times, k, rel=1e-6, pad=0.5):
    """The k range where the field's own (periodic) spectrum exceeds ``rel`` of its peak,
    widened by ``pad``: W's k marginal on an open window has sinc^2 tails from the window's
    ends (they made an Akhmediev breather span k = +-40 for a comb inside |k| < 2)."""
    psi = np.atleast_2d(ds.psi.sel(time=times, method="nearest").values)
    x = ds.x.values
    power = (np.abs(np.fft.fft(psi, axis=-1)) ** 2).sum(axis=0)
    kf = 2 * np.pi * np.fft.fftfreq(x.size, x[1] - x[0])
    kmax = np.abs(kf[power >= rel * power.max()]).max()
    kmax = max(kmax * (1 + pad), 8 * (k[1] - k[0]))
    return max(k[0], -kmax), min(k[-1], kmax)


def wigner_figure(ds, times=None) -> Figure:
    """W(x, k) at the first and last snapshots (or ``times``), k zoomed to the spectrum."""
    times = [ds.time.values[0], ds.time.values[-1]] if times is None else list(times)
    w = _wigner(ds, time=times)
    if "time" not in w.dims:
        w = w.expand_dims(time=[times[0]])
    x, k = w.x.values, w.k.values
    klo, khi = _spectral_range(ds, times, k)
    sel = (k >= klo) & (k <= khi)
    fig, axes = figure(len(w.time), 5.0, 4.2)
    for ax, snap in zip(axes, w.transpose("time", "k", "x").values):
        img = snap[sel]
        lim = np.abs(img).max() or 1.0
        im = ax.imshow(img, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
                       extent=(x[0], x[-1], k[sel][0], k[sel][-1]), interpolation="nearest")
        fig.colorbar(im, ax=ax, label="W(x, k)")
    for ax, t in zip(axes, w.time.values):
        ax.set(xlabel="position x", ylabel="wavenumber k", title=f"Wigner W(x, k), t = {float(t):g}")
    return fig


def _plane(ds, values):
    """A 2-D field, or a 3-D field integrated over z (the column density): (x, y) arrays."""
    if "z" in ds.psi.dims:
        dz = float(ds.z[1] - ds.z[0])
        return values.sum(axis=-1) * dz, r"$\int |\psi|^2\,dz$"
    return values, r"$|\psi|^2$"


def density_figure(ds) -> Figure:
    """|ψ(x, y)|² (3-D: integrated over z) at the first, middle and last snapshots, one
    colour scale."""
    psi = ds.psi.transpose("time", "x", "y", *(("z",) if "z" in ds.psi.dims else ()))
    picks = sorted({0, ds.sizes["time"] // 2, ds.sizes["time"] - 1})
    maps = [_plane(ds, np.abs(psi.isel(time=i).values) ** 2) for i in picks]
    top = max(float(m.max()) for m, _ in maps) or 1.0
    x, y = ds.x.values, ds.y.values
    fig, axes = figure(len(picks), 4.2, 3.9)
    for ax, i, (m, what) in zip(axes, picks, maps):
        im = ax.pcolormesh(x, y, m.T, shading="nearest", cmap="viridis", vmin=0, vmax=top,
                           rasterized=True)
        ax.set(xlabel="x", ylabel="y", aspect="equal",
               title=f"t = {float(ds.time[i]):g}")
    fig.colorbar(im, ax=axes, label=maps[0][1], shrink=0.85)
    fig.suptitle(f"{_title(ds)}: density" + (" (column, integrated over z)"
                                             if "z" in ds.psi.dims else ""))
    return fig


def spectrum_plane_figure(ds, decades: float = 16.0) -> Figure:
    """log10 |ψ̂(k_x, k_y)|² at the first and last snapshots (3-D: summed over k_z)."""
    dims = [d for d in ("x", "y", "z") if d in ds.psi.dims]
    psi = ds.psi.transpose("time", *dims)
    ks = [sfft.fftshift(2 * np.pi * sfft.fftfreq(ds.sizes[d], float(ds[d][1] - ds[d][0])))
          for d in dims[:2]]
    picks = sorted({0, ds.sizes["time"] - 1})
    fig, axes = figure(len(picks), 4.6, 3.9)
    for ax, i in zip(axes, picks):
        p = np.abs(sfft.fftn(psi.isel(time=i).values)) ** 2
        if p.ndim == 3:
            p = p.sum(axis=-1)
        with np.errstate(divide="ignore"):
            logp = np.log10(sfft.fftshift(p))
        top = float(logp[np.isfinite(logp)].max()) if np.isfinite(logp).any() else 0.0
        logp = np.where(np.isfinite(logp), logp, top - decades)
        im = ax.pcolormesh(ks[0], ks[1], logp.T, shading="nearest", cmap="magma",
                           vmin=top - decades, vmax=top, rasterized=True)
        fig.colorbar(im, ax=ax, label=r"$\log_{10}|\hat\psi(k_x, k_y)|^2$"
                     + (r" ($\Sigma_{k_z}$)" if len(dims) == 3 else ""))
        ax.set(xlabel="wavenumber k_x", ylabel="wavenumber k_y", aspect="equal",
               title=f"power spectrum, t = {float(ds.time[i]):g}")
    return fig


def relaxation_figure(ds) -> Figure:
    """Imaginary time: the chemical potential and the stationarity residual against τ."""
    fig, (a1, a2) = figure(2, 4.8, 3.8)
    t = ds.time.values
    a1.plot(t, ds.chemical_potential.values, "k-")
    a1.set(xlabel="imaginary time τ", ylabel="chemical potential μ",
           title=f"μ → {float(ds.chemical_potential[-1]):.10g}")
    a2.semilogy(t, np.maximum(ds.residual.values, _LOG_FLOOR), "C3-")
    a2.set(xlabel="imaginary time τ", ylabel=r"$|H\psi - \mu\psi|\,/\,|\psi|$",
           title="stationarity residual (0 at the ground state)")
    a2.grid(True, which="major", alpha=0.3)
    fig.suptitle(f"{_title(ds)}: relaxation to the ground state")
    return fig


def _conservation_nd(ds) -> Figure:
    return conservation_figure(ds, names=("mass", "energy", "momentum_x", "momentum_y",
                                          "momentum_z", "angular_momentum_z"))


_FIGURES = {
    "spacetime": spacetime_figure,
    "spectrum": spectrum_figure,
    "conservation": conservation_figure,
    "entropies": entropies_figure,
    "wigner": wigner_figure,
}
# 2-D and 3-D fields: maps in the plane instead of space-time and Wigner figures
_FIGURES_ND = {
    "density": density_figure,
    "spectrum": spectrum_plane_figure,
    "conservation": _conservation_nd,
    "entropies": entropies_figure,
}


def standard_figures(ds, outdir, prefix: str = "", dpi: int = 120) -> list[Path]:
    """Write ``<prefix><name>.png`` for every standard figure into ``outdir``; return the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    figures = dict(_FIGURES_ND if "y" in ds.psi.dims else _FIGURES)
    if "residual" in ds and "chemical_potential" in ds:
        figures["relaxation"] = relaxation_figure
    for name, make in figures.items():
        fig = make(ds)
        path = outdir / f"{prefix}{name}.png"
        fig.savefig(path, dpi=dpi)
        fig.clear()  # drop the artists now; the figure is not registered anywhere else
        paths.append(path)
    return paths
