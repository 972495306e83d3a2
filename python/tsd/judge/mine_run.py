"""A label-mining run (`tsd judge mine`): the target's greedy answers, the accuracy probe that
keeps the families the target answers well enough, then mining, each in chunks of questions
that run as sweep cells and save their result as they finish.

Chunks live in `<out>/mining-work/` beside a `request.json` of the arguments that decide their
contents: rerunning with the same arguments skips the chunks already there, and different
arguments are an error rather than a silent mix. The published run folder holds
`labels.parquet` (`tsd.judge.labels`), `mismatches.parquet` (one row per mismatch: question,
answer position, draft and target tokens), `probe.parquet` and `summary.json`."""

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.executors import Executor, SweepOutcome
from tsd.experiments.lm_drafts import HF_DRAFT_KINDS, parse_draft_spec
from tsd.experiments.lm_models import torch_threads
from tsd.judge.features import FEATURE_SOURCES, feature_size
from tsd.judge.greedy import eos_id, greedy_continue
from tsd.judge.labels import LABELS_FILE, LabelSet, write_labels
from tsd.judge.mining import answer_text, mine_labels
from tsd.judge.models import load_draft, load_target, prompt_ids, uses_chat_template
from tsd.judge.probe import FamilyAccuracy, family_accuracy
from tsd.judge.task import Question, get_task, split_questions
from tsd.sweeps import run_cells
from tsd.telemetry import StagedRunDir, atomic_write, staged_run_dir, write_telemetry

__all__ = [
    "MineRequest",
    "MiningOutcome",
    "answer_cell",
    "check_request",
    "chunk_plan",
    "mine_cell",
    "mining_questions",
    "run_mining",
    "work_dir",
]

WORK_DIR = "mining-work"
REQUEST_FILE = "request.json"
MINING_SPLITS = ("mine", "val")


@dataclass(frozen=True)
class MineRequest:
    """What a mining run computes; every field decides the chunks' contents."""

    task: str = "arith-capitals"
    target: str = "smollm2-135m"
    draft: str = "early-exit:24"
    questions_per_family: int = 30
    max_new_tokens: int = 32
    feature_source: str = "target"
    dtype: str = "float32"
    device: str = "cpu"
    seed: int = 0
    chunk_size: int = 16
    min_accuracy: float = 0.3


def check_request(request: MineRequest) -> None:
    """Every field checked, naming the bad one, before anything loads or is written."""

    get_task(request.task)
    kind, _ = parse_draft_spec(request.draft)
    if kind not in HF_DRAFT_KINDS:
        raise InvalidArgumentError(
            f"draft: mining reads the draft's hidden states, so it needs a transformers draft "
            f"(early-exit:K, hf:MODEL or a model folder), got {request.draft!r}"
        )
    if request.feature_source not in FEATURE_SOURCES:
        raise InvalidArgumentError(
            f"feature_source: must be one of {', '.join(FEATURE_SOURCES)}, "
            f"got {request.feature_source!r}"
        )
    check_int("questions_per_family", request.questions_per_family, 1)
    check_int("max_new_tokens", request.max_new_tokens, 1)
    check_int("chunk_size", request.chunk_size, 1)
    check_seed(request.seed)
    if not 0.0 <= request.min_accuracy <= 1.0:
        raise InvalidArgumentError(f"min_accuracy: must be in [0, 1], got {request.min_accuracy}")


