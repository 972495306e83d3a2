//! The proposal payloads ψ, one file per kind: [`topk`] (K scored ids and a uniform tail),
//! [`chain`] (L positions whose scores depend on the previous slot) and [`gauss`] (a quantised
//! diagonal Gaussian over d real values). [`Payload`] is the one
//! type that holds any kind; a new kind is a new file here, one in `wire/`, and one arm.

pub mod chain;
pub mod gauss;
pub mod topk;

pub use chain::{PsiChain, MAX_CHAIN_LEN};
pub use gauss::{PsiGauss, MAX_GAUSS_DIM};
pub(crate) use topk::{validate_codes, validate_header, validate_ids, validate_scalars};
pub use topk::{PsiTopK, MAX_CODE_BITS, MAX_VOCAB};

/// A payload of any kind, as [`crate::wire::decode_any`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    TopK(PsiTopK),
    Chain(PsiChain),
    Gauss(PsiGauss),
}

impl From<PsiTopK> for Payload {
    fn from(psi: PsiTopK) -> Self {
        Payload::TopK(psi)
    }
}

impl From<PsiChain> for Payload {
    fn from(chain: PsiChain) -> Self {
        Payload::Chain(chain)
    }
}

impl From<PsiGauss> for Payload {
    fn from(gauss: PsiGauss) -> Self {
        Payload::Gauss(gauss)
    }
}
