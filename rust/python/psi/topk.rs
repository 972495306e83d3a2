//! `tsd.PsiTopK`: the Python face of [`PsiTopK`], immutable, picklable, comparable.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::{code_bits_from, codes_from, ids_from, reduce_by_bytes, vocab_from};
use crate::fmap::{dense_logq, logq_for_ids};
use crate::psi::PsiTopK;
use crate::python::convert::{bytes_like, real, token_ids};
use crate::wire::topk as wire;

/// Top-K proposal payload ψ: sorted token ids, score codes of `code_bits` bits (8 by
/// default), score step `scale`, temperature `tau` and per-token tail probability `eps` over
/// `vocab` tokens.
#[pyclass(name = "PsiTopK", module = "tsd", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPsiTopK {
    pub(crate) inner: PsiTopK,
}

#[pymethods]
impl PyPsiTopK {
    #[new]
    #[pyo3(signature = (vocab, ids, codes, scale, tau, eps, code_bits=8))]
    fn new(
        vocab: &Bound<'_, PyAny>,
        ids: &Bound<'_, PyAny>,
        codes: &Bound<'_, PyAny>,
        scale: &Bound<'_, PyAny>,
        tau: &Bound<'_, PyAny>,
        eps: &Bound<'_, PyAny>,
        code_bits: i64,
    ) -> PyResult<Self> {
        let inner = PsiTopK::with_code_bits(
            vocab_from(vocab)?,
            ids_from(ids, "ids")?,
            codes_from(codes, "codes")?,
            real(scale, "scale")? as f32,
            real(tau, "tau")? as f32,
            real(eps, "eps")? as f32,
            code_bits_from(code_bits)?,
        )?;
        Ok(Self { inner })
    }

    /// Decodes and validates a wire payload from any bytes-like object.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: wire::decode(&bytes_like(data, "data")?)?,
        })
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
        Ok(logq_for_ids(&self.inner, &token_ids(tokens, "tokens")?)?.into_pyarray(py))
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
    /// Width of each score code in bits (1..=8): 8 travels as kind 1, fewer as kind 3.
    #[getter]
    fn code_bits(&self) -> u8 {
        self.inner.code_bits()
    }
    /// (V − K)·ε, the probability of drawing a token outside the ids.
    #[getter]
    fn tail_mass(&self) -> f64 {
        self.inner.tail_mass()
    }
    /// Encoded size in bytes.
    #[getter]
    fn size_bytes(&self) -> usize {
        wire::encoded_len_bits(self.inner.vocab(), self.inner.k(), self.inner.code_bits())
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        reduce_by_bytes(slf, slf.get().to_bytes(slf.py()))
    }

    fn __repr__(&self) -> String {
        format!(
            "PsiTopK(vocab={}, K={}, code_bits={}, tau={}, eps={:e}, scale={}, size_bytes={})",
            self.inner.vocab(),
            self.inner.k(),
            self.inner.code_bits(),
            self.inner.tau(),
            self.inner.eps(),
            self.inner.scale(),
            self.size_bytes()
        )
    }
}
