"""M0 from the command line: `python scripts/run_m0.py run --vocab 1000 --K 64 --eps auto`."""

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
from tsd.experiments import run_m0

PRINTED = ("acceptance_rate", "chi2_stat", "p_value", "psi_bytes_mean", "topk_mass", "eps_used")
TABLE = (
    "vocab", "K", "tau", "steps", "seed", "acceptance_rate", "overlap", "chi2_stat", "chi2_dof",
    "p_value", "psi_bytes_mean", "topk_mass", "eps_used",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_m0.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run M0 and write telemetry under --out-dir")
    run.add_argument("--vocab", type=positive_int, default=1000, help="vocabulary size V")
    add_run_flags(run)
    run.add_argument("--pgen", choices=("dirichlet", "zipf"), default="dirichlet", help="target")
    run.add_argument("--alpha", type=positive_float, default=1.2, help="Zipf exponent")
    add_output_flags(run)
    return parser


def run(args: argparse.Namespace) -> int:
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
            progress=progress,
        )
    summary = result.summary.to_dict()
    paths = write_run(args.out_dir, {"m0_metrics": result.telemetry}, summary, args.format)
    print(f"metrics_path={paths['m0_metrics']}")
    print_key_values(summary, PRINTED)
    print_summary_table("M0 run", summary, TABLE, caption=result.summary.target)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
