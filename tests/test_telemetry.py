"""Run directories are fresh per run; writes are atomic and leave no temporary files."""

from pathlib import Path

import polars as pl
import pytest

from tsd import telemetry


def test_run_dirs_never_collide(tmp_path: Path) -> None:
    dirs = {telemetry.make_run_dir(tmp_path) for _ in range(5)}
    assert len(dirs) == 5
    assert all(d.parent == tmp_path for d in dirs)


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    run_dir = telemetry.make_run_dir(tmp_path)
    with pytest.raises(ValueError, match="not JSON compliant"):
        telemetry.write_summary(run_dir, {"bad": float("nan")})
    assert list(run_dir.iterdir()) == []


def test_writes_parquet_and_jsonl(tmp_path: Path) -> None:
    frame = pl.DataFrame({"step": [0, 1], "accepted": [True, False]})
    paths = telemetry.write_telemetry(tmp_path, frame, "m0_metrics", ("parquet", "jsonl"))
    assert pl.read_parquet(paths["parquet"]).equals(frame)
    assert pl.read_ndjson(paths["jsonl"]).equals(frame)
    summary = telemetry.write_summary(tmp_path, {"b": 1, "a": 2})
    assert summary.read_text().startswith('{\n  "a": 2')
