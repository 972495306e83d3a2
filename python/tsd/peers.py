"""The peer that `tsd bench peers` measures tsd's M1 walk against: the walk a performance-minded
user writes instead of calling tsd, compiled with numba (extra `thermo-speculative[bench]`).

The peer caches three dense V×V tables per chain, built once from the same target and payloads
as tsd's `BigramChain`: the CDF of q = F(ψ) per context, the accept ratio p/q per (context,
token), and the unnormalised CDF of the residual max(0, p − q) per context. Each step draws a
proposal by binary search in the context's q CDF, accepts with one uniform against the ratio,
and on rejection draws from the residual by a second binary search; uniforms come from numba's
own Mersenne Twister, seeded once per walk. It keeps the same aggregated telemetry as tsd's
`BigramChain.run_counts` (visits and accepts per context, emissions per token), so both walks
do the same work per step. Its draws follow the same law as tsd's but are not the same draws
(another generator), so a check compares frequencies, not tokens.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from tsd.extras import require_extra
from tsd.psi import PsiTopK

__all__ = ["PeerCounts", "PeerWalk"]


@dataclass(frozen=True)
class PeerCounts:
    """What one peer walk kept: steps and accepts per context, emissions per token, the last
    emitted token."""

    visits: NDArray[np.int64]
    accepted: NDArray[np.int64]
    emitted: NDArray[np.int64]
    last: int


def _walk_source(
    cdf_q: NDArray[np.float64],
    ratio: NDArray[np.float64],
    cdf_residual: NDArray[np.float64],
    seed: int,
    steps: int,
    initial: int,
    visits: NDArray[np.int64],
    accepted: NDArray[np.int64],
    emitted: NDArray[np.int64],
) -> int:
    """The peer walk in plain Python, the function numba compiles: counts go into the three
    arrays, the last emitted token is returned."""
    np.random.seed(seed)
    last = cdf_q.shape[1] - 1
    context = initial
    for _ in range(steps):
        proposed = min(np.searchsorted(cdf_q[context], np.random.random(), side="right"), last)
        visits[context] += 1
        if np.random.random() < ratio[context, proposed]:
            accepted[context] += 1
            token = proposed
        else:
            row = cdf_residual[context]
            found = np.searchsorted(row, np.random.random() * row[last], side="right")
            token = min(found, last)
        emitted[token] += 1
        context = token
    return int(context)


_COMPILED: list[Callable[..., Any]] = []


def _compiled_walk() -> Callable[..., Any]:
    """The numba-compiled walk, compiled on first use and kept for the process."""
    if not _COMPILED:
        require_extra("bench", ["numba"], needed_by="the numba peer walk")
        import numba  # noqa: PLC0415

        _COMPILED.append(cast(Callable[..., Any], numba.njit(nogil=True)(_walk_source)))
    return _COMPILED[0]


class PeerWalk:
    """The peer's tables for one chain: `logp` is the V×V target (row = context), `psis[c]`
    the payload of context c, as `tsd._core.BigramChain` takes them."""

    def __init__(self, logp: NDArray[np.float64], psis: Sequence[PsiTopK]) -> None:
        logq = np.stack([psi.dense_logq() for psi in psis])
        p, q = np.exp(logp), np.exp(logq)
        self.cdf_q = np.cumsum(q, axis=1)
        self.ratio = np.exp(logp - logq)
        self.cdf_residual = np.cumsum(np.maximum(p - q, 0.0), axis=1)
        self.walk = _compiled_walk()

    @property
    def vocab(self) -> int:
        return int(self.cdf_q.shape[0])

    def run_counts(self, seed: int, steps: int, initial: int) -> PeerCounts:
        """Walk `steps` steps from context `initial`, keeping the counts."""
        visits, accepted, emitted = (np.zeros(self.vocab, np.int64) for _ in range(3))
        last = self.walk(
            self.cdf_q, self.ratio, self.cdf_residual, seed, steps, initial,
            visits, accepted, emitted,
        )  # fmt: skip
        return PeerCounts(visits=visits, accepted=accepted, emitted=emitted, last=int(last))
