"""The resolution guards: an under-resolved velocity grid stops the run in one line naming
the fix, the output so far stays readable, and numerics.allow_underresolved runs on."""
import logging

import numpy as np
import pytest

import physim
from physim.cases import CaseError
from physim.runner import RunError
from physim.solvers.boltzmann.resolution import ResolutionGuard, edge_problem
from physim.solvers.boltzmann.velocity import VelocityGrid


def bkw(d, N, L, span, **numerics):
    """BKW from t0 (6.5 in 3-D, 1 in 2-D) for ``span`` time units (time.end = t0 + span)."""
    t0 = 6.5 if d == 3 else 1.0
    return {"solver": "boltzmann", "velocity": {"d": d, "N": N, "L": L},
            "collision": {"method": "general"} if d == 3 else {},
            "initial": {"kind": "bkw", "t0": t0},
            "time": {"dt": 0.1, "end": t0 + span}, "numerics": numerics}


def test_small_box_stops_before_any_step(tmp_path):
    """2-D BKW with L = 8 (its error plateaus at 1e-8, against 1e-12 with L = 10): f at R/2
    is 1.8e-4 of its maximum."""
    out = tmp_path / "l8.h5"
    with pytest.raises(RunError, match=r"initial state\): f_gas reaches 0.00018 of its maximum "
                       r"at R/2 = 3.62 .*truncation radius R = 7.25.*use a larger velocity.L "
                       r"\(or set numerics.allow_underresolved = true"):
        physim.run(bkw(2, 32, 8.0, 0.2), out, progress="none")
    assert physim.open(out).attrs["status"].startswith("failed: under-resolved")
    # the shipped L = 10 case passes
    physim.run(bkw(2, 32, 10.0, 0.2), tmp_path / "l10.h5", progress="none")


def test_allow_underresolved_runs_on_with_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="physim"):
        out = physim.run(bkw(2, 32, 8.0, 0.3, allow_underresolved=True), tmp_path / "a.h5",
                         progress="none")
    assert physim.open(out).attrs["status"] == "completed"
    warned = [r for r in caplog.records if "under-resolved" in r.getMessage()]
    assert len(warned) == 1 and "running on" in warned[0].getMessage()


def test_coarse_3d_grid_stops_on_negative_f_and_keeps_the_steps(tmp_path):
    """3-D BKW at N = 16: f < 0 beyond the resolved runs' -2.5e-4 after two steps."""
    out = tmp_path / "n16.h5"
    with pytest.raises(RunError, match=r"t = 6.7\): f_gas down to -0.0013 of its maximum "
                       r"\(accepted: -0.001\).*use a larger velocity.N"):
        physim.run(bkw(3, 16, 8.0, 1.0, support_tolerance=1e-2), out, progress="none")
    ds = physim.open(out)
    assert ds.sizes["t_step"] >= 3 and np.isfinite(ds.H_mixture.values).all()


def test_h_rise_and_edge_are_reported():
    """The H-theorem check (homogeneous) and the box's faces, on made-up states."""
    g = VelocityGrid(2, 32, 8.0)
    p = {"numerics": {"allow_underresolved": False, "support_tolerance": 1.0},
         "scheme": {"kind": "full"}, "velocity": {"R": 0.0}}
    guard = ResolutionGuard(p, ["gas"], [g], homogeneous=True)
    guard.initial([g.maxwellian(1.0, [0, 0], 1.0)])
    u = np.array([1.0, 0.0])  # the same n, u, T, but two beams: a higher H
    beams = 0.5 * (g.maxwellian(1.0, u, 0.001) + g.maxwellian(1.0, -u, 0.001))
    with pytest.raises(Exception, match=r"H_mixture rose by .* per particle in one step.*"
                       r"use a larger velocity.N"):
        guard.step([np.maximum(beams, 0)], 1.0)
    wide = g.maxwellian(1.0, [0, 0], 9.0)
    assert "use a larger velocity.L" in edge_problem("gas", wide, g, "velocity.L")
    assert edge_problem("gas", g.maxwellian(1.0, [0, 0], 1.0), g, "velocity.L") is None


def test_numerics_keys_are_checked_and_documented():
    from physim.solvers.boltzmann.schema import SECTIONS
    assert "allow_underresolved" in SECTIONS["numerics"]
    with pytest.raises(CaseError, match="numerics.allow_underresolved"):
        physim.run(bkw(2, 32, 10.0, 0.2, allow_underresolved="yes"), "never.h5")
    with pytest.raises(CaseError, match="numerics.support_tolerance"):
        physim.run(bkw(2, 32, 10.0, 0.2, support_tolerance=0.0), "never.h5")
