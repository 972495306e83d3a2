"""`tsd ts spec` as a function: speculative forecasting with a `tsd ts train` run's target and
drafts on its test windows. For every draft, K and mode it measures acceptance, target calls per
emitted step, MSE and wall time against target-only forecasting of the same contexts; for every
draft and mode, a two-sample KS test of emitted values against the target's own draws from one
context; and the one-step acceptance against the target's σ and the lenient bias. Everything
goes into a staged run folder (complete or absent)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from tsd import plots, telemetry
from tsd._checks import check_float, check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.gaussian import MODES
from tsd.gaussian.verification import Mode
from tsd.telemetry import StagedRunDir
from tsd.ts.laws import Array, Law, forecaster_law, sigma_of, with_sigma
from tsd.ts.run import DRAFTS, TrainedRun, open_run
from tsd.ts.spec_measure import ks_rows, measure_cell, one_step_acceptance
from tsd.ts.speculative import SpecForecast, forecast_speculative, forecast_target_only

__all__ = ["TsSpecRequest", "run_ts_spec"]

# The target's σ in the σ sweep, as multiples of its mean σ over the contexts.
SIGMA_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
BIASES = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
# Seed offset of the target-only draws the KS test compares against (an independent stream).
REFERENCE_SEED_OFFSET = 1
# Sampled paths behind the forecast plot's bands.
PLOT_PATHS = 1000


@dataclass(frozen=True)
class TsSpecRequest:
    """Everything `tsd ts spec` was asked for (see its --help for each field)."""

    run: Path
    drafts: tuple[str, ...]
    ks: tuple[int, ...]
    modes: tuple[Mode, ...]
    bias: float
    horizon: int
    contexts: int
    samples: int
    ks_samples: int
    ks_k: int
    ks_context: int
    spec_sigma: float | None
    seed: int
    out: Path

    def __post_init__(self) -> None:
        if not self.drafts or any(d not in DRAFTS for d in self.drafts):
            raise InvalidArgumentError(f"drafts: give kinds of {', '.join(DRAFTS)}")
        for k in (*self.ks, self.ks_k):
            check_int("k", k, 1, 64)
        if not self.ks:
            raise InvalidArgumentError("k: give at least one K")
        if not self.modes or any(m not in MODES for m in self.modes):
            raise InvalidArgumentError(f"modes: give modes of {', '.join(MODES)}")
        if check_float("spec_accept_bias", self.bias) < 1.0:
            raise InvalidArgumentError(
                f"spec_accept_bias: must be >= 1 (b < 1 rejects drafts the target accepts), "
                f"got {self.bias}"
            )
        check_int("horizon", self.horizon, 1)
        check_int("contexts", self.contexts, 1)
        check_int("samples", self.samples, 1)
        check_int("ks_samples", self.ks_samples, 0)
        check_int("ks_context", self.ks_context, 0)
        if self.spec_sigma is not None:
            check_float("spec_sigma", self.spec_sigma, positive=True)
        check_seed(self.seed)


@dataclass(frozen=True)
class Contexts:
    """Forecast start points: test windows evenly spaced, each `samples` times, with the
    series' true continuation."""

    index: NDArray[np.int64]
    windows: Array
    truth: Array


def _contexts(run: TrainedRun, request: TsSpecRequest) -> Contexts:
    inputs, targets = run.splits.test
    starts = len(inputs) - request.horizon + 1
    if starts < 1:
        raise InvalidArgumentError(
            f"horizon: the test part has {len(inputs)} windows; a horizon of {request.horizon} "
            "leaves none with its true continuation"
        )
    if request.contexts > starts:
        raise InvalidArgumentError(
            f"contexts: the test part has {starts} windows with {request.horizon} steps after "
            f"them, fewer than {request.contexts}"
        )
    if request.ks_context >= request.contexts:
        raise InvalidArgumentError(
            f"ks_context: must be below --contexts {request.contexts}, got {request.ks_context}"
        )
    index = np.linspace(0, starts - 1, request.contexts).round().astype(np.int64)
    truth = np.stack([targets[i : i + request.horizon] for i in index])
    return Contexts(
        index=index,
        windows=np.repeat(inputs[index], request.samples, axis=0),
        truth=np.repeat(truth, request.samples, axis=0),
    )


def _bias(mode: str, request: TsSpecRequest) -> float:
    return request.bias if mode == "lenient" else 1.0


