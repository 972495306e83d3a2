"""`tsd judge mine`: a tiny run prints the probe and the label counts and publishes the labels;
bad input is one `error:` line, exit 2, with nothing written."""

from pathlib import Path

import pytest

from tsd.cli import main
from tsd.judge.labels import read_labels


def test_a_tiny_run_publishes_labels_and_prints_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["judge", "mine", "--target", "tiny-random:1", "--draft", "early-exit:1",
             "--questions-per-family", "1", "--max-new-tokens", "4", "--min-accuracy", "0",
             "--chunk-size", "4", "--workers", "1", "--out", str(tmp_path)]  # fmt: skip
    assert main(flags) == 0
    out = capsys.readouterr().out
    assert "target greedy accuracy" in out
    path = Path(next(line for line in out.splitlines() if line.startswith("labels_path="))[12:])
    labels = read_labels(path)
    assert f"labels={labels.features.shape[0]}" in out
    assert labels.meta["draft"] == "early-exit:1"
    assert (path.parent / "summary.json").is_file()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--task", "mt-bench"], "task"),
        (["--draft", "ngram:2"], "draft"),
        (["--min-accuracy", "2"], "min_accuracy"),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(
    extra: list[str], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "runs"
    assert main(["judge", "mine", "--target", "tiny-random:1", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}: ")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
