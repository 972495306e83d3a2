"""χ² goodness of fit and the χ² tail: agreement with scipy, pooling of sparse bins, no scipy
at run time."""

import math
import subprocess
import sys
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy import special, stats

from tsd._core import MAX_CHI2_DOF, chi2_sf
from tsd.errors import InvalidArgumentError
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


DOFS = [1, 2, 3, 5, 10, 30, 99, 1000, 10**4, 10**5, 10**6, 10**7]
TAIL_PROBABILITIES = [1e-300, 1e-200, 1e-100, 1e-30, 1e-10, 1e-3, 0.1, 0.5, 0.9, 1 - 1e-5]
MULTIPLES_OF_DOF = [1e-300, 1e-12, 1e-4, 0.1, 0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0, 10.0, 100.0]


def _grid() -> list[tuple[int, float]]:
    """(dof, stat) from far below to far above the mean dof, and where the tail is 1e-300."""
    points = []
    for dof in DOFS:
        points += [(dof, float(special.chdtri(dof, p))) for p in TAIL_PROBABILITIES]
        points += [(dof, dof * m) for m in MULTIPLES_OF_DOF]
    return points


def test_chi2_sf_matches_scipy_to_1e_12_over_a_grid() -> None:
    checked = 0
    for dof, stat in _grid():
        want = float(special.chdtrc(dof, stat))
        got = chi2_sf(stat, dof)
        if want > 1e-290:
            assert got == pytest.approx(want, rel=1e-12, abs=0), (dof, stat)
            checked += 1
        else:
            assert got < 1e-280, (dof, stat)
    assert checked > 200


def _lower_tail_to_50_digits(dof: int, stat: float) -> Decimal:
    """P(dof/2, stat/2) by its power series in 50-digit decimals, lnΓ by Stirling's series."""
    getcontext().prec = 50
    a, x = Decimal(dof) / 2, Decimal(stat) / 2
    two_pi = 2 * Decimal("3.14159265358979323846264338327950288419716939937510")
    ln_gamma = (a - Decimal("0.5")) * a.ln() - a + two_pi.ln() / 2 + 1 / (12 * a) - 1 / (360 * a**3)
    term = total = 1 / a
    while term > total * Decimal("1e-40"):
        a += 1
        term *= x / a
        total += term
    return total * (Decimal(dof) / 2 * x.ln() - x - ln_gamma).exp()


def test_chi2_sf_is_exact_where_scipy_is_not() -> None:
    # 4.75 standard deviations below the mean of χ²(10⁷), scipy's chdtrc (1.17) gives
    # 1 − 9.99999993e-7, its lower tail 0.8% off the 50-digit value 1.00816777e-6.
    dof, stat = 10**7, 9978763.7776217
    want = float(1 - _lower_tail_to_50_digits(dof, stat))
    assert chi2_sf(stat, dof) == pytest.approx(want, rel=1e-14, abs=0)


def test_chi2_sf_ends_of_its_range() -> None:
    assert chi2_sf(0.0, 4) == 1.0
    assert chi2_sf(math.inf, 4) == 0.0


@pytest.mark.parametrize(
    ("stat", "dof", "field"),
    [(math.nan, 3, "stat"), (-1.0, 3, "stat"), (1.0, 0, "dof"), (1.0, MAX_CHI2_DOF + 1, "dof")],
)
def test_chi2_sf_rejects_bad_arguments_by_name(stat: float, dof: int, field: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"^{field}:"):
        chi2_sf(stat, dof)


def test_importing_stats_does_not_import_scipy() -> None:
    code = "import sys, tsd.stats; print(any(m.split('.')[0] == 'scipy' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
