"""The model seam: what decoding needs of a model, as a stateless scorer or a stateful session.

A session (`ModelSession`) is what a target looks like to the decoder, shaped like
transformers' KV cache: it starts from prompts, `extend` appends a block of tokens to some of
its sequences and opens the next-token log-probabilities at each new position, and `rollback`
drops a sequence's last n tokens (`cache.crop`) when drafts are rejected. A model with a
cache keeps its prefix; a model without one (`RecomputingSession`) rescores histories.

What `extend` returns (`BlockScores`) is asked for no more than the verifier uses: log p at
the drafted tokens (`token_logp`) and full rows only where a correction or bonus is drawn
(`rows`); a model may compute rows lazily. The n-gram model computes full rows.
"""

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError

__all__ = [
    "BlockScores",
    "History",
    "LanguageModel",
    "ModelSession",
    "RecomputingSession",
    "SessionModel",
    "check_prompts",
]

History = NDArray[np.uint32]


class LanguageModel(Protocol):
    """A stateless scorer: next-token log-probabilities of whole histories (what a drafter
    asks of its draft model)."""

    @property
    def vocab_size(self) -> int: ...

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        """ln p(· | history) for each history: shape (len(histories), vocab_size)."""
        ...


class BlockScores(Protocol):
    """The positions one `extend` opened: sequence j's positions are offsets[j] ..
    offsets[j + 1] − 1, one after its previous end and one after each appended token."""

    @property
    def offsets(self) -> NDArray[np.int64]: ...

    def token_logp(
        self, positions: NDArray[np.int64], tokens: NDArray[np.uint32]
    ) -> NDArray[np.float64]:
        """ln p(tokens[i]) at positions[i]."""
        ...

    def rows(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        """The full rows ln p(·) at `positions`: shape (len(positions), vocab_size)."""
        ...


class ModelSession(Protocol):
    """Sequences of one batch being decoded, each with its model state."""

    @property
    def vocab_size(self) -> int: ...

    def extend(
        self, sequences: Sequence[int], blocks: Sequence[Sequence[int] | History]
    ) -> BlockScores:
        """Append blocks[j] to sequence sequences[j] and open its len(blocks[j]) + 1 positions."""
        ...

    def rollback(self, sequences: Sequence[int], counts: Sequence[int]) -> None:
        """Drop the last counts[j] tokens of sequence sequences[j]."""
        ...


@runtime_checkable
class SessionModel(Protocol):
    """A model that decodes through sessions (a speculative target)."""

    @property
    def vocab_size(self) -> int: ...

    def start(self, prompts: Sequence[History]) -> ModelSession:
        """A session holding one sequence per prompt."""
        ...


def check_prompts(
    prompts: Sequence[History], vocab: int, field: str = "prompts", item: str = "prompt"
) -> list[History]:
    """Each prompt as a non-empty 1-D uint32 array of ids below `vocab`; text, floats,
    negative ids and out-of-range ids are errors naming `field` and the `item`, never
    converted."""
    if isinstance(prompts, str | bytes) or len(prompts) == 0:
        raise InvalidArgumentError(f"{field}: need a non-empty list of id arrays")
    checked = []
    for i, prompt in enumerate(prompts):
        if isinstance(prompt, str | bytes):
            raise InvalidArgumentError(
                f"{field}: {item} {i} is text; encode it to ids first (CharVocab.encode)"
            )
        ids = np.asarray(prompt)
        if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "ui":
            raise InvalidArgumentError(
                f"{field}: {item} {i} must be a non-empty 1-D array of integer ids, "
                f"got {ids.dtype} of shape {ids.shape}"
            )
        if int(ids.min()) < 0 or int(ids.max()) >= vocab:
            raise InvalidArgumentError(f"{field}: {item} {i} holds an id outside [0, {vocab})")
        checked.append(ids.astype(np.uint32))
    return checked


class _HistoryScores:
    """Scores of a model without a cache: the history behind each position, scored on demand
    in one batched call."""

    def __init__(
        self, model: LanguageModel, histories: list[History], offsets: NDArray[np.int64]
    ) -> None:
        self._model = model
        self._histories = histories
        self._offsets = offsets

    @property
    def offsets(self) -> NDArray[np.int64]:
        return self._offsets

    def rows(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        return self._model.logprobs_batch([self._histories[int(p)] for p in positions])

    def token_logp(
        self, positions: NDArray[np.int64], tokens: NDArray[np.uint32]
    ) -> NDArray[np.float64]:
        return self.rows(positions)[np.arange(len(positions)), tokens.astype(np.int64)]


class RecomputingSession:
    """A session over a stateless model: keeps each sequence's tokens and rescores histories.
    `context` is how many of the last tokens the model reads (an n-gram model's order − 1);
    histories are cut to that, None keeping them whole."""

    def __init__(
        self, model: LanguageModel, prompts: Sequence[History], context: int | None = None
    ) -> None:
        self._model = model
        self._context = None if context is None else check_int("context", context, 0)
        self._sequences = [p.tolist() for p in check_prompts(prompts, model.vocab_size)]

    @property
    def vocab_size(self) -> int:
        return self._model.vocab_size

    def tokens(self, sequence: int) -> History:
        """The tokens sequence `sequence` holds now."""
        return np.array(self._sequences[sequence], dtype=np.uint32)

    def extend(
        self, sequences: Sequence[int], blocks: Sequence[Sequence[int] | History]
    ) -> BlockScores:
        if len(sequences) != len(blocks):
            raise InvalidArgumentError(
                f"blocks: {len(sequences)} sequences need as many blocks, got {len(blocks)}"
            )
        histories: list[History] = []
        sizes = []
        for index, block in zip(sequences, blocks, strict=True):
            tokens = self._sequences[index]
            added = [int(t) for t in block]
            if added and (min(added) < 0 or max(added) >= self.vocab_size):
                raise InvalidArgumentError(
                    f"blocks: the block for sequence {index} holds an id outside "
                    f"[0, {self.vocab_size})"
                )
            before = len(tokens)
            tokens.extend(added)
            # Position i's history ends at before + i; each is a view of one array holding
            # what the model reads of the extended sequence, from `first` on.
            first = self._start(before)
            tail = np.array(tokens[first:], dtype=np.uint32)
            for end in range(before, before + len(added) + 1):
                histories.append(tail[self._start(end) - first : end - first])
            sizes.append(len(added) + 1)
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        return _HistoryScores(self._model, histories, offsets)

    def _start(self, end: int) -> int:
        """Where the history the model reads begins, for a history ending at `end`."""
        return 0 if self._context is None else max(end - self._context, 0)

    def rollback(self, sequences: Sequence[int], counts: Sequence[int]) -> None:
        if len(sequences) != len(counts):
            raise InvalidArgumentError(
                f"counts: {len(sequences)} sequences need as many counts, got {len(counts)}"
            )
        for index, count in zip(sequences, counts, strict=True):
            tokens = self._sequences[index]
            n = check_int("counts", count, 0, len(tokens))
            del tokens[len(tokens) - n :]
