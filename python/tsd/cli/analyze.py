"""Analyse an M1 run: acceptance and overlap by context decile, and an acceptance-trace PNG
(acceptance_trace.png, written into the run folder).

  tsd analyze                     # the newest M1 run under runs/
  tsd analyze runs/<timestamp>    # a given one
"""

import argparse
from pathlib import Path

from tsd.cli.args import positive_int

REQUIRED = ("step", "prev_token", "accepted", "overlap_mass")

SUMMARY = "acceptance by context decile and a trace PNG of an M1 run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The analysis's flags."""
    parser.add_argument(
        "run_dir", type=Path, nargs="?", help="a run folder of `tsd m1` (default: the newest)"
    )
    parser.add_argument(
        "--runs", type=Path, default=Path("runs"), help="where to look for the newest run"
    )
    parser.add_argument("--window", type=positive_int, default=1000, help="rolling window (steps)")


def execute(args: argparse.Namespace) -> int:
    """Read the run's per-step telemetry, print deciles and headline rates, draw the trace."""
    import numpy as np
    import polars as pl

    from tsd import telemetry
    from tsd.analysis import acceptance_by_decile, rolling_mean
    from tsd.console import print_rows_table
    from tsd.errors import InvalidArgumentError
    from tsd.plots import acceptance_trace

    run_dir = telemetry.latest_run(args.runs) if args.run_dir is None else args.run_dir
    steps = telemetry.scan(run_dir, "m1_metrics")
    missing = [c for c in REQUIRED if c not in steps.collect_schema().names()]
    if missing:
        raise InvalidArgumentError(f"run_dir: the telemetry lacks columns {missing}")
    try:
        trace = steps.select(REQUIRED).collect()
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0]
        raise InvalidArgumentError(f"run_dir: cannot read its telemetry ({reason})") from None
    if trace.height == 0:
        raise InvalidArgumentError(f"run_dir: the telemetry in {run_dir} has no rows")
    deciles = acceptance_by_decile(trace.lazy())
    accepted = trace["accepted"].cast(pl.Float64).to_numpy()
    overlap = trace["overlap_mass"].to_numpy()
    png = run_dir / "acceptance_trace.png"
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
