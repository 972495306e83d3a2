"""Runs are robust: complete or absent on a signal or a full disk, checked before work, bounded
in memory, and every bad input gets one `error:` line (issue 9, hardening 2, 3, 6-9, 14, 15, 17)."""

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import polars as pl
import pytest

from tests.support import REPO
from tsd import _core
from tsd.cli import limits as cli_limits
from tsd.cli import main
from tsd.experiments import m0 as m0_module
from tsd.experiments import m1 as m1_module
from tsd.experiments import speculative as speculative_module
from tsd.telemetry.rundir import STAGING_PREFIX

SMALL_M1 = ["m1", "--vocab", "40", "--K", "8", "--steps", "2000", "--fixed-steps", "500"]


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def never(*args: Any, **kwargs: Any) -> NoReturn:
    raise AssertionError("the work started before the output was checked")


# 2: signals leave nothing behind and print one line.


def test_ctrl_c_mid_run_leaves_no_folder_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(**kwargs: Any) -> NoReturn:
        (staging,) = tmp_path.iterdir()
        assert staging.name.startswith(STAGING_PREFIX)
        (staging / "m1_metrics.parquet").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(m1_module, "run_m1", interrupted)
    assert main([*SMALL_M1, "--out-dir", str(tmp_path)]) == 130
    assert one_error_line(capsys.readouterr().err) == "interrupted"
    assert list(tmp_path.iterdir()) == []


