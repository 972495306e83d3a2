"""KVSession is exact: through random extends and rollbacks on a ragged batch, every opened
position scores like a no-cache forward of its whole history (float64, within 1e-12), while
holes are trimmed and compacted away; bad calls raise named errors and change nothing."""

from collections.abc import Callable

import numpy as np
import pytest
import torch
from transformers import MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

from tests.support.tiny_hf import assert_rows_close, reference_logp, tiny_model
from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import HFModel, KVSession

VOCAB = 12


def opened_histories(held: list[list[int]], sequences: list[int], blocks: list[list[int]]):
    """The history behind each position an extend opens, in its order."""
    return [
        held[b] + block[:i]
        for b, block in zip(sequences, blocks, strict=True)
        for i in range(len(block) + 1)
    ]


def cache_width(session: KVSession) -> int:
    """Slots in the session's KV cache (holes included)."""
    return int(session._cache.get_seq_length())


def check_scores(
    model: HFModel,
    rng: np.random.Generator,
    scores: object,
    histories: list[list[int]],
    tolerance: float,
) -> None:
    """Read the scores one of three ways and compare them with no-cache forwards."""
    expected = reference_logp(model.module, histories, model.law)
    way = rng.integers(3)
    if way == 0:
        got = scores.rows(np.arange(len(histories)))  # type: ignore[attr-defined]
        assert_rows_close(got, expected, tolerance)
    elif way == 1:
        picked = rng.permutation(len(histories))[: rng.integers(1, len(histories) + 1)]
        assert_rows_close(scores.rows(picked), expected[picked], tolerance)  # type: ignore[attr-defined]
    else:
        tokens = rng.integers(0, VOCAB, len(histories)).astype(np.uint32)
        got = scores.token_logp(np.arange(len(histories)), tokens)  # type: ignore[attr-defined]
        chosen = expected[np.arange(len(histories)), tokens]
        assert_rows_close(got[:, None], chosen[:, None], tolerance)


@pytest.mark.parametrize(
    ("seed", "dtype", "tolerance"),
    [(1, torch.float64, 1e-12), (2, torch.float64, 1e-12), (3, torch.float64, 1e-12),
     # float32: padded batches and lone forwards may round differently, within 1e-5.
     (4, torch.float32, 1e-5)],
)  # fmt: skip
def test_random_extends_and_rollbacks_score_like_full_forwards(
    seed: int, dtype: torch.dtype, tolerance: float
) -> None:
    model = tiny_model(VOCAB, seed, max_length=64, dtype=dtype)
    rng = np.random.Generator(np.random.PCG64(seed))
    prompts = [rng.integers(0, VOCAB, n).astype(np.uint32) for n in (1, 5, 3, 8)]
    session = model.start(prompts)
    held = [p.tolist() for p in prompts]
    compactions = trims = reads = 0
    for _ in range(150):
        if rng.random() < 0.4:
            sequences = sorted(rng.permutation(4)[: rng.integers(1, 5)].tolist())
            counts = [int(rng.integers(0, len(held[b]))) for b in sequences]
            before = cache_width(session)
            session.rollback(sequences, counts)
            trims += cache_width(session) < before
            for b, n in zip(sequences, counts, strict=True):
                del held[b][len(held[b]) - n :]
        else:
            sequences = rng.permutation(4)[: rng.integers(1, 5)].tolist()
            blocks = [
                rng.integers(0, VOCAB, min(rng.integers(0, 5), 30 - len(held[b]))).tolist()
                for b in sequences
            ]
            histories = opened_histories(held, sequences, blocks)
            scores = session.extend(sequences, blocks)
            assert list(np.diff(scores.offsets)) == [len(block) + 1 for block in blocks]
            for b, block in zip(sequences, blocks, strict=True):
                held[b].extend(block)
            if rng.random() < 0.75:
                before = cache_width(session)
                check_scores(model, rng, scores, histories, tolerance)
                reads += 1
                compactions += cache_width(session) <= before
        for b in range(4):
            assert session.tokens(b).tolist() == held[b]
        assert cache_width(session) <= 2 * max(map(len, held)) + 64 + 35
    assert reads > 50
    assert compactions > 0
    assert trims > 0


def test_an_extend_is_computed_once_and_only_when_read() -> None:
    model = tiny_model(VOCAB, 4)
    session = model.start([np.array([1, 2], np.uint32), np.array([3], np.uint32)])
    scores = session.extend([1, 0], [[4, 5], []])
    assert model.clock.calls == 0
    first = scores.rows(np.arange(4))
    again = scores.token_logp(np.arange(4), np.array([0, 1, 2, 3], np.uint32))
    assert model.clock.calls == 1
    np.testing.assert_array_equal(again, first[np.arange(4), [0, 1, 2, 3]])
    expected = reference_logp(model.module, [[3], [3, 4], [3, 4, 5], [1, 2]], model.law)
    assert_rows_close(first, expected)


