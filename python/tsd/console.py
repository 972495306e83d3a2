"""Console output shared by the command lines: key=value lines, a rich table, progress, errors."""

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from tsd.experiments.m0 import ProgressCallback

PROGRESS_MIN_STEPS = 2_000_000


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def print_key_values(values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Print `key=value` lines on stdout, one per key, for scripts that grep the output."""
    for key in keys:
        print(f"{key}={_format(values[key])}")


def print_summary_table(
    title: str, values: Mapping[str, Any], keys: Sequence[str], caption: str | None = None
) -> None:
    """A two-column rich table of the chosen summary entries."""
    table = Table(title=title, caption=caption, show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in keys:
        table.add_row(key, _format(values[key]))
    Console().print(table)


def print_rows_table(title: str, frame: pl.DataFrame) -> None:
    """A rich table with one row per DataFrame row (floats to six significant digits)."""
    table = Table(title=title, show_header=True, header_style="bold")
    for name in frame.columns:
        table.add_column(name, justify="right")
    for row in frame.iter_rows():
        table.add_row(*(_format(value) for value in row))
    Console().print(table)


def print_error(message: str) -> None:
    """One `error: ...` line on stderr, no traceback."""
    Console(stderr=True, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}", highlight=False
    )


@contextmanager
def step_progress(total: int, description: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr for runs of at least PROGRESS_MIN_STEPS steps, else None."""
    if total < PROGRESS_MIN_STEPS:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=sys.stderr), transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)
