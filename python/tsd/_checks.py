"""Argument checks shared by the public API: each failure names the field and the value."""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd.errors import InvalidArgumentError

MAX_U64 = 2**64 - 1


def check_int(field: str, value: object, low: int, high: int | None = None) -> int:
    """Return `value` if it is an int (not a bool) in [low, high], else raise naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidArgumentError(f"{field}: must be an integer, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidArgumentError(f"{field}: must be in {bound}, got {number}")
    return number


def check_seed(seed: object) -> int:
    """A seed is any integer in [0, 2^64 - 1]."""
    return check_int("seed", seed, 0, MAX_U64)


def check_float(field: str, value: object, *, positive: bool = False) -> float:
    """Return `value` as a finite float (> 0 when `positive`), else raise naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise InvalidArgumentError(f"{field}: must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (positive and number <= 0.0):
        requirement = "finite and > 0" if positive else "finite"
        raise InvalidArgumentError(f"{field}: must be {requirement}, got {number}")
    return number


def as_vector(field: str, value: ArrayLike) -> NDArray[np.float64]:
    """`value` as a contiguous 1-D float64 array, or an error naming `field`."""
    try:
        array: NDArray[Any] = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{field}: not convertible to a float array ({exc})") from exc
    if array.ndim != 1 or array.size == 0:
        raise InvalidArgumentError(
            f"{field}: must be a non-empty 1-D array, got shape {array.shape}"
        )
    return array
