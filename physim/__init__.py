"""physim: simulate and analyse physical systems through their entropy."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("physim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from .io import open  # noqa: E402,A001
from .runner import run  # noqa: E402

__all__ = ["run", "open", "__version__"]
