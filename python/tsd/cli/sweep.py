"""M1 across seeds: acceptance, overlap, CE gap and p-value by seed; writes m1_seeds.parquet,
m1_seeds.csv and summary.json (the sweep's configuration) under --out-dir.

  tsd sweep --steps 20000 --seeds 7 11 13 17
"""

import argparse
from pathlib import Path

from tsd.cli.args import (
    add_executor_arguments,
    add_out_dir_flag,
    add_run_flags,
    non_negative_int,
    positive_float,
    positive_int,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The seed sweep's flags."""
    parser.add_argument(
        "--seeds", type=non_negative_int, nargs="+", default=[7, 11, 13, 17], help="one run each"
    )
    parser.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    parser.add_argument("--c", type=positive_float, default=50.0, help="synthetic concentration")
    parser.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab, --c)")
    add_run_flags(parser)
    parser.set_defaults(steps=20_000)
    add_out_dir_flag(parser)
    add_executor_arguments(parser)


SUMMARY = "M1 across seeds, on a process pool or Ray"


def execute(args: argparse.Namespace) -> int:
    """Run one M1 per seed on the chosen executor, write the rows and print them."""
    import polars as pl

    from tsd._checks import check_int
    from tsd.cli.args import executor_from_args
    from tsd.cli.output import publish, write_tables
    from tsd.console import print_error, print_rows_table
    from tsd.experiments.m1 import make_m1_target
    from tsd.experiments.sweeps import seed_cell
    from tsd.sweeps import run_cells
    from tsd.telemetry import staged_run_dir

    config = {"vocab": args.vocab, "c": args.c,
              "corpus": None if args.corpus is None else str(args.corpus), "K": args.K,
              "tau": args.tau, "eps": args.eps, "steps": args.steps, "fixed_steps": args.steps,
              "tsu": args.tsu}  # fmt: skip
    # What every cell would refuse is refused once, before any cell starts: the corpus, and K
    # against the vocabulary (a corpus's vocabulary does not depend on the seed).
    if args.corpus is not None:
        check_int("K", args.K, 1, make_m1_target(args.corpus, args.vocab, args.c, 0).vocab)
    else:
        check_int("K", args.K, 1, args.vocab)
    executor = executor_from_args(args)
    with staged_run_dir(args.out_dir) as stage:
        params = [{**config, "seed": seed} for seed in args.seeds]
        outcome = run_cells(seed_cell, params, executor=executor)
        for failure in outcome.failures:
            print_error(str(failure))
        if not outcome.rows:
            return 1
        # The run tables' types: a seed is a u64, a count of passes a u32 (not polars' Int64).
        frame = pl.DataFrame(outcome.rows).cast(
            {"seed": pl.UInt64, "fixed_context_passes": pl.UInt32}
        )
        write_tables(stage, {"m1_seeds": frame}, ("parquet", "csv"))
        failures = [failure.to_dict() for failure in outcome.failures]
        summary = {"sweep": "m1_seeds", "config": config, "seeds": args.seeds,
                   "failures": failures}  # fmt: skip
        run_dir = publish(stage, summary, args)
    print(f"sweep_path={run_dir / 'm1_seeds.parquet'}")
    print(f"csv_path={run_dir / 'm1_seeds.csv'}")
    print_rows_table("M1 by seed", frame)
    return 1 if outcome.failures else 0
