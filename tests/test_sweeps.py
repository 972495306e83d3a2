"""Sweeps survive a failed cell; sweep and analysis commands write their tables and figures."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.support import REPO
from tsd.analysis import acceptance_by_decile, rolling_mean
from tsd.cli import main
from tsd.errors import InvalidArgumentError
from tsd.experiments.m1 import run_m1
from tsd.sweeps import run_cells
from tsd.telemetry import latest_run, make_run_dir, write_telemetry

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def square_unless_three(params: dict[str, int]) -> dict[str, int]:
    if params["x"] == 3:
        raise ValueError("three is not allowed")
    return {"x": params["x"], "square": params["x"] ** 2}


def test_a_failed_cell_is_reported_and_the_others_kept() -> None:
    outcome = run_cells(square_unless_three, [{"x": x} for x in range(6)], workers=2)
    assert [row["x"] for row in outcome.rows] == [0, 1, 2, 4, 5]
    (failure,) = outcome.failures
    assert (failure.index, failure.error) == (3, "ValueError: three is not allowed")


def test_rolling_mean_matches_a_direct_window() -> None:
    values = np.arange(10, dtype=np.float64)
    np.testing.assert_allclose(rolling_mean(values, 3)[2:], [1, 2, 3, 4, 5, 6, 7, 8])
    assert rolling_mean(values, 3)[0] == 0.0


def test_deciles_cover_every_step() -> None:
    frame = run_m1(vocab=50, c=5.0, K=8, steps=5000, fixed_steps=500).telemetry
    assert frame is not None
    deciles = acceptance_by_decile(frame.lazy())
    assert deciles["steps"].sum() == 5000
    assert deciles["contexts"].sum() == frame["prev_token"].n_unique()
    assert deciles["decile"].to_list() == list(range(1, 11))


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / f"{name}.py"), *args],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip


def test_seed_sweep_writes_rows(tmp_path: Path) -> None:
    out = script("sweep_m1", "--steps", "3000", "--seeds", "7", "11", "--vocab", "40", "--K", "8",
                 "--out-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    csv = Path(re.search(r"csv_path=(\S+)", out.stdout).group(1))  # type: ignore[union-attr]
    assert pl.read_csv(csv)["seed"].to_list() == [7, 11]


def test_grid_sweep_writes_csv_and_heatmap(tmp_path: Path) -> None:
    out = script("sweep_m1_grid", "--steps", "2000", "--Ks", "4", "8", "--taus", "0.9", "1.0",
                 "--seeds", "7", "--vocab", "40", "--out-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    run_dir = next(tmp_path.iterdir())
    assert pl.read_csv(run_dir / "m1_sweep.csv").height == 4
    assert (run_dir / "m1_sweep_heatmap.png").read_bytes().startswith(PNG_MAGIC)


def test_grid_sweep_rejects_k_above_vocab(tmp_path: Path) -> None:
    out = script("sweep_m1_grid", "--Ks", "50", "--vocab", "40", "--out-dir", str(tmp_path))
    assert out.returncode == 2
    assert "Ks: must be <= vocab = 40" in out.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--corpus", "/nonexistent/corpus.txt"], "corpus: no such file"),
        (["--K", "300", "--vocab", "40"], "K: must be in [1, 40]"),
    ],
)
def test_seed_sweep_refuses_what_every_cell_would_before_starting(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    out = script("sweep_m1", "--steps", "100", "--seeds", "7", "11", *flags,
                 "--out-dir", str(tmp_path / "runs"))  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert [line for line in out.stderr.splitlines() if line.strip()] == [
        line for line in out.stderr.splitlines() if message in line
    ]
    assert not (tmp_path / "runs").exists()


def test_analyze_run_prints_deciles_and_draws_a_trace(tmp_path: Path) -> None:
    result = run_m1(vocab=50, c=5.0, K=8, steps=5000, fixed_steps=500)
    assert result.telemetry is not None
    run_dir = make_run_dir(tmp_path)
    write_telemetry(run_dir, result.telemetry, "m1_metrics")
    out = script("analyze_run", str(run_dir), "--window", "500")
    assert out.returncode == 0, out.stderr
    assert f"acceptance_rate={result.summary.acceptance_rate:.6g}" in out.stdout
    assert (run_dir / "acceptance_trace.png").read_bytes().startswith(PNG_MAGIC)
    empty = script("analyze_run", str(tmp_path / "missing"))
    assert empty.returncode == 2
    assert "not a run directory" in empty.stderr


def test_readme_polars_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In README order: an M1 run, then the sweeps (newer folders without per-step telemetry),
    then the example, which must still find the M1 run."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- polars-example -->\n```python\n(.*?)```", readme, re.S)
    assert block is not None, "README lost its polars example"
    monkeypatch.chdir(tmp_path)
    assert main(["m1", "--vocab", "50", "--c", "5", "--K", "8", "--steps", "3000",
                 "--fixed-steps", "500"]) == 0  # fmt: skip
    assert main(["sweep", "--steps", "500", "--seeds", "7", "--vocab", "30", "--K", "4"]) == 0
    (m1_run,) = (path.parent for path in (tmp_path / "runs").glob("*/m1_metrics.parquet"))
    assert latest_run().resolve() == m1_run
    namespace: dict[str, object] = {}
    exec(block.group(1), namespace)
    by_context = namespace["by_context"]
    assert isinstance(by_context, pl.DataFrame)
    assert by_context["visits"].sum() == 3000


def test_latest_run_orders_runs_within_a_second(tmp_path: Path) -> None:
    frame = pl.DataFrame({"step": [0]})
    for name in ("20261125-010203", "20261125-010203-2", "20261125-010203-10", "20261124-235959"):
        (tmp_path / name).mkdir()
        write_telemetry(tmp_path / name, frame, "m1_metrics")
    assert latest_run(tmp_path).name == "20261125-010203-10"
    with pytest.raises(InvalidArgumentError, match="no run under"):
        latest_run(tmp_path, "m0_metrics")


def test_analyze_without_a_run_dir_takes_the_newest_m1_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["m1", "--vocab", "30", "--K", "4", "--steps", "2000", "--fixed-steps", "200"]) == 0
    assert main(["sweep", "--steps", "500", "--seeds", "7", "--vocab", "30", "--K", "4"]) == 0
    capsys.readouterr()
    assert main(["analyze", "--window", "100"]) == 0
    trace = Path(re.search(r"trace_path=(\S+)", capsys.readouterr().out).group(1))  # type: ignore[union-attr]
    assert (trace.parent / "m1_metrics.parquet").is_file()
