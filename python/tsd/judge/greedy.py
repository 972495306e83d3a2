"""Greedy decoding for label mining, batched in lockstep through the model's KV session: the
target's continuations of many prefixes at once, and the draft's greedy token at every position
of many answers at once. Greedy is the argmax of the T=1 log-softmax, ties to the lowest id
(`greedy_tokens`), the same rule everywhere."""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import HFModel, TargetLaw

__all__ = ["draft_predictions", "greedy_continue", "greedy_tokens", "plain_law"]


def plain_law(model: HFModel) -> HFModel:
    """`model` under its own T=1 law, whose argmax is greedy decoding: itself when that is its
    law (so its forward clock counts the calls), else the same module, no copy."""
    if model.law == TargetLaw():
        return model
    return HFModel(model.module, law=TargetLaw(), tokenizer=model.tokenizer, name=model.name)


def greedy_tokens(logp: NDArray[np.float64]) -> NDArray[np.int64]:
    """The argmax over the last axis, the lowest id on ties (numpy's rule)."""
    chosen: NDArray[np.int64] = np.argmax(logp, axis=-1).astype(np.int64)
    return chosen


def eos_id(model: HFModel) -> int:
    """The token that ends an answer (the tokenizer's end-of-sequence token)."""
    eos = getattr(model.tokenizer, "eos_token_id", None)
    if eos is None:
        raise ModelError(f"target: {model.name} has no end-of-sequence token to end answers with")
    return int(eos)


def greedy_continue(
    model: HFModel,
    prefixes: Sequence[Sequence[int] | NDArray[np.uint32]],
    budgets: Sequence[int],
    eos: int | None,
) -> list[list[int]]:
    """For each prefix, up to `budgets[i]` greedy tokens after it, stopping after `eos` (None:
    never); all prefixes decoded in lockstep through one KV session, one target call per token
    for those still going."""
    if len(prefixes) != len(budgets):
        raise InvalidArgumentError(
            f"budgets: {len(prefixes)} prefixes need as many budgets, got {len(budgets)}"
        )
    out: list[list[int]] = [[] for _ in prefixes]
    active = [i for i, budget in enumerate(budgets) if budget > 0]
    if not active:
        return out
    session = plain_law(model).start([np.asarray(prefixes[i], dtype=np.uint32) for i in active])
    rows = list(range(len(active)))
    scores = session.extend(rows, [[] for _ in rows])
    while rows:
        chosen = greedy_tokens(scores.rows(scores.offsets[1:] - 1))
        still = []
        for row, token in zip(rows, chosen.tolist(), strict=True):
            i = active[row]
            out[i].append(int(token))
            if token != eos and len(out[i]) < budgets[i]:
                still.append((row, int(token)))
        rows = [row for row, _ in still]
        if rows:
            scores = session.extend(rows, [[token] for _, token in still])
    return out


def draft_predictions(
    draft: HFModel, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]]
) -> list[NDArray[np.int64]]:
    """The draft's greedy token at each position of each answer, given the prompt and the
    answer's tokens before it (teacher forcing): one batched forward of every answer."""
    if len(prompts) != len(answers):
        raise InvalidArgumentError(
            f"answers: {len(prompts)} prompts need as many answers, got {len(answers)}"
        )
    if not prompts:
        return []
    session = plain_law(draft).start([np.asarray(p, dtype=np.uint32) for p in prompts])
    rows = list(range(len(prompts)))
    scores = session.extend(rows, [list(a) for a in answers])
    out = []
    for row, answer in enumerate(answers):
        start = int(scores.offsets[row])
        positions = np.arange(start, start + len(answer), dtype=np.int64)
        out.append(greedy_tokens(scores.rows(positions)) if len(answer) else np.empty(0, np.int64))
    return out
