"""`tsd frontier` end to end on a tiny n-gram world: one row per method and budget, the
plot, identical results for the same seed, and bad input as one `error:` line with nothing
written."""

import json
from pathlib import Path

import polars as pl
import pytest

from tsd.cli import main

TEXT = "to be or not to be, that is the question; whether tis nobler in the mind. " * 60


def run(tmp_path: Path, out: str, *extra: str) -> Path:
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    argv = ["frontier", "--world", "ngram", "--corpus", str(corpus), "--contexts", "12",
            "--target-order", "4", "--budgets", "32", "64", "--workers", "1",
            "--out-dir", str(tmp_path / out), *extra]  # fmt: skip
    assert main(argv) == 0
    (run_dir,) = (tmp_path / out).iterdir()
    return run_dir


def test_the_frontier_writes_a_complete_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = run(tmp_path, "a")
    printed = capsys.readouterr().out
    assert f"frontier_path={run_dir / 'frontier.parquet'}" in printed
    frame = pl.read_parquet(run_dir / "frontier.parquet")
    budgeted = frame.filter(pl.col("budget").is_not_null())
    for method in ("tsd", "qsv", "k-sqs", "c-sqs", "adaptive-budget"):
        part = budgeted.filter(pl.col("method") == method)
        assert part["budget"].to_list() == [32, 64], method
        assert (part["max_bytes"] <= part["budget"]).all()
    targets = frame.filter(pl.col("method") == "adaptive-target")
    assert targets["target"].to_list() == [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    assert frame["acceptance"].is_between(0, 1).all()
    assert (run_dir / "frontier.png").read_bytes().startswith(b"\x89PNG")
    entropy = pl.read_parquet(run_dir / "code_entropy.parquet")
    assert (entropy["entropy_bits_per_code"] <= entropy["wire_bits_per_code"] + 1e-12).all()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["world"] == "ngram"
    assert summary["failures"] == []


def test_the_same_seed_gives_the_same_frontier(tmp_path: Path) -> None:
    first = pl.read_parquet(run(tmp_path, "a") / "frontier.parquet")
    second = pl.read_parquet(run(tmp_path, "b") / "frontier.parquet")
    assert first.equals(second)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--budgets", "8", "64"], "budget: 8 bytes is below the smallest possible payload"),
        (["--corpus", "/dev/null"], "corpus: /dev/null is not a regular file"),
    ],
)
def test_bad_input_is_one_error_line_and_leaves_nothing(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs"
    args = ["frontier", "--world", "ngram", "--workers", "1", "--out-dir", str(out), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert message in lines[0]
    assert "Traceback" not in err
    assert not out.exists()
