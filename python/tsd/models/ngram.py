"""Character n-gram language models (interpolated Kneser–Ney, trained in Rust) and the
character vocabulary they share."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_int
from tsd.errors import CorpusError, InvalidArgumentError

History = NDArray[np.uint32]


class LanguageModel(Protocol):
    """What speculative decoding needs of a model: next-token log-probabilities."""

    @property
    def vocab_size(self) -> int: ...

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        """ln p(· | history) for each history: shape (len(histories), vocab_size)."""
        ...


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

    def encode(self, text: str, what: str = "text") -> History:
        """Ids of `text`; a character outside the vocabulary is an error naming it."""
        index = {symbol: i for i, symbol in enumerate(self.symbols)}
        try:
            return np.fromiter((index[c] for c in text), dtype=np.uint32, count=len(text))
        except KeyError as exc:
            raise InvalidArgumentError(
                f"{what}: character {exc.args[0]!r} is not in the corpus vocabulary"
            ) from None

    def decode(self, ids: Sequence[int] | NDArray[np.integer]) -> str:
        return "".join(self.symbols[int(i)] for i in ids)


class NgramLM:
    """An order-n character model over a fixed vocabulary (Kneser–Ney, see rust/ngram.rs)."""

    def __init__(self, model: _core.NgramModel, vocab: CharVocab) -> None:
        self.model = model
        self.vocab = vocab

    @classmethod
    def train(cls, text: str, vocab: CharVocab, order: int) -> "NgramLM":
        n = check_int("order", order, 1, 8)
        return cls(
            _core.NgramModel.train(vocab.encode(text, "training text"), vocab.size, n), vocab
        )

    @property
    def order(self) -> int:
        return self.model.order

    @property
    def vocab_size(self) -> int:
        return self.vocab.size

    def __repr__(self) -> str:
        return f"NgramLM(order={self.order}, vocab={self.vocab_size})"

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        # Only the last order − 1 tokens matter; send no more than that across the boundary.
        keep = self.order - 1
        tails = [h[len(h) - keep :] if keep else h[:0] for h in histories]
        lengths = np.fromiter((len(t) for t in tails), dtype=np.uint64, count=len(tails))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.uint64)
        flat = np.concatenate(tails).astype(np.uint32) if tails else np.empty(0, np.uint32)
        return self.model.logprobs_batch(flat, offsets)

    def logprobs(self, history: History) -> NDArray[np.float64]:
        """ln p(· | history) for one history."""
        return np.asarray(self.logprobs_batch([history])[0], dtype=np.float64)


def split_corpus(text: str, heldout_fraction: float = 0.1) -> tuple[str, str]:
    """(training split, held-out split): the last `heldout_fraction` of the text is held out."""
    if not 0.0 < heldout_fraction < 1.0:
        raise InvalidArgumentError(f"heldout_fraction: must be in (0, 1), got {heldout_fraction}")
    cut = int(len(text) * (1.0 - heldout_fraction))
    return text[:cut], text[cut:]
