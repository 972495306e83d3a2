"""Run a sweep's independent cells through an executor (`tsd.executors`), keeping going past a
failed cell; the local process pool unless the caller passes another executor."""

from collections.abc import Sequence

from tsd.errors import InvalidArgumentError
from tsd.executors import Cell, CellFailure, Executor, Row, SweepOutcome, make_executor

__all__ = ["CellFailure", "Row", "SweepOutcome", "run_cells"]


def run_cells(
    cell: Cell,
    params: Sequence[Row],
    workers: int | None = None,
    executor: Executor | None = None,
) -> SweepOutcome:
    """Evaluate `cell(p)` for each p on `executor`, or on the local process pool with `workers`
    processes (default: every core)."""
    if executor is None:
        executor = make_executor("local", workers=workers)
    elif workers is not None:
        raise InvalidArgumentError(
            "workers: give the workers to make_executor, not alongside an executor"
        )
    return executor.map(cell, params)
