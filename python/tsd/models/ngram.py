"""n-gram language models (interpolated Kneser–Ney, trained in Rust) over characters or over a
tokenizer's ids: a stateless scorer for drafting and, through `start`, a session for decoding
as a target."""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_int
from tsd.models.session import History, RecomputingSession
from tsd.models.vocab import CharVocab

__all__ = ["NgramLM"]


class NgramLM:
    """An order-n model over a fixed vocabulary (Kneser–Ney, see rust/ngram.rs): characters
    (`vocab` a CharVocab) or the ids of a model's tokenizer (`vocab` None)."""

    def __init__(self, model: _core.NgramModel, vocab: CharVocab | None = None) -> None:
        self.model = model
        self.vocab = vocab

    @classmethod
    def train(cls, text: str, vocab: CharVocab, order: int) -> "NgramLM":
        """A character model of `text`."""
        n = check_int("order", order, 1, _core.MAX_NGRAM_ORDER)
        return cls(
            _core.NgramModel.train(vocab.encode(text, "training text"), vocab.size, n), vocab
        )

    @classmethod
    def train_ids(cls, ids: NDArray[np.uint32], vocab_size: int, order: int) -> "NgramLM":
        """A model of a token-id stream (a corpus through a target's tokenizer), over ids
        below `vocab_size`; ids never seen get the Kneser–Ney floor, never zero."""
        n = check_int("order", order, 1, _core.MAX_NGRAM_ORDER)
        return cls(
            _core.NgramModel.train(np.ascontiguousarray(ids, dtype=np.uint32), vocab_size, n)
        )

    @property
    def order(self) -> int:
        return self.model.order

    @property
    def vocab_size(self) -> int:
        return self.model.vocab

    def __repr__(self) -> str:
        return f"NgramLM(order={self.order}, vocab={self.vocab_size})"

    def start(self, prompts: Sequence[History]) -> RecomputingSession:
        """A decoding session over `prompts`: the model has no cache, so it rescores the last
        order − 1 tokens of each history it is asked about."""
        return RecomputingSession(self, prompts, context=self.order - 1)

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        """ln p(· | history) for each history, (B, V); only each history's last order − 1
        tokens matter, so no more than that crosses the boundary."""
        keep = self.order - 1
        tails = [h[len(h) - keep :] if keep else h[:0] for h in histories]
        lengths = np.fromiter((len(t) for t in tails), dtype=np.uint64, count=len(tails))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.uint64)
        flat = np.concatenate(tails).astype(np.uint32) if tails else np.empty(0, np.uint32)
        return self.model.logprobs_batch(flat, offsets)
