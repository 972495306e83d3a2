"""The LM benchmark's rows: one per (run, method, draft, drafter, L), strict-JSON values, the
columns documented in docs/BENCH_LM.md."""

import hashlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from tsd.experiments.lm_config import LMBenchConfig
from tsd.experiments.lm_methods import Measurement

if TYPE_CHECKING:
    from tsd.experiments.lm import Cell

__all__ = ["Row", "measurement_row"]

Row = dict[str, Any]


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
        "K": None
        if cell.drafter is None
        else config.chain_K
        if cell.drafter == "chain"
        else config.K,
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
