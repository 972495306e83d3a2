"""Writing a command's results: tables into the staged run folder, then the summary (with its
provenance) last, then the folder published under its timestamped name."""

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsd import telemetry
from tsd.telemetry import StagedRunDir, TelemetryFormat

if TYPE_CHECKING:
    import polars as pl


def write_tables(
    stage: StagedRunDir,
    tables: Mapping[str, "pl.DataFrame"],
    formats: tuple[TelemetryFormat, ...] = ("parquet",),
) -> None:
    """Write each table as `<stem>.<format>` into the staging folder."""
    for stem, frame in tables.items():
        telemetry.write_telemetry(stage.path, frame, stem, formats)


def table_formats(fmt: str) -> tuple[TelemetryFormat, ...]:
    """The files `--format` asks for: Parquet always, JSON lines too for `jsonl`."""
    return ("parquet", "jsonl") if fmt == "jsonl" else ("parquet",)


def publish(stage: StagedRunDir, summary: Mapping[str, Any], args: argparse.Namespace) -> Path:
    """Write `summary.json` with the command's provenance, publish the folder, return it."""
    telemetry.write_summary(stage.path, {**summary, "provenance": args.invocation.provenance()})
    return stage.publish()
