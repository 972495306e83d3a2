"""Drafts for the LM benchmark, named by spec strings `KIND:ARGUMENT`, each built by the builder
registered for its kind in `DRAFTS`:

- `ngram:N`: a Kneser–Ney n-gram model of order N over the target's token ids, trained on a
  corpus encoded with the target's tokenizer;
- `early-exit:K`: the target's first K decoder layers with its norm and head (shares weights);
- `hf:SOURCE`: another causal LM (a local folder, a hub name, or `tiny-random:SEED`), loaded
  like the target and refused unless its tokenizer maps every id as the target's does.

Adding a draft kind: a builder `(argument, DraftContext) -> Draft` and one entry in `DRAFTS`
(and its name in `HF_DRAFT_KINDS` if it builds a transformers model, which hf-assisted can use).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError, ModelError, VocabularyMismatchError
from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_models import load_bench_model, load_config, load_tokenizer
from tsd.models import NgramLM, read_corpus
from tsd.models.hf import ForwardClock, HFModel, check_same_vocabulary, early_exit
from tsd.models.hf.load import Quantization
from tsd.models.session import History, LanguageModel

__all__ = [
    "DRAFTS",
    "HF_DRAFT_KINDS",
    "Draft",
    "DraftContext",
    "TimedDraft",
    "build_draft",
    "check_draft_pairing",
    "check_draft_specs",
    "parse_draft_spec",
]


class TimedDraft:
    """A draft model that adds up the seconds spent inside its `logprobs_batch` (its forwards
    and their bookkeeping), so a benchmark can tell drafting's model cost from ψ and TSU."""

    def __init__(self, model: LanguageModel) -> None:
        self.model = model
        self.seconds = 0.0

    @property
    def vocab_size(self) -> int:
        return self.model.vocab_size

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        began = time.perf_counter()
        try:
            return self.model.logprobs_batch(histories)
        finally:
            self.seconds += time.perf_counter() - began


@dataclass(frozen=True)
class Draft:
    """A built draft: its spec, the model drafting goes through (timed), the transformers module
    where it is an HF model (hf-assisted needs one) and that model's forward clock."""

    spec: str
    model: TimedDraft
    module: Any | None
    clock: ForwardClock | None

    @property
    def is_hf(self) -> bool:
        """Whether transformers' assisted generation can use this draft."""
        return self.module is not None


@dataclass(frozen=True)
class DraftContext:
    """What a draft builder may need: the loaded target, the corpus for n-gram drafts and how
    to load another model."""

    target: HFModel
    corpus: str | None
    dtype: str
    device: str
    quantize: Quantization | None
    progress: Callable[[str], None]


def _hf_draft(spec: str, model: HFModel) -> Draft:
    return Draft(spec, TimedDraft(model), model.module, model.clock)


def build_ngram(argument: str, context: DraftContext) -> Draft:
    """`ngram:N`: Kneser–Ney of order N on the corpus, through the target's tokenizer."""
    order = _int_argument("ngram", argument)
    if context.corpus is None:
        raise InvalidArgumentError("draft_corpus: an ngram draft needs a corpus (--draft-corpus)")
    tokenizer = context.target.tokenizer
    if tokenizer is None:
        raise ModelError("draft: an ngram draft needs the target's tokenizer to encode its corpus")
    context.progress(f"training ngram:{order} on {context.corpus}")
    ids = np.asarray(
        tokenizer(read_corpus(context.corpus), add_special_tokens=False)["input_ids"],
        dtype=np.uint32,
    )
    model = NgramLM.train_ids(ids, context.target.vocab_size, order)
    return Draft(f"ngram:{order}", TimedDraft(model), None, None)


def build_early_exit(argument: str, context: DraftContext) -> Draft:
    """`early-exit:K`: the target's first K layers, its norm and head."""
    layers = _int_argument("early-exit", argument)
    return _hf_draft(f"early-exit:{layers}", early_exit(context.target, layers))


