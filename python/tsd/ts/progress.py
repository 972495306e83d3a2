"""Progress bars for `tsd ts train` on stderr: one per model, its steps, time left, the last
loss and validation MSE."""

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["stage_progress"]


@contextmanager
def stage_progress(steps: Mapping[str, int]) -> Iterator[Callable[[str, dict[str, Any]], None]]:
    """A `report(stage, row)` callback that moves the bar of `stage` (added on its first row)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("loss {task.fields[loss]}  val MSE {task.fields[mse]}"),
    )
    with Progress(*columns, console=Console(file=sys.stderr)) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, row: dict[str, Any]) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=steps[stage], loss="–", mse="–")
            fields = progress.tasks[tasks[stage]].fields
            if row["loss"] is not None:
                fields["loss"] = f"{row['loss']:.4f}"
            if row["val_mse"] is not None:
                fields["mse"] = f"{row['val_mse']:.4f}"
            progress.update(tasks[stage], completed=row["step"])

        yield report
