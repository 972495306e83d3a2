"""The README's library examples run as written (the polars example has its own test)."""

import re

import pytest

from tests.support import REPO, SHAKESPEARE

BLOCKS = re.findall(
    r"(<!-- polars-example -->\n)?```python\n(.*?)```", (REPO / "README.md").read_text(), re.S
)
LIBRARY_BLOCKS = [code for marker, code in BLOCKS if not marker]


def test_readme_has_library_examples() -> None:
    assert len(LIBRARY_BLOCKS) >= 2


@pytest.mark.parametrize("code", LIBRARY_BLOCKS, ids=lambda c: c.splitlines()[0][:40])
def test_example_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if "tinyshakespeare" in code and not SHAKESPEARE.is_file():
        pytest.skip(f"the example reads {SHAKESPEARE}, which is absent")
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md", "exec"), {})
