"""Lazy access to a run's telemetry for analysis with polars."""

import os
from pathlib import Path

import polars as pl

from tsd.errors import InvalidArgumentError

METRICS_FILES = ("m1_metrics.parquet", "m0_metrics.parquet")


def scan(run_dir: str | os.PathLike[str], table: str | None = None) -> pl.LazyFrame:
    """A `LazyFrame` over a run's per-step Parquet (M1 or M0), or over `<table>.parquet`.

    The file's footer is read here, so an empty, truncated or foreign file fails at once with
    an error naming it rather than later inside polars."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise InvalidArgumentError(f"run_dir: {folder} is not a run directory")
    names = (f"{table}.parquet",) if table is not None else METRICS_FILES
    for name in names:
        path = folder / name
        if path.is_file():
            frame = pl.scan_parquet(path)
            try:
                frame.collect_schema()
            except (pl.exceptions.PolarsError, OSError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InvalidArgumentError(
                    f"run_dir: {path} is not a readable Parquet file ({reason})"
                ) from None
            return frame
    raise InvalidArgumentError(f"run_dir: {folder} holds none of {', '.join(names)}")


def latest_run(runs: str | os.PathLike[str] = "runs", table: str = "m1_metrics") -> Path:
    """The newest run folder under `runs` that holds `<table>.parquet`; sweep and bench folders
    beside it are skipped. Folders are named `YYYYmmdd-HHMMSS`, then `-1`, `-2`, ... within a
    second, so the newest is the last by (timestamp, name length, name)."""
    found = sorted(
        (path.parent for path in Path(runs).glob(f"*/{table}.parquet")),
        key=lambda folder: (folder.name[:15], len(folder.name), folder.name),
    )
    if not found:
        raise InvalidArgumentError(f"run_dir: no run under {runs} holds {table}.parquet")
    return found[-1]
