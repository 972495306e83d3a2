"""The default executor: a process pool on this machine (one worker runs the cells in-process).

Workers start from a fork server, not by forking the caller: a caller that has run JAX (the
thrml backend) is multithreaded, and forking it can deadlock. Workers ignore SIGINT: Ctrl-C
reaches the whole process group, and only the caller should answer it (with one line).
"""

import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from tsd.errors import InvalidArgumentError
from tsd.executors.cells import Cell, Collector, Row, SweepOutcome, by_value, call_cell
from tsd.executors.progress import cell_progress


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor:
    """Cells on `workers` processes of this machine (default: every core)."""

    def __init__(self, *, workers: int | None = None, address: str | None = None) -> None:
        if address is not None:
            raise InvalidArgumentError(
                f"address: only the ray executor joins a cluster, got {address!r} "
                "with the local executor"
            )
        self.workers = workers or os.cpu_count() or 1

    def map(self, cell: Cell, params: Sequence[Row]) -> SweepOutcome:
        """`cell(p)` for every p, rows in cell order (see `tsd.executors.Executor`)."""
        collector = Collector(params)
        with cell_progress(len(params)) as advance:
            if self.workers == 1:
                for index, p in enumerate(params):
                    collector.add(index, by_value(call_cell(cell, p)))
                    advance()
                return collector.outcome()
            with ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_ignore_interrupts,
            ) as pool:
                futures = {pool.submit(call_cell, cell, p): i for i, p in enumerate(params)}
                for future in as_completed(futures):
                    try:
                        collector.add(futures[future], future.result())
                    except Exception as exc:  # the worker died or the row could not travel
                        collector.add_error(futures[future], exc)
                    advance()
        return collector.outcome()
