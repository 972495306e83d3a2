"""Chain drafting: one chain ψ for the whole block, one TSU call per round.

The chain is crafted from L batched calls of the draft model (`tsd.psi_chain.craft_chains`);
the TSU draws all L positions at once, position i from the conditional payload the previous
token selects, and that conditional is the payload the verifier checks position i against.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd.drafters.block import BaseDrafter, DraftBlock, realised_rows
from tsd.psi_chain import craft_chains

__all__ = ["ChainDrafter"]


class ChainDrafter(BaseDrafter):
    """Drafts L tokens from one chain ψ of `K` ids per position."""

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
