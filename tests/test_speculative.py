"""Block drafting is exact: the emitted sequence follows the target, acceptance counts follow
their closed form, and tokens per call match Leviathan et al. (2023), Eq. 1.

Power: moving 0.5% of probability between the two largest of the 64 joint cells (p ≈ 0.05
each) gives a χ² noncentrality of n · 0.005² · (1/p1 + 1/p2) ≈ 100 at n = 100,000 sequences,
rejected at α = 0.001 with 63 degrees of freedom; each test checks that it is.
"""

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.support.tables import DRAFT, TARGET, TableLM, joint_of_first_three, random_rows
from tsd import _core, errors, reference
from tsd.drafters import make_drafter
from tsd.models import History
from tsd.psi import PsiTopK, craft_psi_from_p
from tsd.speculative import Generation, baseline_generate, speculative_generate
from tsd.stats import chi2_gof
from tsd.tsu.sim import SimTSU

ALPHA = 0.001


def draw_each(
    tsu: SimTSU, psis: Sequence[PsiTopK], steps: NDArray[np.uint64]
) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
    """One top-K draw per payload, as flat (tokens, log q) columns."""
    draws = tsu.draw(psis, steps)
    return np.ascontiguousarray(draws.tokens[:, 0]), np.ascontiguousarray(draws.logq[:, 0])


def generate(
    target: NDArray[np.float64],
    draft: NDArray[np.float64],
    prompts: Sequence[History],
    *,
    max_new_tokens: int,
    L: int,
    K: int,
    seed: int = 0,
    drafting: str = "token",
) -> Generation:
    """Speculative generation with table models and the simulated TSU keyed by `seed`."""
    drafter = make_drafter(drafting, TableLM(draft), SimTSU(seed), L=L, K=K)
    return speculative_generate(
        TableLM(target), drafter, prompts, max_new_tokens=max_new_tokens, seed=seed
    )


SEQUENCES = 100_000


@pytest.mark.parametrize(
    ("block", "drafting"),
    [(1, "token"), (2, "token"), (3, "token"), (4, "token"), (2, "chain"), (3, "chain")],
)
def test_emitted_sequences_follow_the_target(block: int, drafting: str) -> None:
    prompts = [np.array([0], dtype=np.uint32)] * SEQUENCES
    generation = generate(
        TARGET,
        DRAFT,
        prompts,
        max_new_tokens=3,
        L=block,
        K=2,
        seed=block,
        drafting=drafting,
    )
    out = np.stack(generation.outputs).astype(np.int64)
    cells = np.bincount(out[:, 0] * 16 + out[:, 1] * 4 + out[:, 2], minlength=64)
    expected = joint_of_first_three(TARGET, 0)
    assert chi2_gof(cells, expected).p_value > ALPHA
    for position, marginal in enumerate(
        [TARGET[0], TARGET[0] @ TARGET, TARGET[0] @ TARGET @ TARGET]
    ):
        counts = np.bincount(out[:, position], minlength=4)
        assert chi2_gof(counts, marginal).p_value > ALPHA
    # Power: a 0.5% shift of mass between two cells must be rejected by the same counts.
    biased = expected.copy()
    order = np.argsort(expected)
    biased[order[-1]] -= 0.005
    biased[order[-2]] += 0.005
    assert chi2_gof(cells, biased).p_value < ALPHA
    assert 0.2 < generation.stats.acceptance_rate < 0.95
    rounds = generation.stats.target_calls
    assert generation.stats.tsu_calls == (rounds if drafting == "chain" else rounds * block)


def fixed_rows_run(
    p_rows: list[NDArray[np.float64]], q_rows: list[NDArray[np.float64]], sequences: int
) -> tuple[NDArray[np.uint32], list[float]]:
    """Accepted counts of `sequences` blocks whose rows do not depend on the drafts."""
    block = len(q_rows)
    psis = [craft_psi_from_p(q, q.size, 1.0, "auto") for q in q_rows]
    overlaps = [
        float(np.minimum(p, np.exp(psi.dense_logq())).sum())
        for p, psi in zip(p_rows, psis, strict=False)
    ]
    steps = np.arange(sequences, dtype=np.uint64) * np.uint64(block + 1)
    tokens = np.empty((sequences, block), dtype=np.uint32)
    logq = np.empty((sequences, block))
    tsu = SimTSU(5)
    for i, psi in enumerate(psis):
        tokens[:, i], logq[:, i] = draw_each(tsu, [psi] * sequences, steps + np.uint64(i))
    rows = np.log(np.stack(p_rows))
    accepted = _core.verify_blocks(
        np.ascontiguousarray(np.tile(rows, (sequences, 1))),
        psis * sequences,
        tokens.ravel(),
        logq.ravel(),
        np.full(sequences, block, dtype=np.uint32),
        np.full(sequences, 5, dtype=np.uint64),
        steps,
    ).accepted
    return accepted, overlaps


