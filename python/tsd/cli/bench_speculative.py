"""Speculative-decoding benchmark: plain sampling from the target vs block drafting through ψ,
one top-K ψ per draft token ("token") or one chain ψ per block ("chain").

  tsd bench speculative --method all --L 1 2 3 4 --target-order 6 --draft-order 2 \\
      --corpus ../shared/data/tinyshakespeare.txt --prompts 20 --max-new-tokens 256 --runs 5

Without --corpus it uses Tiny Shakespeare when ../shared/data holds it, else a built-in
synthetic text. Writes a run folder under --out-dir: results.jsonl and results.parquet (one
row per run, method and L), results.png (tokens per target call against L with the closed
form) and summary.json; prints the medians over runs.
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tsd.cli.args import (
    add_out_dir_flag,
    add_tsu_flag,
    eps_value,
    non_negative_int,
    positive_float,
    positive_int,
)

if TYPE_CHECKING:
    import polars as pl

    from tsd.experiments.speculative import BenchConfig, Setup

SHAKESPEARE = Path(__file__).resolve().parents[4] / "shared" / "data" / "tinyshakespeare.txt"
# The baseline and the drafters' names (tsd.experiments.speculative.METHODS, which prepare()
# checks), spelled out so that --help imports no numerical library.
METHODS = ("baseline", "token", "chain")
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

SUMMARY = "speculative decoding: baseline vs per-token and chain drafting"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The speculative bench's flags."""
    parser.add_argument(
        "--method", choices=(*METHODS, "all"), default="all", help="all: every method"
    )
    parser.add_argument(
        "--L", type=positive_int, nargs="+", default=[1, 2, 3, 4], help="draft lengths"
    )
    parser.add_argument("--target-order", type=positive_int, default=6, help="target n-gram order")
    parser.add_argument("--draft-order", type=positive_int, default=2, help="draft n-gram order")
    parser.add_argument("--corpus", type=Path, help="training corpus (default: see above)")
    parser.add_argument("--prompts", type=positive_int, default=20, help="number of prompts")
    parser.add_argument("--prompts-file", type=Path, help="MT-Bench JSON/JSONL questions")
    parser.add_argument("--prompt-chars", type=positive_int, default=64, help="corpus slice length")
    parser.add_argument(
        "--max-new-tokens", type=positive_int, default=256, help="tokens generated per prompt"
    )
    parser.add_argument("--runs", type=positive_int, default=5, help="repetitions of each method")
    parser.add_argument("--K", type=positive_int, default=64, help="explicit tokens per ψ")
    parser.add_argument(
        "--chain-K", type=positive_int, default=8, help="explicit tokens per chain position"
    )
    parser.add_argument("--tau", type=positive_float, default=1.0, help="temperature τ")
    parser.add_argument(
        "--eps", type=eps_value, default="auto", help="tail probability ε, or 'auto'"
    )
    parser.add_argument("--seed", type=non_negative_int, default=7, help="seed of every run")
    add_tsu_flag(parser)
    add_out_dir_flag(parser)


def execute(args: argparse.Namespace) -> int:
    """Train, measure every method and L, write the run folder, print the medians."""
    import polars as pl
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tsd import telemetry
    from tsd.cli.output import print_result_paths, publish, write_results
    from tsd.console import print_rows_table
    from tsd.experiments.speculative import (
        BenchConfig,
        config_dict,
        default_corpus,
        prepare,
        run_benchmark,
    )

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
    with telemetry.staged_run_dir(args.out_dir) as stage:
        setup = prepare(config)
        if setup.dropped_chars:
            dropped = setup.dropped_chars
            print(f"note: dropped {dropped} prompt characters outside the corpus vocabulary")
        drafted = sum(method in config.methods for method in METHODS[1:])
        per_run = ("baseline" in config.methods) + len(config.blocks) * drafted
        columns = (
            TextColumn("measurements"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        )  # fmt: skip
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("bench", total=config.runs * per_run)
            rows = run_benchmark(config, setup, lambda: progress.advance(task))
        frame = pl.DataFrame(rows)
        settings = config_dict(config)
        write_results(stage, rows, frame, settings)
        medians = (
            frame.group_by("method", "L", maintain_order=True)
            .agg([pl.col(c).median() for c in MEDIAN_COLUMNS])
            .sort("method", "L", nulls_last=False)
        )
        drawn = _draw_tokens_per_call(stage.path / "results.png", medians, setup, config)
        summary = {"bench": "speculative", "config": settings,
                   "train_seconds": setup.train_seconds}  # fmt: skip
        run_dir = publish(stage, summary, args)
    print_result_paths(run_dir, drawn)
    print(f"train_seconds={setup.train_seconds:.3g}")
    shown = medians.select(list(SHOWN)).rename(SHOWN)
    print_rows_table(f"median over {config.runs} runs (all columns in results.parquet)", shown)
    return 0


def _draw_tokens_per_call(
    png: Path, medians: "pl.DataFrame", setup: "Setup", config: "BenchConfig"
) -> bool:
    """Tokens per target call against L with the closed form: per-token drafting, with chain
    drafting's points beside it, or chain drafting alone; False when no drafted method ran."""
    import polars as pl

    from tsd import telemetry
    from tsd.plots import tokens_per_call

    token = medians.filter(pl.col("method") == "token")
    chain = medians.filter(pl.col("method") == "chain")
    primary, method = (token, "per-token") if token.height else (chain, "chain")
    if not primary.height:
        return False
    extra = (
        (chain["L"].to_numpy(), chain["tokens_per_target_call"].to_numpy())
        if token.height and chain.height
        else None
    )
    title = (
        f"{method} drafting: {setup.target!r} target, {setup.draft!r} draft, K={config.K}"
        f" (chain K={config.chain_K})"
    )
    telemetry.atomic_write(
        png,
        lambda tmp: tokens_per_call(
            primary["L"].to_numpy(),
            primary["tokens_per_target_call"].to_numpy(),
            primary["closed_form_tokens_per_target_call"].to_numpy(),
            title,
            tmp,
            chain=extra,
        ),
    )
    return True
