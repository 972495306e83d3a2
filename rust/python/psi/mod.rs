//! The payload classes, one file per kind as in the core's `psi/`: `PsiTopK` ([`topk`]) and
//! `PsiChain` ([`chain`]), the field conversions they share, and `decode_any`, which returns
//! the class of whatever kind the bytes hold.

pub(crate) mod chain;
pub(crate) mod topk;

use pyo3::prelude::*;

use super::errors::{PsiCodeError, PsiIdOutOfRangeError, PsiVocabError};
use crate::psi::{Payload, MAX_VOCAB};
use crate::wire;

/// `vocab` as a u32 in 1..=MAX_VOCAB, or `PsiVocabError`.
pub(crate) fn vocab_from(vocab: i64) -> PyResult<u32> {
    match u32::try_from(vocab) {
        Ok(v) if (1..=MAX_VOCAB).contains(&v) => Ok(v),
        _ => Err(PsiVocabError::new_err(format!(
            "vocab must be in 1..={MAX_VOCAB}, got {vocab}"
        ))),
    }
}

/// Token ids as u32, or `PsiIdOutOfRangeError` naming the first bad one.
pub(crate) fn ids_from(ids: Vec<i64>) -> PyResult<Vec<u32>> {
    ids.iter()
        .enumerate()
        .map(|(position, &id)| {
            u32::try_from(id).map_err(|_| {
                PsiIdOutOfRangeError::new_err(format!(
                    "id {id} at position {position} is not a valid token id"
                ))
            })
        })
        .collect()
}

/// Score codes as u8, or `PsiCodeError` naming the first bad one.
pub(crate) fn codes_from(codes: Vec<i64>) -> PyResult<Vec<u8>> {
    codes
        .iter()
        .enumerate()
        .map(|(position, &code)| {
            u8::try_from(code).map_err(|_| {
                PsiCodeError::new_err(format!(
                    "code {code} at position {position} is outside 0..=255"
                ))
            })
        })
        .collect()
}

/// Decodes and validates a payload of any kind: a `PsiTopK` or a `PsiChain`.
#[pyfunction]
pub fn decode_any(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
    Ok(match wire::decode_any(data)? {
        Payload::TopK(inner) => Py::new(py, topk::PyPsiTopK { inner })?.into_any(),
        Payload::Chain(inner) => Py::new(py, chain::PyPsiChain { inner })?.into_any(),
    })
}

/// Exact encoded size in bytes of a top-K payload with this vocab and K.
#[pyfunction]
pub fn psi_encoded_len(vocab: u32, k: usize) -> usize {
    wire::topk::encoded_len(vocab, k)
}
