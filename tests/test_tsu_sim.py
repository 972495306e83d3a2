"""The TSU's hardening: huge counts, step arrays that would wrap or truncate, one rule for the
top step, and long draws that Ctrl-C interrupts."""

import time

import numpy as np
import pytest

from tests.support import AlarmError
from tsd import _core, errors
from tsd.psi import PsiChain, craft_psi_from_p
from tsd.tsu.sim import SimTSU

PSI = craft_psi_from_p([0.4, 0.3, 0.2, 0.1], 2)
CHAIN = PsiChain(4, [[0, 1], [0, 1]], [[1, 2]] * 4, [0.02, 0.02], 1.0, [0.05, 0.05])
LAST_STEP = 2**64 - 2


@pytest.mark.parametrize("count", [10**10, 2**62, 2**64 - 1])
def test_huge_counts_are_refused_before_allocating(count: int) -> None:
    with pytest.raises(errors.TsdError, match="count"):
        SimTSU(0).sample_many(PSI, 0, count)
    with pytest.raises(errors.TsdError, match="count"):
        _core.tsu_draw_many(PSI, 0, 0, min(count, 2**64 - 1))


def test_the_call_limit_is_the_cores() -> None:
    assert _core.MAX_STEPS_PER_CALL == 2**32
    assert _core.LAST_STEP == LAST_STEP


@pytest.mark.parametrize(
    ("steps", "match"),
    [
        (np.array([-1]), "entry 0 is -1"),
        (np.array([3, -2]), "entry 1 is -2"),
        (np.array([1.7]), "integers"),
        (np.array([2**64 - 1], np.uint64), "entry 0"),
        (np.zeros((1, 1), np.uint64), "1-D"),
    ],
)
def test_step_arrays_never_wrap_or_truncate(steps: np.ndarray, match: str) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=match):
        SimTSU(0).draw([PSI] * steps.size, steps)
    with pytest.raises(errors.InvalidArgumentError, match=match):
        SimTSU(0).draw([CHAIN] * steps.size, steps)


def test_integer_step_arrays_of_any_dtype_are_read_exactly() -> None:
    expected = SimTSU(3).draw([PSI, PSI], np.array([5, 9], np.uint64))
    for dtype in (np.int64, np.int32, np.uint16):
        got = SimTSU(3).draw([PSI, PSI], np.array([5, 9], dtype))
        np.testing.assert_array_equal(got.tokens, expected.tokens)


def test_one_rule_for_the_top_step_in_every_draw() -> None:
    tsu = SimTSU(1)
    # A single draw may use LAST_STEP and no step above it, whichever entry point makes it.
    token = tsu.draw([PSI], np.array([LAST_STEP], np.uint64)).tokens[0, 0]
    assert token == tsu.sample_many(PSI, LAST_STEP, 1)[0][0]
    with pytest.raises(errors.InvalidArgumentError, match="start_step"):
        tsu.sample_many(PSI, LAST_STEP + 1, 1)
    with pytest.raises(errors.InvalidArgumentError, match="steps"):
        tsu.draw([PSI], np.array([LAST_STEP + 1], np.uint64))
    with pytest.raises(errors.InvalidArgumentError, match="steps"):
        _core.tsu_draw_each([PSI], 1, np.array([LAST_STEP + 1], np.uint64))
    # A chain of L = 2 from step s uses s and s + 1: its last start is LAST_STEP - 1.
    tsu.draw([CHAIN], np.array([LAST_STEP - 1], np.uint64))
    with pytest.raises(errors.InvalidArgumentError, match="steps"):
        tsu.draw([CHAIN], np.array([LAST_STEP], np.uint64))


@pytest.mark.usefixtures("alarm")
def test_a_long_draw_notices_a_signal() -> None:
    # 3·10^8 draws take about 30 s; the handler's exception must end the call promptly.
    started = time.monotonic()
    with pytest.raises(AlarmError):
        SimTSU(0).sample_many(PSI, 0, 3 * 10**8)
    assert time.monotonic() - started < 10.0
