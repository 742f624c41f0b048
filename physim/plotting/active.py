"""Standard figures of an active-matter run: snapshots, local density, local EPR."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .canvas import figure

log = logging.getLogger("physim")


def snapshot_figure(ds, time=-1, colour=None, label="", ax=None):
    """Particles at one snapshot, coloured by ``colour`` (e.g. per-particle EPR) or by
    their local neighbour count (dense cluster vs gas)."""
    if ax is None:
        fig, (ax,) = figure(1, 5.5, 5.0)
    x = ds.position.isel(time=time).values
    L = float(ds.attrs["L"])
    if colour is None:
        from ..analysis.epr.regions import local_neighbours
        colour = local_neighbours(x, L, 2.4 * _radius(ds))
        label = "neighbours within 2.4 a"
    # marker diameter ~ the particle diameter on a 5-inch axis (about 300 points across)
    size = float(np.clip((300 * 2 * _radius(ds) / L) ** 2, 0.3, 60))
    sc = ax.scatter(x[:, 0], x[:, 1], c=colour, s=size, cmap="viridis", linewidths=0)
    ax.figure.colorbar(sc, ax=ax, shrink=0.8, label=label)
    ax.set_xlim(0, L)
    ax.set_ylim(0, L)
    ax.set_aspect("equal")
    _box_labels(ax, _radius(ds))
    ax.set_title(f"t = {float(ds.time.isel(time=time)):g} (N = {len(x)}, box {L:.4g})",
                 fontsize=10)
    return ax.figure


def _box_labels(ax, a):
    ax.set_xlabel(f"x (length units; particle radius a = {a:g})")
    ax.set_ylabel("y (length units)")


def epr_map_figure(res):
    """EPR per unit area and number density on the estimator's grid, with the current."""
    fig, (a1, a2) = figure(2, 5.5, 5.0)
    ext = [0, float(res.bx[-1] + res.bx[0]), 0, float(res.by[-1] + res.by[0])]
    im = a1.imshow(res.epr_density.T, origin="lower", extent=ext, cmap="magma")
    fig.colorbar(im, ax=a1, shrink=0.8, label="EPR per unit area (k_B / time / length²)")
    # the current averaged over blocks of bins (a bin's own mean is mostly noise), about 12
    # blocks across what is shown, drawn where the density is at least a tenth of its
    # peak, the longest arrow one block long
    (i0, i1), (j0, j1) = _occupied_bins(res) or ((0, res.sizes["bx"]), (0, res.sizes["by"]))
    step = max(1, max(i1 - i0, j1 - j0) // 12)
    mi, mj = (i1 - i0) // step * step, (j1 - j0) // step * step
    cur = res.current.values[:, i0:i0 + mi, j0:j0 + mj]
    jc = cur.reshape(2, mi // step, step, mj // step, step).mean(axis=(2, 4))
    rho = res.density.values[i0:i0 + mi, j0:j0 + mj].reshape(
        mi // step, step, mj // step, step).mean(axis=(1, 3))
    X, Y = np.meshgrid(res.bx.values[i0:i0 + mi].reshape(-1, step).mean(axis=1),
                       res.by.values[j0:j0 + mj].reshape(-1, step).mean(axis=1), indexing="ij")
    keep = rho >= 0.1 * rho.max() if rho.size and rho.max() > 0 else np.zeros(rho.shape, bool)
    if keep.any():
        size = np.hypot(jc[0], jc[1])[keep].max()
        width = step * float(res.bx[1] - res.bx[0])
        if size > 0:
            a1.quiver(X[keep], Y[keep], jc[0][keep], jc[1][keep], color="c", angles="xy",
                      scale_units="xy", scale=size / width, width=0.004)
    im = a2.imshow(res.density.T, origin="lower", extent=ext, cmap="viridis")
    fig.colorbar(im, ax=a2, shrink=0.8, label="number density (particles / length²)")
    a1.set_title(f"EPR ({res.attrs['convention']}) and probability current (arrows)",
                 fontsize=10)
    a2.set_title("number density", fontsize=10)
    window = _occupied_window(res)
    for ax in (a1, a2):
        ax.set_xlabel("x (length units)")
        ax.set_ylabel("y (length units)")
        if window is not None:  # a cluster in a large box: show where the particles are
            ax.set_xlim(*window[0])
            ax.set_ylim(*window[1])
    if window is not None:
        a2.set_title("number density (zoomed to the occupied bins)", fontsize=10)
    return fig


def _occupied_bins(res, pad: int = 2, fraction: float = 0.25):
    """((i0, i1), (j0, j1)): the bins with particles, padded by ``pad`` bins, when they fill
    less than ``fraction`` of the box (a cluster in a large box); None otherwise."""
    occ = np.asarray(res.density.values) > 0
    if not occ.any():
        return None
    ix, iy = np.nonzero(occ.any(axis=1))[0], np.nonzero(occ.any(axis=0))[0]
    nx, ny = occ.shape
    i0, i1 = max(ix[0] - pad, 0), min(ix[-1] + pad + 1, nx)
    j0, j1 = max(iy[0] - pad, 0), min(iy[-1] + pad + 1, ny)
    if (i1 - i0) * (j1 - j0) >= fraction * nx * ny:
        return None
    return (int(i0), int(i1)), (int(j0), int(j1))


def _occupied_window(res):
    """The axis limits around :func:`_occupied_bins`, or None."""
    bins = _occupied_bins(res)
    if bins is None:
        return None
    dx, dy = float(res.bx[1] - res.bx[0]), float(res.by[1] - res.by[0])
    return tuple((a * d, b * d) for (a, b), d in zip(bins, (dx, dy)))


def _radius(ds):
    import json
    inter = json.loads(ds.attrs["parameters"])["interaction"]
    return inter.get("radius", inter.get("sigma", 2.0) / 2)


def standard_figures(ds, outdir, prefix: str = "") -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    fig, (a1, a2) = figure(2, 5.5, 5.0)
    snapshot_figure(ds, 0, ax=a1)
    snapshot_figure(ds, -1, ax=a2)
    paths.append(outdir / f"{prefix}snapshots.png")
    fig.savefig(paths[-1], dpi=110)
    skip, folds = ds.sizes["time"] // 2, 4
    if ("propulsion" in ds or "orientation" in ds) and ds.sizes["time"] - skip < folds:
        log.warning("EPR figures skipped: the second half of the run holds %d snapshots, the "
                 "cross-fitted estimate needs %d", ds.sizes["time"] - skip, folds)
    elif "propulsion" in ds or "orientation" in ds:
        from ..analysis.epr import entropy_production
        res = entropy_production(ds, skip=skip, folds=folds)
        paths.append(outdir / f"{prefix}epr_map.png")
        epr_map_figure(res).savefig(paths[-1], dpi=110)
        fig, (ax,) = figure(1, 5.5, 5.0)
        snapshot_figure(ds, -1, colour=res.epr_per_particle.values,
                        label="mean EPR per particle (k_B / time)", ax=ax)
        if "epr_region" in res:
            ax.set_title(ax.get_title() + "\nEPR per particle: " + ", ".join(
                f"{r} {float(e):.3g}" for r, e in zip(res.region.values, res.epr_region.values)),
                fontsize=9)
        paths.append(outdir / f"{prefix}epr_particles.png")
        fig.savefig(paths[-1], dpi=110)
    return paths


def epr_vs_phi_figure(phis, results):
    """EPR per particle against packing fraction: fitted (cross-fitted score) and score-free.

    ``results``: one :func:`physim.analysis.epr.entropy_production` Dataset per phi.
    """
    fig, (ax,) = figure(1, 5.5, 4.0)
    N = np.array([r.sizes["particle"] for r in results], dtype=float)
    fit = np.array([float(r.epr) for r in results]) / N
    fit_err = np.array([float(r.epr_error) for r in results]) / N
    free = np.array([float(r.epr_score_free) for r in results]) / N
    free_err = np.array([float(r.epr_score_free_error) for r in results]) / N
    ax.errorbar(phis, free, free_err, marker="o", capsize=3, label="score-free identity (exact if stationary and smooth)")
    ax.errorbar(phis, fit, fit_err, marker="s", capsize=3,
                label=f"fitted score ({results[0].attrs['features']})")
    ax.set_xlabel("packing fraction φ")
    ax.set_ylabel(f"EPR per particle, k_B / time ({results[0].attrs['convention']})")
    ax.legend(fontsize=8)
    return fig
