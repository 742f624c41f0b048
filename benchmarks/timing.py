"""Timing helper shared by the benchmark scripts (run them from the repository root)."""
import time


def best(fn, reps: int = 3, warmup: bool = False) -> float:
    """The shortest of ``reps`` wall times of ``fn()`` (after one untimed call if ``warmup``)."""
    if warmup:
        fn()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)
