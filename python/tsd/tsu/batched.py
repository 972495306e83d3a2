"""What every batched backend shares: a checked seed, checked steps, and the one `draw` entry
point, which checks a batch and hands it to the backend's sampler for its payload kind."""

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd._checks import as_steps, check_seed, check_step_range
from tsd._core import PsiChain, PsiTopK
from tsd.errors import InvalidArgumentError
from tsd.tsu import Draws, Payload

__all__ = ["BatchedTSU"]


class BatchedTSU(ABC):
    """A backend keyed by one seed. A subclass implements `realised_logq`, `_draw_topk`,
    `_draw_chains` and `_draw_range` for ranges already checked."""

    realises_f_psi = False

    def __init__(self, seed: int) -> None:
        self._seed = check_seed(seed)

    @property
    def seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"

    @abstractmethod
    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]: ...

    @abstractmethod
    def _draw_topk(
        self, psis: list[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """One draw per payload: tokens and log q, each of shape (B,)."""

    @abstractmethod
    def _draw_chains(
        self, chains: list[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """One block per chain: tokens and log q, each of shape (B, L)."""

    @abstractmethod
    def _draw_range(
        self, psi: PsiTopK, start: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """Draws for steps start .. start + count − 1, the range already checked."""

    def draw(self, payloads: Sequence[Payload], steps: NDArray[np.uint64]) -> Draws:
        batch = list(payloads)
        span = max((p.L for p in batch if isinstance(p, PsiChain)), default=1)
        at = as_steps("steps", steps, len(batch), span)
        kinds = sorted({type(payload).__name__ for payload in batch})
        if len(kinds) > 1:
            raise InvalidArgumentError(f"payloads: one batch holds one kind, got {kinds}")
        if not batch:
            return Draws(np.empty((0, 0), np.uint32), np.empty((0, 0), np.float64))
        if all(isinstance(payload, PsiChain) for payload in batch):
            tokens, logq = self._draw_chains([p for p in batch if isinstance(p, PsiChain)], at)
            return Draws(tokens, logq)
        tokens, logq = self._draw_topk([p for p in batch if isinstance(p, PsiTopK)], at)
        return Draws(tokens[:, None], logq[:, None])

    def sample_many(
        self, psi: PsiTopK, start_step: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        start, n = check_step_range("start_step", start_step, count)
        return self._draw_range(psi, start, n)
