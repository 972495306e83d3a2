//! The verifier's kernels: one accept/correct decision, a ragged batch of drafted blocks, and
//! a walk over draws made by any TSU backend. Long loops run with the GIL released.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arrays::{rows, slice};
use super::psi::topk::PyPsiTopK;
use super::signals::check_signals;
use super::walk::m1_columns;
use crate::psi::PsiTopK;
use crate::verify::accept_correct_step;
use crate::verify::block::{verify_ragged, RaggedBlocks};
use crate::verify::external::{ExternalDraws, ExternalVerifier};

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
    let logp = slice(&logp, "logp")?;
    Ok(accept_correct_step(
        logp, &psi.inner, token, logq, seed, step,
    )?)
}

/// The verdicts of `verify_blocks`: accepted drafts per sequence (B), every sequence's
/// emitted tokens back to back, and the B + 1 offsets of each sequence's tokens in them.
#[pyclass(name = "BlockVerdicts", module = "tsd._core", frozen, get_all)]
pub struct PyBlockVerdicts {
    accepted: Py<PyArray1<u32>>,
    emitted: Py<PyArray1<u32>>,
    offsets: Py<PyArray1<u64>>,
}

#[pymethods]
impl PyBlockVerdicts {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BlockVerdicts(sequences={}, emitted={})",
            self.accepted.bind(py).len(),
            self.emitted.bind(py).len()
        )
    }
}

/// Verifies B drafted blocks at once. Sequence b owns `lengths[b]` payloads, tokens and log q
/// values (consecutive in the flat inputs) and `lengths[b] + 1` rows of `target_logp`.
/// `realised_logq`, one row per payload, is the distribution a backend other than the
/// simulated TSU sampled from; without it the residual uses F(ψ).
#[pyfunction]
#[pyo3(signature = (target_logp, psis, tokens, logq, lengths, seeds, steps, parallel = true, realised_logq = None))]
#[allow(clippy::too_many_arguments)]
pub fn verify_blocks<'py>(
    py: Python<'py>,
    target_logp: PyReadonlyArray2<'py, f64>,
    psis: Vec<PyRef<'py, PyPsiTopK>>,
    tokens: PyReadonlyArray1<'py, u32>,
    logq: PyReadonlyArray1<'py, f64>,
    lengths: PyReadonlyArray1<'py, u32>,
    seeds: PyReadonlyArray1<'py, u64>,
    steps: PyReadonlyArray1<'py, u64>,
    parallel: bool,
    realised_logq: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<PyBlockVerdicts> {
    let (table, vocab) = rows(&target_logp);
    let realised_rows = realised_logq.as_ref().map(|array| rows(array).0);
    let payloads: Vec<&PsiTopK> = psis.iter().map(|p| &p.inner).collect();
    let blocks = RaggedBlocks {
        target_logp: &table,
        realised: realised_rows.as_deref(),
        psis: &payloads,
        tokens: slice(&tokens, "tokens")?,
        logq: slice(&logq, "logq")?,
        lengths: slice(&lengths, "lengths")?,
        seeds: slice(&seeds, "seeds")?,
        steps: slice(&steps, "steps")?,
    };
    let verdicts = py.detach(|| verify_ragged(&blocks, vocab, parallel))?;
    Ok(PyBlockVerdicts {
        accepted: verdicts.accepted.into_pyarray(py).unbind(),
        emitted: verdicts.emitted.into_pyarray(py).unbind(),
        offsets: verdicts.offsets.into_pyarray(py).unbind(),
    })
}

/// Verifies draws made by any TSU against the distribution it reports (its realised log q):
/// `tokens` and `logq` are (C, n) for C contexts and steps start..start + n; with `follow`
/// each emitted token is the next context (M1), otherwise the context stays `initial` (M0).
/// Returns {"prev", "proposed", "logq", "accepted", "emitted"}.
#[pyfunction]
#[pyo3(signature = (logp, realised_logq, tokens, logq, seed, start, initial, follow))]
#[allow(clippy::too_many_arguments)]
pub fn verify_external<'py>(
    py: Python<'py>,
    logp: PyReadonlyArray2<'py, f64>,
    realised_logq: PyReadonlyArray2<'py, f64>,
    tokens: PyReadonlyArray2<'py, u32>,
    logq: PyReadonlyArray2<'py, f64>,
    seed: u64,
    start: u64,
    initial: u32,
    follow: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (logp_rows, vocab) = rows(&logp);
    let (realised, _) = rows(&realised_logq);
    let (tokens, steps) = rows(&tokens);
    let (logq, _) = rows(&logq);
    let draws = ExternalDraws {
        tokens: &tokens,
        logq: &logq,
        steps,
    };
    let walk = py.detach(|| {
        ExternalVerifier::new(&logp_rows, &realised, vocab)?.run(
            draws,
            seed,
            start,
            initial,
            follow,
            check_signals,
        )
    })?;
    m1_columns(py, walk)
}
