//! `tsd.PsiGaussian` and `tsd.PsiGaussianBatch`: the Python faces of [`PsiGauss`], one payload
//! and many payloads of one dimension d (the rows the batched draw and verify kernels take).

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::reduce_by_bytes;
use crate::error::{ArgumentError, PsiValidationError, TsdError};
use crate::psi::PsiGauss;
use crate::python::arrays::{rows, slice};
use crate::python::convert::bytes_like;
use crate::tsu::gauss::{common_dim, Diagonal};
use crate::wire::gauss as wire;

/// A quantised diagonal Gaussian over d values: means offset + step · code (i16 codes),
/// log-variances code / 8 (i8 codes). Craft one from float means and log-variances.
#[pyclass(name = "PsiGaussian", module = "tsd", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPsiGaussian {
    pub(crate) inner: PsiGauss,
}

#[pymethods]
impl PyPsiGaussian {
    /// Quantises `means` and `logvars` (each of length d) into a payload.
    #[staticmethod]
    fn craft(
        means: PyReadonlyArray1<'_, f64>,
        logvars: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Self> {
        Ok(Self {
            inner: PsiGauss::craft(slice(&means, "means")?, slice(&logvars, "logvars")?)?,
        })
    }

    /// Decodes and validates a wire payload from any bytes-like object.
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

    /// The exact log density of `values` (length d) under the realised Gaussian, bit-identical
    /// to what the TSU returns with a draw.
    fn log_density(&self, values: PyReadonlyArray1<'_, f64>) -> PyResult<f64> {
        let values = slice(&values, "values")?;
        if values.len() != self.inner.dim() {
            return Err(ArgumentError::new(
                "values",
                format!("has {} entries, d = {}", values.len(), self.inner.dim()),
            )
            .into());
        }
        Ok(Diagonal::from_payload(&self.inner).log_density(values))
    }

    #[getter]
    fn d(&self) -> usize {
        self.inner.dim()
    }
    #[getter]
    fn offset(&self) -> f32 {
        self.inner.offset()
    }
    #[getter]
    fn step(&self) -> f32 {
        self.inner.step()
    }
    #[getter]
    fn mean_codes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i16>> {
        self.inner.mean_codes().to_vec().into_pyarray(py)
    }
    #[getter]
    fn logvar_codes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i8>> {
        self.inner.logvar_codes().to_vec().into_pyarray(py)
    }
    /// The realised means (binary64).
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.means().into_pyarray(py)
    }
    /// The realised log-variances (on the grid).
    #[getter]
    fn logvars<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.logvars().into_pyarray(py)
    }
    /// The realised standard deviations exp(logvar / 2) (libm).
    #[getter]
    fn sigmas<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        Diagonal::from_payload(&self.inner)
            .sigma()
            .to_vec()
            .into_pyarray(py)
    }
    #[getter]
    fn size_bytes(&self) -> usize {
        wire::encoded_len(self.inner.dim())
    }
    fn __repr__(&self) -> String {
        format!(
            "PsiGaussian(d={}, offset={}, step={})",
            self.inner.dim(),
            self.inner.offset(),
            self.inner.step()
        )
    }
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let bytes = PyBytes::new(slf.py(), &wire::encode(&slf.get().inner));
        reduce_by_bytes(slf, bytes)
    }
}

/// N Gaussian payloads of one dimension d, the rows of the batched kernels.
#[pyclass(name = "PsiGaussianBatch", module = "tsd", frozen)]
pub struct PyPsiGaussianBatch {
    pub(crate) rows: Vec<PsiGauss>,
    pub(crate) d: usize,
}

impl PyPsiGaussianBatch {
    /// The payloads as references, for the core kernels.
    pub(crate) fn payloads(&self) -> Vec<&PsiGauss> {
        self.rows.iter().collect()
    }
}

/// Row `row`'s validation error, naming the row.
fn at_row(row: usize) -> impl Fn(PsiValidationError) -> PsiValidationError {
    move |err| PsiValidationError::AtPosition {
        position: row,
        source: Box::new(err),
    }
}

