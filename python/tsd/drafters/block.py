"""What every drafter returns (`DraftBlock`) and the protocol it implements (`Drafter`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from tsd._core import PsiTopK
from tsd.tsu import TSU

__all__ = ["DraftBlock", "Drafter", "realised_rows"]


@dataclass(frozen=True)
class DraftBlock:
    """One round's drafts for B sequences: `tokens` and their returned `logq` (B, L), the
    top-K payload each token was drawn from (`payloads[b][i]`), the ψ bytes sent per
    sequence, the TSU calls each sequence's block took, and the realised log q rows of the
    payloads in order (B·L, V), or None when the backend realises F(ψ) itself."""

    tokens: NDArray[np.uint32]
    payloads: list[list[PsiTopK]]
    logq: NDArray[np.float64]
    psi_bytes: list[int]
    tsu_calls: int
    realised_logq: NDArray[np.float64] | None


@runtime_checkable
class Drafter(Protocol):
    """Proposes L tokens per prefix through a TSU."""

    @property
    def vocab_size(self) -> int: ...

    @property
    def L(self) -> int:
        """Draft tokens per round."""
        ...

    def draft(self, prefixes: Sequence[Sequence[int]], bases: NDArray[np.uint64]) -> DraftBlock:
        """The next L tokens after each prefix; prefix b's position i draws at step
        bases[b] + i."""
        ...


def realised_rows(tsu: TSU, payloads: list[list[PsiTopK]]) -> NDArray[np.float64] | None:
    """The backend's realised log q for every payload in order, or None when it is F(ψ)."""
    if tsu.realises_f_psi:
        return None
    return np.stack([tsu.realised_logq(psi) for row in payloads for psi in row])
