"""Speculative decoding with Hugging Face models is exact: the joint law of the first three
emitted tokens equals the law enumerated from the target's conditionals (no-cache forwards of
every history), for token and chain drafting, a separate random draft and an early-exit
draft, one prompt and four prompts of different lengths, and a warped target law; so does
each token's marginal.

Each case decodes 12,000 sequences in one call (the prompts replicated: every sequence has
its own random stream) on V = 8, so each prompt's 512 cells hold thousands of draws. The
same test, on a run of the same size, rejects each planted bug: a session that scores each
position with the next position's law (p ≈ 0), a drafter that reports log q 0.1 above what
it drew with (p ≈ 1e-7 at seed 2), and a target that verifies against its unwarped law."""

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.support.tiny_hf import reference_joint, tiny_model
from tsd.drafters import DraftBlock, Drafter, make_drafter
from tsd.models import History
from tsd.models.hf import HFModel, KVScores, KVSession, TargetLaw, early_exit
from tsd.speculative import GenerationStats, baseline_generate, speculative_generate
from tsd.stats import chi2_gof
from tsd.tsu.sim import SimTSU

VOCAB = 8
CELLS = VOCAB**3
SEQUENCES = 12_000
ALPHA = 0.001
ONE = [np.array([1, 5, 2], np.uint32)]
RAGGED = [np.array(p, np.uint32) for p in ([3], [1, 5, 2, 7, 0], [4, 4], [6, 2, 1])]
PLAIN = TargetLaw()
WARPED = TargetLaw(temperature=0.8, top_k=5, top_p=0.9)


def target(law: TargetLaw = PLAIN) -> HFModel:
    return tiny_model(VOCAB, 21, law=law)


def draft(kind: str, law: TargetLaw = PLAIN) -> HFModel:
    """A separate random model with the target's vocabulary, or the target's first layer."""
    return tiny_model(VOCAB, 22) if kind == "other" else early_exit(target(law), 1)


def expected_cells(prompts: Sequence[History], law: TargetLaw) -> NDArray[np.float64]:
    """Each prompt's exact joint, side by side, weighted by its share of the sequences."""
    module = target().module
    return np.concatenate([reference_joint(module, p, law) for p in prompts]) / len(prompts)


def emitted_cells(
    model: object, drafter: Drafter, prompts: Sequence[History], seed: int
) -> tuple[NDArray[np.int64], GenerationStats]:
    """Counts of (prompt, y1, y2, y3) over SEQUENCES sequences decoded in one call."""
    replicas = SEQUENCES // len(prompts)
    generation = speculative_generate(
        model,  # type: ignore[arg-type]
        drafter,
        list(prompts) * replicas,
        max_new_tokens=3,
        seed=seed,
    )
    out = np.stack(generation.outputs).astype(np.int64)
    prompt = np.tile(np.arange(len(prompts)), replicas)
    cells = prompt * CELLS + out[:, 0] * VOCAB**2 + out[:, 1] * VOCAB + out[:, 2]
    return np.bincount(cells, minlength=len(prompts) * CELLS), generation.stats


CASES = [
    ("token, other draft, one prompt", "token", "other", ONE, 2, PLAIN),
    ("token, early exit, ragged", "token", "early-exit", RAGGED, 3, PLAIN),
    ("chain, other draft, ragged", "chain", "other", RAGGED, 2, PLAIN),
    ("chain, early exit, one prompt", "chain", "early-exit", ONE, 3, PLAIN),
    ("token, early exit, ragged, warped", "token", "early-exit", RAGGED, 2, WARPED),
]


@pytest.mark.parametrize(
    ("name", "drafting", "kind", "prompts", "block", "law"), CASES, ids=[c[0] for c in CASES]
)
def test_emitted_tokens_follow_the_target(
    name: str, drafting: str, kind: str, prompts: list[History], block: int, law: TargetLaw
) -> None:
    drafter = make_drafter(drafting, draft(kind, law), SimTSU(3), L=block, K=3)
    counts, stats = emitted_cells(target(law), drafter, prompts, seed=block)
    expected = expected_cells(prompts, law)
    result = chi2_gof(counts, expected)
    assert result.p_value > ALPHA, f"{name}: chi2={result.stat:.1f} dof={result.dof}"
    assert 0.1 < stats.acceptance_rate < 0.95
    # Each token's marginal per prompt: fewer cells, so more power against a steady bias.
    by_position = counts.reshape(len(prompts), VOCAB, VOCAB, VOCAB)
    law_by_position = expected.reshape(by_position.shape)
    for axes in [(2, 3), (1, 3), (1, 2)]:
        for observed, marginal in zip(
            by_position.sum(axes), law_by_position.sum(axes), strict=True
        ):
            assert chi2_gof(observed, marginal).p_value > ALPHA, f"{name}: marginal {axes}"


