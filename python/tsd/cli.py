"""Helpers the command lines share: argument types that reject bad values with a clear
message, and a runner that turns any `TsdError` into one `error:` line and exit status 2."""

import argparse
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from tsd import telemetry
from tsd.console import print_error
from tsd.errors import TsdError
from tsd.tsu import BACKENDS

EXIT_USAGE = 2


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _bounded_int(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _bounded_int(text, 0)


def _bounded_int(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be finite and > 0, got {text}")
    return value


def eps_value(text: str) -> str | float:
    """argparse type: 'auto' or a finite float >= 0."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 'auto' or a finite number >= 0, got {text}")
    return value


def run_command(command: Callable[[], int]) -> int:
    """Run `command`, reporting a `TsdError` or a file-system error as one line, exit code 2."""
    try:
        return command()
    except (TsdError, OSError) as exc:
        print_error(str(exc))
        return EXIT_USAGE


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """The ψ and run flags every milestone shares: --K, --tau, --eps, --steps, --seed."""
    parser.add_argument("--K", type=positive_int, default=64, help="explicit tokens in ψ")
    parser.add_argument("--tau", type=positive_float, default=1.0, help="temperature τ")
    parser.add_argument(
        "--eps", type=eps_value, default="auto", help="tail probability ε, or 'auto'"
    )
    parser.add_argument("--steps", type=positive_int, default=50_000, help="verified steps")
    parser.add_argument("--seed", type=non_negative_int, default=7, help="seed of target and run")
    add_tsu_flag(parser)


def add_tsu_flag(parser: argparse.ArgumentParser) -> None:
    """`--tsu {sim,thrml}`: the sampling backend."""
    parser.add_argument(
        "--tsu",
        choices=BACKENDS,
        default="sim",
        help="TSU backend: the simulated TSU, or Extropic's thrml "
        "(the thermo-speculative[thrml] extra)",
    )


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """`--out-dir` and `--format`, shared by every run command."""
    parser.add_argument("--out-dir", type=Path, default=Path("runs"), help="parent of run folders")
    parser.add_argument(
        "--format",
        choices=("parquet", "jsonl"),
        default="parquet",
        help="jsonl also writes the telemetry as JSON lines",
    )


def write_run(
    out_dir: Path, tables: Mapping[str, pl.DataFrame], summary: Mapping[str, Any], fmt: str
) -> dict[str, Path]:
    """Create a fresh run folder and write each table (Parquet, plus JSONL if asked) and the
    summary; returns each table's Parquet path."""
    run_dir = telemetry.make_run_dir(out_dir)
    formats: tuple[telemetry.TelemetryFormat, ...] = (
        ("parquet", "jsonl") if fmt == "jsonl" else ("parquet",)
    )
    paths = {
        stem: telemetry.write_telemetry(run_dir, frame, stem, formats)["parquet"]
        for stem, frame in tables.items()
    }
    telemetry.write_summary(run_dir, summary)
    return paths
