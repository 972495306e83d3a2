//! Thermo-Speculative Decoding core: the ψ payload and its wire format, the reference map
//! F(ψ), portable randomness, the simulated TSU, the verifier, and fused loops.
//!
//! Nothing here depends on Python; the PyO3 bindings live in [`python`] behind the `python`
//! feature.

pub mod bigram;
mod bits;
pub mod block;
pub mod craft;
pub mod error;
pub mod external;
pub mod fmap;
pub mod fused;
pub mod ngram;
pub mod psi;
pub mod rng;
mod search;
pub mod step;
pub mod tsu;
pub mod verify;
pub mod wire;

#[cfg(feature = "python")]
mod python;

pub use error::{ArgumentError, PsiDecodeError, PsiValidationError, TsdError};
pub use psi::PsiTopK;
