"""Chain drafting: one chain ψ for the whole block, one TSU call per round.

The chain is crafted from L batched calls of the draft model (`tsd.psi_chain.craft_chains`);
the TSU draws all L positions at once, position i from the conditional payload the previous
token selects, and that conditional is the payload the verifier checks position i against.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_float, check_int
from tsd._core import MAX_CHAIN_LEN
from tsd.drafters.block import DraftBlock, realised_rows
from tsd.models.session import LanguageModel
from tsd.psi import EpsSpec, parse_eps
from tsd.psi_chain import craft_chains
from tsd.tsu import TSU

__all__ = ["ChainDrafter"]


class ChainDrafter:
    """Drafts L tokens from one chain ψ of `K` ids per position."""

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
        self.eps = parse_eps(eps)

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    @property
    def L(self) -> int:
        return self._length

    def __repr__(self) -> str:
        return f"ChainDrafter(L={self.L}, K={self.K}, tsu={self.tsu!r})"

    def draft(self, prefixes: Sequence[Sequence[int]], bases: NDArray[np.uint64]) -> DraftBlock:
        """One chain per prefix, all drawn in one TSU call."""
        histories = [np.array(prefix, dtype=np.uint32) for prefix in prefixes]
        chains = craft_chains(self.model, histories, L=self.L, K=self.K, tau=self.tau, eps=self.eps)
        draws = self.tsu.draw(chains, bases)
        payloads = [
            chain.conditionals_for(row)
            for chain, row in zip(chains, draws.tokens.tolist(), strict=True)
        ]
        return DraftBlock(
            tokens=draws.tokens,
            payloads=payloads,
            logq=draws.logq,
            psi_bytes=[chain.size_bytes for chain in chains],
            tsu_calls=1,
            realised_logq=realised_rows(self.tsu, payloads),
        )
