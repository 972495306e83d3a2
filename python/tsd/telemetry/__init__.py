"""Per-step telemetry (Parquet, optional JSONL) and run summaries; schema in docs/TELEMETRY.md."""

from tsd.telemetry.scan import scan
from tsd.telemetry.writer import (
    SUMMARY_NAME,
    TelemetryFormat,
    atomic_write,
    make_run_dir,
    write_summary,
    write_telemetry,
)

__all__ = [
    "SUMMARY_NAME",
    "TelemetryFormat",
    "atomic_write",
    "make_run_dir",
    "scan",
    "write_summary",
    "write_telemetry",
]
