"""Milestone M1 as a library call: a bigram chain walked with one cached ψ per context.

The previous emitted token is the context; its ψ is crafted once; the TSU draws from F(ψ); the
verifier accepts or corrects against p(· | context); the emitted token is the next context.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from tsd import _core, metrics
from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.experiments.m0 import ProgressCallback, chunked, m0_chunk
from tsd.psi import EpsSpec, PsiTopK, craft_psi_from_p, parse_eps
from tsd.stats import chi2_gof
from tsd.targets import Bigram, bigram_from_corpus, make_bigram, stationary
from tsd.tsu import TSU, make_tsu

TelemetryMode = Literal["steps", "aggregate"]
FIXED_CONTEXTS = 4
# Fixed-context test j uses steps from (j + 1) · 2^40 of the run's seed: blocks no walk reaches.
FIXED_STEP_OFFSET = 1 << 40


@dataclass(frozen=True)
class FixedContextTest:
    """Many steps at one fixed context: their acceptance and χ² against p(· | context)."""

    context: int
    symbol: str
    acceptance_rate: float
    chi2_stat: float
    chi2_dof: int
    p_value: float


@dataclass(frozen=True)
class M1Summary:
    """What an M1 run measured, in the metric vocabulary of `tsd.metrics`, and how it ran.
    Means over contexts are weighted by the walk's visits; `mean_ce_gap` is None when a
    visited context's gap is infinite."""

    target: str
    corpus: str | None
    vocab: int
    c: float | None
    K: int
    tau: float
    eps_requested: EpsSpec
    eps_used_mean: float
    seed: int
    steps: int
    telemetry: str
    tsu: str
    initial_context: int
    acceptance_rate: float
    mean_overlap: float
    acceptance_overlap_gap: float
    mean_ce_gap: float | None
    chi2_stat: float
    chi2_dof: int
    p_value: float
    fixed_steps: int
    fixed_context_tests: tuple[FixedContextTest, ...]
    fixed_context_passes: int
    psi_bytes_mean: float
    psi_bytes_max: int
    tsd_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, keyed by field name, with the milestone."""
        values = asdict(self)
        values["fixed_context_tests"] = [asdict(test) for test in self.fixed_context_tests]
        return {"milestone": "m1", **values}


@dataclass(frozen=True)
class M1Result:
    """Per-step telemetry (None in aggregate mode), per-context rows, and the summary."""

    telemetry: pl.DataFrame | None
    contexts: pl.DataFrame
    summary: M1Summary


def make_m1_target(
    corpus: str | os.PathLike[str] | None, vocab: int, c: float, seed: int
) -> Bigram:
    """The corpus's character bigram, or the synthetic bigram when no corpus is given."""
    if corpus is not None:
        return bigram_from_corpus(corpus)
    return make_bigram(vocab, c, seed)


def context_table(target: Bigram, psis: list[PsiTopK]) -> pl.DataFrame:
    """Per-context quantities, computed once per context: sizes, masses, overlap and CE gap."""
    q = np.exp(np.stack([psi.dense_logq() for psi in psis]))
    # The CE gap uses the log of this q, as recorded runs computed it (bit for bit).
    with np.errstate(divide="ignore"):
        logq = np.log(q)
    p = target.p
    return pl.DataFrame(
        {
            "context": np.arange(target.vocab, dtype=np.uint32),
            "symbol": [target.label(c) for c in range(target.vocab)],
            "K": np.array([psi.K for psi in psis], dtype=np.uint32),
            "tau": np.array([psi.tau for psi in psis], dtype=np.float32),
            "eps_used": np.array([psi.eps for psi in psis], dtype=np.float64),
            "psi_bytes": np.array([psi.size_bytes for psi in psis], dtype=np.uint32),
            "topk_mass": np.array([p[c, psi.ids].sum() for c, psi in enumerate(psis)]),
            "overlap_mass": metrics.overlap(p, q),
            "ce_gap_nats": metrics.ce_gap_nats(p, target.logp, logq),
        }
    )


