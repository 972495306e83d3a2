"""The TSU seam: a protocol every sampling backend implements, the simulated TSU, and
`make_tsu`, which picks a backend by name.

A TSU draws y from the distribution it realises for ψ and returns log q(y) with it, read from
`realised_logq(psi)`; the verifier uses that realised distribution for ratio and residual, so
every backend is exact. `SimTSU` realises F(ψ) itself and keys each draw by (seed, step) only,
so any step can be replayed and runs split into chunks agree exactly.

A chain payload (`PsiChain`) has the TSU draw a whole block in one call: `sample_chains`
returns each position's token and log q(x_i | x_{i−1}), read from the realised distribution of
the conditional payload the previous token selects (`PsiChain.conditionals_for`).
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import MAX_U64, as_steps, check_int, check_seed
from tsd._core import MAX_STEPS_PER_CALL, PsiChain, PsiTopK
from tsd.errors import BackendUnavailableError, InvalidArgumentError

__all__ = ["BACKENDS", "TSU", "BackendUnavailableError", "BatchedTSU", "SimTSU", "make_tsu"]

BACKENDS = ("sim", "thrml")


@runtime_checkable
class TSU(Protocol):
    """A sampler for ψ payloads: draws tokens from F(ψ) and reports their exact log q."""

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        """The distribution this backend actually samples ψ from, over the vocabulary."""
        ...

    def sample_categorical(self, psi: PsiTopK, step: int) -> tuple[int, float]:
        """One draw for `step`: (token, log q(token))."""
        ...

    def sample_many(
        self, psi: PsiTopK, start_step: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """Draws for steps start_step .. start_step + count - 1: (tokens, log q)."""
        ...

    def sample_each(
        self, psis: Sequence[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """One draw per payload, payload i at step steps[i]: (tokens, log q)."""
        ...

    def sample_chains(
        self, chains: Sequence[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """One block per chain, chain b's at step steps[b] (its positions use steps[b] + i):
        (tokens, log q), each of shape (B, L)."""
        ...


class BatchedTSU(ABC):
    """What every backend shares: a seed, checked step ranges, and single draws made as
    batches of one. A backend implements `_draw_range`, `sample_each`, `sample_chains` and
    `realised_logq`."""

    def __init__(self, seed: int) -> None:
        self.seed = check_seed(seed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"

    @abstractmethod
    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]: ...

    @abstractmethod
    def sample_each(
        self, psis: Sequence[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]: ...

    @abstractmethod
    def sample_chains(
        self, chains: Sequence[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]: ...

    @abstractmethod
    def _draw_range(
        self, psi: PsiTopK, start: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        """Draws for steps start .. start + count − 1, the range already checked."""

    def sample_categorical(self, psi: PsiTopK, step: int) -> tuple[int, float]:
        tokens, logq = self.sample_many(psi, step, 1)
        return int(tokens[0]), float(logq[0])

    def sample_many(
        self, psi: PsiTopK, start_step: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        start = check_int("start_step", start_step, 0, MAX_U64)
        n = check_int("count", count, 0, MAX_STEPS_PER_CALL)
        if start + n > MAX_U64:
            raise InvalidArgumentError(
                f"start_step: start_step {start} + {n} steps overflows a 64-bit step counter"
            )
        return self._draw_range(psi, start, n)


class SimTSU(BatchedTSU):
    """The simulated TSU: Philox-keyed inverse-CDF sampling of F(ψ) in the Rust core."""

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        return psi.dense_logq()

    def _draw_range(
        self, psi: PsiTopK, start: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_many(psi, self.seed, start, count)
        return draws["tokens"], draws["logq"]

    def sample_each(
        self, psis: Sequence[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_each(list(psis), self.seed, as_steps("steps", steps))
        return draws["tokens"], draws["logq"]

    def sample_chains(
        self, chains: Sequence[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        draws = _core.tsu_draw_chains(list(chains), self.seed, as_steps("steps", steps))
        return draws["tokens"], draws["logq"]


def make_tsu(backend: str, seed: int) -> TSU:
    """The TSU backend named `backend` ("sim" or "thrml") for `seed`."""
    if backend == "sim":
        return SimTSU(seed)
    if backend == "thrml":
        try:
            from tsd.tsu_thrml import ThrmlTSU  # noqa: PLC0415  (optional, heavy: JAX)
        except ImportError as exc:
            raise BackendUnavailableError(str(exc)) from None
        return ThrmlTSU(seed)
    raise InvalidArgumentError(f"tsu: must be one of {', '.join(BACKENDS)}, got {backend!r}")
