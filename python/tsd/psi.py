"""The proposal payload ψ: crafting it from a target, sizing it, and its wire bytes.

`PsiTopK` itself lives in the compiled core so that encoding, decoding and validation are the
same code the TSU runs; see docs/PSI_FORMAT.md for the byte layout.
"""

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from tsd import _core
from tsd._checks import as_vector, check_float, check_int
from tsd._core import PsiChain, PsiGaussian, PsiTopK
from tsd.errors import InvalidArgumentError

EpsSpec = float | Literal["auto"]

__all__ = [
    "EpsSpec",
    "PsiChain",
    "PsiGaussian",
    "PsiTopK",
    "craft_psi_from_p",
    "encoded_size",
    "from_bytes",
    "psi_size_bytes",
    "to_bytes",
    "topk_mass",
]


def parse_eps(eps: object) -> EpsSpec:
    """Accept "auto", a float, or a string holding a float (as the CLI passes it)."""
    if eps == "auto":
        return "auto"
    if isinstance(eps, str):
        try:
            eps = float(eps)
        except ValueError:
            raise InvalidArgumentError(f"eps: must be 'auto' or a number, got {eps!r}") from None
    value = check_float("eps", eps)
    if value < 0.0:
        raise InvalidArgumentError(f"eps: must be >= 0, got {value}")
    return value


def craft_psi_from_p(
    p: ArrayLike, K: int, tau: float = 1.0, eps: EpsSpec = "auto", bits: int = 8
) -> PsiTopK:
    """Craft ψ from probabilities `p`: the top-K ids, their ln p as `bits`-bit codes (1..=8),
    τ and ε.

    `eps="auto"` sets ε = (1 − Σ_{top K} p) / max(V − K, 1), so q matches p's tail mass.
    """
    probabilities = as_vector("p", p)
    k = check_int("K", K, 1, probabilities.size)
    temperature = check_float("tau", tau, positive=True)
    width = check_int("bits", bits, 1, 8)
    spec = parse_eps(eps)
    eps_value = None if spec == "auto" else spec
    return _core.craft_psi_rows(probabilities[None, :], k, temperature, eps_value, width)[0]


def topk_mass(p: ArrayLike, psi: PsiTopK) -> float:
    """Σ p(y) over the payload's ids: the target mass ψ names explicitly."""
    probabilities = as_vector("p", p)
    if probabilities.size != psi.vocab:
        raise InvalidArgumentError(
            f"p: has {probabilities.size} entries but psi.vocab = {psi.vocab}"
        )
    return float(np.sum(probabilities[psi.ids]))


def psi_size_bytes(psi: PsiTopK) -> int:
    """Encoded size of `psi` in bytes."""
    return psi.size_bytes


def encoded_size(vocab: int, K: int, bits: int = 8) -> int:
    """Encoded size in bytes of any top-K payload with this vocab, K and code width: kind 1
    at 8 bits, kind 3 (bit-packed codes) below."""
    v = check_int("vocab", vocab, 1, _core.MAX_VOCAB)
    k = check_int("K", K, 1, v)
    return _core.psi_encoded_len(v, k, check_int("bits", bits, 1, 8))


def to_bytes(psi: PsiTopK | PsiChain) -> bytes:
    """The versioned, checksummed wire encoding of `psi`."""
    return psi.to_bytes()


def from_bytes(data: bytes | bytearray | memoryview) -> PsiTopK | PsiChain | PsiGaussian:
    """Decode and validate a payload of any kind (the envelope's kind byte says which, read
    by the core's one `decode_any`); raises a `PsiDecodeError` or `PsiValidationError`."""
    return _core.decode_any(data)
