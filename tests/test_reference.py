"""The numpy reference's access to the core's random words refuses what the core cannot give."""

import pytest

from tsd import _core, errors, reference


@pytest.mark.parametrize("count", [10**10, 2**62, 2**64])
def test_huge_word_ranges_are_refused_before_allocating(count: int) -> None:
    with pytest.raises(errors.TsdError, match="count"):
        reference.rng_words(1, 0, 0, count)
    with pytest.raises(errors.TsdError, match="count"):
        _core.rng_words(1, 0, 0, min(count, 2**64 - 1))
    with pytest.raises(errors.TsdError, match="start"):
        reference.rng_words(1, 0, 2**64 - 1, 1)
