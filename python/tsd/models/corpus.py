"""Corpora: reading a text file as a model's training text, and splitting off held-out text."""

import os

from tsd.errors import CorpusError, InvalidArgumentError
from tsd.files import read_text_file

__all__ = ["read_corpus", "split_corpus"]


def read_corpus(path: str | os.PathLike[str]) -> str:
    """The corpus as text: a bounded regular UTF-8 file (`tsd.files.read_text_file`) with at
    least two distinct characters; each failure named."""
    text = read_text_file(path, "corpus", CorpusError)
    if not text:
        raise CorpusError(f"corpus: {path} is empty")
    if len(set(text)) < 2:
        raise CorpusError(f"corpus: {path} has a single distinct character; a model needs two")
    return text


def split_corpus(text: str, heldout_fraction: float = 0.1) -> tuple[str, str]:
    """(training split, held-out split): the last `heldout_fraction` of the text is held out."""
    if not 0.0 < heldout_fraction < 1.0:
        raise InvalidArgumentError(f"heldout_fraction: must be in (0, 1), got {heldout_fraction}")
    cut = int(len(text) * (1.0 - heldout_fraction))
    return text[:cut], text[cut:]
