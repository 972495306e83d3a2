"""Distil a draft from a target (extra `train`): a character transformer from the Kneser–Ney
6-gram on Tiny Shakespeare (minutes), or a shallow SmolLM2 (1, 2 or 4 of its layers) from
SmolLM2-135M itself (minutes to tens of minutes on 2 CPU cores).

  tsd train draft --world char --objective tv --steps 300
  tsd train draft --world smollm2 --objective fkl --layers 2 --steps 400 --out DIR
  tsd train draft ... --steps 800 --resume DIR/checkpoint.pt
  tsd train draft --world char --objective fkl tv --seed 0 1 --workers 2   # four runs

Objectives: fkl KL(p‖q), rkl KL(q‖p), jsd, tv (total variation = 1 − acceptance), mix
(½ fkl + ½ tv). Data: off-policy (windows of a corpus or of the target's own answers) or
on-policy (the student's own continuations, scored by the target).

Writes a run folder under --out: draft/ (a transformers model folder with its tokenizer, for
`tsd bench lm --draft PATH`), train_log.parquet (step, objective, loss, held-out acceptance,
TV and KL), train_log.png and summary.json; checkpoints go to --checkpoint (atomically, every
--checkpoint-every steps). Several --objective or --seed values make one run per
combination, each a cell on the executor (--executor, --workers) with its own run folder and
checkpoint (OUT/checkpoint-OBJECTIVE-seedSEED.pt); the command prints a table of the runs
and writes it as train_sweep.parquet in a folder of its own. Details in docs/TRAIN.md.
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsd.cli.args import (
    add_executor_arguments,
    non_negative_int,
    output_path,
    positive_float,
    positive_int,
)

if TYPE_CHECKING:
    from tsd.executors import Executor

SUMMARY = "distil a draft model from a target (KL, JSD, TV; off- or on-policy)"
# tsd.train.objectives.OBJECTIVES, tsd.train.run.WORLDS and tsd.train.world.DATA_KINDS,
# spelled out so that --help imports no torch.
OBJECTIVES = ("fkl", "rkl", "jsd", "tv", "mix")
WORLDS = ("char", "smollm2")
DATA_KINDS = ("off-policy", "on-policy")
# What the extra `train` installs and training imports.
TRAIN_EXTRA = ("torch", "transformers")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The training flags."""
    parser.add_argument("--world", choices=WORLDS, default="char", help="teacher and student")
    parser.add_argument(
        "--objective", choices=OBJECTIVES, nargs="+", default=["tv"],
        help="loss; several: one run per objective and seed",
    )  # fmt: skip
    parser.add_argument("--data", choices=DATA_KINDS, default="off-policy", help="contexts")
    parser.add_argument("--layers", type=positive_int, default=2, help="student decoder layers")
    parser.add_argument("--steps", type=positive_int, default=300, help="optimiser steps")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="windows per step")
    parser.add_argument("--lr", type=positive_float, default=3e-3, help="AdamW learning rate")
    parser.add_argument(
        "--seed", type=non_negative_int, nargs="+", default=[0],
        help="seed of init and data; several: one run per objective and seed",
    )  # fmt: skip
    parser.add_argument(
        "--eval-every", type=positive_int, default=25, help="steps between held-out evaluations"
    )
    parser.add_argument(
        "--checkpoint-every", type=positive_int, default=50, help="steps between checkpoints"
    )
    parser.add_argument(
        "--out", type=output_path, default=Path("runs/train"), help="parent of the run folder"
    )
    parser.add_argument(
        "--checkpoint",
        type=output_path,
        help="checkpoint file, one run only (default: OUT/checkpoint.pt; with several runs, "
        "OUT/checkpoint-OBJECTIVE-seedSEED.pt)",
    )
    parser.add_argument(
        "--resume", type=Path, help="continue from this checkpoint file (one run only)"
    )
    parser.add_argument("--corpus", type=Path, help="char world: train on this text instead")
    parser.add_argument(
        "--threads",
        type=positive_int,
        help="torch CPU threads per run (default: torch's; 1 where several runs train at once)",
    )
    add_executor_arguments(parser)


def execute(args: argparse.Namespace) -> int:
    """Train one run in this process, or one cell per (objective, seed) on the executor. The
    executor flags are checked either way, before anything is written."""
    from tsd.cli.args import executor_from_args
    from tsd.errors import InvalidArgumentError
    from tsd.extras import require_extra

    require_extra("train", TRAIN_EXTRA, needed_by="train")
    for name in ("objective", "seed"):
        values = getattr(args, name)
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise InvalidArgumentError(f"{name}: given more than once: {', '.join(repeated)}")
    executor = executor_from_args(args)
    if len(args.objective) * len(args.seed) == 1:
        return _train_one(args)
    return _train_sweep(args, executor)


