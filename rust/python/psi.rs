//! `tsd.PsiTopK`: the Python face of [`PsiTopK`], immutable, picklable, comparable.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::convert::{bytes_like, integer, integers, real, token_ids};
use super::errors::{to_py, validation_error, PsiCodeError, PsiIdOutOfRangeError, PsiVocabError};
use crate::fmap::{dense_logq, logq_for_ids};
use crate::psi::{PsiTopK, MAX_VOCAB};
use crate::wire;

/// Top-K proposal payload ψ: sorted token ids, 8-bit score codes, score step `scale`,
/// temperature `tau` and per-token tail probability `eps` over `vocab` tokens.
#[pyclass(name = "PsiTopK", module = "tsd", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPsiTopK {
    pub(crate) inner: PsiTopK,
}

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

pub(crate) fn ids_from(ids: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u32>> {
    integers(ids, field, |position, id| {
        PsiIdOutOfRangeError::new_err(format!(
            "{field}: id {id} at position {position} is not a valid token id"
        ))
    })
}

pub(crate) fn codes_from(codes: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<u8>> {
    integers(codes, field, |position, code| {
        PsiCodeError::new_err(format!(
            "{field}: code {code} at position {position} is outside 0..=255"
        ))
    })
}

#[pymethods]
impl PyPsiTopK {
    #[new]
    #[pyo3(signature = (vocab, ids, codes, scale, tau, eps))]
    fn new(
        vocab: &Bound<'_, PyAny>,
        ids: &Bound<'_, PyAny>,
        codes: &Bound<'_, PyAny>,
        scale: &Bound<'_, PyAny>,
        tau: &Bound<'_, PyAny>,
        eps: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let inner = PsiTopK::new(
            vocab_from(vocab)?,
            ids_from(ids, "ids")?,
            codes_from(codes, "codes")?,
            real(scale, "scale")? as f32,
            real(tau, "tau")? as f32,
            real(eps, "eps")? as f32,
        )
        .map_err(|err| validation_error(&err))?;
        Ok(Self { inner })
    }

    /// Decodes and validates a wire payload from any bytes-like object.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        wire::decode(&bytes_like(data, "data")?)
            .map(|inner| Self { inner })
            .map_err(to_py)
    }

    /// The versioned, checksummed wire encoding (see docs/PSI_FORMAT.md).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &wire::encode(&self.inner))
    }

    /// log q(y) for each token id, bit-identical to what the TSU returns.
    fn logq<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        logq_for_ids(&self.inner, &token_ids(tokens, "tokens")?)
            .map(|values| values.into_pyarray(py))
            .map_err(|err| to_py(err.into()))
    }

    /// log q over the whole vocabulary.
    fn dense_logq<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        dense_logq(&self.inner).into_pyarray(py)
    }

    #[getter]
    fn vocab(&self) -> u32 {
        self.inner.vocab()
    }
    #[getter(K)]
    fn k(&self) -> usize {
        self.inner.k()
    }
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, self.inner.ids())
    }
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u8>> {
        PyArray1::from_slice(py, self.inner.codes())
    }
    #[getter]
    fn scale(&self) -> f32 {
        self.inner.scale()
    }
    #[getter]
    fn tau(&self) -> f32 {
        self.inner.tau()
    }
    #[getter]
    fn eps(&self) -> f32 {
        self.inner.eps()
    }
    /// (V − K)·ε, the probability of drawing a token outside the ids.
    #[getter]
    fn tail_mass(&self) -> f64 {
        self.inner.tail_mass()
    }
    /// Encoded size in bytes.
    #[getter]
    fn size_bytes(&self) -> usize {
        wire::encoded_len(self.inner.vocab(), self.inner.k())
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let constructor = py.get_type::<Self>().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py);
        Ok((constructor, PyTuple::new(py, [bytes])?))
    }

    fn __repr__(&self) -> String {
        format!(
            "PsiTopK(vocab={}, K={}, tau={}, eps={:e}, scale={}, size_bytes={})",
            self.inner.vocab(),
            self.inner.k(),
            self.inner.tau(),
            self.inner.eps(),
            self.inner.scale(),
            wire::encoded_len(self.inner.vocab(), self.inner.k())
        )
    }
}
