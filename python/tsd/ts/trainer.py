"""The training loop for one forecaster: AdamW at a fixed seed (each step's batch and teacher
noise are a function of (seed, step), so `resume` continues bit for bit), validation every
`eval_every` steps, an atomic checkpoint every `checkpoint_every` steps, a stop with
`TrainingDivergedError` on a non-finite loss or gradient or on a log-variance that has run into
the floor of its range, and a warning when it comes near the seed system's collapse mark."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tsd._checks import check_float, check_int, check_seed
from tsd.errors import InvalidArgumentError, ModelError, TrainingDivergedError
from tsd.gaussian import LOGVAR_MIN
from tsd.train.checkpoint import Checkpoint
from tsd.train.guard import check_finite
from tsd.ts.models import Forecaster
from tsd.ts.objectives import draft_mse_loss, draft_nll_loss, gaussian_nll

__all__ = [
    "COLLAPSE_WARNING",
    "GRADIENT_CLIP",
    "LOG_COLUMNS",
    "Data",
    "FitSettings",
    "evaluate",
    "fit",
]

GRADIENT_CLIP = 1.0
# A mean validation log σ² at or below this is reported as collapsing (the seed system saw −10);
# one within DIVERGED_MARGIN of the ψ's floor has collapsed, and training stops.
COLLAPSE_WARNING = -9.0
DIVERGED_MARGIN = 0.5
LOG_COLUMNS = ("stage", "step", "loss", "val_mse", "val_nll", "val_logvar")
# The objective of each stage.
OBJECTIVES = ("target", "draft-mse", "draft-nll")

Array = np.ndarray[Any, np.dtype[np.float64]]
LogRow = dict[str, Any]


@dataclass(frozen=True)
class Data:
    """Standardised windows and next values (train and validation) and, for drafts, the
    target's mean and log-variance at every train window."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    teacher_mean: torch.Tensor | None = None
    teacher_logvar: torch.Tensor | None = None


@dataclass(frozen=True)
class FitSettings:
    """How to train one stage: its objective (`OBJECTIVES`), AdamW steps, learning rate, batch
    size, seed, evaluation and checkpoint cadence, the stochastic draft's teacher noise and
    variance regulariser, and `identity`: what else a resumed run must share (series, split)."""

    objective: str
    steps: int
    lr: float
    batch_size: int
    seed: int
    eval_every: int
    checkpoint_every: int
    teacher_noise: float
    var_reg: float
    identity: dict[str, Any]

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InvalidArgumentError(f"objective: {self.objective!r} is not one of {OBJECTIVES}")
        check_int("steps", self.steps, 1)
        if not 0.0 < check_float("lr", self.lr, positive=True) < 1.0:
            raise InvalidArgumentError(f"lr: must be in (0, 1), got {self.lr}")
        check_int("batch_size", self.batch_size, 1)
        check_seed(self.seed)
        check_int("eval_every", self.eval_every, 1)
        check_int("checkpoint_every", self.checkpoint_every, 1)
        for name in ("teacher_noise", "var_reg"):
            if check_float(f"draft_{name}", getattr(self, name)) < 0.0:
                raise InvalidArgumentError(f"draft_{name}: must be >= 0, got {getattr(self, name)}")

    def fingerprint(self) -> dict[str, Any]:
        """Everything but `steps`: what a checkpoint must have been trained with."""
        return {
            "objective": self.objective, "lr": self.lr, "batch_size": self.batch_size,
            "seed": self.seed, "eval_every": self.eval_every, "teacher_noise": self.teacher_noise,
            "var_reg": self.var_reg, **self.identity,
        }  # fmt: skip


def _loss(model: Forecaster, data: Data, settings: FitSettings, step: int) -> torch.Tensor:
    """The stage's loss on step `step`'s batch (drawn, with its noise, from (seed, step))."""
    generator = torch.Generator().manual_seed(settings.seed * 1_000_003 + step)
    count = len(data.train_x)
    index = torch.randint(count, (min(settings.batch_size, count),), generator=generator)
    mean, logvar = model(data.train_x[index])
    if settings.objective == "target":
        assert logvar is not None
        return gaussian_nll(mean, logvar, data.train_y[index])
    assert data.teacher_mean is not None
    assert data.teacher_logvar is not None
    if settings.objective == "draft-mse":
        return draft_mse_loss(mean, data.teacher_mean[index])
    assert logvar is not None
    noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    return draft_nll_loss(
        mean, logvar, data.teacher_mean[index], data.teacher_logvar[index], noise,
        settings.teacher_noise, settings.var_reg,
    )  # fmt: skip


