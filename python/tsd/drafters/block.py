"""What every drafter returns (`DraftBlock`), the protocol it implements (`Drafter`), and the
checked settings the registered drafters share (`BaseDrafter`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_float, check_int
from tsd._core import MAX_CHAIN_LEN, PsiTopK
from tsd.models.session import LanguageModel
from tsd.psi import EpsSpec, parse_eps
from tsd.tsu import TSU

__all__ = ["BaseDrafter", "DraftBlock", "Drafter", "realised_rows"]


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


class BaseDrafter:
    """The draft model, the TSU and the checked L (at most the core's MAX_CHAIN_LEN), K, τ and
    ε that a drafter crafts its payloads from; a subclass adds `draft`."""

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
        return f"{type(self).__name__}(L={self.L}, K={self.K}, tsu={self.tsu!r})"


def realised_rows(tsu: TSU, payloads: list[list[PsiTopK]]) -> NDArray[np.float64] | None:
    """The backend's realised log q for every payload in order, or None when it is F(ψ)."""
    if tsu.realises_f_psi:
        return None
    return np.stack([tsu.realised_logq(psi) for row in payloads for psi in row])
