"""ψ wire format: round trips, sizes, the documented layout, and one named error per defect."""

import pickle
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsd
from tests.support import wire_format
from tsd import errors
from tsd.psi import PsiTopK, encoded_size, from_bytes, psi_size_bytes, to_bytes


@st.composite
def payloads(draw: st.DrawFn) -> PsiTopK:
    vocab = draw(st.integers(1, 1 << 24))
    k = draw(st.integers(1, min(vocab, 160)))
    ids = sorted(draw(st.sets(st.integers(0, vocab - 1), min_size=k, max_size=k)))
    codes = draw(st.lists(st.integers(0, 255), min_size=k, max_size=k))
    scale = draw(st.floats(0, 10, width=32))
    tau = draw(st.floats(0.0625, 100, width=32))
    tail = draw(st.floats(0, 0.999))
    eps = tail / (vocab - k) if vocab > k else 0.0
    return PsiTopK(vocab, ids, codes, scale, tau, eps)


@settings(max_examples=300, deadline=None)
@given(payloads())
def test_round_trip_is_exact(psi: PsiTopK) -> None:
    data = to_bytes(psi)
    back = from_bytes(data)
    assert back == psi
    assert back.to_bytes() == data
    assert len(data) == psi_size_bytes(psi) == encoded_size(psi.vocab, psi.K)


@settings(max_examples=300, deadline=None)
@given(payloads())
def test_rust_encoder_writes_the_documented_layout(psi: PsiTopK) -> None:
    expected = wire_format.encode(
        psi.vocab, psi.ids.tolist(), psi.codes.tolist(), psi.scale, psi.tau, psi.eps
    )
    assert psi.to_bytes() == expected


def test_pickle_round_trips() -> None:
    psi = PsiTopK(10, [1, 3], [4, 200], 0.1, 0.9, 0.01)
    assert pickle.loads(pickle.dumps(psi)) == psi


def test_size_budget() -> None:
    assert encoded_size(500, 32) <= 80
    assert max(encoded_size(1 << 24, k) for k in range(1, 129)) <= 1024


VALID = {
    "vocab": 10,
    "ids": [1, 4, 7],
    "codes": [0, 128, 255],
    "scale": 0.05,
    "tau": 1.0,
    "eps": 0.01,
}


def raw(**changes: object) -> bytes:
    fields = {**VALID, **changes}
    return wire_format.encode(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (raw()[:-1], errors.PsiTruncatedError),
        (raw()[:5], errors.PsiTruncatedError),
        (b"", errors.PsiTruncatedError),
        (raw(version=2), errors.PsiVersionError),
        (raw(kind=9), errors.PsiKindError),
        (raw() + b"\x00", errors.PsiTrailingBytesError),
        (raw(vocab=3, ids=[0, 1, 2, 2], codes=[0] * 4), errors.PsiKExceedsVocabError),
        (raw(ids=[1, 4, 4]), errors.PsiDuplicateIdError),
        # V = 11 leaves room in the high-bit region for id 11 (high 5, low 1).
        (raw(vocab=11, ids=[1, 4, 11]), errors.PsiIdOutOfRangeError),
        (raw(tau=0.0), errors.PsiTauError),
        (raw(tau=-1.0), errors.PsiTauError),
        (raw(tau=float("nan")), errors.PsiTauError),
        (raw(eps=-0.01), errors.PsiEpsError),
        (raw(eps=0.2), errors.PsiEpsError),
        (raw(eps=float("inf")), errors.PsiEpsError),
        (raw(scale=float("nan")), errors.PsiScaleError),
        (raw(vocab=0, ids=[], codes=[]), errors.PsiVocabError),
        (raw(ids=[], codes=[]), errors.PsiEmptyError),
    ],
)
def test_each_defect_has_its_own_error(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        from_bytes(data)
    assert isinstance(caught.value, tsd.TsdError)
    assert isinstance(caught.value, ValueError)


def test_bad_checksum_is_named() -> None:
    data = bytearray(raw())
    data[-1] ^= 0xFF
    with pytest.raises(errors.PsiChecksumError, match="checksum"):
        from_bytes(bytes(data))
    body = bytearray(raw())
    body[8] ^= 0x01
    with pytest.raises(errors.PsiChecksumError):
        from_bytes(bytes(body))


def test_unsorted_ids_and_stray_bits_are_named() -> None:
    # Elias-Fano can hold unsorted low bits within one high bucket: 5 then 4.
    with pytest.raises(errors.PsiIdsNotSortedError):
        from_bytes(raw(vocab=64, ids=[5, 4, 40]))
    body = bytearray(raw()[:-4])
    body[-4] |= 0x80  # a set padding bit in the last ids byte
    with pytest.raises(errors.PsiMalformedError):
        from_bytes(bytes(body) + struct.pack("<I", zlib.crc32(body)))


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"vocab": 0}, errors.PsiVocabError, "vocab"),
        ({"vocab": 2**24 + 1}, errors.PsiVocabError, "vocab"),
        ({"vocab": -3}, errors.PsiVocabError, "vocab"),
        ({"ids": [], "codes": []}, errors.PsiEmptyError, "K"),
        ({"vocab": 2, "ids": [0, 1, 2], "codes": [0, 0, 0]}, errors.PsiKExceedsVocabError, "K"),
        ({"codes": [0, 1]}, errors.PsiLengthMismatchError, "codes"),
        ({"ids": [1, 1, 7]}, errors.PsiDuplicateIdError, "ids"),
        ({"ids": [4, 1, 7]}, errors.PsiIdsNotSortedError, "ids"),
        ({"ids": [1, 4, 10]}, errors.PsiIdOutOfRangeError, "vocab"),
        ({"ids": [-1, 4, 7]}, errors.PsiIdOutOfRangeError, "id"),
        ({"codes": [0, 256, 1]}, errors.PsiCodeError, "code"),
        ({"tau": 0.0}, errors.PsiTauError, "tau"),
        ({"tau": float("nan")}, errors.PsiTauError, "tau"),
        ({"scale": -1.0}, errors.PsiScaleError, "scale"),
        ({"eps": 0.5}, errors.PsiEpsError, "eps"),
        ({"eps": float("nan")}, errors.PsiEpsError, "eps"),
    ],
)
def test_constructor_names_the_bad_field(
    changes: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        PsiTopK(**{**VALID, **changes})  # type: ignore[arg-type]


def test_from_bytes_rejects_non_bytes() -> None:
    with pytest.raises(errors.InvalidArgumentError, match="data"):
        from_bytes("01ab")  # type: ignore[arg-type]


def test_fields_read_back_at_wire_precision() -> None:
    psi = PsiTopK(10, np.array([1, 4, 7]), np.array([0, 128, 255]), 0.05, 0.9, 0.01)
    assert psi.ids.dtype == np.uint32
    assert psi.codes.dtype == np.uint8
    assert psi.tau == np.float32(0.9)
    assert psi.eps == np.float32(0.01)
    assert psi.tail_mass == pytest.approx(7 * 0.01, rel=1e-6)
    assert "K=3" in repr(psi)


def test_python_checks_use_the_core_limits() -> None:
    """The vocab limit is read from the core, so the Python check and the core agree."""
    assert encoded_size(tsd._core.MAX_VOCAB, 1) > 0
    with pytest.raises(errors.InvalidArgumentError, match="vocab"):
        encoded_size(tsd._core.MAX_VOCAB + 1, 1)
    with pytest.raises(errors.PsiVocabError):
        PsiTopK(tsd._core.MAX_VOCAB + 1, [0], [0], 0.0, 1.0, 0.0)
