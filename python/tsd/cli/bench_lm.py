"""Real language models: plain KV-cached sampling from a transformers target against
speculative decoding through ψ and the TSU, and against transformers' assisted generation
with the same draft.

  tsd bench lm                                   # the smollm2-cpu preset (~5 min on 2 cores)
  tsd bench lm --experiment toy                  # tiny random models, seconds
  tsd bench lm --draft early-exit:10 ngram:3 --L 1 2 3 4 --runs 3 --batch-size 4
  tsd bench lm --experiment smollm2-autojudge --autojudge-checkpoint runs/judge/head.safetensors

An experiment (`tsd presets list`) sets every value; a flag given here overrides it. Flags
without a default shown take the experiment's value, else the one in docs/BENCH_LM.md.
Drafts: ngram:N (trained on --draft-corpus through the target's tokenizer), early-exit:K (the
target's first K layers), hf:MODEL (a causal LM with the target's vocabulary), or a bare path
to a model folder such as the draft/ that `tsd train draft` writes (meaning hf:PATH). hf-assisted
runs each prompt alone (transformers' assisted generation supports batch size 1 only).

Writes a run folder under --out-dir: results.jsonl and results.parquet (one row per run,
method, draft, drafter and L; schema in docs/BENCH_LM.md), results.png (speedup over the
baseline against L per draft) and summary.json; prints the medians over runs.

`--method autojudge` (LOSSY; `all` includes it) runs judge decoding with a greedy target on the
test split of --task: the target alone, exact speculative decoding, then AutoJudge per
threshold (--autojudge-checkpoint, a head from `tsd judge train`), the KL judge per
--kl-thresholds and the top-k judge per --judge-topk; its rows say `mode` lossy (or exact),
with task accuracy and accepted tokens per cycle, drawn in judge.png.
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsd.cli.args import (
    add_out_dir_flag,
    add_presets_dir_flag,
    non_negative_int,
    positive_float,
    positive_int,
    presets_dir,
)
from tsd.tsu import BACKENDS

if TYPE_CHECKING:
    import polars as pl

SUMMARY = "real language models: baseline vs speculative (ψ/TSU) vs hf-assisted"
DEFAULT_EXPERIMENT = "smollm2-cpu"
# tsd.experiments.lm_config.METHODS and tsd.drafters.DRAFTERS, spelled out so that --help
# imports no numerical library.
METHODS = ("baseline", "speculative", "hf-assisted", "autojudge")
DRAFTERS = ("token", "chain")
GROUP = ("method", "draft", "drafter", "L")
MEDIAN_COLUMNS = (
    "tokens_per_sec", "wall_s", "acceptance_rate", "mean_acceptance_length",
    "target_calls_per_token", "target_share", "draft_share", "psi_tsu_verify_share",
    "other_share", "overhead_per_round", "psi_bytes_per_token", "num_draft_tokens",
    "num_accepted_tokens", "rejections",
)  # fmt: skip
SHOWN = {
    "method": "method", "draft": "draft", "drafter": "drafter", "L": "L",
    "tokens_per_sec": "tok/s", "speedup": "speedup", "acceptance_rate": "accept",
    "mean_acceptance_length": "tok/round", "target_calls_per_token": "calls/tok",
    "target_share": "target fwd", "draft_share": "draft model",
    "psi_tsu_verify_share": "ψ+TSU+verify",
    "overhead_per_round": "overhead/fwd", "psi_bytes_per_token": "ψ B/tok",
}  # fmt: skip
JUDGE_GROUP = ("mode", "draft", "L", "judge")
JUDGE_SHOWN = {
    "mode": "mode", "draft": "draft", "L": "L", "judge": "judge", "accuracy": "accuracy",
    "accuracy_delta": "Δ accuracy", "accepted_per_cycle": "acc/cycle",
    "exact_accepted_per_cycle": "exact acc/cycle", "accepted_ratio": "ratio",
    "judge_accept_rate": "judge accept", "target_fallback_rate": "fallback",
    "target_calls_per_token": "calls/tok", "tokens_per_sec": "tok/s",
}  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The LM bench's flags; all but --experiment and the folders default to the experiment's."""
    parser.add_argument(
        "--experiment", default=DEFAULT_EXPERIMENT, help="preset (tsd presets list)"
    )
    parser.add_argument("--target", help="model: smollm2-135m, a folder, a hub name, a preset")
    parser.add_argument(
        "--draft", nargs="+", help="draft specs: ngram:N early-exit:K hf:MODEL, or a model folder"
    )
    parser.add_argument("--method", nargs="+", choices=(*METHODS, "all"), help="methods to run")
    parser.add_argument("--drafter", choices=(*DRAFTERS, "all"), help="ψ per token or chain")
    parser.add_argument("--L", type=positive_int, nargs="+", help="draft lengths")
    parser.add_argument("--K", type=positive_int, help="explicit tokens per ψ")
    parser.add_argument("--chain-K", type=positive_int, help="explicit tokens per chain position")
    parser.add_argument("--tsu", choices=BACKENDS, help="TSU backend")
    parser.add_argument("--prompts-file", type=Path, help="MT-Bench questions (JSON or JSONL)")
    parser.add_argument("--corpus", type=Path, help="prompts from slices of this text instead")
    parser.add_argument("--prompt-chars", type=positive_int, help="corpus slice length")
    parser.add_argument("--max-samples", type=positive_int, help="number of prompts")
    parser.add_argument("--max-new-tokens", type=positive_int, help="tokens generated per prompt")
    parser.add_argument(
        "--use-chat-template",
        action=argparse.BooleanOptionalAction,
        help="wrap each prompt as a user turn through the tokenizer's chat template",
    )
    parser.add_argument("--temperature", type=positive_float, help="target law's temperature")
    parser.add_argument("--top-k", type=positive_int, help="target law's top-k")
    parser.add_argument("--top-p", type=positive_float, help="target law's top-p, in (0, 1]")
    parser.add_argument("--batch-size", type=positive_int, help="prompts decoded together")
    parser.add_argument("--runs", type=positive_int, help="repetitions of every cell")
    parser.add_argument("--draft-corpus", type=Path, help="training text of ngram drafts")
    parser.add_argument("--dtype", choices=("float32", "bfloat16", "float16"), help="weights")
    parser.add_argument("--device", help="cpu, cuda or cuda:N")
    parser.add_argument("--quantize", choices=("4bit", "8bit"), help="bitsandbytes (CUDA only)")
    parser.add_argument("--threads", type=positive_int, help="torch's CPU threads")
    parser.add_argument("--seed", type=non_negative_int, help="seed of every run")
    parser.add_argument("--task", help="autojudge: the templated task (tsd judge mine's)")
    parser.add_argument(
        "--task-questions", type=positive_int, help="autojudge: questions of the test split"
    )
    parser.add_argument(
        "--task-seed", type=non_negative_int, help="autojudge: tsd judge mine's --seed (splits)"
    )
    parser.add_argument(
        "--autojudge-checkpoint", type=Path, help="autojudge: the judge head (tsd judge train)"
    )
    parser.add_argument(
        "--autojudge-thresholds",
        type=float,
        nargs="+",
        help="autojudge: thresholds in [0, 1] (default: the head's stored ones)",
    )
    parser.add_argument(
        "--kl-thresholds", type=float, nargs="+", help="autojudge: KL judge thresholds (nats)"
    )
    parser.add_argument(
        "--judge-topk", type=positive_int, nargs="+", help="autojudge: top-k judge's k values"
    )
    add_presets_dir_flag(parser)
    add_out_dir_flag(parser)


