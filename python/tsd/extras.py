"""The optional extras (`pip install 'thermo-speculative[NAME]'`): one check and one message for
every piece of code that needs one, so a missing dependency reads the same everywhere."""

import importlib.util
import sys
from collections.abc import Sequence

from tsd.errors import BackendUnavailableError

__all__ = ["require_extra"]


def require_extra(extra: str, modules: Sequence[str], *, needed_by: str) -> None:
    """Raise `BackendUnavailableError` naming `needed_by`, the missing modules and the install
    command for the extra `extra`, unless every module in `modules` can be imported."""
    missing = [name for name in modules if not _importable(name)]
    if missing:
        raise BackendUnavailableError(
            f"{needed_by}: needs {', '.join(missing)}; pip install 'thermo-speculative[{extra}]'"
        )


def _importable(name: str) -> bool:
    """Whether `import name` can succeed, without importing it (a module blocked with
    `sys.modules[name] = None`, as tests do to simulate its absence, cannot)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    return importlib.util.find_spec(name) is not None
