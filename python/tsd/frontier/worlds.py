"""The worlds the frontier is measured on: B contexts, each with the target's next-token
distribution p and the draft's d over one vocabulary.

- `ngram`: character Kneser–Ney models of one corpus (target order 6, draft order 2–3),
  contexts drawn from the held-out split; the built-in synthetic text when no corpus is given.
- `smollm2`: SmolLM2-135M as the target, a draft from the LM benchmark's registry
  (`early-exit:K`, `ngram:N`, `ngram-self:N`, `hf:MODEL`), contexts cut from the target's own
  sampled answers to MT-Bench first turns (needs the `hf` extra).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import VocabularyMismatchError
from tsd.experiments.speculative import synthetic_text
from tsd.extras import require_extra
from tsd.models import CharVocab, NgramLM, read_corpus, split_corpus
from tsd.prompts import load_prompts

Floats = NDArray[np.float64]
# Characters of history per n-gram context (only the last order − 1 matter).
NGRAM_HISTORY = 16
# Tokens of history per SmolLM2 context, and the fewest a context starts after.
LM_HISTORY = 64
LM_MIN_HISTORY = 8
# Answer tokens sampled per MT-Bench prompt for the SmolLM2 contexts.
LM_ANSWER_TOKENS = 64


@dataclass(frozen=True)
class World:
    """B contexts' target and draft distributions (rows sum to 1) and how they were made."""

    name: str
    p: Floats
    d: Floats
    description: str
    notes: tuple[str, ...] = ()

    @property
    def vocab(self) -> int:
        return int(self.p.shape[1])


def normalised(logprobs: NDArray[np.floating]) -> Floats:
    """Probability rows from log-probability rows, renormalised in float64."""
    probs = np.exp(np.asarray(logprobs, dtype=np.float64))
    return np.asarray(probs / probs.sum(axis=1, keepdims=True), dtype=np.float64)


def paired(name: str, p: Floats, d: Floats, description: str, notes: tuple[str, ...]) -> World:
    """A world whose target and draft share one vocabulary (else `VocabularyMismatchError`)."""
    if p.shape != d.shape:
        raise VocabularyMismatchError(
            f"draft: its distributions have {d.shape[1]} entries but the target's have "
            f"{p.shape[1]}; the frontier needs one vocabulary"
        )
    return World(name, p, d, description, notes)


def ngram_world(
    corpus: Path | None, contexts: int, seed: int, target_order: int = 6, draft_order: int = 2
) -> World:
    """Character n-gram target and draft on `corpus` (the synthetic text when None or absent)."""
    count = check_int("contexts", contexts, 1)
    notes: tuple[str, ...] = ()
    if corpus is not None and corpus.exists():
        text, source = read_corpus(corpus), str(corpus)
    else:
        text, source = synthetic_text(), "the built-in synthetic text"
        if corpus is not None:
            notes = (f"note: {corpus} not found; using the built-in synthetic text",)
    vocab = CharVocab.from_text(text)
    train, heldout = split_corpus(text)
    target = NgramLM.train(train, vocab, check_int("target_order", target_order, 1, 16))
    draft = NgramLM.train(train, vocab, check_int("draft_order", draft_order, 1, 16))
    ids = vocab.encode(heldout)
    rng = np.random.Generator(np.random.PCG64(seed))
    ends = rng.integers(NGRAM_HISTORY, ids.size, size=count)
    histories = [ids[end - NGRAM_HISTORY : end] for end in ends]
    description = (
        f"character Kneser–Ney on {source}: target order {target_order}, draft order "
        f"{draft_order}, {count} held-out contexts"
    )
    return paired(
        "ngram",
        normalised(target.logprobs_batch(histories)),
        normalised(draft.logprobs_batch(histories)),
        description,
        notes,
    )


def smollm2_world(
    draft_spec: str,
    prompts_file: Path,
    contexts: int,
    seed: int,
    prompts: int = 24,
    corpus: Path | None = None,
    progress: Callable[[str], None] = print,
) -> World:
    """SmolLM2-135M and the draft `draft_spec`, on contexts cut from the target's answers to
    the first `prompts` questions of `prompts_file` (sampled once, then cached)."""
    require_extra("hf", ("torch", "transformers"), needed_by="world smollm2")
    import torch  # noqa: PLC0415  (the hf extra is optional)

    from tsd.experiments.lm_drafts import DraftContext, build_draft  # noqa: PLC0415
    from tsd.models.hf import load_model  # noqa: PLC0415
    from tsd.models.hf.samples import target_samples  # noqa: PLC0415

    count = check_int("contexts", contexts, 1)
    texts = tuple(p.text for p in load_prompts(prompts_file)[: check_int("prompts", prompts, 1)])
    with torch.inference_mode():
        target = load_model("smollm2-135m", progress=progress)
        context = DraftContext(
            target=target, corpus=None if corpus is None else str(corpus), dtype="float32",
            device="cpu", quantize=None, progress=progress, sample_texts=texts, seed=seed,
            chat_template=True,
        )  # fmt: skip
        draft = build_draft(draft_spec, context)
        stream = target_samples(
            target, list(texts), tokens_per_prompt=LM_ANSWER_TOKENS, seed=seed, progress=progress
        )
        rng = np.random.Generator(np.random.PCG64(seed))
        ends = np.sort(rng.integers(LM_MIN_HISTORY, stream.size, size=count))
        histories = [stream[max(0, end - LM_HISTORY) : end] for end in ends]
        p = normalised(target.logprobs_batch(histories))
        d = normalised(draft.model.logprobs_batch(histories))
    description = (
        f"SmolLM2-135M target, draft {draft_spec}, {count} contexts from its answers to "
        f"{len(texts)} prompts"
    )
    return paired("smollm2", p, d, description, ())