def test_unread_extends_are_fed_by_the_next_read() -> None:
    model = tiny_model(VOCAB, 5)
    session = model.start([np.array([1, 2, 3], np.uint32), np.array([4, 5], np.uint32)])
    session.extend([0, 1], [[6], [7, 8]])
    session.rollback([1], [1])
    session.extend([0], [[9, 10]])
    scores = session.extend([1], [[11]])
    expected = reference_logp(model.module, [[4, 5, 7], [4, 5, 7, 11]], model.law)
    assert_rows_close(scores.rows(np.arange(2)), expected)
    assert model.clock.calls == 1
    tail = session.extend([0], [[]])
    assert_rows_close(
        tail.rows(np.arange(1)), reference_logp(model.module, [[1, 2, 3, 6, 9, 10]], model.law)
    )


def test_a_session_reaches_the_context_window_exactly() -> None:
    model = tiny_model(VOCAB, 6, max_length=8)
    session = model.start([np.arange(1, 8, dtype=np.uint32), np.array([1], np.uint32)])
    scores = session.extend([0, 1], [[2], [3, 4]])
    expected = reference_logp(
        model.module, [list(range(1, 8)), [*range(1, 8), 2], [1], [1, 3], [1, 3, 4]], model.law
    )
    assert_rows_close(scores.rows(np.arange(5)), expected)
    with pytest.raises(ModelError, match="sequence 0 would grow past the model's context window"):
        session.extend([0], [[5]])


def snapshot(session: KVSession) -> list[list[int]]:
    return [session.tokens(b).tolist() for b in range(session.batch_size)]


BAD_CALLS = [
    ("extend", ([0, 1], [[1]]), InvalidArgumentError, "blocks: 2 sequences need as many blocks"),
    ("extend", ([0, 1], [[1], [VOCAB]]), InvalidArgumentError, r"blocks: .*sequence 1.*outside"),
    ("extend", ([0], [[-1]]), InvalidArgumentError, r"blocks: .*sequence 0.*outside"),
    ("extend", ([1, 0, 1], [[1], [2], [3]]), InvalidArgumentError, "sequence 1 is listed twice"),
    ("extend", ([0, 2], [[1], [2]]), InvalidArgumentError, r"sequences: must be in \[0, 1\]"),
    ("extend", ([0, 1], [[1], [2] * 40]), ModelError, "sequence 1 would grow past"),
    ("rollback", ([0, 1], [1]), InvalidArgumentError, "counts: 2 sequences need as many counts"),
    ("rollback", ([0, 1], [1, 5]), InvalidArgumentError, r"counts: must be in \[0, 4\], got 5"),
    ("rollback", ([1], [-1]), InvalidArgumentError, r"counts: must be in \[0, 4\], got -1"),
    ("rollback", ([0, -1], [1, 1]), InvalidArgumentError, r"sequences: must be in \[0, 1\]"),
]


@pytest.mark.parametrize(
    ("method", "arguments", "error", "message"), BAD_CALLS, ids=[c[3] for c in BAD_CALLS]
)
def test_bad_calls_are_named_and_change_nothing(
    method: str, arguments: tuple[list[int], list[object]], error: type, message: str
) -> None:
    model = tiny_model(VOCAB, 7, max_length=40)
    session = model.start([np.array([1, 2, 3], np.uint32), np.array([4, 5, 6], np.uint32)])
    pending = session.extend([0, 1], [[7], [8, 9]])
    before = snapshot(session)
    with pytest.raises(error, match=message):
        getattr(session, method)(*arguments)
    assert snapshot(session) == before
    # The extend before the bad call is still the latest: its scores read, and are right.
    expected = reference_logp(
        model.module, [[1, 2, 3], [1, 2, 3, 7], [4, 5, 6], [4, 5, 6, 8], [4, 5, 6, 8, 9]], model.law
    )
    assert_rows_close(pending.rows(np.arange(5)), expected)
    after = session.extend([1, 0], [[10], []])
    expected = reference_logp(
        model.module, [[4, 5, 6, 8, 9], [4, 5, 6, 8, 9, 10], [1, 2, 3, 7]], model.law
    )
    assert_rows_close(after.rows(np.arange(3)), expected)


def test_scores_read_after_the_session_changed_are_errors() -> None:
    model = tiny_model(VOCAB, 8)
    session = model.start([np.array([1, 2], np.uint32)])
    stale = session.extend([0], [[3]])
    session.extend([0], [[4]])
    with pytest.raises(InvalidArgumentError, match="scores: read after the session changed"):
        stale.rows(np.arange(2))
    rolled = session.extend([0], [[5]])
    session.rollback([0], [1])
    with pytest.raises(InvalidArgumentError, match="scores: read after the session changed"):
        rolled.token_logp(np.arange(1), np.array([0], np.uint32))
    read = session.extend([0], [[6]])
    rows = read.rows(np.arange(2))
    session.rollback([0], [2])
    np.testing.assert_array_equal(read.rows(np.arange(2)), rows)


