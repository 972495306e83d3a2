"""The exception table: one list of classes, all in `tsd.errors`, every one picklable, so an
error raised in a worker process reaches the parent with its class and message."""

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import tsd
from tsd import _core, errors, tsu
from tsd.sweeps import run_cells


def bad_tau_cell(row: dict[str, Any]) -> dict[str, Any]:
    """A sweep cell whose payload has an invalid τ, so it raises `PsiTauError`."""
    tsd.PsiTopK(10, [1], [0], 0.1, row["tau"], 0.0)
    return row


def test_errors_module_lists_exactly_the_core_table() -> None:
    assert sorted(errors.__all__) == sorted(_core.ERROR_NAMES)
    assert len(set(_core.ERROR_NAMES)) == len(_core.ERROR_NAMES)


@pytest.mark.parametrize("name", _core.ERROR_NAMES)
def test_every_class_lives_in_tsd_errors_and_pickles(name: str) -> None:
    cls = getattr(errors, name)
    assert cls is getattr(_core, name)
    assert cls.__module__ == "tsd.errors"
    assert issubclass(cls, errors.TsdError)
    assert issubclass(cls, ValueError)
    error = cls(f"{name}: a message naming the field")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)


def test_python_only_errors_are_in_the_table() -> None:
    assert tsu.BackendUnavailableError is errors.BackendUnavailableError
    assert issubclass(errors.CorpusError, errors.TsdError)


def test_a_worker_error_reaches_the_parent_with_its_class_and_message() -> None:
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(bad_tau_cell, {"tau": -1.0})
        with pytest.raises(errors.PsiTauError, match="tau must be finite and > 0, got -1"):
            future.result()


def test_a_failed_sweep_cell_reports_the_original_error() -> None:
    outcome = run_cells(bad_tau_cell, [{"tau": 0.5}, {"tau": 0.0}], workers=1)
    assert outcome.rows == [{"tau": 0.5}]
    assert [str(failure) for failure in outcome.failures] == [
        "cell 1 {'tau': 0.0}: PsiTauError: tau must be finite and > 0, got 0"
    ]
