"""Goodness-of-fit statistics for emitted tokens."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tsd._checks import as_vector
from tsd._core import chi2_sf
from tsd.errors import InvalidArgumentError

MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class Chi2Result:
    """Pearson χ² against a distribution: statistic, degrees of freedom, p-value, bins used."""

    stat: float
    dof: int
    p_value: float
    bins: int


def chi2_gof(counts: ArrayLike, probs: ArrayLike) -> Chi2Result:
    """Pearson χ² of observed `counts` against `probs`.

    Bins whose expected count is below 5 are pooled, smallest first, into one bin until it
    reaches 5 (merging it with the next-smallest bins if needed), so the χ² approximation holds.
    """
    observed = as_vector("counts", counts)
    p = as_vector("probs", probs)
    if observed.size != p.size:
        raise InvalidArgumentError(f"counts: has {observed.size} bins but probs has {p.size}")
    if (observed < 0).any() or (p < 0).any():
        raise InvalidArgumentError("counts and probs must be non-negative")
    n = observed.sum()
    if n <= 0:
        raise InvalidArgumentError("counts: must hold at least one observation")
    expected = p / p.sum() * n
    keep = expected > 0
    if observed[~keep].any():
        return Chi2Result(
            stat=float("inf"), dof=int(keep.sum()) - 1, p_value=0.0, bins=int(keep.sum())
        )
    observed, expected = observed[keep], expected[keep]

    order = np.argsort(expected, kind="stable")
    cumulative = np.cumsum(expected[order])
    below = int(np.searchsorted(expected[order], MIN_EXPECTED))
    if below > 0:
        reaches = int(np.searchsorted(cumulative, MIN_EXPECTED)) + 1
        pooled = order[: min(max(below, reaches), order.size)]
        rest = order[pooled.size :]
        obs = np.append(observed[rest], observed[pooled].sum())
        exp = np.append(expected[rest], expected[pooled].sum())
    else:
        obs, exp = observed, expected
    if obs.size < 2:
        return Chi2Result(stat=0.0, dof=0, p_value=1.0, bins=int(obs.size))
    stat = float(np.sum((obs - exp) ** 2 / exp))
    dof = int(obs.size) - 1
    return Chi2Result(stat=stat, dof=dof, p_value=chi2_sf(stat, dof), bins=int(obs.size))
