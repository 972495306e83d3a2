"""The speculative-decoding benchmark as a library call: baseline sampling from the target
vs block drafting through ψ and the TSU, on character n-gram models of one corpus."""

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tsd.drafters import DRAFTERS, make_drafter
from tsd.errors import InvalidArgumentError
from tsd.metrics import closed_form_tokens_per_call
from tsd.models import CharVocab, NgramLM, read_corpus, split_corpus
from tsd.prompts import Prompt, corpus_prompts, load_prompts
from tsd.psi import EpsSpec
from tsd.speculative import Generation, baseline_generate, speculative_generate
from tsd.targets import make_bigram
from tsd.tsu import make_tsu

Row = dict[str, Any]
# Every method name the benchmark knows: the baseline, then each drafter by its name.
METHODS = ("baseline", *DRAFTERS)
SYNTHETIC_ALPHABET = "abcdefghijklmnopqrstuvwxyz ,.;:!?'-\n"


def synthetic_text(length: int = 200_000, seed: int = 7) -> str:
    """A built-in corpus: a walk of the synthetic bigram over a 36-character alphabet."""
    target = make_bigram(len(SYNTHETIC_ALPHABET), 5.0, seed)
    rng = np.random.Generator(np.random.PCG64(seed))
    cumulative = np.cumsum(target.p, axis=1)
    uniforms = rng.random(length)
    state, out = 0, []
    for u in uniforms:
        state = min(int(np.searchsorted(cumulative[state], u, side="right")), target.vocab - 1)
        out.append(SYNTHETIC_ALPHABET[state])
    return "".join(out)


@dataclass(frozen=True)
class BenchConfig:
    """What to benchmark; `corpus=None` uses the built-in synthetic text. Methods: "baseline"
    (plain sampling from the target) and the drafters "token" (one top-K ψ of `K` ids per
    draft token) and "chain" (one chain ψ of `chain_K` ids per position for the whole block)."""

    corpus: str | None
    target_order: int = 6
    draft_order: int = 2
    blocks: Sequence[int] = (1, 2, 3, 4)
    methods: Sequence[str] = ("baseline", "token")
    prompts: int = 20
    prompt_chars: int = 64
    prompts_file: str | None = None
    max_new_tokens: int = 256
    runs: int = 5
    K: int = 64
    chain_K: int = 8  # noqa: N815  (K is the field's name in the literature)
    tau: float = 1.0
    eps: EpsSpec = "auto"
    seed: int = 7
    tsu: str = "sim"


@dataclass(frozen=True)
class Setup:
    """Trained models and encoded prompts, shared by every measurement."""

    vocab: CharVocab
    target: NgramLM
    draft: NgramLM
    prompts: list[Prompt]
    prompt_ids: list[np.ndarray]
    dropped_chars: int
    train_seconds: float


def prepare(config: BenchConfig) -> Setup:
    """Split the corpus, train target and draft on the training split, encode the prompts."""
    unknown = [method for method in config.methods if method not in METHODS]
    if unknown:
        raise InvalidArgumentError(f"methods: {unknown} not among {', '.join(METHODS)}")
    text = synthetic_text() if config.corpus is None else read_corpus(config.corpus)
    vocab = CharVocab.from_text(text)
    train, heldout = split_corpus(text)
    start = time.perf_counter()
    target = NgramLM.train(train, vocab, config.target_order)
    draft = NgramLM.train(train, vocab, config.draft_order)
    train_seconds = time.perf_counter() - start
    if config.prompts_file is not None:
        prompts = load_prompts(config.prompts_file)[: config.prompts]
    else:
        prompts = corpus_prompts(heldout, config.prompts, config.prompt_chars)
    known = set(vocab.symbols)
    kept = ["".join(c for c in p.text if c in known) for p in prompts]
    dropped = sum(len(p.text) - len(k) for p, k in zip(prompts, kept, strict=True))
    empty = [p.prompt_id for p, k in zip(prompts, kept, strict=True) if not k]
    if empty:
        raise InvalidArgumentError(
            f"prompts: no character of prompt(s) {empty} is in the vocabulary"
        )
    ids = [vocab.encode(k) for k in kept]
    return Setup(vocab, target, draft, prompts, ids, dropped, train_seconds)


