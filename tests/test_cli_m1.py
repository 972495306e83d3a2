"""The M1 command line and run analysis: files, printed keys, clean errors."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.support import REPO, SHAKESPEARE
from tsd.errors import InvalidArgumentError
from tsd.telemetry import scan


def run_script(script: str, *args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    entry = ["-m", f"scripts.{script}"] if module else [str(REPO / "scripts" / f"{script}.py")]
    return subprocess.run(
        [sys.executable, *entry, *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def printed(out: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in out.splitlines() if line.count("=") == 1)


def test_run_m1_writes_metrics_contexts_and_summary(tmp_path: Path) -> None:
    out = run_script(
        "run_m1", "run", "--vocab", "64", "--K", "16", "--steps", "4000",
        "--fixed-steps", "4000", "--out-dir", str(tmp_path), "--format", "jsonl",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    values = printed(out.stdout)
    for key in ("acceptance_rate", "mean_overlap", "acceptance_overlap_gap", "mean_ce_gap",
                "p_value", "fixed_context_passes", "psi_bytes_max"):  # fmt: skip
        assert key in values
    run_dir = Path(values["metrics_path"]).parent
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(summary["fixed_context_tests"]) == 4
    frame = scan(run_dir).collect()
    assert frame.height == 4000
    assert pl.read_ndjson(run_dir / "m1_metrics.jsonl").equals(frame)
    assert scan(run_dir, "m1_contexts").collect().height == 64


def test_aggregate_mode_writes_contexts_only(tmp_path: Path) -> None:
    out = run_script(
        "run_m1", "run", "--vocab", "32", "--K", "8", "--steps", "5000", "--fixed-steps", "500",
        "--telemetry", "aggregate", "--out-dir", str(tmp_path), module=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    run_dir = next(tmp_path.iterdir())
    assert sorted(p.name for p in run_dir.iterdir()) == ["m1_contexts.parquet", "summary.json"]
    contexts = pl.read_parquet(run_dir / "m1_contexts.parquet")
    assert contexts["visits"].sum() == 5000


@pytest.mark.skipif(not SHAKESPEARE.is_file(), reason=f"no corpus at {SHAKESPEARE}")
def test_run_m1_on_the_corpus(tmp_path: Path) -> None:
    out = run_script(
        "run_m1", "run", "--corpus", str(SHAKESPEARE), "--K", "64", "--steps", "5000",
        "--fixed-steps", "5000", "--out-dir", str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(
        (Path(printed(out.stdout)["metrics_path"]).parent / "summary.json").read_text()
    )
    assert summary["target"].startswith("character bigram of tinyshakespeare.txt, V=65")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--K", "300"), "K: must be in [1, 256]"),
        (("--vocab", "1"), "vocab: must be in [2, 4096]"),
        (("--c", "0"), "must be finite and > 0"),
        (("--corpus", "/nonexistent/file.txt"), "no such file"),
        (("--corpus", "/"), "is a directory"),
        (("--telemetry", "none"), "invalid choice"),
        (("--fixed-steps", "0"), "must be >= 1"),
    ],
)
def test_bad_m1_flags_fail_cleanly(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    out = run_script("run_m1", "run", *args, "--steps", "10", "--out-dir", str(tmp_path))
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(tmp_path.iterdir())


def test_scan_names_a_missing_run(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="none of"):
        scan(tmp_path)
    with pytest.raises(InvalidArgumentError, match="not a run directory"):
        scan(tmp_path / "nope")
