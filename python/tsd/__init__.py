"""tsd: Thermo-Speculative Decoding.

A proposer crafts a compact payload ψ, a TSU draws tokens from q = F(ψ) with their exact
log q, and a verifier accepts or corrects each draw so the emitted tokens follow the target p.
"""

from tsd._core import PsiChain, PsiGaussian, PsiGaussianBatch, PsiTopK, __version__
from tsd.errors import (
    InvalidArgumentError,
    PsiDecodeError,
    PsiValidationError,
    TsdError,
)

__all__ = [
    "InvalidArgumentError",
    "PsiChain",
    "PsiDecodeError",
    "PsiGaussian",
    "PsiGaussianBatch",
    "PsiTopK",
    "PsiValidationError",
    "TsdError",
    "__version__",
]
