"""Whether a draft and a target map token ids to the same strings: drafting through ψ sends ids,
so a draft whose tokenizer numbers the vocabulary differently would propose the wrong tokens."""

from typing import Any

from tsd.errors import VocabularyMismatchError

__all__ = ["check_same_vocabulary"]

SHOWN = 5


def _at(tokens: list[str], i: int) -> str | None:
    return tokens[i] if i < len(tokens) else None


def check_same_vocabulary(target: Any, draft: Any, vocab_size: int) -> None:
    """Raise `VocabularyMismatchError` listing the first ids (below `vocab_size`) that the two
    tokenizers map to different tokens."""
    ours = target.convert_ids_to_tokens(list(range(min(len(target), vocab_size))))
    theirs = draft.convert_ids_to_tokens(list(range(min(len(draft), vocab_size))))
    differing = [
        i for i in range(max(len(ours), len(theirs)))
        if i >= len(ours) or i >= len(theirs) or ours[i] != theirs[i]
    ]  # fmt: skip
    if differing:
        shown = ", ".join(f"{i}: {_at(ours, i)!r} vs {_at(theirs, i)!r}" for i in differing[:SHOWN])
        raise VocabularyMismatchError(
            f"draft: its tokenizer maps {len(differing)} ids differently from the target's "
            f"(first: {shown})"
        )
