"""Wall-clock timing for benchmarks (never for tests): best-of timings, and the phases of a
decoding run."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of `repeats` wall-clock timings of `work`, in seconds: the least disturbed
    by whatever else the machine is doing."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


class Phases:
    """Seconds spent per named phase of a run (draft, target, verify, ...), summed over the
    times each phase was entered."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Add the time the body takes to phase `name`."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began
