//! The Python exception hierarchy and the one exhaustive mapping from core errors to it.
//!
//! `TsdError(ValueError)` is the root; `PsiDecodeError` and `PsiValidationError` group the ψ
//! failures, each of which has its own class so callers can catch exactly one cause.

use pyo3::create_exception;
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

use crate::error as core_error;

create_exception!(
    tsd,
    TsdError,
    PyValueError,
    "Root of every error tsd raises."
);
create_exception!(
    tsd,
    InvalidArgumentError,
    TsdError,
    "An argument is out of its domain."
);
create_exception!(
    tsd,
    PsiDecodeError,
    TsdError,
    "Bytes that are not a ψ payload."
);
create_exception!(
    tsd,
    PsiTruncatedError,
    PsiDecodeError,
    "The payload is shorter than its header says."
);
create_exception!(
    tsd,
    PsiVersionError,
    PsiDecodeError,
    "The payload's format version is unsupported."
);
create_exception!(
    tsd,
    PsiKindError,
    PsiDecodeError,
    "The payload kind tag is unknown."
);
create_exception!(
    tsd,
    PsiChecksumError,
    PsiDecodeError,
    "The payload's CRC-32 does not match."
);
create_exception!(
    tsd,
    PsiTrailingBytesError,
    PsiDecodeError,
    "Bytes follow the checksum."
);
create_exception!(
    tsd,
    PsiMalformedError,
    PsiDecodeError,
    "A field cannot be parsed."
);
create_exception!(
    tsd,
    PsiValidationError,
    TsdError,
    "A ψ field does not describe a valid distribution."
);
create_exception!(
    tsd,
    PsiVocabError,
    PsiValidationError,
    "vocab is out of range."
);
create_exception!(tsd, PsiEmptyError, PsiValidationError, "K is zero.");
create_exception!(
    tsd,
    PsiKExceedsVocabError,
    PsiValidationError,
    "K is larger than vocab."
);
create_exception!(
    tsd,
    PsiLengthMismatchError,
    PsiValidationError,
    "ids and codes differ in length."
);
create_exception!(
    tsd,
    PsiDuplicateIdError,
    PsiValidationError,
    "An id appears twice."
);
create_exception!(
    tsd,
    PsiIdsNotSortedError,
    PsiValidationError,
    "ids are not ascending."
);
create_exception!(
    tsd,
    PsiIdOutOfRangeError,
    PsiValidationError,
    "An id is >= vocab."
);
create_exception!(
    tsd,
    PsiCodeError,
    PsiValidationError,
    "A score code is outside 0..=255."
);
create_exception!(
    tsd,
    PsiTauError,
    PsiValidationError,
    "tau is not finite and > 0."
);
create_exception!(
    tsd,
    PsiScaleError,
    PsiValidationError,
    "scale is not finite and >= 0."
);
create_exception!(
    tsd,
    PsiEpsError,
    PsiValidationError,
    "eps is negative, non-finite, or leaves no mass for the ids."
);
create_exception!(
    tsd,
    PsiChainLengthError,
    PsiValidationError,
    "A chain payload's length L is out of range."
);

fn decode_error(err: &core_error::PsiDecodeError) -> PyErr {
    let message = err.to_string();
    match err {
        core_error::PsiDecodeError::Truncated { .. } => PsiTruncatedError::new_err(message),
        core_error::PsiDecodeError::UnsupportedVersion { .. } => PsiVersionError::new_err(message),
        core_error::PsiDecodeError::UnknownKind { .. }
        | core_error::PsiDecodeError::UnexpectedKind { .. } => PsiKindError::new_err(message),
        core_error::PsiDecodeError::ChecksumMismatch { .. } => PsiChecksumError::new_err(message),
        core_error::PsiDecodeError::TrailingBytes { .. } => PsiTrailingBytesError::new_err(message),
        core_error::PsiDecodeError::Malformed { .. } => PsiMalformedError::new_err(message),
    }
}

/// The exception of `err`; a chain position's error is raised as its cause's class, with a
/// message that names the position.
pub(crate) fn validation_error(err: &core_error::PsiValidationError) -> PyErr {
    validation_class(err, err.to_string())
}

