"""The AutoJudge head: standardised L2-regularised logistic regression on mismatch features,
predicting the probability that a mismatch is important; its fit, and its checkpoint.

As in the reference (garipovroma/autojudge, src/train_head_gsm8k.py): features are standardised
with the mine split's mean and standard deviation, C is chosen on a grid by validation ROC-AUC
(the fit uses the mine split only), and the decision thresholds are the validation
quantiles 0, 0.04, ..., 1 of `prob_important`. A judge accepts a mismatch (calls it
unimportant) when `prob_important < threshold`, the reference's decoding rule.
"""

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tsd.errors import InvalidArgumentError, ModelError
from tsd.judge.labels import LabelSet
from tsd.judge.logistic import LogisticFit, fit_logistic, log_loss, roc_auc, sigmoid
from tsd.judge.tensor_file import read_tensor_file, write_tensor_file

__all__ = [
    "DEFAULT_CS",
    "DEFAULT_MIN_LABELS",
    "QUANTILES",
    "JudgeHead",
    "check_feature_size",
    "check_threshold",
    "fit_judge_head",
    "load_judge_head",
    "save_judge_head",
    "threshold_table",
]

# The reference's grid: 10^−7, 10^−6.5, ..., 10^−0.5, then 1, 3, 10, 50, 100.
DEFAULT_CS: tuple[float, ...] = (
    *(float(10 ** (k / 2)) for k in range(-14, 0)),
    1.0, 3.0, 10.0, 50.0, 100.0,
)  # fmt: skip
QUANTILES: tuple[float, ...] = tuple(float(q) for q in np.linspace(0.0, 1.0, 26))
DEFAULT_MIN_LABELS = 10
FORMAT = "tsd-judge-head/1"


def check_threshold(threshold: float, field_name: str = "threshold") -> float:
    """`threshold` as a float if it is a probability in [0, 1], else an error naming it."""
    value = float(threshold)
    if not 0.0 <= value <= 1.0:
        raise InvalidArgumentError(f"{field_name}: must lie in [0, 1], got {threshold!r}")
    return value