def _expand(chosen: list[str] | str | None, every: tuple[str, ...]) -> list[str] | None:
    """A choice flag's values, `all` standing for every choice; None when not given."""
    if chosen is None:
        return None
    values = [chosen] if isinstance(chosen, str) else chosen
    return list(every) if "all" in values else values


def overrides(args: argparse.Namespace, presets: Any) -> dict[str, Any]:
    """The configuration fields the command line sets, model references resolved."""
    given: dict[str, Any] = {
        "target": None if args.target is None else presets.model_source(args.target),
        "drafts": None if args.draft is None else [presets.draft_spec(d) for d in args.draft],
        "methods": _expand(args.method, METHODS),
        "drafters": _expand(args.drafter, DRAFTERS),
    }
    for name in ("prompts_file", "corpus", "draft_corpus", "autojudge_checkpoint"):
        path = getattr(args, name)
        given[name] = None if path is None else str(path)
    for name in ("L", "K", "chain_K", "tsu", "prompt_chars", "max_samples", "max_new_tokens",
                 "use_chat_template", "temperature", "top_k", "top_p", "batch_size", "runs",
                 "dtype", "device", "quantize", "threads", "seed", "task", "task_questions",
                 "task_seed", "autojudge_thresholds", "kl_thresholds", "judge_topk"):  # fmt: skip
        given[name] = getattr(args, name)
    return {name: value for name, value in given.items() if value is not None}


