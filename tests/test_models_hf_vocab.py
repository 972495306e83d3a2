"""check_same_vocabulary accepts tokenizers that number the vocabulary alike and names the
first ids where two differ."""

import re

import pytest

from tests.support.tiny_hf import word_tokenizer
from tsd.errors import ModelError, VocabularyMismatchError
from tsd.models.hf import check_same_vocabulary

WORDS = ["the", "cat", "sat", "on", "mat", "dog", "ran", "far"]


def test_tokenizers_that_number_alike_pass() -> None:
    target = word_tokenizer(WORDS)
    check_same_vocabulary(target, word_tokenizer(WORDS, chat_template=False), len(target))
    # Only ids below the model's vocabulary matter: a longer tokenizer beyond it passes.
    longer = word_tokenizer([*WORDS, "extra"])
    check_same_vocabulary(target, longer, len(target))


def test_swapped_ids_are_listed() -> None:
    swapped = [*WORDS]
    swapped[1], swapped[4] = swapped[4], swapped[1]
    with pytest.raises(VocabularyMismatchError) as caught:
        check_same_vocabulary(word_tokenizer(WORDS), word_tokenizer(swapped), 13)
    message = str(caught.value)
    assert "maps 2 ids differently" in message
    assert "6: 'cat' vs 'mat'" in message
    assert "9: 'mat' vs 'cat'" in message
    assert isinstance(caught.value, ModelError)


def test_only_the_first_five_differences_are_shown() -> None:
    shifted = ["zero", *WORDS[:-1]]
    with pytest.raises(VocabularyMismatchError, match="maps 8 ids differently") as caught:
        check_same_vocabulary(word_tokenizer(WORDS), word_tokenizer(shifted), 13)
    shown = re.findall(r"(\d+): '", str(caught.value))
    assert shown == ["5", "6", "7", "8", "9"]


def test_a_shorter_draft_vocabulary_is_a_mismatch() -> None:
    with pytest.raises(VocabularyMismatchError, match=r"12: 'far' vs None"):
        check_same_vocabulary(word_tokenizer(WORDS), word_tokenizer(WORDS[:-1]), 13)


class IdsOnly:
    """The two methods check_same_vocabulary needs, over a list of token strings."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens

    def __len__(self) -> int:
        return len(self.tokens)

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self.tokens[i] for i in ids]


def test_any_object_with_ids_to_tokens_is_compared() -> None:
    check_same_vocabulary(IdsOnly(["a", "b", "c"]), IdsOnly(["a", "b", "c"]), 3)
    with pytest.raises(VocabularyMismatchError, match="1: 'b' vs 'B'"):
        check_same_vocabulary(IdsOnly(["a", "b", "c"]), IdsOnly(["a", "B", "c"]), 3)
