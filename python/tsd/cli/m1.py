"""M1: a bigram chain, synthetic or from a character corpus, walked with one cached ψ per
context; writes m1_metrics.parquet, m1_contexts.parquet and summary.json under --out-dir.

  tsd m1 --vocab 256 --K 64 --eps auto --steps 50000 --seed 7
  tsd m1 --corpus ../shared/data/tinyshakespeare.txt --K 64 --eps auto
  tsd m1 --steps 100000000 --telemetry aggregate     # 10^8 steps, O(V) memory
"""

import argparse
from pathlib import Path

from tsd.cli.args import (
    add_output_flags,
    add_run_flags,
    add_telemetry_flag,
    positive_float,
    positive_int,
)
from tsd.cli.limits import M1_STEP_BYTES, check_step_telemetry

PRINTED = (
    "acceptance_rate", "mean_overlap", "acceptance_overlap_gap", "mean_ce_gap", "chi2_stat",
    "p_value",
    "fixed_context_passes", "psi_bytes_max", "eps_used_mean",
)  # fmt: skip
TABLE = (
    "vocab", "K", "tau", "steps", "seed", "acceptance_rate", "mean_overlap",
    "acceptance_overlap_gap",
    "mean_ce_gap", "chi2_stat", "chi2_dof", "p_value", "fixed_context_passes", "psi_bytes_mean",
    "psi_bytes_max", "eps_used_mean",
)  # fmt: skip

SUMMARY = "M1: a bigram chain walked with one cached ψ per context"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """M1's flags."""
    parser.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    parser.add_argument(
        "--c", type=positive_float, default=50.0, help="synthetic row concentration"
    )
    parser.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab and --c)")
    add_run_flags(parser)
    parser.add_argument(
        "--fixed-steps", type=positive_int, default=50_000, help="steps per fixed-context test"
    )
    add_telemetry_flag(parser)
    add_output_flags(parser)


def execute(args: argparse.Namespace) -> int:
    """Run M1, write its run folder, print the headline figures and a summary table."""
    from tsd.cli.output import publish, table_formats, write_tables
    from tsd.console import print_key_values, print_summary_table, step_progress
    from tsd.experiments.m1 import run_m1
    from tsd.telemetry import staged_run_dir

    if args.telemetry == "steps":
        check_step_telemetry(args.steps, M1_STEP_BYTES)
    with staged_run_dir(args.out_dir) as stage:
        with step_progress(args.steps, "M1 steps") as progress:
            result = run_m1(
                vocab=args.vocab,
                c=args.c,
                corpus=args.corpus,
                K=args.K,
                tau=args.tau,
                eps=args.eps,
                steps=args.steps,
                seed=args.seed,
                fixed_steps=args.fixed_steps,
                telemetry=args.telemetry,
                tsu=args.tsu,
                progress=progress,
            )
        tables = {"m1_contexts": result.contexts}
        if result.telemetry is not None:
            tables["m1_metrics"] = result.telemetry
        write_tables(stage, tables, table_formats(args.format))
        summary = result.summary.to_dict()
        run_dir = publish(stage, summary, args)
    if result.telemetry is not None:
        print(f"metrics_path={run_dir / 'm1_metrics.parquet'}")
    print(f"contexts_path={run_dir / 'm1_contexts.parquet'}")
    print_key_values(summary, PRINTED)
    for test in result.summary.fixed_context_tests:
        print(f"fixed_context={test.context} p_value={test.p_value:.6g}")
    print_summary_table("M1 run", summary, TABLE, caption=result.summary.target)
    return 0