def execute(args: argparse.Namespace) -> int:
    """Resolve the experiment, load, warm up, measure every cell, write and print."""
    import sys

    import polars as pl
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tsd import telemetry
    from tsd.cli.output import print_result_paths, publish, write_results
    from tsd.experiments.lm import plan, prepare, run_benchmark, warm_up, warm_up_cells
    from tsd.experiments.lm_models import environment, torch_threads
    from tsd.experiments.lm_presets import load_presets
    from tsd.experiments.lm_rows import rows_frame

    presets = load_presets(presets_dir(args))
    config = presets.config(args.experiment, overrides(args, presets))

    def note(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    columns = (
        TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(),
    )  # fmt: skip
    with telemetry.staged_run_dir(args.out_dir) as stage, torch_threads(config.threads):
        head = _read_judge_head(config) if "autojudge" in config.methods else None
        setup = prepare(config, note)
        judging = None if head is None else _prepare_judging(config, setup, head)
        if config.batch_size > 1 and "hf-assisted" in config.methods:
            note("note: hf-assisted runs one prompt at a time (transformers supports batch 1 only)")
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            warm_ups = len(warm_up_cells(config, setup))
            warming = progress.add_task("warm-up", total=warm_ups)
            warm_up(
                config,
                setup,
                lambda i, cell: progress.update(
                    warming, completed=i, description=f"warm-up: {cell.label}"
                ),
            )
            progress.update(warming, completed=warm_ups, description="warm-up: done")
            task = progress.add_task("measurements", total=config.runs * len(plan(config, setup)))
            rows = run_benchmark(
                config,
                setup,
                lambda i, cell: progress.update(task, completed=i, description=cell.label),
            )
            if judging is not None:
                rows += _judge_rows(config, judging, setup, progress)
        frame = rows_frame(rows)
        settings = config.to_dict()
        write_results(stage, rows, frame, settings)
        medians = median_table(frame.filter(pl.col("method") != "autojudge"))
        drawn = _draw_speedup(stage.path / "results.png", medians, config.target)
        judge_medians = judge_table(frame.filter(pl.col("method") == "autojudge"))
        if judge_medians.height:
            _draw_judges(stage.path / "judge.png", judge_medians, config.target, config.task)
        summary = {
            "bench": "lm",
            "experiment": args.experiment,
            "config": settings,
            "environment": environment(config.device),
        }
        run_dir = publish(stage, summary, args)
    print_result_paths(run_dir, drawn)
    _print_tables(config, medians, judge_medians, run_dir)
    return 0


def _read_judge_head(config: Any) -> Any:
    """The judge head, checked before any model loads."""
    from tsd.experiments.lm_judge_setup import read_judge_head

    return read_judge_head(config)


def _prepare_judging(config: Any, setup: Any, head: Any) -> Any:
    """The autojudge method's judges and test split for the loaded target."""
    from tsd.experiments.lm_judge_setup import prepare_judging

    return prepare_judging(config, setup.target, head)


def _judge_rows(config: Any, judging: Any, setup: Any, progress: Any) -> list[dict[str, Any]]:
    """The autojudge method's rows, one progress step per cell."""
    from tsd.experiments.lm_judge import count_cells, run_judging

    judged = progress.add_task("autojudge", total=count_cells(config, judging, len(setup.drafts)))

    def started(label: str) -> None:
        progress.update(judged, advance=1, description=label)

    def finished(row: dict[str, Any]) -> None:
        per_cycle = row["accepted_per_cycle"]
        accepted = "" if per_cycle is None else f", {per_cycle:.3f} accepted tokens per cycle"
        progress.console.print(
            f"autojudge {row['judge']} ({row['mode']}): accuracy {row['accuracy']:.3f} "
            f"(target alone {row['target_accuracy']:.3f}){accepted}"
        )

    return run_judging(config, judging, setup.target, setup.drafts, started, finished)


def _print_tables(
    config: Any, medians: "pl.DataFrame", judge_medians: "pl.DataFrame", run_dir: Path
) -> None:
    """The exact methods' medians, then the autojudge rows (each marked lossy or exact)."""
    from tsd.console import print_rows_table

    if medians.height:
        shown = medians.select(list(SHOWN)).rename(SHOWN)
        title = f"median over {config.runs} run(s) (all columns in results.parquet)"
        print_rows_table(title, shown)
    if judge_medians.height:
        print(f"judge_plot_path={run_dir / 'judge.png'}")
        shown = judge_medians.select(list(JUDGE_SHOWN)).rename(JUDGE_SHOWN)
        title = (
            f"autojudge on {config.task} (test split), median over {config.runs} run(s): "
            "lossy rows change the output; exact rows are the target's greedy decoding"
        )
        print_rows_table(title, shown)


def judge_table(frame: "pl.DataFrame") -> "pl.DataFrame":
    """Medians over runs per (mode, draft, L, judge) of the autojudge rows, in their order."""
    import polars as pl

    return frame.group_by(*JUDGE_GROUP, maintain_order=True).agg(
        [pl.col(c).median() for c in JUDGE_SHOWN if c not in JUDGE_GROUP]
        + [pl.col("judge_kind").first()]
    )


def _draw_judges(png: Path, medians: "pl.DataFrame", target: str, task: str) -> None:
    """Accuracy against accepted tokens per cycle: a curve per judge kind, exact speculative
    decoding and the target alone's accuracy, for the first draft and L."""
    import numpy as np
    import polars as pl

    from tsd import telemetry
    from tsd.plots import accuracy_vs_acceptance

    alone = medians.filter(pl.col("judge") == "target-only")["accuracy"]
    drafted = medians.filter(pl.col("L").is_not_null())
    first = drafted.row(0, named=True)
    drafted = drafted.filter((pl.col("draft") == first["draft"]) & (pl.col("L") == first["L"]))
    exact = drafted.filter(pl.col("judge") == "exact")
    curves = {}
    for (kind,), part in drafted.filter(pl.col("mode") == "lossy").group_by(
        "judge_kind", maintain_order=True
    ):
        curves[str(kind)] = (
            part["accepted_per_cycle"].to_numpy().astype(np.float64),
            part["accuracy"].to_numpy().astype(np.float64),
        )
    point = None
    if exact.height:
        point = (float(exact["accepted_per_cycle"][0]), float(exact["accuracy"][0]))
    title = (
        f"{target} on {task}: accuracy vs accepted tokens per cycle "
        f"({first['draft']}, L={first['L']})"
    )
    telemetry.atomic_write(
        png,
        lambda tmp: accuracy_vs_acceptance(
            curves, point, float(alone[0]) if alone.len() else float("nan"), title, tmp
        ),
    )


def median_table(frame: "pl.DataFrame") -> "pl.DataFrame":
    """Medians over runs per (method, draft, drafter, L), with each cell's speedup: its
    median tokens per second over the baseline's (null without a baseline)."""
    import polars as pl

    medians = frame.group_by(*GROUP, maintain_order=True).agg(
        [pl.col(c).median() for c in MEDIAN_COLUMNS]
    )
    baseline = medians.filter(pl.col("method") == "baseline")["tokens_per_sec"]
    speed = pl.col("tokens_per_sec") / baseline[0] if baseline.len() else pl.lit(None)
    return medians.with_columns(speed.cast(pl.Float64).alias("speedup"))


def _draw_speedup(png: Path, medians: "pl.DataFrame", target: str) -> bool:
    """Speedup against L, one line per method, draft and drafter; False when there is no
    baseline or no drafted cell to draw."""
    import polars as pl

    from tsd import telemetry
    from tsd.plots import speedup_vs_block

    drafted = medians.filter(pl.col("L").is_not_null() & pl.col("speedup").is_not_null())
    if not drafted.height:
        return False
    series = {}
    for (method, draft, drafter), part in drafted.group_by(
        "method", "draft", "drafter", maintain_order=True
    ):
        label = f"{method} {draft}" + ("" if drafter is None else f" ({drafter} ψ)")
        series[label] = (part["L"].to_numpy(), part["speedup"].to_numpy())
    title = f"{target}: speedup over plain sampling (median tokens/s over runs)"
    telemetry.atomic_write(png, lambda tmp: speedup_vs_block(series, title, tmp))
    return True
