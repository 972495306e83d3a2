"""The `tsd` command: help with defaults, version, provenance, every command in-process, one
subprocess smoke test per command, and the old `scripts/` command lines printing the same."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import tsd
from tests.support import REPO, needs_thrml
from tsd.cli import COMMANDS, main

SMALL_M1 = ["--vocab", "40", "--K", "8", "--steps", "2000", "--fixed-steps", "500"]


def printed(out: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in out.splitlines() if line.count("=") == 1)


def tsd_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "tsd"), *args],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tsd {tsd.__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    for group, name in COMMANDS:
        assert (group or name) in top


@pytest.mark.parametrize(("group", "name"), list(COMMANDS), ids=str)
def test_every_command_help_shows_its_defaults(
    group: str | None, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*([group] if group else []), name, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "(default: " in text
    assert "(default: None)" not in text


def test_m1_in_process_writes_a_run_with_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["m1", *SMALL_M1, "--out-dir", str(tmp_path)]) == 0
    values = printed(capsys.readouterr().out)
    run_dir = Path(values["metrics_path"]).parent
    summary = json.loads((run_dir / "summary.json").read_text())
    provenance = summary["provenance"]
    assert provenance["tsd_version"] == tsd.__version__
    assert provenance["command"] == ["tsd", "m1", *SMALL_M1, "--out-dir", str(tmp_path)]
    assert provenance["started_at"].endswith("+00:00")
    assert 0 < provenance["wall_seconds"] < 600
    commit = provenance["git_commit"]
    assert commit is None or len(commit) == 40
    assert float(values["acceptance_rate"]) == pytest.approx(summary["acceptance_rate"], rel=1e-5)


def test_aggregate_mode_prints_no_metrics_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["m1", *SMALL_M1, "--telemetry", "aggregate", "--out-dir", str(tmp_path)]) == 0
    values = printed(capsys.readouterr().out)
    assert "metrics_path" not in values
    assert values["contexts_path"].endswith("m1_contexts.parquet")


def test_m0_aggregate_mode_matches_per_step_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["m0", "--vocab", "300", "--K", "16", "--steps", "3000"]
    assert main([*common, "--out-dir", str(tmp_path / "steps")]) == 0
    assert main([*common, "--telemetry", "aggregate", "--out-dir", str(tmp_path / "agg")]) == 0
    capsys.readouterr()
    (steps_dir,) = (tmp_path / "steps").iterdir()
    (agg_dir,) = (tmp_path / "agg").iterdir()
    assert sorted(p.name for p in agg_dir.iterdir()) == ["m0_tokens.parquet", "summary.json"]
    drop = {"telemetry", "provenance"}
    steps = json.loads((steps_dir / "summary.json").read_text())
    agg = json.loads((agg_dir / "summary.json").read_text())
    assert {k: v for k, v in steps.items() if k not in drop} == {
        k: v for k, v in agg.items() if k not in drop
    }
    tokens = pl.read_parquet(agg_dir / "m0_tokens.parquet")
    metrics = pl.read_parquet(steps_dir / "m0_metrics.parquet")
    assert (
        tokens["emitted"].to_list() == np.bincount(metrics["emitted_token"], minlength=300).tolist()
    )
    assert tokens.equals(pl.read_parquet(steps_dir / "m0_tokens.parquet"))


@pytest.mark.parametrize("script", ["run_m1", "run_m0"])
def test_old_script_command_lines_print_what_tsd_prints(script: str, tmp_path: Path) -> None:
    args = ["--vocab", "40", "--K", "8", "--steps", "1000"]
    command = "m1" if script == "run_m1" else "m0"
    new = tsd_command(command, *args, "--out-dir", str(tmp_path / "new"))
    as_file = subprocess.run(
        [sys.executable, str(REPO / "scripts" / f"{script}.py"), "run", *args, "--out-dir",
         str(tmp_path / "file")], capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    as_module = subprocess.run(
        [sys.executable, "-m", f"scripts.{script}", "run", *args, "--out-dir",
         str(tmp_path / "module")], capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    for out in (new, as_file, as_module):
        assert out.returncode == 0, out.stderr

    def figures(out: subprocess.CompletedProcess[str]) -> list[str]:
        return [line for line in out.stdout.splitlines() if "_path=" not in line]

    assert figures(new) == figures(as_file) == figures(as_module)
    assert len(figures(new)) > 5


SMOKE = {
    "m0": ["m0", "--vocab", "50", "--K", "5", "--steps", "500"],
    "m1": ["m1", *SMALL_M1],
    "sweep": ["sweep", "--steps", "1000", "--seeds", "7", "--vocab", "30", "--K", "4"],
    "grid": ["grid", "--steps", "500", "--Ks", "4", "--taus", "1.0", "--seeds", "7",
             "--vocab", "30"],
    "bench speculative": ["bench", "speculative", "--method", "token", "--L", "1",
                          "--target-order", "3", "--prompts", "1", "--max-new-tokens", "8",
                          "--runs", "1", "--corpus", str(REPO / "README.md")],
    "bench verify": ["bench", "verify", "--vocab", "1000", "--batch", "4", "--repeats", "1",
                     "--copy-mib", "1"],
    "bench core": ["bench", "core", "--fused-steps", "2000", "--reference-steps", "200",
                   "--long-steps", "2000", "--skip-cargo"],
    "bench lm": ["bench", "lm", "--experiment", "toy", "--method", "baseline", "speculative",
                 "--draft", "early-exit:1", "--max-new-tokens", "4"],
    "frontier": ["frontier", "--corpus", str(REPO / "README.md"), "--contexts", "6",
                 "--target-order", "3", "--budgets", "64", "--workers", "1"],
    "presets list": ["presets", "list"],
    "presets validate": ["presets", "validate"],
}  # fmt: skip
READ_ONLY = ("bench verify", "bench core", "presets list", "presets validate")


@pytest.mark.parametrize("name", list(SMOKE))
def test_each_command_runs_as_a_process(name: str, tmp_path: Path) -> None:
    argv = SMOKE[name]
    writes = name not in READ_ONLY
    out = tsd_command(*argv, *(["--out-dir", str(tmp_path)] if writes else []))
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    if writes:
        (run_dir,) = tmp_path.iterdir()
        assert (run_dir / "summary.json").is_file()


def test_analyze_runs_as_a_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["m1", *SMALL_M1, "--out-dir", str(tmp_path)]) == 0
    run_dir = Path(printed(capsys.readouterr().out)["metrics_path"]).parent
    out = tsd_command("analyze", str(run_dir), "--window", "100")
    assert out.returncode == 0, out.stderr
    assert (run_dir / "acceptance_trace.png").is_file()


def test_python_dash_m_tsd_is_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tsd", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"tsd {tsd.__version__}"


def test_sweep_records_its_configuration_and_run_dtypes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sweep", "--steps", "1000", "--seeds", "7", "11", "--vocab", "30", "--K", "4"]
    assert main([*argv, "--out-dir", str(tmp_path)]) == 0
    frame = pl.read_parquet(printed(capsys.readouterr().out)["sweep_path"])
    assert frame.schema["seed"] == pl.UInt64
    assert frame.schema["fixed_context_passes"] == pl.UInt32
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["config"]["K"] == 4
    assert summary["config"]["steps"] == 1000
    assert summary["seeds"] == [7, 11]


def test_grid_uses_run_dtypes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["grid", "--steps", "500", "--Ks", "4", "8", "--taus", "1.0", "--seeds", "7",
            "--vocab", "30", "--out-dir", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    frame = pl.read_parquet(printed(capsys.readouterr().out)["sweep_path"])
    assert frame.schema["K"] == pl.UInt32
    assert frame.schema["context"] == pl.UInt32
    assert frame.schema["seed"] == pl.UInt64


def test_piped_tables_are_not_truncated(tmp_path: Path) -> None:
    out = tsd_command("m1", *SMALL_M1, "--out-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    assert "acceptance_overlap_gap" in out.stdout.split("M1 run")[1]


@pytest.mark.slow
@needs_thrml
def test_bench_thrml_runs_as_a_process() -> None:
    out = tsd_command("bench", "thrml", "--draws", "2000", "--blocks", "200", "--m1-steps", "20")
    assert out.returncode == 0, out.stderr
    assert "thrml_draws_per_s=" in out.stdout


def test_help_imports_no_numpy_polars_or_rich() -> None:
    """`tsd --help` lists every command without paying for what the commands use."""
    code = (
        "import sys; from tsd.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert not {'numpy', 'polars', 'rich'} & set(sys.modules), sorted(sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
