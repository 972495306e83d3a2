//! Thin wrappers over the core kernels: borrow numpy arrays, check them once, release the GIL
//! around the work, return numpy arrays.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

use super::arrays::slice;
use super::errors::argument_error;
use super::psi::PyPsiTopK;
use crate::rng::words;
use crate::tsu::{check_step_range, Sampler, SimTsu};
use crate::verify::accept_correct_step;
use crate::walk::m0::run_m0;
use crate::wire::topk::encoded_len;

type M0Arrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<u32>>,
);
type DrawArrays<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>);

/// Exact encoded size in bytes of a top-K payload with this vocab and K.
#[pyfunction]
pub fn psi_encoded_len(vocab: u32, k: usize) -> usize {
    encoded_len(vocab, k)
}

/// The RNG's two 64-bit words for steps `start..start + count` of (seed, stream): shape (count, 2).
#[pyfunction]
pub fn rng_words<'py>(
    py: Python<'py>,
    seed: u64,
    stream: u32,
    start: u64,
    count: usize,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    check_step_range(start, count).map_err(|err| argument_error(&err))?;
    let flat: Vec<u64> = (start..start + count as u64)
        .flat_map(|step| words(seed, stream, step))
        .collect();
    flat.into_pyarray(py).reshape([count, 2])
}

/// SimTSU draws for steps `start..start + count`: (tokens, log q).
#[pyfunction]
pub fn tsu_draw_many<'py>(
    py: Python<'py>,
    psi: &PyPsiTopK,
    seed: u64,
    start: u64,
    count: usize,
) -> PyResult<DrawArrays<'py>> {
    let (mut tokens, mut logq) = (vec![0u32; count], vec![0f64; count]);
    py.detach(|| {
        let sampler = Sampler::new(&psi.inner);
        SimTsu::new(seed).draw_many(&sampler, start, &mut tokens, &mut logq)
    })
    .map_err(|err| argument_error(&err))?;
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
    steps: usize,
) -> PyResult<M0Arrays<'py>> {
    let logp = slice(&logp, "logp")?;
    let columns = py
        .detach(|| run_m0(logp, &psi.inner, seed, start, steps))
        .map_err(|err| argument_error(&err))?;
    Ok((
        columns.proposed.into_pyarray(py),
        columns.logq.into_pyarray(py),
        columns.accepted.into_pyarray(py),
        columns.emitted.into_pyarray(py),
    ))
}
