"""`tsd ts train` as a function: load and split the series, train the target forecaster, then
each draft from the target's outputs, and write everything into a staged run folder (complete
or absent): the models (safetensors with their architecture), the training log and a summary
of validation and test metrics."""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import torch
from safetensors import safe_open
from safetensors.torch import save

from tsd import telemetry
from tsd.errors import InvalidArgumentError
from tsd.telemetry import StagedRunDir, atomic_write
from tsd.train.checkpoint import load_checkpoint
from tsd.ts.models import Architecture, Forecaster
from tsd.ts.series import Series, Splits, load_csv, load_dataset, split_series
from tsd.ts.trainer import LOG_COLUMNS, Data, FitSettings, evaluate, fit

__all__ = [
    "DRAFTS",
    "TrainedRun",
    "TsTrainRequest",
    "load_model",
    "open_run",
    "run_ts_training",
    "series_of",
]

# Draft kind -> (its objective, its head).
DRAFTS = {"mse": ("draft-mse", "mean"), "nll": ("draft-nll", "learned")}
MODEL_KEY = "tsd_forecaster"
LOG_SCHEMA = {
    "stage": pl.String, "step": pl.Int64, "loss": pl.Float64, "val_mse": pl.Float64,
    "val_nll": pl.Float64, "val_logvar": pl.Float64,
}  # fmt: skip


@dataclass(frozen=True)
class TsTrainRequest:
    """Everything `tsd ts train` was asked for (see its --help for each field)."""

    dataset: str | None
    csv: Path | None
    columns: tuple[str, ...]
    window: int
    target_hidden: int
    target_layers: int
    draft_hidden: int
    draft_layers: int
    spec_sigma: float | None
    drafts: tuple[str, ...]
    target_steps: int
    draft_steps: int
    lr: float
    batch_size: int
    seed: int
    eval_every: int
    checkpoint_every: int
    teacher_noise: float
    var_reg: float
    out: Path
    checkpoints: Path
    resume: bool = False


def series_of(dataset: str | None, csv: Path | None, columns: Sequence[str]) -> Series:
    """The series a request names: exactly one of a shipped dataset and a CSV file."""
    if (dataset is None) == (csv is None):
        raise InvalidArgumentError("dataset: give exactly one of --dataset and --csv")
    if csv is not None:
        return load_csv(csv, columns)
    if columns:
        raise InvalidArgumentError("column: --column goes with --csv, not --dataset")
    assert dataset is not None
    return load_dataset(dataset)


def _tensor(values: np.ndarray[Any, Any]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))


def save_model(path: Path, model: Forecaster) -> None:
    """A forecaster's weights and architecture in one safetensors file, written atomically."""
    tensors = {name: t.detach().contiguous() for name, t in model.state_dict().items()}
    data = save(tensors, metadata={MODEL_KEY: json.dumps(model.arch.to_dict())})
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def load_model(path: Path) -> Forecaster:
    """The forecaster saved at `path` by `save_model`."""
    with safe_open(str(path), framework="pt") as handle:
        arch = Architecture(**json.loads((handle.metadata() or {})[MODEL_KEY]))
        weights = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    model = Forecaster(arch)
    model.load_state_dict(weights)
    return model.eval()


def weights_digest(model: Forecaster) -> str:
    """A short fingerprint of a model's weights (a draft's checkpoint names its teacher)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def _settings(
    request: TsTrainRequest, objective: str, steps: int, series: Series, teacher: str = ""
) -> FitSettings:
    identity = {"series": series.digest(), "window": request.window, "target": teacher}
    return FitSettings(
        objective=objective, steps=steps, lr=request.lr, batch_size=request.batch_size,
        seed=request.seed, eval_every=request.eval_every,
        checkpoint_every=request.checkpoint_every, teacher_noise=request.teacher_noise,
        var_reg=request.var_reg, identity=identity,
    )  # fmt: skip


def _build(seed: int, arch: Architecture) -> Forecaster:
    """A forecaster initialised from `seed` alone (not from whatever ran before)."""
    torch.manual_seed(seed)
    return Forecaster(arch)


def _train_stage(
    request: TsTrainRequest,
    model: Forecaster,
    data: Data,
    settings: FitSettings,
    report: Callable[[str, dict[str, Any]], None],
    warn: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Train one model from a fresh seed, or on from its checkpoint with `resume`."""
    checkpoint = request.checkpoints / f"{settings.objective}.safetensors"
    resume = None
    if checkpoint.exists():
        if not request.resume:
            raise InvalidArgumentError(
                f"checkpoints: {checkpoint} exists; pass --resume to continue it, or another "
                "--checkpoints folder"
            )
        resume = load_checkpoint(checkpoint)
    return fit(
        model, data, settings, checkpoint=checkpoint, resume=resume,
        report=lambda row: report(settings.objective, row), warn=warn,
    )  # fmt: skip


