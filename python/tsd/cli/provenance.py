"""Where a result came from: package version, git commit (when run from a checkout), the
command line, the start time and the wall time, recorded in every summary a command writes."""

import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tsd

GIT_TIMEOUT_S = 5.0


def git_commit() -> str | None:
    """The commit of the checkout tsd is imported from, or None (not a tracked checkout, no
    git): a copy installed into site-packages is not mistaken for the repository around it."""
    package = Path(tsd.__file__).resolve().parent
    try:
        subprocess.run(
            ["git", "-C", str(package), "ls-files", "--error-unmatch", "__init__.py"],
            capture_output=True, check=True, timeout=GIT_TIMEOUT_S,
        )  # fmt: skip
        head = subprocess.run(
            ["git", "-C", str(package), "rev-parse", "HEAD"],
            capture_output=True, check=True, text=True, timeout=GIT_TIMEOUT_S,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() or None


@dataclass(frozen=True)
class Invocation:
    """One command's start: its argument vector, wall-clock start and monotonic start."""

    command: list[str]
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    started: float = field(default_factory=time.perf_counter)

    def provenance(self) -> dict[str, Any]:
        """The provenance block, with the wall time up to this call."""
        return {
            "tsd_version": tsd.__version__,
            "git_commit": git_commit(),
            "command": self.command,
            "started_at": self.started_at,
            "wall_seconds": time.perf_counter() - self.started,
        }
