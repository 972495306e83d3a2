"""M1 from the command line: a bigram chain, synthetic or from a character corpus.

python scripts/run_m1.py run --vocab 256 --K 64 --eps auto --steps 50000 --seed 7
python scripts/run_m1.py run --corpus ../shared/data/tinyshakespeare.txt --K 64 --eps auto
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tsd.cli import (
    add_output_flags,
    add_run_flags,
    positive_float,
    positive_int,
    run_command,
    write_run,
)
from tsd.console import print_key_values, print_summary_table, step_progress
from tsd.experiments.m1 import run_m1

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_m1.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run M1 and write telemetry under --out-dir")
    run.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    run.add_argument("--c", type=positive_float, default=50.0, help="synthetic row concentration")
    run.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab and --c)")
    add_run_flags(run)
    run.add_argument(
        "--fixed-steps", type=positive_int, default=50_000, help="steps per fixed-context test"
    )
    run.add_argument(
        "--telemetry",
        choices=("steps", "aggregate"),
        default="steps",
        help="per-step rows, or per-context counts only (for very long runs)",
    )
    add_output_flags(run)
    return parser


def run(args: argparse.Namespace) -> int:
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
    summary = result.summary.to_dict()
    paths = write_run(args.out_dir, tables, summary, args.format)
    print(f"metrics_path={paths.get('m1_metrics', paths['m1_contexts'])}")
    print(f"contexts_path={paths['m1_contexts']}")
    print_key_values(summary, PRINTED)
    for test in result.summary.fixed_context_tests:
        print(f"fixed_context={test.context} p_value={test.p_value:.6g}")
    print_summary_table("M1 run", summary, TABLE, caption=result.summary.target)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