def work_dir(out: Path, request: MineRequest) -> Path:
    """`<out>/mining-work`, created with the request on first use; a folder made for another
    request is an `InvalidArgumentError` naming the arguments that differ."""
    folder = out / WORK_DIR
    wanted = asdict(request)
    saved = folder / REQUEST_FILE
    if saved.is_file():
        before = json.loads(saved.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(before) | set(wanted) if before.get(k) != wanted.get(k))
        if changed:
            shown = ", ".join(
                f"{k}: {before.get(k)!r} then, {wanted.get(k)!r} now" for k in changed
            )
            raise InvalidArgumentError(
                f"out: {folder} holds chunks mined with other arguments ({shown}); use another "
                "--out, or remove that folder to start again"
            )
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(wanted, indent=2, sort_keys=True) + "\n"
    atomic_write(saved, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return folder


def mining_questions(request: MineRequest) -> list[tuple[Question, str]]:
    """The questions mined, with their split: per family, the first `questions_per_family`
    of its mine and val questions (two thirds mine, a third val, as available); never test."""
    task = get_task(request.task)
    splits = split_questions(task.questions(request.seed), request.seed)
    n_val = request.questions_per_family // 3
    n_mine = request.questions_per_family - n_val
    chosen: list[tuple[Question, str]] = []
    for family in task.families:
        for split, count in (("mine", n_mine), ("val", n_val)):
            listed = [q for q in splits[split] if q.family == family]
            chosen.extend((q, split) for q in listed[:count])
    return chosen


def chunk_plan(ids: list[str], chunk_size: int) -> list[list[str]]:
    """`ids` in consecutive chunks of `chunk_size`."""
    return [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]


def _chunk_path(folder: Path, phase: str, index: int) -> Path:
    return folder / f"{phase}-{index:04d}.json"


def pending_cells(
    folder: Path,
    phase: str,
    chunks: list[list[str]],
    request: MineRequest,
    threads: int | None,
    inputs: Callable[[list[str]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The cell parameters of the chunks with no saved result yet (`inputs(ids)` adds what a
    chunk needs besides the request)."""
    return [
        {
            "request": asdict(request),
            "ids": ids,
            "path": str(_chunk_path(folder, phase, k)),
            "threads": threads,
            **inputs(ids),
        }
        for k, ids in enumerate(chunks)
        if not _chunk_path(folder, phase, k).is_file()
    ]


def read_chunks(folder: Path, phase: str, count: int) -> list[dict[str, Any]]:
    """The saved results of chunks 0..count-1 of `phase`."""
    out = []
    for k in range(count):
        data: dict[str, Any] = json.loads(_chunk_path(folder, phase, k).read_text("utf-8"))
        out.append(data)
    return out


def run_phase(
    executor: Executor,
    cell: Callable[[dict[str, Any]], dict[str, Any]],
    folder: Path,
    phase: str,
    chunks: list[list[str]],
    request: MineRequest,
    threads: int | None,
    inputs: Callable[[list[str]], dict[str, Any]],
) -> SweepOutcome | None:
    """Run the phase's missing chunks on the executor (None when every chunk was saved)."""

    params = pending_cells(folder, phase, chunks, request, threads, inputs)
    if not params:
        return None
    return run_cells(cell, params, executor=executor)


def _save(path: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, allow_nan=False)
    atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def answer_cell(params: dict[str, Any]) -> dict[str, Any]:
    """The target's greedy answer to each question of one chunk, saved to `params["path"]`."""

    request = MineRequest(**params["request"])
    with torch_threads(params["threads"]):
        target = load_target(request)
        questions = questions_by_id(request, params["ids"])
        prompts = prompt_ids(target, questions)
        answers = greedy_continue(
            target, prompts, [request.max_new_tokens] * len(prompts), eos_id(target)
        )

    texts = [answer_text(target, a) for a in answers]
    _save(
        params["path"],
        {"ids": params["ids"], "prompts": prompts, "answers": answers, "texts": texts},
    )
    return {"path": params["path"], "questions": len(questions)}


def mine_cell(params: dict[str, Any]) -> dict[str, Any]:
    """Mine the labels of one chunk (from its saved greedy answers), saved to `path`."""

    request = MineRequest(**params["request"])
    answered = params["answered"]
    with torch_threads(params["threads"]):
        target = load_target(request)
        draft = load_draft(request, target)
        questions = questions_by_id(request, params["ids"])
        mined = mine_labels(
            target,
            draft,
            get_task(request.task),
            questions,
            [answered[q.id]["prompt"] for q in questions],
            [answered[q.id]["answer"] for q in questions],
            max_new_tokens=request.max_new_tokens,
            eos=eos_id(target),
            feature_source=request.feature_source,
        )
    rows = [
        {"question_id": walk.question.id, "position": j, "draft_token": d, "target_token": t,
         "important": imp}
        for walk in mined.questions
        for j, d, t, imp in zip(
            walk.positions, walk.draft_tokens, walk.target_tokens, walk.important, strict=True
        )
    ]  # fmt: skip
    _save(
        params["path"],
        {
            "rows": rows,
            "features": mined.features.tolist(),
            "feature_size": feature_size(target, draft, request.feature_source),
            "chat_template": uses_chat_template(target),
        },
    )
    return {"path": params["path"], "mismatches": len(rows)}


def questions_by_id(request: MineRequest, ids: list[str]) -> list[Question]:
    """The task's questions with these ids, in this order."""
    known = {q.id: q for q in get_task(request.task).questions(request.seed)}
    return [known[i] for i in ids]


def probe_table(
    request: MineRequest, chosen: list[tuple[Question, str]], answers: dict[str, str]
) -> list[FamilyAccuracy]:
    """The target's greedy accuracy per family on the mined questions (mine and val)."""
    task = get_task(request.task)
    return family_accuracy(task, [q for q, _ in chosen], answers, request.min_accuracy)


def features_array(chunks: list[dict[str, Any]], size: int) -> np.ndarray:
    """The chunks' feature rows stacked, (n, size) float32."""
    rows = [row for chunk in chunks for row in chunk["features"]]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), size)


@dataclass(frozen=True)
class MiningOutcome:
    """What a run produced: the probe table, and either the published run folder and its
    summary, or the chunks that failed (the others are saved; a rerun resumes)."""

    probe: list[FamilyAccuracy]
    run_dir: Path | None
    summary: dict[str, Any]
    failures: list[dict[str, Any]]


def _failures(outcome: SweepOutcome | None) -> list[dict[str, Any]]:
    if outcome is None:
        return []
    return [
        {"chunk": Path(f.params["path"]).name, "error": f.to_dict()["error"]}
        for f in outcome.failures
    ]


def run_mining(
    request: MineRequest,
    out: Path,
    executor: Executor,
    *,
    threads: int | None,
    show_probe: Callable[[list[FamilyAccuracy]], None],
    publish: Callable[[StagedRunDir, dict[str, Any]], Path],
) -> MiningOutcome:
    """Answer, probe, mine (each chunk a cell, skipped when saved), then write the labels and
    summary into a staged run folder under `out` and `publish` it."""
    check_request(request)
    chosen = mining_questions(request)
    split_of = {q.id: split for q, split in chosen}
    family_of = {q.id: q.family for q, _ in chosen}
    with staged_run_dir(out) as stage:
        folder = work_dir(out, request)
        chunks = chunk_plan([q.id for q, _ in chosen], request.chunk_size)
        answering = run_phase(
            executor, answer_cell, folder, "answers", chunks, request, threads, lambda ids: {}
        )
        failures = _failures(answering)
        if failures:
            return MiningOutcome([], None, {}, failures)
        answered = {
            i: {"prompt": p, "answer": a, "text": t}
            for chunk in read_chunks(folder, "answers", len(chunks))
            for i, p, a, t in zip(
                chunk["ids"], chunk["prompts"], chunk["answers"], chunk["texts"], strict=True
            )
        }
        probe = probe_table(request, chosen, {i: v["text"] for i, v in answered.items()})
        show_probe(probe)
        kept = {row.family for row in probe if row.kept}
        mined_chunks = chunk_plan([q.id for q, _ in chosen if q.family in kept], request.chunk_size)
        mining = run_phase(
            executor, mine_cell, folder, "mined", mined_chunks, request, threads,
            lambda ids: {"answered": {i: answered[i] for i in ids}},
        )  # fmt: skip
        failures = _failures(mining)
        if failures:
            return MiningOutcome(probe, None, {}, failures)
        results = read_chunks(folder, "mined", len(mined_chunks))
        summary = _write_results(stage, request, results, probe, split_of, family_of)
        run_dir = publish(stage, summary)
    return MiningOutcome(probe, run_dir, summary, [])


def _write_results(
    stage: StagedRunDir,
    request: MineRequest,
    results: list[dict[str, Any]],
    probe: list[FamilyAccuracy],
    split_of: dict[str, str],
    family_of: dict[str, str],
) -> dict[str, Any]:
    """labels.parquet, mismatches.parquet and probe.parquet into the stage; the summary."""

    rows = [row for chunk in results for row in chunk["rows"]]
    size = int(results[0]["feature_size"]) if results else 0
    ids = [row["question_id"] for row in rows]
    meta = {
        **asdict(request),
        "feature_size": size,
        "families": [row.family for row in probe if row.kept],
        "chat_template": bool(results[0]["chat_template"]) if results else None,
    }
    labels = LabelSet(
        features=features_array(results, size),
        important=np.array([row["important"] for row in rows], dtype=bool),
        question_ids=ids,
        families=[family_of[i] for i in ids],
        splits=[split_of[i] for i in ids],
        meta=meta,
    )
    write_labels(labels, stage.path / LABELS_FILE)
    mismatches = pl.DataFrame(
        [{**row, "family": family_of[row["question_id"]],
          "split": split_of[row["question_id"]]} for row in rows],
        schema={"question_id": pl.String, "position": pl.Int64, "draft_token": pl.Int64,
                "target_token": pl.Int64, "important": pl.Boolean, "family": pl.String,
                "split": pl.String},
    )  # fmt: skip
    table = pl.DataFrame([row.row() for row in probe])
    for stem, frame in (("mismatches", mismatches), ("probe", table)):
        write_telemetry(stage.path, frame, stem)
    per_family = {
        family: {
            "mismatches": int(sum(f == family for f in labels.families)),
            "important": int(sum(f == family and imp for f, imp in zip(
                labels.families, labels.important.tolist(), strict=True))),
        }
        for family in meta["families"]
    }  # fmt: skip
    n = len(rows)
    return {
        "request": asdict(request),
        "labels": n,
        "important": int(labels.important.sum()),
        "important_fraction": float(labels.important.mean()) if n else None,
        "per_family": per_family,
        "per_split": {s: int(sum(x == s for x in labels.splits)) for s in MINING_SPLITS},
        "target_accuracy": {row.family: row.accuracy for row in probe},
        "dropped_families": {
            row.family: f"greedy accuracy {row.accuracy:.2f} < {request.min_accuracy:g}"
            for row in probe
            if not row.kept
        },
        "meta": meta,
    }
