"""Reading text files a user names (corpora, prompt files): regular files only, of bounded
size, UTF-8 without NUL bytes; every refusal is a `TsdError` naming the field and the path.

`/dev/zero` would otherwise be read until memory runs out, and a FIFO would block forever.
"""

import os
import stat
from pathlib import Path

from tsd.errors import InvalidArgumentError, TsdError

MAX_TEXT_BYTES = 256 * 2**20


def read_text_file(
    path: str | os.PathLike[str],
    field: str,
    error: type[TsdError] = InvalidArgumentError,
    max_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """The UTF-8 text of the regular file `path`, at most `max_bytes` long."""
    if not isinstance(path, str | os.PathLike):
        raise error(f"{field}: must be a path, got {path!r}")
    file = Path(path)
    try:
        info = file.stat()
    except FileNotFoundError:
        raise error(f"{field}: no such file: {file}") from None
    except OSError as exc:
        raise error(f"{field}: cannot read {file}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{field}: {file} is a directory, not a text file")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{field}: {file} is not a regular file (a device, FIFO or socket)")
    if info.st_size > max_bytes:
        raise error(f"{field}: {file} is {info.st_size} bytes; at most {max_bytes} are read")
    with file.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{field}: {file} grew past {max_bytes} bytes while being read")
    if b"\0" in data:
        raise error(f"{field}: {file} is binary (a NUL byte at offset {data.index(0)}), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{field}: {file} is not UTF-8 text (undecodable byte at offset {exc.start})"
        ) from None
