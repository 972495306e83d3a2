"""The `autojudge` method of `tsd bench lm`: judge decoding (`tsd.judge.decode`, LOSSY) on the
held-out test split of a templated task, against the target alone and exact speculative
decoding on the same questions.

Per run, draft and L: the target's greedy decoding alone (`target-only`, its accuracy is the
reference), exact speculative decoding of it (`exact`: no judge, the same tokens), then one
lossy run per judge: AutoJudge per threshold (the head's stored validation quantiles unless
given), the KL judge per threshold and the top-k judge per k. Each row holds the task accuracy
and its change from the target's, accepted tokens per target call beside what exact decoding
accepts of the same drafts, the judge's accept and fallback rates, target calls per token and
tokens per second; `mode` says `lossy` or `exact`. Columns in docs/BENCH_LM.md.
"""

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tsd.drafters import make_drafter
from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_drafts import Draft
from tsd.experiments.lm_methods import run_seed
from tsd.experiments.lm_rows import Row, judge_row
from tsd.judge.decode import GreedyDraftView, JudgeStats, judge_generate
from tsd.judge.greedy import greedy_continue, plain_law
from tsd.judge.judges import Judge
from tsd.models.hf import HFModel
from tsd.models.session import History
from tsd.tsu import make_tsu

if TYPE_CHECKING:
    from tsd.judge.task import Question, Task

__all__ = ["JudgeSetup", "count_cells", "judge_cells", "run_judge_cell", "run_judging"]

TARGET_ONLY = "target-only"
WARM_UP_TOKENS = 4
EXACT = "exact"


@dataclass(frozen=True)
class JudgeSetup:
    """The task's test questions encoded for the target, and the judges to run on them
    (`tsd.experiments.lm_judge_setup` builds one)."""

    task: "Task"
    questions: list["Question"]
    prompt_ids: list[History]
    judges: list[Judge]


def judge_cells(setup: JudgeSetup) -> list[str]:
    """The cells of one (draft, L): the target alone, exact speculative, then each judge."""
    return [TARGET_ONLY, EXACT, *(judge.name for judge in setup.judges)]


def count_cells(config: LMBenchConfig, setup: JudgeSetup, drafts: int) -> int:
    """How many cells `run_judging` measures (the target alone once per run)."""
    return config.runs * (1 + drafts * len(config.L) * (len(judge_cells(setup)) - 1))


def _accuracy(
    target: HFModel, setup: JudgeSetup, outputs: Sequence[np.ndarray], count: int
) -> float:
    """Share of the first `count` questions answered correctly, each output cut at EOS."""
    eos = getattr(target.tokenizer, "eos_token_id", None)
    correct = 0
    for question, out in zip(setup.questions[:count], outputs, strict=True):
        ids = out.tolist()
        if eos is not None and eos in ids:
            ids = ids[: ids.index(eos)]
        text = target.tokenizer.decode(ids, skip_special_tokens=True)
        correct += int(setup.task.is_correct(question, text))
    return correct / count


def _digest(outputs: Sequence[np.ndarray]) -> str:
    digest = hashlib.sha256()
    for out in outputs:
        digest.update(np.asarray(out, dtype="<u4").tobytes() + b"\xff\xff\xff\xff")
    return digest.hexdigest()


def run_judge_cell(
    config: LMBenchConfig,
    setup: JudgeSetup,
    target: HFModel,
    draft: Draft,
    L: int,
    cell: str,
    run: int,
    *,
    count: int | None = None,
    max_new_tokens: int | None = None,
) -> tuple[list[np.ndarray], JudgeStats | None, float, float, float]:
    """One cell over the first `count` questions (all by default), every sequence ending at
    EOS (or `max_new_tokens`), as mining's answers do: the outputs, the judge
    counters (None for the target alone), the wall seconds, the target's forward seconds and
    the draft model's seconds."""
    n = len(setup.prompt_ids) if count is None else count
    new = max_new_tokens or config.max_new_tokens
    ids = setup.prompt_ids[:n]
    batches = [ids[i : i + config.batch_size] for i in range(0, n, config.batch_size)]
    t1 = plain_law(target)
    eos = getattr(target.tokenizer, "eos_token_id", None)
    if cell == TARGET_ONLY:
        began = time.perf_counter()
        outputs = [
            np.array(out, dtype=np.uint32)
            for batch in batches
            for out in greedy_continue(t1, batch, [new] * len(batch), eos)
        ]
        wall = time.perf_counter() - began
        return outputs, None, wall, t1.clock.seconds, 0.0
    judge = None if cell == EXACT else next(j for j in setup.judges if j.name == cell)
    fresh = draft.fresh()
    view = GreedyDraftView(fresh.model)
    outputs, parts = [], []
    began = time.perf_counter()
    for i, batch in enumerate(batches):
        tsu = make_tsu(config.tsu, run_seed(config.seed, run, i))
        drafter = make_drafter("token", view, tsu, L=L, K=config.K)
        made = judge_generate(
            t1, drafter, view, batch, judge=judge, max_new_tokens=new, stop_token=eos
        )
        outputs += made.outputs
        parts.append(made.stats)
    wall = time.perf_counter() - began
    totals = {
        name: sum(getattr(part, name) for part in parts) for name in JudgeStats.__dataclass_fields__
    }
    return outputs, JudgeStats(**totals), wall, t1.clock.seconds, fresh.model.seconds


Started = Callable[[str], None]


def run_judging(
    config: LMBenchConfig,
    setup: JudgeSetup,
    target: HFModel,
    drafts: Sequence[Draft],
    started: Started | None = None,
    finished: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Every (run, draft, L, cell) of the autojudge method, one row each; `started(label)`
    before each and `finished(row)` after. The target-only accuracy of a run is every row's
    reference."""
    # Untimed: torch's first calls are slow and would be charged to the first timed cell.
    run_judge_cell(config, setup, target, drafts[0], config.L[0], EXACT, config.runs, count=1,
                   max_new_tokens=WARM_UP_TOKENS)  # fmt: skip
    rows: list[Row] = []
    for run in range(config.runs):
        reference: float | None = None
        for draft in drafts:
            for block in config.L:
                for cell in judge_cells(setup):
                    if cell == TARGET_ONLY and reference is not None:
                        continue
                    if started is not None:
                        started(f"autojudge {draft.spec} L={block} {cell}")
                    outputs, stats, wall, target_s, draft_s = run_judge_cell(
                        config, setup, target, draft, block, cell, run
                    )
                    accuracy = _accuracy(target, setup, outputs, len(outputs))
                    if cell == TARGET_ONLY:
                        reference = accuracy
                    assert reference is not None
                    rows.append(
                        judge_row(
                            config,
                            run=run,
                            draft=None if stats is None else draft.spec,
                            L=None if stats is None else block,
                            cell=cell,
                            judges=setup.judges,
                            questions=len(outputs),
                            stats=stats,
                            wall_s=wall,
                            tokens=sum(len(o) for o in outputs),
                            target_forward_s=target_s,
                            draft_model_s=draft_s,
                            accuracy=accuracy,
                            target_accuracy=reference,
                            outputs_sha256=_digest(outputs),
                        )
                    )
                    if finished is not None:
                        finished(rows[-1])
    return rows
