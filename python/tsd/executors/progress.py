"""The progress bar every executor shows while its cells run: on stderr, gone when done."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def cell_progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar over `total` cells; the context gives the function that marks one done."""
    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("cells", total=total)
        yield lambda: progress.advance(task)
