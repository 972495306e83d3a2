"""M0: a fixed categorical target, one ψ, many verified steps; writes m0_metrics.parquet
(per step), m0_tokens.parquet (per token) and summary.json under --out-dir.

  tsd m0 --vocab 1000 --K 64 --eps auto --steps 50000 --seed 7
  tsd m0 --pgen zipf --alpha 1.2 --format jsonl
  tsd m0 --steps 100000000 --telemetry aggregate     # 10^8 steps, counts only, O(V) memory
"""

import argparse

from tsd.cli.args import (
    add_output_flags,
    add_run_flags,
    add_telemetry_flag,
    positive_float,
    positive_int,
)
from tsd.cli.limits import M0_STEP_BYTES, check_step_telemetry

PRINTED = ("acceptance_rate", "chi2_stat", "p_value", "psi_bytes_mean", "topk_mass", "eps_used")
TABLE = (
    "vocab", "K", "tau", "steps", "seed", "acceptance_rate", "overlap", "chi2_stat", "chi2_dof",
    "p_value", "psi_bytes_mean", "topk_mass", "eps_used",
)  # fmt: skip

SUMMARY = "M0: a fixed categorical target, one ψ, many verified steps"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """M0's flags."""
    parser.add_argument("--vocab", type=positive_int, default=1000, help="vocabulary size V")
    add_run_flags(parser)
    parser.add_argument("--pgen", choices=("dirichlet", "zipf"), default="dirichlet", help="target")
    parser.add_argument("--alpha", type=positive_float, default=1.2, help="Zipf exponent")
    add_telemetry_flag(parser)
    add_output_flags(parser)


def execute(args: argparse.Namespace) -> int:
    """Run M0, write its run folder, print the headline figures and a summary table."""
    from tsd.cli.output import publish, table_formats, write_tables
    from tsd.console import print_key_values, print_summary_table, step_progress
    from tsd.experiments.m0 import run_m0
    from tsd.telemetry import staged_run_dir

    if args.telemetry == "steps":
        check_step_telemetry(args.steps, M0_STEP_BYTES)
    with staged_run_dir(args.out_dir) as stage:
        with step_progress(args.steps, "M0 steps") as progress:
            result = run_m0(
                vocab=args.vocab,
                K=args.K,
                tau=args.tau,
                eps=args.eps,
                steps=args.steps,
                seed=args.seed,
                pgen=args.pgen,
                alpha=args.alpha,
                tsu=args.tsu,
                telemetry=args.telemetry,
                progress=progress,
            )
        tables = {"m0_tokens": result.tokens}
        if result.telemetry is not None:
            tables["m0_metrics"] = result.telemetry
        write_tables(stage, tables, table_formats(args.format))
        summary = result.summary.to_dict()
        run_dir = publish(stage, summary, args)
    if result.telemetry is not None:
        print(f"metrics_path={run_dir / 'm0_metrics.parquet'}")
    print(f"tokens_path={run_dir / 'm0_tokens.parquet'}")
    print_key_values(summary, PRINTED)
    print_summary_table("M0 run", summary, TABLE, caption=result.summary.target)
    return 0