@torch.no_grad()
def evaluate(model: Forecaster, x: torch.Tensor, y: torch.Tensor) -> dict[str, float | None]:
    """MSE of the mean to `y`, and (for heads with a variance) the Gaussian NLL of `y` and the
    mean log-variance, in standardised units."""
    mean, logvar = model(x)
    found: dict[str, float | None] = {"val_mse": float((mean - y).square().mean())}
    found["val_nll"] = None if logvar is None else float(gaussian_nll(mean, logvar, y))
    found["val_logvar"] = None if logvar is None else float(logvar.mean())
    return found


def _check_variance(row: LogRow, warn: Callable[[str], None]) -> None:
    """Warn on a mean validation log σ² at or below `COLLAPSE_WARNING`; stop on one that has
    reached the floor of the ψ's range (the variance has collapsed)."""
    logvar = row["val_logvar"]
    if logvar is None:
        return
    if logvar <= LOGVAR_MIN + DIVERGED_MARGIN:
        raise TrainingDivergedError(
            f"draft_nll_var_reg: the {row['stage']} variance collapsed at step {row['step']} "
            f"(mean log σ² {logvar:.2f}, floor {LOGVAR_MIN}); raise --draft-nll-var-reg or "
            "--draft-teacher-noise"
        )
    if logvar <= COLLAPSE_WARNING:
        warn(
            f"warning: the {row['stage']} variance is collapsing at step {row['step']} "
            f"(mean log σ² {logvar:.2f} <= {COLLAPSE_WARNING})"
        )


def _check_resume(checkpoint: Checkpoint, settings: FitSettings, arch: dict[str, Any]) -> None:
    """Refuse a checkpoint of another model or run, naming the first field that differs."""
    for ours, theirs in ((arch, checkpoint.architecture),
                         (settings.fingerprint(), checkpoint.settings)):  # fmt: skip
        for key in sorted(set(ours) | set(theirs)):
            if ours.get(key) != theirs.get(key):
                raise InvalidArgumentError(
                    f"{key}: the checkpoint was trained with {key}={theirs.get(key)!r}, not "
                    f"{ours.get(key)!r}; a resumed run keeps every setting but the steps"
                )
    if checkpoint.step > settings.steps:
        raise InvalidArgumentError(
            f"steps: the checkpoint has reached step {checkpoint.step}, past {settings.steps}"
        )


def fit(
    model: Forecaster,
    data: Data,
    settings: FitSettings,
    *,
    checkpoint: Path,
    resume: Checkpoint | None = None,
    report: Callable[[LogRow], None] = lambda row: None,
    warn: Callable[[str], None] = lambda message: None,
) -> list[LogRow]:
    """Train `model` in place and return its log: one row per step (step 0: the untrained
    model), validation columns every `eval_every` steps and at the last. A `resume`
    checkpoint at the last step leaves the model as it was trained."""
    stage = settings.objective
    params = dict(model.named_parameters())
    optimizer = torch.optim.AdamW(params.values(), lr=settings.lr)
    arch = model.arch.to_dict()
    log: list[LogRow]
    if resume is None:
        log = [{"stage": stage, "step": 0, "loss": None, **evaluate(model, data.val_x, data.val_y)}]
    else:
        _check_resume(resume, settings, arch)
        if set(resume.trainable) != set(params):
            raise ModelError(f"resume: the checkpoint's weights are not the {stage}'s")
        model.load_state_dict(resume.trainable)
        optimizer.load_state_dict(resume.optimizer)
        log = list(resume.log)
    report(log[-1])
    for step in range(log[-1]["step"] + 1, settings.steps + 1):
        loss = _loss(model, data, settings, step)
        check_finite("loss", float(loss.detach()), step, stage, checkpoint)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        norm = torch.nn.utils.clip_grad_norm_(params.values(), GRADIENT_CLIP)
        check_finite("gradient norm", float(norm), step, stage, checkpoint)
        optimizer.step()
        last = step == settings.steps
        row: LogRow = {"stage": stage, "step": step, "loss": float(loss.detach())}
        if last or step % settings.eval_every == 0:
            row.update(evaluate(model, data.val_x, data.val_y))
            _check_variance(row, warn)
        else:
            row.update(val_mse=None, val_nll=None, val_logvar=None)
        log.append(row)
        report(row)
        if last or step % settings.checkpoint_every == 0:
            Checkpoint(
                step=step, settings=settings.fingerprint(), architecture=arch,
                vocabulary="", trainable={n: p.detach().clone() for n, p in params.items()},
                optimizer=optimizer.state_dict(), log=log,
            ).save(checkpoint)  # fmt: skip
    return log
