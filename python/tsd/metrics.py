"""The metric vocabulary, computed in one place for M0, M1, sweeps and the benchmarks.

Names follow vLLM's speculative-decoding metrics where they mean the same thing:
- `acceptance_rate` = accepted draft tokens / draft tokens (M0 and M1 draft one token per
  step, so there it is the fraction of steps accepted);
- `mean_acceptance_length` = 1 + accepted draft tokens / drafts: tokens each target call
  yields when none is cut off at the end;
- per-position acceptance: accepted / drafts reaching each draft position.
`alpha` (α) is acceptance per *examined* draft position (positions after a rejection are never
examined): the α of Leviathan et al.'s closed form. `overlap` is Σ min(p, q), the acceptance
one step expects, and `ce_gap_nats` is KL(p ‖ q), cross-entropy minus entropy.
"""

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "acceptance_rate",
    "ce_gap_nats",
    "closed_form_tokens_per_call",
    "mean_acceptance_length",
    "overlap",
]


def acceptance_rate(accepted_tokens: int | float, draft_tokens: int | float) -> float:
    """Accepted draft tokens per draft token (NaN when nothing was drafted)."""
    return float(accepted_tokens / draft_tokens) if draft_tokens else float("nan")


def mean_acceptance_length(accepted_tokens: int, drafts: int) -> float:
    """1 + accepted draft tokens per draft (NaN when nothing was drafted)."""
    return 1.0 + accepted_tokens / drafts if drafts else float("nan")


def closed_form_tokens_per_call(alpha: float, block: int) -> float:
    """Leviathan et al. (2023), Eq. 1: expected tokens per target call at acceptance α."""
    return float(block + 1) if alpha >= 1.0 else (1 - alpha ** (block + 1)) / (1 - alpha)


def overlap(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ min(p, q) over the last axis: the acceptance probability of one verified step."""
    return np.asarray(np.minimum(p, q).sum(axis=-1), dtype=np.float64)


def ce_gap_nats(
    p: NDArray[np.float64], logp: NDArray[np.float64], logq: NDArray[np.float64]
) -> NDArray[np.float64]:
    """KL(p ‖ q) in nats over the last axis (terms with p = 0 count 0; +inf where q = 0 < p)."""
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, p * (logp - logq), 0.0)
    return np.asarray(terms.sum(axis=-1), dtype=np.float64)
