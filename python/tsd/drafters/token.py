"""Per-token drafting: one top-K ψ per draft token, L TSU calls per round.

Position i's ψ is crafted from the draft model's conditional given the prefix and the i
tokens drafted before it, and the TSU draws that token for every sequence in one batched call.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._core import PsiTopK
from tsd.drafters.block import BaseDrafter, DraftBlock, realised_rows

__all__ = ["TokenDrafter"]


class TokenDrafter(BaseDrafter):
    """Drafts L tokens one at a time, each from its own top-K ψ of `K` ids."""

    def draft(self, prefixes: Sequence[Sequence[int]], bases: NDArray[np.uint64]) -> DraftBlock:
        """Craft, draw, extend, L times: the draft model is asked once per position."""
        batch = len(prefixes)
        tokens = np.empty((batch, self.L), dtype=np.uint32)
        logq = np.empty((batch, self.L), dtype=np.float64)
        payloads: list[list[PsiTopK]] = [[] for _ in prefixes]
        eps = None if self.eps == "auto" else self.eps
        for i in range(self.L):
            histories = [
                np.array(list(prefix) + tokens[j, :i].tolist(), dtype=np.uint32)
                for j, prefix in enumerate(prefixes)
            ]
            probs = np.exp(self.model.logprobs_batch(histories))
            psis = _core.craft_psi_rows(probs, self.K, self.tau, eps)
            draws = self.tsu.draw(psis, bases + np.uint64(i))
            tokens[:, i] = draws.tokens[:, 0]
            logq[:, i] = draws.logq[:, 0]
            for row, psi in zip(payloads, psis, strict=True):
                row.append(psi)
        return DraftBlock(
            tokens=tokens,
            payloads=payloads,
            logq=logq,
            psi_bytes=[sum(psi.size_bytes for psi in row) for row in payloads],
            tsu_calls=self.L,
            realised_logq=realised_rows(self.tsu, payloads),
        )
