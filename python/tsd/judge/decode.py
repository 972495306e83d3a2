"""Judge decoding: speculative decoding with a greedy target where a judge may accept a draft
token the target would not have emitted (lossy), in lockstep over a batch.

Per round, for every active sequence, the drafter (`tsd.drafters`: ψ and the TSU, the draft's
law greedy) proposes L tokens; the target's KV session extends by them and returns its T=1
log-probabilities at the L + 1 positions (and, where the judge reads features, the last hidden
states with each draft token as input). The target's token at a position is the argmax of its
row. Positions are checked left to right: a match is accepted; a mismatch goes to the judge,
which accepts it (the draft token stays) or rejects it (the target's token replaces it and the
round ends); after a full block the target's next token is a bonus. The session rolls back the
rest. With no judge this is exact speculative decoding of greedy decoding: the output equals
the target's greedy decoding token for token.

Randomness is only the TSU's: sequence b's draws at its k-th verified position use step
(b << 40) + k of the drafter's TSU seed, as in `tsd.speculative`.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.drafters import Drafter
from tsd.errors import InvalidArgumentError, ModelError
from tsd.judge.judges import Judge, Mismatch
from tsd.models.hf import HFModel
from tsd.models.session import History, LanguageModel, check_prompts
from tsd.speculative import SEQUENCE_SHIFT
from tsd.timing import Phases

__all__ = [
    "GreedyDraftView",
    "JudgeGeneration",
    "JudgeStats",
    "Verdict",
    "judge_generate",
    "judge_verdict",
]


class GreedyDraftView:
    """A draft model seen through its greedy law (ln p = 0 at the argmax, −inf elsewhere), so a
    drafter proposes the draft's argmax, while the model's own T=1 rows are kept per history for
    the judge (`row`). `clear()` forgets them (once per round)."""

    def __init__(self, model: LanguageModel) -> None:
        self.model = model
        self._rows: dict[bytes, NDArray[np.float64]] = {}

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        """The greedy law's rows; the T=1 rows they come from are kept."""
        rows = self.model.logprobs_batch(histories)
        for history, row in zip(histories, rows, strict=True):
            self._rows[np.asarray(history, dtype=np.uint32).tobytes()] = row
        greedy = np.full_like(rows, -np.inf)
        greedy[np.arange(len(rows)), rows.argmax(axis=1)] = 0.0
        return greedy

    def row(self, history: Sequence[int]) -> NDArray[np.float64]:
        """The T=1 row the draft gave after `history` in this round."""
        key = np.asarray(history, dtype=np.uint32).tobytes()
        if key not in self._rows:
            raise ModelError("draft: the drafter did not score this history in the round")
        return self._rows[key]

    def clear(self) -> None:
        self._rows.clear()


@dataclass(frozen=True)
class Verdict:
    """One sequence's round: draft tokens accepted (judge), the matching prefix (what exact
    decoding accepts), the tokens to emit, mismatches the judge examined and accepted, and
    whether the round ended in a fallback to the target's token."""

    accepted: int
    exact: int
    emitted: list[int]
    mismatches: int
    judge_accepts: int
    fallback: bool


def judge_verdict(
    draft_tokens: NDArray[np.uint32], target_tokens: NDArray[np.int64], judged: NDArray[np.bool_]
) -> Verdict:
    """Check L draft tokens against the target's L + 1 greedy tokens left to right: a match is
    accepted; a mismatch is accepted where `judged[i]` (the judge's answer there) and otherwise
    replaced by the target's token, ending the round; a full block earns the bonus token."""
    block = len(draft_tokens)
    matches = draft_tokens == target_tokens[:block]
    exact = int(np.argmin(matches)) if not matches.all() else block
    mismatches = judge_accepts = 0
    for i in range(block):
        if matches[i]:
            continue
        mismatches += 1
        if not judged[i]:
            emitted = [int(t) for t in draft_tokens[:i]] + [int(target_tokens[i])]
            return Verdict(i, exact, emitted, mismatches, judge_accepts, True)
        judge_accepts += 1
    emitted = [int(t) for t in draft_tokens] + [int(target_tokens[block])]
    return Verdict(block, exact, emitted, mismatches, judge_accepts, False)


