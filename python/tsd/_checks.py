"""Argument checks shared by the public API: each failure names the field and the value."""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd._core import LAST_STEP, MAX_STEPS_PER_CALL
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


def check_step_range(start_field: str, start: object, count: object) -> tuple[int, int]:
    """(start, count) for the steps start .. start + count − 1 of one call, by the core's rule
    (`limits::step_range`, `limits::column_len`): the exclusive end fits in 64 bits, so no step
    passes LAST_STEP, and one call returns at most MAX_STEPS_PER_CALL steps."""
    first = check_int(start_field, start, 0, MAX_U64)
    n = check_int("count", count, 0, MAX_STEPS_PER_CALL)
    if first + n > LAST_STEP + 1:
        raise InvalidArgumentError(
            f"{start_field}: {start_field} {first} + {n} steps overflows the 64-bit step counter "
            f"(the last step any kernel uses is {LAST_STEP})"
        )
    return first, n


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


def as_steps(field: str, steps: ArrayLike, count: int, span: int = 1) -> NDArray[np.uint64]:
    """`steps` as a contiguous 1-D uint64 array of `count` integers; each starts `span` steps
    (s .. s + span - 1), which the core's one rule for the top step keeps at or below
    LAST_STEP. Floats, negatives and larger values are errors, never truncated or wrapped."""
    array: NDArray[Any] = np.asarray(steps)
    if array.ndim != 1:
        raise InvalidArgumentError(f"{field}: must be a 1-D array, got shape {array.shape}")
    if array.size != count:
        raise InvalidArgumentError(
            f"{field}: {count} payloads need as many steps, got {array.size}"
        )
    if array.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if array.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{field}: must hold integers, got dtype {array.dtype}")
    top = LAST_STEP - (span - 1)
    bad = (array < 0) | (array > top) if array.dtype.kind == "i" else array > top
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidArgumentError(
            f"{field}: entry {position} is {array[position]}, must be in [0, {top}] "
            f"(its {span} steps end at the last step {LAST_STEP} at most)"
        )
    return np.ascontiguousarray(array, dtype=np.uint64)
