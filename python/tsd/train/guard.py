"""The NaN guard shared by every trainer: a non-finite loss or gradient stops training before
it reaches the weights, and the error says which checkpoint is left."""

import math
from pathlib import Path

from tsd.errors import TrainingDivergedError

__all__ = ["check_finite"]


def check_finite(what: str, value: float, step: int, name: str, checkpoint: Path) -> None:
    """Raise `TrainingDivergedError` when `value` (the `what` of the model or objective `name`
    at `step`) is NaN or infinite, naming the last good `checkpoint` if there is one."""
    if math.isfinite(value):
        return
    kept = (
        f"the last good checkpoint ({checkpoint}) is kept"
        if checkpoint.is_file()
        else "no checkpoint had been written yet"
    )
    raise TrainingDivergedError(
        f"loss: the {name} {what} at step {step} is {value}; training stopped, and {kept}"
    )
