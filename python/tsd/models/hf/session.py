"""A KV-cached decoding session over a batch of sequences that accept different numbers of
drafts each round (ragged batches), exact per sequence.

Layout: one transformers `DynamicCache` for the batch whose slots grow by the width of each
forward. Sequence b's tokens sit in slots listed in order in `_slots[b]`; every other slot of
row b (padding, rejected drafts) is a hole that `_valid` masks. Each forward passes a 4-D mask
(sequence b's queries see its own earlier valid slots and themselves), and position ids
counting b's own tokens, so a sequence's rotary positions and attention are exactly those of
decoding it alone; rounding may differ where kernels sum over a different number of slots.
Holes are trimmed from the end after a rollback and compacted away when they outnumber the
tokens, so memory follows the longest sequence, not the number of rounds.

Forwards are lazy: `extend` records the tokens and the positions it opens, and the forward runs
when those scores are first read, feeding every token that is not yet in the cache. So
decoding's "roll back the rejected drafts, append the correction" never costs a forward of its
own: the correction rides with the next block. Each forward keeps every fed sequence's row
after its last token (`_end_rows`), so the next `extend` of a fully cached sequence feeds only
its new tokens (a draft step feeds one token, not two); a rollback into the cache drops that
row, and the last kept token is fed again to open the position after it.

`extend(..., hidden=True)` also keeps the decoder's last hidden state (after the final norm) at
each position that follows an appended token, i.e. with that token fed as input: what a judge
reads at a draft token (`KVScores.hidden`). The plain path computes none.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from tsd._checks import check_int
from tsd.errors import InvalidArgumentError, ModelError
from tsd.models.session import History, check_prompts

if TYPE_CHECKING:
    from tsd.models.hf.model import HFModel

__all__ = ["KVScores", "KVSession"]


def _check_full_attention(cache: DynamicCache) -> None:
    """The hole layout needs every layer to keep all slots: a sliding-window or
    linear-attention layer is an error, never a silent change of the law."""
    for layer in cache.layers:
        if type(layer) is not DynamicLayer:
            raise ModelError(
                f"model: KV sessions need full-attention cache layers; {type(layer).__name__} "
                "is not one"
            )


def _layer_tensors(cache: DynamicCache) -> list[tuple[Any, torch.Tensor, torch.Tensor]]:
    """Each cache layer that holds slots, with its keys and values, (B, heads, slots, dim)."""
    return [
        (layer, layer.keys, layer.values)
        for layer in cache.layers
        if isinstance(layer, DynamicLayer) and layer.keys is not None and layer.values is not None
    ]


class KVScores:
    """The positions one `extend` opened, computed on first read by one batched forward."""

    def __init__(self, session: "KVSession", version: int, offsets: NDArray[np.int64]) -> None:
        self._session = session
        self._version = version
        self._offsets = offsets
        self._logp: NDArray[np.float64] | None = None
        self._hidden: NDArray[np.float32] | None = None

    @property
    def offsets(self) -> NDArray[np.int64]:
        return self._offsets

    def _table(self) -> NDArray[np.float64]:
        if self._logp is None:
            self._logp, self._hidden = self._session._score(self._version)
        return self._logp

    def _positions(self, positions: NDArray[np.int64]) -> NDArray[np.int64]:
        """`positions` as indices, each one this extend opened."""
        index = np.asarray(positions, dtype=np.int64)
        opened = int(self._offsets[-1])
        if index.size and (int(index.min()) < 0 or int(index.max()) >= opened):
            raise InvalidArgumentError(f"positions: this extend opened positions 0..{opened - 1}")
        return index

    def rows(self, positions: NDArray[np.int64]) -> NDArray[np.float64]:
        return self._table()[self._positions(positions)]

    def token_logp(
        self, positions: NDArray[np.int64], tokens: NDArray[np.uint32]
    ) -> NDArray[np.float64]:
        index = self._positions(positions)
        ids = np.asarray(tokens, dtype=np.int64)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self._session.vocab_size):
            raise InvalidArgumentError(f"tokens: ids must be in [0, {self._session.vocab_size})")
        return self._table()[index, ids]

    def hidden(self, positions: NDArray[np.int64]) -> NDArray[np.float32]:
        """The last hidden state (after the final norm) of the step that opened each position,
        (len(positions), d) float32: at a position after an appended token, the state with
        that token as input. Needs `extend(..., hidden=True)`; a sequence's first opened
        position has one only where the forward fed its previous token (not a stored row)."""
        index = self._positions(positions)
        self._table()
        if self._hidden is None:
            raise InvalidArgumentError("hidden: this extend was not asked for hidden states")
        states = self._hidden[index]
        if np.isnan(states[:, 0]).any():
            raise InvalidArgumentError(
                "positions: hidden states are kept only at positions after an appended token"
            )
        return states


class KVSession:
    """Sequences of one batch decoded through a causal LM's KV cache (see the module doc)."""

    def __init__(self, model: "HFModel", prompts: Sequence[History]) -> None:
        self._model = model
        checked = check_prompts(prompts, model.vocab_size)
        for i, prompt in enumerate(checked):
            if len(prompt) > model.max_length:
                raise ModelError(
                    f"prompts: prompt {i} has {len(prompt)} tokens, past the model's context "
                    f"window of {model.max_length}"
                )
        self._tokens: list[list[int]] = [p.tolist() for p in checked]
        self._slots: list[list[int]] = [[] for _ in checked]
        # Built from the config, so the cache has the layer types the model's attention needs.
        self._cache = DynamicCache(config=model.module.config)
        _check_full_attention(self._cache)
        self._valid = torch.zeros((len(checked), 0), dtype=torch.bool, device=model.device)
        self._version = 0
        # What the latest extend opened: per sequence, how many positions (0 if not listed),
        # and the row after its cached end where that serves as the first of them.
        self._opened = [0] * len(checked)
        self._stored: list[NDArray[np.float64] | None] = [None] * len(checked)
        # Per sequence: ln p after its last cached token, with the cached length it belongs to.
        self._end_rows: list[tuple[NDArray[np.float64], int] | None] = [None] * len(checked)
        self._hidden_wanted = False

    @property
    def vocab_size(self) -> int:
        return self._model.vocab_size

    @property
    def batch_size(self) -> int:
        return len(self._tokens)

    def tokens(self, sequence: int) -> History:
        """The tokens sequence `sequence` holds now."""
        return np.array(self._tokens[sequence], dtype=np.uint32)

    def extend(
        self,
        sequences: Sequence[int],
        blocks: Sequence[Sequence[int] | History],
        *,
        hidden: bool = False,
    ) -> KVScores:
        """Append blocks[j] to sequence sequences[j] and open its len(blocks[j]) + 1 positions;
        with `hidden`, the scores also hold hidden states (`KVScores.hidden`)."""
        if len(sequences) != len(blocks):
            raise InvalidArgumentError(
                f"blocks: {len(sequences)} sequences need as many blocks, got {len(blocks)}"
            )
        # Check every block before changing anything, so a bad call leaves the session as it was.
        listed = self._distinct(sequences)
        added = [[int(t) for t in block] for block in blocks]
        for b, block in zip(listed, added, strict=True):
            if block and (min(block) < 0 or max(block) >= self.vocab_size):
                raise InvalidArgumentError(
                    f"blocks: the block for sequence {b} holds an id outside [0, {self.vocab_size})"
                )
            if len(self._tokens[b]) + len(block) > self._model.max_length:
                raise ModelError(
                    f"blocks: sequence {b} would grow past the model's context window of "
                    f"{self._model.max_length} tokens"
                )
        opened = [0] * self.batch_size
        stored: list[NDArray[np.float64] | None] = [None] * self.batch_size
        sizes = []
        for b, block in zip(listed, added, strict=True):
            if len(self._slots[b]) == len(self._tokens[b]):
                end = self._end_rows[b]
                if end is not None and end[1] == len(self._slots[b]):
                    stored[b] = end[0]
                else:
                    # The position after the last token is opened by feeding that token again.
                    self._drop_slots(b, 1)
            self._tokens[b].extend(block)
            opened[b] = len(block) + 1
            sizes.append(len(block) + 1)
        self._version += 1
        self._opened = opened
        self._stored = stored
        self._order = listed
        self._hidden_wanted = hidden
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        return KVScores(self, self._version, offsets)

    def rollback(self, sequences: Sequence[int], counts: Sequence[int]) -> None:
        if len(sequences) != len(counts):
            raise InvalidArgumentError(
                f"counts: {len(sequences)} sequences need as many counts, got {len(counts)}"
            )
        listed = self._distinct(sequences)
        dropped = [
            check_int("counts", count, 0, len(self._tokens[b]) - 1)
            for b, count in zip(listed, counts, strict=True)
        ]
        for b, n in zip(listed, dropped, strict=True):
            tokens = self._tokens[b]
            del tokens[len(tokens) - n :]
            self._drop_slots(b, max(len(self._slots[b]) - len(tokens), 0))
        self._version += 1
        self._trim()

    def _distinct(self, sequences: Sequence[int]) -> list[int]:
        """The checked sequence indices, each listed once."""
        listed = [check_int("sequences", index, 0, self.batch_size - 1) for index in sequences]
        if len(set(listed)) < len(listed):
            twice = next(b for b in listed if listed.count(b) > 1)
            raise InvalidArgumentError(f"sequences: sequence {twice} is listed twice")
        return listed

    def _drop_slots(self, b: int, count: int) -> None:
        """Take sequence b's last `count` cached tokens out of the cache (they become holes)."""
        for _ in range(count):
            self._valid[b, self._slots[b].pop()] = False

    def _score(self, version: int) -> tuple[NDArray[np.float64], NDArray[np.float32] | None]:
        """Feed every token not yet cached in one forward; the target law's log-probabilities
        at the positions the latest extend opened, in its order, and, where that extend asked,
        the hidden states there (NaN rows where a stored end row stands in for a forward)."""
        if version != self._version:
            raise InvalidArgumentError(
                "scores: read after the session changed; read an extend's scores before the "
                "next extend or rollback"
            )
        # Columns each listed sequence needs from the forward: its opened positions, less the
        # first where the row after its cached end is stored.
        need = [n - int(row is not None) for n, row in zip(self._opened, self._stored, strict=True)]
        pending = [len(t) - len(s) for t, s in zip(self._tokens, self._slots, strict=True)]
        wanted = self._hidden_wanted
        logp, states = self._feed(pending, max(need), wanted) if max(pending) else (None, None)
        width = int(self._model.module.config.hidden_size)
        rows, hidden = [], []
        for b in self._order:
            stored = self._stored[b]
            if stored is not None:
                rows.append(stored[None])
                hidden.append(np.full((1, width), np.nan, dtype=np.float32))
            if need[b] and logp is not None:
                rows.append(logp[b, logp.shape[1] - need[b] :])
                if states is not None:
                    hidden.append(states[b, states.shape[1] - need[b] :])
        self._compact()
        table = np.concatenate(rows, axis=0) if rows else np.empty((0, self.vocab_size))
        if not wanted:
            return table, None
        if not hidden:
            return table, np.empty((0, width), np.float32)
        return table, np.concatenate(hidden, axis=0)

    def _feed(
        self, pending: list[int], need: int, hidden: bool
    ) -> tuple[NDArray[np.float64], NDArray[np.float32] | None]:
        """One forward of every sequence's uncached tokens, right-aligned in a window as wide
        as the most pending; ln p at the window's last max(need, 1) columns, (B, ·, V), and
        with `hidden` the last hidden states there. Each fed sequence's last column becomes
        its stored end row."""
        width = max(pending)
        batch = self.batch_size
        device = self._model.device
        start = self._valid.shape[1]
        # Each row's new tokens sit at the right end of the window, so every sequence's opened
        # positions are the window's last columns.
        ids = torch.zeros((batch, width), dtype=torch.long)
        positions = torch.zeros((batch, width), dtype=torch.long)
        new_valid = torch.zeros((batch, width), dtype=torch.bool)
        for b, n in enumerate(pending):
            cached = len(self._slots[b])
            if n:
                ids[b, width - n :] = torch.tensor(self._tokens[b][cached:], dtype=torch.long)
                positions[b, width - n :] = torch.arange(cached, cached + n)
                new_valid[b, width - n :] = True
                self._slots[b].extend(range(start + width - n, start + width))
            positions[b, : width - n] = cached
        valid = torch.cat([self._valid, new_valid.to(device)], dim=1)
        # Query q (slot start + q) sees the valid slots up to itself, and always itself, so a
        # padding row is never left with nothing to attend to.
        slot = torch.arange(start + width, device=device)
        query = start + torch.arange(width, device=device)
        causal = slot[None, :] <= query[:, None]
        allowed = (causal[None] & valid[:, None, :]) | (slot[None, :] == query[:, None])[None]
        logp, states = self._model.forward_block(
            ids.to(device),
            positions.to(device),
            allowed[:, None],
            self._cache,
            max(need, 1),
            hidden=hidden,
        )
        self._valid = valid
        for b, n in enumerate(pending):
            if n:
                self._end_rows[b] = (logp[b, -1], len(self._slots[b]))
        return logp, states

    def _trim(self) -> None:
        """Crop slots at the end that no sequence holds."""
        held = self._valid.any(dim=0).nonzero()
        end = int(held[-1]) + 1 if len(held) else 0
        if end < self._valid.shape[1]:
            for layer, keys, values in _layer_tensors(self._cache):
                layer.keys, layer.values = keys[:, :, :end], values[:, :, :end]
            self._valid = self._valid[:, :end]

    def _compact(self) -> None:
        """Gather each sequence's slots to the left once holes outnumber the tokens."""
        longest = max(len(s) for s in self._slots)
        if self._valid.shape[1] <= 2 * longest + 64:
            return
        device = self._model.device
        index = torch.zeros((self.batch_size, longest), dtype=torch.long)
        valid = torch.zeros((self.batch_size, longest), dtype=torch.bool)
        for b, slots in enumerate(self._slots):
            index[b, : len(slots)] = torch.tensor(slots, dtype=torch.long)
            valid[b, : len(slots)] = True
            self._slots[b] = list(range(len(slots)))
        gather = index.to(device)
        for layer, keys, values in _layer_tensors(self._cache):
            shape = (keys.shape[0], keys.shape[1], longest, keys.shape[3])
            expanded = gather[:, None, :, None].expand(shape)
            layer.keys = torch.gather(keys, 2, expanded)
            layer.values = torch.gather(values, 2, expanded.expand(*shape[:3], values.shape[3]))
        self._valid = valid.to(device)
