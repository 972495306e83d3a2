"""Milestone M0 as a library call: a fixed categorical target, one ψ, many verified steps."""

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from tsd import _core, metrics
from tsd._checks import check_int, check_seed
from tsd.errors import InvalidArgumentError
from tsd.psi import EpsSpec, PsiTopK, craft_psi_from_p, parse_eps, topk_mass
from tsd.stats import chi2_gof
from tsd.targets import Categorical, make_p, make_zipf
from tsd.tsu import TSU, make_tsu

PGen = Literal["dirichlet", "zipf"]
TelemetryMode = Literal["steps", "aggregate"]
ProgressCallback = Callable[[int], None]
CHUNK_STEPS = 1 << 20


def chunked(steps: int, progress: ProgressCallback | None) -> Iterator[tuple[int, int]]:
    """(start, count) chunks of CHUNK_STEPS covering steps 0..steps − 1; after each chunk the
    caller has processed, `progress` (if any) gets the number of steps done."""
    for start in range(0, steps, CHUNK_STEPS):
        count = min(CHUNK_STEPS, steps - start)
        yield start, count
        if progress is not None:
            progress(start + count)


@dataclass(frozen=True)
class M0Summary:
    """What an M0 run measured, in the metric vocabulary of `tsd.metrics`, and how it ran."""

    target: str
    pgen: str
    alpha: float | None
    vocab: int
    K: int
    tau: float
    eps_requested: EpsSpec
    eps_used: float
    seed: int
    steps: int
    telemetry: str
    acceptance_rate: float
    overlap: float
    chi2_stat: float
    chi2_dof: int
    p_value: float
    psi_bytes_mean: float
    topk_mass: float
    tsu: str
    tsd_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values, keyed by field name, with the milestone."""
        return {"milestone": "m0", **asdict(self)}


@dataclass(frozen=True)
class RunResult:
    """Per-step telemetry (one row per step; None in aggregate mode), per-token counts, and
    the run summary."""

    telemetry: pl.DataFrame | None
    tokens: pl.DataFrame
    summary: M0Summary


def make_target(pgen: str, vocab: int, alpha: float, seed: int) -> Categorical:
    """The M0 target named by `pgen`."""
    if pgen == "dirichlet":
        return make_p(vocab, seed)
    if pgen == "zipf":
        return make_zipf(vocab, alpha, seed)
    raise InvalidArgumentError(f"pgen: must be 'dirichlet' or 'zipf', got {pgen!r}")


M0Chunk = tuple[NDArray[np.uint32], NDArray[np.float64], NDArray[np.bool_], NDArray[np.uint32]]


def m0_chunk(
    backend: TSU, logp: NDArray[np.float64], psi: PsiTopK, seed: int, start: int, count: int
) -> M0Chunk:
    """Steps start .. start + count − 1 at one fixed target: the fused Rust loop for the
    simulated TSU, else the backend's batched draws verified against what it realises."""
    if backend.realises_f_psi:
        steps = _core.m0_run(logp, psi, seed, start, count)
    else:
        tokens, logq = backend.sample_many(psi, start, count)
        steps = _core.verify_external(
            logp[None, :], backend.realised_logq(psi)[None, :], tokens[None, :], logq[None, :],
            seed, start, 0, False,
        )  # fmt: skip
    return steps["proposed"], steps["logq"], steps["accepted"], steps["emitted"]


def run_m0(
    *,
    vocab: int = 1000,
    K: int = 64,
    tau: float = 1.0,
    eps: EpsSpec = "auto",
    steps: int = 50_000,
    seed: int = 7,
    pgen: PGen = "dirichlet",
    alpha: float = 1.2,
    tsu: str = "sim",
    telemetry: TelemetryMode = "steps",
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run M0 in the fused Rust loop, in chunks so `progress(n_done)` can report long runs.

    The target is drawn from `seed`; the TSU and verifier streams are keyed by the same seed.
    Chunking does not change a single bit of the result: every draw is keyed by its step.
    `tsu="thrml"` draws through thrml and verifies against the distribution it realises.
    `telemetry="aggregate"` keeps per-token counts only (O(V) memory), for very long runs;
    steps are keyed 0 .. steps − 1, so at most LAST_STEP + 1 of them (the core's top-step rule).
    """
    n_steps = check_int("steps", steps, 1, _core.LAST_STEP + 1)
    if telemetry not in ("steps", "aggregate"):
        raise InvalidArgumentError(f"telemetry: must be 'steps' or 'aggregate', got {telemetry!r}")
    run_seed = check_seed(seed)
    eps_spec = parse_eps(eps)
    target = make_target(pgen, vocab, alpha, run_seed)
    psi = craft_psi_from_p(target.p, K, tau, eps_spec)

    backend = make_tsu(tsu, run_seed)
    proposed_counts, emitted_counts = (np.zeros(target.vocab, dtype=np.uint64) for _ in range(2))
    accepted_total = 0
    chunks = []
    for start, count in chunked(n_steps, progress):
        chunk = m0_chunk(backend, target.logp, psi, run_seed, start, count)
        proposed_counts += np.bincount(chunk[0], minlength=target.vocab).astype(np.uint64)
        emitted_counts += np.bincount(chunk[3], minlength=target.vocab).astype(np.uint64)
        accepted_total += int(np.count_nonzero(chunk[2]))
        if telemetry == "steps":
            chunks.append(chunk)

    frame: pl.DataFrame | None = None
    if telemetry == "steps":
        proposed, logq, accepted, emitted = (
            np.concatenate(column) for column in zip(*chunks, strict=True)
        )
        frame = pl.DataFrame(
            {
                "step": np.arange(n_steps, dtype=np.uint64),
                "proposed_token": proposed,
                "logq": logq,
                "accepted": accepted,
                "emitted_token": emitted,
            }
        )
    q = np.exp(psi.dense_logq())
    tokens = pl.DataFrame(
        {
            "token": np.arange(target.vocab, dtype=np.uint32),
            "p": target.p,
            "q": q,
            "proposed": proposed_counts,
            "emitted": emitted_counts,
        }
    )
    chi2 = chi2_gof(emitted_counts, target.p)
    summary = M0Summary(
        target=target.description,
        pgen=pgen,
        alpha=alpha if pgen == "zipf" else None,
        vocab=target.vocab,
        K=psi.K,
        tau=float(psi.tau),
        eps_requested=eps_spec,
        eps_used=float(psi.eps),
        seed=run_seed,
        steps=n_steps,
        telemetry=telemetry,
        acceptance_rate=metrics.acceptance_rate(accepted_total, n_steps),
        overlap=float(metrics.overlap(target.p, q)),
        chi2_stat=chi2.stat,
        chi2_dof=chi2.dof,
        p_value=chi2.p_value,
        psi_bytes_mean=float(psi.size_bytes),
        topk_mass=topk_mass(target.p, psi),
        tsu=tsu,
        tsd_version=_core.__version__,
    )
    return RunResult(telemetry=frame, tokens=tokens, summary=summary)
