"""One training run end to end: check the request, build its world, train (resuming from a
checkpoint if asked), then write the run folder (staged: complete or absent): the draft as a
transformers folder with its tokenizer, the training log (Parquet and PNG) and summary.json.
Checkpoints are written beside it, atomically, as training goes."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsd.errors import InvalidArgumentError
from tsd.telemetry import StagedRunDir, staged_run_dir, write_summary
from tsd.train.char_world import char_world
from tsd.train.checkpoint import Checkpoint, load_checkpoint
from tsd.train.log import write_log
from tsd.train.smollm2_world import smollm2_world
from tsd.train.trainer import LogRow, TrainSettings, train
from tsd.train.world import DATA_KINDS, World

__all__ = [
    "CHECKPOINT_NAME",
    "DRAFT_FOLDER",
    "WORLDS",
    "TrainOutcome",
    "TrainRequest",
    "check_request",
    "run_training",
]

WORLDS = ("char", "smollm2")
DRAFT_FOLDER = "draft"
CHECKPOINT_NAME = "checkpoint.pt"


@dataclass(frozen=True)
class TrainRequest:
    """What `tsd train draft` asks for (its flags, one field each)."""

    world: str
    objective: str
    data: str
    layers: int
    steps: int
    batch_size: int
    lr: float
    seed: int
    eval_every: int
    checkpoint_every: int
    out: Path
    checkpoint: Path | None = None
    resume: Path | None = None
    corpus: Path | None = None

    def settings(self, identity: dict[str, Any]) -> TrainSettings:
        """The trainer's settings, with the world's identity."""
        return TrainSettings(
            objective=self.objective, steps=self.steps, lr=self.lr, seed=self.seed,
            eval_every=self.eval_every, checkpoint_every=self.checkpoint_every,
            identity=identity,
        )  # fmt: skip

    def checkpoint_path(self) -> Path:
        """Where checkpoints go: `checkpoint`, else `<out>/checkpoint.pt`."""
        return self.checkpoint or self.out / CHECKPOINT_NAME


@dataclass(frozen=True)
class TrainOutcome:
    """A finished run: its folder, the draft folder inside it, and the log."""

    run_dir: Path
    draft: Path
    log: list[LogRow]
    summary: dict[str, Any]


def _world(request: TrainRequest, progress: Callable[[str], None]) -> World:
    if request.world == "char":
        return char_world(
            data=request.data, layers=request.layers, batch_size=request.batch_size,
            seed=request.seed, corpus=request.corpus,
        )  # fmt: skip
    if request.corpus is not None:
        raise InvalidArgumentError("corpus: the smollm2 world trains on the target's answers")
    return smollm2_world(
        data=request.data, layers=request.layers, batch_size=request.batch_size,
        seed=request.seed, progress=progress,
    )  # fmt: skip


def check_request(request: TrainRequest) -> None:
    """The cheap checks, before any model or corpus loads (a sweep makes them for every cell
    before it runs any)."""
    if request.world not in WORLDS:
        raise InvalidArgumentError(
            f"world: must be one of {', '.join(WORLDS)}, got {request.world!r}"
        )
    if request.data not in DATA_KINDS:
        raise InvalidArgumentError(
            f"data: must be one of {', '.join(DATA_KINDS)}, got {request.data!r}"
        )
    request.settings({})


MEASURES = ("heldout_acceptance", "heldout_tv", "heldout_kl")


def _summary(request: TrainRequest, world: World, log: list[LogRow]) -> dict[str, Any]:
    evaluated = [row for row in log if row["heldout_acceptance"] is not None]
    return {
        "objective": request.objective, "steps": request.steps, "lr": request.lr,
        "seed": request.seed, "world": world.identity,
        "untrained": {k: evaluated[0][k] for k in MEASURES},
        "trained": {k: evaluated[-1][k] for k in MEASURES},
        "draft": DRAFT_FOLDER, "checkpoint": str(request.checkpoint_path()),
    }  # fmt: skip


def _publish(stage: StagedRunDir, summary: dict[str, Any]) -> Path:
    write_summary(stage.path, summary)
    return stage.publish()


def run_training(
    request: TrainRequest,
    *,
    progress: Callable[[str], None] = print,
    report: Callable[[LogRow], None] = lambda row: None,
    publish: Callable[[StagedRunDir, dict[str, Any]], Path] = _publish,
) -> TrainOutcome:
    """Train as `request` says and publish the run folder under `request.out`; `publish`
    writes summary.json (the command line adds its provenance) and publishes the folder."""
    check_request(request)
    resume: Checkpoint | None = None if request.resume is None else load_checkpoint(request.resume)
    world = _world(request, progress)
    for note in world.notes:
        progress(note)
    settings = request.settings(world.identity)
    with staged_run_dir(request.out) as stage:
        began = time.perf_counter()
        log = train(
            world.student, world.data, world.heldout, settings,
            checkpoint=request.checkpoint_path(), resume=resume, report=report,
        )  # fmt: skip
        progress(f"trained to step {request.steps} in {time.perf_counter() - began:.1f} s")
        draft = stage.path / DRAFT_FOLDER
        world.student.module.save_pretrained(draft)
        world.tokenizer.save_pretrained(draft)
        title = (
            f"{request.world} world, {request.objective}, {request.data}, {request.layers} layers"
        )
        write_log(stage.path, log, title)
        summary = _summary(request, world, log)
        run_dir = publish(stage, summary)
    return TrainOutcome(run_dir, run_dir / DRAFT_FOLDER, log, summary)
