"""Lattice (type) quantisation of probability vectors, the quantiser of the QSV and SQS
anchors: each row becomes counts k_i ≥ 0 with Σ k_i = ℓ (q_i = k_i / ℓ), by Reznik's rule —
round ℓ·w to the nearest integer, then remove (or add) the surplus at the entries whose
rounding went furthest up (or down). The index of a point among the C(ℓ + n − 1, n − 1) of
the lattice is what a sender transmits: ⌈log2 C(ℓ + n − 1, n − 1)⌉ bits."""

import math

import numpy as np
from numpy.typing import NDArray


def lattice_counts(w: NDArray[np.float64], ell: int) -> NDArray[np.int64]:
    """Counts (B, n) summing to `ell` per row, nearest to ℓ·w for rows `w` that sum to 1."""
    target = w * ell
    counts = np.floor(target + 0.5).astype(np.int64)
    error = counts - target
    surplus = counts.sum(axis=1) - ell
    for row in np.flatnonzero(surplus):
        extra = int(surplus[row])
        if extra > 0:
            # Rounded up furthest first, never below zero.
            order = np.argsort(-error[row], kind="stable")
            order = order[counts[row, order] > 0][:extra]
            counts[row, order] -= 1
        else:
            order = np.argsort(error[row], kind="stable")[:-extra]
            counts[row, order] += 1
    return counts


def index_bits(n: int, ell: int) -> int:
    """Bits of an enumerative index of a lattice point: ⌈log2 C(ℓ + n − 1, n − 1)⌉."""
    points = math.comb(ell + n - 1, n - 1)
    return (points - 1).bit_length()
