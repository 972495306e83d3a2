"""M1 at a fixed context over a (K, τ) grid: acceptance and CE gap, table, CSV, heat maps.

python scripts/sweep_m1_grid.py --steps 15000 --Ks 32 64 128 --taus 0.9 1.0 1.1 --seeds 7 11
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import polars as pl

from tsd import telemetry
from tsd.cli import non_negative_int, positive_float, positive_int, run_command
from tsd.console import print_error, print_rows_table
from tsd.errors import InvalidArgumentError
from tsd.experiments.sweeps import cached_target, default_context, grid_cell
from tsd.plots import heatmaps
from tsd.sweeps import run_cells


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sweep_m1_grid.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--Ks", type=positive_int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--taus", type=positive_float, nargs="+", default=[0.9, 1.0, 1.1])
    parser.add_argument("--seeds", type=non_negative_int, nargs="+", default=[7, 11])
    parser.add_argument("--steps", type=positive_int, default=15_000, help="steps per cell")
    parser.add_argument("--vocab", type=positive_int, default=256, help="synthetic vocabulary size")
    parser.add_argument("--c", type=positive_float, default=50.0, help="synthetic concentration")
    parser.add_argument("--target-seed", type=non_negative_int, default=7, help="synthetic target")
    parser.add_argument("--corpus", type=Path, help="character corpus (overrides --vocab, --c)")
    parser.add_argument(
        "--context", type=non_negative_int, help="the fixed context (default: most probable)"
    )
    parser.add_argument("--out-dir", type=Path, default=Path("runs"), help="parent of run folders")
    return parser


def grid(args: argparse.Namespace) -> int:
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
    outcome = run_cells(grid_cell, params)
    for failure in outcome.failures:
        print_error(failure)
    if not outcome.rows:
        return 1
    frame = pl.DataFrame(outcome.rows)
    run_dir = telemetry.make_run_dir(args.out_dir)
    paths = telemetry.write_telemetry(run_dir, frame, "m1_sweep", ("parquet", "csv"))
    means = frame.group_by("K", "tau").agg(
        pl.col("acceptance_rate").mean(), pl.col("overlap").mean(), pl.col("ce_gap_nats").mean()
    )
    panels = {
        name: np.array([[_cell(means, k, tau, column) for tau in args.taus] for k in args.Ks])
        for name, column in (("acceptance", "acceptance_rate"), ("CE gap (nats)", "ce_gap_nats"))
    }
    png = run_dir / "m1_sweep_heatmap.png"
    telemetry.atomic_write(
        png,
        lambda tmp: heatmaps(
            args.Ks,
            args.taus,
            panels,
            f"{target.description}, context {target.label(context)}",
            tmp,
        ),
    )
    print(f"csv_path={paths['csv']}")
    print(f"sweep_path={paths['parquet']}")
    print(f"heatmap_path={png}")
    print_rows_table(f"(K, τ) grid at context {target.label(context)}, mean over seeds",
                     means.sort("K", "tau"))  # fmt: skip
    return 1 if outcome.failures else 0


def _cell(means: pl.DataFrame, k: int, tau: float, column: str) -> float:
    match = means.filter((pl.col("K") == k) & (pl.col("tau") == tau))
    return float(match[column][0]) if match.height else float("nan")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: grid(args))


if __name__ == "__main__":
    sys.exit(main())
