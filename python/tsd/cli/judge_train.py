"""Fit the AutoJudge head on mined labels (numpy only, seconds): standardised L2-regularised
logistic regression on the mine split for each C, the C of best validation ROC-AUC kept, and
the validation quantiles of its `prob_important` stored as the thresholds a judge sweeps.

  tsd judge train --labels runs/judge/mine/RUN
  tsd judge train --labels RUN/labels.parquet --C 0.01 0.1 1 --out runs/judge/head

Writes a run folder under --out: judge_head.safetensors (for `tsd bench lm --method autojudge
--autojudge-checkpoint PATH`), auc_by_c.parquet, thresholds.parquet (per threshold: the
validation accept rate of unimportant mismatches and the recall of important ones) and
summary.json. The judge is lossy: details in docs/JUDGE.md.
"""

import argparse
from pathlib import Path

from tsd.cli.args import output_path, positive_float, positive_int

SUMMARY = "fit the AutoJudge head (logistic regression) on mined labels (lossy judge)"
HEAD_FILE = "judge_head.safetensors"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The training flags."""
    parser.add_argument(
        "--labels", type=Path, required=True,
        help="a `tsd judge mine` run folder or its labels.parquet",
    )  # fmt: skip
    parser.add_argument(
        "--C", type=positive_float, nargs="+", dest="Cs", metavar="C",
        help="inverse regularisation strengths to try (default: the reference's grid, "
        "1e-7 ... 100)",
    )  # fmt: skip
    parser.add_argument(
        "--min-labels", type=positive_int, default=10,
        help="labels of each class needed in each of the mine and val splits",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=output_path, default=Path("runs/judge/head"), help="parent of the run folder"
    )


def execute(args: argparse.Namespace) -> int:
    """Read the labels, fit, write the run folder, print the tables and the paths."""
    import polars as pl

    from tsd import telemetry
    from tsd.cli.output import publish, write_tables
    from tsd.console import print_key_values, print_rows_table
    from tsd.judge.head import DEFAULT_CS, fit_judge_head, save_judge_head, threshold_table
    from tsd.judge.labels import read_labels

    labels = read_labels(args.labels)
    head = fit_judge_head(
        labels, Cs=DEFAULT_CS if args.Cs is None else args.Cs, min_labels=args.min_labels
    )
    x_val, y_val = labels.split("val")
    table = pl.DataFrame(threshold_table(head.prob_important(x_val), y_val, head.thresholds))
    table = table.insert_column(0, pl.Series("quantile", head.meta["threshold_quantiles"]))
    auc = pl.DataFrame(head.meta["auc_by_C"])
    with telemetry.staged_run_dir(args.out) as stage:
        save_judge_head(head, stage.path / HEAD_FILE)
        write_tables(stage, {"auc_by_c": auc, "thresholds": table})
        summary = {
            "lossy": True, "labels": str(args.labels), "head": HEAD_FILE, "meta": head.meta,
            "thresholds": table.to_dicts(),
        }  # fmt: skip
        run_dir = publish(stage, summary, args)
    print_rows_table("validation ROC-AUC per C", auc)
    print_rows_table(
        "AutoJudge thresholds (lossy: accept a mismatch when prob_important < threshold)", table
    )
    keys = ["C", "val_auc", "autojudge_train_samples", "autojudge_train_loss",
            "train_important", "train_unimportant", "val_important", "val_unimportant"]  # fmt: skip
    print_key_values(head.meta, keys)
    print(f"checkpoint_path={run_dir / HEAD_FILE}")
    print(f"run_dir={run_dir}")
    return 0
