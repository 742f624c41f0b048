"""The complexity-entropy (H-C) plane and the sampling-interval scan (PECCARY figures).

Figures are built without pyplot (Agg canvas); ``hc_plane`` also draws into a
given ``ax`` (e.g. from pyplot in a notebook) and returns it.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..analysis import ordinal as o
from .canvas import figure

log = logging.getLogger("physim")

REGIME_COLOURS = {"regular": "tab:blue", "complex": "tab:red", "stochastic": "tab:gray",
                  "undetermined": "tab:olive"}


def hc_plane(H=(), C=(), n: int = 5, *, labels=None, ax=None, kind="shannon", order=1.0,
             annotate=True, boundaries=True, colour_by_regime=True, legend=True, **scatter):
    """The H-C plane for embedding dimension n with the analysed points.

    Draws C_min and C_max, the verticals at H_min,per and H_max,per, the
    periodic line, the region names, the boundaries between the regimes that
    :func:`physim.analysis.ordinal.classify` draws (traced from the classifier
    itself on a fine grid, so the figure shows the cut in use), and the points
    (H, C), coloured by regime and labelled with ``labels`` when given; a legend
    names the curves and the regime colours. Returns the axes.
    """
    if ax is None:
        _, (ax,) = figure(1, 6.4, 4.8)
    hmin, cmin, hmax, cmax = o.curves(n, kind, order)
    ax.plot(hmin, cmin, color="k", lw=1)
    ax.plot(hmax, cmax, color="k", lw=1)
    if boundaries:
        b = o.boundaries(n, kind, order)
        for h in (b["h_min_periodic"], b["h_max_periodic"]):
            ax.plot([h, h], [float(o.c_min(h, n, kind, order)), float(o.c_max(h, n, kind, order))],
                    color="0.4", ls="--", lw=0.8)
        ax.plot([b["h_min_periodic"], b["h_max_periodic"]],
                [b["c_at_h_min_periodic"], b["c_at_h_max_periodic"]], color="0.4", lw=0.8)
        if annotate:
            mid = 0.5 * (b["h_min_periodic"] + b["h_max_periodic"])
            kw = dict(fontsize=8, color="0.3", ha="center")
            ax.text(mid, 0.5 * float(o.periodic_line(mid, n, kind, order)), "regular", **kw)
            ax.text(mid, float(o.periodic_line(mid, n, kind, order)) + 0.015, "periodic",
                    rotation=0, **kw)
            hc = b["h_max_periodic"] + 0.12
            ax.text(hc, float(o.c_max(hc, n, kind, order)) + 0.02, "complex", **kw)
            ax.text(0.85, 0.04, "stochastic", **kw)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="k", lw=1, label="C_min, C_max")]
    if boundaries:
        handles.append(Line2D([], [], color="0.4", ls="--", lw=0.8,
                              label="H_min,per, H_max,per; periodic line"))
    if kind == "shannon" and colour_by_regime:
        handles += _draw_cut(ax, n)
    H, C = np.atleast_1d(np.asarray(H, dtype=float)), np.atleast_1d(np.asarray(C, dtype=float))
    if H.size:
        if colour_by_regime and kind == "shannon":
            regimes = o.classify(H, C, n)
            colours = [REGIME_COLOURS.get(r, "k") for r in regimes]
            for r in o.REGIMES:  # one legend entry per regime shown
                if r in set(regimes):
                    handles.append(Line2D([], [], ls="", marker="o", markersize=6,
                                          markerfacecolor=REGIME_COLOURS.get(r, "k"),
                                          markeredgecolor="k", markeredgewidth=0.4, label=r))
        else:
            colours = "tab:purple"
        ax.scatter(H, C, c=colours, s=scatter.pop("s", 28), zorder=3, edgecolors="k",
                   linewidths=0.4, **scatter)
    if legend:
        ax.legend(handles=handles, fontsize=7, loc="lower left", framealpha=0.85)
    name = {"shannon": "", "renyi": f" (Renyi, alpha = {order:g})",
            "tsallis": f" (Tsallis, q = {order:g})"}[kind]
    ax.set_xlabel(f"permutation entropy H{name}")
    ax.set_ylabel("statistical complexity C")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08 * float(np.max(o.curves(n, kind, order)[3])))
    ax.set_title(f"complexity-entropy plane, n = {n}", fontsize=10)
    if H.size and labels:  # after the limits: the labels are placed in display space
        _label_points(ax, H, C, labels)
    return ax


def regime_boundaries(n: int, points: int = 400):
    """(H grid, C grid, regime index) of ``classify`` over the physical part of the plane
    (NaN outside C_min <= C <= C_max): its level sets are the classifier's cuts."""
    hmax_c = float(np.max(o.curves(n)[3]))
    h = np.linspace(0.0, 1.0, points)
    c = np.linspace(0.0, 1.02 * hmax_c, points)
    Hg, Cg = np.meshgrid(h, c)
    reg = o.classify(Hg, Cg, n)
    idx = np.full(Hg.shape, np.nan)
    for i, r in enumerate(o.REGIMES):
        idx[reg == r] = i
    inside = (Cg >= o.c_min(Hg, n) - 1e-9) & (Cg <= o.c_max(Hg, n) + 1e-9)
    idx[~inside] = np.nan
    return Hg, Cg, idx


