"""Expected acceptance Σ_y min(p(y), q(y)) of top-K payloads in closed form, vectorised over
contexts: the ids term is exact over K entries, and the tail term Σ_{y ∉ ids} min(p(y), ε)
comes from each row of p sorted once, so no dense q over the vocabulary is ever built."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tsd.psi import PsiTopK

Floats = NDArray[np.float64]


class ClippedSums:
    """Σ_y min(p(y), e) for any per-row level e, from each row of p sorted once (one binary
    search per row and level, no pass over the vocabulary)."""

    def __init__(self, p: Floats) -> None:
        self.sorted = np.sort(p, axis=1)
        zeros = np.zeros((p.shape[0], 1))
        self.prefix = np.concatenate([zeros, np.cumsum(self.sorted, axis=1)], axis=1)

    def __call__(self, level: Floats) -> Floats:
        """Per row: the mass below `level` plus `level` for every entry at or above it."""
        below = np.array(
            [
                np.searchsorted(row, e, side="left")
                for row, e in zip(self.sorted, level, strict=True)
            ],
            dtype=np.int64,
        )
        rows = np.arange(self.sorted.shape[0])
        above = self.sorted.shape[1] - below
        return np.asarray(self.prefix[rows, below] + level * above, dtype=np.float64)


@dataclass(frozen=True)
class PayloadColumns:
    """B top-K payloads over one vocabulary as columns padded to the widest K: ids, codes and
    a mask (B, K); scale, ε and encoded size (B,)."""

    vocab: int
    ids: NDArray[np.int64]
    codes: Floats
    mask: NDArray[np.bool_]
    scale: Floats
    eps: Floats
    size_bytes: NDArray[np.int64]

    @classmethod
    def from_payloads(cls, payloads: list[PsiTopK]) -> "PayloadColumns":
        """Columns of `payloads` (one vocabulary and code width)."""
        width = max(psi.K for psi in payloads)
        rows = len(payloads)
        ids = np.zeros((rows, width), dtype=np.int64)
        codes = np.zeros((rows, width))
        mask = np.zeros((rows, width), dtype=bool)
        for row, psi in enumerate(payloads):
            ids[row, : psi.K] = psi.ids
            codes[row, : psi.K] = psi.codes
            mask[row, : psi.K] = True
        return cls(
            vocab=payloads[0].vocab,
            ids=ids,
            codes=codes,
            mask=mask,
            scale=np.array([psi.scale for psi in payloads], dtype=np.float64),
            eps=np.array([psi.eps for psi in payloads], dtype=np.float64),
            size_bytes=np.array([psi.size_bytes for psi in payloads], dtype=np.int64),
        )

    @property
    def k(self) -> NDArray[np.int64]:
        """Explicit ids per payload."""
        return np.asarray(self.mask.sum(axis=1), dtype=np.int64)


def wire_float(values: Floats | float) -> Floats:
    """Values as the wire carries them: rounded to binary32, read back as binary64."""
    return np.asarray(np.float32(values), dtype=np.float64)


def q_on_ids(scores: Floats, mask: NDArray[np.bool_], tail_mass: Floats) -> Floats:
    """F(ψ) on the ids: (1 − tail mass) · softmax(scores) over each row's masked entries (0
    on padding); `scores` are code · scale / τ, as rust/fmap.rs evaluates them."""
    shifted = np.where(mask, scores, -np.inf)
    top = shifted.max(axis=1, keepdims=True)
    weights = np.where(mask, np.exp(shifted - top), 0.0)
    return np.asarray(
        (1.0 - tail_mass)[:, None] * weights / weights.sum(axis=1, keepdims=True),
        dtype=np.float64,
    )


def sparse_overlap(
    p: Floats, clipped: ClippedSums, ids: NDArray[np.int64], mask: NDArray[np.bool_],
    q_ids: Floats, eps: Floats,
) -> Floats:  # fmt: skip
    """Σ_y min(p, q) for q = `q_ids` on each row's masked ids and `eps` on every other token."""
    p_ids = np.take_along_axis(p, ids, axis=1)
    on_ids = np.where(mask, np.minimum(p_ids, q_ids), 0.0).sum(axis=1)
    tail = clipped(eps) - np.where(mask, np.minimum(p_ids, eps[:, None]), 0.0).sum(axis=1)
    return np.asarray(on_ids + tail, dtype=np.float64)


def payload_acceptance(
    p: Floats,
    columns: PayloadColumns,
    tau: Floats | float,
    eps: Floats,
    clipped: ClippedSums | None = None,
) -> Floats:
    """Expected acceptance against `p` (B, V) of each payload in `columns`, sent with
    temperature `tau` and per-row tail probability `eps` (both rounded to the wire's binary32;
    `tau` one value or one per row)."""
    eps_wire = wire_float(eps)
    tail_mass = (columns.vocab - columns.k) * eps_wire
    taus = np.broadcast_to(wire_float(tau), eps_wire.shape)
    scores = columns.codes * (columns.scale / taus)[:, None]
    q_ids = q_on_ids(scores, columns.mask, tail_mass)
    sums = ClippedSums(p) if clipped is None else clipped
    return sparse_overlap(p, sums, columns.ids, columns.mask, q_ids, eps_wire)


def acceptance(p: Floats, payloads: list[PsiTopK]) -> Floats:
    """Expected acceptance Σ_y min(p(y), F(ψ)(y)) of each payload against its row of `p`."""
    columns = PayloadColumns.from_payloads(payloads)
    taus = np.array([psi.tau for psi in payloads], dtype=np.float64)
    return payload_acceptance(p, columns, taus, columns.eps)
