"""The GNLSE's transforms (numerics.fft): each backend against numpy.fft, the fused
right-hand side against the GNLSE written out with numpy, scipy and pyFFTW runs side by
side, FFTW wisdom kept on disk, and the one-line refusal when pyFFTW is missing."""
import subprocess
import sys

import numpy as np
import pytest

import physim
from physim.api import Case
from physim.solvers.nlse.fibre import model as fm
from physim.solvers.nlse.fibre import fft as ffts

CASE = "cases/nlse/dudley_supercontinuum.toml"
BACKENDS = ["scipy", pytest.param("pyfftw", marks=pytest.mark.skipif(
    not ffts.have_pyfftw(), reason="pyFFTW is not installed (the fftw extra)"))]


@pytest.fixture(autouse=True)
def _wisdom(tmp_path, monkeypatch):
    monkeypatch.setenv("PHYSIM_FFTW_WISDOM", str(tmp_path / "wisdom"))


def dudley(N=1024, window=2.0, **over):
    return Case(CASE, overrides=[f"grid.N={N}", f"grid.window={window}",
                                 *(f"{k}={v}" for k, v in over.items())])


@pytest.mark.parametrize("kind", BACKENDS)
def test_transforms_match_numpy_unscaled(kind):
    n = 2048
    rng = np.random.default_rng(1)
    T = ffts.make(kind, n)
    c = rng.normal(size=n) + 1j * rng.normal(size=n)
    T.spec[:] = c
    x = T.backward().copy()
    assert np.max(np.abs(x - np.fft.ifft(c) * n)) < 1e-12 * np.abs(c).sum()
    y = T.forward(x.copy())
    assert np.max(np.abs(y - n * c)) < 1e-12 * n * np.abs(c).max() * np.sqrt(n)
    r = rng.normal(size=n)
    T.real[:] = r
    h = T.rforward().copy()
    assert np.max(np.abs(h - np.fft.rfft(r))) < 1e-12 * np.abs(r).sum()
    back = T.rbackward(h.copy())
    assert np.max(np.abs(back - n * r)) < 1e-11 * n * np.abs(r).max()


def numpy_rhs(m, v, tau):
    """e^{−Dτ} iγ(1 + τ_s ω) s F[B((1−f_R)|B|² + f_R h_R∗|B|²)], B = F⁻¹[s e^{Dτ} v], in
    numpy.fft's normalisation (F = fft/N): the GNLSE's interaction-picture right-hand
    side written out once, independently of the fused passes."""
    s = m.area_weight if m.area_weight is not None else 1.0
    mask = m.mask
    B = np.fft.ifft(np.exp(m.D * tau) * v * s * mask) * m.N
    I = np.abs(B) ** 2
    if m.H is not None:
        conv = np.fft.irfft(np.fft.rfft(I) / m.N * m.H, n=m.N) * m.N
        B = B * ((1 - m.fraction) * I + m.fraction * conv)
    else:
        B = B * I
    return np.exp(-m.D * tau) * m.G * np.fft.fft(B) / m.N


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("variant", ["raman", "kerr_dealias", "loss", "area"])
def test_fused_rhs_against_numpy(kind, variant):
    """The Dudley fibre on 2048 points, with Blow-Wood Raman; without Raman but
    dealiased; with a frequency-dependent loss; with an Aeff(omega) table."""
    betas = [-1.1830e-2, 8.1038e-5, -9.5205e-8, 2.0737e-10]
    kw = dict(raman=lambda w: fm.blow_wood_spectrum(w, 0.0122, 0.032), fraction=0.18)
    if variant == "kerr_dealias":
        kw = dict(dealias=2 / 3)
    if variant == "loss":
        kw["alpha"] = lambda w: 0.5 + 1e-3 * (w - 2256.0) ** 2 / 100
    if variant == "area":
        kw["area"] = lambda w: 1.8 * (2256.0 / w) ** 1.5
    m = fm.GNLSE(2048, 3.0, 835.0, betas, 0.11, fft=kind, **kw)
    assert m.transforms.name == kind
    x = m.T / 0.0284
    v = m.to_coeffs(100.0 / np.cosh(x) * np.exp(-0.3j * x * x))
    for tau in (0.0, 3.7e-5, 1e-3):
        m.set_anchor(0.25)
        got = m.rhs_interaction(0.25 + tau, v)
        want = numpy_rhs(m, v, tau)
        assert np.max(np.abs(got - want)) < 1e-12 * np.max(np.abs(want))
    got = m.nonlinear_rhs(0.0, v)
    want = numpy_rhs(m, v, 0.0)
    assert np.max(np.abs(got - want)) < 1e-12 * np.max(np.abs(want))
    assert np.array_equal(m.rhs_lines(0.0, v), m.D * v + got)