def _draw_cut(ax, n):
    from matplotlib.lines import Line2D
    Hg, Cg, idx = regime_boundaries(n)
    if np.all(np.isnan(idx)) or np.nanmin(idx) == np.nanmax(idx):
        return []
    ax.contour(Hg, Cg, idx, levels=np.arange(len(o.REGIMES) - 1) + 0.5, colors="tab:orange",
               linewidths=1.0, zorder=2)
    return [Line2D([], [], color="tab:orange", lw=1.0, label="regime cut (classify)")]


def scan_figure(scan) -> Figure:
    """H and C against t_pat / t_nat from :func:`physim.analysis.ordinal.sampling_scan`,
    and the path the scan takes through the H-C plane (one curve per series when the
    scan is per series; the first 20 are drawn)."""
    fig, (a1, a2, a3) = figure(3, 14 / 3, 4)
    lead = [d for d in scan["H"].dims if d != "delay"]
    if lead:
        st = scan.reset_coords()[["H", "C", "t_pat_ratio", "in_window"]].stack(
            series=lead).transpose("series", "delay")
        rows = [(st["t_pat_ratio"].values[k], st["H"].values[k], st["C"].values[k],
                 st["in_window"].values[k]) for k in range(min(st.sizes["series"], 20))]
    else:
        rows = [(scan["t_pat_ratio"].values, scan["H"].values, scan["C"].values,
                 scan["in_window"].values)]
    one = len(rows) == 1
    for ax, k, name in ((a1, 1, "H"), (a2, 2, "C")):
        for row in rows:
            ax.plot(row[0], row[k], "o-" if one else "-", ms=3, lw=1 if one else 0.7,
                    alpha=1 if one else 0.6)
        ax.axvspan(scan.attrs["window_low"], scan.attrs["window_high"], color="tab:green",
                   alpha=0.15, label="recommended window")
        ax.set_xlabel("t_pat / t_nat")
        ax.set_ylabel(name)
    a1.axhline(scan.attrs["h_max_periodic"], color="0.4", ls="--", lw=0.8, label="H_max,per")
    a1.legend(fontsize=8)
    Hs = np.concatenate([r[1] for r in rows])
    Cs = np.concatenate([r[2] for r in rows])
    hc_plane(Hs, Cs, scan.attrs["n"], ax=a3)
    for r in rows:
        a3.plot(r[1][r[3]], r[2][r[3]], color="tab:green", lw=3, alpha=0.5, zorder=2)
    return fig


def standard_figures(ds, outdir, prefix: str = "") -> list[Path]:
    """For a peccary case output: the series, its H-C point and its sampling scan."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    var = ds.attrs.get("ordinal_variable", ds.attrs.get("analysis_variable", "x"))
    n = int(ds.attrs.get("ordinal_n", 5))
    paths = []
    fig, (ax,) = figure(1, 8, 3)
    t, x = ds["time"].values, ds[var].values
    m = min(len(t), 2000)
    ax.plot(t[:m], x[:m], lw=0.7)
    ax.set_xlabel("t")
    ax.set_ylabel(var)
    ax.set_title(f"{ds.attrs.get('title', '')}: first {m} samples", fontsize=10)
    paths.append(outdir / f"{prefix}series.png")
    fig.savefig(paths[-1], dpi=110)
    if "ordinal_H" in ds.attrs:
        fig, (ax,) = figure(1, 6.4, 4.8)
        hc_plane([ds.attrs["ordinal_H"]], [ds.attrs["ordinal_C"]], n, ax=ax,
                 labels=[ds.attrs.get("title", var)])
        paths.append(outdir / f"{prefix}hc_plane.png")
        fig.savefig(paths[-1], dpi=110)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", o.OrdinalWarning)
        try:
            scan = o.sampling_scan(ds[var], n)
        except ValueError:
            return paths
    if scan.sizes["delay"] < 3:
        log.warning("sampling-scan figure skipped: the series allows %d sampling interval(s) "
                    "(t_pat / t_nat from %.3g); a scan needs 3 or more (a map's natural time "
                    "is about one iterate: it has no finer sampling to choose)",
                    scan.sizes["delay"], float(np.min(scan["t_pat_ratio"])))
        return paths
    fig = scan_figure(scan)
    paths.append(outdir / f"{prefix}sampling_scan.png")
    fig.savefig(paths[-1], dpi=110)
    return paths


# label offsets tried in turn (points; right of / left of, above / below the marker)
_OFFSETS = ((4, 4, "left", "bottom"), (-4, 4, "right", "bottom"), (4, -4, "left", "top"),
            (-4, -4, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"))


def _label_points(ax, H, C, labels):
    """Name the points, each label on the first side of its marker where it stays inside
    the axes and covers no label placed before (close series such as a sine and an orbit,
    or the Hénon and logistic maps, overlapped)."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed = [t.get_window_extent(renderer) for t in ax.texts]  # the regions' names

    def fits(box, free):
        inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                  and box.y1 <= frame.y1)
        return inside and (not free or not any(box.overlaps(b) for b in placed))

    for i, lab in enumerate(labels):
        # free and inside; else inside; else the first side
        for free in (True, False, None):
            for dx, dy, ha, va in _OFFSETS:
                text = ax.annotate(str(lab), (H[i], C[i]), textcoords="offset points",
                                   xytext=(dx, dy), ha=ha, va=va, fontsize=8)
                box = text.get_window_extent(renderer)
                if free is None or fits(box, free):
                    break
                text.remove()
            else:
                continue
            break
        placed.append(box)
