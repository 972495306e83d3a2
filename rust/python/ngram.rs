//! `tsd._core.NgramModel`: the n-gram draft model, trained and queried with the GIL released.

use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

use super::arrays::slice;
use crate::ngram::NgramModel;

/// A token n-gram language model with interpolated Kneser–Ney smoothing.
#[pyclass(name = "NgramModel", module = "tsd", frozen)]
pub struct PyNgramModel {
    inner: NgramModel,
}

#[pymethods]
impl PyNgramModel {
    /// Trains an order-`order` model on token ids below `vocab`.
    #[staticmethod]
    fn train(
        py: Python<'_>,
        tokens: PyReadonlyArray1<'_, u32>,
        vocab: u32,
        order: usize,
    ) -> PyResult<Self> {
        let tokens = slice(&tokens, "tokens")?;
        let inner = py.detach(|| NgramModel::train(tokens, vocab, order))?;
        Ok(Self { inner })
    }

    #[getter]
    fn order(&self) -> usize {
        self.inner.order()
    }

    #[getter]
    fn vocab(&self) -> u32 {
        self.inner.vocab()
    }

    /// Distinct contexts per level, from the empty context (level 1) up.
    #[getter]
    fn contexts_per_level(&self) -> Vec<usize> {
        self.inner.contexts_per_level()
    }

    /// The absolute discount of each level.
    #[getter]
    fn discounts(&self) -> Vec<f64> {
        self.inner.discounts().to_vec()
    }

    /// ln p(· | history) for each history `tokens[offsets[b]:offsets[b + 1]]`: shape (B, V).
    fn logprobs_batch<'py>(
        &self,
        py: Python<'py>,
        tokens: PyReadonlyArray1<'py, u32>,
        offsets: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (tokens, offsets) = (slice(&tokens, "tokens")?, slice(&offsets, "offsets")?);
        let rows = py.detach(|| self.inner.logprobs_batch(tokens, offsets))?;
        let shape = [offsets.len().saturating_sub(1), self.inner.vocab() as usize];
        rows.into_pyarray(py).reshape(shape)
    }
}