def _trace_frame(
    forecast: SpecForecast, labels: dict[str, Any], samples: int, contexts: Contexts
) -> pl.DataFrame:
    """Per-sample diagnostics: one row per judged drafted step and dimension (`context` is
    the test window the path starts from)."""
    truth = contexts.truth
    steps, blocks = forecast.steps, forecast.blocks
    path = blocks.path[steps.block]
    t = blocks.start[steps.block] + steps.position
    dim = steps.value.shape[1]
    rows = len(path)
    columns: dict[str, Any] = {
        "context": np.repeat(contexts.index[path // samples], dim),
        "sample": np.repeat(path % samples, dim),
        "block": np.repeat(steps.block, dim), "step": np.repeat(t + 1, dim),
        "position": np.repeat(steps.position, dim), "kept": np.repeat(steps.kept, dim),
        "dim": np.tile(np.arange(dim), rows), "value": steps.value.ravel(),
        "draft_mean": steps.draft_mean.ravel(), "draft_logvar": steps.draft_logvar.ravel(),
        "target_mean": steps.target_mean.ravel(), "target_logvar": steps.target_logvar.ravel(),
    }  # fmt: skip
    inside = t < truth.shape[1]
    truth_at = np.full((rows, dim), np.nan)
    truth_at[inside] = truth[path[inside], t[inside]]
    columns["truth"] = truth_at.ravel()
    frame = pl.DataFrame(columns)
    return frame.select(*(pl.lit(v).alias(k) for k, v in labels.items()), pl.all())


KS_SCHEMA = {
    "draft": pl.String, "mode": pl.String, "bias": pl.Float64, "k": pl.Int64, "step": pl.Int64,
    "dim": pl.Int64, "statistic": pl.Float64, "pvalue": pl.Float64, "samples": pl.Int64,
    "passed": pl.Boolean,
}  # fmt: skip


def _ks_table(
    target: Law,
    drafts: dict[str, Law],
    contexts: Contexts,
    request: TsSpecRequest,
    report: Callable[[str], None],
) -> pl.DataFrame:
    """KS of each draft and mode's emitted values over the K + 1 steps after one context
    against the target's own draws there (an independent seed)."""
    rows: list[dict[str, Any]] = []
    if request.ks_samples == 0:
        return pl.DataFrame(rows, schema=KS_SCHEMA)
    start = contexts.windows[request.ks_context * request.samples]
    windows = np.repeat(start[None], request.ks_samples, axis=0)
    horizon = request.ks_k + 1
    reference = forecast_target_only(
        target, windows, horizon, request.seed + REFERENCE_SEED_OFFSET
    ).values
    for draft, law in drafts.items():
        for mode in request.modes:
            bias = _bias(mode, request)
            emitted = forecast_speculative(
                target, law, windows, horizon, request.ks_k, request.seed, mode, bias,
            ).values  # fmt: skip
            found = ks_rows(emitted, reference)
            rows += [{"draft": draft, "mode": mode, "bias": bias, "k": request.ks_k, **r}
                     for r in found]  # fmt: skip
            verdict = "passes" if all(r["passed"] for r in found) else "fails"
            report(f"KS at {request.ks_samples} draws: draft {draft}, {mode}: {verdict} "
                   f"(min p {min(r['pvalue'] for r in found):.3g})")  # fmt: skip
    return pl.DataFrame(rows, schema=KS_SCHEMA)


def _ks_verdicts(ks: pl.DataFrame) -> list[dict[str, Any]]:
    """One verdict per draft and mode: every step's and dimension's test passed."""
    verdicts = ks.group_by("draft", "mode", maintain_order=True).agg(pl.col("passed").all())
    return list(verdicts.iter_rows(named=True))


def _best(results: pl.DataFrame) -> dict[str, Any]:
    """The exact cell with the fewest target calls per step (any cell if none is exact)."""
    exact = results.filter(pl.col("mode") == "exact")
    return (exact if len(exact) else results).sort("target_calls_per_step").row(0, named=True)


def _sweeps(
    target: Law, drafts: dict[str, Law], windows: Array, request: TsSpecRequest
) -> pl.DataFrame:
    """One-step acceptance of each draft against the target's σ (multiples of its mean σ over
    the contexts; measured and closed form) and against the lenient bias."""
    _, logvar = target(windows)
    sigma = float(sigma_of(logvar).mean())
    rows = []
    for draft, law in drafts.items():
        for factor in SIGMA_FACTORS:
            measured, closed = one_step_acceptance(
                target, law, windows, request.seed, "exact", 1.0, sigma * factor
            )
            rows.append({"sweep": "sigma", "draft": draft, "x": sigma * factor,
                         "measured": measured, "closed_form": closed})  # fmt: skip
        for bias in BIASES:
            mode: Mode = "exact" if bias == 1.0 else "lenient"
            measured, closed = one_step_acceptance(target, law, windows, request.seed, mode, bias)
            rows.append({"sweep": "bias", "draft": draft, "x": bias, "measured": measured,
                         "closed_form": closed})  # fmt: skip
    return pl.DataFrame(rows)


def _plots(
    folder: Path,
    run: TrainedRun,
    target: Law,
    drafts: dict[str, Law],
    contexts: Contexts,
    request: TsSpecRequest,
    sweeps: pl.DataFrame,
) -> None:
    """forecast.png (one context: target-only and speculative bands, in the series' units)
    and acceptance.png (against σ and bias)."""
    scale, mean = run.splits.scale, run.splits.mean
    start = contexts.windows[request.ks_context * request.samples]
    windows = np.repeat(start[None], PLOT_PATHS, axis=0)
    draft = "nll" if "nll" in drafts else next(iter(drafts))
    alone = forecast_target_only(target, windows, request.horizon, request.seed).values
    spec = forecast_speculative(
        target, drafts[draft], windows, request.horizon, request.ks_k, request.seed
    ).values

    def units(values: Array) -> Array:
        return values * scale + mean

    plots.forecast_bands(
        units(start), units(contexts.truth[request.ks_context * request.samples]),
        {"target alone": units(alone), f"speculative ({draft} draft, K={request.ks_k}, exact)":
         units(spec)}, folder / "forecast.png",
    )  # fmt: skip
    plots.acceptance_sweeps(
        {
            sweep: {
                draft: tuple(
                    sweeps.filter((pl.col("sweep") == sweep) & (pl.col("draft") == draft))
                    .get_column(c)
                    .to_numpy()
                    for c in ("x", "measured", "closed_form")
                )
                for draft in drafts
            }
            for sweep in ("sigma", "bias")
        },
        folder / "acceptance.png",
    )


def run_ts_spec(
    request: TsSpecRequest,
    publish: Callable[[StagedRunDir, dict[str, Any]], Path],
    *,
    report: Callable[[str], None] = lambda line: None,
) -> tuple[Path, dict[str, Any]]:
    """Measure every cell and write the tables, plots and summary; return the run folder."""
    run = open_run(request.run)
    missing = [d for d in request.drafts if f"draft-{d}" not in run.models]
    if missing:
        raise InvalidArgumentError(
            f"drafts: {request.run} has no draft {', '.join(missing)} (train it with --drafts)"
        )
    contexts = _contexts(run, request)
    target = forecaster_law(run.models["target"])
    if request.spec_sigma is not None:
        target = with_sigma(target, request.spec_sigma)
    drafts = {d: forecaster_law(run.models[f"draft-{d}"]) for d in request.drafts}
    cells = [(d, k, m) for d in request.drafts for k in request.ks for m in request.modes]
    rows, traces = [], []
    forecast_target_only(target, contexts.windows, 1, request.seed)  # warm-up: first calls pay
    for number, (draft, k, mode) in enumerate(cells, 1):
        bias = _bias(mode, request)
        cell = measure_cell(
            target, drafts[draft], contexts.windows, contexts.truth, k, mode, bias, request.seed
        )
        rows.append({"draft": draft, **cell.row})
        if k == request.ks_k:
            labels = {"draft": draft, "k": k, "mode": mode, "bias": bias}
            traces.append(_trace_frame(cell.forecast, labels, request.samples, contexts))
        report(
            f"cell {number}/{len(cells)}: draft {draft}, K {k}, {mode}: acceptance "
            f"{cell.row['acceptance']:.3f}, {cell.row['steps_per_call']:.2f} steps per call"
        )
    ks = _ks_table(target, drafts, contexts, request, report)
    sweeps = _sweeps(target, drafts, contexts.windows, request)
    with telemetry.staged_run_dir(request.out) as stage:
        results = pl.DataFrame(rows)
        tables = {"results": results, "ks": ks, "acceptance_sweep": sweeps}
        if traces:
            tables["samples"] = pl.concat(traces)
        for stem, frame in tables.items():
            telemetry.write_telemetry(stage.path, frame, stem, ("parquet", "csv"))
        _plots(stage.path, run, target, drafts, contexts, request, sweeps)
        summary = {
            "run": str(request.run), "series": run.summary["series"],
            "config": {k: (str(v) if isinstance(v, Path) else v)
                       for k, v in request.__dict__.items()},
            "ks_passed": {f"{r['draft']}/{r['mode']}": r["passed"] for r in _ks_verdicts(ks)},
            "best": _best(results),
        }  # fmt: skip
        run_dir = publish(stage, summary)
    return run_dir, summary
