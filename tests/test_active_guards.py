"""Stability guards of the active solver: Euler-Maruyama bounds refused before the run
(one line naming the key and the largest allowed dt, nothing written), inf refused,
close packing warned, a run that leaves its physical range stopped with its snapshots
kept, and the neural score refusing v0 = 0."""
import logging

import pytest
import xarray as xr

import physim
from physim.cases import CaseError
from physim.runner import RunError


def _trap(**sets):
    case = {"solver": "active", "model": {"kind": "aoup", "v0": 1.0, "gamma": 0.5, "epsilon": 0.1},
            "interaction": {"kind": "none"}, "system": {"N": 50, "L": 200.0, "trap": 1.0},
            "initial": {"seed": 3, "spread": 1.0}, "time": {"dt": 0.001, "end": 1.0},
            "output": {"every": 0.5}}
    for key, v in sets.items():
        sec, k = key.split("__")
        case[sec][k] = v
    return case


def _soft(**sets):
    case = {"solver": "active", "model": {"kind": "aoup", "v0": 0.3, "gamma": 0.1, "epsilon": 0.1},
            "interaction": {"kind": "soft", "k": 2.5}, "system": {"N": 64, "L": 60.0, "trap": 0.05},
            "initial": {"seed": 7, "spread": 3.0}, "time": {"dt": 0.04, "end": 8.0},
            "output": {"every": 4.0}}
    for key, v in sets.items():
        sec, k = key.split("__")
        case[sec][k] = v
    return case


@pytest.mark.parametrize("case, key, largest", [
    (_trap(time__dt=3.0, time__end=6.0, output__every=3.0), "system.trap", "use dt <= 1"),
    (_trap(system__trap=3000.0), "system.trap", "use dt <= 0.0003333"),
    (_soft(interaction__k=250.0), "interaction.k", "use dt <= 0.001333"),  # k dt = 10
    (_soft(time__dt=0.16, output__every=4.0), "interaction.k", "use dt <= 0.1333"),
    (_soft(model__v0=30.0, interaction__k=0.5), "model.v0/epsilon", "use dt <= 0.007079"),
])
def test_unstable_step_is_refused_in_one_line(case, key, largest, tmp_path):
    out = tmp_path / "r.h5"
    with pytest.raises(CaseError) as err:
        physim.run(case, out, progress="none")
    assert len(err.value.problems) == 1
    line = err.value.problems[0]
    assert line.startswith(key) and largest in line and "too large" in line, line
    assert not out.exists() and not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("sec, key", [("model", "gamma"), ("model", "v0"), ("system", "L"),
                                      ("time", "end")])
def test_inf_is_refused(sec, key, tmp_path):
    case = _trap()
    case[sec][key] = float("inf")
    with pytest.raises(CaseError) as err:
        physim.run(case, tmp_path / "r.h5", progress="none")
    assert err.value.problems == [f"{sec}.{key}: " + err.value.problems[0].split(": ", 1)[1]]
    assert "finite" in err.value.problems[0] and "inf" in err.value.problems[0]
    assert not list(tmp_path.iterdir())


def test_above_close_packing_is_warned(caplog):
    from physim.runner import validate
    case = _soft(system__phi=0.95, system__L=0.0, system__trap=0.0)
    with caplog.at_level(logging.WARNING, logger="physim"):
        validate(case)
    lines = [r.getMessage() for r in caplog.records if "close packing" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("system.phi: 0.95") and "\n" not in lines[0]


def test_accuracy_band_warns_but_runs(caplog):
    from physim.runner import validate
    with caplog.at_level(logging.WARNING, logger="physim"):
        validate(_trap(time__dt=0.5, output__every=0.5))
    assert any(r.getMessage().startswith("system.trap: A dt = 0.5") for r in caplog.records)


def test_stable_run_near_the_bound_completes(tmp_path):
    """k dt = 0.3 (bound 1/3): the force guard stays quiet and the run completes."""
    out = physim.run(_soft(time__dt=0.12, output__every=1.2, time__end=12.0), tmp_path / "s.h5",
                     progress="none")
    with xr.open_dataset(out) as ds:
        assert ds.attrs["status"] == "completed" and ds.sizes["time"] == 11


def test_run_that_leaves_its_range_stops_and_keeps_its_snapshots(tmp_path):
    """WCA ABPs at dt = 3e-3 (the WCA bound is only warned: its curvature has no upper
    limit): forces jump by orders of magnitude per step but stay finite; the guard stops
    the run at its first snapshot after the blow-up, naming the dt to use."""
    case = {"solver": "active", "model": {"kind": "abp", "v0": 1.0, "Dr": 1.0},
            "interaction": {"kind": "wca"}, "system": {"N": 400, "phi": 0.7},
            "time": {"dt": 0.003, "end": 3.0}, "output": {"every": 0.003}}
    with pytest.raises(RunError, match=r"pair forces not resolved at t = .*time.dt = 0.003 too "
                                       r"large, use dt <= 0.000731") as err:
        physim.run(case, tmp_path / "b.h5", progress="none")
    with xr.open_dataset(tmp_path / "b.h5") as ds:
        assert ds.attrs["status"].startswith("failed: pair forces not resolved")
        assert ds.sizes["time"] >= 2  # the snapshots before the stop are kept
    assert "snapshots written so far" in str(err.value)


def test_neural_score_refuses_v0_zero(tmp_path):
    from physim.analysis.epr.neural import train_neural_score
    case = {"solver": "active", "model": {"kind": "aoup", "v0": 0.0, "gamma": 1.0},
            "interaction": {"kind": "soft"}, "system": {"N": 16, "phi": 0.3},
            "time": {"dt": 0.01, "end": 1.0}, "output": {"every": 0.1}}
    ds = xr.open_dataset(physim.run(case, tmp_path / "e.h5", progress="none"),
                         engine="h5netcdf").load()
    with pytest.raises(ValueError, match=r"^model.v0 = 0.0: the neural score needs v0 > 0") as err:
        train_neural_score(ds)
    assert "\n" not in str(err.value)


def test_particles_leaving_the_trap_stop_the_run():
    """The trap guard itself (A dt <= 1 is refused before, so a real escape needs a
    failure elsewhere): a state spread far beyond 10x the stationary variance stops."""
    import numpy as np
    from physim.integrate import IntegrationError
    from physim.runner import validate
    from physim.solvers.active.simulation import Simulation, trap_variance_bound
    sim = Simulation(validate(_trap()))
    states = [sim._initial(0)]
    c = sim.L / 2
    sim._trap_bound = bound = trap_variance_bound(sim.params, sim.N, states, c, sim.L)
    x, _, _ = states[0]
    start = float(((x - c) ** 2).mean())  # spread = 1: about 1 per axis
    assert bound == pytest.approx(10 * max(start, 0.1 + 1 / 1.5))  # eps/A + v0^2/(A(A+gamma))
    sim._in_range(x, None, None, 0.5, 0)  # in range: no stop
    far = (c + 10 * (x - c)) % sim.L
    with pytest.raises(IntegrationError, match=r"particles left the trap at t = 0.5: .*"
                                               r"time.dt = 0.001 too large\? use dt <= 0.0005"):
        sim._in_range(far, None, None, 0.5, 0)
