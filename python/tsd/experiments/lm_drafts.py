"""Drafts for the LM benchmark, named by spec strings `KIND:ARGUMENT`, each built by the builder
registered for its kind in `DRAFTS`:

- `ngram:N`: a Kneser–Ney n-gram model of order N over the target's token ids, trained on a
  corpus encoded with the target's tokenizer;
- `ngram-self:N`: the same, trained on the target's own answers (`SELF_SAMPLE_TOKENS` each) to
  the prompts the benchmark does not time (`tsd.models.hf.samples.target_samples`, cached);
- `early-exit:K`: the target's first K decoder layers with its norm and head (shares weights);
- `hf:SOURCE`: another causal LM (a local folder, a hub name, or `tiny-random:SEED`), loaded
  like the target and refused unless its tokenizer maps every id as the target's does; a bare
  path to a model folder (such as a draft `tsd train draft` wrote) means `hf:PATH`.

Adding a draft kind: a builder `(argument, DraftContext) -> Draft` and one entry in `DRAFTS`
(and its name in `HF_DRAFT_KINDS` if it builds a transformers model, which hf-assisted can use,
and in `INTEGER_KINDS` if its argument is a positive integer).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError, ModelError, VocabularyMismatchError
from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_models import load_bench_model, load_config, load_tokenizer
from tsd.experiments.speculative import synthetic_text
from tsd.models import NgramLM, read_corpus
from tsd.models.hf import ForwardClock, HFModel, check_same_vocabulary, early_exit, encode_prompts
from tsd.models.hf.load import Quantization
from tsd.models.hf.samples import target_samples
from tsd.models.session import History, LanguageModel

__all__ = [
    "DRAFTS",
    "HF_DRAFT_KINDS",
    "INTEGER_KINDS",
    "SELF_SAMPLE_TOKENS",
    "Draft",
    "DraftContext",
    "TimedDraft",
    "build_draft",
    "check_draft_pairing",
    "check_draft_specs",
    "parse_draft_spec",
]


# Tokens of the target's answer sampled per prompt for an ngram-self draft.
SELF_SAMPLE_TOKENS = 128


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
        """The draft model's scores, the time they took added to `seconds`."""
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

    def fresh(self) -> "Draft":
        """The same draft with nothing carried over: its timer at zero and, for a transformers
        draft, a new `HFModel` over the same module (no weights copied) whose prefix cache
        is empty and clock at zero, so no measurement reuses another's cached prompts."""
        model = self.model.model
        if isinstance(model, HFModel):
            again = HFModel(model.module, law=model.law, tokenizer=model.tokenizer, name=model.name)
            return Draft(self.spec, TimedDraft(again), again.module, again.clock)
        return Draft(self.spec, TimedDraft(model), self.module, self.clock)


@dataclass(frozen=True)
class DraftContext:
    """What a draft builder may need: the loaded target, the corpus for n-gram drafts, how to
    load another model, and the texts (never the timed prompts), seed and chat template with
    which the target's own answers are sampled."""

    target: HFModel
    corpus: str | None
    dtype: str
    device: str
    quantize: Quantization | None
    progress: Callable[[str], None]
    sample_texts: tuple[str, ...] = ()
    seed: int = 0
    chat_template: bool = False


def _hf_draft(spec: str, model: HFModel) -> Draft:
    return Draft(spec, TimedDraft(model), model.module, model.clock)


def build_ngram(argument: str, context: DraftContext) -> Draft:
    """`ngram:N`: Kneser–Ney of order N on the corpus, through the target's tokenizer."""
    order = _int_argument("ngram", argument)
    tokenizer = context.target.tokenizer
    if tokenizer is None:
        raise ModelError("draft: an ngram draft needs the target's tokenizer to encode its corpus")
    if context.corpus is None:
        context.progress(f"training ngram:{order} on the built-in text (no --draft-corpus at hand)")
        text = synthetic_text()
    else:
        context.progress(f"training ngram:{order} on {context.corpus}")
        text = read_corpus(context.corpus)
    ids = np.asarray(tokenizer(text, add_special_tokens=False)["input_ids"], dtype=np.uint32)
    model = NgramLM.train_ids(ids, context.target.vocab_size, order)
    return Draft(f"ngram:{order}", TimedDraft(model), None, None)


def build_ngram_self(argument: str, context: DraftContext) -> Draft:
    """`ngram-self:N`: Kneser–Ney of order N on the target's own sampled answers."""
    order = _int_argument("ngram-self", argument)
    target = context.target
    encoded = encode_prompts(
        target.tokenizer, context.sample_texts, chat_template=context.chat_template
    )
    texts = [
        text
        for text, ids in zip(context.sample_texts, encoded, strict=True)
        if len(ids) + SELF_SAMPLE_TOKENS <= target.max_length
    ]
    if not texts:
        raise InvalidArgumentError(
            "draft: ngram-self needs prompts beyond the timed ones (that fit the target's "
            "context window) to sample the target's answers to"
        )
    ids = target_samples(
        target,
        texts,
        tokens_per_prompt=SELF_SAMPLE_TOKENS,
        seed=context.seed,
        chat_template=context.chat_template,
        progress=context.progress,
    )
    model = NgramLM.train_ids(ids, target.vocab_size, order)
    return Draft(f"ngram-self:{order}", TimedDraft(model), None, None)


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
    "ngram-self": build_ngram_self,
    "early-exit": build_early_exit,
    "hf": build_hf,
}
# The kinds whose drafts are transformers models: what hf-assisted can run with.
HF_DRAFT_KINDS = ("early-exit", "hf")
# The kinds whose argument is a positive integer (an order or a number of layers).
INTEGER_KINDS = ("ngram", "ngram-self", "early-exit")


def _int_argument(kind: str, argument: str) -> int:
    try:
        value = int(argument)
    except ValueError:
        raise InvalidArgumentError(
            f"draft: {kind} needs a positive integer ({kind}:N), got {argument!r}"
        ) from None
    return check_int("draft", value, 1)


def parse_draft_spec(spec: str) -> tuple[str, str]:
    """(kind, argument) of a spec `KIND:ARGUMENT`, or ("hf", PATH) for a bare path to a model
    folder (a trained draft, `tsd train draft`); a path that holds no model, or an unknown
    kind, is an error naming what was expected."""
    kind, colon, argument = spec.partition(":")
    if kind in DRAFTS and colon:
        return kind, argument
    if Path(spec).exists():
        if not (Path(spec) / "config.json").is_file():
            raise ModelError(
                f"draft: {spec} is a path but not a model folder (no config.json); a draft "
                "folder is what `tsd train draft` writes under draft/, or save_pretrained"
            )
        return "hf", spec
    known = ", ".join(f"{name}:..." for name in DRAFTS)
    raise InvalidArgumentError(
        f"draft: unknown draft spec {spec!r}; known: {known}, or a model folder's path"
    )


def check_draft_specs(config: LMBenchConfig) -> None:
    """Every draft spec names a known kind (with a well-formed argument), and hf-assisted, if
    asked for, has a transformers draft to run with: checked before anything loads."""
    kinds = [parse_draft_spec(spec) for spec in config.drafts]
    for kind, argument in kinds:
        if kind in INTEGER_KINDS:
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
