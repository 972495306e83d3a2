"""How biased is an undirected Gibbs chain? The chain ψ's joint in slot space is a pairwise
model, q(x_0) · Π q(x_i | x_{i−1}); sampled by two-colour block Gibbs (even positions, then odd)
from all-zero slots, its law after n sweeps only approaches that joint. This module computes
the n-sweep law exactly (a sweep is a linear map on the S^L-state distribution) and measures
thrml's undirected sampler against both laws. An experiment only: the TSU backends sample the
directed chain, which is exact in one sweep.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd._checks import check_float, check_int, check_seed
from tsd._core import MAX_CHAIN_LEN, PsiChain
from tsd.errors import InvalidArgumentError
from tsd.stats import chi2_gof
from tsd.tsu.sim import SimTSU

MAX_STATES = 1 << 20


def make_chain(
    vocab: int, L: int, K: int, coupling: float, tail_share: float, seed: int
) -> PsiChain:
    """A random chain: random ids, codes uniform over 0..255 spanning `coupling` nats, and a
    tail slot holding `tail_share` of each position's mass."""
    v = check_int("vocab", vocab, 2)
    length = check_int("L", L, 1, MAX_CHAIN_LEN)
    k = check_int("K", K, 1, v - 1)
    span = check_float("coupling", coupling, positive=True)
    share = check_float("tail_share", tail_share)
    if not 0.0 <= share < 1.0:
        raise InvalidArgumentError(f"tail_share: must be in [0, 1), got {share}")
    rng = np.random.Generator(np.random.PCG64(check_seed(seed)))
    ids = [np.sort(rng.choice(v, size=k, replace=False)) for _ in range(length)]
    codes = rng.integers(0, 256, size=(1 + (length - 1) * (k + 1), k))
    return PsiChain(v, ids, codes, [span / 255.0] * length, 1.0, [share / (v - k)] * length)


def slot_masses(chain: PsiChain) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Position 0's slot masses (S,) and the transitions (L − 1, S, S), [i, a, b] being
    q(slot b at i + 1 | slot a at i), all from F of the conditional payloads."""
    slots = chain.K + 1

    def masses(position: int, previous: int) -> NDArray[np.float64]:
        psi = chain.conditional(position, previous)
        return np.append(np.exp(psi.logq(psi.ids.tolist())), psi.tail_mass)

    transitions = np.array(
        [[masses(i, a) for a in range(slots)] for i in range(1, chain.L)]
    ).reshape(chain.L - 1, slots, slots)
    return masses(0, 0), transitions


def _state_count(chain: PsiChain) -> int:
    states = int((chain.K + 1) ** chain.L)
    if states > MAX_STATES:
        raise InvalidArgumentError(
            f"chain: (K + 1)^L = {states} slot sequences; the exact law needs at most {MAX_STATES}"
        )
    return states


def nominal_law(chain: PsiChain) -> NDArray[np.float64]:
    """The chain's joint over slot sequences, shape (S,) * L."""
    _state_count(chain)
    first, transitions = slot_masses(chain)
    law = first
    for step in transitions:
        law = law[..., :, None] * step.reshape((1,) * (law.ndim - 1) + step.shape)
    return law


def gibbs_law(chain: PsiChain, sweeps: int) -> NDArray[np.float64]:
    """The exact law after `sweeps` two-colour sweeps from all-zero slots, shape (S,) * L.
    Nodes of one colour are conditionally independent given the other, so one colour's update
    is each of its nodes in turn: marginalise the node, multiply by its full conditional."""
    _state_count(chain)
    first, transitions = slot_masses(chain)
    length, slots = chain.L, chain.K + 1
    law = np.zeros((slots,) * length)
    law[(0,) * length] = 1.0
    conditionals = [_full_conditional(first, transitions, j) for j in range(length)]
    for _ in range(check_int("sweeps", sweeps, 0)):
        for colour in (range(0, length, 2), range(1, length, 2)):
            for j in colour:
                law = law.sum(axis=j, keepdims=True) * conditionals[j]
    return law


def _full_conditional(
    first: NDArray[np.float64], transitions: NDArray[np.float64], j: int
) -> NDArray[np.float64]:
    """P(x_j | x_{j−1}, x_{j+1}) broadcast over the L axes (neighbours' axes and axis j)."""
    length, slots = transitions.shape[0] + 1, first.size
    into = transitions[j - 1] if j > 0 else first[None, :]  # [x_{j−1}, x_j]
    out = transitions[j] if j < length - 1 else np.ones((slots, 1))  # [x_j, x_{j+1}]
    joint = into[:, :, None] * out[None, :, :]
    joint = joint / joint.sum(axis=1, keepdims=True)
    shape = [1] * length
    if j > 0:
        shape[j - 1] = slots
    shape[j] = slots
    if j < length - 1:
        shape[j + 1] = slots
    return np.asarray(joint.reshape(shape), dtype=np.float64)


def total_variation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """½ Σ |a − b| over matching cells."""
    return 0.5 * float(np.abs(a - b).sum())


@dataclass(frozen=True)
class GibbsRow:
    """One sweep count: the exact bias, thrml's measured law against both laws, and the TV a
    perfect sampler shows at the same number of draws (the noise floor)."""

    sweeps: int
    exact_tv: float
    thrml_tv: float
    thrml_vs_gibbs_p: float
    directed_tv: float
    draws: int


def _cells(slots: NDArray[np.uint32], base: int) -> NDArray[np.int64]:
    """Flat cell index of each slot sequence (row-major, like the law arrays)."""
    index = np.zeros(slots.shape[0], dtype=np.int64)
    for column in slots.T:
        index = index * base + column.astype(np.int64)
    return index


def run_gibbs_experiment(
    chain: PsiChain,
    sweeps: Sequence[int],
    draws: int,
    seed: int,
    sample: Callable[[PsiChain, int, int, int], NDArray[np.uint32]],
) -> list[GibbsRow]:
    """For each sweep count: the exact TV to the nominal law, and `draws` samples from
    `sample(chain, sweeps, draws, seed)` (thrml's undirected sampler) compared with both laws."""
    count = check_int("draws", draws, 1)
    states = _state_count(chain)
    nominal = nominal_law(chain).ravel()
    base = chain.K + 1
    steps = np.arange(count, dtype=np.uint64) * np.uint64(chain.L)
    tokens = SimTSU(check_seed(seed)).draw([chain] * count, steps).tokens
    directed = np.column_stack(
        [
            np.where(
                np.isin(tokens[:, i], chain.ids[i]),
                np.searchsorted(chain.ids[i], tokens[:, i]),
                base - 1,
            )
            for i in range(chain.L)
        ]
    ).astype(np.uint32)
    directed_tv = total_variation(
        np.bincount(_cells(directed, base), minlength=states) / count, nominal
    )
    rows = []
    for n in sweeps:
        law = gibbs_law(chain, n).ravel()
        counts = np.bincount(_cells(sample(chain, n, count, seed), base), minlength=states)
        rows.append(
            GibbsRow(
                sweeps=n,
                exact_tv=total_variation(law, nominal),
                thrml_tv=total_variation(counts / count, nominal),
                thrml_vs_gibbs_p=chi2_gof(counts, law).p_value,
                directed_tv=directed_tv,
                draws=count,
            )
        )
    return rows
