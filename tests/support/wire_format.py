"""An independent, pure-Python encoder of the ψ layout in docs/PSI_FORMAT.md.

It writes exactly what the document says and validates nothing, so tests can check the Rust
encoder against the document and build malformed payloads that carry a valid checksum.
"""

import struct
import zlib
from collections.abc import Sequence


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def low_bits(vocab: int, k: int) -> int:
    ratio = vocab // k if k else 0
    return ratio.bit_length() - 1 if ratio > 1 else 0


def stream_bytes(bits: Sequence[int]) -> bytes:
    """A little-endian bit stream (bit b is bit b mod 8 of byte b // 8), zero-padded to a byte."""
    padded = [*bits, *[0] * (-len(bits) % 8)]
    return bytes(sum(padded[i + b] << b for b in range(8)) for i in range(0, len(padded), 8))


def elias_fano(vocab: int, ids: Sequence[int]) -> bytes:
    k = len(ids)
    low = low_bits(vocab, k)
    upper = k + ((max(vocab, 1) - 1) >> low)
    bits: list[int] = []
    for token in ids:
        bits.extend((token >> b) & 1 for b in range(low))
    region = [0] * upper
    for i, token in enumerate(ids):
        region[(token >> low) + i] = 1
    bits.extend(region)
    return stream_bytes(bits)


def encode(
    vocab: int,
    ids: Sequence[int],
    codes: Sequence[int],
    scale: float,
    tau: float,
    eps: float,
    *,
    version: int = 1,
    kind: int = 1,
) -> bytes:
    body = bytes([version, kind]) + varint(vocab) + varint(len(ids))
    body += struct.pack("<fff", tau, scale, eps)
    body += elias_fano(vocab, ids) + bytes(codes)
    return body + struct.pack("<I", zlib.crc32(body))


def pack_codes(codes: Sequence[int], bits: int) -> bytes:
    """Codes of `bits` bits each, least significant bit first, zero-padded to a byte."""
    return stream_bytes([(code >> b) & 1 for code in codes for b in range(bits)])


def encode_packed(
    vocab: int,
    ids: Sequence[int],
    codes: Sequence[int],
    scale: float,
    tau: float,
    eps: float,
    bits: int,
    *,
    pad: int = 0,
) -> bytes:
    """A top-K payload with packed codes (kind 3); `pad` is OR-ed into the last codes byte."""
    body = bytes([1, 3]) + varint(vocab) + varint(len(ids)) + bytes([bits])
    body += struct.pack("<fff", tau, scale, eps)
    packed = bytearray(pack_codes(codes, bits))
    if packed:
        packed[-1] |= pad
    body += elias_fano(vocab, ids) + bytes(packed)
    return body + struct.pack("<I", zlib.crc32(body))


def encode_chain(
    vocab: int,
    ids: Sequence[Sequence[int]],
    codes: Sequence[Sequence[int]],
    scales: Sequence[float],
    tau: float,
    eps: Sequence[float],
) -> bytes:
    """A chain payload (kind 2): `codes` lists position 0's row, then K + 1 rows per later
    position."""
    k = len(ids[0])
    body = bytes([1, 2]) + varint(vocab) + varint(len(ids)) + varint(k) + struct.pack("<f", tau)
    row = 0
    for position, position_ids in enumerate(ids):
        rows = 1 if position == 0 else k + 1
        body += struct.pack("<ff", scales[position], eps[position])
        body += elias_fano(vocab, position_ids)
        body += b"".join(bytes(r) for r in codes[row : row + rows])
        row += rows
    return body + struct.pack("<I", zlib.crc32(body))
