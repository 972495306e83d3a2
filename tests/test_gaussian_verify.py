"""Exactness of Gaussian verification (KS at 10^5 draws, with the lossy modes as the power
check) and acceptance rates against the closed forms."""

import numpy as np
import pytest
from scipy import stats

from tsd import gaussian

N = 100_000


def _emitted(mode: str, bias: float = 1.0) -> tuple[np.ndarray, float]:
    """Exact TSU draws from q = N(0.8, e^0.5) verified against p = N(0, 1), N rows."""
    psi = gaussian.craft(np.full((N, 1), 0.8), np.full((N, 1), 0.5))
    draws = gaussian.draw(psi, 3, np.arange(N))
    verdicts = gaussian.verify(
        psi, draws.values, np.zeros((N, 1)), np.ones((N, 1)), 4, np.arange(N), mode, bias
    )
    return verdicts.emitted[:, 0], float(verdicts.accepted.mean())


def test_exact_mode_emits_the_target_law() -> None:
    emitted, acceptance = _emitted("exact")
    assert stats.kstest(emitted, "norm").pvalue > 1e-3
    assert 0.3 < acceptance < 0.9


@pytest.mark.parametrize(("mode", "bias"), [("lenient", 2.0), ("resample-target", 1.0)])
def test_lossy_modes_fail_the_same_test(mode: str, bias: float) -> None:
    emitted, _ = _emitted(mode, bias)
    assert stats.kstest(emitted, "norm").pvalue < 1e-6


def test_k_step_blocks_emit_the_target_law_at_every_position() -> None:
    blocks, k = N // 4, 4
    psi = gaussian.craft(np.full((blocks * k, 1), -0.6), np.full((blocks * k, 1), -0.75))
    draws = gaussian.draw(psi, 8, np.arange(blocks * k))
    starts = np.arange(blocks) * k
    shape = (blocks, k, 1)
    verdicts = gaussian.verify_blocks(
        psi, draws.values.reshape(shape), np.zeros(shape), np.ones(shape), 8, starts
    )
    emitted = verdicts.emitted[:, :, 0]
    kept = np.arange(k)[None, :] < verdicts.emitted_len[:, None]
    assert np.isnan(emitted[~kept]).all()
    assert not np.isnan(emitted[kept]).any()
    assert stats.kstest(emitted[kept], "norm").pvalue > 1e-3
    assert stats.kstest(emitted[:, 0], "norm").pvalue > 1e-3
    assert (verdicts.emitted_len == np.minimum(verdicts.accepted + 1, k)).all()


def _acceptance(
    means_q: np.ndarray, logvars_q: np.ndarray, mean_p: np.ndarray, sd_p: np.ndarray
) -> tuple[gaussian.PsiGaussianBatch, float]:
    """Exact acceptance rate of TSU draws from the crafted q against p, one row each."""
    n = means_q.shape[0]
    psi = gaussian.craft(means_q, logvars_q)
    draws = gaussian.draw(psi, 21, np.arange(n))
    verdicts = gaussian.verify(psi, draws.values, mean_p, sd_p, 22, np.arange(n))
    return psi, float(verdicts.accepted.mean())


def test_acceptance_matches_the_equal_sigma_closed_form() -> None:
    n, d = 40_000, 4
    shift = np.array([0.9, -0.4, 0.3, 0.0])
    psi, measured = _acceptance(
        np.tile(shift, (n, 1)), np.zeros((n, d)), np.zeros((n, d)), np.ones((n, d))
    )
    expected = gaussian.overlap_equal_sigma(np.zeros(d), psi.means[0], 1.0)
    assert abs(measured - expected) < 4 * np.sqrt(expected * (1 - expected) / n)


def test_acceptance_matches_the_two_crossing_points_in_one_dimension() -> None:
    n = 40_000
    psi, measured = _acceptance(
        np.full((n, 1), 0.5), np.full((n, 1), 1.0), np.zeros((n, 1)), np.full((n, 1), 0.7)
    )
    expected = gaussian.overlap_1d(0.0, 0.7, psi.means[0, 0], psi.sigmas[0, 0])
    assert abs(measured - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    mc, stderr = gaussian.overlap_diagonal_mc([0.0], [0.7], psi.means[0], psi.sigmas[0])
    assert abs(mc - expected) < 4 * stderr


def test_diagonal_acceptance_is_not_the_product_of_per_dimension_overlaps() -> None:
    n = 40_000
    mean_q, logvar_q = np.array([0.5, -0.3]), np.array([1.0, -1.0])
    sd_p = np.array([0.7, 1.2])
    psi, measured = _acceptance(
        np.tile(mean_q, (n, 1)), np.tile(logvar_q, (n, 1)), np.zeros((n, 2)), np.tile(sd_p, (n, 1))
    )
    mc, stderr = gaussian.overlap_diagonal_mc(np.zeros(2), sd_p, psi.means[0], psi.sigmas[0])
    binomial = np.sqrt(mc * (1 - mc) / n)
    assert abs(measured - mc) < 4 * (binomial + stderr)
    product = gaussian.overlap_1d(0.0, 0.7, psi.means[0, 0], psi.sigmas[0, 0]) * (
        gaussian.overlap_1d(0.0, 1.2, psi.means[0, 1], psi.sigmas[0, 1])
    )
    assert abs(measured - product) > 8 * (binomial + stderr)
