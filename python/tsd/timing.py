"""Wall-clock timing for the benchmark scripts (never for tests)."""

import time
from collections.abc import Callable


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """The fastest of `repeats` wall-clock timings of `work`, in seconds: the least disturbed
    by whatever else the machine is doing."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)