def _wait_for_staging(out_dir: Path, process: "subprocess.Popen[str]") -> None:
    deadline = time.monotonic() + 60
    while not (out_dir.is_dir() and any(out_dir.iterdir())):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("sig", "code", "line"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_to_a_running_process_removes_its_folder(
    sig: int, code: int, line: str, tmp_path: Path
) -> None:
    out_dir = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "tsd", "m1", "--steps", str(10**9), "--telemetry", "aggregate",
         "--out-dir", str(out_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    _wait_for_staging(out_dir, process)
    time.sleep(0.5)  # into the walk
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == code, (process.returncode, err)
    assert one_error_line(err) == line
    assert not out_dir.exists(), "the staging folder, and the --out-dir it created, are removed"


def test_ctrl_c_to_a_sweep_process_group_prints_one_line(tmp_path: Path) -> None:
    out_dir = tmp_path / "runs"
    process = subprocess.Popen(
        [sys.executable, "-m", "tsd", "sweep", "--steps", str(10**7), "--seeds", "1", "2",
         "--vocab", "30", "--K", "4", "--out-dir", str(out_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        start_new_session=True,
    )  # fmt: skip
    _wait_for_staging(out_dir, process)
    time.sleep(1.0)  # let the pool start its workers
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130
    assert one_error_line(err) == "interrupted"
    assert not out_dir.exists()


# 3: a full disk is one error line, exit 2, nothing half-written.


def test_full_disk_during_parquet_write_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def full_disk(self: pl.DataFrame, file: Any, **kwargs: Any) -> None:
        calls.append(file)
        if len(calls) == 2:  # the first table is written, the second finds the disk full
            raise pl.exceptions.ComputeError(
                "parquet: File out of specification: underlying IO error: "
                "No space left on device (os error 28)"
            )
        Path(file).write_bytes(b"PAR1")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    assert main([*SMALL_M1, "--out-dir", str(tmp_path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: ")
    assert "No space left on device" in line
    assert list(tmp_path.iterdir()) == []


def test_full_disk_during_summary_write_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full_disk(self: Path, *args: Any, **kwargs: Any) -> NoReturn:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", full_disk)
    assert main([*SMALL_M1, "--out-dir", str(tmp_path)]) == 2
    assert "No space left on device" in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


# 6 and 15: the output location is checked before any work.


def exit_code(argv: list[str]) -> int:
    """main's status, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("kind", ["file", "below a file", "unwritable", "empty"])
def test_bad_out_dir_fails_before_work(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out_dir = {
        "file": str(blocker),
        "below a file": str(blocker / "runs"),
        "unwritable": "/proc/tsd-runs",  # no one, root included, creates folders in /proc
        "empty": "",
    }[kind]
    monkeypatch.setattr(m1_module, "run_m1", never)
    assert exit_code([*SMALL_M1, "--out-dir", out_dir]) == 2
    err = capsys.readouterr().err
    assert "out_dir" in err or "--out-dir" in err
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == [blocker]


def test_empty_out_dir_is_refused_by_the_command(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tsd", *SMALL_M1, "--out-dir", ""],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert "--out-dir: must not be empty" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_bench_out_dir_is_checked_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setattr(speculative_module, "prepare", never)
    assert main(["bench", "speculative", "--out-dir", str(blocker)]) == 2
    assert "not a directory" in one_error_line(capsys.readouterr().err)


# 7: steps bounded by what can be keyed; memory estimated up front.


@pytest.mark.parametrize("command", ["m0", "m1"])
def test_unkeyable_steps_are_refused(command: str, tmp_path: Path) -> None:
    steps = str(2**64 + 1) if command == "m0" else str(2**40 + 1)
    code = main([command, "--steps", steps, "--telemetry", "aggregate", "--out-dir",
                 str(tmp_path)])  # fmt: skip
    assert code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["m0", "m1"])
def test_per_step_telemetry_that_cannot_fit_suggests_aggregate(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli_limits, "available_memory", lambda: 2**30)
    monkeypatch.setattr(m0_module, "run_m0", never)
    monkeypatch.setattr(m1_module, "run_m1", never)
    assert main([command, "--steps", str(10**8), "--out-dir", str(tmp_path)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: steps:")
    assert "--telemetry aggregate" in line
    assert list(tmp_path.iterdir()) == []


def test_m0_huge_step_count_mentions_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["m0", "--steps", "18446744073709551617", "--telemetry", "aggregate"]) == 2
    # Steps are keyed 0 .. steps − 1, and no kernel uses a step past LAST_STEP.
    assert f"steps: must be in [1, {_core.LAST_STEP + 1}]" in capsys.readouterr().err


# 8: analyze on damaged runs.


def _run_dir_with(tmp_path: Path, content: bytes | None) -> Path:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    if content is not None:
        (run_dir / "m1_metrics.parquet").write_bytes(content)
    return run_dir


def _valid_parquet(tmp_path: Path, rows: int) -> bytes:
    frame = pl.DataFrame(
        {"step": list(range(rows)), "prev_token": [0] * rows, "accepted": [True] * rows,
         "overlap_mass": [0.5] * rows},
        schema={"step": pl.UInt64, "prev_token": pl.UInt32, "accepted": pl.Boolean,
                "overlap_mass": pl.Float64},
    )  # fmt: skip
    path = tmp_path / "valid.parquet"
    frame.write_parquet(path)
    return path.read_bytes()


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "zero rows", "no metrics"])
def test_analyze_on_a_damaged_run_is_one_error_line(
    damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = _valid_parquet(tmp_path, 100)
    content = {
        "truncated": valid[: len(valid) // 2],
        "empty": b"",
        "garbage": os.urandom(4096),
        "zero rows": _valid_parquet(tmp_path, 0),
        "no metrics": None,
    }[damage]
    run_dir = _run_dir_with(tmp_path, content)
    assert main(["analyze", str(run_dir)]) == 2
    captured = capsys.readouterr()
    assert one_error_line(captured.err).startswith("error: run_dir:")
    assert "nan" not in captured.out
    assert not (run_dir / "acceptance_trace.png").exists()


# 9: inputs that are not text files.


def test_binary_prompts_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = tmp_path / "q.jsonl"
    prompts.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    argv = ["bench", "speculative", "--prompts-file", str(prompts), "--runs", "1",
            "--max-new-tokens", "4", "--corpus", str(REPO / "README.md"),
            "--out-dir", str(tmp_path / "runs")]  # fmt: skip
    assert main(argv) == 2
    assert "prompts:" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_device_or_fifo_corpus_is_refused_at_once(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if source == "fifo":
        fifo = tmp_path / "corpus.fifo"
        os.mkfifo(fifo)
        source = str(fifo)
    assert main(["m1", "--corpus", source, "--steps", "10", "--out-dir", str(tmp_path / "r")]) == 2
    assert "not a regular file" in one_error_line(capsys.readouterr().err)


def test_bench_verify_that_cannot_fit_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_limits, "available_memory", lambda: 8 * 2**30)
    assert main(["bench", "verify", "--vocab", "16777216"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: vocab:")
    assert "--vocab" in line


# 14: output files follow the umask.


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_files_follow_the_umask(
    umask: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = os.umask(umask)
    try:
        assert main([*SMALL_M1, "--out-dir", str(tmp_path), "--format", "jsonl"]) == 0
    finally:
        os.umask(previous)
    capsys.readouterr()
    (run_dir,) = tmp_path.iterdir()
    assert stat.S_IMODE(run_dir.stat().st_mode) == 0o777 & ~umask
    files = list(run_dir.iterdir())
    assert len(files) == 5  # two tables as Parquet and JSONL, and the summary
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file.name


# 17: the golden-vector script's --help is help.


@pytest.mark.parametrize("name", ["psi", "exp"])
def test_make_golden_help_writes_nothing(name: str) -> None:
    golden = REPO / "tests" / "data" / f"golden_{name}.json"
    before = golden.stat().st_mtime_ns
    for args in (["--help"], []):
        out = subprocess.run(
            [sys.executable, str(REPO / "scripts" / f"make_golden_{name}.py"), *args],
            capture_output=True, text=True, cwd=REPO, check=False,
        )  # fmt: skip
        assert f"usage: make_golden_{name}.py" in out.stdout + out.stderr
    assert golden.stat().st_mtime_ns == before