@dataclass(frozen=True)
class JudgeStats:
    """Counters of one judge-decoding run over all its sequences (a round is one sequence's
    target call) and the rates derived from them."""

    tokens: int
    rounds: int
    draft_tokens: int
    accepted_tokens: int
    exact_accepted_tokens: int
    mismatches: int
    judge_accepts: int
    fallbacks: int

    @property
    def accepted_per_cycle(self) -> float:
        """Draft tokens accepted per target call, the judge's acceptances included."""
        return self.accepted_tokens / self.rounds if self.rounds else float("nan")

    @property
    def exact_accepted_per_cycle(self) -> float:
        """What exact decoding would accept of the same drafts (their matching prefixes) per
        target call."""
        return self.exact_accepted_tokens / self.rounds if self.rounds else float("nan")

    @property
    def judge_accept_rate(self) -> float:
        """Share of the mismatches the judge examined that it accepted."""
        return self.judge_accepts / self.mismatches if self.mismatches else float("nan")

    @property
    def target_fallback_rate(self) -> float:
        """Share of emitted tokens that replaced a rejected mismatch with the target's token."""
        return self.fallbacks / self.tokens if self.tokens else float("nan")

    @property
    def target_calls_per_token(self) -> float:
        return self.rounds / self.tokens if self.tokens else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """The counters and the rates, JSON-ready (NaN where nothing was counted)."""
        return {
            **asdict(self),
            "accepted_per_cycle": self.accepted_per_cycle,
            "exact_accepted_per_cycle": self.exact_accepted_per_cycle,
            "judge_accept_rate": self.judge_accept_rate,
            "target_fallback_rate": self.target_fallback_rate,
            "target_calls_per_token": self.target_calls_per_token,
        }


_COUNTERS = (
    "tokens", "rounds", "draft_tokens", "accepted_tokens", "exact_accepted_tokens", "mismatches",
    "judge_accepts", "fallbacks",
)  # fmt: skip


@dataclass
class _Tally:
    """The counters while a run goes on."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTERS, 0))

    def add(self, block: int, verdict: Verdict, kept: int) -> None:
        self.counts["tokens"] += kept
        self.counts["rounds"] += 1
        self.counts["draft_tokens"] += block
        self.counts["accepted_tokens"] += verdict.accepted
        self.counts["exact_accepted_tokens"] += verdict.exact
        self.counts["mismatches"] += verdict.mismatches
        self.counts["judge_accepts"] += verdict.judge_accepts
        self.counts["fallbacks"] += int(verdict.fallback and kept > verdict.accepted)

    def stats(self) -> JudgeStats:
        return JudgeStats(**self.counts)


@dataclass(frozen=True)
class JudgeGeneration:
    """The tokens each sequence produced after its prompt, and the run's counters."""

    outputs: list[NDArray[np.uint32]]
    stats: JudgeStats


