"""Block speculative decoding through ψ payloads, and plain sampling as the baseline.

Per round, for every active sequence, the L draft tokens come one of two ways:
- `drafting="token"`: the draft crafts ψ_1 from its conditional at the prefix, the TSU draws
  y_1 and its log q_1, the draft crafts ψ_2 given y_1, ... : L TSU calls per round.
- `drafting="chain"`: the draft crafts one chain ψ for all L positions (tsd/psi_chain.py) and
  the TSU draws the whole block in one call, returning log q(y_i | y_{i−1}) per position.
Then one target call yields p at the L + 1 positions; the block verifier (rust/block.rs)
accepts the longest prefix and emits a correction or a bonus token, checking position i
against the payload y_i was drawn from. Sequences run in lockstep, so each round is a handful
of batched calls into the core whatever the batch size.

Randomness: sequence b's draws at its k-th verified position use step (b << 40) + k of the
seed, on the TSU stream for the draft and the verifier stream for the verdict.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.ngram import History, LanguageModel
from tsd.psi import EpsSpec, PsiTopK, parse_eps
from tsd.psi_chain import craft_chains
from tsd.tsu import TSU, SimTSU

SEQUENCE_SHIFT = 40
DRAFTING = ("token", "chain")


@dataclass
class GenerationStats:
    """Counters of one generation run (over all its sequences)."""

    tokens: int = 0
    target_calls: int = 0
    proposed: int = 0
    accepted: int = 0
    rejections: int = 0
    psi_bytes: int = 0
    tsu_calls: int = 0
    reached_by_position: list[int] = field(default_factory=list)
    accepted_by_position: list[int] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.proposed if self.proposed else float("nan")

    @property
    def alpha(self) -> float:
        """Acceptance per examined draft position (positions after a rejection are never
        examined): the α of Leviathan et al.'s closed form."""
        reached = sum(self.reached_by_position)
        return sum(self.accepted_by_position) / reached if reached else float("nan")

    @property
    def tokens_per_call(self) -> float:
        return self.tokens / self.target_calls if self.target_calls else float("nan")

    def record_round(
        self, block: int, accepted: int, kept: int, psi_bytes: int, tsu_calls: int
    ) -> None:
        """Count one sequence's round: L drafts, `accepted` of them kept, `kept` tokens emitted."""
        self.tokens += kept
        self.target_calls += 1
        self.tsu_calls += tsu_calls
        self.proposed += block
        self.accepted += accepted
        self.rejections += int(accepted < block)
        self.psi_bytes += psi_bytes
        for i in range(min(accepted + 1, block)):
            self.reached_by_position[i] += 1
            self.accepted_by_position[i] += int(i < accepted)

    def position_acceptance(self) -> list[float]:
        """Acceptance at draft position i among the rounds that reached it."""
        return [
            a / r if r else float("nan")
            for a, r in zip(self.accepted_by_position, self.reached_by_position, strict=True)
        ]


@dataclass(frozen=True)
class Generation:
    """The tokens each sequence produced after its prompt, and the run's counters."""

    outputs: list[NDArray[np.uint32]]
    stats: GenerationStats


def _check_prompts(prompts: Sequence[History], vocab: int) -> list[History]:
    if not prompts:
        raise InvalidArgumentError("prompts: need at least one prompt")
    checked = []
    for i, prompt in enumerate(prompts):
        ids = np.asarray(prompt, dtype=np.uint32)
        if ids.ndim != 1 or ids.size == 0 or (ids >= vocab).any():
            raise InvalidArgumentError(
                f"prompts: prompt {i} must be a non-empty 1-D array of ids below {vocab}"
            )
        checked.append(ids)
    return checked


