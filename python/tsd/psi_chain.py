"""Chain payloads: one ψ that lets the TSU draw a whole L-token block in one call.

Crafting from a draft model, for each prefix: position 0's ids and codes come from the draft's
prediction at the prefix. Position i's row a is the draft's prediction after the most probable
route through the chain's slots that ends at position i − 1's a-th id (a Viterbi step: exact
for a bigram draft, and for longer contexts the best single history a slot can stand for); its
tail row, for a previous token outside those ids, is their mixture weighted by the chain's own
marginal, and its ids are the K most probable tokens of that mixture. See rust/psi_chain.rs
for the payload and docs/PSI_FORMAT.md for bytes.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from tsd import _core
from tsd._checks import check_float, check_int
from tsd._core import MAX_CHAIN_LEN, PsiChain
from tsd.errors import InvalidArgumentError
from tsd.models.session import History, LanguageModel
from tsd.psi import EpsSpec, parse_eps

__all__ = ["PsiChain", "craft_chains"]


def _slot_marginal(
    weights: NDArray[np.float64], rows: NDArray[np.float64], ids: NDArray[np.uint32]
) -> NDArray[np.float64]:
    """P(slot) at a position: Σ_a weights[a] · rows[a][id] per id, the rest in the tail slot."""
    on_ids = np.take_along_axis(rows, ids[:, None, :].astype(np.int64), axis=2)
    top = np.einsum("ba,bak->bk", weights, on_ids)
    return np.concatenate([top, np.clip(1.0 - top.sum(axis=1, keepdims=True), 0.0, 1.0)], axis=1)


def _extend(start: History, routes: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """One history per route, the prefix followed by the route, as the rows of one array (the
    draft gets row views, not a copy per history)."""
    out = np.empty((routes.shape[0], start.size + routes.shape[1]), dtype=np.uint32)
    out[:, : start.size] = start
    out[:, start.size :] = routes
    return out


def craft_chains(
    draft: LanguageModel,
    prefixes: Sequence[History],
    *,
    L: int,
    K: int,
    tau: float = 1.0,
    eps: EpsSpec = "auto",
) -> list[PsiChain]:
    """One chain ψ per prefix for its next L tokens, from L batched calls of the draft."""
    vocab = draft.vocab_size
    length = check_int("L", L, 1, MAX_CHAIN_LEN)
    k = check_int("K", K, 1, vocab)
    temperature = check_float("tau", tau, positive=True)
    spec = parse_eps(eps)
    eps_value = None if spec == "auto" else spec
    if not prefixes:
        raise InvalidArgumentError("prefixes: need at least one prefix")
    batch = len(prefixes)
    starts = [np.asarray(p, dtype=np.uint32) for p in prefixes]
    first = np.exp(draft.logprobs_batch(starts))
    crafted = _core.craft_chain_positions(first[:, None, :], first, k, eps_value)
    ids = crafted["ids"]
    all_ids, all_codes, all_scales, all_eps = (
        [ids],
        [crafted["codes"]],
        [crafted["scales"]],
        [crafted["eps"]],
    )
    marginal = _slot_marginal(np.ones((batch, 1)), first[:, None, :], ids)
    # routes[b, a]: the tokens after the prefix of the most probable route ending at slot a of
    # the latest position.
    routes = ids[:, :, None].astype(np.uint32)
    for _ in range(1, length):
        histories = [
            h for start, route in zip(starts, routes, strict=True) for h in _extend(start, route)
        ]
        rows = np.exp(draft.logprobs_batch(histories)).reshape(batch, k, vocab)
        weights = marginal[:, :k]
        total = weights.sum(axis=1, keepdims=True)
        weights = np.where(total > 0, weights / np.where(total > 0, total, 1.0), 1.0 / k)
        mixture = np.einsum("ba,bav->bv", weights, rows)
        mixture /= mixture.sum(axis=1, keepdims=True)
        given = np.ascontiguousarray(np.concatenate([rows, mixture[:, None, :]], axis=1))
        crafted = _core.craft_chain_positions(given, np.ascontiguousarray(mixture), k, eps_value)
        ids = crafted["ids"]
        # Each new slot j continues the route a that maximises P(slot a) · row_a(ids[j]).
        reach = np.take_along_axis(
            rows, np.broadcast_to(ids[:, None, :], (batch, k, k)).astype(np.int64), axis=2
        )
        best = np.argmax(weights[:, :, None] * reach, axis=1)
        parents = np.take_along_axis(
            routes, np.broadcast_to(best[:, :, None], routes.shape), axis=1
        )
        routes = np.concatenate([parents, ids[:, :, None]], axis=2)
        marginal = _slot_marginal(marginal, given, ids)
        all_ids.append(ids)
        all_codes.append(crafted["codes"])
        all_scales.append(crafted["scales"])
        all_eps.append(crafted["eps"])
    return _core.chains_from_positions(
        vocab,
        temperature,
        np.ascontiguousarray(np.stack(all_ids, axis=1)),
        np.ascontiguousarray(np.concatenate(all_codes, axis=1)),
        np.ascontiguousarray(np.stack(all_scales, axis=1)),
        np.ascontiguousarray(np.stack(all_eps, axis=1)),
    )
