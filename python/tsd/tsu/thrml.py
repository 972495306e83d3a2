"""A TSU backed by Extropic's thrml (block Gibbs sampling in JAX): the one module that imports it.

ψ maps to K + 1 slots: the K ids, with logits log q(id), and one tail slot with logit
log((V − K)·ε). A single categorical node with those float32 weights as its bias
(`CategoricalEBMFactor`) is updated once by `CategoricalGibbsConditional`: for an isolated
node, one Gibbs update is an exact draw from softmax(weights). A tail slot then takes a
uniform rank among the V − K other tokens from the same key tree. Keys:
fold_in(fold_in(fold_in(key(seed_lo), seed_hi), step_lo), step_hi), split into (slot, tail),
so a draw depends only on (seed, step).

thrml samples from float32 weights, so the distribution it realises differs from F(ψ) in the
last bits. `realised_logq` reports that distribution (softmax of the float32 weights, computed
in float64), every returned log q is read from it, and the verifier uses it for both ratio and
residual: exact by construction.

A chain payload becomes a directed chain of L categorical nodes, one sequential block per
position: position 0's node has its slot weights as bias, and node i's conditional is the
interaction W_i[b, a] = the weights of the conditional payload for previous slot a
(`InteractionGroup(DiscreteEBMInteraction(...), head=nodes[1:], tail=[nodes[:-1]])`). An
interaction only feeds its head, so one sweep in position order is exact ancestral sampling,
and q(x_i | x_{i−1}) is the realised distribution of that conditional payload.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd._core import PsiChain, PsiTopK
from tsd.errors import TsdError
from tsd.extras import require_extra
from tsd.tsu.batched import BatchedTSU

require_extra("thrml", ("thrml", "jax"), needed_by="tsu thrml")

import jax  # noqa: E402  (after the check, so a missing extra is one clear error)
import jax.numpy as jnp  # noqa: E402
import thrml  # noqa: E402
from thrml.models.discrete_ebm import (  # noqa: E402
    CategoricalEBMFactor,
    CategoricalGibbsConditional,
    DiscreteEBMInteraction,
)

U32 = 0xFFFF_FFFF
# One sweep, observed at its end.
_SCHEDULE = thrml.SamplingSchedule(n_warmup=1, n_samples=1, steps_per_sample=1)
# Realised rows kept for reuse (the M1 walk revisits one payload per context); beyond this the
# cache starts over, so long speculative runs with fresh payloads stay bounded in memory.
_CACHE_ROWS = 4096


class ThrmlError(TsdError):
    """thrml could not sample a payload."""


@lru_cache(maxsize=32)
def _sampler(n_slots: int) -> Callable[..., Any]:
    """A compiled sampler for payloads with `n_slots` slots. Arguments: the base key, slot
    weights (B, n_slots), steps as (B,) low and high words, tail sizes (B,); returns the slot
    and the tail rank of each draw. The program's structure depends only on n_slots and the
    weights are arguments, so new payloads never recompile (thrml issue #20)."""
    node = thrml.CategoricalNode()
    block = thrml.Block([node])
    spec = thrml.BlockGibbsSpec([block], [], _uint32_spec())
    conditional = CategoricalGibbsConditional(n_slots)

    def one(base: Any, weights: Any, lo: Any, hi: Any, tail_count: Any) -> tuple[Any, Any]:
        slot_key, tail_key = jax.random.split(jax.random.fold_in(jax.random.fold_in(base, lo), hi))
        factor = CategoricalEBMFactor([block], weights[None, :])
        program = thrml.FactorSamplingProgram(spec, [conditional], [factor], [])
        init = [jnp.zeros((1,), dtype=jnp.uint32)]
        slot = thrml.sample_states(slot_key, program, _SCHEDULE, init, [], [block])[0][0, 0]
        rank = jax.random.randint(tail_key, (), 0, tail_count, dtype=jnp.uint32)
        return slot, rank

    # Every argument is an array, so plain jax.jit serves (equinox's filter_jit, needed for
    # non-array arguments, costs ~0.4 ms of Python per call here).
    return jax.jit(jax.vmap(one, in_axes=(None, 0, 0, 0, 0)))


def _uint32_spec() -> Any:
    # thrml's default categorical dtype is uint8, which wraps above 255 categories.
    return {thrml.CategoricalNode: jax.ShapeDtypeStruct((), jnp.uint32)}


@lru_cache(maxsize=32)
def _chain_sampler(n_slots: int, length: int) -> Callable[..., Any]:
    """A compiled sampler for chains of `length` positions with `n_slots` slots. Arguments: the
    base key, first-position weights (G, n_slots) and transitions (G, length − 1, n_slots,
    n_slots) of G distinct chains, [g, i, b, a] being the logit of slot b at position i + 1
    after slot a; then per draw: its chain's index in G, its step as (B,) low and high words,
    and tail sizes (B, length). Returns slots and tail ranks, each (B, length). Draws index
    the G weight sets inside the program, so repeated chains are not copied per draw."""
    nodes = [thrml.CategoricalNode() for _ in range(length)]
    blocks = [thrml.Block([node]) for node in nodes]
    spec = thrml.BlockGibbsSpec(blocks, [], _uint32_spec())
    samplers: list[thrml.AbstractConditionalSampler] = [
        CategoricalGibbsConditional(n_slots)
    ] * length

    def one(
        base: Any,
        firsts: Any,
        all_transitions: Any,
        group: Any,
        lo: Any,
        hi: Any,
        tail_counts: Any,
    ) -> tuple[Any, Any]:
        first, transitions = firsts[group], all_transitions[group]
        slot_key, tail_key = jax.random.split(jax.random.fold_in(jax.random.fold_in(base, lo), hi))
        groups = [thrml.InteractionGroup(DiscreteEBMInteraction(0, first[None, :]), blocks[0], [])]
        if length > 1:
            groups.append(
                thrml.InteractionGroup(
                    DiscreteEBMInteraction(0, transitions),
                    thrml.Block(nodes[1:]),
                    [thrml.Block(nodes[:-1])],
                )
            )
        program = thrml.BlockSamplingProgram(spec, samplers, groups)
        init = [jnp.zeros((1,), dtype=jnp.uint32) for _ in range(length)]
        observed = thrml.sample_states(slot_key, program, _SCHEDULE, init, [], [thrml.Block(nodes)])
        ranks = jax.random.randint(tail_key, (length,), 0, tail_counts, dtype=jnp.uint32)
        return observed[0][0], ranks

    return jax.jit(jax.vmap(one, in_axes=(None, None, None, 0, 0, 0, 0)))


def chain_weights(chain: PsiChain) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The directed chain's float32 weights: position 0's slot weights (K + 1,), and for each
    later position i the (K + 1) × (K + 1) matrix whose column a holds the slot weights of
    the conditional payload for previous slot a."""
    slots = chain.K + 1
    first = slot_weights(chain.conditional(0))
    transitions = np.empty((chain.L - 1, slots, slots), dtype=np.float32)
    for position in range(1, chain.L):
        for previous in range(slots):
            transitions[position - 1, :, previous] = slot_weights(
                chain.conditional(position, previous)
            )
    return first, transitions


def slot_weights(psi: PsiTopK) -> NDArray[np.float32]:
    """The K + 1 float32 slot logits: log q of each id, then log of the tail mass."""
    logq = psi.logq(psi.ids.tolist())
    with np.errstate(divide="ignore"):
        tail = np.log(psi.tail_mass)
    return np.append(logq, tail).astype(np.float32)


def realised_slot_logq(weights: NDArray[np.float32]) -> NDArray[np.float64]:
    """log softmax of the float32 weights, in float64: what one Gibbs update samples from."""
    w = weights.astype(np.float64)
    shifted = w - w.max()
    return np.asarray(shifted - np.log(np.sum(np.exp(shifted))), dtype=np.float64)


class ThrmlTSU(BatchedTSU):
    """The TSU protocol on thrml: batched draws (vmap over keys) under one compiled program
    per slot count."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        base = jax.random.key(self.seed & U32)
        self._key = jax.random.fold_in(base, self.seed >> 32)
        self._realised: dict[bytes, NDArray[np.float64]] = {}

    def realised_logq(self, psi: PsiTopK) -> NDArray[np.float64]:
        """The distribution this backend samples ψ from, over the whole vocabulary."""
        cache_key = psi.to_bytes()
        if cache_key not in self._realised:
            if len(self._realised) >= _CACHE_ROWS:
                self._realised.clear()
            slots = realised_slot_logq(slot_weights(psi))
            dense = np.full(psi.vocab, -np.inf)
            tail_count = psi.vocab - psi.K
            if tail_count:
                dense[:] = slots[-1] - np.log(tail_count)
            dense[psi.ids] = slots[:-1]
            self._realised[cache_key] = dense
        return self._realised[cache_key]

    def _draw(
        self, psis: Sequence[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        groups, index = _distinct(psis)
        n_slots = {psi.K + 1 for psi in groups}
        if len(n_slots) > 1:
            raise ThrmlError(f"psis: one batch needs one K, got K + 1 in {sorted(n_slots)}")
        tokens = np.empty(len(psis), dtype=np.uint32)
        logq = np.empty(len(psis), dtype=np.float64)
        if not groups:
            return tokens, logq
        weights = np.stack([slot_weights(psi) for psi in groups])[index]
        tail_counts = np.array([max(psi.vocab - psi.K, 1) for psi in groups], np.uint32)[index]
        size = _bucket(len(psis))
        slots, ranks = (
            np.asarray(out)[: len(psis)]
            for out in _sampler(n_slots.pop())(
                self._key,
                _padded(weights, size),
                _padded((steps & U32).astype(np.uint32), size),
                _padded((steps >> np.uint64(32)).astype(np.uint32), size),
                _padded(tail_counts, size),
            )
        )
        for g, psi in enumerate(groups):
            rows = index == g
            slot = slots[rows]
            in_ids = slot < psi.K
            outside = _nth_outside(psi.ids, ranks[rows])
            chosen = np.where(in_ids, psi.ids[np.minimum(slot, psi.K - 1)], outside)
            tokens[rows] = chosen
            logq[rows] = self.realised_logq(psi)[chosen]
        return tokens, logq

    def _draw_range(
        self, psi: PsiTopK, start: int, count: int
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        return self._draw([psi] * count, np.arange(start, start + count, dtype=np.uint64))

    def _draw_topk(
        self, psis: list[PsiTopK], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        return self._draw(psis, steps)

    def _draw_chains(
        self, chains: list[PsiChain], steps: NDArray[np.uint64]
    ) -> tuple[NDArray[np.uint32], NDArray[np.float64]]:
        shapes = {(chain.L, chain.K) for chain in chains}
        if len(shapes) > 1:
            raise ThrmlError(f"chains: one batch needs one (L, K), got {sorted(shapes)}")
        length, k = shapes.pop()
        groups, index = _distinct(chains)
        weights = [chain_weights(chain) for chain in groups]
        tail_counts = np.array([max(chain.vocab - k, 1) for chain in groups], np.uint32)[index]
        # One distinct chain stays unpadded: XLA then broadcasts its weights to every draw
        # instead of gathering a per-draw copy of the (K + 1)² transitions.
        size = _bucket(len(chains), least=8)
        distinct = _bucket(len(groups), least=8) if len(groups) > 1 else 1
        slots, ranks = (
            np.asarray(out)[: len(chains)]
            for out in _chain_sampler(k + 1, length)(
                self._key,
                _padded(np.stack([first for first, _ in weights]), distinct),
                _padded(np.stack([transitions for _, transitions in weights]), distinct),
                _padded(index.astype(np.int32), size),
                _padded((steps & U32).astype(np.uint32), size),
                _padded((steps >> np.uint64(32)).astype(np.uint32), size),
                _padded(np.repeat(tail_counts[:, None], length, axis=1), size),
            )
        )
        tokens = np.empty((len(chains), length), dtype=np.uint32)
        logq = np.empty((len(chains), length), dtype=np.float64)
        for g, (chain, (first, transitions)) in enumerate(zip(groups, weights, strict=True)):
            rows = index == g
            slot, rank = slots[rows], ranks[rows]
            # Slot-level realised log q, as realised_logq computes it for each conditional.
            tail_log = np.log(chain.vocab - k) if chain.vocab > k else 0.0
            for position in range(length):
                ids = chain.ids[position]
                here = slot[:, position]
                outside = _nth_outside(ids, rank[:, position])
                tokens[rows, position] = np.where(here < k, ids[np.minimum(here, k - 1)], outside)
                if position == 0:
                    table = realised_slot_logq(first)[None, :]
                    previous = np.zeros_like(here)
                else:
                    table = np.stack(
                        [realised_slot_logq(transitions[position - 1, :, a]) for a in range(k + 1)]
                    )
                    previous = slot[:, position - 1]
                values = table[previous, here]
                logq[rows, position] = np.where(here == k, values - tail_log, values)
        return tokens, logq


@lru_cache(maxsize=8)
def _undirected_sampler(n_slots: int, length: int, sweeps: int) -> Callable[..., Any]:
    """A compiled two-colour Gibbs sampler of the chain as an undirected pairwise model
    (`CategoricalEBMFactor`s: every node sees both neighbours), from all nodes in slot 0,
    observed after `sweeps` sweeps (even positions, then odd). Arguments: a key per draw,
    unary weights (n_slots,) of position 0, pairwise weights (length − 1, n_slots, n_slots)."""
    nodes = [thrml.CategoricalNode() for _ in range(length)]
    colours = [thrml.Block(nodes[0::2]), thrml.Block(nodes[1::2])]
    free = [block for block in colours if block.nodes]
    spec = thrml.BlockGibbsSpec(free, [], _uint32_spec())
    samplers: list[thrml.AbstractConditionalSampler] = [CategoricalGibbsConditional(n_slots)] * len(
        free
    )
    schedule = thrml.SamplingSchedule(n_warmup=sweeps, n_samples=1, steps_per_sample=1)

    def one(key: Any, unary: Any, pairwise: Any) -> Any:
        factors = [CategoricalEBMFactor([thrml.Block(nodes[:1])], unary[None, :])]
        if length > 1:
            factors.append(
                CategoricalEBMFactor([thrml.Block(nodes[:-1]), thrml.Block(nodes[1:])], pairwise)
            )
        program = thrml.FactorSamplingProgram(spec, samplers, factors, [])
        init = [jnp.zeros((len(block.nodes),), dtype=jnp.uint32) for block in free]
        return thrml.sample_states(key, program, schedule, init, [], [thrml.Block(nodes)])[0][0]

    return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


def sample_undirected_chain(
    chain: PsiChain, sweeps: int, count: int, seed: int
) -> NDArray[np.uint32]:
    """An experiment, never a TSU: `count` slot sequences (count, L) of the chain sampled as an
    undirected pairwise model by `sweeps` two-colour Gibbs sweeps from all-zero slots. Its law
    reaches the chain's only as sweeps grow; scripts/exp_gibbs_chain.py measures how fast."""
    first, transitions = chain_weights(chain)
    # The pairwise factor is indexed [pair, slot at i − 1, slot at i]; chain_weights stores
    # [pair, slot at i, slot at i − 1].
    pairwise = np.ascontiguousarray(np.swapaxes(transitions, 1, 2))
    keys = jax.random.split(jax.random.key(seed), count)
    sampler = _undirected_sampler(chain.K + 1, chain.L, sweeps)
    return np.asarray(sampler(keys, first, pairwise), dtype=np.uint32)


def _bucket(count: int, least: int = 1) -> int:
    """The padded batch size for `count` items: the next power of two, at least `least`.
    jax.jit compiles once per input shape, so padding keeps a run with varying batch sizes
    (sequences finishing, distinct payloads per round) to a few compilations. Single draws
    keep `least` = 1: the M1 walk makes one call of one draw per step, where padding to 8
    cost 60% more time; chain calls start at 8, which halves their compilations in a
    speculative run."""
    return max(least, 1 << (count - 1).bit_length())


def _padded(array: NDArray[Any], size: int) -> NDArray[Any]:
    """`array` padded along its first axis to `size` rows by repeating its first row; a draw
    depends only on its own row, so the padding changes no real draw."""
    extra = size - array.shape[0]
    return np.concatenate([array, np.repeat(array[:1], extra, axis=0)]) if extra else array


def _distinct(items: Sequence[PsiTopK | PsiChain]) -> tuple[list[Any], NDArray[np.int64]]:
    """The distinct payloads of `items` (equal bytes are one payload; first-seen order) and
    each item's index among them, so per-payload work is done once however often it repeats."""
    groups: list[Any] = []
    seen: dict[bytes, int] = {}
    index = np.empty(len(items), dtype=np.int64)
    for i, item in enumerate(items):
        index[i] = seen.setdefault(item.to_bytes(), len(groups))
        if index[i] == len(groups):
            groups.append(item)
    return groups, index


def _nth_outside(ids: NDArray[np.uint32], ranks: NDArray[np.uint32]) -> NDArray[np.int64]:
    """For each rank, the rank-th token (ascending) not among the sorted ids."""
    gaps = ids.astype(np.int64) - np.arange(ids.size)
    return ranks.astype(np.int64) + np.searchsorted(gaps, ranks, side="right")
