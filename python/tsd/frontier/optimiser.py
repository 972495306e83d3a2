"""The optimiser: for a budget of B bytes per draft token, the evaluated setting with the best
mean acceptance among those whose payloads all fit (ties to fewer bytes, then grid order),
measured on the contexts it is given to choose on."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tsd.errors import InvalidArgumentError

Row = dict[str, Any]


def smallest_bytes(rows: Sequence[Row]) -> float:
    """The fewest bytes any evaluated setting needs for every context."""
    return min(float(np.max(row["bytes"])) for row in rows)


def best_within(
    rows: Sequence[Row],
    budget: float,
    what: str = "tsd",
    on: NDArray[np.bool_] | None = None,
) -> Row:
    """The row of `rows` (each with per-context `accept` and `bytes`) with the highest mean
    acceptance over the contexts `on` (all when None) whose largest payload fits `budget`; a
    budget below every setting is an error naming the smallest possible payload."""
    best: Row | None = None
    best_key = (-np.inf, -np.inf)
    for row in rows:
        size = float(np.max(row["bytes"]))
        if size > budget:
            continue
        accept = np.asarray(row["accept"]) if on is None else np.asarray(row["accept"])[on]
        key = (float(np.mean(accept)), -float(np.mean(row["bytes"])))
        if key > best_key:
            best, best_key = row, key
    if best is None:
        raise InvalidArgumentError(
            f"budget: {budget:g} bytes is below the smallest possible {what} payload "
            f"({smallest_bytes(rows):g} bytes)"
        )
    return best
