"""What every executor shares: a cell run so that its error comes back as text, a result sent
by value, the failure record, and the outcome assembled in cell order whatever order the
cells finished in."""

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]
Cell = Callable[[Row], Row]


@dataclass(frozen=True)
class CellFailure:
    """A cell that failed (it raised, its row could not travel back, or its worker died): its
    position in the sweep, its parameters and the error's text (`TypeName: message`), the
    same whichever executor ran it (but for a dead worker, named by the executor)."""

    index: int
    params: Row
    error: str

    def __str__(self) -> str:
        return f"cell {self.index} {self.params}: {self.error}"

    def to_dict(self) -> Row:
        """The record as plain JSON-ready data (for a run's summary.json)."""
        return {"index": self.index, "params": self.params, "error": self.error}


@dataclass(frozen=True)
class SweepOutcome:
    """The rows of the cells that succeeded, in cell order, and the failed cells, by index."""

    rows: list[Row]
    failures: list[CellFailure]


@dataclass(frozen=True)
class CellResult:
    """One cell's result as it travels back from wherever it ran: a row or an error's text."""

    row: Row | None = None
    error: str | None = None


def error_text(exc: BaseException) -> str:
    """An error as one line of text: its class name and message."""
    return f"{type(exc).__name__}: {exc}"


def call_cell(cell: Cell, params: Row) -> CellResult:
    """Run one cell where it was sent, turning an exception into its text, so a failure
    reads the same from every executor (not wrapped in the executor's own error types)."""
    try:
        return CellResult(row=cell(params))
    except Exception as exc:  # a failed cell is reported, the sweep goes on
        return CellResult(error=error_text(exc))


def by_value(result: CellResult) -> CellResult:
    """`result` as it arrives from another process (pickled and back), so a cell run in the
    caller's process gives what a worker would: a row that cannot travel is a failure there
    too, and no row shares objects with the cell's caches."""
    try:
        copy: CellResult = pickle.loads(pickle.dumps(result))
    except Exception as exc:  # the row cannot travel: the cell fails, as on a worker
        return CellResult(error=error_text(exc))
    return copy


class Collector:
    """Gathers the cells' results as they finish and gives them back in cell order."""

    def __init__(self, params: Sequence[Row]) -> None:
        self._params = params
        self._rows: dict[int, Row] = {}
        self._errors: dict[int, str] = {}

    def add(self, index: int, result: CellResult) -> None:
        """Record cell `index`'s result."""
        if result.row is not None:
            self._rows[index] = result.row
        else:
            self._errors[index] = result.error or "the cell returned no row"

    def add_error(self, index: int, exc: BaseException) -> None:
        """Record that cell `index` could not be run or brought back (a worker died, say)."""
        self._errors[index] = error_text(exc)

    def outcome(self) -> SweepOutcome:
        """The rows in cell order and the failures by index."""
        return SweepOutcome(
            rows=[self._rows[i] for i in sorted(self._rows)],
            failures=[
                CellFailure(index=i, params=self._params[i], error=self._errors[i])
                for i in sorted(self._errors)
            ],
        )
