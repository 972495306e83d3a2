"""The exception hierarchy: every error tsd raises is a `TsdError`, itself a `ValueError`.

The classes are defined by the compiled core (so Rust kernels raise them directly) and
re-exported here under their public names.
"""

from tsd._core import (
    InvalidArgumentError,
    PsiChainLengthError,
    PsiChecksumError,
    PsiCodeError,
    PsiDecodeError,
    PsiDuplicateIdError,
    PsiEmptyError,
    PsiEpsError,
    PsiIdOutOfRangeError,
    PsiIdsNotSortedError,
    PsiKExceedsVocabError,
    PsiKindError,
    PsiLengthMismatchError,
    PsiMalformedError,
    PsiScaleError,
    PsiTauError,
    PsiTrailingBytesError,
    PsiTruncatedError,
    PsiValidationError,
    PsiVersionError,
    PsiVocabError,
    TsdError,
)


class CorpusError(TsdError):
    """A corpus file that cannot be turned into a character model (missing, empty, ...)."""


__all__ = [
    "CorpusError",
    "InvalidArgumentError",
    "PsiChainLengthError",
    "PsiChecksumError",
    "PsiCodeError",
    "PsiDecodeError",
    "PsiDuplicateIdError",
    "PsiEmptyError",
    "PsiEpsError",
    "PsiIdOutOfRangeError",
    "PsiIdsNotSortedError",
    "PsiKExceedsVocabError",
    "PsiKindError",
    "PsiLengthMismatchError",
    "PsiMalformedError",
    "PsiScaleError",
    "PsiTauError",
    "PsiTrailingBytesError",
    "PsiTruncatedError",
    "PsiValidationError",
    "PsiVersionError",
    "PsiVocabError",
    "TsdError",
]
