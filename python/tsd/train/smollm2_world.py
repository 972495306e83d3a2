"""The SmolLM2 world: the teacher is SmolLM2-135M-Instruct under its own law (T = 1), the
student a shallow copy of it (its first 1, 2 or 4 layers, final norm and tied embedding/head,
the embedding frozen) that keeps its tokenizer.

Data are the target's own answers (`target_samples`, cached) to MT-Bench questions the LM
benchmark does not time: every question `tsd bench lm` times with --max-samples up to
BENCH_MAX_SAMPLES is left out, every HELDOUT_EVERY-th remaining question is held out for
evaluation, the rest train. Off-policy, the teacher's top TOP_K log-probabilities and tail
mass at each position of each training window are computed once and cached (a forward of
SmolLM2 per window is the costly part on a CPU); the objective then compares the laws on
those TOP_K + 1 outcomes. On-policy, the student continues a prefix of the answers and the
teacher scores its windows on the fly (dense rows). Held-out evaluation always uses the full
rows."""

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError, ModelError
from tsd.experiments.lm import MT_BENCH
from tsd.models.hf import SMOLLM2, HFModel, cache_root, load_model
from tsd.models.hf.samples import target_samples
from tsd.prompts import Prompt, load_prompts
from tsd.telemetry import atomic_write
from tsd.train.checkpoint import vocabulary_digest
from tsd.train.data import CachedWindows, DataSource, OnPolicyWindows
from tsd.train.evaluate import HeldOut
from tsd.train.rows import TeacherRows
from tsd.train.students import architecture, shallow_student
from tsd.train.teachers import HFTeacher, top_k_rows
from tsd.train.trainer import Student
from tsd.train.world import DATA_KINDS, World

__all__ = [
    "BENCH_MAX_SAMPLES",
    "HELDOUT_EVERY",
    "SAMPLE_TOKENS",
    "TOP_K",
    "WINDOW",
    "cached_top_k",
    "smollm2_world",
    "split_questions",
]

WINDOW = 64
PREFIX = 16
TOP_K = 64
SAMPLE_TOKENS = 256
# One answer per question per seed; more seeds give more data from the same questions, at
# minutes of sampling per seed on a CPU.
SAMPLE_SEEDS = (0,)
BENCH_MAX_SAMPLES = 10
HELDOUT_EVERY = 8
HELDOUT_WINDOWS = 8
# Windows per teacher forward while filling the cache.
TEACHER_CHUNK = 4


def split_questions(questions: Sequence[Prompt]) -> tuple[list[Prompt], list[Prompt]]:
    """(training questions, held-out questions): the questions `tsd bench lm` would time with
    --max-samples 1 to BENCH_MAX_SAMPLES are in neither."""
    n = len(questions)
    timed = {i * n // count for count in range(1, BENCH_MAX_SAMPLES + 1) for i in range(count)}
    rest = [q for i, q in enumerate(questions) if i not in timed]
    held = rest[::HELDOUT_EVERY]
    return [q for q in rest if q not in held], held


def _windows(stream: np.ndarray, width: int) -> torch.Tensor:
    count = len(stream) // width
    if count == 0:
        raise InvalidArgumentError(f"window: the answers ({len(stream)} tokens) hold no window")
    return torch.from_numpy(stream[: count * width].reshape(count, width).astype(np.int64))


def cached_top_k(
    target: HFModel, windows: torch.Tensor, progress: Callable[[str], None]
) -> TeacherRows:
    """The teacher's top-TOP_K rows for `windows`, from the cache when computed before."""
    key = json.dumps([target.name, str(target.dtype), target.law.describe(), TOP_K])
    digest = hashlib.sha256(key.encode() + windows.numpy().tobytes()).hexdigest()[:16]
    path = cache_root() / "teacher" / f"{digest}.pt"
    if path.is_file():
        cached = torch.load(path, weights_only=True)
        return TeacherRows(cached["logp"], cached["ids"])
    teacher = HFTeacher(target)
    parts = []
    for start in range(0, len(windows), TEACHER_CHUNK):
        if start % (10 * TEACHER_CHUNK) == 0:
            progress(f"teacher top-{TOP_K}: window {start}/{len(windows)} (cached in {path})")
        parts.append(top_k_rows(teacher.rows(windows[start : start + TEACHER_CHUNK]), TOP_K))
    rows = TeacherRows(
        torch.cat([p.logp for p in parts]), torch.cat([p.ids for p in parts if p.ids is not None])
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: torch.save({"logp": rows.logp, "ids": rows.ids}, tmp))
    return rows


def smollm2_world(
    *,
    data: str,
    layers: int,
    batch_size: int,
    seed: int,
    progress: Callable[[str], None] = print,
    questions_file: Path | None = None,
) -> World:
    """The SmolLM2 world for `data` (off-policy or on-policy) and a student of `layers`
    layers, trained on answers to the MT-Bench questions in `questions_file` (default: the
    shared MT-Bench file)."""
    if data not in DATA_KINDS:
        raise InvalidArgumentError(f"data: must be one of {', '.join(DATA_KINDS)}, got {data!r}")
    source_file = questions_file or MT_BENCH
    if not Path(source_file).is_file():
        raise ModelError(f"questions: the SmolLM2 world samples answers to {source_file}, absent")
    check_int("batch_size", batch_size, 1)
    target = load_model(SMOLLM2, progress=progress)
    training, held = split_questions(load_prompts(source_file))

    def answers(prompts: list[Prompt], seeds: Sequence[int]) -> np.ndarray:
        return np.concatenate([
            target_samples(
                target, [p.text for p in prompts], tokens_per_prompt=SAMPLE_TOKENS,
                seed=seed, progress=progress,
            )
            for seed in seeds
        ])  # fmt: skip

    stream, held_stream = answers(training, SAMPLE_SEEDS), answers(held, SAMPLE_SEEDS[:1])
    module = shallow_student(target.module, layers)
    tokenizer = target.tokenizer
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    student = Student(module, architecture(module), vocabulary_digest(tokens))
    held_windows = _windows(held_stream, WINDOW)
    pick = np.linspace(0, len(held_windows) - 1, min(HELDOUT_WINDOWS, len(held_windows)))
    held_windows = held_windows[torch.from_numpy(pick.astype(np.int64))]
    heldout = HeldOut(held_windows, HFTeacher(target).rows(held_windows).logp)
    source: DataSource
    if data == "off-policy":
        windows = _windows(stream, WINDOW)
        source = CachedWindows(windows, cached_top_k(target, windows, progress), batch_size, seed)
    else:
        source = OnPolicyWindows(stream, HFTeacher(target), WINDOW, PREFIX, batch_size, seed)
    identity = {
        "world": "smollm2", "data": data, "layers": layers, "batch_size": batch_size,
        "window": WINDOW, "teacher": SMOLLM2, "top_k": TOP_K if data == "off-policy" else None,
        "training_tokens": len(stream), "heldout_positions": int(held_windows.numel()),
    }  # fmt: skip
    notes = (
        f"SmolLM2 world: {len(training)} training questions ({len(stream)} answer tokens), "
        f"{len(held)} held out ({int(held_windows.numel())} positions evaluated)",
    )
    return World(student, source, heldout, tokenizer, identity, notes)
