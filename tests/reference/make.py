"""Regenerate the reference outputs: ``python tests/reference/make.py``.

Each reference is validated against its analytic solution by
tests/test_regression.py before it is used to catch regressions.
"""
from pathlib import Path

import physim

HERE = Path(__file__).parent

if __name__ == "__main__":
    for case in sorted(HERE.glob("*.toml")):
        out = physim.run(case, case.with_suffix(".h5"), overwrite=True, progress="none")
        print(out, out.stat().st_size // 1024, "kB")