def _test_metrics(model: Forecaster, splits: Splits) -> dict[str, float | None]:
    found = evaluate(model, _tensor(splits.test[0]), _tensor(splits.test[1]))
    return {key.replace("val_", "test_"): value for key, value in found.items()}


def run_ts_training(
    request: TsTrainRequest,
    publish: Callable[[StagedRunDir, dict[str, Any]], Path],
    *,
    report: Callable[[str, dict[str, Any]], None] = lambda stage, row: None,
    warn: Callable[[str], None] = lambda message: None,
) -> tuple[Path, dict[str, Any]]:
    """Train the target and the drafts; return the published run folder and its summary."""
    if not request.drafts or len(set(request.drafts)) != len(request.drafts):
        raise InvalidArgumentError(f"drafts: give distinct kinds of {', '.join(DRAFTS)}")
    series = series_of(request.dataset, request.csv, request.columns)
    splits = split_series(series, request.window)
    dim = series.values.shape[1]
    head = "learned" if request.spec_sigma is None else "fixed"
    target = _build(request.seed, Architecture(
        request.window, dim, request.target_hidden, request.target_layers, head,
        1.0 if request.spec_sigma is None else request.spec_sigma,
    ))  # fmt: skip
    archs = {
        kind: Architecture(request.window, dim, request.draft_hidden, request.draft_layers, h)
        for kind, (_, h) in DRAFTS.items()
        if kind in request.drafts
    }
    data = Data(*(_tensor(a) for a in (*splits.train, *splits.val)))
    with telemetry.staged_run_dir(request.out) as stage:
        log = _train_stage(
            request, target, data, _settings(request, "target", request.target_steps, series),
            report, warn,
        )  # fmt: skip
        models = {"target": target}
        with torch.no_grad():
            teacher_mean, teacher_logvar = target(data.train_x)
        assert teacher_logvar is not None
        taught = Data(
            data.train_x, data.train_y, data.val_x, data.val_y,
            teacher_mean=teacher_mean, teacher_logvar=teacher_logvar,
        )  # fmt: skip
        for kind, arch in archs.items():
            objective = DRAFTS[kind][0]
            models[objective] = _build(request.seed, arch)
            settings = _settings(
                request, objective, request.draft_steps, series, weights_digest(target)
            )
            log += _train_stage(request, models[objective], taught, settings, report, warn)
        for name, model in models.items():
            save_model(stage.path / "models" / f"{name}.safetensors", model.eval())
        frame = pl.DataFrame([{k: row[k] for k in LOG_COLUMNS} for row in log], schema=LOG_SCHEMA)
        telemetry.write_telemetry(stage.path, frame, "train_log")
        final = {
            name: {**evaluate(model, data.val_x, data.val_y),
                   **_test_metrics(model, splits), "architecture": model.arch.to_dict()}
            for name, model in models.items()
        }  # fmt: skip
        summary = {
            "series": {
                "name": series.name, "columns": list(series.columns), "steps": len(series.values),
                "source": series.source, "digest": series.digest(),
                "mean": splits.mean.tolist(), "scale": splits.scale.tolist(),
                "windows": {"train": len(splits.train[0]), "val": len(splits.val[0]),
                            "test": len(splits.test[0])},
            },
            "config": {k: (str(v) if isinstance(v, Path) else v)
                       for k, v in request.__dict__.items()},
            "models": final,
        }  # fmt: skip
        run_dir = publish(stage, summary)
    return run_dir, summary


@dataclass(frozen=True)
class TrainedRun:
    """A `tsd ts train` run folder read back: its summary, the series' splits (rebuilt and
    checked against the summary's fingerprint) and its models by name."""

    path: Path
    summary: dict[str, Any]
    splits: Splits
    models: dict[str, Forecaster]


def open_run(path: Path) -> TrainedRun:
    """Read the run folder at `path`; a missing file or a series that no longer matches the
    one trained on is an error naming `run`."""
    summary_path = path / "summary.json"
    if not summary_path.is_file():
        raise InvalidArgumentError(f"run: no summary.json in {path} (a `tsd ts train` run folder)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    config = summary["config"]
    csv = None if config["csv"] is None else Path(config["csv"])
    series = series_of(config["dataset"], csv, config["columns"])
    if series.digest() != summary["series"]["digest"]:
        raise InvalidArgumentError(
            f"run: the series {series.name} has changed since {path} was trained on it"
        )
    models = {}
    for name in summary["models"]:
        model_path = path / "models" / f"{name}.safetensors"
        if not model_path.is_file():
            raise InvalidArgumentError(f"run: {model_path} is missing")
        models[name] = load_model(model_path)
    return TrainedRun(path, summary, split_series(series, config["window"]), models)
