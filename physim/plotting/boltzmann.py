"""Standard figures of a Boltzmann run.

Homogeneous: the temperatures and the drift between species against time, the
H-functionals, and cuts f(v_x, 0, ...) of the distributions at the snapshots.
In x: x-t maps of the density and temperature of each species, the last profiles (with
the exact Euler solution of a single-species shock tube), and the conserved totals and H.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .canvas import figure


def _time_axis(ax, t):
    """Log time for runs whose steps grow (the stages span decades), else linear."""
    dt = np.diff(t)
    if len(dt) > 2 and dt[-1] > 3 * dt[0] and t[0] >= 0:
        ax.set_xscale("symlog", linthresh=float(dt[0]) * 10)
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel("time t (model units)")


def relaxation_figure(ds):
    """Temperatures, |u_i - u_j| (mixtures) and H against time."""
    t = ds.t_step.values
    names = [str(s) for s in ds.species.values]
    fig, ax = figure(2)
    for s, n in enumerate(names):
        ax[0].plot(t, ds.temperature.values[:, s], label=f"T {n}")
    if len(names) == 2:
        du = np.linalg.norm(ds.velocity.values[:, 0] - ds.velocity.values[:, 1], axis=-1)
        ax[0].plot(t, du, "--", label="|u_light - u_heavy|")
    ax[0].legend(fontsize=8)
    ax[0].set_ylabel("temperature, drift gap (model units)")
    _time_axis(ax[0], t)
    # the distances from equilibrium, each positive and measured on the grid itself (H minus
    # its final value plunged at the last point by construction): each gas from its own
    # Maxwellian, and for mixtures the temperature and drift gaps (the epochal stages)
    for s, n in enumerate(names):
        ax[1].plot(t, ds.deviation.values[:, s], label=f"max|f_{n} - M[f_{n}]| / max M")
    if len(names) == 2:
        T = ds.temperature.values
        ax[1].plot(t, np.abs(T[:, 0] - T[:, 1]) / T.mean(axis=1), "k",
                   label="|T_light - T_heavy| / T")
        ax[1].plot(t, du, "k--", label="|u_light - u_heavy|")
    ax[1].set_yscale("log")
    ax[1].set_ylabel("distance from equilibrium")
    rise = float(np.max(np.diff(ds.H_mixture.values), initial=0.0))
    ax[1].set_title("H non-increasing" if rise <= 0 else f"H rises by up to {rise:.2g}",
                    fontsize=9)
    ax[1].legend(fontsize=8)
    _time_axis(ax[1], t)
    return fig


def distribution_figure(ds):
    """f_s(v_x, 0, ...) at every snapshot (the cell in the middle for runs in x)."""
    names = [str(s) for s in ds.species.values]
    fig, ax = figure(len(names))
    for a, n in zip(ax, names):
        f = ds[f"f_{n}"]
        if "x" in f.dims:
            f = f.isel(x=f.sizes["x"] // 2)
        vdims = [d for d in f.dims if d.startswith(f"{n}_v")]
        cut = f.isel({d: f.sizes[d] // 2 for d in vdims[1:]})
        for k in range(ds.sizes["time"]):
            a.plot(ds[vdims[0]].values, cut.isel(time=k).values,
                   label=f"t = {float(ds.time[k]):.3g}")
        a.set(xlabel=f"v_x of {n} (velocity units)",
              ylabel=f"f_{n}(v_x, 0{', 0' if len(vdims) > 2 else ''}) (model units)",
              title=f"f_{n} along v_x" + (" (middle cell)" if "x" in ds.dims else ""))
        a.legend(fontsize=7)
    return fig


def xt_figure(ds):
    """x-t maps of the density and the temperature of every species."""
    names = [str(s) for s in ds.species.values]
    fig, ax = figure(2 * len(names), 4.0, 3.6)
    t, x = ds.t_step.values, ds.x.values
    for s, n in enumerate(names):
        for a, key in zip(ax[2 * s:2 * s + 2], ("density", "temperature")):
            im = a.pcolormesh(x, t, ds[key].values[:, :, s], shading="auto", cmap="viridis")
            fig.colorbar(im, ax=a, shrink=0.85)
            a.set(xlabel="x", ylabel="t", title=f"{key} of {n}")
    return fig


def profiles_figure(ds):
    """n, the flow velocity and T of every species at the last step; a single-species
    shock tube is drawn with its exact Euler solution. The velocity is u_y between moving
    diffuse walls (Couette flow: the walls slide along y, u_x stays ~0), u_x otherwise."""
    from ..solvers.boltzmann.report import euler_state
    names = [str(s) for s in ds.species.values]
    p = json.loads(ds.attrs["parameters"])
    c = velocity_component(p)
    fig, ax = figure(3)
    x = ds.x.values
    for s, n in enumerate(names):
        for a, y in zip(ax, (ds.density.values[-1, :, s], ds.velocity.values[-1, :, s, c],
                             ds.temperature.values[-1, :, s])):
            a.plot(x, y, ".-", ms=3, label=n)
    if p["initial"]["kind"] == "riemann" and len(names) == 1:
        xe = np.linspace(0, p["space"]["length"], 1001)
        rho, u, pr = euler_state(ds, p, xe)
        m = float(np.atleast_1d(ds.attrs["masses"])[0])
        for a, y in zip(ax, (rho / m, u, pr * m / rho)):
            a.plot(xe, y, "k-", lw=0.8, label="Euler, exact")
    for a, title in zip(ax, ("density", f"velocity u_{'xy'[c]}", "temperature")):
        a.set(xlabel="x", title=f"{title}, t = {float(ds.t_step[-1]):.4g}")
    ax[0].legend(fontsize=8)
    return fig



def velocity_component(p: dict) -> int:
    """0 (u_x), or 1 (u_y) where diffuse walls move: the wall velocity is along y."""
    sp = p["space"]
    return int(sp["boundary"] == "diffuse" and any(v != 0 for v in sp["wall_velocity"]))


def totals_figure(ds):
    """Relative drift of the totals and the change of H at every step."""
    t = ds.t_step.values
    fig, ax = figure(2)
    for key in ("mass", "energy"):
        v = ds[key].values.reshape(len(t), -1)
        ax[0].semilogy(t, np.abs(v / v[0] - 1).max(1) + 1e-17, label=key)
    ax[0].set(xlabel="t", title="relative drift of the totals")
    ax[0].legend(fontsize=8)
    ax[1].plot(t[1:], np.diff(ds.H_mixture.values))
    ax[1].axhline(0, color="k", lw=0.5)
    ax[1].set(xlabel="t", title="H(t_{n+1}) - H(t_n) (<= 0: H-theorem)")
    return fig


def standard_figures(ds, outdir, prefix: str = "") -> list[Path]:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    figs = {"distributions": distribution_figure(ds)}
    if "x" in ds.dims:
        figs.update(xt=xt_figure(ds), profiles=profiles_figure(ds), totals=totals_figure(ds))
    else:
        figs["relaxation"] = relaxation_figure(ds)
    paths = []
    for name, fig in figs.items():
        paths.append(outdir / f"{prefix}{name}.png")
        fig.savefig(paths[-1], dpi=110)
    return paths
