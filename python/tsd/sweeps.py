"""Run independent cells on a process pool, with progress, keeping going past a failed cell.

Workers start from a fork server, not by forking the caller: a caller that has run JAX (the
thrml backend) is multithreaded, and forking it can deadlock. Workers ignore SIGINT: Ctrl-C
reaches the whole process group, and only the caller should answer it (with one line).
"""

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Row = dict[str, Any]


@dataclass(frozen=True)
class SweepOutcome:
    """The rows of the cells that succeeded, in cell order, and one line per failed cell."""

    rows: list[Row]
    failures: list[str]


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_cells(
    cell: Callable[[Row], Row], params: Sequence[Row], workers: int | None = None
) -> SweepOutcome:
    """Evaluate `cell(p)` for each p on `workers` processes (default: every core)."""
    done: dict[int, Row] = {}
    failures: list[str] = []
    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_ignore_interrupts,
        ) as pool,
        Progress(*columns, console=Console(stderr=True), transient=True) as progress,
    ):
        task = progress.add_task("cells", total=len(params))
        futures = {pool.submit(cell, p): i for i, p in enumerate(params)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                done[index] = future.result()
            except Exception as exc:  # a failed cell is reported, the sweep goes on
                failures.append(f"cell {params[index]}: {type(exc).__name__}: {exc}")
            progress.advance(task)
    return SweepOutcome(rows=[done[i] for i in sorted(done)], failures=failures)
