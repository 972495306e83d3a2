"""encode_prompts: text to ids as chat turns (through the tokenizer's template) or as plain
text; empty prompts and a missing template or tokenizer are named errors."""

import numpy as np
import pytest

from tests.support.tiny_hf import word_tokenizer
from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.hf import encode_prompts

WORDS = ["the", "cat", "sat", "on", "mat"]


def test_plain_text_is_encoded_as_is() -> None:
    tokenizer = word_tokenizer(WORDS)
    encoded = encode_prompts(tokenizer, ["the cat sat", "mat"], chat_template=False)
    assert [e.tolist() for e in encoded] == [[5, 6, 7], [9]]
    assert all(e.dtype == np.uint32 for e in encoded)


def test_chat_prompts_go_through_the_template_with_the_assistant_turn_open() -> None:
    tokenizer = word_tokenizer(WORDS)
    encoded = encode_prompts(tokenizer, ["the cat", "dog"], chat_template=True)
    # <s> user the cat </s> <s> assistant; an unknown word becomes <unk> (2).
    assert encoded[0].tolist() == [0, 3, 5, 6, 1, 0, 4]
    assert encoded[1].tolist() == [0, 3, 2, 1, 0, 4]
    assert encoded[0].dtype == np.uint32


@pytest.mark.parametrize("template", [False, True])
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_prompts_are_named(template: bool, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match="prompts: prompt 1 is empty"):
        encode_prompts(word_tokenizer(WORDS), ["the cat", text], chat_template=template)


def test_a_tokenizer_without_a_template_refuses_chat_prompts() -> None:
    tokenizer = word_tokenizer(WORDS, chat_template=False)
    with pytest.raises(ModelError, match="use_chat_template: the model's tokenizer has no chat"):
        encode_prompts(tokenizer, ["the cat"], chat_template=True)
    assert encode_prompts(tokenizer, ["the cat"], chat_template=False)[0].tolist() == [5, 6]


def test_a_model_without_a_tokenizer_cannot_encode() -> None:
    with pytest.raises(ModelError, match="prompts: the model has no tokenizer"):
        encode_prompts(None, ["the cat"], chat_template=False)
