"""Lazy access to a run's telemetry for analysis with polars."""

import os
from pathlib import Path

import polars as pl

from tsd.errors import InvalidArgumentError

METRICS_FILES = ("m1_metrics.parquet", "m0_metrics.parquet")


def scan(run_dir: str | os.PathLike[str], table: str | None = None) -> pl.LazyFrame:
    """A `LazyFrame` over a run's per-step Parquet (M1 or M0), or over `<table>.parquet`."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise InvalidArgumentError(f"run_dir: {folder} is not a run directory")
    names = (f"{table}.parquet",) if table is not None else METRICS_FILES
    for name in names:
        if (folder / name).is_file():
            return pl.scan_parquet(folder / name)
    raise InvalidArgumentError(f"run_dir: {folder} holds none of {', '.join(names)}")