def test_accepted_counts_follow_the_closed_form() -> None:
    rng = np.random.Generator(np.random.PCG64(9))
    p_rows = [rng.dirichlet(np.ones(6)) for _ in range(4)]
    q_rows = [rng.dirichlet(np.ones(6)) for _ in range(3)]
    accepted, a = fixed_rows_run(p_rows, q_rows, 100_000)
    expected = [1 - a[0], a[0] * (1 - a[1]), a[0] * a[1] * (1 - a[2]), a[0] * a[1] * a[2]]
    counts = np.bincount(accepted, minlength=4)
    assert chi2_gof(counts, expected).p_value > ALPHA
    shifted = np.array(expected) + np.array([0.005, -0.005, 0.0, 0.0])
    assert chi2_gof(counts, shifted).p_value < ALPHA


def test_tokens_per_call_match_leviathan_eq1() -> None:
    rng = np.random.Generator(np.random.PCG64(4))
    p, q = rng.dirichlet(np.ones(8)), rng.dirichlet(np.ones(8))
    block = 4
    accepted, overlaps = fixed_rows_run([p] * (block + 1), [q] * block, 100_000)
    alpha = overlaps[0]
    tokens_per_call = accepted.astype(np.float64) + 1.0
    closed_form = (1 - alpha ** (block + 1)) / (1 - alpha)
    standard_error = tokens_per_call.std() / np.sqrt(tokens_per_call.size)
    assert abs(tokens_per_call.mean() - closed_form) < 4 * standard_error


def test_the_kernel_handles_a_large_vocabulary_without_overflow() -> None:
    vocab, block = 262_144, 2
    rng = np.random.Generator(np.random.PCG64(3))
    p = rng.dirichlet(np.ones(vocab))
    q = rng.dirichlet(np.ones(vocab))
    psi = craft_psi_from_p(q, 64, 1.0, "auto")
    tokens, logq = draw_each(SimTSU(1), [psi] * block, np.arange(block, dtype=np.uint64))
    rows = np.log(np.tile(p, (block + 1, 1)))
    for seed in range(5):
        emitted = _core.verify_blocks(
            rows, [psi] * block, tokens, logq, np.array([block], dtype=np.uint32),
            np.array([seed], dtype=np.uint64), np.array([0], dtype=np.uint64),
        ).emitted  # fmt: skip
        assert (emitted < vocab).all()


def test_nan_rows_are_errors() -> None:
    psi = craft_psi_from_p(TARGET[0], 2, 1.0, "auto")
    rows = np.log(np.stack([TARGET[0], TARGET[1]]))
    rows[:, :] = np.nan
    with pytest.raises(errors.InvalidArgumentError, match="sequence 0: row 0"):
        _core.verify_blocks(
            rows, [psi], np.array([0], np.uint32), np.array([-1.0]), np.array([1], np.uint32),
            np.array([0], np.uint64), np.array([0], np.uint64),
        )  # fmt: skip


def test_bad_arguments_are_named() -> None:
    prompts = [np.array([0], dtype=np.uint32)]
    with pytest.raises(errors.InvalidArgumentError, match="L"):
        generate(TARGET, DRAFT, prompts, max_new_tokens=3, L=0, K=2)
    with pytest.raises(errors.InvalidArgumentError, match="drafter: vocabulary 5"):
        generate(TARGET, random_rows(5, 1, 1.0), prompts, max_new_tokens=3, L=1, K=2)
    with pytest.raises(errors.InvalidArgumentError, match="prompt 0"):
        baseline_generate(TableLM(TARGET), [np.array([7], dtype=np.uint32)], max_new_tokens=2)
    with pytest.raises(errors.InvalidArgumentError, match="target: needs start"):
        baseline_generate(TARGET, prompts, max_new_tokens=2)  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidArgumentError, match="drafter: needs L and draft"):
        speculative_generate(
            TableLM(TARGET),
            TableLM(DRAFT),  # type: ignore[arg-type]
            prompts,
            max_new_tokens=3,
        )
    with pytest.raises(errors.InvalidArgumentError, match="drafter: must be one of token, chain"):
        generate(TARGET, DRAFT, prompts, max_new_tokens=3, L=1, K=2, drafting="tree")


