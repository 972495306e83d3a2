"""Console output shared by the command lines: key=value lines, a rich table, progress, errors.

rich is imported by the functions that draw with it, so a command pays for it only when it
prints a table or a progress bar. Tables printed to a pipe or a file are never truncated:
they take the width their cells need.
"""

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl
    from rich.table import Table

    from tsd.experiments.m0 import ProgressCallback

PROGRESS_MIN_STEPS = 2_000_000
UNBOUNDED_WIDTH = 1 << 16


def _format(value: Any) -> str:
    """Floats to six significant digits; an empty cell (a method without that measure) as –."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _print_table(table: "Table") -> None:
    """Print on stdout; off a terminal, as wide as the table needs (no ellipses)."""
    from rich.console import Console  # noqa: PLC0415

    console = Console() if sys.stdout.isatty() else Console(width=UNBOUNDED_WIDTH)
    console.print(table)


def print_key_values(values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Print `key=value` lines on stdout, one per key, for scripts that grep the output."""
    for key in keys:
        print(f"{key}={_format(values[key])}")


def print_summary_table(
    title: str, values: Mapping[str, Any], keys: Sequence[str], caption: str | None = None
) -> None:
    """A two-column rich table of the chosen summary entries."""
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title, caption=caption, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in keys:
        table.add_row(key, _format(values[key]))
    _print_table(table)


def print_rows_table(title: str, frame: "pl.DataFrame") -> None:
    """A rich table with one row per DataFrame row (floats to six significant digits)."""
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title, show_header=True, header_style="bold")
    for name in frame.columns:
        table.add_column(name, justify="right")
    for row in frame.iter_rows():
        table.add_row(*(_format(value) for value in row))
    _print_table(table)


def print_error(message: str) -> None:
    """One `error: ...` line on stderr, no traceback."""
    print(f"error: {message}", file=sys.stderr, flush=True)


@contextmanager
def step_progress(total: int, description: str) -> "Iterator[ProgressCallback | None]":
    """A progress bar on stderr for runs of at least PROGRESS_MIN_STEPS steps, else None."""
    if total < PROGRESS_MIN_STEPS:
        yield None
        return
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)
