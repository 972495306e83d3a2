//! The core's error types: one enum per concern, each variant naming the bad field and value.
//!
//! The Python layer maps every variant, exhaustively and in one place, to its own exception
//! class under `tsd.TsdError(ValueError)`.

use thiserror::Error;

/// A ψ byte string that cannot be parsed into a payload.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PsiDecodeError {
    #[error("psi payload truncated: expected {expected} bytes, got {got}")]
    Truncated { expected: usize, got: usize },
    #[error("psi version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion { found: u8, supported: u8 },
    #[error("psi kind {found} is unknown (known kinds: 1 = top-K, 2 = chain, 3 = top-K with packed codes, 4 = Gaussian)")]
    UnknownKind { found: u8 },
    #[error("psi payload is kind {found} ({}), but this decoder reads kind {expected} ({})", kind_name(*.found), kind_name(*.expected))]
    UnexpectedKind { found: u8, expected: u8 },
    #[error("psi checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch { stored: u32, computed: u32 },
    #[error("psi payload has {extra} bytes after the checksum")]
    TrailingBytes { extra: usize },
    #[error("psi field `{field}` is malformed: {reason}")]
    Malformed { field: &'static str, reason: String },
}

/// A ψ whose fields are individually readable but do not describe a valid distribution.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PsiValidationError {
    #[error("vocab must be in 1..={max}, got {vocab}")]
    VocabOutOfRange { vocab: u64, max: u32 },
    #[error("K must be >= 1, got 0 (a payload needs at least one explicit token)")]
    EmptyTopK,
    #[error("K = {k} exceeds vocab = {vocab}")]
    KExceedsVocab { k: u64, vocab: u32 },
    #[error("ids has {ids} entries but codes has {codes}")]
    LengthMismatch { ids: usize, codes: usize },
    #[error("ids must be distinct: id {id} appears more than once")]
    DuplicateId { id: u32 },
    #[error("ids must be sorted ascending: id {next} follows id {prev}")]
    IdsNotSorted { prev: u32, next: u32 },
    #[error("id {id} at position {position} is out of range for vocab = {vocab}")]
    IdOutOfRange {
        id: u32,
        position: usize,
        vocab: u32,
    },
    #[error("code_bits must be in 1..={max}, got {bits}")]
    InvalidCodeBits { bits: u8, max: u8 },
    #[error("code {code} at position {position} does not fit in code_bits = {bits} (codes must be < 2^{bits})")]
    CodeOutOfRange { code: u8, position: usize, bits: u8 },
    #[error("tau must be finite and > 0, got {tau}")]
    InvalidTau { tau: f32 },
    #[error("scale must be finite and >= 0, got {scale}")]
    InvalidScale { scale: f32 },
    #[error("eps must be finite, >= 0 and satisfy (vocab - K) * eps < 1; got eps = {eps}, (vocab - K) * eps = {tail_mass}")]
    InvalidEps { eps: f32, tail_mass: f64 },
    #[error("chain length L must be in 1..={max}, got {length}")]
    ChainLength { length: u64, max: usize },
    #[error("{field} has {got} entries, expected {expected}")]
    ChainShape {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("Gaussian dimension d must be in 1..={max}, got {d}")]
    GaussDimension { d: u64, max: usize },
    #[error("Gaussian {field} must be finite{extra}, got {value}", extra = if *.field == "step" { " and >= 0" } else { "" })]
    GaussMean { field: &'static str, value: f64 },
    #[error("log-variance {value} at position {position} is outside the grid [{min}, {max}] (clip it first)")]
    LogVarianceOutOfRange {
        value: f64,
        position: usize,
        min: f64,
        max: f64,
    },
    #[error("position {position}: {source}")]
    AtPosition {
        position: usize,
        source: Box<PsiValidationError>,
    },
}

/// The name of a payload kind tag, for messages.
fn kind_name(kind: u8) -> &'static str {
    match kind {
        1 => "top-K",
        2 => "chain",
        3 => "top-K, packed codes",
        4 => "Gaussian",
        _ => "unknown",
    }
}

/// A bad argument to a kernel (a target, a shape, a step range), naming the field.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field}: {reason}")]
pub struct ArgumentError {
    pub field: &'static str,
    pub reason: String,
}

impl ArgumentError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// An allocation within the core's stated limits that the machine could not make: reported
/// as an error (Python's `MemoryError`) instead of aborting the process.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{what}: out of memory allocating {bytes} bytes")]
pub struct AllocationError {
    pub what: &'static str,
    pub bytes: u128,
}

/// The exact residual sampler of a continuous verifier used its whole try budget: p and q
/// overlap so closely that a rejection's residual has almost no mass (an error, not a
/// biased draw).
#[derive(Debug, Clone, PartialEq, Error)]
#[error("residual sampler: no draw accepted in {tries} tries at step {step} (p and q nearly coincide; expected tries are 1 / (1 - acceptance))")]
pub struct ResidualLimitError {
    pub tries: u32,
    pub step: u64,
}

/// Every error the core can return.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TsdError {
    #[error(transparent)]
    PsiDecode(#[from] PsiDecodeError),
    #[error(transparent)]
    PsiValidation(#[from] PsiValidationError),
    #[error(transparent)]
    Argument(#[from] ArgumentError),
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    #[error(transparent)]
    ResidualLimit(#[from] ResidualLimitError),
}

pub type Result<T, E = TsdError> = std::result::Result<T, E>;