def test_a_one_token_chain_drafts_exactly_like_per_token_drafting() -> None:
    prompts = [np.array([1, 2], dtype=np.uint32)] * 50
    token, chain = (
        generate(TARGET, DRAFT, prompts, max_new_tokens=20, L=1, K=2, seed=4, drafting=drafting)
        for drafting in ("token", "chain")
    )  # fmt: skip
    for a, b in zip(token.outputs, chain.outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert token.stats.num_accepted_tokens == chain.stats.num_accepted_tokens
    # The chain carries one more byte per round: its L.
    assert chain.stats.psi_bytes - token.stats.psi_bytes == chain.stats.target_calls


def test_same_seed_same_tokens() -> None:
    prompts = [np.array([1, 2], dtype=np.uint32)] * 8
    runs = [generate(TARGET, DRAFT, prompts, max_new_tokens=20, L=3, K=2, seed=4) for _ in range(2)]
    for a, b in zip(runs[0].outputs, runs[1].outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(out.size == 20 for out in runs[0].outputs)


def test_counters_speak_the_metric_vocabulary() -> None:
    prompts = [np.array([1, 2], dtype=np.uint32)] * 8
    stats = generate(TARGET, DRAFT, prompts, max_new_tokens=20, L=3, K=2, seed=5).stats
    values = stats.to_dict()
    assert values["num_drafts"] == stats.target_calls
    assert values["num_draft_tokens"] == 3 * stats.num_drafts
    assert values["acceptance_rate"] == stats.num_accepted_tokens / stats.num_draft_tokens
    assert values["mean_acceptance_length"] == 1 + stats.num_accepted_tokens / stats.num_drafts
    assert sum(values["num_accepted_tokens_per_pos"]) == stats.num_accepted_tokens
    assert values["reached_by_position"][0] == stats.num_drafts
    # Every emitted token is an accepted draft or the one correction or bonus of its round,
    # less what the last rounds cut at max_new_tokens.
    assert stats.tokens <= stats.num_accepted_tokens + stats.num_drafts
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.tokens = 0  # type: ignore[misc]


def test_kernel_replays_in_the_numpy_reference() -> None:
    rng = np.random.Generator(np.random.PCG64(12))
    batch, block, vocab = 300, 3, 50
    logp = np.log(rng.dirichlet(np.ones(vocab), size=(batch, block + 1)))
    psis = _core.craft_psi_rows(rng.dirichlet(np.ones(vocab), size=batch * block), 8, 1.0, None)
    steps = np.arange(batch, dtype=np.uint64) * np.uint64(block + 1)
    draft_steps = (steps[:, None] + np.arange(block, dtype=np.uint64)).ravel()
    tokens, logq = draw_each(SimTSU(2), psis, draft_steps)
    verdicts = _core.verify_blocks(
        np.ascontiguousarray(logp.reshape(-1, vocab)), psis, tokens, logq,
        np.full(batch, block, np.uint32), np.full(batch, 9, np.uint64), steps,
    )  # fmt: skip
    accepted, emitted, offsets = verdicts.accepted, verdicts.emitted, verdicts.offsets
    words = np.stack(
        [reference.rng_words(9, reference.STREAM_VERIFY, int(s), block + 1) for s in steps]
    )
    logq_rows = np.stack([psi.dense_logq() for psi in psis]).reshape(batch, block, vocab)
    ref_accepted, ref_emitted = reference.verify_blocks_dense(
        logp, logq_rows, tokens.reshape(batch, block), logq.reshape(batch, block), words
    )
    np.testing.assert_array_equal(accepted, ref_accepted)
    for b in range(batch):
        assert emitted[offsets[b] : offsets[b + 1]].tolist() == ref_emitted[b]
    assert 0 < accepted.mean() < block


def test_ragged_batches_equal_one_sequence_at_a_time() -> None:
    rng = np.random.Generator(np.random.PCG64(21))
    vocab, lengths = 30, [1, 3, 2, 4]
    psis = _core.craft_psi_rows(rng.dirichlet(np.ones(vocab), size=sum(lengths)), 6, 1.0, None)
    steps = np.array([0, 100, 200, 300], dtype=np.uint64)
    draft_steps = np.concatenate(
        [s + np.arange(n, dtype=np.uint64) for s, n in zip(steps, lengths, strict=True)]
    )
    tokens, logq = draw_each(SimTSU(3), psis, draft_steps)
    rows = np.log(rng.dirichlet(np.ones(vocab), size=sum(lengths) + len(lengths)))
    seeds = np.full(len(lengths), 8, np.uint64)
    batch = [
        _core.verify_blocks(
            rows, psis, tokens, logq, np.array(lengths, np.uint32), seeds, steps, parallel
        )
        for parallel in (False, True)
    ]
    for column in ("accepted", "emitted", "offsets"):
        np.testing.assert_array_equal(getattr(batch[0], column), getattr(batch[1], column))
    accepted, emitted, offsets = batch[0].accepted, batch[0].emitted, batch[0].offsets
    assert repr(batch[0]) == f"BlockVerdicts(sequences=4, emitted={emitted.size})"
    draft, row = 0, 0
    for i, n in enumerate(lengths):
        alone = _core.verify_blocks(
            np.ascontiguousarray(rows[row : row + n + 1]), psis[draft : draft + n],
            tokens[draft : draft + n], logq[draft : draft + n], np.array([n], np.uint32),
            seeds[i : i + 1], steps[i : i + 1],
        )  # fmt: skip
        assert alone.accepted[0] == accepted[i]
        np.testing.assert_array_equal(alone.emitted, emitted[offsets[i] : offsets[i + 1]])
        draft, row = draft + n, row + n + 1