def build_hf(argument: str, context: DraftContext) -> Draft:
    """`hf:SOURCE`: another causal LM with exactly the target's vocabulary."""
    if not argument:
        raise InvalidArgumentError("draft: hf needs a model (hf:PATH_OR_NAME)")
    model = load_bench_model(
        argument,
        dtype=context.dtype,
        device=context.device,
        quantize=context.quantize,
        law=context.target.law,
        progress=context.progress,
    )
    target = context.target
    if model.tokenizer is None or target.tokenizer is None:
        raise ModelError(f"draft: {argument} and the target need tokenizers to compare")
    check_same_vocabulary(target.tokenizer, model.tokenizer, target.vocab_size)
    if model.vocab_size != target.vocab_size:
        raise VocabularyMismatchError(
            f"draft: {argument} scores {model.vocab_size} ids, the target {target.vocab_size}"
        )
    return _hf_draft(f"hf:{argument}", model)


DRAFTS: dict[str, Callable[[str, DraftContext], Draft]] = {
    "ngram": build_ngram,
    "early-exit": build_early_exit,
    "hf": build_hf,
}
# The kinds whose drafts are transformers models: what hf-assisted can run with.
HF_DRAFT_KINDS = ("early-exit", "hf")


def _int_argument(kind: str, argument: str) -> int:
    try:
        value = int(argument)
    except ValueError:
        raise InvalidArgumentError(
            f"draft: {kind} needs a positive integer ({kind}:N), got {argument!r}"
        ) from None
    return check_int("draft", value, 1)


def parse_draft_spec(spec: str) -> tuple[str, str]:
    """(kind, argument) of a spec `KIND:ARGUMENT`; an unknown kind is an error naming the known."""
    kind, colon, argument = spec.partition(":")
    if kind not in DRAFTS or not colon:
        known = ", ".join(f"{name}:..." for name in DRAFTS)
        raise InvalidArgumentError(f"draft: unknown draft spec {spec!r}; known: {known}")
    return kind, argument


def check_draft_specs(config: LMBenchConfig) -> None:
    """Every draft spec names a known kind (with a well-formed argument), and hf-assisted, if
    asked for, has a transformers draft to run with: checked before anything loads."""
    kinds = [parse_draft_spec(spec) for spec in config.drafts]
    for kind, argument in kinds:
        if kind in ("ngram", "early-exit"):
            _int_argument(kind, argument)
    if "hf-assisted" in config.methods and not any(kind in HF_DRAFT_KINDS for kind, _ in kinds):
        raise InvalidArgumentError(
            "methods: hf-assisted needs a transformers draft (early-exit:K or hf:MODEL)"
        )


def build_draft(spec: str, context: DraftContext) -> Draft:
    """The draft `spec` names, built by its kind's registered builder."""
    kind, argument = parse_draft_spec(spec)
    return DRAFTS[kind](argument, context)


def check_draft_pairing(target: str, spec: str) -> str:
    """Whether draft `spec` pairs with target source `target`, without loading weights: an
    `hf:` draft's tokenizer maps every id as the target's does (`VocabularyMismatchError`
    otherwise); an early-exit draft keeps no more layers than the target has; early-exit and
    n-gram drafts use the target's tokenizer by construction. Returns what held, in words."""
    kind, argument = parse_draft_spec(spec)
    if kind == "early-exit":
        layers = int(load_config(target).num_hidden_layers)
        check_int("draft", _int_argument(kind, argument), 1, layers)
        return f"{spec}: {argument} of {target}'s {layers} layers, the target's own tokenizer"
    if kind != "hf":
        return f"{spec}: the target's own tokenizer, by construction"
    ours, theirs = load_tokenizer(target), load_tokenizer(argument)
    check_same_vocabulary(ours, theirs, max(len(ours), len(theirs)))
    return f"{spec}: maps all {len(ours)} ids as {target} does"
