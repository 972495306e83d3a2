"""A training world: the student, its data, the held-out set it is measured on, the tokenizer
saved with it, and the settings that identify the world for a checkpoint."""

from dataclasses import dataclass
from typing import Any

from tsd.train.data import DataSource
from tsd.train.evaluate import HeldOut
from tsd.train.trainer import Student

__all__ = ["DATA_KINDS", "World"]

DATA_KINDS = ("off-policy", "on-policy")


@dataclass(frozen=True)
class World:
    """Everything a training run needs besides its optimiser settings; `notes` are printed."""

    student: Student
    data: DataSource
    heldout: HeldOut
    tokenizer: Any
    identity: dict[str, Any]
    notes: tuple[str, ...] = ()
