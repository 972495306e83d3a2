"""The simulated TSU: Philox-keyed inverse-CDF sampling of F(ψ) in the Rust core.

It realises F(ψ) itself and keys each draw by (seed, step) only, so any step can be replayed
and runs split into chunks agree exactly.
"""

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._core import PsiChain, PsiTopK
from tsd.tsu.batched import BatchedTSU

__all__ = ["SimTSU"]


class SimTSU(BatchedTSU):
    """The simulated TSU: draws from F(ψ), the log q from the same table, bit for bit."""

    realises_f_psi = True

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        return psi.dense_logq()

    def _draw_range(
        self, psi: PsiTopK, start: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_many(psi, self.seed, start, count)
        return draws["tokens"], draws["logq"]

    def _draw_topk(
        self, psis: list[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_each(psis, self.seed, steps)
        return draws["tokens"], draws["logq"]

    def _draw_chains(
        self, chains: list[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_chains(chains, self.seed, steps)
        return draws["tokens"], draws["logq"]