@pytest.mark.skipif(not ffts.have_pyfftw(), reason="pyFFTW is not installed (the fftw extra)")
def test_scipy_and_pyfftw_runs_agree(tmp_path):
    """The same supercontinuum step sequence to the tolerance: the backends differ in
    round-off only, and the adaptive steps amplify that no further than rtol allows."""
    out = {}
    for kind in ("scipy", "pyfftw"):
        p = dudley(**{"fibre.length": "0.01", "output.every": "0.005",
                      "numerics.fft": f"'{kind}'"})
        out[kind] = physim.open(p.run(tmp_path / f"{kind}.h5", progress="none")).load()
    a, b = out["scipy"].A.values[-1], out["pyfftw"].A.values[-1]
    assert np.linalg.norm(a - b) / np.linalg.norm(a) < 1e-7
    assert out["pyfftw"].attrs["fft"] == "pyfftw"


@pytest.mark.skipif(not ffts.have_pyfftw(), reason="pyFFTW is not installed (the fftw extra)")
def test_wisdom_is_kept_and_reused(tmp_path):
    path = tmp_path / "wisdom"
    ffts.make("pyfftw", 4096)
    first = path.read_bytes()
    assert b"fftw" in first
    mtime = path.stat().st_mtime_ns
    ffts.make("pyfftw", 4096)                      # all plans from wisdom: nothing new
    assert path.stat().st_mtime_ns == mtime
    path.write_bytes(b"not wisdom")                # a damaged file: plan anew
    T = ffts.make("pyfftw", 4096)
    T.spec[:] = 1.0
    assert T.backward()[0] == pytest.approx(4096)


def test_missing_pyfftw_is_one_line(tmp_path):
    """numerics.fft = 'pyfftw' where pyFFTW cannot import: one problem line naming the key
    and the extra, before any work."""
    code = ("import sys; sys.modules['pyfftw'] = None\n"
            "from physim.cli import main\n"
            f"sys.exit(main(['run', {CASE!r}, '-o', {str(tmp_path / 'x.h5')!r}, "
            "'--set', 'numerics.fft=pyfftw']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    # the CLI's case-error form: a header, then one line per problem
    assert lines[0] == "physim: invalid case:" and len(lines) == 2
    assert "numerics.fft" in lines[1] and "physim[fftw]" in lines[1]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "x.h5").exists()


def test_auto_falls_back_to_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyfftw", None)
    assert ffts.resolve("auto") == "scipy"
    with pytest.raises(ValueError, match="numerics.fft"):
        ffts.resolve("fftw3")


class _Unfused:
    """The GNLSE model without its fused-stage hooks (stage_into, stage_buffer): the
    steppers then take their generic path, the reference for the fused one."""

    def __init__(self, model):
        self._m = model

    def __getattr__(self, name):
        if name in ("stage_into", "stage_buffer"):
            raise AttributeError(name)
        return getattr(self._m, name)


