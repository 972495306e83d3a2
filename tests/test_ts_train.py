"""`tsd ts train` and tsd.ts.trainer: a tiny run end to end (models, log, summary), the same
bytes for the same seed, a resume that continues bit for bit and refuses a stale teacher, the
NaN guard, the variance-collapse warning and stop, and bad input as one `error:` line with
nothing written."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

torch = pytest.importorskip("torch")

from tsd.cli import main  # noqa: E402
from tsd.errors import TrainingDivergedError  # noqa: E402
from tsd.ts.models import Architecture, Forecaster  # noqa: E402
from tsd.ts.trainer import COLLAPSE_WARNING, Data, FitSettings, _check_variance, fit  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    t = np.arange(160.0)
    values = np.stack([np.sin(t / 6) + 0.01 * t, np.cos(t / 9)], axis=1)
    values += np.random.default_rng(0).normal(scale=0.05, size=values.shape)
    path = tmp_path_factory.mktemp("series") / "series.csv"
    lines = ["t,a,b", *(f"{i},{a:.17g},{b:.17g}" for i, (a, b) in enumerate(values))]
    path.write_text("\n".join(lines) + "\n")
    return path


def flags(csv: Path, out: Path, *extra: str, target: int = 8, draft: int = 6) -> list[str]:
    return [
        "ts", "train", "--csv", str(csv), "--column", "a", "b", "--window", "6",
        "--target-hidden", "8", "--draft-hidden", "4", "--target-steps", str(target),
        "--draft-steps", str(draft), "--batch-size", "16", "--eval-every", "3",
        "--checkpoint-every", "3", "--threads", "1", "--out", str(out), *extra,
    ]  # fmt: skip


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    assert main(argv) == 0
    out = capsys.readouterr().out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def files(run_dir: Path) -> dict[str, bytes]:
    names = ["train_log.parquet", *(f"models/{m}.safetensors"
             for m in ("target", "draft-mse", "draft-nll"))]  # fmt: skip
    return {name: (run_dir / name).read_bytes() for name in names}


def test_a_run_trains_the_target_and_both_drafts(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = run(flags(csv, tmp_path / "a", target=30, draft=30), capsys)
    run_dir = Path(values["run_dir"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["provenance"]["command"][:3] == ["tsd", "ts", "train"]
    assert summary["series"]["columns"] == ["a", "b"]
    assert summary["series"]["windows"] == {"train": 107, "val": 23, "test": 24}
    models = summary["models"]
    assert set(models) == {"target", "draft-mse", "draft-nll"}
    assert models["draft-mse"]["val_nll"] is None
    assert float(values["target_val_nll"]) == pytest.approx(models["target"]["val_nll"])
    log = pl.read_parquet(run_dir / "train_log.parquet")
    assert log["stage"].unique(maintain_order=True).to_list() == [
        "target",
        "draft-mse",
        "draft-nll",
    ]
    target = log.filter(pl.col("stage") == "target").drop_nulls("val_nll")
    assert target["val_nll"][-1] < target["val_nll"][0]
    assert len(log.filter(pl.col("stage") == "draft-nll")) == 31


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = files(Path(run(flags(csv, tmp_path / "a"), capsys)["run_dir"]))
    again = files(Path(run(flags(csv, tmp_path / "b"), capsys)["run_dir"]))
    other = files(Path(run(flags(csv, tmp_path / "c", "--seed", "1"), capsys)["run_dir"]))
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_a_resumed_draft_continues_bit_for_bit(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = files(Path(run(flags(csv, tmp_path / "a"), capsys)["run_dir"]))
    run(flags(csv, tmp_path / "b", draft=3), capsys)
    resumed = run(flags(csv, tmp_path / "b", "--resume"), capsys)
    assert files(Path(resumed["run_dir"])) == whole


def test_a_draft_checkpoint_of_another_target_is_refused(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(flags(csv, tmp_path / "b", target=4, draft=3), capsys)
    assert main(flags(csv, tmp_path / "b", "--resume", target=8)) == 2
    assert "error: target: the checkpoint was trained with target=" in capsys.readouterr().err


def test_an_existing_checkpoint_needs_resume(
    csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(flags(csv, tmp_path / "b"), capsys)
    assert main(flags(csv, tmp_path / "b")) == 2
    assert "pass --resume" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("t,a,b\n" + "".join(f"{i},{i}.5,nan\n" for i in range(40)), (), "column: b in"),
        ("t,a,b\n" + "".join(f"{i},{i},{i % 3}\n" for i in range(8)), (), "window: a series"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_is_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    extra: tuple[str, ...],
    message: str,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(flags(path, tmp_path / "out", *extra)) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def tiny(head: str = "learned") -> Forecaster:
    torch.manual_seed(0)
    return Forecaster(Architecture(window=3, dim=1, hidden=4, layers=1, head=head))


def settings(**changes: Any) -> FitSettings:
    fields: dict[str, Any] = {
        "objective": "target", "steps": 4, "lr": 1e-2, "batch_size": 8, "seed": 0,
        "eval_every": 2, "checkpoint_every": 2, "teacher_noise": 0.05, "var_reg": 0.01,
        "identity": {},
    }  # fmt: skip
    return FitSettings(**{**fields, **changes})


def test_a_nan_loss_stops_training_before_it_reaches_the_weights(tmp_path: Path) -> None:
    model = tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(16, 3, 1)
    y = torch.full((16, 1), float("nan"))
    with pytest.raises(TrainingDivergedError, match="loss: the target loss at step 1 is nan"):
        fit(model, Data(x, y, x, y), settings(), checkpoint=tmp_path / "c.safetensors")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not (tmp_path / "c.safetensors").exists()


def test_a_collapsing_variance_warns_and_a_collapsed_one_stops() -> None:
    warnings: list[str] = []
    row = {"stage": "draft-nll", "step": 5, "val_logvar": COLLAPSE_WARNING + 0.5}
    _check_variance(row, warnings.append)
    assert warnings == []
    _check_variance({**row, "val_logvar": -10.0}, warnings.append)
    assert warnings == [
        "warning: the draft-nll variance is collapsing at step 5 (mean log σ² -10.00 <= -9.0)"
    ]
    with pytest.raises(TrainingDivergedError, match="draft_nll_var_reg: the draft-nll variance"):
        _check_variance({**row, "val_logvar": -15.9}, warnings.append)
