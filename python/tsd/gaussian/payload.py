"""The Gaussian ψ payload: crafting it from float means and log-variances, its size, its bytes.

`PsiGaussian` (one payload) and `PsiGaussianBatch` (N payloads of one dimension d, the rows
every kernel takes) live in the compiled core; docs/PSI_FORMAT.md gives the byte layout.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tsd import _core
from tsd._checks import check_int
from tsd._core import PsiGaussian, PsiGaussianBatch
from tsd.errors import InvalidArgumentError, PsiKindError

__all__ = [
    "LOGVAR_MAX",
    "LOGVAR_MIN",
    "MAX_DIM",
    "PsiGaussian",
    "PsiGaussianBatch",
    "as_rows",
    "craft",
    "encoded_size",
    "from_bytes",
]

MAX_DIM: int = _core.MAX_GAUSS_DIM
LOGVAR_MIN: float = _core.GAUSS_LOGVAR_MIN
LOGVAR_MAX: float = _core.GAUSS_LOGVAR_MAX


def as_rows(field: str, value: ArrayLike) -> NDArray[np.float64]:
    """`value` as a C-contiguous float64 (N, d) array; a 1-D array is one row."""
    try:
        array = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{field}: must be numeric, got {exc}") from None
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{field}: must be 1-D or 2-D (rows × d), got {array.shape}")
    return array


def craft(means: ArrayLike, logvars: ArrayLike) -> PsiGaussianBatch:
    """Quantise each row of `means` and `logvars` ((N, d) or (d,)) into a payload. Log-variances
    must lie in [LOGVAR_MIN, LOGVAR_MAX] (clip a network's output first); means must be finite."""
    return PsiGaussianBatch.craft(as_rows("means", means), as_rows("logvars", logvars))


def encoded_size(d: int) -> int:
    """Exact wire size in bytes of one Gaussian payload over `d` values."""
    return _core.gauss_encoded_len(check_int("d", d, 1, MAX_DIM))


def from_bytes(data: bytes | bytearray | memoryview) -> PsiGaussian:
    """Decode and validate one Gaussian payload; another kind is a `PsiKindError`."""
    payload = _core.decode_any(data)
    if not isinstance(payload, PsiGaussian):
        raise PsiKindError(f"data: holds a {type(payload).__name__}, not a PsiGaussian")
    return payload
