"""The fused walks (M0's `m0_run`, M1's `BigramChain`) refuse huge step counts before
allocating and notice a signal during a long walk."""

import time

import numpy as np
import pytest

from tests.support import AlarmError
from tsd import _core, errors
from tsd.psi import craft_psi_from_p

P = np.array([0.4, 0.3, 0.2, 0.1])
PSI = craft_psi_from_p(P, 2)
CHAIN = _core.BigramChain(np.log(np.tile(P, (4, 1))), [PSI] * 4)


@pytest.mark.parametrize("steps", [10**10, 2**62, 2**64 - 1])
def test_huge_walks_are_refused_before_allocating(steps: int) -> None:
    with pytest.raises(errors.TsdError, match="steps"):
        _core.m0_run(np.log(P), PSI, 0, 0, steps)
    with pytest.raises(errors.TsdError, match="steps"):
        CHAIN.run(0, 0, steps, 0)


def test_walks_past_the_last_step_are_refused() -> None:
    for walk in (
        lambda: _core.m0_run(np.log(P), PSI, 0, 2**64 - 1, 1),
        lambda: CHAIN.run(0, 2**64 - 1, 1, 0),
        lambda: CHAIN.run_counts(0, 2**64 - 1, 1, 0),
    ):
        with pytest.raises(errors.InvalidArgumentError, match="start"):
            walk()


@pytest.mark.usefixtures("alarm")
def test_a_long_counted_walk_notices_a_signal() -> None:
    # 10^10 steps of an aggregated walk take minutes in O(V) memory; the handler's exception
    # must end the call promptly.
    started = time.monotonic()
    with pytest.raises(AlarmError):
        CHAIN.run_counts(0, 0, 10**10, 0)
    assert time.monotonic() - started < 10.0


@pytest.mark.usefixtures("alarm")
def test_a_long_m0_run_notices_a_signal() -> None:
    started = time.monotonic()
    with pytest.raises(AlarmError):
        _core.m0_run(np.log(P), PSI, 0, 0, 3 * 10**8)
    assert time.monotonic() - started < 10.0