def _judge_all(
    judge: Judge,
    scores: Any,
    rows: NDArray[np.float64],
    view: GreedyDraftView,
    prefixes: list[list[int]],
    tokens: NDArray[np.uint32],
    mismatched: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """The judge's answer at every mismatch of the round in one call, (B, L) (False elsewhere).
    Sequence j's position i is row offsets[j] + i; its hidden state with the draft token as
    input is that of the next position."""
    where = np.argwhere(mismatched)
    answers = np.zeros(mismatched.shape, dtype=bool)
    if not len(where):
        return answers
    offsets = scores.offsets
    at = np.array([offsets[j] + i for j, i in where], dtype=np.int64)
    mismatch = Mismatch(
        features=scores.hidden(at + 1) if judge.needs_features else None,
        target_logp=rows[at],
        draft_logp=np.stack([view.row(prefixes[j] + tokens[j, :i].tolist()) for j, i in where]),
        draft_tokens=tokens[mismatched],
    )
    verdicts = np.asarray(judge.accept(mismatch), dtype=bool)
    if verdicts.shape != (len(where),):
        raise InvalidArgumentError(
            f"judge: {judge.name} answered {verdicts.shape} for {len(where)} mismatches"
        )
    answers[mismatched] = verdicts
    return answers


def _until_stop(tokens: list[int], stop_token: int | None) -> list[int]:
    """`tokens` up to and including the first `stop_token`."""
    if stop_token is None or stop_token not in tokens:
        return tokens
    return tokens[: tokens.index(stop_token) + 1]


def judge_generate(
    target: HFModel,
    drafter: Drafter,
    view: GreedyDraftView,
    prompts: Sequence[History],
    *,
    judge: Judge | None,
    max_new_tokens: int,
    stop_token: int | None = None,
    phases: Phases | None = None,
) -> JudgeGeneration:
    """Generate `max_new_tokens` greedy tokens after each prompt with `judge` deciding the
    mismatches (None: exact, every mismatch rejected); a sequence that emits `stop_token` (such
    as EOS) ends there, the token kept. `target` gives its T=1 law (the greedy
    token is its argmax; a judge reads the full rows); `drafter` drafts through `view`, the
    draft model's greedy view. `phases`, where given, collects seconds spent drafting
    (`draft`), in the target (`target`) and judging (`judge`)."""
    if drafter.vocab_size != target.vocab_size:
        raise InvalidArgumentError(
            f"drafter: vocabulary {drafter.vocab_size} differs from the target's "
            f"{target.vocab_size}"
        )
    block = drafter.L
    n_new = check_int("max_new_tokens", max_new_tokens, 1)
    checked = check_prompts(prompts, target.vocab_size)
    clock = phases or Phases()
    hidden = judge is not None and judge.needs_features
    with clock.measure("target"):
        session = target.start(checked)
    sequences = [p.tolist() for p in checked]
    prompt_lengths = [len(s) for s in sequences]
    counters = np.zeros(len(sequences), dtype=np.uint64)
    tally = _Tally()
    active = list(range(len(sequences)))
    while active:
        bases = np.left_shift(np.array(active, dtype=np.uint64), np.uint64(SEQUENCE_SHIFT))
        bases += counters[active]
        prefixes = [sequences[b] for b in active]
        view.clear()
        with clock.measure("draft"):
            drafts = drafter.draft(prefixes, bases)
        with clock.measure("target"):
            scores = session.extend(active, list(drafts.tokens), hidden=hidden)
            rows = scores.rows(np.arange(len(active) * (block + 1)))
        greedy = rows.argmax(axis=1).reshape(len(active), block + 1)
        mismatched = drafts.tokens != greedy[:, :block]
        judged = np.zeros(mismatched.shape, dtype=bool)
        if judge is not None:
            with clock.measure("judge"):
                judged = _judge_all(judge, scores, rows, view, prefixes, drafts.tokens, mismatched)
        still_active, rolled_back, appended = [], [], []
        for j, b in enumerate(active):
            verdict = judge_verdict(drafts.tokens[j], greedy[j], judged[j])
            room = n_new - (len(sequences[b]) - prompt_lengths[b])
            kept = _until_stop(verdict.emitted[:room], stop_token)
            sequences[b].extend(kept)
            counters[b] += np.uint64(block + 1)
            # The session holds the L drafts: keep the accepted ones, append the rest emitted.
            drafted_kept = min(verdict.accepted, len(kept))
            rolled_back.append(block - drafted_kept)
            appended.append(kept[drafted_kept:])
            tally.add(block, verdict, len(kept))
            if len(sequences[b]) - prompt_lengths[b] < n_new and stop_token not in kept:
                still_active.append(b)
        with clock.measure("target"):
            session.rollback(active, rolled_back)
            session.extend(active, appended)
        active = still_active
    outputs = [
        np.array(s[n:], dtype=np.uint32) for s, n in zip(sequences, prompt_lengths, strict=True)
    ]
    return JudgeGeneration(outputs=outputs, stats=tally.stats())
