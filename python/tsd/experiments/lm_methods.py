"""The LM benchmark's methods, each timed over all prompts, and where their time goes.

- `baseline`: KV-cached ancestral sampling from the target (`baseline_generate`).
- `speculative`: ψ/TSU block drafting with a draft, a drafter and L (`speculative_generate`).
- `hf-assisted` (`tsd.experiments.lm_assisted`): transformers' `generate(assistant_model=draft,
  do_sample=True)` with L assistant tokens per round (constant schedule, no confidence
  cut-off). Assisted generation supports batch size 1 only, so prompts run one at a time; EOS
  is masked until `max_new_tokens` (min_new_tokens) so it emits as many tokens as the other
  methods, which sample past EOS.

Time, in seconds over a method's whole run (`Measurement`):
- `target_forward_s`: the target's forwards. tsd methods: the target's `ForwardClock` (the
  module's forward, the law's log-softmax, the copy to the host); hf-assisted: the module's
  forward, timed by hooks.
- `draft_model_s`: the draft model: tsd methods, time inside its `logprobs_batch` (forwards and
  the prefix cache's bookkeeping, or n-gram lookups); hf-assisted, the assistant's forwards.
- `psi_tsu_verify_s` (speculative only): drafting outside the draft model (crafting ψ, TSU
  draws) plus verification (`tsd.timing.Phases`: draft − draft_model_s, + verify).
- `other_s`: the rest of the wall time (session bookkeeping, sampling, the Python loop).
`overhead_s` = psi_tsu_verify_s + other_s is what decoding costs beyond the two models.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tsd.drafters import make_drafter
from tsd.experiments.lm_drafts import Draft
from tsd.models.hf import HFModel
from tsd.models.session import History
from tsd.psi import EpsSpec
from tsd.speculative import Generation, GenerationStats, baseline_generate, speculative_generate
from tsd.timing import Phases
from tsd.tsu import make_tsu

__all__ = [
    "Measurement",
    "measure_baseline",
    "measure_speculative",
    "run_seed",
]


@dataclass(frozen=True)
class Measurement:
    """One method's run over every prompt: what it emitted, its counters and its seconds.
    `stats` holds tsd's counters (None for hf-assisted, which reports forward counts)."""

    outputs: list[np.ndarray]
    wall_s: float
    target_calls: int
    target_forward_s: float
    draft_calls: int | None
    draft_model_s: float
    psi_tsu_verify_s: float | None
    stats: GenerationStats | None

    @property
    def tokens(self) -> int:
        return sum(len(out) for out in self.outputs)

    @property
    def overhead_s(self) -> float:
        """Wall time outside the target's and the draft's models."""
        return self.wall_s - self.target_forward_s - self.draft_model_s


def run_seed(seed: int, run: int, part: int) -> int:
    """The seed of batch (or prompt) `part` of run `run`: distinct for every pair."""
    return int(np.random.SeedSequence([seed, run, part]).generate_state(1, np.uint64)[0])


def _merge(parts: Sequence[GenerationStats]) -> GenerationStats:
    """Counters of several batches as one run's."""

    def total(name: str) -> int:
        return sum(int(getattr(part, name)) for part in parts)

    def per_position(name: str) -> tuple[int, ...]:
        return tuple(int(sum(v)) for v in zip(*(getattr(p, name) for p in parts), strict=True))

    return GenerationStats(
        tokens=total("tokens"),
        target_calls=total("target_calls"),
        num_drafts=total("num_drafts"),
        num_draft_tokens=total("num_draft_tokens"),
        num_accepted_tokens=total("num_accepted_tokens"),
        rejections=total("rejections"),
        psi_bytes=total("psi_bytes"),
        tsu_calls=total("tsu_calls"),
        reached_by_position=per_position("reached_by_position"),
        num_accepted_tokens_per_pos=per_position("num_accepted_tokens_per_pos"),
    )


def _batched(
    target: HFModel,
    draft: Draft | None,
    batches: Sequence[Sequence[History]],
    generate: Callable[[Sequence[History], int], Generation],
    phases: Phases,
) -> Measurement:
    """Time `generate(batch, index)` over the batches, the target's clock reset (a draft
    comes fresh: `Draft.fresh`)."""
    target.clock.reset()
    began = time.perf_counter()
    runs = [generate(batch, i) for i, batch in enumerate(batches)]
    wall = time.perf_counter() - began
    draft_s = 0.0 if draft is None else draft.model.seconds
    psi_tsu_verify = None
    if draft is not None:
        seconds = phases.seconds
        psi_tsu_verify = seconds.get("draft", 0.0) - draft_s + seconds.get("verify", 0.0)
    return Measurement(
        outputs=[out for run in runs for out in run.outputs],
        wall_s=wall,
        target_calls=target.clock.calls,
        target_forward_s=target.clock.seconds,
        draft_calls=None if draft is None or draft.clock is None else draft.clock.calls,
        draft_model_s=draft_s,
        psi_tsu_verify_s=psi_tsu_verify,
        stats=_merge([run.stats for run in runs]),
    )


def measure_baseline(
    target: HFModel,
    batches: Sequence[Sequence[History]],
    *,
    max_new_tokens: int,
    seed: int,
    run: int,
) -> Measurement:
    """Plain KV-cached sampling from the target, batch by batch."""
    return _batched(
        target,
        None,
        batches,
        lambda batch, i: baseline_generate(
            target, batch, max_new_tokens=max_new_tokens, seed=run_seed(seed, run, i)
        ),
        Phases(),
    )


def measure_speculative(
    target: HFModel,
    draft: Draft,
    batches: Sequence[Sequence[History]],
    *,
    drafter: str,
    L: int,
    K: int,
    tsu: str,
    eps: EpsSpec,
    max_new_tokens: int,
    seed: int,
    run: int,
) -> Measurement:
    """Block drafting through ψ and the TSU with a fresh copy of `draft`, batch by batch."""
    phases = Phases()
    draft = draft.fresh()

    def generate(batch: Sequence[History], i: int) -> Generation:
        part_seed = run_seed(seed, run, i)
        proposer = make_drafter(drafter, draft.model, make_tsu(tsu, part_seed), L=L, K=K, eps=eps)
        return speculative_generate(
            target, proposer, batch, max_new_tokens=max_new_tokens, seed=part_seed, phases=phases
        )

    return _batched(target, draft, batches, generate, phases)
