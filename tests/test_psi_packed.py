"""Top-K payloads with b-bit score codes (kind 3): exact round trips, the documented layout,
one error per bad field, and F(ψ) and the TSU unchanged by the width a code travels in."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import wire_format
from tsd import _core, errors
from tsd.psi import PsiChain, PsiTopK, craft_psi_from_p, encoded_size, from_bytes


@st.composite
def packed_payloads(draw: st.DrawFn) -> PsiTopK:
    bits = draw(st.integers(1, 8))
    vocab = draw(st.integers(1, 1 << 24))
    k = draw(st.integers(1, min(vocab, 160)))
    ids = sorted(draw(st.sets(st.integers(0, vocab - 1), min_size=k, max_size=k)))
    codes = draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=k, max_size=k))
    scale = draw(st.floats(0, 10, width=32))
    tau = draw(st.floats(0.0625, 100, width=32))
    tail = draw(st.floats(0, 0.999))
    eps = tail / (vocab - k) if vocab > k else 0.0
    return PsiTopK(vocab, ids, codes, scale, tau, eps, bits)


@settings(max_examples=300, deadline=None)
@given(packed_payloads())
def test_every_width_round_trips_in_the_documented_layout(psi: PsiTopK) -> None:
    data = psi.to_bytes()
    assert from_bytes(data) == psi
    assert len(data) == psi.size_bytes == encoded_size(psi.vocab, psi.K, psi.code_bits)
    fields = (psi.vocab, psi.ids.tolist(), psi.codes.tolist(), psi.scale, psi.tau, psi.eps)
    if psi.code_bits == 8:
        assert data == wire_format.encode(*fields)
    else:
        assert data == wire_format.encode_packed(*fields, psi.code_bits)


def test_sizes_shrink_by_the_bits_saved() -> None:
    # V = 50,000, K = 64: kind 1 is 179 bytes; 4-bit codes save 32 bytes and add the bits byte.
    assert encoded_size(50_000, 64) == 179
    assert encoded_size(50_000, 64, 4) == 179 - 32 + 1
    assert encoded_size(50_000, 64, 1) == 179 - 56 + 1
    with pytest.raises(errors.InvalidArgumentError, match="bits"):
        encoded_size(50_000, 64, 9)
    with pytest.raises(errors.PsiCodeBitsError, match="got 9"):
        _core.psi_encoded_len(50_000, 64, 9)


def test_f_psi_and_the_tsu_depend_only_on_the_codes() -> None:
    # The same codes and scale at width 3 and at width 8: the same q, bit for bit, and the
    # same draws and log q from the TSU.
    fields = (1000, [3, 70, 512, 999], [0, 5, 7, 2], 0.21, 0.9, 0.0002)
    narrow, wide = PsiTopK(*fields, 3), PsiTopK(*fields)
    assert narrow.code_bits == 3
    assert wide.code_bits == 8
    assert narrow != wide
    assert narrow.to_bytes() != wide.to_bytes()
    assert np.array_equal(narrow.dense_logq().view(np.uint64), wide.dense_logq().view(np.uint64))
    a, b = _core.tsu_draw_many(narrow, 5, 0, 2000), _core.tsu_draw_many(wide, 5, 0, 2000)
    assert np.array_equal(a["tokens"], b["tokens"])
    assert np.array_equal(a["logq"].view(np.uint64), b["logq"].view(np.uint64))


def test_crafting_quantises_over_two_to_the_bits_minus_one_steps() -> None:
    p = np.array([0.5, 0.3, 0.15, 0.05])
    for bits in range(1, 9):
        psi = craft_psi_from_p(p, 3, bits=bits)
        top = (1 << bits) - 1
        assert psi.code_bits == bits
        assert psi.codes.max() == top
        assert psi.codes.min() == 0
        step = float(np.log(0.5 / 0.15)) / top
        assert psi.scale == pytest.approx(step, rel=1e-6)
        exact = (np.log(p[:3]) - np.log(0.15)) / psi.scale
        assert np.all(np.abs(psi.codes - exact) <= 0.5 + 1e-6)
    assert craft_psi_from_p(p, 3) == craft_psi_from_p(p, 3, bits=8)
    with pytest.raises(errors.InvalidArgumentError, match="bits"):
        craft_psi_from_p(p, 3, bits=0)


VALID = {
    "vocab": 1000, "ids": [3, 70, 512], "codes": [0, 5, 7], "scale": 0.2, "tau": 1.0,
    "eps": 0.0002, "bits": 3,
}  # fmt: skip


def packed(**changes: object) -> bytes:
    return wire_format.encode_packed(**{**VALID, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (packed(bits=0), errors.PsiMalformedError, "bits"),
        (packed(bits=8), errors.PsiMalformedError, "kind 1"),
        (packed(bits=9), errors.PsiMalformedError, "bits"),
        (packed(pad=0x80), errors.PsiMalformedError, "padding"),
        (packed()[:-1], errors.PsiTruncatedError, "truncated"),
        (packed()[:6], errors.PsiTruncatedError, "truncated"),
        (packed() + b"\x00", errors.PsiTrailingBytesError, "after the checksum"),
        (packed(eps=0.5), errors.PsiEpsError, "eps"),
        (packed(tau=0.0), errors.PsiTauError, "tau"),
        (packed(ids=[3, 3, 512]), errors.PsiDuplicateIdError, "distinct"),
    ],
)
def test_each_bad_field_of_a_packed_payload_is_named(
    data: bytes, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        from_bytes(data)


def test_a_corrupted_packed_byte_is_a_checksum_failure() -> None:
    data = bytearray(packed())
    data[-6] ^= 0x01
    with pytest.raises(errors.PsiChecksumError):
        from_bytes(bytes(data))


def test_a_chain_decoder_names_the_packed_kind() -> None:
    with pytest.raises(errors.PsiKindError, match="kind 3"):
        PsiChain.from_bytes(packed())
    assert isinstance(PsiTopK.from_bytes(packed()), PsiTopK)


def test_the_constructor_names_bad_widths_and_codes() -> None:
    with pytest.raises(errors.PsiCodeError, match="code 8 at position 2"):
        PsiTopK(1000, [3, 70, 512], [0, 5, 8], 0.2, 1.0, 0.0, 3)
    for bits in (0, 9, -1):
        with pytest.raises(errors.PsiCodeBitsError, match=f"got {bits}"):
            PsiTopK(1000, [3], [0], 0.2, 1.0, 0.0, bits)
    assert "code_bits=3" in repr(PsiTopK(1000, [3], [7], 0.2, 1.0, 0.0, 3))
