"""The compiled time stepper (dynamics.advance) against the step-by-step reference of
numpy normals, PairForces and step_aoup / step_abp, and the force table against the
closed form."""
import numpy as np
import pytest

from physim.solvers.active.forces import (SOFT, WCA, PairForces, force_table, pair_forces,
                                          soft_cutoff, table_forces)


def _setup(kind, N=300, phi=0.5, seed=5):
    rng = np.random.default_rng(seed)
    if kind == "soft":
        L = np.sqrt(N * np.pi / phi)
        pf = PairForces(N, L, "soft", (1.0, 7.5, 2.0), soft_cutoff(1.0, 7.5), 0.5)
        x = rng.uniform(0, L, (N, 2))
    else:
        L = np.sqrt(N * np.pi * 0.25 / phi)
        pf = PairForces(N, L, "wca", (1.0, 1.0), 2 ** (1 / 6), 0.3)
        m = int(np.ceil(np.sqrt(N)))
        ij = np.stack(np.divmod(np.arange(N), m), -1)
        x = (ij + 0.5) * (L / m) + 0.05 * rng.uniform(-1, 1, (N, 2))
    return rng, L, pf, x


@pytest.mark.parametrize("phi", [0.5, 0.9])
def test_table_forces_match_the_closed_form(phi):
    rng, L, pf, x = _setup("soft", N=600, phi=phi)
    pf._build(x)
    f, g = np.zeros_like(x), np.zeros_like(x)
    pair_forces(x, L, pf.pairs, pf.npair, pf.rc, pf.kind, *pf.p, f)
    table_forces(x, L, pf.pairs, pf.npair, pf.rc, pf.kind, *pf.p, *force_table(SOFT, pf.p, pf.rc),
                 g)
    assert np.abs(f - g).max() < 1e-10  # k = 1; the cut-off itself leaves 1e-8
    s0, inv_h, coef = force_table(SOFT, pf.p, pf.rc)
    assert s0 == 1.0 and coef.shape == (4096, 4)
    assert force_table(WCA, (1.0, 1.0, 0.0), 2 ** (1 / 6))[2].shape == (0, 4)
