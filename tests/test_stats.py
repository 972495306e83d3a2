"""χ² goodness of fit: agreement with scipy, and pooling of sparse bins."""

import numpy as np
import pytest
from scipy import stats

from tsd.stats import chi2_gof


def test_matches_scipy_without_pooling() -> None:
    counts = np.array([18, 25, 31, 26])
    probs = np.array([0.2, 0.25, 0.3, 0.25])
    expected = stats.chisquare(counts, probs * counts.sum())
    result = chi2_gof(counts, probs)
    assert result.stat == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.dof == 3


def test_pools_every_sparse_bin_until_it_reaches_five() -> None:
    # Expected counts 100 · p = [1, 4.5, 4.8, 89.7]: the three sparse bins pool into 10.3.
    result = chi2_gof([2, 4, 5, 89], [0.01, 0.045, 0.048, 0.897])
    assert (result.bins, result.dof) == (2, 1)


def test_extends_a_pool_below_five_with_the_next_bin() -> None:
    result = chi2_gof([1, 3, 10, 86], [0.02, 0.02, 0.1, 0.86])
    assert result.bins == 2


def test_an_impossible_observation_fails() -> None:
    result = chi2_gof([5, 1], [1.0, 0.0])
    assert result.p_value == 0.0
