"""The training log as a table (Parquet; no wall-clock columns, so a seed's log is the same
bytes every time) and as a figure (loss and held-out acceptance against steps)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tsd.plots import training_curves
from tsd.telemetry import write_telemetry
from tsd.train.trainer import LOG_COLUMNS

__all__ = ["LOG_STEM", "log_frame", "write_log"]

LOG_STEM = "train_log"
SCHEMA = {
    "step": pl.Int64, "objective": pl.String, "loss": pl.Float64,
    "heldout_acceptance": pl.Float64, "heldout_tv": pl.Float64, "heldout_kl": pl.Float64,
}  # fmt: skip


def log_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """One row per step: the step's loss (null at step 0), held-out columns where evaluated."""
    return pl.DataFrame([{k: row[k] for k in LOG_COLUMNS} for row in rows], schema=SCHEMA)


def write_log(run_dir: Path, rows: Sequence[dict[str, Any]], title: str) -> tuple[Path, Path]:
    """`train_log.parquet` and `train_log.png` in `run_dir`; returns their paths."""
    frame = log_frame(rows)
    parquet = write_telemetry(run_dir, frame, LOG_STEM)["parquet"]
    trained = frame.filter(pl.col("loss").is_not_null())
    evaluated = frame.filter(pl.col("heldout_acceptance").is_not_null())
    figure = training_curves(
        trained["step"].to_numpy(),
        trained["loss"].to_numpy().astype(np.float64),
        evaluated["step"].to_numpy(),
        evaluated["heldout_acceptance"].to_numpy().astype(np.float64),
        title,
        run_dir / f"{LOG_STEM}.png",
    )
    return parquet, figure
