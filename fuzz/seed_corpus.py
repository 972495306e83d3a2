"""Write seed corpora for the ψ decoder fuzz targets from the golden vectors.

The Gaussian golden payloads (tests/data/golden_gauss.json, kind 4) seed `decode_gauss` as
they are.

The golden vectors (tests/data/golden_psi.json) are top-K payloads (kind 1, and kind 3 with
packed codes). Each kind 1 payload also seeds chain payloads (kind 2) of L = 1 and L = 2: the
chain layout repeats the top-K fields per position, so a golden payload is turned into a chain
by rewriting its header, repeating its position block (K + 1 code rows after position 0) and
resealing the CRC-32. Only the standard
library is used, so seeding needs no build.
"""

import argparse
import json
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden_psi.json"
GOLDEN_GAUSS = ROOT / "tests" / "data" / "golden_gauss.json"
KIND_CHAIN = 2
KIND_TOP_K_PACKED = 3
SCALARS = 12
CHECKSUM = 4
# Chains of L = 2 carry K (K + 1) codes for position 1; larger K would inflate every input.
MAX_K_FOR_TWO_POSITIONS = 64


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    """Return the LEB128 varint at `at` and the offset just past it."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def varint(value: int) -> bytes:
    """Encode `value` as an unsigned LEB128 varint."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def sealed(body: bytes) -> bytes:
    """Append the little-endian CRC-32 of `body`."""
    return body + zlib.crc32(body).to_bytes(4, "little")


def chain_from_topk(payload: bytes, length: int) -> bytes:
    """Build a chain of `length` positions that repeats the top-K payload's one position."""
    version = payload[0]
    vocab, at = read_varint(payload, 2)
    k, at = read_varint(payload, at)
    tau = payload[at : at + 4]
    scale_eps = payload[at + 4 : at + SCALARS]
    ids = payload[at + SCALARS : len(payload) - CHECKSUM - k]
    codes = payload[len(payload) - CHECKSUM - k : len(payload) - CHECKSUM]
    body = bytes([version, KIND_CHAIN]) + varint(vocab) + varint(length) + varint(k) + tau
    for position in range(length):
        rows = 1 if position == 0 else k + 1
        body += scale_eps + ids + codes * rows
    return sealed(body)


def seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Map each fuzz target to its named seed payloads."""
    topk, chains = [], []
    for case in json.loads(GOLDEN.read_text())["cases"]:
        payload = bytes.fromhex(case["psi_hex"])
        k, _ = read_varint(payload, read_varint(payload, 2)[1])
        topk.append((case["name"], payload))
        if payload[1] == KIND_TOP_K_PACKED:
            continue
        chains.append((f"{case['name']}_L1", chain_from_topk(payload, 1)))
        if k <= MAX_K_FOR_TWO_POSITIONS:
            chains.append((f"{case['name']}_L2", chain_from_topk(payload, 2)))
    gauss = [
        (case["name"], bytes.fromhex(case["psi_hex"]))
        for case in json.loads(GOLDEN_GAUSS.read_text())["cases"]
    ]
    return {
        "decode_topk": topk,
        "decode_chain": chains,
        "decode_gauss": gauss,
        "decode_any": topk + chains + gauss,
    }


def main() -> None:
    """Write one file per seed under `<out>/<target>/`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "corpus",
        help="corpus root (default: fuzz/corpus)",
    )
    out = parser.parse_args().out
    for target, named in seeds().items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, payload in named:
            (folder / f"golden_{name}").write_bytes(payload)
        print(f"{folder}: {len(named)} seeds")


if __name__ == "__main__":
    main()