@dataclass(frozen=True)
class JudgeHead:
    """A fitted head: per-feature `mean` and `scale`, `weights` and `bias` on the standardised
    features, the chosen `C`, the validation-quantile `thresholds`, and `meta` (target,
    feature source and size, training counts and loss, validation AUC)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    C: float
    thresholds: tuple[float, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse mismatched shapes, non-finite numbers or a threshold outside [0, 1]."""
        d = self.weights.shape
        for name in ("mean", "scale", "weights"):
            array = getattr(self, name)
            if array.ndim != 1 or array.shape != d or not np.all(np.isfinite(array)):
                raise InvalidArgumentError(
                    f"{name}: must be a finite vector of shape {d}, got shape {array.shape}"
                )
        if not np.all(self.scale > 0):
            raise InvalidArgumentError("scale: every feature scale must be positive")
        if not (np.isfinite(self.bias) and np.isfinite(self.C) and self.C > 0):
            raise InvalidArgumentError(
                f"bias, C: must be finite (C > 0), got {self.bias}, {self.C}"
            )
        for threshold in self.thresholds:
            check_threshold(threshold, "thresholds")

    @property
    def feature_size(self) -> int:
        """d, the length of the feature vectors the head reads."""
        return int(self.weights.shape[0])

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The log-odds that each of the (n, d) mismatches is important."""
        x = np.asarray(features)
        if x.ndim != 2 or x.shape[1] != self.feature_size:
            raise InvalidArgumentError(
                f"features: the head reads (n, {self.feature_size}) arrays, got shape {x.shape}"
            )
        standardised = (x.astype(np.float64) - self.mean) / self.scale
        return np.asarray(standardised @ self.weights + self.bias, dtype=np.float64)

    def prob_important(self, features: np.ndarray) -> np.ndarray:
        """The probability that each of the (n, d) mismatches is important."""
        return sigmoid(self.logits(features))


def _class_counts(important: np.ndarray) -> tuple[int, int]:
    positives = int(np.count_nonzero(important))
    return positives, int(important.size) - positives


def _check_enough(labels: LabelSet, min_labels: int) -> None:
    """Each of the mine and val splits needs `min_labels` of each class; say what there is."""
    counts = {name: _class_counts(labels.split(name)[1]) for name in ("mine", "val")}
    if any(min(count) < min_labels for count in counts.values()):
        found = "; ".join(
            f"{name}: {important} important, {unimportant} unimportant"
            for name, (important, unimportant) in counts.items()
        )
        raise InvalidArgumentError(
            f"labels: too few to fit the judge head ({found}); it needs at least {min_labels} "
            "of each class in each of the mine and val splits (mine more questions)"
        )


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation (a constant feature gets scale 1)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def threshold_table(
    prob_important: np.ndarray, important: np.ndarray, thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """Per threshold, on labelled mismatches: the fraction accepted (prob < threshold) of the
    unimportant ones, and the recall of the important ones (the fraction rejected)."""
    positives = np.asarray(important, dtype=bool)
    rows = []
    for threshold in thresholds:
        accepted = prob_important < threshold
        rows.append(
            {
                "threshold": float(threshold),
                "accept_rate": float(accepted.mean()),
                "unimportant_accept_rate": float(accepted[~positives].mean()),
                "important_recall": float((~accepted[positives]).mean()),
            }
        )
    return rows


def fit_judge_head(
    labels: LabelSet,
    *,
    Cs: Sequence[float] = DEFAULT_CS,
    min_labels: int = DEFAULT_MIN_LABELS,
) -> JudgeHead:
    """Fit the head on the mine split for each C (ascending), keep the C of highest validation
    ROC-AUC (the smaller C on a tie), and store the validation quantiles of its probabilities
    as the thresholds. Deterministic: the same labels give the same head bit for bit."""
    if not Cs:
        raise InvalidArgumentError("C: give at least one value")
    grid = sorted({float(value) for value in Cs})
    for value in grid:
        if not (np.isfinite(value) and value > 0):
            raise InvalidArgumentError(f"C: must be positive and finite, got {value!r}")
    if min_labels < 1:
        raise InvalidArgumentError(f"min_labels: must be at least 1, got {min_labels}")
    _check_enough(labels, min_labels)
    bad = int(np.count_nonzero(~np.isfinite(labels.features)))
    if bad:
        raise InvalidArgumentError(f"features: {bad} non-finite values in the labels")
    x_mine, y_mine = labels.split("mine")
    x_val, y_val = labels.split("val")
    mean, scale = _standardisation(x_mine.astype(np.float64))
    z_mine = (x_mine.astype(np.float64) - mean) / scale
    z_val = (x_val.astype(np.float64) - mean) / scale
    target = y_mine.astype(np.float64)
    fits: list[tuple[float, LogisticFit, float]] = []
    previous: LogisticFit | None = None
    for inverse_strength in grid:
        previous = fit_logistic(z_mine, target, inverse_strength, start=previous)
        auc = roc_auc(z_val @ previous.weights + previous.bias, y_val)
        fits.append((inverse_strength, previous, auc))
    chosen, best, best_auc = max(fits, key=lambda entry: entry[2])
    val_logits = z_val @ best.weights + best.bias
    thresholds = tuple(float(t) for t in np.quantile(sigmoid(val_logits), QUANTILES))
    mine_important, mine_unimportant = _class_counts(y_mine)
    val_important, val_unimportant = _class_counts(y_val)
    train_loss = log_loss(z_mine @ best.weights + best.bias, target) / y_mine.size
    meta = {
        "format": FORMAT,
        # The mining seed and kept families let the benchmark rebuild the held-out test split.
        **{
            key: labels.meta.get(key)
            for key in ("target", "draft", "feature_source", "task", "seed", "families")
        },
        "feature_size": int(x_mine.shape[1]),
        "autojudge_train_samples": int(y_mine.size),
        "autojudge_train_loss": float(train_loss),
        "val_samples": int(y_val.size),
        "val_auc": float(best_auc),
        "C": chosen,
        "newton_steps": best.steps,
        "train_important": mine_important,
        "train_unimportant": mine_unimportant,
        "val_important": val_important,
        "val_unimportant": val_unimportant,
        "auc_by_C": [{"C": value, "val_auc": float(auc)} for value, _, auc in fits],
        "threshold_quantiles": list(QUANTILES),
    }
    return JudgeHead(
        mean=mean, scale=scale, weights=best.weights, bias=best.bias, C=chosen,
        thresholds=thresholds, meta=meta,
    )  # fmt: skip


def save_judge_head(head: JudgeHead, path: str | os.PathLike[str]) -> Path:
    """Write `head` to one safetensors file at `path`, atomically; return the path."""
    file = Path(path)
    tensors = {
        "mean": head.mean,
        "scale": head.scale,
        "weights": head.weights,
        "bias": np.array([head.bias]),
        "C": np.array([head.C]),
        "thresholds": np.array(head.thresholds, dtype=np.float64),
    }
    write_tensor_file(file, tensors, {"meta": json.dumps(head.meta, allow_nan=False)})
    return file


def load_judge_head(
    path: str | os.PathLike[str], *, target: str, feature_size: int | None
) -> JudgeHead:
    """The head at `path`, refused (naming both sides) if it was trained for another target
    model or feature size (not checked when None: the model is not loaded yet); a missing,
    truncated or garbled file is an error naming it."""
    file = Path(path)
    if not file.is_file():
        raise InvalidArgumentError(f"autojudge_checkpoint: no judge head file at {file}")
    tensors, metadata = read_tensor_file(file, "autojudge_checkpoint")
    try:
        meta = json.loads(metadata["meta"])
        head = JudgeHead(
            mean=tensors["mean"], scale=tensors["scale"], weights=tensors["weights"],
            bias=float(tensors["bias"][0]), C=float(tensors["C"][0]),
            thresholds=tuple(float(t) for t in tensors["thresholds"]), meta=meta,
        )  # fmt: skip
    except (KeyError, IndexError, TypeError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"autojudge_checkpoint: {file} lacks a judge head field ({type(exc).__name__}: {exc})"
        ) from None
    if meta.get("format") != FORMAT:
        raise ModelError(f"autojudge_checkpoint: {file} is not a {FORMAT} file")
    if meta.get("target") != target:
        raise ModelError(
            f"autojudge_checkpoint: {file} was trained for target {meta.get('target')!r}, "
            f"not {target!r}"
        )
    if feature_size is not None:
        check_feature_size(head, feature_size, file)
    return head


def check_feature_size(head: JudgeHead, feature_size: int, path: str | os.PathLike[str]) -> None:
    """Refuse the head read from `path` unless its weights and metadata both read features of
    `feature_size` (the loaded target's hidden size)."""
    if head.feature_size != feature_size or head.meta.get("feature_size") != feature_size:
        raise ModelError(
            f"autojudge_checkpoint: {path} reads features of size {head.feature_size}, "
            f"this run's are of size {feature_size}"
        )
