//! `tsd.PsiChain`: the Python face of [`PsiChain`], immutable, picklable, comparable.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::topk::PyPsiTopK;
use super::{codes_from, ids_from, reduce_by_bytes, vocab_from};
use crate::error::ArgumentError;
use crate::fmap::chain_logq;
use crate::psi::chain::PsiChain;
use crate::python::convert::{bytes_like, integer, items, real, token_ids};
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

/// The rows of a 2-D argument flattened, each converted by `convert` and `width` wide.
fn flat_rows<T>(
    rows: &[Bound<'_, PyAny>],
    width: usize,
    field: &'static str,
    convert: impl Fn(&Bound<'_, PyAny>, &str) -> PyResult<Vec<T>>,
) -> PyResult<Vec<T>> {
    let mut out = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let row = convert(row, &format!("{field} row {r}"))?;
        if row.len() != width {
            return Err(PsiLengthMismatchError::new_err(format!(
                "{field}: row {r} has {} entries, expected K = {width}",
                row.len()
            )));
        }
        out.extend(row);
    }
    Ok(out)
}

/// A sequence of real numbers, each converted by [`real`].
fn reals(values: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<f32>> {
    items(values, field)?
        .iter()
        .enumerate()
        .map(|(i, value)| Ok(real(value, &format!("{field}: entry {i}"))? as f32))
        .collect()
}

#[pymethods]
impl PyPsiChain {
    /// `ids` is (L, K): L is its number of rows, and every other field must agree with it.
    #[new]
    #[pyo3(signature = (vocab, ids, codes, scales, tau, eps))]
    fn new(
        vocab: &Bound<'_, PyAny>,
        ids: &Bound<'_, PyAny>,
        codes: &Bound<'_, PyAny>,
        scales: &Bound<'_, PyAny>,
        tau: &Bound<'_, PyAny>,
        eps: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let vocab = vocab_from(vocab)?;
        let id_rows = items(ids, "ids")?;
        let k = match id_rows.first() {
            Some(first) => items(first, "ids row 0")?.len(),
            None => 0,
        };
        let inner = PsiChain::new(
            vocab,
            k,
            real(tau, "tau")? as f32,
            flat_rows(&id_rows, k, "ids", ids_from)?,
            flat_rows(&items(codes, "codes")?, k, "codes", codes_from)?,
            reals(scales, "scales")?,
            reals(eps, "eps")?,
        )?;
        Ok(Self { inner })
    }

    /// Decodes and validates a chain payload (kind 2) from any bytes-like object.
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

    /// The top-K payload position `position` samples from when the previous token filled
    /// `previous_slot` (K: outside the previous ids); ignored at position 0.
    #[pyo3(
        signature = (position, previous_slot = None),
        text_signature = "(self, position, previous_slot=0)"
    )]
    fn conditional(
        &self,
        position: &Bound<'_, PyAny>,
        previous_slot: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPsiTopK> {
        let (length, k) = (self.inner.len(), self.inner.k());
        let out_of_range = |field: &'static str, bound: String| {
            move |got: String| -> PyErr {
                ArgumentError::new(field, format!("must be {bound}, got {got}")).into()
            }
        };
        let position: usize = integer(
            position,
            "position",
            out_of_range("position", format!("in 0..{length} (L = {length})")),
        )?;
        let previous_slot: usize = match previous_slot {
            Some(slot) => integer(
                slot,
                "previous_slot",
                out_of_range("previous_slot", format!("in 0..={k} (K = {k})")),
            )?,
            None => 0,
        };
        if position >= length {
            return Err(out_of_range(
                "position",
                format!("in 0..{length} (L = {length})"),
            )(position.to_string()));
        }
        if previous_slot > k {
            return Err(out_of_range(
                "previous_slot",
                format!("in 0..={k} (K = {k})"),
            )(previous_slot.to_string()));
        }
        Ok(PyPsiTopK {
            inner: self.inner.conditional(position, previous_slot),
        })
    }

    /// The payload each position of the drawn block `tokens` was sampled from.
    fn conditionals_for(&self, tokens: &Bound<'_, PyAny>) -> PyResult<Vec<PyPsiTopK>> {
        let tokens = token_ids(tokens, "tokens")?;
        self.inner.check_block(&tokens)?;
        Ok(self
            .inner
            .conditionals_for(&tokens)
            .into_iter()
            .map(|inner| PyPsiTopK { inner })
            .collect())
    }

    /// log q(x_i | x_{i−1}) per position of the block `tokens`, bit-identical to the TSU's.
    fn logq<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(chain_logq(&self.inner, &token_ids(tokens, "tokens")?)?.into_pyarray(py))
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
        reduce_by_bytes(slf, slf.get().to_bytes(slf.py()))
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
