"""Block speculative decoding through ψ payloads, and plain sampling as the baseline.

Per round, for every active sequence, a drafter (`tsd.drafters`: per-token or chain) proposes
L tokens drawn through a TSU, with the payload each came from and its returned log q. The
target's session (`tsd.models`) is extended by the L drafts, giving p at the L + 1 positions
in one call; the block verifier (rust/block.rs) accepts the longest prefix and emits a
correction or a bonus token, checking position i against the payload y_i was drawn from; the
session rolls back the rejected drafts. Sequences run in lockstep, so each round is a handful
of batched calls into the core whatever the batch size.

Randomness: sequence b's draws at its k-th verified position use step (b << 40) + k of the
seed, on the TSU stream for the draft and the verifier stream for the verdict.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd import _core, metrics
from tsd._checks import check_int, check_seed
from tsd.drafters import Drafter
from tsd.errors import InvalidArgumentError
from tsd.models.session import History, SessionModel, check_prompts
from tsd.timing import Phases

SEQUENCE_SHIFT = 40


@dataclass(frozen=True)
class GenerationStats:
    """Counters of one generation run over all its sequences, named as in `tsd.metrics`: a
    draft is one sequence's L-token block, verified by one target call."""

    tokens: int
    target_calls: int
    num_drafts: int
    num_draft_tokens: int
    num_accepted_tokens: int
    rejections: int
    psi_bytes: int
    tsu_calls: int
    reached_by_position: tuple[int, ...]
    num_accepted_tokens_per_pos: tuple[int, ...]

    @property
    def acceptance_rate(self) -> float:
        return metrics.acceptance_rate(self.num_accepted_tokens, self.num_draft_tokens)

    @property
    def mean_acceptance_length(self) -> float:
        return metrics.mean_acceptance_length(self.num_accepted_tokens, self.num_drafts)

    @property
    def alpha(self) -> float:
        """Acceptance per examined draft position (positions after a rejection are never
        examined): the α of Leviathan et al.'s closed form."""
        return metrics.acceptance_rate(
            sum(self.num_accepted_tokens_per_pos), sum(self.reached_by_position)
        )

    @property
    def tokens_per_call(self) -> float:
        """Emitted tokens per target call, bonus included."""
        return self.tokens / self.target_calls if self.target_calls else float("nan")

    def position_acceptance(self) -> list[float]:
        """Acceptance at draft position i among the drafts that reached it."""
        return [
            metrics.acceptance_rate(a, r)
            for a, r in zip(self.num_accepted_tokens_per_pos, self.reached_by_position, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        """The counters and the metrics derived from them, JSON-ready."""
        return {
            **asdict(self),
            "reached_by_position": list(self.reached_by_position),
            "num_accepted_tokens_per_pos": list(self.num_accepted_tokens_per_pos),
            "acceptance_rate": self.acceptance_rate,
            "mean_acceptance_length": self.mean_acceptance_length,
            "alpha": self.alpha,
            "tokens_per_call": self.tokens_per_call,
            "position_acceptance": self.position_acceptance(),
        }


class _Tally:
    """The counters while a run goes on; `stats()` freezes them."""

    def __init__(self, block: int) -> None:
        self.tokens = self.target_calls = self.drafts = self.draft_tokens = 0
        self.accepted = self.rejections = self.psi_bytes = self.tsu_calls = 0
        self.reached = [0] * block
        self.accepted_at = [0] * block

    def record_round(
        self, block: int, accepted: int, kept: int, psi_bytes: int, tsu_calls: int
    ) -> None:
        """Count one sequence's round: L drafts, `accepted` of them kept, `kept` tokens emitted."""
        self.tokens += kept
        self.target_calls += 1
        self.drafts += 1
        self.tsu_calls += tsu_calls
        self.draft_tokens += block
        self.accepted += accepted
        self.rejections += int(accepted < block)
        self.psi_bytes += psi_bytes
        for i in range(min(accepted + 1, block)):
            self.reached[i] += 1
            self.accepted_at[i] += int(i < accepted)

    def stats(self) -> GenerationStats:
        return GenerationStats(
            tokens=self.tokens,
            target_calls=self.target_calls,
            num_drafts=self.drafts,
            num_draft_tokens=self.draft_tokens,
            num_accepted_tokens=self.accepted,
            rejections=self.rejections,
            psi_bytes=self.psi_bytes,
            tsu_calls=self.tsu_calls,
            reached_by_position=tuple(self.reached),
            num_accepted_tokens_per_pos=tuple(self.accepted_at),
        )


@dataclass(frozen=True)
class Generation:
    """The tokens each sequence produced after its prompt, and the run's counters."""

    outputs: list[NDArray[np.uint32]]
    stats: GenerationStats


def speculative_generate(
    target: SessionModel,
    drafter: Drafter,
    prompts: Sequence[History],
    *,
    max_new_tokens: int,
    seed: int = 0,
    phases: Phases | None = None,
) -> Generation:
    """Generate `max_new_tokens` after each prompt: each round the drafter proposes L tokens
    per sequence, the target scores them through its session in one call, and the block
    verifier (keyed by `seed`) keeps the accepted prefix and a correction or bonus token.
    `phases`, where given, collects the seconds spent drafting (`draft`), in the target
    (`target`: extending, scoring, rolling back) and verifying (`verify`)."""
    if not isinstance(target, SessionModel):
        raise InvalidArgumentError(
            "target: needs start(prompts) returning a session (tsd.models.SessionModel); "
            "a stateless model can return tsd.models.RecomputingSession(model, prompts)"
        )
    if not isinstance(drafter, Drafter):
        raise InvalidArgumentError(
            "drafter: needs L and draft(prefixes, bases) (tsd.drafters.Drafter); "
            "build one with tsd.drafters.make_drafter"
        )
    vocab = target.vocab_size
    if drafter.vocab_size != vocab:
        raise InvalidArgumentError(
            f"drafter: vocabulary {drafter.vocab_size} differs from the target's {vocab}"
        )
    block = drafter.L
    n_new = check_int("max_new_tokens", max_new_tokens, 1)
    run_seed = check_seed(seed)
    checked = check_prompts(prompts, vocab)
    clock = phases or Phases()
    with clock.measure("target"):
        session = target.start(checked)
    sequences = [p.tolist() for p in checked]
    prompt_lengths = [len(s) for s in sequences]
    counters = np.zeros(len(sequences), dtype=np.uint64)
    tally = _Tally(block)

    active = list(range(len(sequences)))
    while active:
        bases = np.left_shift(np.array(active, dtype=np.uint64), np.uint64(SEQUENCE_SHIFT))
        bases += counters[active]
        with clock.measure("draft"):
            drafts = drafter.draft([sequences[b] for b in active], bases)
        with clock.measure("target"):
            scores = session.extend(active, list(drafts.tokens))
            rows = np.ascontiguousarray(scores.rows(np.arange(len(active) * (block + 1))))
        with clock.measure("verify"):
            verdicts = _core.verify_blocks(
                rows,
                [psi for row in drafts.payloads for psi in row],
                np.ascontiguousarray(drafts.tokens.ravel()),
                np.ascontiguousarray(drafts.logq.ravel()),
                np.full(len(active), block, dtype=np.uint32),
                np.full(len(active), run_seed, dtype=np.uint64),
                bases,
                realised_logq=drafts.realised_logq,
            )
        still_active, rolled_back, appended = [], [], []
        for j, b in enumerate(active):
            room = n_new - (len(sequences[b]) - prompt_lengths[b])
            kept = verdicts.emitted[verdicts.offsets[j] : verdicts.offsets[j + 1]][:room]
            sequences[b].extend(int(t) for t in kept)
            counters[b] += np.uint64(block + 1)
            accepted = int(verdicts.accepted[j])
            # The session holds the L drafts: keep the accepted ones, append the rest emitted.
            drafted_kept = min(accepted, len(kept))
            rolled_back.append(block - drafted_kept)
            appended.append(kept[drafted_kept:])
            tally.record_round(block, accepted, len(kept), drafts.psi_bytes[j], drafts.tsu_calls)
            if len(sequences[b]) - prompt_lengths[b] < n_new:
                still_active.append(b)
        with clock.measure("target"):
            session.rollback(active, rolled_back)
            session.extend(active, appended)
        active = still_active
    outputs = [
        np.array(s[n:], dtype=np.uint32) for s, n in zip(sequences, prompt_lengths, strict=True)
    ]
    return Generation(outputs=outputs, stats=tally.stats())


def baseline_generate(
    target: SessionModel, prompts: Sequence[History], *, max_new_tokens: int, seed: int = 0
) -> Generation:
    """Plain ancestral sampling from the target: one target call per token, through its
    session."""
    if not isinstance(target, SessionModel):
        raise InvalidArgumentError("target: needs start(prompts) (tsd.models.SessionModel)")
    n_new = check_int("max_new_tokens", max_new_tokens, 1)
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    checked = check_prompts(prompts, target.vocab_size)
    session = target.start(checked)
    everyone = list(range(len(checked)))
    outputs = np.empty((len(checked), n_new), dtype=np.uint32)
    tally = _Tally(0)
    # Each call opens the position after every sequence's end (its last position).
    scores = session.extend(everyone, [[] for _ in everyone])
    for i in range(n_new):
        probs = np.exp(scores.rows(scores.offsets[1:] - 1))
        cumulative = np.cumsum(probs, axis=1)
        u = rng.random(len(checked)) * cumulative[:, -1]
        outputs[:, i] = (cumulative > u[:, None]).argmax(axis=1)
        tally.tokens += len(checked)
        tally.target_calls += len(checked)
        scores = session.extend(everyone, list(outputs[:, i : i + 1]))
    return Generation(outputs=list(outputs), stats=tally.stats())
