"""Stopping a run cleanly: the signals a scheduler or a user sends, and a wall-clock limit.

While a run is inside :class:`StopRequests`, SIGTERM, SIGINT, SIGHUP and SIGUSR1
(what SLURM, ``scancel``, ``docker stop``, a closed terminal and ``sbatch
--signal=USR1@120`` send) only set a flag: the run stops at the next step
boundary, writes a checkpoint of that step and closes its file. A second signal
while it does so ends the process at once (the file stays readable; only that
checkpoint is lost). SIGXFSZ is ignored, so a write beyond ``ulimit -f`` fails
with an error the run reports instead of killing the process.
"""
from __future__ import annotations

import signal
import threading
import time

SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1")
                if hasattr(signal, n))


class StopRequests:
    """Context manager: ``reason`` is None until a stop is asked for (a signal's name, or
    ``'walltime'`` once ``walltime`` seconds from the start are near)."""

    def __init__(self, walltime: float | None = None):
        self.reason = None
        self.deadline = None if walltime is None else time.monotonic() + walltime
        self._old = {}

    def _handle(self, signum, frame):
        if self.reason is not None and self.reason != "walltime":
            # the second signal: give up the clean stop and act as if we were not here
            self._restore()
            signal.raise_signal(signum)
            return
        self.reason = signal.Signals(signum).name

    def check(self, need: float = 0.0) -> str | None:
        """The reason to stop, if any; ``need``: seconds the stop itself will take."""
        if (self.reason is None and self.deadline is not None
                and time.monotonic() + need >= self.deadline):
            self.reason = "walltime"
        return self.reason

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
            if hasattr(signal, "SIGXFSZ"):
                self._old[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        return self

    def _restore(self):
        for s, h in self._old.items():
            signal.signal(s, h)
        self._old = {}

    def __exit__(self, *exc):
        self._restore()
        return False


WALLTIME_CODE = 1000  # after every signal number


def reason_code(reason: str | None) -> int:
    """A stop reason as a number (0: none), so that ranks can agree on one by a max."""
    if reason is None:
        return 0
    if reason == "walltime":
        return WALLTIME_CODE
    return int(getattr(signal, reason, WALLTIME_CODE + 1))


def reason_name(code: int) -> str | None:
    if code == 0:
        return None
    if code == WALLTIME_CODE:
        return "walltime"
    try:
        return signal.Signals(code).name
    except ValueError:
        return "a stop requested on another rank"


def parse_walltime(text: str) -> float:
    """Seconds from ``SS``, ``MM:SS``, ``HH:MM:SS`` or ``D-HH:MM:SS`` (e.g. ``01:55:00``)."""
    s = str(text).strip()
    try:
        days = 0
        if "-" in s:
            d, s = s.split("-", 1)
            days = int(d)
        parts = [float(p) for p in s.split(":")]
        if not 1 <= len(parts) <= 3 or any(not p >= 0 for p in parts):
            raise ValueError
    except ValueError:
        raise ValueError(f"walltime: {text!r} is not a duration; expected seconds, MM:SS, "
                         "HH:MM:SS or D-HH:MM:SS") from None
    secs = 0.0
    for p in parts:
        secs = secs * 60 + p
    total = days * 86400 + secs
    if total <= 0:
        raise ValueError(f"walltime: {text!r} must be longer than 0 s")
    return total
