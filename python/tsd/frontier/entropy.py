"""Would entropy-coding the score codes pay? The empirical entropy of the codes a setting
crafts (over every code of every context, and per slot in draft-rank order, which is what an
adaptive arithmetic coder could exploit) against the b bits per code the wire spends."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd import _core

Floats = NDArray[np.float64]


def entropy_bits(symbols: NDArray[np.integer]) -> float:
    """Empirical entropy in bits per symbol of `symbols`."""
    _, counts = np.unique(symbols, return_counts=True)
    freq = counts / counts.sum()
    return float(-(freq * np.log2(freq)).sum())


def code_entropy(d: Floats, k: int, bits: int) -> dict[str, Any]:
    """Codes of top-K payloads with `bits`-bit codes crafted from `d`: bits per code on the
    wire, their empirical entropy pooled, and the mean over draft-rank slots of the
    per-slot entropy (a coder that knows each id's rank could reach it; ids are sent in id
    order, so a real coder would also need the ranks)."""
    payloads = _core.craft_psi_rows(d, k, 1.0, None, bits)
    full = [psi for psi in payloads if k == psi.K]
    codes = np.stack([psi.codes for psi in full]).astype(np.int64)
    # Rank each payload's codes by its draft probability: the largest code first.
    ranked = -np.sort(-codes, axis=1)
    per_slot = float(np.mean([entropy_bits(ranked[:, j]) for j in range(k)]))
    return {
        "K": k,
        "bits": bits,
        "wire_bits_per_code": float(bits),
        "entropy_bits_per_code": entropy_bits(codes.ravel()),
        "ranked_entropy_bits_per_code": per_slot,
        "contexts": len(full),
    }
