"""The executor seam: one interface that maps a sweep's cell over its parameters, and the
registry of executors by name (`make_executor`), which imports an executor only when asked.

A cell is a top-level function of one plain dict that returns one plain dict (a row), so any
executor can ship it by reference. `Executor.map` returns the rows of the cells that succeeded
in cell order, plus one `CellFailure` (index, params, error text) per failed cell: a failed
cell never stops the others, and no executor adds fields of its own to a row, so a sweep's
results are the same, byte for byte, whichever executor ran it.

Adding an executor: a module beside `local.py` with a class whose constructor takes
`workers` and `address` (keywords) and that implements `Executor`, then one
`register_executor` line.
"""

import importlib
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from tsd.errors import BackendUnavailableError, InvalidArgumentError
from tsd.executors.cells import Cell, CellFailure, Row, SweepOutcome

__all__ = [
    "EXECUTORS",
    "Cell",
    "CellFailure",
    "Executor",
    "Row",
    "SweepOutcome",
    "make_executor",
    "register_executor",
]

# Executor name → "module:class"; an executor's module is imported by `make_executor` only.
EXECUTORS: dict[str, str] = {
    "local": "tsd.executors.local:LocalExecutor",
    "ray": "tsd.executors.ray:RayExecutor",
}


@runtime_checkable
class Executor(Protocol):
    """Runs independent cells somewhere and brings their rows back in cell order."""

    def map(self, cell: Callable[[Row], Row], params: Sequence[Row]) -> SweepOutcome:
        """`cell(p)` for every p, with a progress bar: the rows of the cells that succeeded in
        cell order, and one failure record per cell that raised."""
        ...


def register_executor(name: str, location: str) -> None:
    """Make `make_executor(name, ...)` build the class at `location` ("module:class")."""
    module, _, attribute = location.partition(":")
    if not name or not module or not attribute:
        raise InvalidArgumentError(
            f"executor: needs a name and a 'module:class' location, got {name!r}, {location!r}"
        )
    EXECUTORS[name] = location


def make_executor(name: str, *, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor registered as `name` (see `EXECUTORS`) with at most `workers` cells running
    at once (default: every core it has) and, for a cluster executor, the `address` to join."""
    if name not in EXECUTORS:
        raise InvalidArgumentError(f"executor: must be one of {', '.join(EXECUTORS)}, got {name!r}")
    if workers is not None:
        from tsd._checks import check_int  # noqa: PLC0415  (numpy: not at `tsd --help` time)

        check_int("workers", workers, 1)
    if address is not None and not address.strip():
        raise InvalidArgumentError("address: must not be empty")
    module, _, attribute = EXECUTORS[name].partition(":")
    try:
        factory = getattr(importlib.import_module(module), attribute)
    except ImportError as exc:
        raise BackendUnavailableError(f"executor {name}: {exc}") from None
    executor: Executor = factory(workers=workers, address=address)
    return executor
