"""Stateless scoring (`logprobs_batch`) over a KV-cached session: each history is matched to
the cached sequence it shares the longest prefix with, which is rolled back to that prefix
and extended by the rest. Drafting asks for the prefix plus one more token each call, so a
draft model pays for the new tokens, not for the history again."""

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError
from tsd.models.hf.session import KVSession
from tsd.models.session import History, check_prompts

if TYPE_CHECKING:
    from tsd.models.hf.model import HFModel

__all__ = ["PrefixScorer"]


def _shared_prefix(a: NDArray[np.uint32], b: NDArray[np.uint32]) -> int:
    """How many leading tokens a and b share."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


class PrefixScorer:
    """Scores histories through one session that grows to the widest batch asked for."""

    def __init__(self, model: "HFModel") -> None:
        self._model = model
        self._session: KVSession | None = None

    def logprobs_batch(self, histories: Sequence[History]) -> NDArray[np.float64]:
        if len(histories) == 0:
            raise InvalidArgumentError("histories: need at least one history")
        checked = check_prompts(histories, self._model.vocab_size, "histories", "history")
        session = self._session
        plan = None if session is None else self._match(session, checked)
        if session is None or plan is None:
            session = self._session = KVSession(self._model, checked)
            scores = session.extend(list(range(len(checked))), [[] for _ in checked])
            return scores.rows(scores.offsets[1:] - 1)
        sequences, rollbacks, blocks = plan
        session.rollback(sequences, rollbacks)
        scores = session.extend(sequences, blocks)
        return scores.rows(scores.offsets[1:] - 1)

    @staticmethod
    def _match(
        session: KVSession, histories: list[History]
    ) -> tuple[list[int], list[int], list[NDArray[np.uint32]]] | None:
        """For each history, the free sequence sharing its longest prefix, how many tokens to
        roll back and what to append; None when the session is too narrow or a history shares
        nothing with any free sequence (then the session is rebuilt).

        The free sequences are kept in lexicographic order: the longest prefix a history
        shares with any of them is shared with a neighbour of its place in that order, so a
        batch of B histories is matched in O(B log B) comparisons, not B²."""
        if len(histories) > session.batch_size:
            return None
        held = [session.tokens(b) for b in range(session.batch_size)]
        free = sorted((tokens.tolist(), b) for b, tokens in enumerate(held))
        sequences, rollbacks, blocks = [], [], []
        for history in histories:
            place = bisect.bisect_left(free, (history.tolist(), -1))
            neighbours = range(max(place - 1, 0), min(place + 1, len(free)))
            shared, at = max((_shared_prefix(history, held[free[i][1]]), i) for i in neighbours)
            if shared == 0:
                return None
            best = free.pop(at)[1]
            sequences.append(best)
            rollbacks.append(len(held[best]) - shared)
            blocks.append(history[shared:])
        return sequences, rollbacks, blocks