def speculative_generate(
    target: LanguageModel,
    draft: LanguageModel,
    prompts: Sequence[History],
    *,
    max_new_tokens: int,
    L: int,
    K: int,
    tau: float = 1.0,
    eps: EpsSpec = "auto",
    seed: int = 0,
    tsu: TSU | None = None,
    drafting: str = "token",
) -> Generation:
    """Generate `max_new_tokens` after each prompt with L-token drafts verified in blocks;
    `drafting` is "token" (one ψ and TSU call per draft token) or "chain" (one chain ψ and
    TSU call per block)."""
    vocab = target.vocab_size
    if draft.vocab_size != vocab:
        raise InvalidArgumentError(
            f"draft: vocabulary {draft.vocab_size} differs from the target's {vocab}"
        )
    if drafting not in DRAFTING:
        raise InvalidArgumentError(
            f"drafting: must be one of {', '.join(DRAFTING)}, got {drafting!r}"
        )
    block = check_int("L", L, 1, _core.MAX_CHAIN_LEN)
    k = check_int("K", K, 1, vocab)
    n_new = check_int("max_new_tokens", max_new_tokens, 1)
    run_seed = check_seed(seed)
    eps_value = parse_eps(eps)
    sampler = tsu if tsu is not None else SimTSU(run_seed)
    sequences = [list(p) for p in _check_prompts(prompts, vocab)]
    prompt_lengths = [len(s) for s in sequences]
    counters = np.zeros(len(sequences), dtype=np.uint64)
    stats = GenerationStats(reached_by_position=[0] * block, accepted_by_position=[0] * block)

    active = list(range(len(sequences)))
    while active:
        bases = np.left_shift(np.array(active, dtype=np.uint64), np.uint64(SEQUENCE_SHIFT))
        bases += counters[active]
        prefixes = [sequences[b] for b in active]
        if drafting == "chain":
            drafted, psis, logq, sizes = _draft_chain(
                draft, sampler, prefixes, bases, block, k, tau, eps_value
            )
        else:
            drafted, psis, logq = _draft(draft, sampler, prefixes, bases, block, k, tau, eps_value)
            sizes = [sum(psi.size_bytes for psi in row) for row in psis]
        histories = [
            np.array(prefix + d[:i], dtype=np.uint32)
            for prefix, d in zip(prefixes, drafted, strict=True)
            for i in range(block + 1)
        ]
        target_rows = target.logprobs_batch(histories)
        flat_psis = [psi for row in psis for psi in row]
        # A backend other than the simulated TSU is verified against what it realised.
        realised = (
            None
            if isinstance(sampler, SimTSU)
            else np.stack([sampler.realised_logq(psi) for psi in flat_psis])
        )
        verdicts = _core.verify_blocks(
            np.ascontiguousarray(target_rows),
            flat_psis,
            np.array([t for row in drafted for t in row], dtype=np.uint32),
            np.array([v for row in logq for v in row], dtype=np.float64),
            np.full(len(active), block, dtype=np.uint32),
            np.full(len(active), run_seed, dtype=np.uint64),
            bases,
            realised_logq=realised,
        )
        still_active = []
        for j, b in enumerate(active):
            room = n_new - (len(sequences[b]) - prompt_lengths[b])
            kept = verdicts.emitted[verdicts.offsets[j] : verdicts.offsets[j + 1]][:room]
            sequences[b].extend(int(t) for t in kept)
            counters[b] += np.uint64(block + 1)
            calls = 1 if drafting == "chain" else block
            stats.record_round(block, int(verdicts.accepted[j]), len(kept), sizes[j], calls)
            if len(sequences[b]) - prompt_lengths[b] < n_new:
                still_active.append(b)
        active = still_active
    outputs = [
        np.array(s[n:], dtype=np.uint32) for s, n in zip(sequences, prompt_lengths, strict=True)
    ]
    return Generation(outputs=outputs, stats=stats)


def _draft(
    draft: LanguageModel,
    sampler: TSU,
    prefixes: list[list[int]],
    bases: NDArray[np.uint64],
    block: int,
    k: int,
    tau: float,
    eps: EpsSpec,
) -> tuple[list[list[int]], list[list[PsiTopK]], list[list[float]]]:
    """L draft tokens per prefix: craft ψ from the draft's conditional, draw through the TSU,
    extend, repeat. Returns the tokens, their payloads and their returned log q."""
    drafted: list[list[int]] = [[] for _ in prefixes]
    psis: list[list[PsiTopK]] = [[] for _ in prefixes]
    logq: list[list[float]] = [[] for _ in prefixes]
    for i in range(block):
        histories = [
            np.array(p + d, dtype=np.uint32) for p, d in zip(prefixes, drafted, strict=True)
        ]
        probs = np.exp(draft.logprobs_batch(histories))
        round_psis = _core.craft_psi_rows(probs, k, tau, None if eps == "auto" else eps)
        tokens, token_logq = sampler.sample_each(round_psis, bases + np.uint64(i))
        for j, psi in enumerate(round_psis):
            drafted[j].append(int(tokens[j]))
            psis[j].append(psi)
            logq[j].append(float(token_logq[j]))
    return drafted, psis, logq


def _draft_chain(
    draft: LanguageModel,
    sampler: TSU,
    prefixes: list[list[int]],
    bases: NDArray[np.uint64],
    block: int,
    k: int,
    tau: float,
    eps: EpsSpec,
) -> tuple[list[list[int]], list[list[PsiTopK]], list[list[float]], list[int]]:
    """L draft tokens per prefix from one chain ψ and one TSU call. Returns the tokens, the
    conditional payload each was drawn from, their returned log q, and each chain's size."""
    histories = [np.array(p, dtype=np.uint32) for p in prefixes]
    chains = craft_chains(draft, histories, L=block, K=k, tau=tau, eps=eps)
    tokens, logq = sampler.sample_chains(chains, bases)
    drafted = tokens.tolist()
    psis = [chain.conditionals_for(row) for chain, row in zip(chains, drafted, strict=True)]
    return drafted, psis, logq.tolist(), [chain.size_bytes for chain in chains]


def baseline_generate(
    target: LanguageModel, prompts: Sequence[History], *, max_new_tokens: int, seed: int = 0
) -> Generation:
    """Plain ancestral sampling from the target: one target call per token."""
    n_new = check_int("max_new_tokens", max_new_tokens, 1)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    sequences = [list(p) for p in _check_prompts(prompts, target.vocab_size)]
    prompt_lengths = [len(s) for s in sequences]
    stats = GenerationStats()
    for _ in range(n_new):
        probs = np.exp(target.logprobs_batch([np.array(s, dtype=np.uint32) for s in sequences]))
        cumulative = np.cumsum(probs, axis=1)
        u = rng.random(len(sequences)) * cumulative[:, -1]
        tokens = (cumulative > u[:, None]).argmax(axis=1)
        for sequence, token in zip(sequences, tokens, strict=True):
            sequence.append(int(token))
        stats.tokens += len(sequences)
        stats.target_calls += len(sequences)
    outputs = [
        np.array(s[n:], dtype=np.uint32) for s, n in zip(sequences, prompt_lengths, strict=True)
    ]
    return Generation(outputs=outputs, stats=stats)
