"""What a judge sees and answers (the interface the judge helpers share): a batch of mismatches
(draft token ≠ the greedy target's token) and, per mismatch, accept or reject."""

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["Judge", "Mismatch"]


@dataclass(frozen=True)
class Mismatch:
    """n mismatches at once: the hidden-state features (None when the judge needs none), the
    target's and the draft's T=1 log-softmax rows at the position, and the draft tokens."""

    features: NDArray[np.float32] | None
    target_logp: NDArray[np.float64]
    draft_logp: NDArray[np.float64]
    draft_tokens: NDArray[np.uint32]


class Judge(Protocol):
    """Accepts (True: unimportant, keep the draft token) or rejects each mismatch."""

    name: str
    needs_features: bool

    def accept(self, mismatch: Mismatch) -> NDArray[np.bool_]: ...
