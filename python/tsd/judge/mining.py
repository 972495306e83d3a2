"""Label mining (AutoJudge's find_important_tokens), batched over questions: start from the
target's greedy answer and walk, left to right, the positions where the draft's greedy token
differs from the current answer. At each, put the draft's token in and let the target finish
greedily (the same max_new_tokens); if the task's extracted answer is unchanged the mismatch is
unimportant and the new continuation becomes the current answer (the draft's tokens are
recomputed after it), otherwise it is important and the target's token stays.

Every question's next mismatch is resolved in one lockstep batch per round, so a round costs
one batched greedy continuation, however many questions are still walking."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError
from tsd.judge.features import mismatch_features
from tsd.judge.greedy import draft_predictions, greedy_continue
from tsd.judge.task import Question, Task
from tsd.models.hf import HFModel

__all__ = ["Mined", "MinedQuestion", "answer_text", "mine_labels"]


@dataclass
class MinedQuestion:
    """One question's walk: its final answer tokens, and per mismatch the answer position,
    the draft's and the target's tokens and whether it was important."""

    question: Question
    prompt: list[int]
    answer: list[int]
    positions: list[int] = field(default_factory=list)
    draft_tokens: list[int] = field(default_factory=list)
    target_tokens: list[int] = field(default_factory=list)
    important: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class Mined:
    """The walks of a batch of questions and the features of their mismatches, in order (by
    question, then position)."""

    questions: list[MinedQuestion]
    features: NDArray[np.float32]


def answer_text(model: HFModel, tokens: Sequence[int]) -> str:
    """An answer's text, special tokens (the end of turn) left out."""
    return str(model.tokenizer.decode(list(tokens), skip_special_tokens=True))


def _next_mismatch(answer: list[int], predicted: NDArray[np.int64], start: int) -> int | None:
    for j in range(start, len(answer)):
        if int(predicted[j]) != answer[j]:
            return j
    return None


def mine_labels(
    target: HFModel,
    draft: HFModel,
    task: Task,
    questions: Sequence[Question],
    prompts: Sequence[Sequence[int]],
    answers: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    eos: int,
    feature_source: str,
    progress: Callable[[int], None] | None = None,
) -> Mined:
    """Walk every question's mismatches (see the module doc) from the target's greedy
    `answers`; `progress(n)` after each round with the mismatches resolved in it."""
    if not len(questions) == len(prompts) == len(answers):
        raise InvalidArgumentError(
            f"answers: {len(questions)} questions need as many prompts and answers, got "
            f"{len(prompts)} and {len(answers)}"
        )
    walks = [
        MinedQuestion(q, list(p), list(a))
        for q, p, a in zip(questions, prompts, answers, strict=True)
    ]
    reference = [task.extract_answer(w.question, answer_text(target, w.answer)) for w in walks]
    predicted = draft_predictions(draft, prompts, [w.answer for w in walks])
    cursor = [0] * len(walks)
    while True:
        pending = []
        for i, walk in enumerate(walks):
            j = _next_mismatch(walk.answer, predicted[i], cursor[i])
            if j is not None:
                pending.append((i, j))
        if not pending:
            break
        heads = [[*walks[i].answer[:j], int(predicted[i][j])] for i, j in pending]
        tails = greedy_continue(
            target,
            [walks[i].prompt + head for (i, _), head in zip(pending, heads, strict=True)],
            [0 if head[-1] == eos else max_new_tokens - len(head) for head in heads],
            eos,
        )
        recompute = []
        for (i, j), head, tail in zip(pending, heads, tails, strict=True):
            walk = walks[i]
            candidate = head + tail
            kept = task.extract_answer(walk.question, answer_text(target, candidate))
            important = kept != reference[i]
            walk.positions.append(j)
            walk.draft_tokens.append(head[-1])
            walk.target_tokens.append(walk.answer[j])
            walk.important.append(important)
            cursor[i] = j + 1
            if not important:
                walk.answer = candidate
                recompute.append(i)
        fresh = draft_predictions(
            draft, [walks[i].prompt for i in recompute], [walks[i].answer for i in recompute]
        )
        for i, tokens in zip(recompute, fresh, strict=True):
            predicted[i] = tokens
        if progress is not None:
            progress(len(pending))
    sequences, positions = [], []
    for walk in walks:
        for j, token in zip(walk.positions, walk.draft_tokens, strict=True):
            sequences.append(walk.prompt + walk.answer[:j] + [token])
            positions.append(len(walk.prompt) + j)
    features = mismatch_features(target, draft, sequences, positions, feature_source)
    return Mined(walks, features)
