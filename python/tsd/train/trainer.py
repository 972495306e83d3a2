"""The training loop: AdamW on the student's trainable weights against one objective, a fixed
seed (every batch is a function of (seed, step)), held-out evaluation every `eval_every` steps,
an atomic checkpoint every `checkpoint_every` steps, `resume` that continues bit for bit, and a
stop with `TrainingDivergedError` on a loss that is not finite (the last good checkpoint
stays as it was)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel

from tsd._checks import check_float, check_int, check_seed
from tsd.errors import InvalidArgumentError, ModelError
from tsd.train.checkpoint import Checkpoint, check_matches
from tsd.train.data import DataSource
from tsd.train.evaluate import HeldOut, evaluate
from tsd.train.guard import check_finite
from tsd.train.objectives import check_objective, objective
from tsd.train.rows import Batch, student_logp

__all__ = ["GRADIENT_CLIP", "LOG_COLUMNS", "Student", "TrainSettings", "train", "training_loss"]

# Gradients are clipped to this global norm: one unlucky batch cannot throw the student away.
GRADIENT_CLIP = 1.0
LOG_COLUMNS = ("step", "objective", "loss", "heldout_acceptance", "heldout_tv", "heldout_kl")

LogRow = dict[str, Any]


@dataclass(frozen=True)
class Student:
    """A student module, what identifies it for a checkpoint (its architecture and vocabulary
    fingerprint), and its trainable parameters by name (frozen ones are not checkpointed)."""

    module: PreTrainedModel
    architecture: dict[str, Any]
    vocabulary: str

    def trainable(self) -> dict[str, torch.nn.Parameter]:
        """The parameters the optimiser updates, by name, in the module's order."""
        return {n: p for n, p in self.module.named_parameters() if p.requires_grad}


@dataclass(frozen=True)
class TrainSettings:
    """How to train: `steps` AdamW steps at learning rate `lr` on `objective`; held-out
    evaluation every `eval_every` steps, a checkpoint every `checkpoint_every` steps;
    `identity` holds every other setting a resumed run must share (world, data, sizes, seed)."""

    objective: str
    steps: int
    lr: float
    seed: int
    eval_every: int
    checkpoint_every: int
    identity: dict[str, Any]

    def __post_init__(self) -> None:
        check_objective(self.objective)
        check_int("steps", self.steps, 1)
        lr = check_float("lr", self.lr, positive=True)
        if lr >= 1.0:
            raise InvalidArgumentError(f"lr: must be in (0, 1), got {lr}")
        check_seed(self.seed)
        check_int("eval_every", self.eval_every, 1)
        check_int("checkpoint_every", self.checkpoint_every, 1)

    def fingerprint(self) -> dict[str, Any]:
        """Everything but `steps`: what a checkpoint must have been trained with."""
        return {
            "objective": self.objective, "lr": self.lr, "seed": self.seed,
            "eval_every": self.eval_every, **self.identity,
        }  # fmt: skip


def training_loss(module: torch.nn.Module, batch: Batch, name: str) -> torch.Tensor:
    """The weighted mean over the batch's positions of the objective `name`."""
    logits = module(input_ids=batch.ids, use_cache=False).logits
    per_position = objective(name)(batch.teacher.logp, student_logp(logits, batch.teacher))
    return (per_position * batch.weights).sum() / batch.weights.sum()


def _row(
    step: int, name: str, loss: float | None, heldout: HeldOut | None, student: Student
) -> LogRow:
    row: LogRow = {"step": step, "objective": name, "loss": loss}
    found = evaluate(student.module, heldout) if heldout is not None else None
    row["heldout_acceptance"] = found.acceptance if found else None
    row["heldout_tv"] = found.tv if found else None
    row["heldout_kl"] = found.kl if found else None
    return row


def _load_trainable(student: Student, weights: dict[str, torch.Tensor]) -> None:
    """Load a checkpoint's trainable weights: exactly the student's trainable parameters."""
    expected = set(student.trainable())
    if set(weights) != expected:
        odd = sorted(set(weights) ^ expected)[:3]
        raise ModelError(
            f"resume: the checkpoint's trainable weights differ from the student's: {odd}"
        )
    student.module.load_state_dict(weights, strict=False)


def train(
    student: Student,
    data: DataSource,
    heldout: HeldOut,
    settings: TrainSettings,
    *,
    checkpoint: Path,
    resume: Checkpoint | None = None,
    report: Callable[[LogRow], None] = lambda row: None,
) -> list[LogRow]:
    """Train `student` in place and return the log: one row per step (step 0: the untrained
    student's held-out evaluation), the held-out columns filled every `eval_every` steps and
    at the last. `report` sees each row as it is made (progress bars)."""
    params = student.trainable()
    optimizer = torch.optim.AdamW(params.values(), lr=settings.lr)
    if resume is None:
        log = [_row(0, settings.objective, None, heldout, student)]
    else:
        check_matches(resume, settings.fingerprint(), student.architecture, student.vocabulary)
        if resume.step >= settings.steps:
            raise InvalidArgumentError(
                f"steps: the checkpoint has reached step {resume.step}; "
                "ask for more than that to resume"
            )
        _load_trainable(student, resume.trainable)
        optimizer.load_state_dict(resume.optimizer)
        log = list(resume.log)
    report(log[-1])
    for step in range(log[-1]["step"] + 1, settings.steps + 1):
        loss = training_loss(student.module, data.batch(step, student.module), settings.objective)
        check_finite("loss", float(loss.detach()), step, settings.objective, checkpoint)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        norm = torch.nn.utils.clip_grad_norm_(params.values(), GRADIENT_CLIP)
        check_finite("gradient norm", float(norm), step, settings.objective, checkpoint)
        optimizer.step()
        last = step == settings.steps
        evaluated = heldout if last or step % settings.eval_every == 0 else None
        log.append(_row(step, settings.objective, float(loss.detach()), evaluated, student))
        report(log[-1])
        if last or step % settings.checkpoint_every == 0:
            Checkpoint(
                step=step,
                settings=settings.fingerprint(),
                architecture=student.architecture,
                vocabulary=student.vocabulary,
                trainable={n: p.detach().clone() for n, p in params.items()},
                optimizer=optimizer.state_dict(),
                log=log,
            ).save(checkpoint)
    return log
