"""The default executor: a process pool on this machine (one worker runs the cells in-process).

A worker that dies (killed for memory, a crash in native code) breaks the pool for every cell
it had not finished; those cells run again one at a time, so only the cell that kills its
worker fails (with `BrokenProcessPool`) and the others finish.

Workers start from a fork server, not by forking the caller: a caller that has run JAX (the
thrml backend) is multithreaded, and forking it can deadlock. Workers ignore SIGINT: Ctrl-C
reaches the whole process group, and only the caller should answer it (with one line).
"""

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

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
            else:
                lost = _run_on_pool(cell, params, self.workers, collector, advance)
                _run_one_at_a_time(cell, params, lost, collector, advance)
        return collector.outcome()


def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` fork-server processes that leave Ctrl-C to the caller."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_ignore_interrupts,
    )


def _run_on_pool(
    cell: Cell,
    params: Sequence[Row],
    workers: int,
    collector: Collector,
    advance: Callable[[], None],
) -> list[int]:
    """Every cell on one pool; returns the cells lost because a worker died, which breaks the
    pool for every cell it had not finished."""
    lost: list[int] = []
    with _pool(workers) as pool:
        futures = {pool.submit(call_cell, cell, p): i for i, p in enumerate(params)}
        for future in as_completed(futures):
            try:
                collector.add(futures[future], future.result())
            except BrokenProcessPool:
                lost.append(futures[future])
                continue
            except Exception as exc:  # the row could not travel back
                collector.add_error(futures[future], exc)
            advance()
    return sorted(lost)


def _run_one_at_a_time(
    cell: Cell,
    params: Sequence[Row],
    indices: Sequence[int],
    collector: Collector,
    advance: Callable[[], None],
) -> None:
    """The cells a dead worker took down, again, one at a time on a one-worker pool (a new one
    after each death), so only a cell that itself kills its worker fails."""
    pool: ProcessPoolExecutor | None = None
    try:
        for index in indices:
            pool = pool or _pool(1)
            try:
                collector.add(index, pool.submit(call_cell, cell, params[index]).result())
            except BrokenProcessPool as exc:
                collector.add_error(index, exc)
                pool.shutdown()
                pool = None
            except Exception as exc:  # the row could not travel back
                collector.add_error(index, exc)
            advance()
    finally:
        if pool is not None:
            pool.shutdown()