def _row(
    config: BenchConfig, run: int, method: str, block: int | None, gen: Generation, wall: float
) -> Row:
    stats = gen.stats
    drafted = block is not None
    return {
        "run": run,
        "method": method,
        "L": block,
        "tokens": stats.tokens,
        "wall_s": wall,
        "tokens_per_sec": stats.tokens / wall,
        # Rows are written as strict JSON: acceptance figures are null where nothing was drafted
        # (the baseline) or a draft position was never examined.
        "acceptance_rate": stats.acceptance_rate if drafted else None,
        "mean_acceptance_length": stats.mean_acceptance_length if drafted else None,
        "alpha": stats.alpha if drafted else None,
        "tokens_per_target_call": stats.tokens_per_call,
        "closed_form_tokens_per_target_call": (
            closed_form_tokens_per_call(stats.alpha, block) if block is not None else 1.0
        ),
        "num_drafts": stats.num_drafts,
        "num_draft_tokens": stats.num_draft_tokens,
        "num_accepted_tokens": stats.num_accepted_tokens,
        "rejections": stats.rejections,
        "target_calls": stats.target_calls,
        "target_calls_per_token": stats.target_calls / stats.tokens,
        "tsu_calls_per_target_call": stats.tsu_calls / stats.target_calls if drafted else None,
        "position_acceptance": [None if math.isnan(a) else a for a in stats.position_acceptance()],
        "psi_bytes_per_token": stats.psi_bytes / stats.tokens,
        "K": None if block is None else config.chain_K if method == "chain" else config.K,
        "target_order": config.target_order,
        "draft_order": config.draft_order,
        "prompts": config.prompts,
        "max_new_tokens": config.max_new_tokens,
        "tsu": config.tsu,
    }


def run_benchmark(
    config: BenchConfig, setup: Setup, advance: Callable[[], None] | None = None
) -> list[Row]:
    """Every (run, method, L) measurement, one row each; `advance()` after each."""
    rows = []
    for run in range(config.runs):
        seed = config.seed + run
        plan: list[tuple[str, int | None]] = []
        if "baseline" in config.methods:
            plan.append(("baseline", None))
        for drafted in DRAFTERS:
            if drafted in config.methods:
                plan.extend((drafted, block) for block in config.blocks)
        for method, block in plan:
            start = time.perf_counter()
            if block is None:
                gen = baseline_generate(
                    setup.target, setup.prompt_ids, max_new_tokens=config.max_new_tokens, seed=seed
                )
            else:
                drafter = make_drafter(
                    method,
                    setup.draft,
                    make_tsu(config.tsu, seed),
                    L=block,
                    K=config.chain_K if method == "chain" else config.K,
                    tau=config.tau,
                    eps=config.eps,
                )
                gen = speculative_generate(
                    setup.target,
                    drafter,
                    setup.prompt_ids,
                    max_new_tokens=config.max_new_tokens,
                    seed=seed,
                )
            rows.append(_row(config, run, method, block, gen, time.perf_counter() - start))
            if advance is not None:
                advance()
    return rows


def config_dict(config: BenchConfig) -> dict[str, Any]:
    """The configuration as JSON-ready values."""
    values = asdict(config)
    values["blocks"] = list(config.blocks)
    values["methods"] = list(config.methods)
    return values


def default_corpus(explicit: str | os.PathLike[str] | None, fallback: Path) -> str | None:
    """The corpus to use: the one given, else `fallback` if it exists, else None (synthetic)."""
    if explicit is not None:
        return str(explicit)
    return str(fallback) if fallback.is_file() else None
