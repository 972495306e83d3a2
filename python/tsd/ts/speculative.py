"""Sampled forecasts of `horizon` steps from each context, by the target alone (one target call
per step) or speculatively: the draft proposes K steps autoregressively, one Gaussian ψ per step
drawn by the TSU, and one batched target call over the K + 1 contexts verifies them
(`tsd.gaussian.verify_blocks`), emitting the accepted prefix and the correction at the first
rejection, or a target draw after a fully accepted block.

Randomness: path n's step t reads step n·stride + t of `seed` (stride = horizon + K + 1) on the
TSU's and the verifier's streams, so every value is replayable from (seed, n, t). A block
rejected at step t leaves the draws it made past t unused; the next block redraws those steps
from new payloads at the same stream positions, which no emitted value has depended on.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.gaussian import craft, draw, draw_target, verify_blocks
from tsd.gaussian.verification import Mode
from tsd.ts.laws import Array, Law, sigma_of

__all__ = [
    "Blocks",
    "DraftedSteps",
    "Forecast",
    "SpecForecast",
    "forecast_speculative",
    "forecast_target_only",
]

Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Forecast:
    """Sampled paths (N, horizon, d) and the target calls each took (N,)."""

    values: Array
    target_calls: Ints


@dataclass(frozen=True)
class Blocks:
    """One row per verified block, in the order made: its path, first step, drafts accepted,
    values emitted (accepted + the correction or the target's draw), residual tries."""

    path: Ints
    start: Ints
    accepted: Ints
    emitted: Ints
    tries: Ints


@dataclass(frozen=True)
class DraftedSteps:
    """One row per drafted step the verifier judged (those up to each block's first rejection):
    its block, position in the block, whether kept, the value drawn from its ψ, the draft's
    (realised, dequantised) and the target's mean and log-variance, each (M, d)."""

    block: Ints
    position: Ints
    kept: NDArray[np.bool_]
    value: Array
    draft_mean: Array
    draft_logvar: Array
    target_mean: Array
    target_logvar: Array


@dataclass(frozen=True)
class SpecForecast(Forecast):
    """A speculative forecast: its paths and calls, with the trace of its blocks and steps."""

    k: int
    blocks: Blocks
    steps: DraftedSteps

    @property
    def acceptance(self) -> float:
        """Accepted drafts over drafted steps (K per block)."""
        return float(self.blocks.accepted.sum()) / (len(self.blocks.accepted) * self.k)


def _check(contexts: Array, horizon: int, seed: int) -> tuple[Array, int]:
    array = np.asarray(contexts, dtype=np.float64)
    if array.ndim != 3 or 0 in array.shape:
        raise InvalidArgumentError(
            f"contexts: must be a non-empty (paths, window, d) array, got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise InvalidArgumentError("contexts: hold NaN or infinite values")
    check_seed(seed)
    return array, check_int("horizon", horizon, 1)


def forecast_target_only(target: Law, contexts: Array, horizon: int, seed: int) -> Forecast:
    """Sample `horizon` steps from each context by the target alone, one call per step."""
    history, horizon = _check(contexts, horizon, seed)
    paths, window, dim = history.shape
    path = np.concatenate([history, np.zeros((paths, horizon, dim))], axis=1)
    base = np.arange(paths, dtype=np.uint64) * np.uint64(horizon + 1)
    for t in range(horizon):
        mean, logvar = target(path[:, t : t + window])
        path[:, window + t] = draw_target(mean, sigma_of(logvar), seed, base + np.uint64(t))
    return Forecast(path[:, window:], np.full(paths, horizon, dtype=np.int64))


class _Trace:
    """The growing lists behind `Blocks` and `DraftedSteps`."""

    def __init__(self) -> None:
        self.blocks: list[tuple[Ints, ...]] = []
        self.steps: list[tuple[NDArray[np.generic], ...]] = []
        self.count = 0

    def add(
        self,
        rows: Ints,
        start: Ints,
        accepted: Ints,
        emitted: Ints,
        tries: Ints,
        drafted: tuple[Array, Array, Array, Array, Array],
    ) -> None:
        """Record one round: its blocks and the judged steps of each (position <= accepted)."""
        k = drafted[0].shape[1]
        ids = self.count + np.arange(len(rows), dtype=np.int64)
        self.count += len(rows)
        self.blocks.append((rows, start, accepted, emitted, tries))
        position = np.arange(k, dtype=np.int64)[None, :]
        judged = position <= accepted[:, None]
        block = np.broadcast_to(ids[:, None], judged.shape)[judged]
        where = np.broadcast_to(position, judged.shape)[judged]
        kept = (position < accepted[:, None])[judged]
        self.steps.append((block, where, kept, *(a[judged] for a in drafted)))

    def finish(self, dim: int) -> tuple[Blocks, DraftedSteps]:
        blocks = Blocks(*(np.concatenate(c) for c in zip(*self.blocks, strict=True)))
        columns = list(zip(*self.steps, strict=True))
        steps = DraftedSteps(
            *(np.concatenate(c) for c in columns[:3]),
            *(np.concatenate(c).reshape(-1, dim) for c in columns[3:]),
        )
        return blocks, steps


def forecast_speculative(
    target: Law,
    draft: Law,
    contexts: Array,
    horizon: int,
    k: int,
    seed: int,
    mode: Mode = "exact",
    bias: float = 1.0,
) -> SpecForecast:
    """Sample `horizon` steps from each context by drafting `k` steps per target call. With
    mode "exact" each path follows the target's law exactly; "lenient" and "resample-target"
    are the lossy variants (docs/GAUSSIAN.md)."""
    history, horizon = _check(contexts, horizon, seed)
    k = check_int("k", k, 1)
    paths, window, dim = history.shape
    path = np.concatenate([history, np.zeros((paths, horizon + k + 1, dim))], axis=1)
    base = np.arange(paths, dtype=np.uint64) * np.uint64(horizon + k + 1)
    done = np.zeros(paths, dtype=np.int64)
    calls = np.zeros(paths, dtype=np.int64)
    trace = _Trace()
    while (active := np.flatnonzero(done < horizon)).size:
        start = done[active]
        steps = base[active] + start.astype(np.uint64)
        offsets = start[:, None] + np.arange(window)[None, :]
        context = path[active[:, None], offsets]
        contexts_k = [context]
        drafted = np.empty((len(active), k, dim))
        proposed_mean = np.empty_like(drafted)
        proposed_logvar = np.empty_like(drafted)
        for i in range(k):
            proposed_mean[:, i], proposed_logvar[:, i] = draft(context)
            payloads = craft(proposed_mean[:, i], proposed_logvar[:, i])
            drafted[:, i] = draw(payloads, seed, steps + np.uint64(i)).values
            context = np.concatenate([context[:, 1:], drafted[:, i, None]], axis=1)
            contexts_k.append(context)
        target_mean, target_logvar = target(np.concatenate(contexts_k).reshape(-1, window, dim))
        order = (k + 1, len(active), dim)
        target_mean = target_mean.reshape(order).transpose(1, 0, 2)
        target_logvar = target_logvar.reshape(order).transpose(1, 0, 2)
        target_sigma = sigma_of(target_logvar)
        # The same floats crafted again, block by block: the same bytes as the payloads drawn.
        payloads = craft(proposed_mean.reshape(-1, dim), proposed_logvar.reshape(-1, dim))
        verdicts = verify_blocks(
            payloads, drafted, target_mean[:, :k], target_sigma[:, :k], seed, steps, mode, bias
        )
        accepted = verdicts.accepted.astype(np.int64)
        emitted = verdicts.emitted_len.astype(np.int64)
        full = np.flatnonzero(accepted == k)
        values = np.nan_to_num(verdicts.emitted)
        if full.size:
            values = np.concatenate([values, np.zeros((len(active), 1, dim))], axis=1)
            values[full, k] = draw_target(
                target_mean[full, k], target_sigma[full, k], seed, steps[full] + np.uint64(k)
            )
            emitted[full] += 1
        for j in range(values.shape[1]):
            writes = np.flatnonzero(emitted > j)
            path[active[writes], window + start[writes] + j] = values[writes, j]
        trace.add(
            active.astype(np.int64), start, accepted, emitted, verdicts.tries.astype(np.int64),
            (drafted, payloads.means.reshape(drafted.shape),
             payloads.logvars.reshape(drafted.shape),
             target_mean[:, :k], target_logvar[:, :k]),
        )  # fmt: skip
        done[active] += emitted
        calls[active] += 1
    blocks, drafted_steps = trace.finish(dim)
    return SpecForecast(
        values=path[:, window : window + horizon], target_calls=calls, k=k, blocks=blocks,
        steps=drafted_steps,
    )  # fmt: skip
