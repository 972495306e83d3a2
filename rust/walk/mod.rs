//! Fused walks: many verified TSD steps in one call, returning whole columns. M0 repeats one
//! (target, ψ) pair; M1 follows a bigram chain whose context is the previous emitted token.

pub mod m0;
pub mod m1;

pub use m0::{run_m0, M0Columns};
pub use m1::{BigramChain, M1Columns, M1Counts};
