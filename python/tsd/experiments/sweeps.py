"""Sweep cells for M1: one seed of the full run, or one (K, τ, seed) point at a fixed context.

Cells are top-level functions of plain dicts so a process pool can run them.
"""

from functools import lru_cache
from typing import Any

import numpy as np

from tsd import _core
from tsd.experiments.m1 import make_m1_target, run_m1
from tsd.psi import craft_psi_from_p
from tsd.targets import Bigram, stationary

Row = dict[str, Any]


def seed_cell(params: Row) -> Row:
    """The whole M1 run for one seed, reduced to its headline figures."""
    summary = run_m1(**params).summary
    keys = ("seed", "accept_rate", "mean_overlap", "accept_overlap_gap", "mean_ce_gap",
            "p_value", "fixed_context_passes")  # fmt: skip
    return {key: summary[key] for key in keys}


@lru_cache(maxsize=4)
def cached_target(corpus: str | None, vocab: int, c: float, seed: int) -> Bigram:
    """The sweep's target, built once per worker process."""
    return make_m1_target(corpus, vocab, c, seed)


def default_context(target: Bigram) -> int:
    """The most probable context under the chain's stationary distribution."""
    return int(np.argmax(stationary(target.p)))


def grid_cell(params: Row) -> Row:
    """Acceptance, overlap and CE gap at one context for one (K, τ, seed)."""
    target = cached_target(params["corpus"], params["vocab"], params["c"], params["target_seed"])
    context, k, tau = params["context"], params["K"], params["tau"]
    p, logp = target.p[context], target.logp[context]
    psi = craft_psi_from_p(p, k, tau, "auto")
    accepted = _core.m0_run(logp, psi, params["seed"], 0, params["steps"])["accepted"]
    logq = psi.dense_logq()
    with np.errstate(divide="ignore", invalid="ignore"):
        ce_gap = float(np.where(p > 0, p * (logp - logq), 0.0).sum())
    return {
        "context": context,
        "K": k,
        "tau": tau,
        "seed": params["seed"],
        "steps": params["steps"],
        "accept_rate": float(accepted.mean()),
        "overlap": float(np.minimum(p, np.exp(logq)).sum()),
        "ce_gap_nats": ce_gap,
        "psi_bytes": psi.size_bytes,
    }
