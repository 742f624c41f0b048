"""Ending runs the way jobs end: real signals to real process groups (shared by the tests)."""
import os
import signal
import subprocess
import time

from physim.io import complete_records


def wait_for_snapshots(out, snapshots: int, proc=None, timeout: float = 180) -> None:
    """Return once ``out`` holds ``snapshots`` complete snapshots (while ``proc`` runs)."""
    deadline = time.monotonic() + timeout
    while True:
        assert proc is None or proc.poll() is None, \
            f"the run ended before it could be stopped: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "the run never got far enough"
        try:
            if complete_records(out).get("time", 0) >= snapshots:
                return
        except (OSError, KeyError):
            pass  # not laid out yet
        time.sleep(0.01)


def kill_when(cmd, out, sig, snapshots: int, timeout: float = 180, env=None, cwd=None):
    """Start ``cmd`` in a new session, wait until ``out`` holds ``snapshots`` complete
    snapshots, send ``sig`` to the whole process group, and return the finished process
    (``stderr`` as text)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env, cwd=cwd)
    try:
        wait_for_snapshots(out, snapshots, proc, timeout)
        os.killpg(proc.pid, sig)
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.stderr_text = err
    return proc
