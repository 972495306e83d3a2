"""Distil a draft from a target (extra `train`): a character transformer from the Kneser–Ney
6-gram on Tiny Shakespeare (minutes), or a shallow SmolLM2 (1, 2 or 4 of its layers) from
SmolLM2-135M itself (minutes to tens of minutes on 2 CPU cores).

  tsd train draft --world char --objective tv --steps 300
  tsd train draft --world smollm2 --objective fkl --layers 2 --steps 400 --out DIR
  tsd train draft ... --steps 800 --resume DIR/checkpoint.pt

Objectives: fkl KL(p‖q), rkl KL(q‖p), jsd, tv (total variation = 1 − acceptance), mix
(½ fkl + ½ tv). Data: off-policy (windows of a corpus or of the target's own answers) or
on-policy (the student's own continuations, scored by the target).

Writes a run folder under --out: draft/ (a transformers model folder with its tokenizer, for
`tsd bench lm --draft PATH`), train_log.parquet (step, objective, loss, held-out acceptance,
TV and KL), train_log.png and summary.json; checkpoints go to --checkpoint (atomically, every
--checkpoint-every steps). Details in docs/TRAIN.md.
"""

import argparse
from pathlib import Path

from tsd.cli.args import non_negative_int, output_path, positive_float, positive_int

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
    parser.add_argument("--objective", choices=OBJECTIVES, default="tv", help="loss")
    parser.add_argument("--data", choices=DATA_KINDS, default="off-policy", help="contexts")
    parser.add_argument("--layers", type=positive_int, default=2, help="student decoder layers")
    parser.add_argument("--steps", type=positive_int, default=300, help="optimiser steps")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="windows per step")
    parser.add_argument("--lr", type=positive_float, default=3e-3, help="AdamW learning rate")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="seed of init and data")
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
        "--checkpoint", type=output_path, help="checkpoint file (default: OUT/checkpoint.pt)"
    )
    parser.add_argument("--resume", type=Path, help="continue from this checkpoint file")
    parser.add_argument("--corpus", type=Path, help="char world: train on this text instead")
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads (default: torch's)")


def execute(args: argparse.Namespace) -> int:
    """Train, then print the held-out acceptance before and after and the output paths."""
    import importlib.util
    import sys

    from tsd.errors import BackendUnavailableError

    missing = [name for name in TRAIN_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendUnavailableError(
            f"train: needs {', '.join(missing)}; pip install 'thermo-speculative[train]'"
        )
    from tsd.cli.output import publish
    from tsd.console import print_key_values
    from tsd.experiments.lm_models import torch_threads
    from tsd.train.progress import training_progress
    from tsd.train.run import TrainRequest, run_training

    request = TrainRequest(
        world=args.world, objective=args.objective, data=args.data, layers=args.layers,
        steps=args.steps, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
        eval_every=args.eval_every, checkpoint_every=args.checkpoint_every, out=args.out,
        checkpoint=args.checkpoint, resume=args.resume, corpus=args.corpus,
    )  # fmt: skip

    def note(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    title = f"{args.world} {args.objective} {args.data} {args.layers}L"
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
