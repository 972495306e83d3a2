"""`tsd train draft`: a character run end to end (files, key=value lines, provenance), and bad
input as one `error:` line with nothing written."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")

import polars as pl

from tsd.cli import main
from tsd.experiments.speculative import synthetic_text
from tsd.train import cells


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "text.txt"
    path.write_text(synthetic_text(20_000), encoding="utf-8")
    return path


def flags(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train", "draft", "--world", "char", "--corpus", str(corpus), "--layers", "1",
        "--steps", "4", "--batch-size", "4", "--eval-every", "2", "--checkpoint-every", "2",
        "--threads", "1", "--out", str(out), *extra,
    ]  # fmt: skip


def test_a_char_run_writes_the_draft_log_figure_and_summary(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(flags(corpus, tmp_path / "runs")) == 0
    out = capsys.readouterr().out
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    run_dir = Path(values["run_dir"])
    assert Path(values["draft_path"]) == run_dir / "draft"
    assert Path(values["checkpoint_path"]) == tmp_path / "runs" / "checkpoint.pt"
    assert (run_dir / "draft" / "config.json").is_file()
    assert (run_dir / "draft" / "tokenizer.json").is_file()
    assert (run_dir / "train_log.png").stat().st_size > 0
    log = pl.read_parquet(run_dir / "train_log.parquet")
    assert log.columns == [
        "step", "objective", "loss", "heldout_acceptance", "heldout_tv", "heldout_kl",
    ]  # fmt: skip
    assert float(values["heldout_acceptance"]) == pytest.approx(
        log["heldout_acceptance"][-1], rel=1e-5
    )
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["provenance"]["command"][:3] == ["tsd", "train", "draft"]
    assert summary["world"]["teacher"] == "kneser-ney:6"
    resumed = flags(corpus, tmp_path / "runs", "--resume", values["checkpoint_path"])
    resumed[resumed.index("--steps") + 1] = "6"
    assert main(resumed) == 0
    assert "heldout_acceptance=" in capsys.readouterr().out


BAD: dict[str, tuple[list[str], str]] = {
    "lr above one": (["--lr", "2"], "error: lr: must be in (0, 1), got 2.0"),
    "missing checkpoint": (["--resume", "/no/such.pt"], "error: resume: no checkpoint file"),
    "corpus in the smollm2 world": (
        ["--world", "smollm2"],
        "error: corpus: the smollm2 world trains on the target's answers",
    ),
    "missing corpus": (["--corpus", "/no/such.txt"], "error: corpus: no such file"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_error_line_and_writes_nothing(
    case: str, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = BAD[case]
    assert main(flags(corpus, tmp_path / "runs", *extra)) == 2
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        next(line for line in err.splitlines() if line.startswith("error:"))
    ]
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_an_unknown_objective_is_refused_by_the_parser(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(flags(corpus, tmp_path / "runs", "--objective", "kl"))
    assert exit_info.value.code == 2
    assert "invalid choice: 'kl'" in capsys.readouterr().err


def test_without_the_train_extra_the_command_says_what_to_install(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(flags(corpus, tmp_path / "runs")) == 2
    assert "train: needs torch; pip install 'thermo-speculative[train]'" in capsys.readouterr().err


def test_help_imports_no_torch() -> None:
    code = (
        "import sys; from tsd.cli import build_parser; build_parser(); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def sweep_runs(out: Path) -> dict[tuple[str, int], Path]:
    """The run folders a sweep under `out` wrote, by (objective, seed), from its table."""
    (table,) = out.glob("*/train_sweep.parquet")
    frame = pl.read_parquet(table)
    return {
        (row["objective"], row["seed"]): Path(row["run_dir"]) for row in frame.iter_rows(named=True)
    }


def test_two_objectives_train_the_same_drafts_on_one_and_two_workers(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = ("draft/model.safetensors", "train_log.parquet")
    written: dict[str, dict[tuple[str, int], list[bytes]]] = {}
    for workers in ("1", "2"):
        out = tmp_path / f"workers{workers}"
        assert main(flags(corpus, out, "--objective", "fkl", "tv", "--workers", workers)) == 0
        assert "sweep_path=" in capsys.readouterr().out
        runs = sweep_runs(out)
        assert sorted(runs) == [("fkl", 0), ("tv", 0)]
        assert len({run.parent for run in runs.values()}) == 1
        assert sorted(p.name for p in out.glob("checkpoint*.pt")) == [
            "checkpoint-fkl-seed0.pt", "checkpoint-tv-seed0.pt",
        ]  # fmt: skip
        for (objective, _), run in runs.items():
            summary = json.loads((run / "summary.json").read_text())
            assert summary["objective"] == objective
            assert summary["provenance"]["command"][:3] == ["tsd", "train", "draft"]
        written[workers] = {
            key: [(run / name).read_bytes() for name in files] for key, run in runs.items()
        }
    assert written["1"] == written["2"]
    fkl, tv = written["1"][("fkl", 0)], written["1"][("tv", 0)]
    assert fkl[0] != tv[0]


def test_a_failed_run_is_recorded_and_the_command_exits_one(
    corpus: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_training = cells.run_training

    def failing_fkl(request: Any, **kwargs: Any) -> Any:
        if request.objective == "fkl":
            raise RuntimeError("planted failure")
        return run_training(request, **kwargs)

    monkeypatch.setattr(cells, "run_training", failing_fkl)
    out = tmp_path / "runs"
    assert main(flags(corpus, out, "--objective", "fkl", "tv", "--workers", "1")) == 1
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        next(line for line in err.splitlines() if line.startswith("error: cell 0 "))
    ]
    assert "RuntimeError: planted failure" in err
    assert sorted(sweep_runs(out)) == [("tv", 0)]
    (summary_file,) = out.glob("*/train_sweep.parquet")
    summary = json.loads((summary_file.parent / "summary.json").read_text())
    assert [(f["index"], f["params"]["objective"]) for f in summary["failures"]] == [(0, "fkl")]


SWEEP_BAD: dict[str, tuple[list[str], str]] = {
    "one checkpoint for two runs": (
        ["--objective", "fkl", "tv", "--checkpoint", "c.pt"],
        "error: checkpoint: one checkpoint file holds one run, and 2 objectives x 1 seeds make 2",
    ),
    "resuming two runs": (
        ["--seed", "0", "1", "--resume", "c.pt"],
        "error: resume: one checkpoint file holds one run, and 1 objectives x 2 seeds make 2",
    ),
    "an objective twice": (
        ["--objective", "tv", "fkl", "tv"],
        "error: objective: given more than once: tv",
    ),
    "a seed twice": (["--seed", "3", "3"], "error: seed: given more than once: 3"),
    "lr above one in a sweep": (
        ["--seed", "0", "1", "--lr", "2"],
        "error: lr: must be in (0, 1), got 2.0",
    ),
    "an address for the local executor": (
        ["--seed", "0", "1", "--address", "localhost:6379"],
        "error: address:",
    ),
}


@pytest.mark.parametrize("case", list(SWEEP_BAD))
def test_a_bad_sweep_is_one_error_line_and_writes_nothing(
    case: str, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, message = SWEEP_BAD[case]
    assert main(flags(corpus, tmp_path / "runs", *extra)) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()
