//! The portable generator's words, so Python reproduces any draw (`tsd.reference`).

use numpy::{IntoPyArray, PyArray2, PyArrayMethods};
use pyo3::prelude::*;

use super::signals::check_signals;
use crate::rng::words_range;

/// The RNG's two 64-bit words for steps `start..start + count` of (seed, stream): shape (count, 2).
#[pyfunction]
pub fn rng_words<'py>(
    py: Python<'py>,
    seed: u64,
    stream: u32,
    start: u64,
    count: u64,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let flat = py.detach(|| words_range(seed, stream, start, count, check_signals))?;
    let rows = flat.len() / 2;
    flat.into_pyarray(py).reshape([rows, 2])
}
