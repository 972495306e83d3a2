"""The rate–acceptance frontier of ψ: for each budget of bytes per draft token, the payload
knobs (K, code bits, τ, ε) with the best expected acceptance Σ min(p, F(ψ)) against the
target, next to the QSV, K-SQS and C-SQS anchors on the same distributions and byte
accounting, and the adaptive proposer (per context, from the draft alone).

  tsd frontier --world ngram                      # Tiny Shakespeare, 6-gram target, 2-gram draft
  tsd frontier --world ngram --draft-order 3 --budgets 32 64 128
  tsd frontier --world smollm2 --draft early-exit:8 --contexts 96

Writes a run folder under --out-dir: frontier.parquet (one row per method and budget, or per
adaptive target: acceptance, bytes, chosen knobs), code_entropy.parquet, frontier.png
(acceptance against bytes per emitted token) and summary.json; prints the table.
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
from tsd.frontier.defaults import DEFAULT_BUDGETS

if TYPE_CHECKING:
    import polars as pl

SUMMARY = "ψ under a byte budget: best acceptance per budget vs QSV and SQS anchors"
WORLDS = ("ngram", "smollm2")
DEFAULT_CORPUS = Path("../shared/data/tinyshakespeare.txt")
DEFAULT_PROMPTS = Path("../shared/data/mt_bench_question.jsonl")
SHOWN = {
    "method": "method", "budget": "budget B", "target": "target", "acceptance": "accept",
    "bytes": "mean B", "bytes_per_emitted_token": "B/emitted", "K": "K", "bits": "bits",
    "tau": "τ", "eps_scale": "ε×auto", "ell": "ℓ", "delta": "δ",
}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The frontier's flags."""
    parser.add_argument("--world", choices=WORLDS, default="ngram", help="distributions")
    parser.add_argument(
        "--budgets", type=positive_float, nargs="+", default=list(DEFAULT_BUDGETS),
        help="bytes per draft token",
    )  # fmt: skip
    parser.add_argument("--contexts", type=positive_int, default=256, help="contexts measured")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="ngram world text")
    parser.add_argument("--target-order", type=positive_int, default=6, help="ngram target")
    parser.add_argument("--draft-order", type=positive_int, default=2, help="ngram draft")
    parser.add_argument("--draft", default="early-exit:8", help="smollm2 world's draft spec")
    parser.add_argument(
        "--prompts-file", type=Path, default=DEFAULT_PROMPTS, help="smollm2 world's prompts"
    )
    parser.add_argument(
        "--prompts", type=positive_int, default=24, help="smollm2 world: prompts answered"
    )
    parser.add_argument(
        "--block", type=positive_int, default=4, help="L behind bytes per emitted token"
    )
    parser.add_argument("--seed", type=non_negative_int, default=7, help="context sampling seed")
    add_executor_arguments(parser)
    add_out_dir_flag(parser)


def execute(args: argparse.Namespace) -> int:
    """Build the world, evaluate every cell, write and print the frontier."""
    import sys

    import polars as pl

    from tsd import telemetry
    from tsd.cli.args import executor_from_args
    from tsd.cli.output import publish, write_tables
    from tsd.console import print_rows_table
    from tsd.frontier.run import FrontierConfig, run_frontier
    from tsd.frontier.worlds import ngram_world, smollm2_world

    def note(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    executor = executor_from_args(args)
    config = FrontierConfig(budgets=tuple(args.budgets), block=args.block, executor=executor)
    with telemetry.staged_run_dir(args.out_dir) as stage:
        if args.world == "ngram":
            world = ngram_world(
                args.corpus, args.contexts, args.seed, args.target_order, args.draft_order
            )
        else:
            world = smollm2_world(args.draft, args.prompts_file, args.contexts, args.seed,
                                  args.prompts, progress=note)  # fmt: skip
        for line in world.notes:
            note(line)
        result = run_frontier(world, config)
        for failure in result.failures:
            note(f"failed cell: {failure}")
        frame = pl.DataFrame(result.rows, infer_schema_length=None)
        write_tables(stage, {"frontier": frame, "code_entropy": pl.DataFrame(result.entropy)})
        _draw(stage.path / "frontier.png", frame, world.description)
        summary = {
            "command": "frontier",
            "world": args.world,
            "description": world.description,
            "vocab": world.vocab,
            "contexts": args.contexts,
            "budgets": list(args.budgets),
            "block": args.block,
            "failures": result.failures,
        }
        run_dir = publish(stage, summary, args)
    print(f"frontier_path={run_dir / 'frontier.parquet'}")
    print(f"plot_path={run_dir / 'frontier.png'}")
    shown = frame.select(list(SHOWN)).rename(SHOWN)
    print_rows_table(f"ψ frontier: {world.description}", shown)
    return 0


def _draw(png: Path, frame: "pl.DataFrame", description: str) -> None:
    """Acceptance against bytes per emitted token, one line per method."""
    from tsd import telemetry
    from tsd.plots import acceptance_vs_bytes

    series = {
        str(method): (part["bytes_per_emitted_token"].to_numpy(), part["acceptance"].to_numpy())
        for (method,), part in frame.group_by("method", maintain_order=True)
    }
    telemetry.atomic_write(png, lambda tmp: acceptance_vs_bytes(series, description, tmp))
