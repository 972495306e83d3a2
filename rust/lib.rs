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
pub mod limits;
pub mod ngram;
pub mod psi;
pub mod psi_chain;
pub mod rng;
mod search;
pub mod step;
pub mod tsu;
pub mod tsu_chain;
pub mod verify;
pub mod wire;
pub mod wire_chain;

#[cfg(feature = "python")]
mod python;

pub use error::{AllocationError, ArgumentError, PsiDecodeError, PsiValidationError, TsdError};
pub use psi::PsiTopK;
pub use psi_chain::PsiChain;
