"""Writing a command's results: tables into the staged run folder, then the summary (with its
provenance) last, then the folder published under its timestamped name."""

import argparse
import json
from collections.abc import Mapping, Sequence
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


def write_results(
    stage: StagedRunDir,
    rows: Sequence[Mapping[str, Any]],
    frame: "pl.DataFrame",
    settings: Mapping[str, Any],
) -> None:
    """A benchmark's rows as `results.jsonl` (each row with the whole configuration under
    `config`) and `results.parquet` (the rows as `frame` types them)."""
    lines = "".join(json.dumps({**row, "config": settings}, allow_nan=False) + "\n" for row in rows)
    telemetry.atomic_write(
        stage.path / "results.jsonl", lambda tmp: tmp.write_text(lines, encoding="utf-8")
    )
    telemetry.write_telemetry(stage.path, frame, "results")


def print_result_paths(run_dir: Path, plotted: bool) -> None:
    """The published benchmark files, one `name=path` line each (the plot where one was drawn)."""
    if plotted:
        print(f"plot_path={run_dir / 'results.png'}")
    print(f"results_path={run_dir / 'results.jsonl'}")
    print(f"parquet_path={run_dir / 'results.parquet'}")


def publish(stage: StagedRunDir, summary: Mapping[str, Any], args: argparse.Namespace) -> Path:
    """Write `summary.json` with the command's provenance, publish the folder, return it."""
    telemetry.write_summary(stage.path, {**summary, "provenance": args.invocation.provenance()})
    return stage.publish()
