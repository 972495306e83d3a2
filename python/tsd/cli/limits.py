"""Memory a command will need, estimated before any work, against what the machine has free.

A run that cannot fit fails at once with an error that says what to change, rather than
after minutes of work (or by the kernel's out-of-memory killer).
"""

import os

from tsd.errors import InvalidArgumentError

# Peak bytes per step of per-step telemetry: the row itself (M0: 25 B; M1: 73 B with the
# per-context columns joined in) plus the walk's chunks and their concatenation.
M0_STEP_BYTES = 64
M1_STEP_BYTES = 160
GIB = 2**30


def available_memory() -> int | None:
    """Bytes the kernel reports as available (MemAvailable), or None where it cannot say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return None


def check_fits(field: str, needed: int, what: str, remedy: str) -> None:
    """Raise naming `field` when `needed` bytes exceed the memory available now."""
    available = available_memory()
    if available is not None and needed > available:
        raise InvalidArgumentError(
            f"{field}: {what} needs about {needed / GIB:.3g} GiB of memory, more than the "
            f"{available / GIB:.3g} GiB available; {remedy}"
        )


def check_step_telemetry(steps: int, bytes_per_step: int) -> None:
    """Per-step telemetry for `steps` steps must fit in memory; else suggest aggregate mode."""
    check_fits(
        "steps",
        steps * bytes_per_step,
        f"per-step telemetry for {steps} steps",
        "use --telemetry aggregate (counts only) or fewer --steps",
    )
