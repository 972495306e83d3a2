"""Sweep cells for M1: one seed of the full run, or one (K, τ, seed) point at a fixed context.

Cells are top-level functions of plain dicts so a process pool can run them.
"""

from functools import lru_cache
from typing import Any

import numpy as np

from tsd import _core, metrics
from tsd.experiments.m1 import make_m1_target, run_m1
from tsd.psi import craft_psi_from_p
from tsd.targets import Bigram, stationary

Row = dict[str, Any]


def seed_cell(params: Row) -> Row:
    """The whole M1 run for one seed, reduced to its headline figures."""
    summary = run_m1(**params).summary.to_dict()
    keys = ("seed", "acceptance_rate", "mean_overlap", "acceptance_overlap_gap", "mean_ce_gap",
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
    q = np.exp(logq)
    return {
        "context": context,
        "K": k,
        "tau": tau,
        "seed": params["seed"],
        "steps": params["steps"],
        "acceptance_rate": metrics.acceptance_rate(int(accepted.sum()), params["steps"]),
        "overlap": float(metrics.overlap(p, q)),
        "ce_gap_nats": float(metrics.ce_gap_nats(p, logp, logq)),
        "psi_bytes": psi.size_bytes,
    }
