//! The fused walks: `m0_run` (one target and ψ, many steps) and `BigramChain` (M1, the
//! context follows the emitted token). Both run in Rust with the GIL released and return
//! their per-step columns as a dict, or aggregated counts as a `WalkCounts`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arrays::{columns, rows, slice};
use super::psi::topk::PyPsiTopK;
use super::signals::check_signals;
use crate::error::ArgumentError;
use crate::psi::PsiTopK;
use crate::walk::{run_m0, BigramChain, M0Columns, M1Columns};

/// The M0 columns {"proposed", "logq", "accepted", "emitted"}.
pub(crate) fn m0_columns<'py>(py: Python<'py>, steps: M0Columns) -> PyResult<Bound<'py, PyDict>> {
    columns(
        py,
        [
            ("proposed", steps.proposed.into_pyarray(py).into_any()),
            ("logq", steps.logq.into_pyarray(py).into_any()),
            ("accepted", steps.accepted.into_pyarray(py).into_any()),
            ("emitted", steps.emitted.into_pyarray(py).into_any()),
        ],
    )
}

/// The M1 columns: "prev" (the context of each step), then the M0 columns.
pub(crate) fn m1_columns<'py>(py: Python<'py>, walk: M1Columns) -> PyResult<Bound<'py, PyDict>> {
    let prev = walk.prev.into_pyarray(py);
    let dict = PyDict::new(py);
    dict.set_item("prev", prev)?;
    dict.update(m0_columns(py, walk.steps)?.as_mapping())?;
    Ok(dict)
}

/// The fused M0 loop for steps `start..start + steps`:
/// {"proposed", "logq", "accepted", "emitted"}.
#[pyfunction]
pub fn m0_run<'py>(
    py: Python<'py>,
    logp: PyReadonlyArray1<'py, f64>,
    psi: &PyPsiTopK,
    seed: u64,
    start: u64,
    steps: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let logp = slice(&logp, "logp")?;
    let walk = py.detach(|| run_m0(logp, &psi.inner, seed, start, steps, check_signals))?;
    m0_columns(py, walk)
}

/// An M1 walk aggregated per context: visits and accepted drafts per context, emissions per
/// token, and the last emitted token (the next chunk's initial context).
#[pyclass(name = "WalkCounts", module = "tsd._core", frozen, get_all)]
pub struct PyWalkCounts {
    visits: Py<PyArray1<u64>>,
    accepted: Py<PyArray1<u64>>,
    emitted: Py<PyArray1<u64>>,
    last: u32,
}

#[pymethods]
impl PyWalkCounts {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "WalkCounts(contexts={}, last={})",
            self.visits.bind(py).len(),
            self.last
        )
    }
}

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
            return Err(ArgumentError::new(
                "logp",
                format!("must be square (V×V), got {}×{}", shape[0], shape[1]),
            )
            .into());
        }
        let payloads: Vec<PsiTopK> = psis.iter().map(|p| p.inner.clone()).collect();
        let inner = py.detach(|| BigramChain::new(&table, &payloads))?;
        Ok(Self { inner })
    }

    /// Number of contexts (= vocabulary size).
    #[getter]
    fn vocab(&self) -> usize {
        self.inner.vocab()
    }

    /// Walks steps `start..start + steps` from context `initial`:
    /// {"prev", "proposed", "logq", "accepted", "emitted"}.
    fn run<'py>(
        &self,
        py: Python<'py>,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        let walk = py.detach(|| self.inner.run(seed, start, steps, initial, check_signals))?;
        m1_columns(py, walk)
    }

    /// The same walk, aggregated into a `WalkCounts`.
    fn run_counts(
        &self,
        py: Python<'_>,
        seed: u64,
        start: u64,
        steps: u64,
        initial: u32,
    ) -> PyResult<PyWalkCounts> {
        let counts = py.detach(|| {
            self.inner
                .run_counts(seed, start, steps, initial, check_signals)
        })?;
        Ok(PyWalkCounts {
            visits: counts.visits.into_pyarray(py).unbind(),
            accepted: counts.accepted.into_pyarray(py).unbind(),
            emitted: counts.emitted.into_pyarray(py).unbind(),
            last: counts.last,
        })
    }
}
