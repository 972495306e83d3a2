//! The Python exception hierarchy, declared once in `exception_table!`: each row (name, base,
//! doc) becomes a class created in the module `tsd.errors` (so it pickles, and a sweep worker's
//! error reaches the parent with its class and message), its registration on `_core`, and an
//! entry of `_core.ERROR_NAMES`. `From<TsdError> for PyErr` is the one exhaustive mapping from
//! core errors to these classes.
//!
//! `TsdError(ValueError)` is the root; `PsiDecodeError` and `PsiValidationError` group the ψ
//! failures, each of which has its own class so callers can catch exactly one cause.
//! `CorpusError`, `BackendUnavailableError` and the model errors are raised by Python code only; they live here
//! so that there is one list.

use pyo3::create_exception;
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::error as core_error;

/// Declares every exception class, registers each on the module, and lists their names.
macro_rules! exception_table {
    ($($name:ident($base:ty): $doc:literal;)+) => {
        $(create_exception!(tsd.errors, $name, $base, $doc);)+

        /// Adds every exception class and the tuple `ERROR_NAMES` to the module.
        pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            $(m.add(stringify!($name), py.get_type::<$name>())?;)+
            m.add("ERROR_NAMES", PyTuple::new(py, [$(stringify!($name)),+])?)?;
            Ok(())
        }
    };
}

exception_table! {
    TsdError(PyValueError): "Root of every error tsd raises.";
    InvalidArgumentError(TsdError): "An argument is out of its domain.";
    PsiDecodeError(TsdError): "Bytes that are not a ψ payload.";
    PsiTruncatedError(PsiDecodeError): "The payload is shorter than its header says.";
    PsiVersionError(PsiDecodeError): "The payload's format version is unsupported.";
    PsiKindError(PsiDecodeError): "The payload kind tag is unknown.";
    PsiChecksumError(PsiDecodeError): "The payload's CRC-32 does not match.";
    PsiTrailingBytesError(PsiDecodeError): "Bytes follow the checksum.";
    PsiMalformedError(PsiDecodeError): "A field cannot be parsed.";
    PsiValidationError(TsdError): "A ψ field does not describe a valid distribution.";
    PsiVocabError(PsiValidationError): "vocab is out of range.";
    PsiEmptyError(PsiValidationError): "K is zero.";
    PsiKExceedsVocabError(PsiValidationError): "K is larger than vocab.";
    PsiLengthMismatchError(PsiValidationError): "ids and codes differ in length.";
    PsiDuplicateIdError(PsiValidationError): "An id appears twice.";
    PsiIdsNotSortedError(PsiValidationError): "ids are not ascending.";
    PsiIdOutOfRangeError(PsiValidationError): "An id is >= vocab.";
    PsiCodeError(PsiValidationError): "A score code does not fit in its width (0..=255, or below 2^code_bits).";
    PsiCodeBitsError(PsiValidationError): "code_bits is outside 1..=8.";
    PsiTauError(PsiValidationError): "tau is not finite and > 0.";
    PsiScaleError(PsiValidationError): "scale is not finite and >= 0.";
    PsiEpsError(PsiValidationError): "eps is negative, non-finite, or leaves no mass for the ids.";
    PsiChainLengthError(PsiValidationError): "A chain payload's length L is out of range.";
    PsiDimensionError(PsiValidationError): "A Gaussian payload's dimension d is out of range.";
    PsiMeanError(PsiValidationError): "A Gaussian payload's means, offset or step are not finite (or the step is negative).";
    PsiLogVarianceError(PsiValidationError): "A log-variance is outside the Gaussian payload's grid.";
    ResidualLimitError(TsdError): "A continuous verifier's exact residual sampler used its whole try budget (p and q nearly coincide).";
    CorpusError(TsdError): "A corpus file that cannot be turned into a character model (missing, empty, ...).";
    BackendUnavailableError(TsdError): "A TSU backend, device or model extra whose dependencies are not installed.";
    ModelError(TsdError): "A language model that cannot be loaded or cannot serve the request (weights missing, a prompt past its context window).";
    VocabularyMismatchError(ModelError): "A draft whose tokenizer maps the vocabulary differently from the target's.";
    TrainingDivergedError(TsdError): "A training loss or gradient became NaN or infinite; the last good checkpoint is kept.";
}

/// The exception class of a decode failure.
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
fn validation_error(err: &core_error::PsiValidationError) -> PyErr {
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
        core_error::PsiValidationError::InvalidCodeBits { .. } => {
            PsiCodeBitsError::new_err(message)
        }
        core_error::PsiValidationError::CodeOutOfRange { .. } => PsiCodeError::new_err(message),
        core_error::PsiValidationError::InvalidTau { .. } => PsiTauError::new_err(message),
        core_error::PsiValidationError::InvalidScale { .. } => PsiScaleError::new_err(message),
        core_error::PsiValidationError::InvalidEps { .. } => PsiEpsError::new_err(message),
        core_error::PsiValidationError::ChainLength { .. } => PsiChainLengthError::new_err(message),
        core_error::PsiValidationError::GaussDimension { .. } => {
            PsiDimensionError::new_err(message)
        }
        core_error::PsiValidationError::GaussMean { .. } => PsiMeanError::new_err(message),
        core_error::PsiValidationError::LogVarianceOutOfRange { .. } => {
            PsiLogVarianceError::new_err(message)
        }
        core_error::PsiValidationError::LengthMismatch { .. }
        | core_error::PsiValidationError::ChainShape { .. } => {
            PsiLengthMismatchError::new_err(message)
        }
    }
}

impl From<core_error::TsdError> for PyErr {
    fn from(err: core_error::TsdError) -> PyErr {
        match &err {
            core_error::TsdError::PsiDecode(e) => decode_error(e),
            core_error::TsdError::PsiValidation(e) => validation_error(e),
            core_error::TsdError::Argument(e) => e.clone().into(),
            core_error::TsdError::Allocation(e) => PyMemoryError::new_err(e.to_string()),
            core_error::TsdError::ResidualLimit(e) => ResidualLimitError::new_err(e.to_string()),
        }
    }
}

impl From<core_error::ArgumentError> for PyErr {
    fn from(err: core_error::ArgumentError) -> PyErr {
        InvalidArgumentError::new_err(err.to_string())
    }
}

impl From<core_error::PsiValidationError> for PyErr {
    fn from(err: core_error::PsiValidationError) -> PyErr {
        validation_error(&err)
    }
}

impl From<core_error::PsiDecodeError> for PyErr {
    fn from(err: core_error::PsiDecodeError) -> PyErr {
        decode_error(&err)
    }
}