fn validation_class(err: &core_error::PsiValidationError, message: String) -> PyErr {
    match err {
        core_error::PsiValidationError::AtPosition { source, .. } => {
            validation_class(source, message)
        }
        core_error::PsiValidationError::VocabOutOfRange { .. } => PsiVocabError::new_err(message),
        core_error::PsiValidationError::EmptyTopK => PsiEmptyError::new_err(message),
        core_error::PsiValidationError::KExceedsVocab { .. } => {
            PsiKExceedsVocabError::new_err(message)
        }
        core_error::PsiValidationError::DuplicateId { .. } => PsiDuplicateIdError::new_err(message),
        core_error::PsiValidationError::IdsNotSorted { .. } => {
            PsiIdsNotSortedError::new_err(message)
        }
        core_error::PsiValidationError::IdOutOfRange { .. } => {
            PsiIdOutOfRangeError::new_err(message)
        }
        core_error::PsiValidationError::InvalidTau { .. } => PsiTauError::new_err(message),
        core_error::PsiValidationError::InvalidScale { .. } => PsiScaleError::new_err(message),
        core_error::PsiValidationError::InvalidEps { .. } => PsiEpsError::new_err(message),
        core_error::PsiValidationError::ChainLength { .. } => PsiChainLengthError::new_err(message),
        core_error::PsiValidationError::LengthMismatch { .. }
        | core_error::PsiValidationError::ChainShape { .. } => {
            PsiLengthMismatchError::new_err(message)
        }
    }
}

pub(crate) fn to_py(err: core_error::TsdError) -> PyErr {
    match &err {
        core_error::TsdError::PsiDecode(e) => decode_error(e),
        core_error::TsdError::PsiValidation(e) => validation_error(e),
        core_error::TsdError::Argument(e) => argument_error(e),
        core_error::TsdError::Allocation(e) => PyMemoryError::new_err(e.to_string()),
    }
}

impl From<core_error::TsdError> for PyErr {
    fn from(err: core_error::TsdError) -> Self {
        to_py(err)
    }
}

pub(crate) fn argument_error(err: &core_error::ArgumentError) -> PyErr {
    InvalidArgumentError::new_err(err.to_string())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TsdError", py.get_type::<TsdError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<InvalidArgumentError>(),
    )?;
    m.add("PsiDecodeError", py.get_type::<PsiDecodeError>())?;
    m.add("PsiTruncatedError", py.get_type::<PsiTruncatedError>())?;
    m.add("PsiVersionError", py.get_type::<PsiVersionError>())?;
    m.add("PsiKindError", py.get_type::<PsiKindError>())?;
    m.add("PsiChecksumError", py.get_type::<PsiChecksumError>())?;
    m.add(
        "PsiTrailingBytesError",
        py.get_type::<PsiTrailingBytesError>(),
    )?;
    m.add("PsiMalformedError", py.get_type::<PsiMalformedError>())?;
    m.add("PsiValidationError", py.get_type::<PsiValidationError>())?;
    m.add("PsiVocabError", py.get_type::<PsiVocabError>())?;
    m.add("PsiEmptyError", py.get_type::<PsiEmptyError>())?;
    m.add(
        "PsiKExceedsVocabError",
        py.get_type::<PsiKExceedsVocabError>(),
    )?;
    m.add(
        "PsiLengthMismatchError",
        py.get_type::<PsiLengthMismatchError>(),
    )?;
    m.add("PsiDuplicateIdError", py.get_type::<PsiDuplicateIdError>())?;
    m.add(
        "PsiIdsNotSortedError",
        py.get_type::<PsiIdsNotSortedError>(),
    )?;
    m.add(
        "PsiIdOutOfRangeError",
        py.get_type::<PsiIdOutOfRangeError>(),
    )?;
    m.add("PsiCodeError", py.get_type::<PsiCodeError>())?;
    m.add("PsiTauError", py.get_type::<PsiTauError>())?;
    m.add("PsiScaleError", py.get_type::<PsiScaleError>())?;
    m.add("PsiEpsError", py.get_type::<PsiEpsError>())?;
    m.add("PsiChainLengthError", py.get_type::<PsiChainLengthError>())?;
    Ok(())
}
