//! `tsd._core.BigramChain`, the prepared M1 chain, and `verify_external`, the walk over draws
//! made by any TSU backend; both run in Rust with the GIL released.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::arrays::rows;
use super::errors::argument_error;
use super::psi::PyPsiTopK;
use super::signals::check_signals;
use crate::bigram::BigramChain;
use crate::error::ArgumentError;
use crate::external::{ExternalDraws, ExternalVerifier};
use crate::psi::PsiTopK;

type WalkArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<u32>>,
);
type CountArrays<'py> = (
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    u32,
);

/// An M1 chain: the V×V target table and one ψ per context, prepared once.
#[pyclass(name = "BigramChain", module = "tsd", frozen)]
pub struct PyBigramChain {
    inner: BigramChain,
}

#[pymethods]
impl PyBigramChain {
    #[new]
    fn new(
        py: Python<'_>,
        logp: PyReadonlyArray2<'_, f64>,
        psis: Vec<PyRef<'_, PyPsiTopK>>,
    ) -> PyResult<Self> {
        let (table, _) = rows(&logp);
        let shape = logp.shape();
        if shape[0] != shape[1] {
            return Err(argument_error(&ArgumentError::new(
                "logp",
                format!("must be square (V×V), got {}×{}", shape[0], shape[1]),
            )));
        }
        let payloads: Vec<PsiTopK> = psis.iter().map(|p| p.inner.clone()).collect();
        py.detach(|| BigramChain::new(&table, &payloads))
            .map(|inner| Self { inner })
            .map_err(|err| argument_error(&err))
    }

    /// Number of contexts (= vocabulary size).
    #[getter]
    fn vocab(&self) -> usize {
        self.inner.vocab()
    }

    /// Walks steps `start..start + steps` from context `initial`:
    /// (prev, proposed, log q, accepted, emitted).
    fn run<'py>(
        &self,
        py: Python<'py>,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
    ) -> PyResult<WalkArrays<'py>> {
        let walk = py.detach(|| self.inner.run(seed, start, steps, initial, check_signals))?;
        Ok((
            walk.prev.into_pyarray(py),
            walk.steps.proposed.into_pyarray(py),
            walk.steps.logq.into_pyarray(py),
            walk.steps.accepted.into_pyarray(py),
            walk.steps.emitted.into_pyarray(py),
        ))
    }

    /// The same walk, aggregated: (visits per context, accepted per context, emitted per token,
    /// last emitted token).
    fn run_counts<'py>(
        &self,
        py: Python<'py>,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
    ) -> PyResult<CountArrays<'py>> {
        let counts = py.detach(|| {
            self.inner
                .run_counts(seed, start, steps, initial, check_signals)
        })?;
        Ok((
            counts.visits.into_pyarray(py),
            counts.accepted.into_pyarray(py),
            counts.emitted.into_pyarray(py),
            counts.last,
        ))
    }
}

/// Verifies draws made by any TSU against the distribution it reports (its realised log q):
/// `tokens` and `logq` are (C, n) for C contexts and steps start..start + n; with `follow`
/// each emitted token is the next context (M1), otherwise the context stays `initial` (M0).
/// Returns (prev, proposed, log q, accepted, emitted).
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
) -> PyResult<WalkArrays<'py>> {
    let (logp_rows, vocab) = rows(&logp);
    let (realised, _) = rows(&realised_logq);
    let (tokens, steps) = rows(&tokens);
    let (logq, _) = rows(&logq);
    let walk = py.detach(|| {
        ExternalVerifier::new(&logp_rows, &realised, vocab)
            .map_err(|err| argument_error(&err))?
            .run(
                ExternalDraws {
                    tokens: &tokens,
                    logq: &logq,
                    steps,
                },
                seed,
                start,
                initial,
                follow,
                check_signals,
            )
    })?;
    Ok((
        walk.prev.into_pyarray(py),
        walk.steps.proposed.into_pyarray(py),
        walk.steps.logq.into_pyarray(py),
        walk.steps.accepted.into_pyarray(py),
        walk.steps.emitted.into_pyarray(py),
    ))
}
