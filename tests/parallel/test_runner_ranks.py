"""Under mpiexec with several ranks, a solver that is not distributed refuses to start."""
from pathlib import Path

import pytest

import physim
from physim.parallel import get_comm
from physim.runner import RunError

CASE = Path(__file__).resolve().parents[2] / "cases" / "nlse" / "soliton.toml"


def test_serial_solver_refuses_several_ranks(tmp_path):
    if get_comm().size == 1:
        pytest.skip("needs more than one rank")
    with pytest.raises(RunError, match="does not run on several MPI ranks yet"):
        physim.run(CASE, tmp_path / "x.h5")
