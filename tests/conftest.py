import os
from pathlib import Path

import pytest

# the solver pins BLAS itself; this keeps numpy imports from spawning idle threads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def pytest_configure(config):
    # The ranks of one mpiexec (tests/parallel) share /tmp/pytest-of-<user>, and pytest's
    # clean-up of old numbered folders at exit races between them (FileNotFoundError on
    # 'pytest-current'): each rank gets a base folder of its own instead.
    rank = os.environ.get("PMI_RANK") or os.environ.get("OMPI_COMM_WORLD_RANK")
    if rank is not None and not config.option.basetemp:
        import tempfile
        config.option.basetemp = os.path.join(
            tempfile.gettempdir(), f"physim-tests-{os.getppid()}-rank{rank}")


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="run the slow validations too")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
