"""Run directories: one fresh `<out_dir>/<UTC timestamp>` folder per run, complete or absent.

A run writes into a hidden staging folder beside the run folders (`.staging-<random>`), created
before any work so an unusable `--out-dir` fails at once; `publish()` renames it to its
timestamped name at the end, and any failure or signal removes it instead.
"""

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tsd.errors import InvalidArgumentError

STAGING_PREFIX = ".staging-"
MAX_SAME_SECOND = 1000


def out_dir_root(out_dir: str | os.PathLike[str]) -> Path:
    """`out_dir` as a path; the empty string (which would silently mean the cwd) is refused."""
    if os.fspath(out_dir) == "":
        raise InvalidArgumentError("out_dir: must not be empty (use '.' for the current folder)")
    return Path(out_dir)


def _create_parents(root: Path) -> list[Path]:
    """Create `root` and any missing parents; return the folders created, outermost first."""
    missing = []
    probe = root
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise InvalidArgumentError(f"out_dir: {probe} exists and is not a directory")
    created: list[Path] = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except OSError as exc:
            _remove_empty(created)
            raise InvalidArgumentError(f"out_dir: cannot create {folder}: {exc.strerror}") from None
        created.append(folder)
    return created


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            return


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def make_run_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create `out_dir/<UTC timestamp>`; a later run in the same second gets `-1`, `-2`, ..."""
    root = out_dir_root(out_dir)
    _create_parents(root)
    stamp = _stamp()
    for attempt in range(MAX_SAME_SECOND):
        candidate = root / (stamp if attempt == 0 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise InvalidArgumentError(f"out_dir: could not create a fresh run directory under {root}")


class StagedRunDir:
    """A hidden folder a run writes into, then publishes under a fresh timestamped name."""

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.published: Path | None = None
        self.root = out_dir_root(out_dir)
        self._created = _create_parents(self.root)
        self.path = self.root / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
        try:
            self.path.mkdir()
        except OSError as exc:
            _remove_empty(self._created)
            raise InvalidArgumentError(
                f"out_dir: cannot write under {self.root}: {exc.strerror}"
            ) from None

    def publish(self) -> Path:
        """Rename the staging folder to `<root>/<UTC timestamp>` (`-1`, `-2`, ... if taken)."""
        stamp = _stamp()
        for attempt in range(MAX_SAME_SECOND):
            final = self.root / (stamp if attempt == 0 else f"{stamp}-{attempt}")
            try:
                final.mkdir()  # claim the name; the rename then replaces this empty folder
            except FileExistsError:
                continue
            self.path.rename(final)
            self.published = final
            return final
        raise InvalidArgumentError(f"out_dir: could not find a fresh run name under {self.root}")

    def discard(self) -> None:
        """Remove the staging folder and any parents this run created (if left empty)."""
        shutil.rmtree(self.path, ignore_errors=True)
        _remove_empty(self._created)


@contextmanager
def staged_run_dir(out_dir: str | os.PathLike[str]) -> Iterator[StagedRunDir]:
    """A `StagedRunDir` that is discarded unless published before the block ends, whatever
    ends it (an error, Ctrl-C, or a SIGTERM raised as an exception)."""
    stage = StagedRunDir(out_dir)
    try:
        yield stage
    finally:
        if stage.published is None:
            stage.discard()
