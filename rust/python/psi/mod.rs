//! The payload classes, one file per kind as in the core's `psi/`: `PsiTopK` ([`topk`]) and
//! `PsiChain` ([`chain`]), the field conversions they share, and `decode_any`, which returns
//! the class of whatever kind the bytes hold.

pub(crate) mod chain;
pub(crate) mod gauss;
pub(crate) mod topk;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use pyo3::PyTypeInfo;

use super::convert::{bytes_like, integer, integers};
use super::errors::{PsiCodeBitsError, PsiCodeError, PsiIdOutOfRangeError, PsiVocabError};
use crate::error::TsdError;
use crate::psi::{validate_header, Payload, MAX_CODE_BITS, MAX_VOCAB};
use crate::wire;

/// `__reduce__` for a payload class: its `from_bytes` and the payload's encoding, so a payload
/// pickles (and reaches a sweep worker) as its wire bytes.
pub(crate) fn reduce_by_bytes<'py, T: PyTypeInfo>(
    slf: &Bound<'py, T>,
    bytes: Bound<'py, PyBytes>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
    let py = slf.py();
    let constructor = py.get_type::<T>().getattr("from_bytes")?;
    Ok((constructor, PyTuple::new(py, [bytes])?))
}

/// `vocab` as a u32 in 1..=MAX_VOCAB, or `PsiVocabError` (a non-integer: `InvalidArgumentError`).
pub(crate) fn vocab_from(vocab: &Bound<'_, PyAny>) -> PyResult<u32> {
    let out_of_range = |got: String| {
        PsiVocabError::new_err(format!("vocab must be in 1..={MAX_VOCAB}, got {got}"))
    };
    let value: u32 = integer(vocab, "vocab", out_of_range)?;
    if (1..=MAX_VOCAB).contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range(value.to_string()))
    }
}

/// Token ids as u32, or `PsiIdOutOfRangeError` naming the first bad one.
pub(crate) fn ids_from(ids: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u32>> {
    integers(ids, field, |position, id| {
        PsiIdOutOfRangeError::new_err(format!(
            "{field}: id {id} at position {position} is not a valid token id"
        ))
    })
}

/// Score codes as u8, or `PsiCodeError` naming the first bad one.
pub(crate) fn codes_from(codes: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u8>> {
    integers(codes, field, |position, code| {
        PsiCodeError::new_err(format!(
            "{field}: code {code} at position {position} is outside 0..=255"
        ))
    })
}

/// `code_bits` as a u8 in 1..=8, or `PsiCodeBitsError` naming the value.
pub(crate) fn code_bits_from(bits: i64) -> PyResult<u8> {
    u8::try_from(bits)
        .ok()
        .filter(|b| (1..=MAX_CODE_BITS).contains(b))
        .ok_or_else(|| {
            PsiCodeBitsError::new_err(format!(
                "code_bits must be in 1..={MAX_CODE_BITS}, got {bits}"
            ))
        })
}

/// Decodes and validates a payload of any kind: a `PsiTopK`, a `PsiChain` or a `PsiGaussian`.
#[pyfunction]
pub fn decode_any(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    Ok(match wire::decode_any(&bytes_like(data, "data")?)? {
        Payload::TopK(inner) => Py::new(py, topk::PyPsiTopK { inner })?.into_any(),
        Payload::Chain(inner) => Py::new(py, chain::PyPsiChain { inner })?.into_any(),
        Payload::Gauss(inner) => Py::new(py, gauss::PyPsiGaussian { inner })?.into_any(),
    })
}

/// Exact encoded size in bytes of a top-K payload with this vocab, K and code width (all
/// validated).
#[pyfunction]
#[pyo3(signature = (vocab, k, bits=8))]
pub fn psi_encoded_len(vocab: u64, k: u64, bits: i64) -> PyResult<usize> {
    validate_header(vocab, k).map_err(TsdError::from)?;
    let bits = code_bits_from(bits)?;
    Ok(wire::topk::encoded_len_bits(vocab as u32, k as usize, bits))
}
