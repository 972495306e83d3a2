"""`tsd judge train`: a run folder with the head, the AUC-per-C and threshold tables, printed
tables; bad input is one error line and leaves nothing behind."""

import json
import sys
from pathlib import Path

import pytest

from tests.support.judge_labels import TARGET, planted_labels
from tsd.cli import main
from tsd.judge.head import load_judge_head
from tsd.judge.labels import write_labels


def test_train_writes_the_head_and_the_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training needs numpy and polars only: torch and scipy are blocked here."""
    pl = pytest.importorskip("polars")
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "scipy", None)
    mine_dir = tmp_path / "mine"
    mine_dir.mkdir()
    write_labels(planted_labels(n_mine=200, n_val=200), mine_dir / "labels.parquet")
    out = tmp_path / "head"
    argv = ["judge", "train", "--labels", str(mine_dir), "--C", "0.01", "1", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "val_auc" in printed
    assert "lossy" in printed
    assert "unimportant_accept_rate" in printed
    (run_dir,) = out.iterdir()
    head = load_judge_head(run_dir / "judge_head.safetensors", target=TARGET, feature_size=6)
    assert f"checkpoint_path={run_dir / 'judge_head.safetensors'}" in printed
    thresholds = pl.read_parquet(run_dir / "thresholds.parquet")
    assert thresholds["threshold"].to_list() == list(head.thresholds)
    assert thresholds.columns == ["quantile", "threshold", "accept_rate",
                                  "unimportant_accept_rate", "important_recall"]  # fmt: skip
    auc = pl.read_parquet(run_dir / "auc_by_c.parquet")
    assert auc["C"].to_list() == [0.01, 1.0]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["lossy"] is True
    assert summary["meta"]["val_auc"] == max(auc["val_auc"].to_list())


def test_too_few_labels_is_one_error_line_and_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.parquet"
    write_labels(planted_labels(n_mine=12, n_val=12), labels)
    out = tmp_path / "head"
    assert main(["judge", "train", "--labels", str(labels), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: labels: too few to fit the judge head (mine: ")
    assert "needs at least 10 of each class" in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_missing_labels_are_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["judge", "train", "--labels", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err == f"error: labels: no labels file at {tmp_path / 'nothing'}\n"
