"""Mine AutoJudge labels (lossy judge decoding, extra `hf`): the target answers templated
questions greedily, families it gets right less than --min-accuracy of the time are dropped
(printed), then at every position where the draft's greedy token differs from the answer the
draft's token goes in and the target finishes greedily: a changed final answer makes the
mismatch important.

  tsd judge mine --target smollm2-135m --draft early-exit:24 --out /work/runs-judge
  tsd judge mine --draft ~/.cache/tsd/drafts/fkl-2l-off/RUN/draft --feature-source target+draft

Questions run in chunks (--chunk-size), each a cell on the executor, saved as it finishes in
OUT/mining-work/: the same command again resumes, other arguments with the same --out are an
error. Writes a run folder under --out: labels.parquet (features, label, question, family,
split), mismatches.parquet, probe.parquet and summary.json. Details in docs/JUDGE.md.
"""

import argparse
from pathlib import Path

from tsd.cli.args import add_executor_arguments, non_negative_int, output_path, positive_int

SUMMARY = "mine important/unimportant draft mismatches for a judge (lossy judge decoding)"
# tsd.judge.task.TASKS, tsd.judge.features.FEATURE_SOURCES and tsd.models.hf.DTYPES, spelled
# out so that --help imports no torch.
TASKS = ("arith-capitals",)
FEATURE_SOURCES = ("target", "target+draft")
DTYPES = ("float32", "bfloat16", "float16")
HF_EXTRA = ("torch", "transformers")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The mining flags."""
    parser.add_argument("--task", default="arith-capitals", help=f"task ({', '.join(TASKS)})")
    parser.add_argument("--target", default="smollm2-135m", help="target model (greedy)")
    parser.add_argument(
        "--draft", default="early-exit:24",
        help="a transformers draft: early-exit:K, hf:MODEL, or a model folder",
    )  # fmt: skip
    parser.add_argument(
        "--questions-per-family", type=positive_int, default=30,
        help="questions mined per family (two thirds from the mine split, a third from val)",
    )  # fmt: skip
    parser.add_argument(
        "--max-new-tokens", type=positive_int, default=32, help="answer length limit"
    )
    parser.add_argument(
        "--feature-source", choices=FEATURE_SOURCES, default="target",
        help="hidden states the features are made of",
    )  # fmt: skip
    parser.add_argument("--dtype", choices=DTYPES, default="float32", help="model weights")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="question order, splits")
    parser.add_argument(
        "--min-accuracy", type=float, default=0.3,
        help="drop families where the target's greedy accuracy is below this",
    )  # fmt: skip
    parser.add_argument("--chunk-size", type=positive_int, default=16, help="questions per cell")
    parser.add_argument(
        "--threads", type=positive_int,
        help="torch CPU threads per cell (default: 1 where several cells run at once)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=output_path, default=Path("runs/judge"), help="parent of the run folder"
    )
    add_executor_arguments(parser)


def execute(args: argparse.Namespace) -> int:
    """Check everything, run the mining, print the probe and the label counts."""
    import polars as pl

    from tsd.cli.args import executor_from_args
    from tsd.cli.output import publish
    from tsd.console import print_error, print_key_values, print_rows_table
    from tsd.extras import require_extra
    from tsd.judge.mine_run import MineRequest, check_request, run_mining
    from tsd.judge.probe import FamilyAccuracy

    require_extra("hf", HF_EXTRA, needed_by="judge mine")
    request = MineRequest(
        task=args.task, target=args.target, draft=args.draft,
        questions_per_family=args.questions_per_family, max_new_tokens=args.max_new_tokens,
        feature_source=args.feature_source, dtype=args.dtype, device=args.device, seed=args.seed,
        chunk_size=args.chunk_size, min_accuracy=args.min_accuracy,
    )  # fmt: skip
    check_request(request)
    executor = executor_from_args(args)
    at_once = not (args.executor == "local" and args.workers == 1)
    threads = 1 if args.threads is None and at_once else args.threads

    def show_probe(probe: list[FamilyAccuracy]) -> None:
        title = f"target greedy accuracy on the mined questions (kept at >= {args.min_accuracy:g})"
        print_rows_table(title, pl.DataFrame([row.row() for row in probe]))

    outcome = run_mining(
        request, args.out, executor, threads=threads, show_probe=show_probe,
        publish=lambda stage, summary: publish(stage, summary, args),
    )  # fmt: skip
    for failure in outcome.failures:
        print_error(f"chunk {failure['chunk']}: {failure['error']}")
    if outcome.run_dir is None:
        return 1
    summary = outcome.summary
    print_key_values(
        {
            "labels": summary["labels"],
            "important": summary["important"],
            "important_fraction": summary["important_fraction"],
            "dropped_families": ", ".join(summary["dropped_families"]) or "none",
            "labels_path": str(outcome.run_dir / "labels.parquet"),
            "run_dir": str(outcome.run_dir),
        },
        ["labels", "important", "important_fraction", "dropped_families", "labels_path",
         "run_dir"],
    )  # fmt: skip
    return 0
