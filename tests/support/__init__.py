"""Helpers shared by the test modules: repository paths, table models, reference chains.

Fixtures stay in `tests/conftest.py`; everything a test imports by name lives here.
"""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
SHAKESPEARE = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"


class AlarmError(Exception):
    """Raised by the `alarm` fixture's signal handler."""


# Tests that draw through Extropic's thrml (JAX): slow, so marked, and skipped without the extra.
needs_thrml = pytest.mark.skipif(
    importlib.util.find_spec("thrml") is None,
    reason="thrml not installed (pip install 'thermo-speculative[thrml]')",
)
thrml_heavy = [pytest.mark.slow, needs_thrml]
