"""tsd.ts.speculative on a Gaussian AR(1) target with a closed-form law: exact speculative
forecasts follow it at every step (KS at 10^5 paths), the lossy modes and a planted bug in the
bonus draw do not (the power check); the trace adds up; the same seed gives the same paths."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

pytest.importorskip("torch")

from tsd.errors import InvalidArgumentError
from tsd.gaussian import LOGVAR_MIN
from tsd.ts import speculative
from tsd.ts.laws import Array, forecaster_law, with_sigma
from tsd.ts.models import Architecture, Forecaster
from tsd.ts.speculative import forecast_speculative, forecast_target_only

A, SIGMA, START = 0.9, 0.5, 1.0
PATHS, HORIZON, K = 100_000, 5, 4


def target(contexts: Array) -> tuple[Array, Array]:
    mean = A * contexts[:, -1, :]
    return mean, np.full_like(mean, 2.0 * np.log(SIGMA))


def draft(contexts: Array) -> tuple[Array, Array]:
    mean = 0.8 * contexts[:, -1, :] + 0.1
    return mean, np.full_like(mean, 2.0 * np.log(0.6))


def ar1_pvalues(values: Array) -> list[float]:
    """KS p-value of each step's values against the AR(1) marginal from START."""
    found = []
    for step in range(values.shape[1]):
        var = SIGMA**2 * sum(A ** (2 * i) for i in range(step + 1))
        law = (A ** (step + 1) * START, np.sqrt(var))
        found.append(stats.kstest(values[:, step, 0], "norm", args=law).pvalue)
    return found


@pytest.fixture(scope="module")
def contexts() -> Array:
    return np.full((PATHS, 3, 1), START)


def test_target_only_and_exact_speculative_forecasts_follow_the_target(contexts: Array) -> None:
    alone = forecast_target_only(target, contexts, HORIZON, seed=3)
    assert min(ar1_pvalues(alone.values)) > 1e-3
    spec = forecast_speculative(target, draft, contexts, HORIZON, K, seed=3)
    assert min(ar1_pvalues(spec.values)) > 1e-3
    assert 0.5 < spec.acceptance < 0.95
    assert spec.target_calls.mean() < HORIZON / 2


@pytest.mark.parametrize(("mode", "bias"), [("lenient", 2.0), ("resample-target", 1.0)])
def test_the_lossy_modes_fail_the_same_test(contexts: Array, mode: Any, bias: float) -> None:
    spec = forecast_speculative(target, draft, contexts, HORIZON, K, 3, mode, bias)
    assert min(ar1_pvalues(spec.values)) < 1e-6


def test_a_planted_bug_in_the_bonus_draw_fails(
    contexts: Array, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target's mean instead of a draw after a fully accepted block: only the step after
    each such block is wrong, and the test sees it."""
    monkeypatch.setattr(speculative, "draw_target", lambda mean, sigma, seed, steps: mean)
    spec = forecast_speculative(target, draft, contexts, HORIZON, 2, seed=3)
    assert min(ar1_pvalues(spec.values)) < 1e-6


def test_the_trace_adds_up_and_kept_drafts_are_the_emitted_values() -> None:
    rng = np.random.default_rng(0)
    contexts = rng.normal(size=(64, 3, 2))
    horizon, k = 9, 3
    spec = forecast_speculative(target, draft, contexts, horizon, k, seed=5)
    blocks, steps = spec.blocks, spec.steps
    assert np.array_equal(np.bincount(blocks.path, minlength=64), spec.target_calls)
    emitted = np.bincount(blocks.path, weights=blocks.emitted, minlength=64)
    assert (emitted >= horizon).all()
    assert (emitted < horizon + k + 1).all()
    assert ((blocks.accepted <= k) & (blocks.emitted >= 1)).all()
    full = blocks.accepted == k
    assert np.array_equal(blocks.emitted, blocks.accepted + 1)
    assert (blocks.tries[full] == 0).all()
    assert steps.kept.sum() == blocks.accepted.sum()
    kept = steps.kept & (blocks.start[steps.block] + steps.position < horizon)
    t = blocks.start[steps.block] + steps.position
    path = blocks.path[steps.block]
    assert np.array_equal(spec.values[path[kept], t[kept]], steps.value[kept])
    assert np.isfinite(spec.values).all()


def test_the_same_seed_gives_the_same_paths_and_another_does_not() -> None:
    contexts = np.random.default_rng(1).normal(size=(32, 3, 1))
    runs = [forecast_speculative(target, draft, contexts, 8, 3, seed) for seed in (7, 7, 8)]
    assert np.array_equal(runs[0].values, runs[1].values)
    assert not np.array_equal(runs[0].values, runs[2].values)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: forecast_target_only(target, np.zeros((2, 3)), 4, 0), "contexts"),
        (lambda: forecast_target_only(target, np.full((2, 3, 1), np.nan), 4, 0), "contexts"),
        (lambda: forecast_target_only(target, np.zeros((2, 3, 1)), 0, 0), "horizon"),
        (lambda: forecast_speculative(target, draft, np.zeros((2, 3, 1)), 4, 0, 0), "k"),
        (lambda: with_sigma(target, 0.0), "spec_sigma"),
        (lambda: with_sigma(target, -1.0), "spec_sigma"),
    ],
)
def test_bad_input_names_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"^{field}:"):
        call()


def test_a_deterministic_draft_is_sent_at_the_narrowest_variance() -> None:
    model = Forecaster(Architecture(window=3, dim=2, hidden=4, layers=1, head="mean"))
    mean, logvar = forecaster_law(model)(np.zeros((5, 3, 2)))
    assert mean.shape == logvar.shape == (5, 2)
    assert (logvar == LOGVAR_MIN).all()