class NextPositionScores:
    """Planted bug: each position is scored with the law of the position after it (the last
    position of a block keeps its own)."""

    def __init__(self, inner: KVScores) -> None:
        self._inner = inner
        self.offsets = inner.offsets

    def _shifted(self, positions: NDArray[np.int64]) -> NDArray[np.int64]:
        ends = self.offsets[np.searchsorted(self.offsets, positions, side="right")]
        return np.minimum(positions + 1, ends - 1)

    def rows(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        return self._inner.rows(self._shifted(positions))

    def token_logp(
        self, positions: NDArray[np.int64], tokens: NDArray[np.uint32]
    ) -> NDArray[np.float64]:
        return self._inner.token_logp(self._shifted(positions), tokens)


class NextPositionSession:
    """A KVSession whose scores come from the wrong position (`NextPositionScores`)."""

    def __init__(self, inner: KVSession) -> None:
        self._inner = inner
        self.vocab_size = inner.vocab_size

    def extend(
        self, sequences: Sequence[int], blocks: Sequence[Sequence[int] | History]
    ) -> NextPositionScores:
        return NextPositionScores(self._inner.extend(sequences, blocks))

    def rollback(self, sequences: Sequence[int], counts: Sequence[int]) -> None:
        self._inner.rollback(sequences, counts)


class NextPositionModel:
    """A target whose sessions score with the next position's law."""

    def __init__(self, inner: HFModel) -> None:
        self._inner = inner
        self.vocab_size = inner.vocab_size

    def start(self, prompts: Sequence[History]) -> NextPositionSession:
        return NextPositionSession(self._inner.start(prompts))


class LogqOffDrafter:
    """Planted bug: a drafter that reports log q 0.1 above what it drew with."""

    def __init__(self, inner: Drafter) -> None:
        self._inner = inner
        self.vocab_size = inner.vocab_size
        self.L = inner.L

    def draft(self, prefixes: Sequence[Sequence[int]], bases: NDArray[np.uint64]) -> DraftBlock:
        block = self._inner.draft(prefixes, bases)
        return dataclasses.replace(block, logq=block.logq + 0.1)


def wrong_position() -> tuple[object, Drafter, TargetLaw]:
    drafter = make_drafter("token", draft("other"), SimTSU(3), L=2, K=3)
    return NextPositionModel(target()), drafter, PLAIN


def logq_off() -> tuple[object, Drafter, TargetLaw]:
    drafter = make_drafter("token", draft("early-exit"), SimTSU(3), L=2, K=3)
    return target(), LogqOffDrafter(drafter), PLAIN


def unwarped_verifier() -> tuple[object, Drafter, TargetLaw]:
    drafter = make_drafter("token", draft("early-exit", WARPED), SimTSU(3), L=2, K=3)
    return target(), drafter, WARPED


PLANTED = {"wrong position": wrong_position, "logq off": logq_off, "unwarped": unwarped_verifier}


@pytest.mark.parametrize("bug", PLANTED)
def test_planted_bugs_fail_the_same_test(bug: str) -> None:
    model, drafter, law = PLANTED[bug]()
    counts, _ = emitted_cells(model, drafter, RAGGED, seed=2)
    assert chi2_gof(counts, expected_cells(RAGGED, law)).p_value < ALPHA


@pytest.mark.parametrize("drafting", ["token", "chain"])
def test_a_sequence_decodes_alike_alone_and_in_a_ragged_batch(drafting: str) -> None:
    drafter = make_drafter(drafting, draft("other"), SimTSU(4), L=3, K=3)
    for seed in range(6):
        batch = speculative_generate(target(), drafter, RAGGED, max_new_tokens=12, seed=seed)
        alone = speculative_generate(target(), drafter, RAGGED[:1], max_new_tokens=12, seed=seed)
        np.testing.assert_array_equal(alone.outputs[0], batch.outputs[0])
        again = speculative_generate(target(), drafter, RAGGED, max_new_tokens=12, seed=seed)
        for first, second in zip(batch.outputs, again.outputs, strict=True):
            np.testing.assert_array_equal(first, second)


def test_plain_sampling_through_the_session_follows_the_target() -> None:
    law = WARPED
    replicas = SEQUENCES // len(RAGGED)
    generation = baseline_generate(target(law), RAGGED * replicas, max_new_tokens=3, seed=9)
    out = np.stack(generation.outputs).astype(np.int64)
    prompt = np.tile(np.arange(len(RAGGED)), replicas)
    cells = prompt * CELLS + out[:, 0] * VOCAB**2 + out[:, 1] * VOCAB + out[:, 2]
    counts = np.bincount(cells, minlength=len(RAGGED) * CELLS)
    assert chi2_gof(counts, expected_cells(RAGGED, law)).p_value > ALPHA
    assert chi2_gof(counts, expected_cells(RAGGED, PLAIN)).p_value < ALPHA
