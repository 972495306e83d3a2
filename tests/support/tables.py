"""Table language models: small exact targets and drafts whose laws are known in closed form."""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd.models import History, RecomputingSession


class TableLM:
    """A bigram language model given by its V×V table: p(· | history) = row of the last token."""

    def __init__(self, p: NDArray[np.float64]) -> None:
        self.logp = np.log(p)

    @property
    def vocab_size(self) -> int:
        return int(self.logp.shape[0])

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        return self.logp[[int(h[-1]) for h in histories]]

    def start(self, prompts: Sequence[History]) -> RecomputingSession:
        return RecomputingSession(self, prompts)


def random_rows(vocab: int, seed: int, concentration: float) -> NDArray[np.float64]:
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.dirichlet(np.full(vocab, concentration), size=vocab)


TARGET = random_rows(4, 1, 1.5)
DRAFT = random_rows(4, 2, 1.5)


def joint_of_first_three(p: NDArray[np.float64], start: int) -> NDArray[np.float64]:
    """Exact P(y1, y2, y3 | x = start) of the target chain, flattened over 64 cells."""
    return np.einsum("a,ab,bc->abc", p[start], p, p).ravel()
