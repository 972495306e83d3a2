"""The LM benchmark's rows: one per (run, method, draft, drafter, L), strict-JSON values, the
columns documented in docs/BENCH_LM.md."""

import hashlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_methods import Measurement

if TYPE_CHECKING:
    from tsd.experiments.lm import Cell
    from tsd.judge.decode import JudgeStats
    from tsd.judge.judges import Judge

__all__ = ["JUDGE_COLUMNS", "SCHEMA", "Row", "judge_row", "measurement_row", "rows_frame"]

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
    "mode": _STR, "task": _STR, "judge": _STR, "judge_kind": _STR, "judge_value": _FLOAT,
    "accuracy": _FLOAT, "target_accuracy": _FLOAT, "accuracy_delta": _FLOAT,
    "accepted_per_cycle": _FLOAT, "exact_accepted_per_cycle": _FLOAT,
    "accepted_ratio": _FLOAT, "judge_accept_rate": _FLOAT, "target_fallback_rate": _FLOAT,
    "mismatches": _INT, "judge_accepts": _INT, "fallbacks": _INT,
}  # fmt: skip
# The columns only autojudge rows fill (`mode` aside, which every row has).
JUDGE_COLUMNS = tuple(SCHEMA)[tuple(SCHEMA).index("task") :]


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
        "mode": "exact",
        **dict.fromkeys(JUDGE_COLUMNS),
    }


def _judge_kind(cell: str, judges: Sequence["Judge"]) -> tuple[str, float | None]:
    """The judge's kind and its threshold (or k) from its name `KIND@VALUE`, or the cell's
    name with no value for the target alone and exact decoding."""
    if not any(judge.name == cell for judge in judges):
        return cell, None
    kind, _, value = cell.partition("@")
    return kind, float(value)


def judge_row(
    config: LMBenchConfig,
    *,
    run: int,
    draft: str | None,
    L: int | None,
    cell: str,
    judges: Sequence["Judge"],
    questions: int,
    stats: "JudgeStats | None",
    wall_s: float,
    tokens: int,
    target_forward_s: float,
    draft_model_s: float,
    accuracy: float,
    target_accuracy: float,
    outputs_sha256: str,
) -> Row:
    """One autojudge row (`cell`: `target-only`, `exact` or a judge's name): `mode` is `lossy`
    for a judge's row, `exact` otherwise."""
    kind, value = _judge_kind(cell, judges)
    counts = stats.to_dict() if stats is not None else {}
    exact_per_cycle = counts.get("exact_accepted_per_cycle")
    per_cycle = counts.get("accepted_per_cycle")
    calls = stats.rounds if stats is not None else tokens
    row: Row = dict.fromkeys(SCHEMA)
    row.update(
        {
            "run": run,
            "method": "autojudge",
            "draft": draft,
            "drafter": None if L is None else "token",
            "L": L,
            "K": None if L is None else config.K,
            "batch_size": config.batch_size,
            "prompts": questions,
            "tokens": tokens,
            "wall_s": wall_s,
            "tokens_per_sec": tokens / wall_s,
            "num_drafts": counts.get("rounds"),
            "num_draft_tokens": counts.get("draft_tokens"),
            "num_accepted_tokens": counts.get("accepted_tokens"),
            "acceptance_rate": None
            if stats is None
            else _finite(stats.accepted_tokens / stats.draft_tokens),
            "mean_acceptance_length": None if per_cycle is None else _finite(per_cycle),
            "rejections": counts.get("fallbacks"),
            "target_calls": calls,
            "target_calls_per_token": calls / tokens,
            "target_forward_s": target_forward_s,
            "draft_model_s": draft_model_s,
            "target_share": target_forward_s / wall_s,
            "draft_share": draft_model_s / wall_s,
            "outputs_sha256": outputs_sha256,
            "target": config.target,
            "tsu": None if L is None else config.tsu,
            "temperature": 1.0,
            "top_k": 1,
            "max_new_tokens": config.max_new_tokens,
            "dtype": config.dtype,
            "device": config.device,
            "seed": config.seed,
            "mode": "exact" if kind in ("target-only", "exact") else "lossy",
            "task": config.task,
            "judge": cell,
            "judge_kind": kind,
            "judge_value": value,
            "accuracy": accuracy,
            "target_accuracy": target_accuracy,
            "accuracy_delta": accuracy - target_accuracy,
            "accepted_per_cycle": None if per_cycle is None else _finite(per_cycle),
            "exact_accepted_per_cycle": None
            if exact_per_cycle is None
            else _finite(exact_per_cycle),
            "accepted_ratio": None
            if stats is None or not stats.exact_accepted_tokens
            else (stats.accepted_tokens / stats.exact_accepted_tokens),
            "judge_accept_rate": None if stats is None else _finite(stats.judge_accept_rate),
            "target_fallback_rate": None if stats is None else _finite(stats.target_fallback_rate),
            "mismatches": counts.get("mismatches"),
            "judge_accepts": counts.get("judge_accepts"),
            "fallbacks": counts.get("fallbacks"),
        }
    )
    return row
