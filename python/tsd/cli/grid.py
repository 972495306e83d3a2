"""M1 at a fixed context over a (K, τ) grid: acceptance and CE gap; writes m1_sweep.parquet,
m1_sweep.csv, m1_sweep_heatmap.png and summary.json (the grid's configuration).

  tsd grid --steps 15000 --Ks 32 64 128 --taus 0.9 1.0 1.1 --seeds 7 11
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tsd.cli.args import (
    add_executor_arguments,
    add_out_dir_flag,
    non_negative_int,
    positive_float,
    positive_int,
)

if TYPE_CHECKING:
    import polars as pl

SUMMARY = "M1 at a fixed context over a (K, τ) grid, with heat maps, on a process pool or Ray"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The grid sweep's flags."""
    parser.add_argument(
        "--Ks", type=positive_int, nargs="+", default=[32, 64, 128], help="grid rows"
    )
    parser.add_argument(
        "--taus", type=positive_float, nargs="+", default=[0.9, 1.0, 1.1], help="grid columns"
    )
    parser.add_argument(
        "--seeds", type=non_negative_int, nargs="+", default=[7, 11], help="runs per cell"
    )
    parser.add_argument("--steps", type=positive_int, default=15_000, help="steps per cell")
    parser.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    parser.add_argument("--c", type=positive_float, default=50.0, help="synthetic concentration")
    parser.add_argument("--target-seed", type=non_negative_int, default=7, help="synthetic target")
    parser.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab, --c)")
    parser.add_argument(
        "--context", type=non_negative_int, help="the fixed context (default: most probable)"
    )
    add_out_dir_flag(parser)
    add_executor_arguments(parser)


def execute(args: argparse.Namespace) -> int:
    """Run every (K, τ, seed) cell on the chosen executor, write rows and heat maps, print
    means."""
    import numpy as np
    import polars as pl

    from tsd import telemetry
    from tsd.cli.args import executor_from_args
    from tsd.cli.output import publish, write_tables
    from tsd.console import print_error, print_rows_table
    from tsd.errors import InvalidArgumentError
    from tsd.experiments.sweeps import cached_target, default_context, grid_cell
    from tsd.plots import heatmaps
    from tsd.sweeps import run_cells

    executor = executor_from_args(args)
    corpus = None if args.corpus is None else str(args.corpus)
    target = cached_target(corpus, args.vocab, args.c, args.target_seed)
    context = default_context(target) if args.context is None else args.context
    if context >= target.vocab:
        raise InvalidArgumentError(f"context: must be < vocab = {target.vocab}, got {context}")
    if max(args.Ks) > target.vocab:
        raise InvalidArgumentError(f"Ks: must be <= vocab = {target.vocab}, got {max(args.Ks)}")
    base = {"corpus": corpus, "vocab": args.vocab, "c": args.c, "target_seed": args.target_seed,
            "context": context, "steps": args.steps}  # fmt: skip
    params = [
        {**base, "K": k, "tau": tau, "seed": seed}
        for k in args.Ks
        for tau in args.taus
        for seed in args.seeds
    ]
    with telemetry.staged_run_dir(args.out_dir) as stage:
        outcome = run_cells(grid_cell, params, executor=executor)
        for failure in outcome.failures:
            print_error(str(failure))
        if not outcome.rows:
            return 1
        # The run tables' types (context, K and byte counts u32; seed and steps u64).
        frame = pl.DataFrame(outcome.rows).cast(
            {"context": pl.UInt32, "K": pl.UInt32, "seed": pl.UInt64, "steps": pl.UInt64,
             "psi_bytes": pl.UInt32}
        )  # fmt: skip
        write_tables(stage, {"m1_sweep": frame}, ("parquet", "csv"))
        means = frame.group_by("K", "tau").agg(
            pl.col("acceptance_rate").mean(), pl.col("overlap").mean(), pl.col("ce_gap_nats").mean()
        )
        panels = {
            name: np.array([[_cell(means, k, tau, column) for tau in args.taus] for k in args.Ks])
            for name, column in (
                ("acceptance", "acceptance_rate"),
                ("CE gap (nats)", "ce_gap_nats"),
            )
        }
        title = f"{target.description}, context {target.label(context)}"
        telemetry.atomic_write(
            stage.path / "m1_sweep_heatmap.png",
            lambda tmp: heatmaps(args.Ks, args.taus, panels, title, tmp),
        )
        failures = [failure.to_dict() for failure in outcome.failures]
        summary = {"sweep": "m1_sweep", "config": {**base, "Ks": args.Ks, "taus": args.taus,
                   "seeds": args.seeds}, "failures": failures}  # fmt: skip
        run_dir = publish(stage, summary, args)
    print(f"csv_path={run_dir / 'm1_sweep.csv'}")
    print(f"sweep_path={run_dir / 'm1_sweep.parquet'}")
    print(f"heatmap_path={run_dir / 'm1_sweep_heatmap.png'}")
    print_rows_table(f"(K, τ) grid at context {target.label(context)}, mean over seeds",
                     means.sort("K", "tau"))  # fmt: skip
    return 1 if outcome.failures else 0


def _cell(means: "pl.DataFrame", k: int, tau: float, column: str) -> float:
    import polars as pl

    match = means.filter((pl.col("K") == k) & (pl.col("tau") == tau))
    return float(match[column][0]) if match.height else float("nan")
