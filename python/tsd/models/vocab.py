"""Vocabularies: how text becomes the token ids a model and a payload speak."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd.errors import CorpusError, InvalidArgumentError

__all__ = ["CharVocab"]


@dataclass(frozen=True)
class CharVocab:
    """The sorted distinct characters of a text; ids are positions in that order."""

    symbols: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> "CharVocab":
        if len(set(text)) < 2:
            raise CorpusError("corpus: a vocabulary needs at least two distinct characters")
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.symbols)

    def encode(self, text: str, what: str = "text") -> NDArray[np.uint32]:
        """Ids of `text`; a character outside the vocabulary is an error naming it."""
        index = {symbol: i for i, symbol in enumerate(self.symbols)}
        try:
            return np.fromiter((index[c] for c in text), dtype=np.uint32, count=len(text))
        except KeyError as exc:
            raise InvalidArgumentError(
                f"{what}: character {exc.args[0]!r} is not in the corpus vocabulary"
            ) from None

    def decode(self, ids: Sequence[int] | NDArray[np.integer]) -> str:
        """The text of `ids`; an id that is not an integer in [0, size) is an error."""
        array = np.asarray(ids)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "ui"):
            raise InvalidArgumentError(
                f"ids: must be a 1-D sequence of integer ids, got {array.dtype} "
                f"of shape {array.shape}"
            )
        if array.size and (int(array.min()) < 0 or int(array.max()) >= self.size):
            bad = next(int(i) for i in array if not 0 <= int(i) < self.size)
            raise InvalidArgumentError(f"ids: {bad} is outside the vocabulary [0, {self.size})")
        return "".join(self.symbols[int(i)] for i in array)
