"""The executor seam without Ray: the registry, the local pool (in-process and on workers)
giving the same rows and failure records, the CLI flags and their errors, and the import cost
(`import tsd`, `tsd --help` never import ray; without ray, `--executor ray` names the extra)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.support import REPO
from tsd import errors
from tsd.cli import main
from tsd.executors import (
    EXECUTORS,
    CellFailure,
    Executor,
    SweepOutcome,
    make_executor,
    register_executor,
)
from tsd.executors.local import LocalExecutor
from tsd.experiments import sweeps
from tsd.experiments.sweeps import grid_cell, seed_cell
from tsd.sweeps import run_cells

GRID = {"corpus": None, "vocab": 40, "c": 5.0, "target_seed": 7, "context": 3, "steps": 2000}
GRID_PARAMS = [{**GRID, "K": k, "tau": tau, "seed": 11} for k in (4, 8) for tau in (0.9, 1.1)]


def square_unless_three(params: dict[str, int]) -> dict[str, int]:
    """A cell that raises on x = 3 (and only there)."""
    if params["x"] == 3:
        raise ValueError("three is not allowed")
    return {"x": params["x"], "square": params["x"] ** 2}


def square_late_cells_first(params: dict[str, int]) -> dict[str, Any]:
    """`square_unless_three`, except that x = 5 returns a row that cannot be pickled, after a
    wait that shrinks with x: on two or more workers the cells finish out of order, so an
    executor that returned completion order would fail."""
    time.sleep(0.06 * (6 - params["x"]))
    if params["x"] == 5:
        return {"x": 5, "square": (x * x for x in range(5))}
    return square_unless_three(params)


FAILURES = [
    CellFailure(index=3, params={"x": 3}, error="ValueError: three is not allowed"),
    CellFailure(index=5, params={"x": 5}, error="TypeError: cannot pickle 'generator' object"),
]


def exit_on_two(params: dict[str, int]) -> dict[str, int]:
    """A cell whose worker process dies (as if killed for memory) on x = 2."""
    if params["x"] == 2:
        os._exit(3)
    return {"x": params["x"]}


def process_id(params: dict[str, int]) -> dict[str, int]:
    """A cell that says which process ran it."""
    return {"x": params["x"], "pid": os.getpid()}


class RecordingExecutor:
    """A registered test executor: runs the cells in-process and keeps its settings."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        self.workers = workers
        self.address = address

    def map(self, cell: Any, params: Any) -> SweepOutcome:
        return LocalExecutor(workers=1).map(cell, params)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_cell_keeps_its_error_and_the_others_finish(workers: int) -> None:
    """A cell that raises and a row that cannot travel back (even from the in-process worker,
    which sends rows by value too) are failures; the other rows come back in cell order."""
    params = [{"x": x} for x in range(6)]
    outcome = make_executor("local", workers=workers).map(square_late_cells_first, params)
    assert outcome.rows == [{"x": x, "square": x * x} for x in (0, 1, 2, 4)]
    assert outcome.failures == FAILURES
    assert str(outcome.failures[0]) == "cell 3 {'x': 3}: ValueError: three is not allowed"
    assert outcome.failures[0].to_dict() == {
        "index": 3, "params": {"x": 3}, "error": "ValueError: three is not allowed"
    }  # fmt: skip


def test_a_dead_worker_fails_only_its_own_cell() -> None:
    """The pool breaks for every unfinished cell; they run again one at a time."""
    outcome = make_executor("local", workers=2).map(exit_on_two, [{"x": x} for x in range(6)])
    assert outcome.rows == [{"x": x} for x in (0, 1, 3, 4, 5)]
    (failure,) = outcome.failures
    assert (failure.index, failure.params) == (2, {"x": 2})
    assert failure.error.startswith("BrokenProcessPool: A process in the process pool was")


def test_one_worker_runs_in_process_and_two_do_not() -> None:
    params = [{"x": x} for x in range(4)]
    alone = make_executor("local", workers=1).map(process_id, params)
    assert {row["pid"] for row in alone.rows} == {os.getpid()}
    pooled = make_executor("local", workers=2).map(process_id, params)
    assert [row["x"] for row in pooled.rows] == [0, 1, 2, 3]
    assert os.getpid() not in {row["pid"] for row in pooled.rows}


def test_grid_rows_are_identical_in_process_and_on_a_pool() -> None:
    alone = run_cells(grid_cell, GRID_PARAMS, workers=1)
    pooled = run_cells(grid_cell, GRID_PARAMS, executor=make_executor("local", workers=2))
    assert alone.failures == pooled.failures == []
    assert [(row["K"], row["tau"]) for row in alone.rows] == [
        (4, 0.9),
        (4, 1.1),
        (8, 0.9),
        (8, 1.1),
    ]
    assert pooled.rows == alone.rows
    # Different cells give different rows, so the comparison could fail.
    assert len({row["acceptance_rate"] for row in alone.rows}) == 4


