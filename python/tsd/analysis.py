"""Analysis of a run's per-step telemetry: acceptance and overlap by context decile, traces."""

import numpy as np
import polars as pl
from numpy.typing import NDArray

from tsd._checks import check_int

DECILES = 10


def acceptance_by_decile(steps: pl.LazyFrame) -> pl.DataFrame:
    """Contexts ranked by how often the walk visited them, cut into deciles of that ranking;
    per decile: contexts, steps, acceptance rate and mean overlap Σ min(p, q)."""
    per_context = (
        steps.group_by("prev_token")
        .agg(
            visits=pl.len(),
            accepted=pl.col("accepted").sum(),
            overlap=pl.col("overlap_mass").first(),
        )
        .sort(["visits", "prev_token"], descending=[True, False])
        .with_row_index("rank")
        .collect()
    )
    n = per_context.height
    return (
        per_context.with_columns(decile=(pl.col("rank") * DECILES // n + 1).cast(pl.UInt8))
        .group_by("decile")
        .agg(
            contexts=pl.len(),
            steps=pl.col("visits").sum(),
            acceptance_rate=pl.col("accepted").sum() / pl.col("visits").sum(),
            mean_overlap=(pl.col("overlap") * pl.col("visits")).sum() / pl.col("visits").sum(),
        )
        .sort("decile")
    )


def rolling_mean(values: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """Trailing mean over `window` values (shorter at the start), via a cumulative sum."""
    w = check_int("window", window, 1)
    totals = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    index = np.arange(1, values.size + 1)
    start = np.maximum(index - w, 0)
    return np.asarray((totals[index] - totals[start]) / (index - start), dtype=np.float64)
