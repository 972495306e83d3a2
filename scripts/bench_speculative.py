"""Speculative-decoding benchmark: plain sampling from the target vs block drafting through ψ,
one top-K ψ per draft token ("token") or one chain ψ per block ("chain").

  python scripts/bench_speculative.py --method all --L 1 2 3 4 --target-order 6 \\
      --draft-order 2 --corpus ../shared/data/tinyshakespeare.txt --prompts 20 \\
      --max-new-tokens 256 --runs 5 --out results.jsonl

Without --corpus it uses Tiny Shakespeare when ../shared/data holds it, else a built-in
synthetic text. Writes JSONL and Parquet rows (one per run, method and L), prints the medians
over runs, and draws tokens per target call against L with the closed form.
"""

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tsd import telemetry
from tsd.cli import (
    add_tsu_flag,
    eps_value,
    non_negative_int,
    positive_float,
    positive_int,
    run_command,
)
from tsd.console import print_rows_table
from tsd.drafters import DRAFTERS
from tsd.experiments.speculative import (
    METHODS,
    BenchConfig,
    config_dict,
    default_corpus,
    prepare,
    run_benchmark,
)
from tsd.plots import tokens_per_call

SHAKESPEARE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tinyshakespeare.txt"
)
MEDIAN_COLUMNS = (
    "tokens_per_sec", "acceptance_rate", "mean_acceptance_length", "alpha",
    "tokens_per_target_call", "closed_form_tokens_per_target_call", "target_calls_per_token",
    "tsu_calls_per_target_call", "psi_bytes_per_token", "num_draft_tokens", "num_accepted_tokens",
    "rejections",
)  # fmt: skip
SHOWN = {
    "method": "method", "L": "L", "tokens_per_sec": "tok/s", "alpha": "α",
    "tokens_per_target_call": "tok/call", "closed_form_tokens_per_target_call": "closed form",
    "target_calls_per_token": "calls/tok", "tsu_calls_per_target_call": "TSU calls/call",
    "psi_bytes_per_token": "ψ B/tok",
}  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench_speculative.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--method", choices=(*METHODS, "all"), default="all", help="all: every method"
    )
    parser.add_argument(
        "--L", type=positive_int, nargs="+", default=[1, 2, 3, 4], help="draft lengths"
    )
    parser.add_argument("--target-order", type=positive_int, default=6)
    parser.add_argument("--draft-order", type=positive_int, default=2)
    parser.add_argument("--corpus", type=Path, help="training corpus (default: see above)")
    parser.add_argument("--prompts", type=positive_int, default=20, help="number of prompts")
    parser.add_argument("--prompts-file", type=Path, help="MT-Bench JSON/JSONL questions")
    parser.add_argument("--prompt-chars", type=positive_int, default=64, help="corpus slice length")
    parser.add_argument("--max-new-tokens", type=positive_int, default=256)
    parser.add_argument("--runs", type=positive_int, default=5)
    parser.add_argument("--K", type=positive_int, default=64, help="explicit tokens per ψ")
    parser.add_argument(
        "--chain-K", type=positive_int, default=8, help="explicit tokens per chain position"
    )
    parser.add_argument("--tau", type=positive_float, default=1.0)
    parser.add_argument("--eps", type=eps_value, default="auto")
    parser.add_argument("--seed", type=non_negative_int, default=7)
    add_tsu_flag(parser)
    parser.add_argument("--out", type=Path, default=Path("results.jsonl"), help="JSONL output")
    return parser


def bench(args: argparse.Namespace) -> int:
    config = BenchConfig(
        corpus=default_corpus(args.corpus, SHAKESPEARE),
        target_order=args.target_order,
        draft_order=args.draft_order,
        blocks=tuple(args.L),
        methods=METHODS if args.method == "all" else (args.method,),
        prompts=args.prompts,
        prompt_chars=args.prompt_chars,
        prompts_file=None if args.prompts_file is None else str(args.prompts_file),
        max_new_tokens=args.max_new_tokens,
        runs=args.runs,
        K=args.K,
        chain_K=args.chain_K,
        tau=args.tau,
        eps=args.eps,
        seed=args.seed,
        tsu=args.tsu,
    )
    setup = prepare(config)
    if setup.dropped_chars:
        print(
            f"note: dropped {setup.dropped_chars} prompt characters outside the corpus vocabulary"
        )
    drafted = sum(method in config.methods for method in DRAFTERS)
    per_run = ("baseline" in config.methods) + len(config.blocks) * drafted
    columns = (TextColumn("measurements"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("bench", total=config.runs * per_run)
        rows = run_benchmark(config, setup, lambda: progress.advance(task))
    frame = pl.DataFrame(rows)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(
        json.dumps({**row, "config": config_dict(config)}, allow_nan=False) + "\n" for row in rows
    )
    telemetry.atomic_write(out, lambda tmp: tmp.write_text(lines, encoding="utf-8"))
    parquet = out.with_suffix(".parquet")
    telemetry.atomic_write(parquet, lambda tmp: frame.write_parquet(tmp, compression="zstd"))
    medians = (
        frame.group_by("method", "L", maintain_order=True)
        .agg([pl.col(c).median() for c in MEDIAN_COLUMNS])
        .sort("method", "L", nulls_last=False)
    )
    png = out.with_suffix(".png")
    token = medians.filter(pl.col("method") == "token")
    chain = medians.filter(pl.col("method") == "chain")
    if token.height:
        title = (
            f"{setup.target!r} target, {setup.draft!r} draft, K={config.K}"
            f" (chain K={config.chain_K})"
        )
        chain_points = (
            (chain["L"].to_numpy(), chain["tokens_per_target_call"].to_numpy())
            if chain.height
            else None
        )
        telemetry.atomic_write(
            png,
            lambda tmp: tokens_per_call(
                token["L"].to_numpy(),
                token["tokens_per_target_call"].to_numpy(),
                token["closed_form_tokens_per_target_call"].to_numpy(),
                title,
                tmp,
                chain=chain_points,
            ),
        )
        print(f"plot_path={png}")
    print(f"results_path={out}")
    print(f"parquet_path={parquet}")
    print(f"train_seconds={setup.train_seconds:.3g}")
    shown = medians.select(list(SHOWN)).rename(SHOWN)
    print_rows_table(f"median over {config.runs} runs (all columns in {parquet.name})", shown)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: bench(args))


if __name__ == "__main__":
    sys.exit(main())
