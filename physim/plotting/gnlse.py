"""Standard figures of a fibre GNLSE run (solver = "gnlse"): the spectral and temporal
evolution maps in dB, the output spectrum against wavelength, the photon number and
energy against z, the XFROG spectrogram at the output and, for a shot-noise ensemble, the
coherence g12 with the mean spectrum. Each ``*_figure(ds)`` takes the output (physim.open)
and returns a matplotlib Figure; ensemble outputs show member 0 (``member=``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..analysis.fibre import coherence, spectrogram
from .canvas import figure

C_NM_PS = 299792.458  # nm/ps: wavelength (nm) = C_NM_PS / frequency (THz)


def _title(ds) -> str:
    return ds.attrs.get("title") or ds.attrs.get("case_name") or "GNLSE"


def _member(da, member):
    return da.isel(ensemble=member) if "ensemble" in da.dims else da


def _db(x, floor):
    with np.errstate(divide="ignore"):
        d = 10 * np.log10(x / np.max(x))
    return np.maximum(d, -floor)


def _zlabel(ds):
    return f"z ({ds.time.attrs.get('units', 'm')})"


def spectral_evolution_figure(ds, dynamic_range: float = 40.0, member: int = 0) -> Figure:
    """|A~(lambda, z)|^2 in dB below the overall peak, against wavelength (nm) and z."""
    s = _member(ds.spectrum, member).transpose("time", "frequency").values
    lam = C_NM_PS / ds.frequency.values
    order = np.argsort(lam)
    fig, (ax,) = figure(1, 6.4, 4.2)
    mesh = ax.pcolormesh(lam[order], ds.time, _db(s[:, order], dynamic_range),
                         shading="nearest", cmap="magma", vmin=-dynamic_range, vmax=0,
                         rasterized=True)
    fig.colorbar(mesh, ax=ax, label="spectrum (dB)")
    keep = lam[(s >= s.max() * 10 ** (-dynamic_range / 10)).any(axis=0)]
    if keep.size:
        pad = 0.05 * (keep.max() - keep.min())
        ax.set_xlim(keep.min() - pad, keep.max() + pad)
    ax.set(xlabel="wavelength (nm)", ylabel=_zlabel(ds),
           title=f"{_title(ds)}: spectral evolution")
    return fig


def temporal_evolution_figure(ds, dynamic_range: float = 40.0, member: int = 0) -> Figure:
    """|A(T, z)|^2 in dB below the overall peak, against T (ps) and z."""
    p = np.abs(_member(ds.A, member).transpose("time", "T").values) ** 2
    T = ds.T.values
    fig, (ax,) = figure(1, 6.4, 4.2)
    mesh = ax.pcolormesh(T, ds.time, _db(p, dynamic_range), shading="nearest",
                         cmap="magma", vmin=-dynamic_range, vmax=0, rasterized=True)
    fig.colorbar(mesh, ax=ax, label="power (dB)")
    keep = T[(p >= p.max() * 10 ** (-dynamic_range / 10)).any(axis=0)]
    if keep.size:
        pad = 0.05 * (keep.max() - keep.min())
        ax.set_xlim(keep.min() - pad, keep.max() + pad)
    ax.set(xlabel="T (ps)", ylabel=_zlabel(ds), title=f"{_title(ds)}: temporal evolution")
    return fig


def output_spectrum_figure(ds, dynamic_range: float = 60.0, member: int = 0) -> Figure:
    """The input and output spectra in dB against wavelength."""
    s = _member(ds.spectrum, member).transpose("time", "frequency").values
    lam = C_NM_PS / ds.frequency.values
    order = np.argsort(lam)
    fig, (ax,) = figure(1, 6.4, 4.2)
    for i, label in ((0, "input"), (-1, "output")):
        ax.plot(lam[order], _db(s[i, order], dynamic_range) if i == 0 else
                np.maximum(10 * np.log10(np.maximum(s[i, order], 1e-300) / s[0].max()),
                           -dynamic_range), label=f"{label}, z = {float(ds.time[i]):g}")
    keep = lam[(s[[0, -1]] >= s[0].max() * 10 ** (-dynamic_range / 10)).any(axis=0)]
    if keep.size:
        pad = 0.05 * (keep.max() - keep.min())
        ax.set_xlim(keep.min() - pad, keep.max() + pad)
    ax.set(xlabel="wavelength (nm)", ylabel="dB (input peak = 0)", ylim=(-dynamic_range, 5),
           title=f"{_title(ds)}: spectrum")
    ax.legend()
    return fig


def invariants_figure(ds, member: int = 0) -> Figure:
    """Photon number and energy against z, relative to z = 0."""
    fig, (ax,) = figure(1, 6.4, 4.2)
    z = ds.time.values
    for name in ("photon_number", "energy"):
        q = np.asarray(_member(ds[name], member).values, dtype=float)
        ax.plot(z, q / q[0], label=name)
    ax.set(xlabel=_zlabel(ds), ylabel="relative to z = 0",
           title=f"{_title(ds)}: photon number and energy")
    ax.legend()
    return fig


def _wavelength_limits(ax, lam, keep_mask):
    keep = lam[keep_mask]
    if keep.size:
        pad = 0.05 * (keep.max() - keep.min())
        ax.set_ylim(keep.min() - pad, keep.max() + pad)


def spectrogram_figure(ds, dynamic_range: float = 40.0, member: int = 0, gate="input",
                       time=None) -> Figure:
    """The XFROG trace (:func:`physim.analysis.fibre.spectrogram`, gated by the input pulse by
    default) at the output, in dB below its peak, against delay (ps) and wavelength (nm)."""
    S = spectrogram(ds, time=time, gate=gate, member=member)
    lam = C_NM_PS / S.frequency.values
    order = np.argsort(lam)
    tr = _db(S.values[:, order].T, dynamic_range)
    fig, (ax,) = figure(1, 6.4, 4.2)
    mesh = ax.pcolormesh(S.delay.values, lam[order], tr, shading="nearest", cmap="magma",
                         vmin=-dynamic_range, vmax=0, rasterized=True)
    fig.colorbar(mesh, ax=ax, label="XFROG (dB)")
    _wavelength_limits(ax, lam[order], (tr > -dynamic_range).any(axis=1))
    on = S.delay.values[(tr > -dynamic_range).any(axis=0)]
    if on.size:
        pad = 0.05 * (on.max() - on.min())
        ax.set_xlim(on.min() - pad, on.max() + pad)
    gate_name = "input pulse" if isinstance(gate, str) else S.attrs["gate"]
    ax.set(xlabel="delay (ps)", ylabel="wavelength (nm)",
           title=f"{_title(ds)}\nXFROG at z = {S.attrs['z']:g} "
                 f"{ds.time.attrs.get('units', 'm')}, gate: {gate_name}")
    return fig


def coherence_figure(ds, dynamic_range: float = 40.0, time=None) -> Figure:
    """|g12| over the shot-noise ensemble at the output, with the ensemble-mean spectrum in dB
    (as Dudley, Genty & Coen 2006, Fig. 14)."""
    g = coherence(ds, time=time)
    rec = ds.spectrum.isel(time=-1) if time is None else ds.spectrum.sel(time=time,
                                                                         method="nearest")
    mean = rec.mean("ensemble").values
    lam = C_NM_PS / ds.frequency.values
    order = np.argsort(lam)
    db = _db(mean[order], dynamic_range)
    fig, (ax,) = figure(1, 6.4, 4.2)
    ax.plot(lam[order], db, color="0.6", lw=0.8, label="mean spectrum")
    ax.set(xlabel="wavelength (nm)", ylabel="mean spectrum (dB)", ylim=(-dynamic_range, 3))
    ax2 = ax.twinx()
    inside = db > -dynamic_range
    ax2.plot(lam[order][inside], g.values[order][inside], ".", ms=1.5, color="C0",
             label="|g12|")
    ax2.set(ylabel="|g12|", ylim=(0, 1.05))
    keep = lam[order][inside]
    if keep.size:
        pad = 0.05 * (keep.max() - keep.min())
        ax.set_xlim(keep.min() - pad, keep.max() + pad)
    ax.set_title(f"{_title(ds)}\ncoherence over {ds.sizes['ensemble']} members at z = "
                 f"{float(rec.time):g} {ds.time.attrs.get('units', 'm')}")
    return fig


_FIGURES = {"spectral_evolution": spectral_evolution_figure,
            "temporal_evolution": temporal_evolution_figure,
            "spectrum": output_spectrum_figure,
            "invariants": invariants_figure,
            "spectrogram": spectrogram_figure}


def standard_figures(ds, outdir, prefix: str = "", dpi: int = 120) -> list[Path]:
    """Write ``<prefix><name>.png`` for every standard figure into ``outdir``; return the paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    figures = dict(_FIGURES)
    if ds.sizes.get("ensemble", 1) >= 2:
        figures["coherence"] = coherence_figure
    for name, make in figures.items():
        fig = make(ds)
        path = outdir / f"{prefix}{name}.png"
        fig.savefig(path, dpi=dpi)
        fig.clear()
        paths.append(path)
    return paths
