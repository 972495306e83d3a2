"""Per-step telemetry (Parquet, optional JSONL) and run summaries; schema in docs/TELEMETRY.md."""

from tsd.telemetry.rundir import StagedRunDir, make_run_dir, staged_run_dir
from tsd.telemetry.scan import latest_run, scan
from tsd.telemetry.writer import (
    SUMMARY_NAME,
    TelemetryFormat,
    atomic_write,
    write_json,
    write_summary,
    write_telemetry,
)

__all__ = [
    "SUMMARY_NAME",
    "StagedRunDir",
    "TelemetryFormat",
    "atomic_write",
    "latest_run",
    "make_run_dir",
    "scan",
    "staged_run_dir",
    "write_json",
    "write_summary",
    "write_telemetry",
]
