"""The metric vocabulary: each figure from its definition on small cases."""

import math

import numpy as np
import pytest

from tsd import metrics


def test_acceptance_figures_follow_their_definitions() -> None:
    assert metrics.acceptance_rate(6, 8) == 0.75
    assert math.isnan(metrics.acceptance_rate(0, 0))
    assert metrics.mean_acceptance_length(6, 4) == 2.5
    assert math.isnan(metrics.mean_acceptance_length(0, 0))
    assert metrics.closed_form_tokens_per_call(1.0, 3) == 4.0
    assert metrics.closed_form_tokens_per_call(0.5, 2) == pytest.approx(1.75)


def test_overlap_and_ce_gap_per_row() -> None:
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = np.array([[0.25, 0.25, 0.5], [0.2, 0.3, 0.5]])
    with np.errstate(divide="ignore"):
        logp, logq = np.log(p), np.log(q)
    np.testing.assert_allclose(metrics.overlap(p, q), [0.5, 1.0])
    np.testing.assert_allclose(metrics.ce_gap_nats(p, logp, logq), [np.log(2.0), 0.0], atol=1e-15)
    # Mass where q has none makes the gap infinite.
    assert metrics.ce_gap_nats(q[0], logq[0], logp[0]) == np.inf
