"""`tsd.extras.require_extra`: one message for a missing optional dependency."""

import sys

import pytest

from tsd.errors import BackendUnavailableError
from tsd.extras import require_extra


def test_an_installed_extra_passes() -> None:
    require_extra("dev", ("pytest", "numpy"), needed_by="test")


def test_a_missing_module_names_the_user_the_modules_and_the_install_command() -> None:
    with pytest.raises(BackendUnavailableError) as caught:
        require_extra("ts", ("numpy", "no_such_module_here"), needed_by="ts train")
    assert str(caught.value) == (
        "ts train: needs no_such_module_here; pip install 'thermo-speculative[ts]'"
    )


def test_a_module_blocked_in_sys_modules_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy_blocked_for_test", None)
    with pytest.raises(BackendUnavailableError, match="needs numpy_blocked_for_test;"):
        require_extra("x", ("numpy_blocked_for_test",), needed_by="y")
