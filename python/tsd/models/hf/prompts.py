"""Prompt text to token ids through a model's tokenizer, as chat turns or as plain text."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.session import History

__all__ = ["encode_prompts"]


def encode_prompts(tokenizer: Any, texts: Sequence[str], *, chat_template: bool) -> list[History]:
    """Each text as ids: a user turn through the tokenizer's chat template (with the
    assistant's turn opened), or the text as is; empty prompts are errors."""
    if tokenizer is None:
        raise ModelError("prompts: the model has no tokenizer to encode text with")
    if chat_template and not getattr(tokenizer, "chat_template", None):
        raise ModelError("use_chat_template: the model's tokenizer has no chat template")
    encoded = []
    for i, text in enumerate(texts):
        if not text.strip():
            raise InvalidArgumentError(f"prompts: prompt {i} is empty")
        if chat_template:
            ids = tokenizer.apply_chat_template(
                [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=True
            )
            if isinstance(ids, dict) or hasattr(ids, "input_ids"):
                ids = ids["input_ids"]
        else:
            ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        encoded.append(np.asarray(ids, dtype=np.uint32))
    return encoded
