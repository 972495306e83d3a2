"""`tsd ts spec` end to end on a tiny trained run: every table (Parquet and CSV), plot and
summary field, the same numbers for the same seed, and bad input as one `error:` line with
nothing written."""

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("scipy")

from tsd.cli import main  # noqa: E402

SPEC = ["--horizon", "6", "--contexts", "4", "--samples", "3", "--k", "2", "3",
        "--ks-samples", "400", "--threads", "1"]  # fmt: skip


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ts")
    t = np.arange(160.0)
    values = np.stack([np.sin(t / 6) + 0.01 * t, np.cos(t / 9)], axis=1)
    values += np.random.default_rng(0).normal(scale=0.05, size=values.shape)
    csv = folder / "series.csv"
    lines = ["t,a,b", *(f"{i},{a:.17g},{b:.17g}" for i, (a, b) in enumerate(values))]
    csv.write_text("\n".join(lines) + "\n")
    argv = ["ts", "train", "--csv", str(csv), "--column", "a", "b", "--window", "6",
            "--target-hidden", "8", "--draft-hidden", "4", "--target-steps", "20",
            "--draft-steps", "20", "--threads", "1", "--out", str(folder / "runs"),
            "--checkpoints", str(folder / "checkpoints")]  # fmt: skip
    assert main(argv) == 0
    (run,) = (folder / "runs").iterdir()
    return run


def spec(run: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    assert main(["ts", "spec", "--run", str(run), "--out", str(out), *SPEC, *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    return Path(next(line for line in lines if line.startswith("run_dir=")).split("=", 1)[1])


def test_a_run_writes_every_table_plot_and_summary(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = spec(trained, tmp_path, capsys)
    for stem in ("results", "ks", "acceptance_sweep", "samples"):
        frame = pl.read_parquet(run_dir / f"{stem}.parquet")
        assert len(frame) > 0
        assert pl.read_csv(run_dir / f"{stem}.csv").columns == frame.columns
    for plot in ("forecast.png", "acceptance.png"):
        assert (run_dir / plot).read_bytes()[:4] == b"\x89PNG"
    results = pl.read_parquet(run_dir / "results.parquet")
    assert len(results) == 2 * 2 * 3
    exact = results.filter(pl.col("mode") == "exact")
    assert (exact["bias"] == 1.0).all()
    assert (results.filter(pl.col("mode") == "lenient")["bias"] == 2.0).all()
    assert ((results["steps_per_call"] >= 1.0) & (results["steps_per_call"] <= 4.0)).all()
    ks = pl.read_parquet(run_dir / "ks.parquet")
    assert len(ks) == 2 * 3 * (3 + 1) * 2  # drafts × modes × (K + 1 steps) × dimensions
    assert (ks["samples"] == 400).all()
    samples = pl.read_parquet(run_dir / "samples.parquet")
    assert set(samples["k"].to_list()) == {3}
    assert samples["dim"].unique().sort().to_list() == [0, 1]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["provenance"]["command"][:3] == ["tsd", "ts", "spec"]
    modes = ("exact", "lenient", "resample-target")
    assert set(summary["ks_passed"]) == {f"{d}/{m}" for d in ("mse", "nll") for m in modes}
    assert summary["best"]["mode"] == "exact"


def test_the_same_seed_gives_the_same_numbers(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--drafts", "nll", "--modes", "exact")
    first, second = (spec(trained, tmp_path / n, capsys, *args) for n in ("a", "b"))
    timed = ("wall_s", "target_only_wall_s", "wall_speedup")
    for stem in ("ks", "samples", "acceptance_sweep"):
        assert pl.read_parquet(first / f"{stem}.parquet").equals(
            pl.read_parquet(second / f"{stem}.parquet")
        )
    results = [pl.read_parquet(r / "results.parquet").drop(timed) for r in (first, second)]
    assert results[0].equals(results[1])
    other = spec(trained, tmp_path / "c", capsys, *args, "--seed", "1")
    assert not pl.read_parquet(other / "samples.parquet").equals(
        pl.read_parquet(first / "samples.parquet")
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--horizon", "500"], "error: horizon:"),
        (["--contexts", "100"], "error: contexts:"),
        (["--ks-context", "4"], "error: ks_context:"),
        (["--run", "/nonexistent/run"], "error: run:"),
    ],
)
def test_bad_input_is_one_error_line_and_nothing_is_written(
    trained: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "out"
    argv = ["ts", "spec", "--run", str(trained), "--out", str(out), *SPEC, *extra]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert not out.exists()


@pytest.mark.parametrize("bias", ["0.5", "nan", "inf"])
def test_a_bias_below_one_is_refused_by_the_parser(
    trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bias: str
) -> None:
    argv = ["ts", "spec", "--run", str(trained), "--out", str(tmp_path), "--spec-accept-bias", bias]
    with pytest.raises(SystemExit):
        main(argv)
    assert "--spec-accept-bias" in capsys.readouterr().err
