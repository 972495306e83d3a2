"""The anchors, on the same distributions and byte accounting as tsd's payloads (see
docs/FRONTIER.md for every assumption):

- QSV (Quantize-Sample-and-Verify, arXiv 2507.00605): the draft's whole distribution is
  lattice-quantised at resolution ℓ and the sampler draws from the quantised q̂; the sender
  ships q̂'s lattice index.
- K-SQS (arXiv 2510.09942): the draft's top K, renormalised, lattice-quantised at ℓ; q̂ = 0
  outside the K ids. The sender ships the ids and the index.
- C-SQS (same paper): as K-SQS, but each context keeps the tokens whose draft probability
  reaches a threshold β_t that online conformal updates steer so that the dropped draft mass
  exceeds δ in a fraction α of contexts.

Bytes: our envelope (version, kind, varint V, varint K where the ids are sent, varint ℓ),
the ids in the same Elias–Fano section as ours, the lattice index in whole bytes, the CRC-32.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd.frontier.acceptance import ClippedSums, sparse_overlap
from tsd.frontier.lattice import index_bits, lattice_counts
from tsd.psi import encoded_size

Floats = NDArray[np.float64]
Row = dict[str, Any]
# Version and kind bytes, and the CRC-32.
ENVELOPE = 2 + 4
# A top-K payload's fixed fields besides the envelope and varints: τ, scale, ε.
SCALARS = 12
# C-SQS's conformal update: target miscoverage α and step η on log β.
CONFORMAL_ALPHA = 0.1
CONFORMAL_STEP = 1.0


def varint_len(value: int) -> int:
    """Bytes of `value` as an unsigned LEB128 varint."""
    return max(1, (value.bit_length() + 6) // 7)


def ids_bytes(vocab: int, k: int) -> int:
    """Bytes of the Elias–Fano ids section for K ids below V, read off the real encoder."""
    return encoded_size(vocab, k) - (ENVELOPE + varint_len(vocab) + varint_len(k) + SCALARS + k)


def sparse_bytes(vocab: int, k: int, ell: int) -> int:
    """An SQS payload: envelope, V, K, ℓ, the ids and the lattice index over K coordinates."""
    index = (index_bits(k, ell) + 7) // 8
    return (
        ENVELOPE + varint_len(vocab) + varint_len(k) + varint_len(ell) + ids_bytes(vocab, k) + index
    )


def dense_bytes(vocab: int, ell: int) -> int:
    """A QSV payload: envelope, V, ℓ and the lattice index over all V coordinates."""
    return ENVELOPE + varint_len(vocab) + varint_len(ell) + (index_bits(vocab, ell) + 7) // 8


def draft_order(d: Floats) -> NDArray[np.int64]:
    """Each row's token ids by decreasing draft probability, ties to the lower id."""
    return np.asarray(np.argsort(-d, axis=1, kind="stable"), dtype=np.int64)


def qsv(p: Floats, d: Floats, ell: int) -> Row:
    """QSV at resolution ℓ: acceptance Σ min(p, q̂) with q̂ the lattice point nearest d."""
    q = lattice_counts(d, ell) / ell
    vocab = d.shape[1]
    return {
        "method": "qsv",
        "settings": {"ell": ell},
        "accept": np.minimum(p, q).sum(axis=1),
        "proxy": np.minimum(d, q).sum(axis=1),
        "bytes": np.full(d.shape[0], float(dense_bytes(vocab, ell))),
    }


def _sparse_row(
    method: str, p: Floats, d: Floats, order: NDArray[np.int64], ks: NDArray[np.int64],
    ell: int, settings: dict[str, Any],
) -> Row:  # fmt: skip
    """An SQS row: per context its first ks[b] ids in draft order, lattice-quantised."""
    width = int(ks.max())
    top = order[:, :width]
    mask_top = np.arange(width)[None, :] < ks[:, None]
    # The kept set per row, in id order, padded with masked entries.
    kept = np.where(mask_top, top, np.iinfo(np.int64).max)
    ids = np.sort(kept, axis=1)
    mask = ids != np.iinfo(np.int64).max
    ids = np.where(mask, ids, 0)
    weights = np.where(mask, np.take_along_axis(d, ids, axis=1), 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    q_ids = lattice_counts(weights, ell) / ell
    zero = np.zeros(d.shape[0])
    vocab = d.shape[1]
    return {
        "method": method,
        "settings": settings,
        "accept": sparse_overlap(p, ClippedSums(p), ids, mask, q_ids, zero),
        "proxy": sparse_overlap(d, ClippedSums(d), ids, mask, q_ids, zero),
        "bytes": np.array([float(sparse_bytes(vocab, int(k), ell)) for k in ks]),
    }


def ksqs(p: Floats, d: Floats, k: int, ell: int) -> Row:
    """K-SQS with K ids at resolution ℓ."""
    ks = np.full(d.shape[0], min(k, d.shape[1]), dtype=np.int64)
    return _sparse_row("k-sqs", p, d, draft_order(d), ks, ell, {"K": k, "ell": ell})


def conformal_sizes(d: Floats, delta: float) -> NDArray[np.int64]:
    """C-SQS's kept-set sizes, context by context in order: the tokens with draft probability
    ≥ β_t (at least one), with log β_t moved by −η (err_t − α) after each context, err_t = 1
    when the dropped draft mass exceeds δ."""
    ordered = -np.sort(-d, axis=1)
    kept_mass = np.cumsum(ordered, axis=1)
    log_beta = np.log(delta)
    sizes = np.empty(d.shape[0], dtype=np.int64)
    for t in range(d.shape[0]):
        size = max(1, int(np.count_nonzero(ordered[t] >= np.exp(log_beta))))
        sizes[t] = size
        miss = float(1.0 - kept_mass[t, size - 1] > delta)
        log_beta -= CONFORMAL_STEP * (miss - CONFORMAL_ALPHA)
    return sizes


def csqs(p: Floats, d: Floats, delta: float, ell: int) -> Row:
    """C-SQS with deviation bound δ at resolution ℓ."""
    sizes = conformal_sizes(d, delta)
    return _sparse_row("c-sqs", p, d, draft_order(d), sizes, ell, {"delta": delta, "ell": ell})


def anchor_rows(
    p: Floats, d: Floats, method: str, ks: Sequence[int], ells: Sequence[int],
    deltas: Sequence[float],
) -> list[Row]:  # fmt: skip
    """Every setting of one anchor method."""
    if method == "qsv":
        return [qsv(p, d, ell) for ell in ells]
    if method == "k-sqs":
        return [ksqs(p, d, k, ell) for k in ks if k <= d.shape[1] for ell in ells]
    return [csqs(p, d, delta, ell) for delta in deltas for ell in ells]