def fixed_context_tests(
    target: Bigram,
    psis: list[PsiTopK],
    pi: NDArray[np.float64],
    seed: int,
    steps: int,
    backend: TSU,
) -> list[FixedContextTest]:
    """χ² of many steps at each of the FIXED_CONTEXTS most probable contexts against p(· | c)."""
    contexts = np.argsort(-pi, kind="stable")[:FIXED_CONTEXTS]
    results = []
    for j, context in enumerate(contexts.tolist()):
        start = (j + 1) * FIXED_STEP_OFFSET
        _, _, accepted, emitted = m0_chunk(
            backend, target.logp[context], psis[context], seed, start, steps
        )
        chi2 = chi2_gof(np.bincount(emitted, minlength=target.vocab), target.p[context])
        results.append(
            FixedContextTest(
                context=context,
                symbol=target.label(context),
                acceptance_rate=metrics.acceptance_rate(int(accepted.sum()), steps),
                chi2_stat=chi2.stat,
                chi2_dof=chi2.dof,
                p_value=chi2.p_value,
            )
        )
    return results


# Telemetry column name of each column the core's walks return.
_STEP_COLUMNS = {
    "prev_token": "prev",
    "proposed_token": "proposed",
    "logq": "logq",
    "accepted": "accepted",
    "emitted_token": "emitted",
}


def _concatenate_walk(chunks: Sequence[Mapping[str, Any]]) -> dict[str, NDArray[Any]]:
    """The core's walk chunks, concatenated, under their telemetry column names."""
    return {
        name: np.concatenate([chunk[column] for chunk in chunks])
        for name, column in _STEP_COLUMNS.items()
    }


def _walk_steps(
    chain: _core.BigramChain, seed: int, steps: int, initial: int, progress: ProgressCallback | None
) -> dict[str, NDArray[Any]]:
    chunks = []
    context = initial
    for start, count in chunked(steps, progress):
        chunk = chain.run(seed, start, count, context)
        context = int(chunk["emitted"][-1])
        chunks.append(chunk)
    return _concatenate_walk(chunks)


def _walk_external(
    backend: TSU,
    target: Bigram,
    psis: list[PsiTopK],
    seed: int,
    steps: int,
    initial: int,
    progress: ProgressCallback | None,
) -> dict[str, NDArray[Any]]:
    """The walk with a backend that does not realise F(ψ) itself: each step's context is known only
    after the previous verdict, so steps go one at a time (a backend call each), verified in
    Rust against the backend's realised distribution of that context."""
    realised = np.stack([backend.realised_logq(psi) for psi in psis])
    verdicts = []
    context = initial
    for step in range(steps):
        draws = backend.draw([psis[context]], np.array([step], dtype=np.uint64))
        row = slice(context, context + 1)
        verdict = _core.verify_external(
            target.logp[row], realised[row], draws.tokens, draws.logq, seed, step, 0, False
        )
        # The single-row call reports context 0; the walk's context is `context`.
        verdict["prev"] = np.array([context], dtype=np.uint32)
        verdicts.append(verdict)
        context = int(verdict["emitted"][0])
        if progress is not None and (step + 1) % 1000 == 0:
            progress(step + 1)
    if progress is not None:
        progress(steps)
    return _concatenate_walk(verdicts)


def _walk_counts(
    chain: _core.BigramChain, seed: int, steps: int, initial: int, progress: ProgressCallback | None
) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.uint64]]:
    v = chain.vocab
    visits, accepted, emitted = (np.zeros(v, dtype=np.uint64) for _ in range(3))
    context = initial
    for start, count in chunked(steps, progress):
        counts = chain.run_counts(seed, start, count, context)
        visits += counts.visits
        accepted += counts.accepted
        emitted += counts.emitted
        context = counts.last
    return visits, accepted, emitted


