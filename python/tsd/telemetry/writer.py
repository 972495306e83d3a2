"""Atomic writes of per-step telemetry and the run summary.

Every file is written to a hidden temporary name beside its target and renamed into place, so
a reader never sees a half-written Parquet or JSON file, even if the process dies mid-write.
Files get the usual permissions (0666 less the umask), as any other program's output would.
"""

import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import polars as pl

TelemetryFormat = Literal["parquet", "jsonl", "csv"]
SUMMARY_NAME = "summary.json"
FILE_MODE = 0o666  # less the umask, as open(2) applies it


def _fresh_temp_file(path: Path) -> Path:
    """Create an empty hidden file beside `path` whose mode follows the umask."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it into place.

    A writer that fails (a full disk included) leaves nothing behind; polars reports a failed
    Parquet write as a `ComputeError`, which is re-raised as the `OSError` it stands for.
    """
    import polars as pl  # noqa: PLC0415  (only writers of frames need polars)

    tmp = _fresh_temp_file(path)
    try:
        try:
            write(tmp)
        except pl.exceptions.ComputeError as exc:
            raise OSError(f"could not write {path}: {exc}") from exc
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_telemetry(
    run_dir: Path,
    frame: "pl.DataFrame",
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


def write_json(path: Path, document: Any) -> Path:
    """Write `document` as JSON (sorted keys, two-space indent, no NaN) atomically."""
    text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def write_summary(run_dir: Path, summary: Mapping[str, Any]) -> Path:
    """Write `summary.json` (sorted keys, two-space indent) atomically; return its path."""
    return write_json(run_dir / SUMMARY_NAME, summary)
