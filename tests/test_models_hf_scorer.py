"""PrefixScorer (HFModel.logprobs_batch) is exact and reuses its cache: whatever histories it
is asked for, in batches that grow, shrink and diverge, each row equals a no-cache forward of
that history; a history that extends one asked for before costs a forward of the new tokens."""

import numpy as np
import pytest

from tests.support.tiny_hf import assert_rows_close, reference_logp, tiny_model
from tsd.errors import InvalidArgumentError
from tsd.models.hf import PrefixScorer

VOCAB = 10


def ids(*tokens: int) -> np.ndarray:
    return np.array(tokens, dtype=np.uint32)


def test_random_batches_score_like_full_forwards() -> None:
    model = tiny_model(VOCAB, 11, max_length=64)
    rng = np.random.Generator(np.random.PCG64(11))
    histories = [rng.integers(0, VOCAB, n).tolist() for n in (2, 5, 1)]
    for _ in range(60):
        move = rng.integers(5)
        if move == 0:
            # Grow: a new history, sometimes sharing a prefix with one already asked for.
            base = histories[rng.integers(len(histories))]
            keep = int(rng.integers(0, len(base) + 1))
            histories.append(base[:keep] + rng.integers(0, VOCAB, rng.integers(1, 4)).tolist())
        elif move == 1 and len(histories) > 1:
            # Shrink: drop a history.
            histories.pop(int(rng.integers(len(histories))))
        elif move == 2:
            # Diverge: cut a history back and continue it differently.
            j = int(rng.integers(len(histories)))
            cut = int(rng.integers(1, len(histories[j]) + 1))
            histories[j] = histories[j][:cut] + rng.integers(0, VOCAB, rng.integers(0, 3)).tolist()
        else:
            # Draft: every history one token longer.
            histories = [[*h, int(rng.integers(VOCAB))] for h in histories]
        histories = [h[-40:] for h in histories]
        asked = [histories[int(j)] for j in rng.permutation(len(histories))]
        got = model.logprobs_batch([np.array(h, dtype=np.uint32) for h in asked])
        assert_rows_close(got, reference_logp(model.module, asked, model.law))


def test_repeated_and_nested_histories() -> None:
    model = tiny_model(VOCAB, 12)
    asked = [[1, 2, 3], [1, 2, 3], [1, 2], [1], [4, 1, 2, 3]]
    for _ in range(2):
        got = model.logprobs_batch([np.array(h, dtype=np.uint32) for h in asked])
        assert_rows_close(got, reference_logp(model.module, asked, model.law))
        asked = [[*h, 5] for h in asked[::-1]]


def test_drafting_feeds_only_the_new_tokens() -> None:
    model = tiny_model(VOCAB, 13)
    scorer = PrefixScorer(model)
    prefixes = [ids(1, 2, 3, 4, 5, 6), ids(7, 8, 9), ids(2, 2, 2, 2, 2, 2, 2, 2)]
    scorer.logprobs_batch(prefixes)
    fed = model.clock.positions
    for step in range(4):
        prefixes = [np.append(p, step).astype(np.uint32) for p in prefixes]
        got = scorer.logprobs_batch(prefixes)
        assert_rows_close(got, reference_logp(model.module, prefixes, model.law))
        # The row after each history's previous end is kept, so only the new token is fed.
        assert model.clock.positions - fed == len(prefixes)
        fed = model.clock.positions


def test_bad_histories_are_named() -> None:
    model = tiny_model(VOCAB, 14)
    with pytest.raises(InvalidArgumentError, match="histories: need at least one history"):
        model.logprobs_batch([])
    with pytest.raises(InvalidArgumentError, match="histories: history 1 holds an id outside"):
        model.logprobs_batch([ids(1), ids(VOCAB)])
    with pytest.raises(InvalidArgumentError, match="histories: history 0 must be a non-empty"):
        model.logprobs_batch([ids()])