def test_the_registry_builds_what_is_registered_and_names_bad_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert set(EXECUTORS) == {"local", "ray"}
    monkeypatch.setitem(EXECUTORS, "recording", "tests.test_executors:RecordingExecutor")
    built = make_executor("recording", workers=3, address="host:1")
    assert isinstance(built, RecordingExecutor)
    assert isinstance(built, Executor)
    assert (built.workers, built.address) == (3, "host:1")
    assert run_cells(square_unless_three, [{"x": 2}], executor=built).rows == [
        {"x": 2, "square": 4}
    ]
    register_executor("missing", "tsd.no_such_executor:Nothing")
    try:
        with pytest.raises(errors.BackendUnavailableError, match="no_such_executor"):
            make_executor("missing")
    finally:
        del EXECUTORS["missing"]
    with pytest.raises(errors.InvalidArgumentError, match="executor: must be one of local, ray"):
        make_executor("dask")
    with pytest.raises(errors.InvalidArgumentError, match="module:class"):
        register_executor("bad", "no colon")
    with pytest.raises(errors.InvalidArgumentError, match=r"workers: must be in >= 1, got 0"):
        make_executor("local", workers=0)
    with pytest.raises(errors.InvalidArgumentError, match="address: only the ray executor"):
        make_executor("local", address="127.0.0.1:6379")
    with pytest.raises(errors.InvalidArgumentError, match="workers: give the workers"):
        run_cells(square_unless_three, [], workers=2, executor=built)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--address", "127.0.0.1:6379"], "error: address: only the ray executor joins a cluster"),
        (["--workers", "0"], "argument --workers: must be >= 1, got 0"),
        (["--executor", "dask"], "argument --executor: invalid choice: 'dask'"),
    ],
)
@pytest.mark.parametrize("command", ["sweep", "grid"])
def test_bad_executor_flags_are_one_error_and_write_nothing(
    tmp_path: Path, command: str, flags: list[str], message: str
) -> None:
    k_flag = {"sweep": "--K", "grid": "--Ks"}[command]
    out = subprocess.run(
        [sys.executable, "-m", "tsd", command, "--steps", "100", "--vocab", "30", k_flag, "4",
         *flags, "--out-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists()


def seed_cell_refusing_seed_11(params: dict[str, Any]) -> dict[str, Any]:
    """The M1 seed cell, except that it raises for seed 11."""
    if params["seed"] == 11:
        raise ValueError("seed 11 refused")
    return seed_cell(params)


def test_a_sweep_with_a_failed_cell_prints_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One worker runs the cells in-process, so the patched cell is the one that runs."""
    monkeypatch.setattr(sweeps, "seed_cell", seed_cell_refusing_seed_11)
    argv = ["sweep", "--steps", "300", "--seeds", "7", "11", "13", "--vocab", "30", "--K", "4"]
    assert main([*argv, "--workers", "1", "--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert line.startswith("error: cell 1 {")
    assert line.endswith("'seed': 11}: ValueError: seed 11 refused")
    (run_dir,) = tmp_path.iterdir()
    assert pl.read_parquet(run_dir / "m1_seeds.parquet")["seed"].to_list() == [7, 13]
    (failure,) = json.loads((run_dir / "summary.json").read_text())["failures"]
    assert failure["index"] == 1
    assert failure["params"]["seed"] == 11
    assert failure["error"] == "ValueError: seed 11 refused"


def test_without_ray_the_ray_executor_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from tsd.cli import main\n"
        "sys.exit(main(['sweep', '--steps', '100', '--seeds', '7', '--vocab', '30', '--K', '4',\n"
        f"              '--executor', 'ray', '--out-dir', {str(tmp_path / 'runs')!r}]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        "error: executor ray: needs ray; pip install 'thermo-speculative[ray]'"
    ]
    assert not (tmp_path / "runs").exists()


def test_import_tsd_and_help_import_no_ray() -> None:
    code = (
        "import sys, tsd, tsd.sweeps, tsd.executors, tsd.executors.local\n"
        "from tsd.cli import build_parser\n"
        "for argv in (['--help'], ['sweep', '--help'], ['grid', '--help']):\n"
        "    try:\n"
        "        build_parser().parse_args(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'ray' not in sys.modules and 'tsd.executors.ray' not in sys.modules\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "--executor {local,ray}" in out.stdout
