"""The README's PECCARY cases table, from the cases' own output (their ordinal_* attributes).

    python benchmarks/peccary_cases_table.py      # about a minute

Runs every cases/peccary/*.toml into a temporary directory and prints the table.
The double pendulum is chaotic: its last digits follow the floating-point path of
the integration (compiler, CPU, library versions), so they can differ by ~0.01
between machines; the energy drift test is the check on the integration.
"""
import tempfile
from pathlib import Path

import xarray as xr

import physim

ROOT = Path(__file__).parents[1]
ROWS = [  # case, series, "n, read at"
    ("sine", "sin(2πk/100.37)", "5, t_pat = 0.4 t_nat"),
    ("sines", "sin 2πt + ½ sin 2π·3.7t, δt = 0.01", "5, 0.4 t_nat"),
    ("white_noise", "`default_rng(0).standard_normal`", "5, ℓ = 1"),
    ("pink_noise", "white shaped by f^(−1/2) in Fourier space", "5, ℓ = 1"),
    ("red_noise", "white shaped by f^(−1) in Fourier space", "5, ℓ = 1"),
    ("logistic", "r = 4, x₀ = 0.1", "5, ℓ = 1"),
    ("henon", "a = 1.4, b = 0.3, x component", "5, ℓ = 1"),
    ("double_pendulum", "1 m, 1 kg, 120°/−10° at rest, DOP853 rtol 1e-10, 100 s",
     "5, 0.4 t_nat"),
    ("galactic_orbit", "tube orbit, log halo + Miyamoto–Nagai disc", "5, 0.4 t_nat"),
]


def main():
    print("| case | series | n, read at | delay | H | C | regime |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for name, series, read in ROWS:
            out = physim.run(ROOT / "cases" / "peccary" / f"{name}.toml", Path(d) / f"{name}.h5",
                             progress="none")
            with xr.open_dataset(out, engine="physim") as ds:
                a = ds.attrs
            miss = int(a["ordinal_missing_patterns"])
            regime = a["ordinal_regime"] + (f", {miss} forbidden patterns"
                                            if name == "logistic" else "")
            regime += " (see above)" if name == "sines" else ""
            print(f"| `{name}` | {series} | {read} | {int(a['ordinal_delay'])} | "
                  f"{float(a['ordinal_H']):.4f} | {float(a['ordinal_C']):.4f} | {regime} |")


if __name__ == "__main__":
    main()
