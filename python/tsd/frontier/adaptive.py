"""The adaptive proposer: per context, a payload setting chosen from the proxy the proposer
can compute, Σ min(d, F(ψ)) against its own draft d (it never sees the target p) — either the
cheapest setting whose proxy reaches a target, or the best proxy within a byte budget. What it
reports is the realised acceptance against p and the bytes it spent."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError

Row = dict[str, Any]


def _stack(rows: Sequence[Row], key: str) -> NDArray[np.float64]:
    """(settings, contexts) matrix of one per-context column."""
    return np.stack([np.asarray(row[key], dtype=np.float64) for row in rows])


def _chosen(rows: Sequence[Row], pick: NDArray[np.int64]) -> Row:
    """The per-context values of the setting picked for each context."""
    contexts = np.arange(pick.size)
    return {
        "accept": _stack(rows, "accept")[pick, contexts],
        "proxy": _stack(rows, "proxy")[pick, contexts],
        "bytes": _stack(rows, "bytes")[pick, contexts],
        "picked": [rows[i]["settings"] for i in pick],
    }


def cheapest_reaching(rows: Sequence[Row], target: float) -> Row:
    """Per context, the fewest bytes whose proxy reaches `target` (ties: the higher proxy);
    where none does, the setting with the highest proxy (ties: fewer bytes)."""
    proxy, size = _stack(rows, "proxy"), _stack(rows, "bytes")
    reaches = proxy >= target
    cost = np.where(reaches, size, np.inf)
    # lexsort sorts by its last key first: bytes, then the higher proxy.
    cheapest = np.array([np.lexsort((-proxy[:, c], cost[:, c]))[0] for c in range(proxy.shape[1])])
    best = np.array([np.lexsort((size[:, c], -proxy[:, c]))[0] for c in range(proxy.shape[1])])
    pick = np.where(reaches.any(axis=0), cheapest, best)
    return _chosen(rows, pick)


def best_proxy_within(rows: Sequence[Row], budget: float) -> Row:
    """Per context, the highest proxy among settings of at most `budget` bytes (ties: fewer
    bytes)."""
    proxy, size = _stack(rows, "proxy"), _stack(rows, "bytes")
    fits = size <= budget
    if not fits.any(axis=0).all():
        raise InvalidArgumentError(
            f"budget: {budget:g} bytes is below the smallest possible payload "
            f"({size.min(axis=0).max():g} bytes)"
        )
    score = np.where(fits, proxy, -np.inf)
    pick = np.array([np.lexsort((size[:, c], -score[:, c]))[0] for c in range(proxy.shape[1])])
    return _chosen(rows, pick)
