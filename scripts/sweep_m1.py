"""M1 across seeds: acceptance, overlap, CE gap and p-value by seed.

python scripts/sweep_m1.py --steps 20000 --seeds 7 11 13 17
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from tsd import telemetry
from tsd.cli import add_run_flags, non_negative_int, positive_float, positive_int, run_command
from tsd.console import print_error, print_rows_table
from tsd.experiments.sweeps import seed_cell
from tsd.sweeps import run_cells


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep_m1.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", default=[7, 11, 13, 17])
    parser.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    parser.add_argument("--c", type=positive_float, default=50.0, help="synthetic concentration")
    parser.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab, --c)")
    add_run_flags(parser)
    parser.set_defaults(steps=20_000)
    parser.add_argument("--out-dir", type=Path, default=Path("runs"), help="parent of run folders")
    return parser


def sweep(args: argparse.Namespace) -> int:
    corpus = None if args.corpus is None else str(args.corpus)
    params = [
        {"vocab": args.vocab, "c": args.c, "corpus": corpus, "K": args.K, "tau": args.tau,
         "eps": args.eps, "steps": args.steps, "seed": seed, "fixed_steps": args.steps}
        for seed in args.seeds
    ]  # fmt: skip
    outcome = run_cells(seed_cell, params)
    for failure in outcome.failures:
        print_error(failure)
    if not outcome.rows:
        return 1
    frame = pl.DataFrame(outcome.rows)
    run_dir = telemetry.make_run_dir(args.out_dir)
    paths = telemetry.write_telemetry(run_dir, frame, "m1_seeds", ("parquet", "csv"))
    print(f"sweep_path={paths['parquet']}")
    print(f"csv_path={paths['csv']}")
    print_rows_table("M1 by seed", frame)
    return 1 if outcome.failures else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: sweep(args))


if __name__ == "__main__":
    sys.exit(main())
