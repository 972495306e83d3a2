"""Reference chains: random chain payloads and their exact block law from the closed form."""

import numpy as np
from numpy.typing import NDArray

from tsd import PsiChain


def random_chain(vocab: int, length: int, k: int, seed: int, eps_share: float = 0.3) -> PsiChain:
    rng = np.random.Generator(np.random.PCG64(seed))
    ids = [np.sort(rng.choice(vocab, size=k, replace=False)) for _ in range(length)]
    rows = 1 + (length - 1) * (k + 1)
    codes = rng.integers(0, 256, size=(rows, k))
    scales = rng.uniform(0.001, 0.03, size=length)
    tail = vocab - k
    eps = [eps_share / tail if tail else 0.0] * length
    return PsiChain(vocab, ids, codes, scales, 0.9, eps)


def exact_joint(chain: PsiChain, row_of: str = "previous") -> NDArray[np.float64]:
    """P(block) over every block of V^L tokens, from the closed-form conditionals; with
    row_of="first", every position uses its row 0 (a sampler that ignores transitions)."""
    vocab, length = chain.vocab, chain.L
    out = np.empty(vocab**length)
    for cell in range(out.size):
        block = [(cell // vocab ** (length - 1 - i)) % vocab for i in range(length)]
        if row_of == "previous":
            out[cell] = np.exp(chain.logq(block).sum())
        else:
            out[cell] = np.exp(
                sum(chain.conditional(i, 0).logq([t])[0] for i, t in enumerate(block))
            )
    return out
