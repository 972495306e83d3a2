"""What `tsd ts spec` measures, each as a function of laws and contexts: a forecast cell
(acceptance, target calls per step, wall time and MSE against target-only forecasting on the same
contexts), the two-sample KS test of emitted values against the target's own draws, and the
one-step acceptance against the target's σ (with the closed form) and against the lenient bias."""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from tsd.gaussian import craft, draw, overlap_1d, verify
from tsd.gaussian.verification import Mode
from tsd.ts.laws import Array, Law, sigma_of, with_sigma
from tsd.ts.speculative import (
    Forecast,
    SpecForecast,
    forecast_speculative,
    forecast_target_only,
)

__all__ = ["KS_ALPHA", "CellResult", "ks_rows", "measure_cell", "one_step_acceptance"]

# Family-wise level of the KS verdict: every (step, dimension) test must have p >= KS_ALPHA / m.
KS_ALPHA = 0.01


@dataclass(frozen=True)
class CellResult:
    """One forecast cell: the speculative forecast, its metrics row, and the target-only
    forecast it was timed against."""

    forecast: SpecForecast
    row: dict[str, Any]


def _mse(forecast: Forecast, truth: Array) -> float:
    return float(np.mean((forecast.values - truth) ** 2))


def measure_cell(
    target: Law,
    draft: Law,
    contexts: Array,
    truth: Array,
    k: int,
    mode: Mode,
    bias: float,
    seed: int,
) -> CellResult:
    """Forecast `contexts` ((N, window, d), truth (N, horizon, d)) speculatively and by the
    target alone, timed back to back, and report the speculative run against the target's."""
    horizon = truth.shape[1]
    began = time.perf_counter()
    baseline = forecast_target_only(target, contexts, horizon, seed)
    target_wall = time.perf_counter() - began
    began = time.perf_counter()
    spec = forecast_speculative(target, draft, contexts, horizon, k, seed, mode, bias)
    spec_wall = time.perf_counter() - began
    calls = int(spec.target_calls.sum())
    steps = contexts.shape[0] * horizon
    rejected = spec.blocks.accepted < k
    row = {
        "k": k, "mode": mode, "bias": bias, "acceptance": spec.acceptance,
        "steps_per_call": steps / calls, "target_calls_per_step": calls / steps,
        "fewer_target_calls": float(baseline.target_calls.sum()) / calls,
        "mean_tries_per_rejection": float(spec.blocks.tries[rejected].mean())
        if rejected.any() else 0.0,
        "mse": _mse(spec, truth), "target_only_mse": _mse(baseline, truth),
        "wall_s": spec_wall, "target_only_wall_s": target_wall,
        "wall_speedup": target_wall / spec_wall,
    }  # fmt: skip
    return CellResult(spec, row)


def ks_rows(emitted: Array, reference: Array) -> list[dict[str, Any]]:
    """Two-sample KS of emitted values against the target's own draws, per step and dimension
    of (N, steps, d) arrays; `passed` applies the Bonferroni rule at `KS_ALPHA`."""
    _, steps, dim = emitted.shape
    level = KS_ALPHA / (steps * dim)
    rows = []
    for step in range(steps):
        for d in range(dim):
            found = stats.ks_2samp(emitted[:, step, d], reference[:, step, d])
            rows.append({
                "step": step + 1, "dim": d, "statistic": float(found.statistic),
                "pvalue": float(found.pvalue), "samples": len(emitted),
                "passed": bool(found.pvalue >= level),
            })  # fmt: skip
    return rows


def one_step_acceptance(
    target: Law,
    draft: Law,
    contexts: Array,
    seed: int,
    mode: Mode,
    bias: float,
    sigma: float | None = None,
) -> tuple[float, float]:
    """Acceptance of one drafted step at each context against the target (with σ = `sigma`
    where given), measured, and the closed form (1-D exact mode only; NaN otherwise)."""
    target_at = target if sigma is None else with_sigma(target, sigma)
    mean, logvar = draft(contexts)
    payloads = craft(mean, logvar)
    steps = np.arange(len(contexts), dtype=np.uint64)
    drafted = draw(payloads, seed, steps).values
    target_mean, target_logvar = target_at(contexts)
    target_sigma = sigma_of(target_logvar)
    verdicts = verify(payloads, drafted, target_mean, target_sigma, seed, steps, mode, bias)
    measured = float(verdicts.accepted.mean())
    if mode != "exact" or mean.shape[1] != 1:
        return measured, float("nan")
    closed = [
        overlap_1d(float(mp), float(sp), float(mq), float(sq))
        for mp, sp, mq, sq in zip(
            target_mean[:, 0], target_sigma[:, 0], payloads.means[:, 0], payloads.sigmas[:, 0],
            strict=True,
        )
    ]  # fmt: skip
    return measured, float(np.mean(closed))
