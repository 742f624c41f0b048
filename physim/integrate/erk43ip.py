"""ERK4(3)-IP: the fourth-order Runge–Kutta interaction-picture method (RK4IP, Hult,
J. Lightwave Technol. 25, 3770 (2007)) with the embedded third-order solution and
step-size control of Balac & Mahé, Comput. Phys. Commun. 184, 1211 (2013) — the
adaptive scheme of the fibre-optics codes (gnlse-python's peers, Dudley's SCG code).

For u' = L u + N(t, u) with a diagonal L whose propagator e^{L h} is exact
(``model.factor(h)``, an array) and the nonlinear part N (``model.nonlinear_rhs``), one
step from (t, u) of size h is, with P = e^{L h/2}:

    u_I = P u,   k1 = P N(t, u)  (N(t, u) is the previous step's k5: first same as last)
    k2 = N(t + h/2, u_I + h/2 k1),   k3 = N(t + h/2, u_I + h/2 k2)
    k4 = N(t + h, P (u_I + h k3)),   b = P (u_I + h/6 (k1 + 2 k2 + 2 k3))
    u4 = b + h/6 k4,   k5 = N(t + h, u4),   u3 = b + h/30 (2 k4 + 3 k5)

so u4 − u3 = h/10 (k4 − k5); four evaluations of N per step. The error ‖u4 − u3‖ is
measured as DOP853's (rms over the components of |e|/(atol + rtol max(|u|, |u4|)), the
norm a ``norm`` object reduces), and h is scaled by safety·err^(−1/4) within the
controller's factor limits.

There is no dense output: a caller that needs values at given times stops the steps there
(``stop_at``; ``needs_stops = True``). ``checkpoint()`` is the state after the last
accepted step (t, u, N(t, u), the next trial step), so a restored stepper continues bit for
bit.
"""
from __future__ import annotations

import numpy as np

from . import _kernels
from .dop853 import (DOP853, HAIRER_CONTROLLER, Checkpoint, Controller, IntegrationError,
                     LocalNorm, Stats, first_step_of, step_level)


