"""Analyse an M1 run: acceptance and overlap by context decile, and an acceptance-trace PNG.

python scripts/analyze_run.py runs/<timestamp>
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from tsd import telemetry
from tsd.analysis import acceptance_by_decile, rolling_mean
from tsd.cli import positive_int, run_command
from tsd.console import print_rows_table
from tsd.errors import InvalidArgumentError
from tsd.plots import acceptance_trace

REQUIRED = ("step", "prev_token", "accepted", "overlap_mass")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="analyze_run.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", type=Path, help="a run folder written by run_m1.py")
    parser.add_argument("--window", type=positive_int, default=1000, help="rolling window (steps)")
    return parser


def analyze(args: argparse.Namespace) -> int:
    steps = telemetry.scan(args.run_dir, "m1_metrics")
    missing = [c for c in REQUIRED if c not in steps.collect_schema().names()]
    if missing:
        raise InvalidArgumentError(f"run_dir: the telemetry lacks columns {missing}")
    deciles = acceptance_by_decile(steps)
    trace = steps.select(REQUIRED).collect()
    accepted = trace["accepted"].cast(pl.Float64).to_numpy()
    overlap = trace["overlap_mass"].to_numpy()
    png = args.run_dir / "acceptance_trace.png"
    full = slice(min(args.window, trace.height) - 1, None)  # plot full windows only
    telemetry.atomic_write(
        png,
        lambda tmp: acceptance_trace(
            trace["step"].to_numpy().astype(np.float64)[full],
            rolling_mean(accepted, args.window)[full],
            rolling_mean(overlap, args.window)[full],
            args.window,
            tmp,
        ),
    )
    print(f"acceptance_rate={accepted.mean():.6g}")
    print(f"mean_overlap={overlap.mean():.6g}")
    print(f"trace_path={png}")
    print_rows_table("acceptance by context decile (1 = most visited)", deciles)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: analyze(args))


if __name__ == "__main__":
    sys.exit(main())
