//! `tsd.PsiChain`: the Python face of [`PsiChain`], immutable, picklable, comparable.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::topk::PyPsiTopK;
use super::{codes_from, ids_from, vocab_from};
use crate::error::ArgumentError;
use crate::fmap::chain_logq;
use crate::psi::chain::PsiChain;
use crate::python::errors::PsiLengthMismatchError;
use crate::wire::chain as wire;

/// Chain proposal payload: L positions of K sorted ids whose score codes depend on the previous
/// position's slot, so one TSU call draws an L-token block. `ids` is (L, K); `codes` has one
/// row for position 0, then K + 1 rows per later position (row a: the previous token filled
/// slot a; row K: it was outside the previous ids); `scales` and `eps` have one entry per
/// position.
#[pyclass(name = "PsiChain", module = "tsd", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPsiChain {
    pub(crate) inner: PsiChain,
}

fn flat_rows<T>(
    rows: Vec<Vec<i64>>,
    width: usize,
    field: &'static str,
    convert: impl Fn(Vec<i64>) -> PyResult<Vec<T>>,
) -> PyResult<Vec<T>> {
    let mut out = Vec::with_capacity(rows.len() * width);
    for (r, row) in rows.into_iter().enumerate() {
        if row.len() != width {
            return Err(PsiLengthMismatchError::new_err(format!(
                "{field}: row {r} has {} entries, expected K = {width}",
                row.len()
            )));
        }
        out.extend(convert(row)?);
    }
    Ok(out)
}

#[pymethods]
impl PyPsiChain {
    #[new]
    #[pyo3(signature = (vocab, ids, codes, scales, tau, eps))]
    fn new(
        vocab: i64,
        ids: Vec<Vec<i64>>,
        codes: Vec<Vec<i64>>,
        scales: Vec<f64>,
        tau: f64,
        eps: Vec<f64>,
    ) -> PyResult<Self> {
        let k = ids.first().map_or(0, Vec::len);
        let inner = PsiChain::new(
            vocab_from(vocab)?,
            k,
            tau as f32,
            flat_rows(ids, k, "ids", ids_from)?,
            flat_rows(codes, k, "codes", codes_from)?,
            scales.iter().map(|&s| s as f32).collect(),
            eps.iter().map(|&e| e as f32).collect(),
        )?;
        Ok(Self { inner })
    }

    /// Decodes and validates a chain payload (kind 2).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: wire::decode(data)?,
        })
    }

    /// The versioned, checksummed wire encoding (see docs/PSI_FORMAT.md).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &wire::encode(&self.inner))
    }

    /// The top-K payload position `position` samples from when the previous token filled
    /// `previous_slot` (K: outside the previous ids); ignored at position 0.
    #[pyo3(signature = (position, previous_slot = 0))]
    fn conditional(&self, position: usize, previous_slot: usize) -> PyResult<PyPsiTopK> {
        let (length, k) = (self.inner.len(), self.inner.k());
        if position >= length || previous_slot > k {
            return Err(ArgumentError::new(
                "position",
                format!(
                    "position must be below L = {length} and previous_slot at most K = {k}, \
                     got {position} and {previous_slot}"
                ),
            )
            .into());
        }
        Ok(PyPsiTopK {
            inner: self.inner.conditional(position, previous_slot),
        })
    }

    /// The payload each position of the drawn block `tokens` was sampled from.
    fn conditionals_for(&self, tokens: Vec<u32>) -> PyResult<Vec<PyPsiTopK>> {
        self.inner.check_block(&tokens)?;
        Ok(self
            .inner
            .conditionals_for(&tokens)
            .into_iter()
            .map(|inner| PyPsiTopK { inner })
            .collect())
    }

    /// log q(x_i | x_{i−1}) per position of the block `tokens`, bit-identical to the TSU's.
    fn logq<'py>(&self, py: Python<'py>, tokens: Vec<u32>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(chain_logq(&self.inner, &tokens)?.into_pyarray(py))
    }

    #[getter]
    fn vocab(&self) -> u32 {
        self.inner.vocab()
    }
    #[getter(K)]
    fn k(&self) -> usize {
        self.inner.k()
    }
    #[getter(L)]
    fn length(&self) -> usize {
        self.inner.len()
    }
    #[getter]
    fn tau(&self) -> f32 {
        self.inner.tau()
    }
    /// The ids, shape (L, K).
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u32>>> {
        PyArray1::from_slice(py, self.inner.all_ids()).reshape([self.inner.len(), self.inner.k()])
    }
    /// The code rows, shape (1 + (L − 1)(K + 1), K).
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        let k = self.inner.k();
        PyArray1::from_slice(py, self.inner.all_codes())
            .reshape([self.inner.all_codes().len() / k, k])
    }
    #[getter]
    fn scales<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.scales())
    }
    #[getter]
    fn eps<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.eps())
    }
    /// Encoded size in bytes.
    #[getter]
    fn size_bytes(&self) -> usize {
        wire::encoded_len(self.inner.vocab(), self.inner.len(), self.inner.k())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
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
            "PsiChain(vocab={}, L={}, K={}, tau={}, size_bytes={})",
            self.inner.vocab(),
            self.inner.len(),
            self.inner.k(),
            self.inner.tau(),
            self.size_bytes()
        )
    }
}