class ERK43IP:
    """Integrate u' = L u + N(t, u) from t0 to t_end with ERK4(3)-IP, one accepted step per
    call. ``model``: ``factor(h)`` = e^{L h} (diagonal, an array like u) and
    ``nonlinear_rhs(t, u, out=None)`` = N(t, u), into ``out`` or a new array (u is scratch
    the stepper reuses). A model with a ``stage_buffer`` (its transform's input array)
    gets the stage arguments written there, so it need not copy them in."""

    order = 4
    needs_stops = True

    def __init__(self, model, t0: float, y0: np.ndarray, t_end: float, *, rtol: float = 1e-6,
                 atol: float = 1e-9, first_step: float | None = None,
                 max_step: float = np.inf, controller: Controller = HAIRER_CONTROLLER,
                 norm=None, max_steps: int | None = None):
        if t_end <= t0:
            raise ValueError(f"t_end={t_end} must be greater than t0={t0}")
        if not (rtol > 0 and atol >= 0):
            raise ValueError(f"need rtol > 0 and atol >= 0, got rtol={rtol}, atol={atol}")
        if not max_step > 0:
            raise ValueError(f"max_step={max_step} must be positive")
        self.model = model
        # the model's e^{L h/2} is reused while h stays on one rung (DOP853's step_levels)
        self._levels = int(getattr(model, "step_levels", 0) or 0)
        self.t, self.t_end = float(t0), float(t_end)
        self.rtol, self.atol = float(rtol), float(atol)
        self.max_step, self.ctrl, self.max_steps = float(max_step), controller, max_steps
        self.y = np.array(y0, dtype=np.complex128, copy=True)
        self.norm = norm if norm is not None else LocalNorm(self.y.size)
        # uI, k1, k2, k3, k4, the stage argument and the error's scratch: reused every step
        self._work = [np.empty_like(self.y) for _ in range(5)]
        buffer = getattr(model, "stage_buffer", None)
        self._work.append(np.empty_like(self.y) if buffer is None else buffer)
        self._err = np.empty(2 * self.y.size)
        self.stats = Stats()
        self.t_stop = None
        self.f = self._call(self.t, self.y)
        self.h_abs = first_step_of(self, first_step, t0, t_end)

    def _call(self, t, y, out=None):
        self.stats.nfev += 1
        if out is None:
            return self.model.nonlinear_rhs(t, y)
        return self.model.nonlinear_rhs(t, y, out=out)

    def _rms(self, x) -> float:
        return float(np.sqrt(self.norm.sum_sq(x) / self.norm.size))

    def _initial_step(self) -> float:
        scale = self.atol + self.rtol * np.abs(self.y)
        d0, d1 = self._rms(self.y / scale), self._rms(self.f / scale)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        return min(h0, self.t_end - self.t, self.max_step)

    # the same as DOP853's: steps end exactly at t_stop, none crosses it
    stop_at = DOP853.stop_at
    done = DOP853.done

    def _try(self, t, y, h):
        m, w = self.model, self._work
        half = 0.5 * h
        e = m.factor(half)
        uI, k1, k2, k3, k4, x = w
        _kernels.erk_start(e, y, self.f, half, uI, k1, x)
        self._call(t + half, x, k2)
        _kernels.axpy_into(uI, half, k2, x)
        self._call(t + half, x, k3)
        _kernels.scaled_axpy_into(e, uI, h, k3, x)
        self._call(t + h, x, k4)
        u4 = _kernels.erk_end(e, uI, k1, k2, k3, k4, h / 6, np.empty_like(y))
        k5 = self._call(t + h, u4)
        r = _kernels.erk_error(y, u4, k4, k5, h / 10, self.atol, self.rtol, self._err)
        err = float(np.sqrt(self.norm.sum_sq(r) / self.norm.size))
        return u4, k5, err

    def step(self) -> None:
        """Take one accepted step (retrying rejected ones); raise IntegrationError."""
        if self.done:
            raise IntegrationError("the integration already reached t_end")
        if self.max_steps is not None and self.stats.naccept >= self.max_steps:
            raise IntegrationError(f"max_steps={self.max_steps} reached at t={self.t:.6g}")
        t, y, ctrl = self.t, self.y, self.ctrl
        stop = self.t_end if self.t_stop is None else min(self.t_stop, self.t_end)
        min_step = 10 * abs(np.nextafter(t, np.inf) - t)
        h_abs = max(min(self.h_abs, self.max_step), min_step)
        rejected = False
        while True:
            h_step = step_level(h_abs, self._levels) if self._levels else h_abs
            h = min(h_step, stop - t)
            clipped = h < h_step
            u4, k5, err = self._try(t, y, h)
            if not np.isfinite(err):
                factor = ctrl.min_factor
            elif err == 0:
                factor = ctrl.max_factor
            else:
                factor = min(ctrl.max_factor, max(ctrl.min_factor,
                                                  ctrl.safety * err ** -0.25))
            if err <= 1:
                break
            self.stats.nreject += 1
            rejected = True
            h_abs = h * factor
            if h_abs < min_step:
                raise IntegrationError(f"step size underflow at t={t:.6g} (h={h_abs:.3g})")
        self.stats.naccept += 1
        t_new = stop if clipped or t + h >= stop else t + h
        self.t, self.y, self.f = t_new, u4, k5
        if self.t_stop is not None and self.t >= self.t_stop:
            self.t_stop = None
        # a step cut short by a stop keeps the trial step it would have taken
        grow = min(1.0, factor) if rejected else factor
        self.h_abs = h_abs if clipped else h * grow

    def dense(self, t):  # pragma: no cover - callers stop at their output times
        raise IntegrationError("ERK4(3)-IP has no dense output: stop the steps at the "
                               "output times (stop_at)")

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(t=self.t, y=self.y.copy(), f=self.f.copy(), h_abs=self.h_abs,
                          facold=0.0, stats=self.stats.as_dict())

    def restore(self, cp: Checkpoint) -> None:
        self.t = float(cp.t)
        self.y = np.array(cp.y, dtype=np.complex128, copy=True)
        self.f = np.array(cp.f, dtype=np.complex128, copy=True)
        self.h_abs = float(cp.h_abs)
        self.stats = Stats(**cp.stats)
        self.t_stop = None