def test_prompts_are_checked() -> None:
    model = tiny_model(VOCAB, 9, max_length=6)
    with pytest.raises(ModelError, match="prompt 1 has 7 tokens, past the model's context window"):
        model.start([np.array([1], np.uint32), np.arange(7, dtype=np.uint32)])
    with pytest.raises(InvalidArgumentError, match=r"prompts: prompt 0 holds an id outside"):
        model.start([np.array([VOCAB], np.uint32)])
    with pytest.raises(InvalidArgumentError, match="prompts: prompt 0 must be a non-empty"):
        model.start([np.array([], np.uint32)])
    with pytest.raises(InvalidArgumentError, match="prompts: need a non-empty list"):
        model.start([])


def test_rollback_may_not_empty_a_sequence() -> None:
    model = tiny_model(VOCAB, 10)
    session = model.start([np.array([1, 2], np.uint32)])
    session.extend([0], [[3]])
    with pytest.raises(InvalidArgumentError, match=r"counts: must be in \[0, 2\], got 3"):
        session.rollback([0], [3])
    session.rollback([0], [2])
    assert session.tokens(0).tolist() == [1]


SMALL = {
    "vocab_size": VOCAB,
    "hidden_size": 16,
    "intermediate_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
}


@pytest.mark.parametrize(
    "module",
    [
        lambda: MistralForCausalLM(MistralConfig(**SMALL, sliding_window=4)),
        # The first layer full, the second windowed.
        lambda: Qwen2ForCausalLM(
            Qwen2Config(**SMALL, use_sliding_window=True, sliding_window=4, max_window_layers=1)
        ),
    ],
    ids=["mistral", "qwen2 with a windowed layer"],
)
def test_sliding_window_models_are_refused(module: Callable[[], torch.nn.Module]) -> None:
    torch.manual_seed(0)
    model = HFModel(module())
    with pytest.raises(ModelError, match="DynamicSlidingWindowLayer is not one"):
        model.start([np.arange(6, dtype=np.uint32)])


@pytest.mark.parametrize(
    "module",
    [
        lambda: MistralForCausalLM(MistralConfig(**SMALL, sliding_window=None)),
        lambda: Qwen2ForCausalLM(Qwen2Config(**SMALL, use_sliding_window=False)),
    ],
    ids=["mistral without a window", "qwen2 without a window"],
)
def test_full_attention_configs_of_windowed_families_decode_exactly(
    module: Callable[[], torch.nn.Module],
) -> None:
    torch.manual_seed(0)
    model = HFModel(module().to(torch.float64))
    session = model.start([np.array([1, 2, 3, 4, 5, 6], np.uint32), np.array([7], np.uint32)])
    session.extend([0, 1], [[8], [9, 10]])
    session.rollback([1], [1])
    scores = session.extend([1, 0], [[11], []])
    histories = [[7, 9], [7, 9, 11], [1, 2, 3, 4, 5, 6, 8]]
    assert_rows_close(scores.rows(np.arange(3)), reference_logp(model.module, histories, model.law))


def test_a_cached_sequence_feeds_only_new_tokens_until_a_rollback_reaches_its_cache() -> None:
    model = tiny_model(VOCAB, 21)
    session = model.start([np.array([1, 2, 3, 4], dtype=np.uint32)])
    held = [1, 2, 3, 4]

    def extend_and_count(block: list[int]) -> int:
        before = model.clock.positions
        scores = session.extend([0], [block])
        rows = scores.rows(np.arange(len(block) + 1))
        assert_rows_close(
            rows, reference_logp(model.module, opened_histories([held], [0], [block]), model.law)
        )
        held.extend(block)
        return model.clock.positions - before

    assert extend_and_count([]) == 4  # the prompt
    assert extend_and_count([5, 6]) == 2  # the row after token 4 was kept
    assert extend_and_count([]) == 0  # nothing new: the kept row alone
    session.rollback([0], [1])
    del held[-1:]
    assert extend_and_count([7]) == 2  # token 5 fed again to open the position after it


def test_reading_a_position_or_token_outside_what_was_opened_is_a_named_error() -> None:
    model = tiny_model(VOCAB, 22)
    session = model.start([np.array([1, 2], dtype=np.uint32)])
    scores = session.extend([0], [[3]])
    with pytest.raises(
        InvalidArgumentError, match=r"positions: this extend opened positions 0\.\.1"
    ):
        scores.rows(np.array([2]))
    with pytest.raises(InvalidArgumentError, match="positions"):
        scores.rows(np.array([-1]))
    with pytest.raises(InvalidArgumentError, match="tokens"):
        scores.token_logp(np.array([0]), np.array([VOCAB], dtype=np.uint32))
    assert scores.rows(np.array([1])).shape == (1, VOCAB)
