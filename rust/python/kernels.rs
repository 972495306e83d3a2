//! Thin wrappers over the core kernels: borrow numpy arrays, check them once, release the GIL
//! around the work, return numpy arrays.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

use super::arrays::slice;
use super::errors::{argument_error, validation_error};
use super::psi::PyPsiTopK;
use super::signals::check_signals;
use crate::fused::run_m0;
use crate::psi::validate_header;
use crate::rng::words_range;
use crate::tsu::{Sampler, SimTsu};
use crate::verify::accept_correct_step;
use crate::wire::encoded_len;

type M0Arrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<u32>>,
);
type DrawArrays<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>);

/// Exact encoded size in bytes of a top-K payload with this vocab and K (both validated).
#[pyfunction]
pub fn psi_encoded_len(vocab: u64, k: u64) -> PyResult<usize> {
    validate_header(vocab, k).map_err(|err| validation_error(&err))?;
    Ok(encoded_len(vocab as u32, k as usize))
}

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

/// SimTSU draws for steps `start..start + count`: (tokens, log q).
#[pyfunction]
pub fn tsu_draw_many<'py>(
    py: Python<'py>,
    psi: &PyPsiTopK,
    seed: u64,
    start: u64,
    count: u64,
) -> PyResult<DrawArrays<'py>> {
    let (tokens, logq) = py.detach(|| {
        let sampler = Sampler::new(&psi.inner);
        SimTsu::new(seed).draw_range(&sampler, start, count, check_signals)
    })?;
    Ok((tokens.into_pyarray(py), logq.into_pyarray(py)))
}

/// One accept/correct decision: (accepted, emitted token).
#[pyfunction]
pub fn accept_correct(
    logp: PyReadonlyArray1<'_, f64>,
    psi: &PyPsiTopK,
    token: u32,
    logq: f64,
    seed: u64,
    step: u64,
) -> PyResult<(bool, u32)> {
    accept_correct_step(slice(&logp, "logp")?, &psi.inner, token, logq, seed, step)
        .map_err(|err| argument_error(&err))
}

/// The fused M0 loop for steps `start..start + steps`: (proposed, log q, accepted, emitted).
#[pyfunction]
pub fn m0_run<'py>(
    py: Python<'py>,
    logp: PyReadonlyArray1<'py, f64>,
    psi: &PyPsiTopK,
    seed: u64,
    start: u64,
    steps: u64,
) -> PyResult<M0Arrays<'py>> {
    let logp = slice(&logp, "logp")?;
    let columns = py.detach(|| run_m0(logp, &psi.inner, seed, start, steps, check_signals))?;
    Ok((
        columns.proposed.into_pyarray(py),
        columns.logq.into_pyarray(py),
        columns.accepted.into_pyarray(py),
        columns.emitted.into_pyarray(py),
    ))
}
