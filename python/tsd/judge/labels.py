"""Mined judge labels: each mismatch's feature vector, whether it was important, and where it
came from (question, family, split), with the mining run's settings as metadata.

A mining run writes them as `labels.parquet` (one row per mismatch, the features a fixed-size
float32 array column, the settings as JSON in the Parquet schema metadata).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tsd.errors import InvalidArgumentError

__all__ = ["LABELS_FILE", "METADATA_KEY", "SPLITS", "LabelSet", "read_labels", "write_labels"]

LABELS_FILE = "labels.parquet"
METADATA_KEY = "tsd_judge_labels"
SPLITS = ("mine", "val")


@dataclass(frozen=True)
class LabelSet:
    """n labelled mismatches: `features` (n, d) float32, `important` (n,) bool, and per row
    the question id, family and split ("mine" fits the head, "val" chooses C and thresholds)."""

    features: np.ndarray
    important: np.ndarray
    question_ids: list[str]
    families: list[str]
    splits: list[str]
    meta: dict[str, Any]

    def __post_init__(self) -> None:
        """Refuse inconsistent shapes or an unknown split, naming the field."""
        if self.features.ndim != 2 or self.features.dtype != np.float32:
            raise InvalidArgumentError(
                f"features: must be a 2-D float32 array, got {self.features.dtype} "
                f"of shape {self.features.shape}"
            )
        n = self.features.shape[0]
        if self.important.shape != (n,) or self.important.dtype != np.bool_:
            raise InvalidArgumentError(
                f"important: must be a bool array of shape ({n},), got {self.important.dtype} "
                f"of shape {self.important.shape}"
            )
        for name in ("question_ids", "families", "splits"):
            if len(getattr(self, name)) != n:
                raise InvalidArgumentError(
                    f"{name}: has {len(getattr(self, name))} entries for {n} mismatches"
                )
        unknown = sorted(set(self.splits) - set(SPLITS))
        if unknown:
            raise InvalidArgumentError(f"splits: unknown split(s) {unknown}; known: {SPLITS}")

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The features and labels of one split."""
        rows = np.array([s == name for s in self.splits], dtype=bool)
        return self.features[rows], self.important[rows]


def write_labels(labels: LabelSet, path: Path) -> None:
    """Write `labels` as a Parquet file at `path` (settings in the schema metadata)."""
    import polars as pl  # noqa: PLC0415

    d = labels.features.shape[1]
    frame = pl.DataFrame(
        {
            "question_id": labels.question_ids,
            "family": labels.families,
            "split": labels.splits,
            "important": labels.important,
            "features": pl.Series(labels.features, dtype=pl.Array(pl.Float32, d)),
        }
    )
    frame.write_parquet(path, metadata={METADATA_KEY: json.dumps(labels.meta, allow_nan=False)})


def read_labels(path: str | os.PathLike[str]) -> LabelSet:
    """The labels of a mining run: its `labels.parquet`, or the run folder holding it."""
    import polars as pl  # noqa: PLC0415

    file = Path(path)
    if file.is_dir():
        file = file / LABELS_FILE
    if not file.is_file():
        raise InvalidArgumentError(f"labels: no labels file at {file}")
    try:
        metadata = pl.read_parquet_metadata(file)
        frame = pl.read_parquet(file)
        meta = json.loads(metadata[METADATA_KEY])
        features = np.asarray(frame["features"].to_numpy(), dtype=np.float32)
        important = frame["important"].to_numpy().astype(bool)
        question_ids = [str(value) for value in frame["question_id"].to_list()]
        families = [str(value) for value in frame["family"].to_list()]
        splits = [str(value) for value in frame["split"].to_list()]
    except Exception as exc:  # a file that is not a labels table fails in many ways
        raise InvalidArgumentError(
            f"labels: {file} is not a readable labels table: {exc}"
        ) from None
    return LabelSet(features, important, question_ids, families, splits, meta)
