//! Thermo-Speculative Decoding core, one folder per concept: the ψ payload kinds ([`psi`]) and
//! their wire format ([`wire`]), the reference map F(ψ) ([`fmap`]), portable randomness
//! ([`rng`]), the verifier's portable `exp` ([`exp`]), the one rule for sums that decide a draw
//! ([`cumulative`]), the limits every
//! kernel keeps ([`limits`]), the simulated TSU ([`tsu`]), the verifier ([`verify`]), the fused M0/M1 walks
//! ([`walk`]), the proposer's crafting ([`craft`]), the n-gram draft model ([`ngram`]) and the χ² tail
//! for goodness of fit ([`stats`]).
//!
//! Nothing here depends on Python; the PyO3 bindings live in `python/` behind the `python`
//! feature and mirror these folders one for one.

pub mod craft;
pub mod cumulative;
pub mod error;
pub mod exp;
pub mod fmap;
pub mod limits;
pub mod ngram;
pub mod psi;
pub mod rng;
pub mod stats;
pub mod tsu;
pub mod verify;
pub mod walk;
pub mod wire;

#[cfg(feature = "python")]
mod python;

pub use error::{
    AllocationError, ArgumentError, PsiDecodeError, PsiValidationError, ResidualLimitError,
    TsdError,
};
pub use psi::{Payload, PsiChain, PsiGauss, PsiTopK};
pub use wire::decode_any;
