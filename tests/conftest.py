"""Fixtures for the pytest suite (named helpers live in `tests/support/`)."""

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from tests.support import REPO, AlarmError


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def alarm() -> Iterator[None]:
    """SIGALRM after 0.2 s raises `AlarmError` in the test, as Ctrl-C raises
    KeyboardInterrupt: a long core call must notice it and end."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise AlarmError

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
