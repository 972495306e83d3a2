"""Run directories and atomic writes of per-step telemetry and the run summary.

Every file is written to a temporary name in the run directory and renamed into place, so a
reader never sees a half-written Parquet or JSON file, even if the process dies mid-write.
"""

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from tsd.errors import InvalidArgumentError

TelemetryFormat = Literal["parquet", "jsonl", "csv"]
SUMMARY_NAME = "summary.json"


def make_run_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create `out_dir/<UTC timestamp>`; a later run in the same second gets `-1`, `-2`, ..."""
    root = Path(out_dir)
    if root.exists() and not root.is_dir():
        raise InvalidArgumentError(f"out_dir: {root} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        candidate = root / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise InvalidArgumentError(f"out_dir: could not create a fresh run directory under {root}")


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it into place."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_telemetry(
    run_dir: Path,
    frame: pl.DataFrame,
    stem: str,
    formats: tuple[TelemetryFormat, ...] = ("parquet",),
) -> dict[TelemetryFormat, Path]:
    """Write `frame` as `<stem>.parquet` (zstd), plus `.jsonl` or `.csv` if asked; return paths."""
    writers: dict[TelemetryFormat, Callable[[Path], object]] = {
        "parquet": lambda tmp: frame.write_parquet(tmp, compression="zstd"),
        "jsonl": frame.write_ndjson,
        "csv": frame.write_csv,
    }
    paths: dict[TelemetryFormat, Path] = {}
    for fmt in formats:
        paths[fmt] = run_dir / f"{stem}.{fmt}"
        atomic_write(paths[fmt], writers[fmt])
    return paths


def write_summary(run_dir: Path, summary: Mapping[str, Any]) -> Path:
    """Write `summary.json` (sorted keys, two-space indent) atomically; return its path."""
    path = run_dir / SUMMARY_NAME
    text = json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
