"""Corpora: reading a text file as a model's training text, and splitting off held-out text."""

import os
from pathlib import Path

from tsd.errors import CorpusError, InvalidArgumentError

__all__ = ["read_corpus", "split_corpus"]


def read_corpus(path: str | os.PathLike[str]) -> str:
    """The corpus as text: UTF-8, at least two distinct characters; each failure named."""
    if not isinstance(path, str | os.PathLike):
        raise CorpusError(f"corpus: must be a path, got {type(path).__name__}")
    file = Path(path)
    if not file.exists():
        raise CorpusError(f"corpus: no such file: {file}")
    if file.is_dir():
        raise CorpusError(f"corpus: {file} is a directory, not a text file")
    data = file.read_bytes()
    if not data:
        raise CorpusError(f"corpus: {file} is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"corpus: {file} is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from None
    if len(set(text)) < 2:
        raise CorpusError(f"corpus: {file} has a single distinct character; a model needs two")
    return text


def split_corpus(text: str, heldout_fraction: float = 0.1) -> tuple[str, str]:
    """(training split, held-out split): the last `heldout_fraction` of the text is held out."""
    if not 0.0 < heldout_fraction < 1.0:
        raise InvalidArgumentError(f"heldout_fraction: must be in (0, 1), got {heldout_fraction}")
    cut = int(len(text) * (1.0 - heldout_fraction))
    return text[:cut], text[cut:]
