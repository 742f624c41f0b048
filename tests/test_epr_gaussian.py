"""Exact EPR of Gaussian AOUPs: Lyapunov solution against closed forms (research note §3)."""
import numpy as np
import pytest

from physim.analysis.epr.gaussian import aoup_matrices, aoup_trap_epr, linear_epr


@pytest.mark.parametrize("a,v0,gamma,eps,expect", [
    (1, 1, 0.5, 0.1, 10 / 3), (0.05, 0.3, 0.1, 0.1, 0.6), (2, 0.5, 10, 0.01, 20.8333333333333),
    (1, 1, 1, 1, 0.5)])
def test_trapped_aoup_full_convention(a, v0, gamma, eps, expect):
    r = linear_epr(*aoup_matrices([[a]], v0, gamma, eps))
    assert r["convention"] == "full"
    assert abs(r["total"] - expect) <= 1e-9 * expect
    assert abs(2 * r["total"] - aoup_trap_epr(a, v0, gamma, eps)["total"]) <= 1e-9 * expect


@pytest.mark.parametrize("a,v0,gamma", [(1, 1, 0.5), (0.3, 2, 0.01)])
def test_trapped_aoup_noise_on_g_only(a, v0, gamma):
    r = linear_epr(*aoup_matrices([[a]], v0, gamma, 0.0))
    assert r["convention"] == "noisy_dof"
    assert abs(r["total"] - a) <= 1e-9 and r["per_dof"][0] == 0


def ring(N, k, kappa):
    K = kappa * np.eye(N) + 2 * k * np.eye(N) - k * (np.roll(np.eye(N), 1, 0) +
                                                     np.roll(np.eye(N), -1, 0))
    return K


@pytest.mark.parametrize("N,k,v0,gamma,eps,kappa,expect", [
    (8, 1, 1, 0.5, 0.2, 0.1, 12.09540672), (64, 2.5, 0.3, 0.1, 0.1, 0.05, 4.668141084)])
def test_coupled_ring_against_normal_modes(N, k, v0, gamma, eps, kappa, expect):
    K = ring(N, k, kappa)
    r = linear_epr(*aoup_matrices(K, v0, gamma, eps))
    # the matrices are per Cartesian axis: Sigma per axis = (v0^2/eps) sum_m gamma/(gamma + lam_m)
    lam = kappa + 4 * k * np.sin(np.pi * np.arange(N) / N) ** 2
    modes = (v0 ** 2 / eps) * np.sum(gamma / (gamma + lam))
    assert abs(r["total"] - modes) <= 1e-9 * modes
    assert abs(r["total"] - expect) <= 1e-8 * expect
    # noise on g only: tr K per axis
    h = linear_epr(*aoup_matrices(K, v0, gamma, 0.0))
    assert abs(h["total"] - np.trace(K)) <= 1e-9 * np.trace(K)


def test_per_dof_split_two_particles():
    K = np.array([[1.5, -1.0], [-1.0, 1.0]])
    r = linear_epr(*aoup_matrices(K, 1.0, 0.5, 0.2))
    np.testing.assert_allclose(r["per_dof"], [1.46002, 2.176113, 0.41498, 0.323887], rtol=2e-6)
    assert abs(r["total"] - 4.375) < 1e-9  # one axis


def test_unstable_drift_is_refused():
    with pytest.raises(ValueError, match="no stationary state"):
        linear_epr(*aoup_matrices([[0.0]], 1.0, 0.5, 0.1))
