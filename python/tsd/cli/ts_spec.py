"""Speculative forecasting with Gaussian ψ drafts on a `tsd ts train` run (extra `ts`).

  tsd ts spec --run runs/ts/RUN
  tsd ts spec --run runs/ts/RUN --drafts nll --k 4 --modes exact --ks-samples 0
  tsd ts spec --run runs/ts/RUN --spec-sigma 0.05 --spec-accept-bias 1.5

From evenly spaced test windows (--contexts, each --samples times) it samples --horizon steps
by the target alone and speculatively: the draft proposes K steps, each drawn by the simulated
TSU from its Gaussian ψ, and one target call verifies them. Per draft, K and mode: acceptance,
target calls per emitted step, MSE to the true continuation and wall time, each beside
target-only forecasting of the same contexts. Modes: `exact` (the target's law exactly; the
default), and the lossy `lenient` (acceptance bias b = --spec-accept-bias) and
`resample-target` (STRIDE's rejection path). A two-sample KS test compares each mode's values
over the first K + 1 steps from one context against the target's own draws (--ks-samples each).

Writes a run folder under --out: results, ks, acceptance_sweep and samples (per judged draft
step) as Parquet and CSV, forecast.png, acceptance.png and summary.json. Details in
docs/TIMESERIES.md.
"""

import argparse
from pathlib import Path

from tsd.cli.args import non_negative_int, output_path, positive_float, positive_int

SUMMARY = "speculative forecasting with Gaussian ψ drafts on a trained run"
# tsd.ts.run.DRAFTS and tsd.gaussian.MODES, spelled out so that --help imports no torch.
DRAFTS = ("mse", "nll")
MODES = ("exact", "lenient", "resample-target")
TS_EXTRA = ("torch", "safetensors", "scipy")
SHOWN = ("draft", "k", "mode", "bias", "acceptance", "steps_per_call", "fewer_target_calls",
         "mse", "target_only_mse", "wall_speedup")  # fmt: skip


def _bias(text: str) -> float:
    value = float(text)
    if not value >= 1.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be finite and >= 1, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The run, cells, sizes and output flags."""
    parser.add_argument("--run", type=Path, required=True, help="a `tsd ts train` run folder")
    parser.add_argument(
        "--drafts", choices=DRAFTS, nargs="+", default=list(DRAFTS), help="drafts to measure"
    )
    parser.add_argument(
        "--k", type=positive_int, nargs="+", default=[2, 3, 4, 5], help="draft steps per call"
    )
    parser.add_argument(
        "--modes", choices=MODES, nargs="+", default=list(MODES), help="verification modes"
    )
    parser.add_argument(
        "--spec-accept-bias", type=_bias, default=2.0, help="the lenient mode's bias b (>= 1)"
    )
    parser.add_argument(
        "--spec-sigma", type=positive_float,
        help="replace the target's σ by this (standardised units)",
    )  # fmt: skip
    parser.add_argument("--horizon", type=positive_int, default=24, help="steps per forecast")
    parser.add_argument("--contexts", type=positive_int, default=64, help="test windows used")
    parser.add_argument("--samples", type=positive_int, default=16, help="paths per context")
    parser.add_argument(
        "--ks-samples", type=non_negative_int, default=100_000,
        help="paths per mode in the KS test (0: skip it)",
    )  # fmt: skip
    parser.add_argument(
        "--ks-k", type=positive_int, help="K of the KS test and diagnostics (default: largest)"
    )
    parser.add_argument(
        "--ks-context", type=non_negative_int, default=0, help="which context the KS test uses"
    )
    parser.add_argument("--seed", type=non_negative_int, default=0, help="TSU and verifier seed")
    parser.add_argument(
        "--out", type=output_path, default=Path("runs/ts-spec"), help="parent of the run folder"
    )
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads")


def execute(args: argparse.Namespace) -> int:
    """Measure, printing a line per cell, then the results table and the KS verdicts."""
    import sys

    from tsd.cli.output import publish
    from tsd.extras import require_extra

    require_extra("ts", TS_EXTRA, needed_by="ts spec")
    import polars as pl
    import torch

    from tsd.console import print_rows_table
    from tsd.ts.spec_run import TsSpecRequest, run_ts_spec

    request = TsSpecRequest(
        run=args.run, drafts=tuple(args.drafts), ks=tuple(args.k), modes=tuple(args.modes),
        bias=args.spec_accept_bias, horizon=args.horizon, contexts=args.contexts,
        samples=args.samples, ks_samples=args.ks_samples, ks_k=args.ks_k or max(args.k),
        ks_context=args.ks_context, spec_sigma=args.spec_sigma, seed=args.seed, out=args.out,
    )  # fmt: skip
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads or threads)
    try:
        run_dir, summary = run_ts_spec(
            request, lambda stage, found: publish(stage, found, args),
            report=lambda line: print(line, file=sys.stderr, flush=True),
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    results = pl.read_parquet(run_dir / "results.parquet").select(SHOWN)
    print_rows_table("speculative forecasting against the target alone", results)
    for cell, passed in summary["ks_passed"].items():
        print(f"ks_{cell}={'pass' if passed else 'fail'}")
    print(f"run_dir={run_dir}")
    return 0
