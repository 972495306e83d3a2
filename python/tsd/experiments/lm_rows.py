"""The LM benchmark's rows: one per (run, method, draft, drafter, L), strict-JSON values, the
columns documented in docs/BENCH_LM.md."""

import hashlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_methods import Measurement

if TYPE_CHECKING:
    from tsd.experiments.lm import Cell

__all__ = ["SCHEMA", "Row", "measurement_row", "rows_frame"]

Row = dict[str, Any]
_INT, _FLOAT, _STR = pl.Int64(), pl.Float64(), pl.String()
# Every column, in order, with its type, whatever the rows hold (a column of nulls included).
SCHEMA: dict[str, pl.DataType] = {
    "run": _INT, "method": _STR, "draft": _STR, "drafter": _STR, "L": _INT, "K": _INT,
    "batch_size": _INT, "prompts": _INT, "tokens": _INT, "wall_s": _FLOAT,
    "tokens_per_sec": _FLOAT, "acceptance_rate": _FLOAT, "mean_acceptance_length": _FLOAT,
    "alpha": _FLOAT, "position_acceptance": pl.List(pl.Float64()), "num_drafts": _INT,
    "num_draft_tokens": _INT, "num_accepted_tokens": _INT, "rejections": _INT,
    "psi_bytes_per_token": _FLOAT, "target_calls": _INT, "target_calls_per_token": _FLOAT,
    "draft_calls": _INT, "target_forward_s": _FLOAT, "draft_model_s": _FLOAT,
    "psi_tsu_verify_s": _FLOAT, "other_s": _FLOAT, "target_share": _FLOAT,
    "draft_share": _FLOAT, "psi_tsu_verify_share": _FLOAT, "other_share": _FLOAT,
    "overhead_per_round": _FLOAT, "outputs_sha256": _STR, "target": _STR, "tsu": _STR,
    "temperature": _FLOAT, "top_k": _INT, "top_p": _FLOAT, "max_new_tokens": _INT,
    "dtype": _STR, "device": _STR, "seed": pl.UInt64(),
}  # fmt: skip


def rows_frame(rows: list[Row]) -> pl.DataFrame:
    """The rows as a DataFrame of `SCHEMA`'s columns and types."""
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _finite(value: float) -> float | None:
    """Rows are strict JSON: NaN (nothing to divide by) is written as null."""
    return None if math.isnan(value) else value


def _counters(cell: "Cell", m: Measurement) -> Row:
    """Acceptance and draft counters: tsd's own for speculative; for hf-assisted, derived from
    forward counts (each target forward emits its accepted drafts plus one token, and each
    assistant forward proposes one draft); none for the baseline."""
    if cell.method == "baseline":
        names = ("acceptance_rate", "mean_acceptance_length", "alpha", "position_acceptance",
                 "num_drafts", "num_draft_tokens", "num_accepted_tokens", "rejections",
                 "psi_bytes_per_token")  # fmt: skip
        return dict.fromkeys(names)
    if m.stats is None:
        accepted = m.tokens - m.target_calls
        proposed = m.draft_calls or 0
        return {
            "acceptance_rate": _finite(accepted / proposed if proposed else math.nan),
            "mean_acceptance_length": m.tokens / m.target_calls,
            "alpha": None, "position_acceptance": None, "num_drafts": m.target_calls,
            "num_draft_tokens": proposed, "num_accepted_tokens": accepted, "rejections": None,
            "psi_bytes_per_token": None,
        }  # fmt: skip
    stats = m.stats
    return {
        "acceptance_rate": _finite(stats.acceptance_rate),
        "mean_acceptance_length": _finite(stats.mean_acceptance_length),
        "alpha": _finite(stats.alpha),
        "position_acceptance": [_finite(a) for a in stats.position_acceptance()],
        "num_drafts": stats.num_drafts,
        "num_draft_tokens": stats.num_draft_tokens,
        "num_accepted_tokens": stats.num_accepted_tokens,
        "rejections": stats.rejections,
        "psi_bytes_per_token": stats.psi_bytes / stats.tokens,
    }


def _psi_size(config: LMBenchConfig, drafter: str | None) -> int | None:
    """Explicit ids per ψ (per chain position for chain drafting); None where nothing drafts."""
    if drafter is None:
        return None
    return config.chain_K if drafter == "chain" else config.K


def measurement_row(
    config: LMBenchConfig, prompts: int, run: int, cell: "Cell", m: Measurement
) -> Row:
    """One row of results.parquet (columns in docs/BENCH_LM.md) for cell `cell` of run `run`."""
    wall, tokens = m.wall_s, m.tokens
    psi_tsu_verify = m.psi_tsu_verify_s
    other = m.overhead_s - (psi_tsu_verify or 0.0)
    digest = hashlib.sha256()
    for out in m.outputs:
        digest.update(np.asarray(out, dtype="<u4").tobytes() + b"\xff\xff\xff\xff")
    return {
        "run": run,
        "method": cell.method,
        "draft": None if cell.draft is None else cell.draft.spec,
        "drafter": cell.drafter,
        "L": cell.L,
        "K": _psi_size(config, cell.drafter),
        "batch_size": 1 if cell.method == "hf-assisted" else config.batch_size,
        "prompts": prompts,
        "tokens": tokens,
        "wall_s": wall,
        "tokens_per_sec": tokens / wall,
        **_counters(cell, m),
        "target_calls": m.target_calls,
        "target_calls_per_token": m.target_calls / tokens,
        "draft_calls": m.draft_calls,
        "target_forward_s": m.target_forward_s,
        "draft_model_s": m.draft_model_s,
        "psi_tsu_verify_s": psi_tsu_verify,
        "other_s": other,
        "target_share": m.target_forward_s / wall,
        "draft_share": m.draft_model_s / wall,
        "psi_tsu_verify_share": None if psi_tsu_verify is None else psi_tsu_verify / wall,
        "other_share": other / wall,
        "overhead_per_round": m.overhead_s / m.target_forward_s,
        "outputs_sha256": digest.hexdigest(),
        "target": config.target,
        "tsu": config.tsu if cell.method == "speculative" else None,
        "temperature": config.temperature,
        "top_k": config.top_k,
        "top_p": config.top_p,
        "max_new_tokens": config.max_new_tokens,
        "dtype": config.dtype,
        "device": config.device,
        "seed": config.seed,
    }