def run_m1(
    *,
    vocab: int = 256,
    c: float = 50.0,
    corpus: str | os.PathLike[str] | None = None,
    K: int = 64,
    tau: float = 1.0,
    eps: EpsSpec = "auto",
    steps: int = 50_000,
    seed: int = 7,
    fixed_steps: int = 50_000,
    telemetry: TelemetryMode = "steps",
    tsu: str = "sim",
    progress: ProgressCallback | None = None,
) -> M1Result:
    """Run M1 in the fused Rust walk. The walk starts in the most probable stationary context.

    `telemetry="aggregate"` keeps per-context counts only (O(V) memory), for very long runs.
    The walk and each fixed-context test are keyed by step within blocks of FIXED_STEP_OFFSET
    steps, so neither may be longer than that.
    `tsu="thrml"` draws through thrml (one backend call per step of the walk: slow, see
    docs/BENCHMARKS.md) and verifies against the distribution it realises.
    """
    n_steps = check_int("steps", steps, 1, FIXED_STEP_OFFSET)
    n_fixed = check_int("fixed_steps", fixed_steps, 1, FIXED_STEP_OFFSET)
    run_seed = check_seed(seed)
    eps_spec = parse_eps(eps)
    if telemetry not in ("steps", "aggregate"):
        raise InvalidArgumentError(f"telemetry: must be 'steps' or 'aggregate', got {telemetry!r}")
    target = make_m1_target(corpus, vocab, c, run_seed)
    k = check_int("K", K, 1, target.vocab)
    psis = [craft_psi_from_p(row, k, tau, eps_spec) for row in target.p]
    chain = _core.BigramChain(target.logp, psis)
    contexts = context_table(target, psis)
    pi = stationary(target.p)
    initial = int(np.argmax(pi))

    backend = make_tsu(tsu, run_seed)
    frame: pl.DataFrame | None = None
    columns: dict[str, NDArray[Any]] | None = None
    if not backend.realises_f_psi:
        columns = _walk_external(backend, target, psis, run_seed, n_steps, initial, progress)
    elif telemetry == "steps":
        columns = _walk_steps(chain, run_seed, n_steps, initial, progress)
    if columns is not None:
        prev = columns["prev_token"]
        visits = np.bincount(prev, minlength=target.vocab).astype(np.uint64)
        accepted_by = np.bincount(prev, weights=columns["accepted"], minlength=target.vocab)
        emitted_counts = np.bincount(columns["emitted_token"], minlength=target.vocab).astype(
            np.uint64
        )
        # The per-context columns, joined on prev_token: row c of the context table is context c.
        per_context = contexts.drop("context", "symbol")
        if telemetry == "steps":
            frame = (
                pl.DataFrame({"step": np.arange(n_steps, dtype=np.uint64), **columns})
                .select("step", "prev_token", "proposed_token", "emitted_token", "accepted", "logq")
                .hstack(per_context[prev])
            )
    else:
        visits, accepted_counts, emitted_counts = _walk_counts(
            chain, run_seed, n_steps, initial, progress
        )
        accepted_by = accepted_counts.astype(np.float64)

    contexts = contexts.with_columns(
        visits=pl.Series(visits, dtype=pl.UInt64),
        accepted=pl.Series(accepted_by.astype(np.uint64), dtype=pl.UInt64),
    )
    weights = visits / n_steps
    overlap = contexts["overlap_mass"].to_numpy()
    ce_gap = contexts["ce_gap_nats"].to_numpy()
    acceptance_rate = metrics.acceptance_rate(float(accepted_by.sum()), n_steps)
    mean_overlap = float(weights @ overlap)
    mean_ce_gap = float(weights @ ce_gap) if np.isfinite(ce_gap[visits > 0]).all() else None
    chi2 = chi2_gof(emitted_counts, pi)
    tests = fixed_context_tests(target, psis, pi, run_seed, n_fixed, backend)
    summary = M1Summary(
        target=target.description,
        corpus=None if corpus is None else str(corpus),
        vocab=target.vocab,
        c=None if corpus is not None else float(c),
        K=k,
        tau=float(psis[0].tau),
        eps_requested=eps_spec,
        eps_used_mean=float(contexts["eps_used"].mean()),  # type: ignore[arg-type]
        seed=run_seed,
        steps=n_steps,
        telemetry=telemetry,
        tsu=tsu,
        initial_context=initial,
        acceptance_rate=acceptance_rate,
        mean_overlap=mean_overlap,
        acceptance_overlap_gap=abs(acceptance_rate - mean_overlap),
        mean_ce_gap=mean_ce_gap,
        chi2_stat=chi2.stat,
        chi2_dof=chi2.dof,
        p_value=chi2.p_value,
        fixed_steps=n_fixed,
        fixed_context_tests=tuple(tests),
        fixed_context_passes=sum(t.p_value > 0.05 for t in tests),
        psi_bytes_mean=float(contexts["psi_bytes"].mean()),  # type: ignore[arg-type]
        psi_bytes_max=int(contexts["psi_bytes"].max()),  # type: ignore[arg-type]
        tsd_version=_core.__version__,
    )
    return M1Result(telemetry=frame, contexts=contexts, summary=summary)
