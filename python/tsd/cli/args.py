"""Argument types that reject bad values with a clear message, and the flags commands share."""

import argparse
import math
from pathlib import Path

from tsd.executors import EXECUTORS, Executor, make_executor
from tsd.tsu import BACKENDS


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """`--help` shows every default (none for optional flags and switches) and keeps the
    description's own line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


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


def output_path(text: str) -> Path:
    """argparse type: a path for output; the empty string (silently the cwd) is refused."""
    if text == "":
        raise argparse.ArgumentTypeError("must not be empty (use '.' for the current folder)")
    return Path(text)


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """The ψ and run flags every milestone shares: --K, --tau, --eps, --steps, --seed, --tsu."""
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


def add_executor_arguments(parser: argparse.ArgumentParser, *, workers: bool = True) -> None:
    """`--executor {local,ray}`, `--address ADDR` (ray only) and, with `workers`, `--workers N`:
    where a command's independent cells run (read back by `executor_from_args`)."""
    group = parser.add_argument_group("executor (where the cells run)")
    group.add_argument(
        "--executor",
        choices=tuple(EXECUTORS),
        default="local",
        help="local: a process pool on this machine; ray: Ray tasks "
        "(the thermo-speculative[ray] extra), on a local instance or the cluster at --address",
    )
    group.add_argument(
        "--address",
        help="ray only: the running cluster to join, HOST:PORT (as `ray start --head` prints) "
        "or 'auto' (default: start a local instance for the run)",
    )
    if workers:
        group.add_argument(
            "--workers",
            type=positive_int,
            help="cells running at once (default: every core; for ray, every CPU of the cluster)",
        )


def executor_from_args(args: argparse.Namespace) -> Executor:
    """The executor the flags of `add_executor_arguments` ask for; a bad combination (an
    address with the local executor, ray not installed) is a `TsdError` naming the flag."""
    return make_executor(
        args.executor, workers=getattr(args, "workers", None), address=args.address
    )


# tsd.experiments.lm_presets.PRESET_DIR, found without importing the experiments.
PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"


def add_presets_dir_flag(parser: argparse.ArgumentParser) -> None:
    """`--presets-dir`: the folder of LM benchmark preset files."""
    parser.add_argument(
        "--presets-dir",
        type=Path,
        help="folder of preset *.toml files (default: the presets in the package, tsd/presets/)",
    )


def presets_dir(args: argparse.Namespace) -> Path:
    """The folder `--presets-dir` names, else the package's own presets."""
    folder: Path | None = args.presets_dir
    return PRESET_DIR if folder is None else folder


def add_telemetry_flag(parser: argparse.ArgumentParser) -> None:
    """`--telemetry {steps,aggregate}`: per-step rows, or counts only."""
    parser.add_argument(
        "--telemetry",
        choices=("steps", "aggregate"),
        default="steps",
        help="per-step rows, or per-context counts only (for very long runs)",
    )


def add_out_dir_flag(parser: argparse.ArgumentParser) -> None:
    """`--out-dir`: the parent of the run folders."""
    parser.add_argument(
        "--out-dir", type=output_path, default=Path("runs"), help="parent of run folders"
    )


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """`--out-dir` and `--format`, shared by every run command."""
    add_out_dir_flag(parser)
    parser.add_argument(
        "--format",
        choices=("parquet", "jsonl"),
        default="parquet",
        help="jsonl also writes the telemetry as JSON lines",
    )