/// The rows of `(rows × d)` values as (N, d), row-major.
fn matrix<'py>(py: Python<'py>, values: Vec<f64>, d: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = values.len() / d.max(1);
    values.into_pyarray(py).reshape([n, d])
}

#[pymethods]
impl PyPsiGaussianBatch {
    /// Quantises each row of `means` and `logvars` (both (N, d), N >= 1) into a payload.
    #[staticmethod]
    fn craft(
        py: Python<'_>,
        means: PyReadonlyArray2<'_, f64>,
        logvars: PyReadonlyArray2<'_, f64>,
    ) -> PyResult<Self> {
        let (means, d) = rows(&means);
        let (logvars, d_logvars) = rows(&logvars);
        if d_logvars != d || logvars.len() != means.len() || means.is_empty() {
            return Err(ArgumentError::new(
                "logvars",
                format!(
                    "must have the shape of means, at least one row (means: {} values in rows of {d}, logvars: {} in rows of {d_logvars})",
                    means.len(),
                    logvars.len()
                ),
            )
            .into());
        }
        let payloads = py.detach(|| {
            means
                .chunks(d.max(1))
                .zip(logvars.chunks(d.max(1)))
                .enumerate()
                .map(|(row, (m, l))| PsiGauss::craft(m, l).map_err(at_row(row)))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(Self { rows: payloads, d })
    }

    /// A batch of the given payloads (all of one dimension d, at least one).
    #[staticmethod]
    fn from_payloads(payloads: Vec<PyRef<'_, PyPsiGaussian>>) -> PyResult<Self> {
        let rows: Vec<PsiGauss> = payloads.iter().map(|p| p.inner.clone()).collect();
        let d = common_dim(&rows.iter().collect::<Vec<_>>())?;
        if rows.is_empty() {
            return Err(ArgumentError::new("payloads", "needs at least one payload").into());
        }
        Ok(Self { rows, d })
    }

    fn __len__(&self) -> usize {
        self.rows.len()
    }
    fn __getitem__(&self, row: isize) -> PyResult<PyPsiGaussian> {
        let n = self.rows.len() as isize;
        let index = if row < 0 { row + n } else { row };
        if !(0..n).contains(&index) {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "row {row} out of range for {n} payloads"
            )));
        }
        Ok(PyPsiGaussian {
            inner: self.rows[index as usize].clone(),
        })
    }
    #[getter]
    fn d(&self) -> usize {
        self.d
    }
    /// The realised means, (N, d).
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(
            py,
            self.rows.iter().flat_map(|p| p.means()).collect(),
            self.d,
        )
    }
    /// The realised log-variances, (N, d).
    #[getter]
    fn logvars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        matrix(
            py,
            self.rows.iter().flat_map(|p| p.logvars()).collect(),
            self.d,
        )
    }
    /// The realised standard deviations, (N, d).
    #[getter]
    fn sigmas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let sigmas = self
            .rows
            .iter()
            .flat_map(|p| Diagonal::from_payload(p).sigma().to_vec())
            .collect();
        matrix(py, sigmas, self.d)
    }
    /// Each payload's wire encoding.
    fn to_bytes_list<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyBytes>> {
        self.rows
            .iter()
            .map(|p| PyBytes::new(py, &wire::encode(p)))
            .collect()
    }
    /// Total wire bytes of the batch.
    #[getter]
    fn size_bytes(&self) -> usize {
        self.rows.len() * wire::encoded_len(self.d)
    }
    fn __repr__(&self) -> String {
        format!("PsiGaussianBatch(rows={}, d={})", self.rows.len(), self.d)
    }
}

/// Exact encoded size in bytes of a Gaussian payload over `d` values (1..=MAX_GAUSS_DIM).
#[pyfunction]
pub fn gauss_encoded_len(d: u64) -> PyResult<usize> {
    crate::psi::gauss::validate_dim(d).map_err(TsdError::from)?;
    Ok(wire::encoded_len(d as usize))
}
