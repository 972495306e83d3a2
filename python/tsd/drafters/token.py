"""Per-token drafting: one top-K ψ per draft token, L TSU calls per round.

Position i's ψ is crafted from the draft model's conditional given the prefix and the i
tokens drafted before it, and the TSU draws that token for every sequence in one batched call.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_float, check_int
from tsd._core import MAX_CHAIN_LEN, PsiTopK
from tsd.drafters.block import DraftBlock, realised_rows
from tsd.models.session import LanguageModel
from tsd.psi import EpsSpec, parse_eps
from tsd.tsu import TSU

__all__ = ["TokenDrafter"]


class TokenDrafter:
    """Drafts L tokens one at a time, each from its own top-K ψ of `K` ids."""

    def __init__(
        self,
        draft: LanguageModel,
        tsu: TSU,
        *,
        L: int,
        K: int,
        tau: float = 1.0,
        eps: EpsSpec = "auto",
    ) -> None:
        self.model = draft
        self.tsu = tsu
        self._length = check_int("L", L, 1, MAX_CHAIN_LEN)
        self.K = check_int("K", K, 1, draft.vocab_size)
        self.tau = check_float("tau", tau, positive=True)
        spec = parse_eps(eps)
        self._eps = None if spec == "auto" else spec

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    @property
    def L(self) -> int:
        return self._length

    def __repr__(self) -> str:
        return f"TokenDrafter(L={self.L}, K={self.K}, tsu={self.tsu!r})"

    def draft(self, prefixes: Sequence[Sequence[int]], bases: NDArray[np.uint64]) -> DraftBlock:
        """Craft, draw, extend, L times: the draft model is asked once per position."""
        batch = len(prefixes)
        tokens = np.empty((batch, self.L), dtype=np.uint32)
        logq = np.empty((batch, self.L), dtype=np.float64)
        payloads: list[list[PsiTopK]] = [[] for _ in prefixes]
        for i in range(self.L):
            histories = [
                np.array(list(prefix) + tokens[j, :i].tolist(), dtype=np.uint32)
                for j, prefix in enumerate(prefixes)
            ]
            probs = np.exp(self.model.logprobs_batch(histories))
            psis = _core.craft_psi_rows(probs, self.K, self.tau, self._eps)
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
