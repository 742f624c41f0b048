"""The GNLSE's transforms: unscaled 1-D c2c and r2c/c2r of one size, on fixed buffers.

Two backends with one interface (``numerics.fft``):

* ``scipy``: ``scipy.fft`` (pocketfft), one thread, a fresh output per call.
* ``pyfftw``: FFTW plans made once per model with ``FFTW_MEASURE`` on SIMD-aligned
  buffers, executed in place of the buffers with no Python dispatch. FFTW_MEASURE times
  candidate algorithms (~0.2 s per plan at N = 2^13), so the plans are kept as FFTW
  wisdom in a file (:func:`wisdom_path`) and later runs plan at once; the same wisdom
  also makes a restarted or repeated run pick the same algorithms, so it repeats bitwise.

Both transforms are unscaled (Σ_j x_j e^{∓2πijm/N}): the model folds 1/N into its
tables. The calls work on the backend's buffers: write the spectrum to ``spec`` and the
intensity to ``real`` before :meth:`backward` and :meth:`rforward`; an array returned by
a call may be a buffer that the next call of the same kind overwrites.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy.fft as sfft

BACKENDS = ("auto", "scipy", "pyfftw")


def pyfftw_core():
    """pyFFTW's compiled core (FFTW, the wisdom calls, aligned arrays), loaded by path
    without the package's ``__init__``: that imports scipy.fftpack and, where dask is
    installed, dask.array for pyFFTW's interfaces, 0.5-0.9 s of every run's start-up
    against 6 ms for the core. The core is registered as ``pyfftw.pyfftw``, the name the
    package imports it by, so a later ``import pyfftw`` uses the same module. ImportError
    when pyFFTW is not installed (or ``sys.modules['pyfftw']`` is None)."""
    if "pyfftw" in sys.modules:         # imported already, or blocked (None)
        import pyfftw
        return pyfftw
    core = sys.modules.get("pyfftw.pyfftw")
    if core is not None:
        return core
    spec = importlib.util.find_spec("pyfftw")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("No module named 'pyfftw'")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = Path(spec.submodule_search_locations[0]) / f"pyfftw{suffix}"
        if path.is_file():
            break
    else:                               # another layout: the package as it is
        import pyfftw
        return pyfftw
    core_spec = importlib.util.spec_from_file_location("pyfftw.pyfftw", path)
    core = importlib.util.module_from_spec(core_spec)
    sys.modules["pyfftw.pyfftw"] = core
    try:
        core_spec.loader.exec_module(core)
    except BaseException:
        del sys.modules["pyfftw.pyfftw"]
        raise
    return core


def have_pyfftw() -> bool:
    try:
        pyfftw_core()
    except ImportError:
        return False
    return True


def resolve(kind: str) -> str:
    """The backend ``kind`` ('auto': pyfftw when it imports, else scipy) names."""
    if kind not in BACKENDS:
        raise ValueError(f"numerics.fft = {kind!r}; expected one of {BACKENDS}")
    if kind == "auto":
        return "pyfftw" if have_pyfftw() else "scipy"
    return kind


def make(kind: str, n: int):
    return FFTWTransforms(n) if resolve(kind) == "pyfftw" else ScipyTransforms(n)


class ScipyTransforms:
    name = "scipy"

    def __init__(self, n: int):
        self.n = n
        self.spec = np.empty(n, dtype=np.complex128)
        self.real = np.empty(n)

    def backward(self):
        """Σ_m spec_m e^{+2πijm/N}."""
        return sfft.ifft(self.spec, norm="forward")

    def forward(self, x):
        """Σ_j x_j e^{−2πijm/N}; x may be destroyed."""
        return sfft.fft(x, overwrite_x=True)

    def rforward(self):
        return sfft.rfft(self.real)

    def rbackward(self, s):
        """The real inverse of the half spectrum s, unscaled; s may be destroyed."""
        return sfft.irfft(s, n=self.n, norm="forward", overwrite_x=True)


def wisdom_path() -> Path:
    """Where FFTW wisdom is kept: $PHYSIM_FFTW_WISDOM, else one file per CPU model in
    $XDG_CACHE_HOME/physim (~/.cache/physim): wisdom is a choice of algorithms timed on
    one CPU, and a shared home may span several."""
    given = os.environ.get("PHYSIM_FFTW_WISDOM")
    if given:
        return Path(given)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh
                        if ln.startswith("model name")), cpu)
    except OSError:
        pass
    tag = hashlib.sha1(f"{platform.machine()} {cpu}".encode()).hexdigest()[:12]
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "physim" / f"fftw-wisdom-{tag}"


def _import_wisdom(pyfftw, path: Path) -> None:
    try:
        data = path.read_bytes()
    except OSError:
        return
    pyfftw.import_wisdom((data, b"", b""))   # a damaged file only means planning anew


def _export_wisdom(pyfftw, path: Path) -> None:
    data = pyfftw.export_wisdom()[0]
    try:
        if path.exists() and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)   # atomic: ranks planning at once never leave half a file
    except OSError:
        pass                     # a read-only cache costs only the planning time


class FFTWTransforms:
    name = "pyfftw"

    def __init__(self, n: int):
        pyfftw = pyfftw_core()
        self.n = n
        al = pyfftw.empty_aligned
        self.spec = al(n, dtype=np.complex128)
        self._time = al(n, dtype=np.complex128)
        self._out = al(n, dtype=np.complex128)
        self.real = al(n, dtype=np.float64)
        self._half = al(n // 2 + 1, dtype=np.complex128)
        self._conv = al(n, dtype=np.float64)
        path = wisdom_path()
        _import_wisdom(pyfftw, path)
        flags = ("FFTW_MEASURE",)
        # FFTW_MEASURE overwrites the buffers while timing: plan before any data is in
        self._bwd = pyfftw.FFTW(self.spec, self._time, direction="FFTW_BACKWARD",
                                flags=flags, threads=1)
        self._fwd = pyfftw.FFTW(self._time, self._out, direction="FFTW_FORWARD",
                                flags=flags, threads=1)
        self._rfwd = pyfftw.FFTW(self.real, self._half, flags=flags, threads=1)
        self._rbwd = pyfftw.FFTW(self._half, self._conv, direction="FFTW_BACKWARD",
                                 flags=flags + ("FFTW_DESTROY_INPUT",), threads=1)
        _export_wisdom(pyfftw, path)

    def backward(self):
        self._bwd.execute()
        return self._time

    def forward(self, x):
        if x is not self._time:
            self._time[:] = x
        self._fwd.execute()
        return self._out

    def rforward(self):
        self._rfwd.execute()
        return self._half

    def rbackward(self, s):
        if s is not self._half:
            self._half[:] = s
        self._rbwd.execute()
        return self._conv
