"""float64 arrays and string metadata in one safetensors file, read and written with numpy
alone (no torch, no safetensors package), with a SHA-256 of the tensor bytes in the metadata so
a garbled file is refused rather than read as other numbers.

Layout (the safetensors format): an 8-byte little-endian header length, the JSON header
(tensor name -> dtype, shape, byte offsets; `__metadata__` -> strings), padded with spaces to
8 bytes, then the tensors' bytes in name order. Equal contents give equal bytes.
"""

import hashlib
import json
import struct
from pathlib import Path

import numpy as np

from tsd.errors import ModelError
from tsd.telemetry import atomic_write

__all__ = ["read_tensor_file", "write_tensor_file"]

DIGEST_KEY = "sha256"
HEADER_LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100 * 2**20


def write_tensor_file(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Write `tensors` (cast to little-endian float64) and `metadata` to `path` atomically."""
    header: dict[str, object] = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f8").tobytes()
        header[name] = {
            "dtype": "F64",
            "shape": list(np.shape(tensors[name])),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    body = b"".join(chunks)
    header["__metadata__"] = {**metadata, DIGEST_KEY: hashlib.sha256(body).hexdigest()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    blob = struct.pack("<Q", len(text)) + text + body
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(blob))


def read_tensor_file(path: Path, field: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of a file `write_tensor_file` wrote; anything else (truncated,
    garbled, another format) is a `ModelError` naming `field` and the path."""
    blob = path.read_bytes()

    def refuse(why: str) -> ModelError:
        return ModelError(f"{field}: {path} is not a readable judge head file ({why})")

    if len(blob) < HEADER_LENGTH_BYTES:
        raise refuse(f"{len(blob)} bytes, shorter than the header length")
    (length,) = struct.unpack("<Q", blob[:HEADER_LENGTH_BYTES])
    if length > min(MAX_HEADER_BYTES, len(blob) - HEADER_LENGTH_BYTES):
        raise refuse(f"header length {length} exceeds the file")
    try:
        header = json.loads(blob[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + length])
        metadata = header.pop("__metadata__")
        body = blob[HEADER_LENGTH_BYTES + length :]
        if hashlib.sha256(body).hexdigest() != metadata.pop(DIGEST_KEY):
            raise refuse("the tensor bytes do not match their checksum: truncated or garbled")
        tensors = {}
        for name, entry in header.items():
            start, stop = entry["data_offsets"]
            if entry["dtype"] != "F64" or not 0 <= start <= stop <= len(body):
                raise refuse(f"tensor {name!r} has dtype {entry['dtype']} at {start}..{stop}")
            values = np.frombuffer(body[start:stop], dtype="<f8").astype(np.float64)
            tensors[name] = values.reshape(entry["shape"])
    except ModelError:
        raise
    except Exception as exc:  # a garbled header fails in many ways
        raise refuse(f"{type(exc).__name__}: {exc}") from None
    if not all(isinstance(value, str) for value in metadata.values()):
        raise refuse("metadata values must be strings")
    return tensors, metadata