def _fused_pair(kind):
    betas = [-1.1830e-2, 8.1038e-5, -9.5205e-8, 2.0737e-10]
    return [fm.GNLSE(1024, 2.0, 835.0, betas, 0.11, fft=kind,
                     raman=lambda w: fm.blow_wood_spectrum(w, 0.0122, 0.032),
                     fraction=0.18) for _ in range(2)]


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("method", ["dop853", "erk43ip"])
def test_fused_stages_take_the_generic_steps_bitwise(kind, method):
    """DOP853's stage_into (the stage sum and the frame's table in one pass, straight into
    the transform's buffer) and ERK4(3)-IP's stage_buffer round exactly as the generic
    path: the same steps and the same state, bit for bit."""
    from physim.integrate import DOP853
    from physim.integrate.erk43ip import ERK43IP
    runs = []
    for m, wrap in zip(_fused_pair(kind), (False, True)):
        x = m.T / 0.0284
        c0 = m.to_coeffs(80.0 / np.cosh(x))
        frame = _Unfused(m) if wrap else m
        if method == "dop853":
            st = DOP853(frame.rhs_interaction, 0.0, c0, 0.01, rtol=1e-6, atol=1e-9,
                        frame=frame, norm=m.norm)
        else:
            st = ERK43IP(frame, 0.0, c0, 0.01, rtol=1e-6, atol=1e-9, norm=m.norm)
        while not st.done:
            st.step()
        runs.append((st.stats.as_dict(), st.y.copy()))
    assert runs[0][0] == runs[1][0] and runs[0][0]["naccept"] > 20
    assert np.array_equal(runs[0][1], runs[1][1])


def test_stage_kernels_against_numpy():
    """stage_sum_times is stage_sum then the product, bit for bit; scaled_errors is
    DOP853's numpy error estimate to the last bit of |.| (complex and real states)."""
    from physim.integrate import _kernels as ik
    from physim.solvers.nlse.fibre import kernels as fk
    rng = np.random.default_rng(3)
    n = 1000                                 # not a multiple of the kernels' block
    K = rng.normal(size=(13, 2 * n))
    y = rng.normal(size=2 * n)
    coef = rng.normal(size=13)
    coef[3] = 0.0
    w = rng.normal(size=n) + 1j * rng.normal(size=n)
    for s in (1, 5, 12):
        ref = np.empty(2 * n)
        ik.stage_sum(y, K, coef, s, 0.37, ref)
        got = ik.stage_sum_times(y, K, coef, s, 0.37, w, np.empty(n, complex))
        # numba's product, as the generic path takes it (numpy's SIMD one may use FMA)
        assert np.array_equal(got, fk.times(w, ref.view(complex)))
    e5, e3 = rng.normal(size=13), rng.normal(size=13)
    y_new = rng.normal(size=2 * n)
    for pairs in (True, False):
        err5, err3 = np.empty(2 * n), np.empty(2 * n)
        ik.scaled_errors(K, e5, e3, 13, y, y_new, 1e-9, 1e-6, pairs, err5, err3)
        a, b = (y.view(complex), y_new.view(complex)) if pairs else (y, y_new)
        scale = 1e-9 + np.maximum(np.abs(a), np.abs(b)) * 1e-6
        if pairs:
            scale = np.repeat(scale, 2)
        for got, e in ((err5, e5), (err3, e3)):
            want = (e @ K) / scale
            # against BLAS's sum (another order): round-off of the 13 terms
            assert np.max(np.abs(got - want)) < 1e-13 * np.max(np.abs(want))


@pytest.mark.skipif(not ffts.have_pyfftw(), reason="pyFFTW is not installed (the fftw extra)")
def test_pyfftw_core_skips_the_package_interfaces():
    """The transforms load pyFFTW's compiled core alone (its package imports
    scipy.fftpack and dask.array, up to 0.9 s); a later ``import pyfftw`` gets the same."""
    code = ("import sys\n"
            "from physim.solvers.nlse.fibre import fft\n"
            "t = fft.make('pyfftw', 256)\n"
            "print('pyfftw.interfaces' in sys.modules, 'dask.array' in sys.modules)\n"
            "import pyfftw\n"
            "print(type(t._fwd) is pyfftw.FFTW)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "True"]
