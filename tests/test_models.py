"""The Rust Kneser–Ney model against an independent Python implementation, and its wrapper;
sessions, vocabularies and prompt checks."""

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.support import SHAKESPEARE, kn_reference
from tsd import _core, errors
from tsd.models import CharVocab, History, NgramLM, RecomputingSession, check_prompts, split_corpus

TEXT = (
    "First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. "
    "First Citizen: You are all resolved rather to die than to famish? All: Resolved. resolved."
)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_matches_the_python_reference(order: int) -> None:
    vocab = CharVocab.from_text(TEXT)
    ids = vocab.encode(TEXT)
    model = NgramLM.train(TEXT, vocab, order)
    reference = kn_reference.train(ids.tolist(), order)
    # Every seventh prefix of the text, and "?A", a pair the text never contains.
    histories = [ids[:end] for end in range(0, len(ids), 7)] + [vocab.encode("?A")]
    got = np.exp(model.logprobs_batch(histories))
    for history, row in zip(histories, got, strict=True):
        expected = kn_reference.probs(reference, history.tolist(), vocab.size)
        np.testing.assert_allclose(row, expected, rtol=1e-12, atol=1e-15)
        assert row.sum() == pytest.approx(1.0, abs=1e-12)


def test_discounts_follow_the_count_of_counts() -> None:
    vocab = CharVocab.from_text(TEXT)
    model = NgramLM.train(TEXT, vocab, 3)
    _, discounts = kn_reference.train(vocab.encode(TEXT).tolist(), 3)
    np.testing.assert_allclose(model.model.discounts, discounts, rtol=1e-15)


def test_vocabulary_round_trips_and_names_unknown_characters() -> None:
    vocab = CharVocab.from_text("hello world")
    assert vocab.decode(vocab.encode("low")) == "low"
    with pytest.raises(errors.InvalidArgumentError, match="character 'z'"):
        vocab.encode("hold zero")


def test_bad_orders_and_histories_are_named() -> None:
    vocab = CharVocab.from_text(TEXT)
    with pytest.raises(errors.InvalidArgumentError, match="order"):
        NgramLM.train(TEXT, vocab, 9)
    model = NgramLM.train(TEXT, vocab, 2)
    with pytest.raises(errors.InvalidArgumentError, match="context"):
        model.logprobs_batch([np.array([vocab.size], dtype=np.uint32)])


def test_split_keeps_the_tail_for_prompts() -> None:
    train, held = split_corpus("abcdefghij", 0.2)
    assert (train, held) == ("abcdefgh", "ij")
    with pytest.raises(errors.InvalidArgumentError):
        split_corpus("abc", 1.5)


@pytest.mark.skipif(not SHAKESPEARE.is_file(), reason=f"no corpus at {SHAKESPEARE}")
def test_higher_order_predicts_held_out_text_better() -> None:
    text = SHAKESPEARE.read_text(encoding="utf-8")
    vocab = CharVocab.from_text(text)
    train, held = split_corpus(text)
    ids = vocab.encode(held[:5001])
    histories = [ids[max(0, i - 8) : i] for i in range(1, 5001)]
    bits = {}
    for order in (2, 6):
        lp = NgramLM.train(train, vocab, order).logprobs_batch(histories)
        bits[order] = -lp[np.arange(5000), ids[1:]].mean() / np.log(2)
    assert bits[6] < bits[2] - 1.0, bits


def test_a_session_extends_scores_and_rolls_back() -> None:
    vocab = CharVocab.from_text(TEXT)
    model = NgramLM.train(TEXT, vocab, 3)
    prompts = [vocab.encode("First"), vocab.encode("All")]
    session = model.start(prompts)
    scores = session.extend([1, 0], [vocab.encode(": S"), vocab.encode("")])
    np.testing.assert_array_equal(scores.offsets, [0, 4, 5])
    histories = [vocab.encode(t) for t in ("All", "All:", "All: ", "All: S", "First")]
    expected = model.logprobs_batch(histories)
    positions = np.arange(5)
    np.testing.assert_array_equal(scores.rows(positions), expected)
    tokens = vocab.encode(": Sp")
    np.testing.assert_array_equal(
        scores.token_logp(positions[:4], tokens), expected[np.arange(4), tokens]
    )
    session.rollback([1], [2])
    np.testing.assert_array_equal(session.tokens(1), vocab.encode("All:"))
    session.extend([1], [vocab.encode("z")])
    np.testing.assert_array_equal(session.tokens(1), vocab.encode("All:z"))
    np.testing.assert_array_equal(session.tokens(0), vocab.encode("First"))


def test_a_session_rejects_what_it_cannot_hold() -> None:
    vocab = CharVocab.from_text(TEXT)
    session = NgramLM.train(TEXT, vocab, 2).start([vocab.encode("All")])
    with pytest.raises(errors.InvalidArgumentError, match="counts"):
        session.rollback([0], [4])
    with pytest.raises(errors.InvalidArgumentError, match="blocks"):
        session.extend([0], [[vocab.size]])
    with pytest.raises(errors.InvalidArgumentError, match="blocks"):
        session.extend([0], [])


def test_decode_is_encode_reversed() -> None:
    vocab = CharVocab.from_text(TEXT)
    assert vocab.decode(vocab.encode(TEXT)) == TEXT
    assert vocab.decode([]) == ""


def test_prompts_may_be_the_rows_of_one_array() -> None:
    rows = np.array([[0, 1], [2, 3]], dtype=np.int64)
    checked = check_prompts(rows, 4)
    assert [c.tolist() for c in checked] == [[0, 1], [2, 3]]
    assert all(c.dtype == np.uint32 for c in checked)


class LastTokensLM:
    """Records the histories it is asked about; p is uniform over 3 tokens."""

    vocab_size = 3

    def __init__(self) -> None:
        self.seen: list[list[int]] = []

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        self.seen.extend(h.tolist() for h in histories)
        return np.full((len(histories), 3), -np.log(3.0))


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (2, [[1, 2], [2, 0], [0, 1]]),
        (None, [[0, 1, 2], [0, 1, 2, 0], [0, 1, 2, 0, 1]]),
        (0, [[]] * 3),
    ],
)
def test_a_recomputing_session_cuts_histories_to_the_context(
    context: int | None, expected: list[list[int]]
) -> None:
    model = LastTokensLM()
    session = RecomputingSession(model, [np.array([0, 1, 2])], context=context)
    scores = session.extend([0], [[0, 1]])
    scores.rows(np.arange(3))
    assert model.seen == expected


def test_huge_vocabularies_and_batches_fail_before_allocating() -> None:
    tokens = np.array([0, 1, 0], dtype=np.uint32)
    with pytest.raises(errors.InvalidArgumentError, match="vocab"):
        _core.NgramModel.train(tokens, 2**32 - 1, 1)
    # At the largest vocabulary a million empty histories would need 134 TB of rows.
    model = _core.NgramModel.train(tokens, 2**24, 1)
    with pytest.raises(MemoryError, match="logprobs"):
        model.logprobs_batch(tokens, np.zeros(10**6 + 1, dtype=np.uint64))
    assert model.logprobs_batch(tokens, np.array([0, 1], dtype=np.uint64)).shape == (1, 2**24)
