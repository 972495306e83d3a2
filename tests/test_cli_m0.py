"""The M0 command line: outputs, files, and clean errors (no traceback) for bad flags."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.support import REPO


def run_cli(*args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    entry = ["-m", "scripts.run_m0"] if module else [str(REPO / "scripts" / "run_m0.py")]
    return subprocess.run(
        [sys.executable, *entry, *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_run_writes_metrics_and_summary(tmp_path: Path) -> None:
    out = run_cli(
        "run",
        "--vocab",
        "200",
        "--K",
        "16",
        "--steps",
        "3000",
        "--out-dir",
        str(tmp_path),
        "--format",
        "jsonl",
    )
    assert out.returncode == 0, out.stderr
    lines = dict(
        line.split("=", 1) for line in out.stdout.splitlines() if "=" in line and " " not in line
    )
    for key in (
        "metrics_path",
        "acceptance_rate",
        "chi2_stat",
        "p_value",
        "psi_bytes_mean",
        "topk_mass",
        "eps_used",
    ):
        assert key in lines
    metrics = Path(lines["metrics_path"])
    assert metrics.parent.parent == tmp_path
    frame = pl.read_parquet(metrics)
    assert frame.height == 3000
    assert pl.read_ndjson(metrics.with_suffix(".jsonl")).equals(frame)
    summary = json.loads((metrics.parent / "summary.json").read_text())
    assert summary["acceptance_rate"] == pytest.approx(float(lines["acceptance_rate"]), rel=1e-5)
    assert not list(metrics.parent.glob(".*.tmp"))


def test_module_form_and_no_clobbering(tmp_path: Path) -> None:
    args = ("run", "--vocab", "50", "--K", "5", "--steps", "100", "--out-dir", str(tmp_path))
    assert run_cli(*args, module=True).returncode == 0
    assert run_cli(*args).returncode == 0
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--vocab", "0"), "must be >= 1"),
        (("--vocab", "ten"), "expected an integer"),
        (("--K", "2000"), "K: must be in [1, 1000]"),
        (("--tau", "-1"), "must be finite and > 0"),
        (("--tau", "nan"), "must be finite and > 0"),
        (("--eps", "often"), "expected 'auto' or a number"),
        (("--eps", "0.5"), "eps must be finite"),
        (("--steps", "-5"), "must be >= 1"),
        (("--seed", "-1"), "must be >= 0"),
        (("--pgen", "gauss"), "invalid choice"),
        (("--alpha", "0"), "must be finite and > 0"),
        (("--format", "csv"), "invalid choice"),
        (("--vocab", "20000000"), "vocab: must be in [1, 16777216]"),
    ],
)
def test_bad_flags_fail_cleanly(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    steps = () if "--steps" in args else ("--steps", "10")
    out = run_cli("run", *args, *steps, "--out-dir", str(tmp_path))
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(tmp_path.iterdir()), "a failed run must not leave a run directory"


def test_out_dir_that_is_a_file_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = run_cli("run", "--steps", "10", "--out-dir", str(blocker))
    assert out.returncode == 2
    assert "not a directory" in out.stderr
    assert "Traceback" not in out.stderr
