"""physim: simulate and analyse physical systems through their entropy."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("physim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["run", "open", "Case", "run_sweep", "open_sweep", "__version__"]


def __getattr__(name):
    # imported on first use: `physim --version` and `import physim` stay instant, and a
    # run pays only for the solver it uses
    if name == "run":
        from .runner import run
        return run
    if name == "Case":
        from .api import Case
        return Case
    if name == "open":
        from .io import open
        return open
    if name in ("run_sweep", "open_sweep"):
        from . import sweep
        return sweep.sweep if name == "run_sweep" else sweep.open_sweep
    raise AttributeError(f"module 'physim' has no attribute {name!r}")
