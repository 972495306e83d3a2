"""A plain numpy reference for F(ψ), TSU sampling and accept/correct: the test oracle.

It follows the core's documented procedure step by step from the core's own random words
(`rng_words`), so a whole run can be replayed token for token. It is also the per-step
baseline the benchmarks compare the fused Rust loop against; its tables are built once per
payload, as any sensible Python implementation would.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_int, check_seed, check_step_range
from tsd._core import PsiTopK

__all__ = [
    "CHUNK",
    "ReferenceM0",
    "ReferenceM1",
    "ReferenceSampler",
    "ReferenceVerifier",
    "cumulative",
    "dense_logq",
    "exp",
    "rng_words",
    "run_m0",
    "run_m1",
    "unit",
    "verify_blocks_dense",
]

STREAM_TSU = _core.RNG_STREAM_TSU
STREAM_VERIFY = _core.RNG_STREAM_VERIFY
CHUNK = _core.CUMULATIVE_CHUNK


def _bits(*patterns: int) -> NDArray[np.float64]:
    return np.array(patterns, dtype=np.uint64).view(np.float64)


# The core's verifier exp (rust/exp.rs), constant for constant.
_LN2_HI, _LN2_LO, _LOG2_E = _bits(0x3FE62E42FEE00000, 0x3DEA39EF35793C76, 0x3FF71547652B82FE)
_Q = _bits(
    0x3FE0000000000001, 0x3FC5555555555557, 0x3FA5555555553D55, 0x3F811111111100D2,
    0x3F56C16C17891214, 0x3F2A01A01ABECF31, 0x3EFA019B8F8C56FF, 0x3EC71DE0221EE58C,
    0x3E928919D85E600C, 0x3E5AF4E09F575337,
)  # fmt: skip
_LOWEST, _HIGHEST = -708.0, 710.0
_ROUND, _TWO_52 = 6755399441055744.0, 4503599627370496.0


def _power_of_two(n: NDArray[np.float64]) -> NDArray[np.float64]:
    biased = ((n + 1023.0) + _TWO_52).view(np.uint64)
    return np.left_shift(biased, np.uint64(52)).view(np.float64)


def exp(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The verifier's exp, operation for operation as the core computes it (rust/exp.rs): the
    same bits; 0 below x = −708, else within one unit in the last place of the true value."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        clamped = np.where(x < _LOWEST, _LOWEST, np.where(x > _HIGHEST, _HIGHEST, x))
        k = (clamped * _LOG2_E + _ROUND) - _ROUND
        r = (clamped - k * _LN2_HI) - k * _LN2_LO
        low = _Q[0] + r * (_Q[1] + r * (_Q[2] + r * (_Q[3] + r * _Q[4])))
        high = _Q[5] + r * (_Q[6] + r * (_Q[7] + r * (_Q[8] + r * _Q[9])))
        r2 = r * r
        q = low + ((r2 * r2) * r) * high
        e_r = 1.0 + (r + r2 * q)
        y = (e_r * 2.0) * _power_of_two(k - 1.0)
        out: NDArray[np.float64] = np.where(x < _LOWEST, 0.0, y)
    return out


def cumulative(masses: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative masses along the last axis by the core's rule (rust/cumulative.rs): chunks of
    CHUNK summed left to right, each entry = the chunks before it + its chunk up to it."""
    masses = np.asarray(masses, dtype=np.float64)
    *lead, vocab = masses.shape
    chunks = -(-vocab // CHUNK)
    padded = np.zeros((*lead, chunks * CHUNK))
    padded[..., :vocab] = masses
    within = np.cumsum(padded.reshape(*lead, chunks, CHUNK), axis=-1)
    totals = np.cumsum(within[..., -1], axis=-1)
    before = np.concatenate([np.zeros((*lead, 1)), totals[..., :-1]], axis=-1)
    out: NDArray[np.float64] = (before[..., None] + within).reshape(*lead, -1)[..., :vocab]
    return out


def rng_words(seed: int, stream: int, start: int, count: int) -> NDArray[np.uint64]:
    """The core's random words for steps start .. start + count - 1, shape (count, 2)."""
    run_seed = check_seed(seed)
    word_stream = check_int("stream", stream, 0, 2**32 - 1)
    first, n = check_step_range("start", start, count)
    return _core.rng_words(run_seed, word_stream, first, n)


def unit(word: int) -> float:
    """The uniform the core derives from a word: top 53 bits times 2^-53."""
    return float(word >> 11) * 2.0**-53


def below(word: int, n: int) -> int:
    """The integer in [0, n) the core derives from a word: high half of word · n."""
    return (word * n) >> 64


def dense_logq(psi: PsiTopK) -> NDArray[np.float64]:
    """F(ψ) over the whole vocabulary, written out from the closed form."""
    step = np.float64(psi.scale) / np.float64(psi.tau)
    logits = psi.codes.astype(np.float64) * step
    centred = logits - logits.max()
    total = np.cumsum(np.exp(centred))[-1]
    log_top_mass = np.log1p(-psi.tail_mass)
    eps = np.float64(psi.eps)
    out = np.full(psi.vocab, np.log(eps) if eps > 0 else -np.inf)
    out[psi.ids] = (log_top_mass - np.log(total)) + centred
    return out


def _last_positive(masses: NDArray[np.float64]) -> int:
    return int(np.flatnonzero(masses > 0)[-1])


@dataclass(frozen=True)
class ReferenceSampler:
    """Inverse-CDF sampling of F(ψ): slots in id order, then the tail."""

    ids: NDArray[np.uint32]
    logq: NDArray[np.float64]
    cumulative: NDArray[np.float64]
    last_with_mass: int
    outside: NDArray[np.int64]

    @classmethod
    def from_psi(cls, psi: PsiTopK) -> "ReferenceSampler":
        logq = dense_logq(psi)
        masses = np.append(np.exp(logq[psi.ids]), psi.tail_mass)
        return cls(
            ids=psi.ids,
            logq=logq,
            cumulative=cumulative(masses),
            last_with_mass=_last_positive(masses),
            outside=np.setdiff1d(np.arange(psi.vocab), psi.ids),
        )

    def draw(self, w0: int, w1: int) -> tuple[int, float]:
        slot = int(np.searchsorted(self.cumulative, unit(w0), side="right"))
        if slot == self.cumulative.size:
            slot = self.last_with_mass
        if slot < self.ids.size:
            token = int(self.ids[slot])
        else:
            token = int(self.outside[below(w1, self.outside.size)])
        return token, float(self.logq[token])


@dataclass(frozen=True)
class ReferenceVerifier:
    """Accept with probability min(1, p/q); on rejection draw from norm(max(0, p − q))."""

    logp: NDArray[np.float64]
    cumulative: NDArray[np.float64]
    last_with_mass: int

    @classmethod
    def from_target(
        cls, logp: NDArray[np.float64], logq: NDArray[np.float64]
    ) -> "ReferenceVerifier":
        residual = np.maximum(exp(logp) - exp(logq), 0.0)
        if not residual.any():
            residual = exp(logp)
        return cls(
            logp=logp, cumulative=cumulative(residual), last_with_mass=_last_positive(residual)
        )

    def decide(self, token: int, logq: float, w0: int, w1: int) -> tuple[bool, int]:
        if unit(w0) < np.exp(self.logp[token] - logq):
            return True, token
        u = unit(w1) * float(self.cumulative[-1])
        index = int(np.searchsorted(self.cumulative, u, side="right"))
        return False, self.last_with_mass if index == self.cumulative.size else index


@dataclass(frozen=True)
class ReferenceM0:
    """Columns of a reference M0 run, as plain numpy arrays."""

    proposed: NDArray[np.int64]
    logq: NDArray[np.float64]
    accepted: NDArray[np.bool_]
    emitted: NDArray[np.int64]


def run_m0(
    logp: NDArray[np.float64], psi: PsiTopK, seed: int, steps: int, start: int = 0
) -> ReferenceM0:
    """M0 one step at a time in Python, from the core's random words."""
    sampler = ReferenceSampler.from_psi(psi)
    verifier = ReferenceVerifier.from_target(np.asarray(logp, dtype=np.float64), sampler.logq)
    _, walk = _walk([(sampler, verifier)], seed, start, steps, initial=0, follow=False)
    return walk


@dataclass(frozen=True)
class ReferenceM1:
    """Columns of a reference M1 walk."""

    prev: NDArray[np.int64]
    steps: ReferenceM0


def run_m1(
    logp: NDArray[np.float64], psis: list[PsiTopK], seed: int, steps: int, initial: int
) -> ReferenceM1:
    """The M1 walk one step at a time in Python: the context's tables, then its verdict."""
    tables = []
    for row, psi in zip(logp, psis, strict=True):
        sampler = ReferenceSampler.from_psi(psi)
        tables.append((sampler, ReferenceVerifier.from_target(np.asarray(row), sampler.logq)))
    prev, walk = _walk(tables, seed, 0, steps, initial=initial, follow=True)
    return ReferenceM1(prev=prev, steps=walk)


def _walk(
    tables: list[tuple[ReferenceSampler, ReferenceVerifier]],
    seed: int,
    start: int,
    steps: int,
    *,
    initial: int,
    follow: bool,
) -> tuple[NDArray[np.int64], ReferenceM0]:
    """Steps start .. start + steps − 1 with the context's tables; with `follow`, each emitted
    token becomes the next context (M1), otherwise the context stays `initial` (M0)."""
    tsu_words = rng_words(seed, STREAM_TSU, start, steps).tolist()
    verify_words = rng_words(seed, STREAM_VERIFY, start, steps).tolist()
    prev = np.empty(steps, dtype=np.int64)
    proposed = np.empty(steps, dtype=np.int64)
    logq = np.empty(steps, dtype=np.float64)
    accepted = np.empty(steps, dtype=np.bool_)
    emitted = np.empty(steps, dtype=np.int64)
    context = initial
    for i in range(steps):
        sampler, verifier = tables[context]
        token, lq = sampler.draw(*tsu_words[i])
        accepted[i], emitted[i] = verifier.decide(token, lq, *verify_words[i])
        prev[i], proposed[i], logq[i] = context, token, lq
        if follow:
            context = int(emitted[i])
    walk = ReferenceM0(proposed=proposed, logq=logq, accepted=accepted, emitted=emitted)
    return prev, walk


def verify_blocks_dense(
    logp: NDArray[np.float64],
    logq_rows: NDArray[np.float64],
    tokens: NDArray[np.uint32],
    logq: NDArray[np.float64],
    words: NDArray[np.uint64],
) -> tuple[NDArray[np.int64], list[list[int]]]:
    """Block verification for B sequences of equal L, vectorised over the batch in numpy.

    `logp` (B, L + 1, V), `logq_rows` (B, L, V) the dense F(ψ), `tokens` and `logq` (B, L),
    `words` (B, L + 1, 2) the verifier words of each position (as `rng_words` gives them).
    Returns (accepted per sequence, emitted tokens per sequence): the rule of rust/block.rs.
    """
    batch, block = tokens.shape
    rows = np.arange(batch)
    to_unit = 2.0**-53
    u_accept = np.right_shift(words[:, :block, 0], np.uint64(11)).astype(np.float64) * to_unit
    logp_drafts = np.take_along_axis(logp[:, :block, :], tokens[:, :, None].astype(np.int64), 2)[
        :, :, 0
    ]
    accept = u_accept < np.exp(logp_drafts - logq)
    accepted = np.where(accept.all(axis=1), block, accept.argmin(axis=1))
    p_stop = exp(logp[rows, accepted])
    rejected = accepted < block
    q_stop = exp(logq_rows[rows, np.minimum(accepted, block - 1)]) * rejected[:, None]
    masses = np.maximum(p_stop - q_stop, 0.0)
    empty = ~(masses > 0).any(axis=1)
    masses[empty] = p_stop[empty]
    cumulative_masses = cumulative(masses)
    u_stop = np.right_shift(words[rows, accepted, 1], np.uint64(11)).astype(np.float64) * to_unit
    above = cumulative_masses > (u_stop * cumulative_masses[:, -1])[:, None]
    last_with_mass = masses.shape[1] - 1 - np.argmax(masses[:, ::-1] > 0, axis=1)
    drawn = np.where(above.any(axis=1), above.argmax(axis=1), last_with_mass)
    emitted = [[*tokens[b, : accepted[b]].tolist(), int(drawn[b])] for b in range(batch)]
    return accepted.astype(np.int64), emitted
