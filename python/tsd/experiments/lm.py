"""The LM benchmark as a library call: a transformers target, drafts that share its tokenizer,
and every (run, method, draft, drafter, L) cell timed on the same prompts, one row each.

Prompts are MT-Bench questions (first turns; `max_samples` of them evenly spaced through the
file, so every category is drawn from) or slices of a corpus's held-out tail. Before any
timing, each cell's method runs once, untimed, on the first prompt (torch's first calls are
slow). Row columns are documented in docs/BENCH_LM.md.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from tsd.errors import ModelError
from tsd.experiments.lm_assisted import measure_hf_assisted
from tsd.experiments.lm_config import LMBenchConfig, require_judge_head
from tsd.experiments.lm_drafts import Draft, DraftContext, build_draft, check_draft_specs
from tsd.experiments.lm_methods import Measurement, measure_baseline, measure_speculative
from tsd.experiments.lm_models import load_bench_model
from tsd.experiments.lm_rows import Row, measurement_row
from tsd.experiments.speculative import synthetic_text
from tsd.models import read_corpus, split_corpus
from tsd.models.hf import HFModel, TargetLaw, encode_prompts
from tsd.models.hf.load import Quantization
from tsd.models.session import History
from tsd.prompts import Prompt, corpus_prompts, load_prompts

__all__ = [
    "MT_BENCH",
    "SHAKESPEARE",
    "Cell",
    "Setup",
    "plan",
    "prepare",
    "run_benchmark",
    "warm_up",
    "warm_up_cells",
]

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
MT_BENCH = SHARED_DATA / "mt_bench_question.jsonl"
SHAKESPEARE = SHARED_DATA / "tinyshakespeare.txt"
WARM_UP_TOKENS = 4
# At most this many untimed prompts are answered by the target to train an ngram-self draft.
SELF_SAMPLE_PROMPTS = 80


@dataclass(frozen=True)
class Setup:
    """The loaded target and drafts and the encoded prompts every cell shares."""

    target: HFModel
    drafts: list[Draft]
    prompts: list[Prompt]
    prompt_ids: list[History]


@dataclass(frozen=True)
class Cell:
    """One measurement of a run: a method, with its draft, drafter and L where it drafts."""

    method: str
    draft: Draft | None = None
    drafter: str | None = None
    L: int | None = None

    @property
    def label(self) -> str:
        """The cell in a few words, for progress lines."""
        parts = [self.method, *(p for p in (self.draft and self.draft.spec, self.drafter) if p)]
        return " ".join(parts) + ("" if self.L is None else f" L={self.L}")


def _default(path: str | None, fallback: Path) -> str | None:
    if path is not None:
        return path
    return str(fallback) if fallback.is_file() else None


def _prompts(
    config: LMBenchConfig, progress: Callable[[str], None]
) -> tuple[list[Prompt], list[Prompt]]:
    """(timed prompts, the others): corpus slices with `corpus` (the others from its training
    split), else MT-Bench questions evenly spaced (the others: the remaining questions), else,
    where no MT-Bench file is at hand, slices of the built-in synthetic text (with a note). The
    others are what an ngram-self draft samples the target's answers to."""
    source = _default(config.prompts_file, MT_BENCH)
    if config.corpus is not None or source is None:
        if config.corpus is None:
            progress(f"note: {MT_BENCH} is absent; prompts are slices of the built-in text")
        text = synthetic_text() if config.corpus is None else read_corpus(config.corpus)
        train, heldout = split_corpus(text)
        timed = corpus_prompts(heldout, config.max_samples, config.prompt_chars)
        return timed, corpus_prompts(train, SELF_SAMPLE_PROMPTS, config.prompt_chars)
    questions = load_prompts(source)
    count = min(config.max_samples, len(questions))
    chosen = {i * len(questions) // count for i in range(count)}
    others = [q for i, q in enumerate(questions) if i not in chosen]
    return [questions[i] for i in sorted(chosen)], others[:SELF_SAMPLE_PROMPTS]


def _check_window(
    model: HFModel, prompts: Sequence[Prompt], ids: Sequence[History], need: int
) -> None:
    """Each prompt, its new tokens and a draft block must fit the model's context window."""
    for prompt, prompt_ids in zip(prompts, ids, strict=True):
        if len(prompt_ids) + need > model.max_length:
            raise ModelError(
                f"prompts: prompt {prompt.prompt_id} has {len(prompt_ids)} tokens; with {need} "
                f"more (new tokens and a draft block) it passes {model.name}'s context window of "
                f"{model.max_length}"
            )


def prepare(config: LMBenchConfig, progress: Callable[[str], None]) -> Setup:
    """Check that autojudge has its head and the draft specs, read the prompts, then load the
    target, encode the prompts (each must fit its context window) and build the drafts."""
    require_judge_head(config)
    check_draft_specs(config)
    prompts, others = _prompts(config, progress)
    quantize = cast(Quantization | None, config.quantize)
    law = TargetLaw(config.temperature, config.top_k, config.top_p)
    target = load_bench_model(
        config.target,
        dtype=config.dtype,
        device=config.device,
        quantize=quantize,
        law=law,
        progress=progress,
    )
    ids = encode_prompts(
        target.tokenizer, [p.text for p in prompts], chat_template=config.use_chat_template
    )
    need = config.max_new_tokens + max(config.L) + 1
    _check_window(target, prompts, ids, need)
    drafting = {"speculative", "hf-assisted", "autojudge"} & set(config.methods)
    context = DraftContext(
        target, _default(config.draft_corpus, SHAKESPEARE), config.dtype, config.device,
        quantize, progress, tuple(p.text for p in others), config.seed, config.use_chat_template,
    )  # fmt: skip
    drafts = [build_draft(spec, context) for spec in config.drafts] if drafting else []
    for draft in drafts:
        if isinstance(draft.model.model, HFModel):
            _check_window(draft.model.model, prompts, ids, need)
    return Setup(target, drafts, prompts, ids)


def plan(config: LMBenchConfig, setup: Setup) -> list[Cell]:
    """One run's cells: the baseline, speculative per draft, drafter and L, then hf-assisted
    per transformers draft and L."""
    cells = [Cell("baseline")] if "baseline" in config.methods else []
    if "speculative" in config.methods:
        cells += [
            Cell("speculative", draft, drafter, block)
            for draft in setup.drafts
            for drafter in config.drafters
            for block in config.L
        ]
    if "hf-assisted" in config.methods:
        cells += [
            Cell("hf-assisted", draft, None, block)
            for draft in setup.drafts
            if draft.is_hf
            for block in config.L
        ]
    return cells


def _measure(
    config: LMBenchConfig,
    setup: Setup,
    cell: Cell,
    prompt_ids: Sequence[History],
    max_new_tokens: int,
    run: int,
) -> Measurement:
    batches = [
        prompt_ids[i : i + config.batch_size] for i in range(0, len(prompt_ids), config.batch_size)
    ]
    if cell.method == "baseline":
        return measure_baseline(
            setup.target, batches, max_new_tokens=max_new_tokens, seed=config.seed, run=run
        )
    assert cell.draft is not None
    assert cell.L is not None
    if cell.method == "hf-assisted":
        return measure_hf_assisted(
            setup.target, cell.draft, prompt_ids, L=cell.L, max_new_tokens=max_new_tokens,
            seed=config.seed, run=run,
        )  # fmt: skip
    assert cell.drafter is not None
    return measure_speculative(
        setup.target, cell.draft, batches, drafter=cell.drafter, L=cell.L,
        K=config.chain_K if cell.drafter == "chain" else config.K, tsu=config.tsu, eps="auto",
        max_new_tokens=max_new_tokens, seed=config.seed, run=run,
    )  # fmt: skip


def warm_up_cells(config: LMBenchConfig, setup: Setup) -> list[Cell]:
    """One cell per method, draft and drafter: what the warm-up runs."""
    cells: dict[tuple[str, str | None, str | None], Cell] = {}
    for cell in plan(config, setup):
        key = (cell.method, None if cell.draft is None else cell.draft.spec, cell.drafter)
        cells.setdefault(key, cell)
    return list(cells.values())


Started = Callable[[int, Cell], None]


def warm_up(config: LMBenchConfig, setup: Setup, started: Started | None = None) -> None:
    """Run each of `warm_up_cells` once, untimed, on the first prompt: torch's first calls
    (allocations, kernel choices) are slow and would be charged to the first timed cell.
    `started(i, cell)` is called before the i-th."""
    for i, cell in enumerate(warm_up_cells(config, setup)):
        if started is not None:
            started(i, cell)
        # A run index after the timed ones, so the warm-up's seeds are its own.
        _measure(config, setup, cell, setup.prompt_ids[:1], WARM_UP_TOKENS, run=config.runs)


def run_benchmark(config: LMBenchConfig, setup: Setup, started: Started | None = None) -> list[Row]:
    """Every (run, cell) measurement, one row each; `started(i, cell)` before the i-th."""
    rows: list[Row] = []
    for run in range(config.runs):
        for cell in plan(config, setup):
            if started is not None:
                started(len(rows), cell)
            measured = _measure(config, setup, cell, setup.prompt_ids, config.max_new_tokens, run)
            rows.append(measurement_row(config, len(setup.prompt_ids), run, cell, measured))
    return rows
