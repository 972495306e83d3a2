"""Shared fixtures and helpers for the pytest suite."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHAKESPEARE = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"


@pytest.fixture
def repo() -> Path:
    return REPO
