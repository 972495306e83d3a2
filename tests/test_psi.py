"""`PsiTopK` takes only what it can represent: wrong types and out-of-range values are a
`TsdError` naming the field, never an OverflowError, a TypeError or a silent conversion."""

from collections.abc import Callable

import numpy as np
import pytest

from tsd import _core, errors
from tsd.psi import PsiTopK, craft_psi_from_p

PSI = craft_psi_from_p([0.4, 0.3, 0.2, 0.1], 2)


def make(**changes: object) -> PsiTopK:
    """A valid payload's arguments with `changes` applied."""
    fields: dict[str, object] = {
        "vocab": 4, "ids": [0, 1], "codes": [0, 255], "scale": 0.01, "tau": 1.0, "eps": 0.1,
    }  # fmt: skip
    fields.update(changes)
    return PsiTopK(**fields)  # type: ignore[arg-type]


BAD: list[tuple[str, Callable[[], object], type[errors.TsdError], str]] = [
    ("vocab 2^64", lambda: make(vocab=2**64), errors.PsiVocabError, "vocab"),
    ("vocab 2^200", lambda: make(vocab=2**200), errors.PsiVocabError, "vocab"),
    ("vocab float", lambda: make(vocab=4.0), errors.InvalidArgumentError, "vocab"),
    ("vocab str", lambda: make(vocab="4"), errors.InvalidArgumentError, "vocab"),
    ("vocab bool", lambda: make(vocab=True), errors.InvalidArgumentError, "vocab"),
    ("ids float", lambda: make(ids=[0.0, 1.5]), errors.InvalidArgumentError, "ids"),
    ("ids float array", lambda: make(ids=np.array([0.0, 1.0])), errors.InvalidArgumentError, "ids"),
    ("ids negative", lambda: make(ids=[-1, 1]), errors.PsiIdOutOfRangeError, "ids"),
    ("ids 2^40", lambda: make(ids=[0, 2**40]), errors.PsiIdOutOfRangeError, "ids"),
    ("ids not a list", lambda: make(ids=3), errors.InvalidArgumentError, "ids"),
    ("codes 256", lambda: make(codes=[0, 256]), errors.PsiCodeError, "codes"),
    ("codes float", lambda: make(codes=[0, 2.5]), errors.InvalidArgumentError, "codes"),
    ("tau str", lambda: make(tau="1"), errors.InvalidArgumentError, "tau"),
    ("scale None", lambda: make(scale=None), errors.InvalidArgumentError, "scale"),
    ("eps list", lambda: make(eps=[0.1]), errors.InvalidArgumentError, "eps"),
    ("logq negative", lambda: PSI.logq([-1]), errors.InvalidArgumentError, "tokens"),
    ("logq float", lambda: PSI.logq([1.5]), errors.InvalidArgumentError, "tokens"),
    ("logq 2^32", lambda: PSI.logq([2**32]), errors.InvalidArgumentError, "tokens"),
    ("from_bytes str", lambda: PsiTopK.from_bytes("psi"), errors.InvalidArgumentError, "data"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("name", "call", "kind", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_fields_are_named(
    name: str, call: Callable[[], object], kind: type[errors.TsdError], field: str
) -> None:
    with pytest.raises(kind, match=field):
        call()


def test_numpy_integers_are_exact_ids_and_logq_takes_any_integer_sequence() -> None:
    assert make(vocab=np.int64(4), ids=np.array([0, 1], np.int32)) == make()
    expected = PSI.logq([0, 3])
    for tokens in ([0, 3], np.array([0, 3], np.uint32), np.array([0, 3], np.int64), (0, 3)):
        np.testing.assert_array_equal(PSI.logq(tokens), expected)


def test_from_bytes_accepts_any_bytes_like_object() -> None:
    data = PSI.to_bytes()
    for view in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert PsiTopK.from_bytes(view) == PSI
        assert _core.decode_any(view) == PSI


def test_encoded_sizes_are_only_given_for_valid_headers() -> None:
    uniform = craft_psi_from_p(np.full(500, 1 / 500), 32)
    assert _core.psi_encoded_len(500, 32) == len(uniform.to_bytes())
    with pytest.raises(errors.PsiKExceedsVocabError, match="K"):
        _core.psi_encoded_len(100, 2**63)
    with pytest.raises(errors.PsiEmptyError, match="K"):
        _core.psi_encoded_len(100, 0)
    with pytest.raises(errors.PsiVocabError, match="vocab"):
        _core.psi_encoded_len(2**32, 1)
