"""The solver contract (physim.solvers.contract): every solver declares it, the runner
refuses what does not follow it; analysis of samples physim did not write."""
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import physim
from physim.solvers import SOLVERS, contract, get_solver

CASES = Path(__file__).resolve().parents[1] / "cases"
ONE_PER_SOLVER = {"nlse": "nlse/soliton.toml", "active": "active/trap_aoup.toml",
                  "boltzmann": "boltzmann/bkw_2d.toml", "peccary": "peccary/sine.toml",
                  "boltzmann_1d": "boltzmann/wave_1d.toml",
                  "gnlse": "nlse/dudley_supercontinuum.toml"}


@pytest.mark.parametrize("name", sorted(ONE_PER_SOLVER))
def test_every_solver_follows_the_contract(name):
    from physim.runner import _simulation
    from physim.parallel import SerialComm
    params = physim.Case(CASES / ONE_PER_SOLVER[name]).params
    module = get_solver(params["solver"])
    sim, _ = _simulation(module, params, SerialComm())
    assert isinstance(sim, contract.Simulation)
    assert contract.Simulation in type(sim).__mro__  # declared, not only duck-typed
    assert all(v == 0 for v in sim.stats().values())  # the same keys as at the end
    assert isinstance(sim.record_sizes(), dict)
    if getattr(sim, "distributed", False):
        assert sim.split_dim
    for var in sim.variables().values():
        assert var.dims[0] in ("time", "t_step") and "long_name" in var.attrs
    # one convention: every numeric 1-D coordinate ascends (sel with slices works)
    for cname, (dims, values, attrs) in sim.coords().items():
        v = np.asarray(values)
        if v.ndim == 1 and v.size > 1 and np.issubdtype(v.dtype, np.number):
            assert np.all(np.diff(v) > 0), f"{name}: coordinate {cname} is not ascending"


def test_registry_names_every_solver_package():
    from physim.inputs import declared_for
    for name in SOLVERS:
        module = get_solver(name)
        assert hasattr(module, "SCHEMA") and hasattr(module, "Simulation")
        # INPUTS: a dict, or a callable of the case (the Boltzmann f_<species>)
        for spec in declared_for(getattr(module, "INPUTS", {}), {"solver": name}).values():
            assert spec.section in module.SCHEMA.sections


def test_a_simulation_that_breaks_the_contract_is_named():
    class Half:
        times = np.zeros(2)

        def coords(self):
            return {}

    with pytest.raises(TypeError, match="Half does not follow physim.solvers.contract"
                       ".Simulation: it lacks variables, restart_variables"):
        contract.check(Half())


def test_epr_of_samples_physim_did_not_write(tmp_path):
    from physim.analysis.epr import entropy_production
    out = physim.run(CASES / "active/trap_aoup.toml", tmp_path / "trap.h5", progress="none",
                     time={"end": 20.0})
    with physim.open(out) as ds:
        ds = ds.load()
    foreign = xr.Dataset({"position": ds.position, "propulsion": ds.propulsion})
    with pytest.raises(ValueError, match="not an output of physim's active solver .* pass case="):
        entropy_production(foreign)
    a = entropy_production(ds)
    b = entropy_production(foreign, case=physim.Case(CASES / "active/trap_aoup.toml",
                                                     time={"end": 20.0}))
    assert float(a.epr) == float(b.epr)
