"""The exception hierarchy: every error tsd raises is a `TsdError`, itself a `ValueError`.

The classes are declared once, in the compiled core's exception table (so Rust kernels raise
them directly), and created in this module: each class's `__module__` is `tsd.errors`, so
errors pickle and cross process boundaries (a sweep worker's error reaches the parent with
its class and message). `__all__` lists exactly the core's `ERROR_NAMES`.
"""

from tsd._core import (
    BackendUnavailableError,
    CorpusError,
    InvalidArgumentError,
    ModelError,
    PsiChainLengthError,
    PsiChecksumError,
    PsiCodeBitsError,
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
    TrainingDivergedError,
    TsdError,
    VocabularyMismatchError,
)

__all__ = [
    "BackendUnavailableError",
    "CorpusError",
    "InvalidArgumentError",
    "ModelError",
    "PsiChainLengthError",
    "PsiChecksumError",
    "PsiCodeBitsError",
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
    "TrainingDivergedError",
    "TsdError",
    "VocabularyMismatchError",
]