def _request_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The `TrainRequest` fields every run shares (all but objective, seed and checkpoint)."""
    return {
        "world": args.world, "data": args.data, "layers": args.layers, "steps": args.steps,
        "batch_size": args.batch_size, "lr": args.lr, "eval_every": args.eval_every,
        "checkpoint_every": args.checkpoint_every,
    }  # fmt: skip


def _train_one(args: argparse.Namespace) -> int:
    """Train in this process, then print the held-out acceptance before and after and the
    output paths."""
    import sys

    from tsd.cli.output import publish
    from tsd.console import print_key_values
    from tsd.experiments.lm_models import torch_threads
    from tsd.train.progress import training_progress
    from tsd.train.run import TrainRequest, run_training

    (objective,), (seed,) = args.objective, args.seed
    request = TrainRequest(
        **_request_fields(args), objective=objective, seed=seed, out=args.out,
        checkpoint=args.checkpoint, resume=args.resume, corpus=args.corpus,
    )  # fmt: skip

    def note(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    title = f"{args.world} {objective} {args.data} {args.layers}L"
    with torch_threads(args.threads), training_progress(args.steps, title) as report:
        outcome = run_training(
            request,
            progress=note,
            report=report,
            publish=lambda stage, summary: publish(stage, summary, args),
        )
    untrained, trained = outcome.summary["untrained"], outcome.summary["trained"]
    print_key_values(
        {
            "untrained_acceptance": untrained["heldout_acceptance"],
            "heldout_acceptance": trained["heldout_acceptance"],
            "heldout_tv": trained["heldout_tv"],
            "heldout_kl": trained["heldout_kl"],
            "run_dir": str(outcome.run_dir),
            "draft_path": str(outcome.draft),
            "checkpoint_path": outcome.summary["checkpoint"],
        },
        ["untrained_acceptance", "heldout_acceptance", "heldout_tv", "heldout_kl", "run_dir",
         "draft_path", "checkpoint_path"],
    )  # fmt: skip
    return 0


def _train_sweep(args: argparse.Namespace, executor: "Executor") -> int:
    """One `train_cell` per (objective, seed) on the executor; print the failures and the
    table of runs, write the table as train_sweep.parquet; exit 1 if any run failed."""
    import polars as pl

    from tsd import telemetry
    from tsd.cli.output import publish, write_tables
    from tsd.console import print_error, print_rows_table
    from tsd.errors import InvalidArgumentError
    from tsd.sweeps import run_cells
    from tsd.train.cells import cell_request, train_cell
    from tsd.train.run import check_request

    for flag in ("checkpoint", "resume"):
        if getattr(args, flag) is not None:
            raise InvalidArgumentError(
                f"{flag}: one checkpoint file holds one run, and {len(args.objective)} "
                f"objectives x {len(args.seed)} seeds make "
                f"{len(args.objective) * len(args.seed)}; give one objective and one seed"
            )
    at_once = not (args.executor == "local" and args.workers == 1)
    threads = 1 if args.threads is None and at_once else args.threads
    corpus = None if args.corpus is None else str(args.corpus)
    params = [
        {
            **_request_fields(args),
            "objective": objective,
            "seed": seed,
            "out": str(args.out),
            "checkpoint": str(args.out / f"checkpoint-{objective}-seed{seed}.pt"),
            "corpus": corpus,
            "threads": threads,
            "provenance": args.invocation.provenance(),
        }
        for objective in args.objective
        for seed in args.seed
    ]
    for cell in params:
        check_request(cell_request(cell))
    with telemetry.staged_run_dir(args.out) as stage:
        outcome = run_cells(train_cell, params, executor=executor)
        failures = [_shown_failure(failure.to_dict()) for failure in outcome.failures]
        for failure in failures:
            print_error(f"cell {failure['index']} {failure['params']}: {failure['error']}")
        if not outcome.rows:
            return 1
        frame = pl.DataFrame(outcome.rows)
        write_tables(stage, {"train_sweep": frame})
        config = {**_request_fields(args), "objectives": args.objective, "seeds": args.seed,
                  "corpus": corpus, "threads": threads}  # fmt: skip
        summary = {"sweep": "train_sweep", "config": config, "failures": failures}
        run_dir = publish(stage, summary, args)
    print(f"sweep_path={run_dir / 'train_sweep.parquet'}")
    shown = frame.drop("checkpoint_path")
    print_rows_table(f"{args.world} world, {args.data}, {args.layers} layers", shown)
    return 1 if outcome.failures else 0


def _shown_failure(failure: dict[str, Any]) -> dict[str, Any]:
    """A failed run as printed and recorded: its parameters without the provenance (the
    same for every run, and in summary.json already)."""
    params = {k: v for k, v in failure["params"].items() if k != "provenance"}
    return {**failure, "params": params}
