"""M0 from the command line: `python scripts/run_m0.py run --vocab 1000 --K 64 --eps auto`."""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tsd import telemetry
from tsd.cli import eps_value, non_negative_int, positive_float, positive_int, run_command
from tsd.console import print_key_values, print_summary_table, step_progress
from tsd.experiments import run_m0

PRINTED = ("accept_rate", "chi2_stat", "p_value", "psi_bytes_mean", "topk_mass", "eps_used")
TABLE = (
    "vocab",
    "K",
    "tau",
    "steps",
    "seed",
    "accept_rate",
    "overlap",
    "chi2_stat",
    "chi2_dof",
    "p_value",
    "psi_bytes_mean",
    "topk_mass",
    "eps_used",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_m0.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run M0 and write telemetry under --out-dir")
    run.add_argument("--vocab", type=positive_int, default=1000, help="vocabulary size V")
    run.add_argument("--K", type=positive_int, default=64, help="explicit tokens in ψ")
    run.add_argument("--tau", type=positive_float, default=1.0, help="temperature τ")
    run.add_argument("--eps", type=eps_value, default="auto", help="tail probability ε, or 'auto'")
    run.add_argument("--steps", type=positive_int, default=50_000, help="verified steps")
    run.add_argument("--seed", type=non_negative_int, default=7, help="seed of target and run")
    run.add_argument("--pgen", choices=("dirichlet", "zipf"), default="dirichlet", help="target")
    run.add_argument("--alpha", type=positive_float, default=1.2, help="Zipf exponent")
    run.add_argument("--out-dir", type=Path, default=Path("runs"), help="parent of run folders")
    run.add_argument(
        "--format",
        choices=("parquet", "jsonl"),
        default="parquet",
        help="jsonl also writes the telemetry as JSON lines",
    )
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
            progress=progress,
        )
    run_dir = telemetry.make_run_dir(args.out_dir)
    formats = ("parquet", "jsonl") if args.format == "jsonl" else ("parquet",)
    paths = telemetry.write_telemetry(run_dir, result.telemetry, "m0_metrics", formats)
    telemetry.write_summary(run_dir, result.summary)
    print(f"metrics_path={paths['parquet']}")
    print_key_values(result.summary, PRINTED)
    print_summary_table("M0 run", result.summary, TABLE, caption=result.summary["target"])
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
