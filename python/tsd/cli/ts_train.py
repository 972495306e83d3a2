"""Train a time-series target forecaster and its drafts (extra `ts`), for continuous
speculative forecasting with the Gaussian ψ.

  tsd ts train --dataset co2
  tsd ts train --dataset macrodata --window 8 --spec-sigma 0.5
  tsd ts train --csv data.csv --column load temp --window 24 --drafts nll
  tsd ts train --dataset co2 --target-steps 800 --resume --checkpoints DIR

Series: the shipped `co2` (weekly Mauna Loa CO2, gaps filled by linear interpolation) and
`macrodata` (quarterly US growth of GDP, consumption, investment: d = 3), or columns of any CSV
(NaN or infinite values there are an error). Windows are split in time order 70/15/15 into
train, validation and test, standardised with the train part's mean and scale.

The target is an MLP with a Gaussian head over the window: learned mean and log-variance, or
a fixed σ (`--spec-sigma`, standardised units). Drafts are smaller MLPs trained from the
target's outputs: `mse` (deterministic: its mean, by MSE) and `nll` (stochastic: mean and
log-variance, by Gaussian NLL of the target's mean plus `--draft-teacher-noise`, with
`--draft-nll-var-reg` pulling its log-variance towards the target's). A mean log-variance
that collapses towards −10 is reported; one at the floor of the ψ's range stops training.

Writes a run folder under --out: models/{target,draft-mse,draft-nll}.safetensors,
train_log.parquet and summary.json; checkpoints (one per model) go to --checkpoints. Details
in docs/TIMESERIES.md.
"""

import argparse
from pathlib import Path

from tsd.cli.args import non_negative_int, output_path, positive_float, positive_int

SUMMARY = "train a time-series target forecaster and its Gaussian drafts"
# tsd.ts.series.DATASETS and tsd.ts.run.DRAFTS, spelled out so that --help imports no torch;
# statsmodels is checked when a --dataset is read (a --csv run does not need it).
DATASETS = ("co2", "macrodata")
DRAFTS = ("mse", "nll")
TS_EXTRA = ("torch", "safetensors")


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The series, model and training flags."""
    parser.add_argument("--dataset", choices=DATASETS, help="a series shipped with statsmodels")
    parser.add_argument("--csv", type=Path, help="a CSV file instead of --dataset")
    parser.add_argument("--column", nargs="+", default=[], help="the CSV's columns to forecast")
    parser.add_argument("--window", type=positive_int, default=16, help="context steps")
    parser.add_argument("--target-hidden", type=positive_int, default=64, help="target width")
    parser.add_argument("--target-layers", type=positive_int, default=2, help="target depth")
    parser.add_argument("--draft-hidden", type=positive_int, default=16, help="draft width")
    parser.add_argument("--draft-layers", type=positive_int, default=1, help="draft depth")
    parser.add_argument(
        "--spec-sigma", type=positive_float,
        help="fix the target's σ (standardised units) instead of learning it",
    )  # fmt: skip
    parser.add_argument(
        "--drafts", choices=DRAFTS, nargs="+", default=list(DRAFTS), help="drafts to train"
    )
    parser.add_argument("--target-steps", type=positive_int, default=600, help="target steps")
    parser.add_argument("--draft-steps", type=positive_int, default=600, help="steps per draft")
    parser.add_argument("--lr", type=positive_float, default=3e-3, help="AdamW learning rate")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="windows per step")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="init and batches")
    parser.add_argument("--eval-every", type=positive_int, default=50, help="validation cadence")
    parser.add_argument(
        "--checkpoint-every", type=positive_int, default=100, help="checkpoint cadence"
    )
    parser.add_argument(
        "--draft-teacher-noise", type=_non_negative_float, default=0.05,
        help="σ of the noise added to the target's mean (stochastic draft)",
    )  # fmt: skip
    parser.add_argument(
        "--draft-nll-var-reg", type=_non_negative_float, default=0.01,
        help="weight of the draft's log-variance gap to the target's (against collapse)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=output_path, default=Path("runs/ts"), help="parent of the run folder"
    )
    parser.add_argument(
        "--checkpoints", type=output_path, help="checkpoint folder (default: OUT/checkpoints)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the checkpoints in --checkpoints"
    )
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads")


def execute(args: argparse.Namespace) -> int:
    """Train, showing a progress bar per model, then print the validation metrics."""
    import sys
    from typing import Any

    from tsd.cli.output import publish
    from tsd.console import print_key_values
    from tsd.extras import require_extra

    require_extra("ts", TS_EXTRA, needed_by="ts train")
    import torch

    from tsd.ts.progress import stage_progress
    from tsd.ts.run import TsTrainRequest, run_ts_training

    request = TsTrainRequest(
        dataset=args.dataset, csv=args.csv, columns=tuple(args.column), window=args.window,
        target_hidden=args.target_hidden, target_layers=args.target_layers,
        draft_hidden=args.draft_hidden, draft_layers=args.draft_layers,
        spec_sigma=args.spec_sigma, drafts=tuple(args.drafts), target_steps=args.target_steps,
        draft_steps=args.draft_steps, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
        eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
        teacher_noise=args.draft_teacher_noise, var_reg=args.draft_nll_var_reg, out=args.out,
        checkpoints=args.checkpoints or args.out / "checkpoints", resume=args.resume,
    )  # fmt: skip

    def warn(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    steps = {"target": args.target_steps, "draft-mse": args.draft_steps,
             "draft-nll": args.draft_steps}  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads or threads)
    try:
        with stage_progress(steps) as report:
            run_dir, summary = run_ts_training(
                request, lambda stage, found: publish(stage, found, args), report=report, warn=warn
            )
    finally:
        torch.set_num_threads(threads)
    shown: dict[str, Any] = {}
    for name, found in summary["models"].items():
        for key in ("val_nll", "val_mse", "val_logvar"):
            if found[key] is not None:
                shown[f"{name}_{key}"] = found[key]
    shown["run_dir"] = str(run_dir)
    print_key_values(shown, list(shown))
    return 0
