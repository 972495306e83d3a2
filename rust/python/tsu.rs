//! The simulated TSU's draw kernels: one payload over a step range, one draw per payload, one
//! block per chain. Each returns the columns `tokens` and `logq` in a dict.

use numpy::{IntoPyArray, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arrays::{columns, slice};
use super::psi::chain::PyPsiChain;
use super::psi::topk::PyPsiTopK;
use super::signals::check_signals;
use crate::psi::{PsiChain, PsiTopK};
use crate::tsu::{self, chain::draw_chains, Draws};

/// The dict {"tokens", "logq"} of `draws`, each column shaped `shape`.
fn draw_columns<'py>(
    py: Python<'py>,
    draws: Draws,
    shape: &[usize],
) -> PyResult<Bound<'py, PyDict>> {
    columns(
        py,
        [
            (
                "tokens",
                draws.tokens.into_pyarray(py).reshape(shape)?.into_any(),
            ),
            (
                "logq",
                draws.logq.into_pyarray(py).reshape(shape)?.into_any(),
            ),
        ],
    )
}

/// SimTSU draws for steps `start..start + count`: {"tokens", "logq"}.
#[pyfunction]
pub fn tsu_draw_many<'py>(
    py: Python<'py>,
    psi: &PyPsiTopK,
    seed: u64,
    start: u64,
    count: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let draws = py.detach(|| tsu::draw_range(&psi.inner, seed, start, count, check_signals))?;
    let len = draws.tokens.len();
    draw_columns(py, draws, &[len])
}

/// One SimTSU draw per payload, payload b at step `steps[b]` of `seed`: {"tokens", "logq"}.
#[pyfunction]
pub fn tsu_draw_each<'py>(
    py: Python<'py>,
    psis: Vec<PyRef<'py, PyPsiTopK>>,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let steps = slice(&steps, "steps")?;
    let payloads: Vec<&PsiTopK> = psis.iter().map(|p| &p.inner).collect();
    let draws = py.detach(|| tsu::draw_each(&payloads, seed, steps))?;
    draw_columns(py, draws, &[payloads.len()])
}

/// One SimTSU block per chain: chain b's position i at step `steps[b] + i` of `seed`. Every
/// chain must have the same L. Returns {"tokens", "logq"}, each (B, L).
#[pyfunction]
pub fn tsu_draw_chains<'py>(
    py: Python<'py>,
    chains: Vec<PyRef<'py, PyPsiChain>>,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let steps = slice(&steps, "steps")?;
    let payloads: Vec<&PsiChain> = chains.iter().map(|c| &c.inner).collect();
    let draws = py.detach(|| draw_chains(&payloads, seed, steps))?;
    let length = payloads.first().map_or(0, |c| c.len());
    draw_columns(py, draws, &[payloads.len(), length])
}
