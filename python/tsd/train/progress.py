"""A progress bar for a training run on stderr: steps done, time left, the last loss and the
last held-out acceptance."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["training_progress"]


@contextmanager
def training_progress(steps: int, title: str) -> Iterator[Callable[[dict[str, Any]], None]]:
    """A `report` callback for `train` that moves a rich progress bar to each row's step."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("loss {task.fields[loss]}  held-out acceptance {task.fields[acceptance]}"),
    )
    with Progress(*columns, console=Console(file=sys.stderr)) as progress:
        task = progress.add_task(title, total=steps, loss="–", acceptance="–")

        def report(row: dict[str, Any]) -> None:
            fields = progress.tasks[task].fields
            if row["loss"] is not None:
                fields["loss"] = f"{row['loss']:.4f}"
            if row["heldout_acceptance"] is not None:
                fields["acceptance"] = f"{row['heldout_acceptance']:.4f}"
            progress.update(task, completed=row["step"])

        yield report
