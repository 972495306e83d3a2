"""Fixed categorical targets for M0: Dirichlet(1) draws and seeded Zipf laws."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_float, check_int, check_seed
from tsd._core import MAX_VOCAB


@dataclass(frozen=True)
class Categorical:
    """A target distribution p over `vocab` tokens with its log p (−inf where p = 0)."""

    p: NDArray[np.float64]
    logp: NDArray[np.float64]
    description: str

    @property
    def vocab(self) -> int:
        return int(self.p.size)


def _from_p(p: NDArray[np.float64], description: str) -> Categorical:
    p = p / p.sum()
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    return Categorical(p=p, logp=logp, description=description)


def make_p(vocab: int, seed: int) -> Categorical:
    """p ~ Dirichlet(1, ..., 1) over `vocab` tokens: uniform over the simplex."""
    v = check_int("vocab", vocab, 1, MAX_VOCAB)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    return _from_p(rng.dirichlet(np.ones(v)), f"dirichlet(1), V={v}, seed={seed}")


def make_zipf(vocab: int, alpha: float, seed: int) -> Categorical:
    """p_i ∝ rank(i)^−α, the ranks a seeded permutation of the ids (so mass is not at id 0)."""
    v = check_int("vocab", vocab, 1, MAX_VOCAB)
    a = check_float("alpha", alpha, positive=True)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    weights = np.arange(1, v + 1, dtype=np.float64) ** -a
    p = np.empty(v)
    p[rng.permutation(v)] = weights
    return _from_p(p, f"zipf(alpha={a}), V={v}, seed={seed}")
