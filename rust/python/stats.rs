//! The χ² tail probability for `tsd.stats`, so goodness of fit needs no SciPy.

use pyo3::prelude::*;

/// P(χ²_dof ≥ stat): the upper tail of the χ² distribution with `dof` degrees of freedom.
#[pyfunction]
pub fn chi2_sf(stat: f64, dof: u64) -> PyResult<f64> {
    Ok(crate::stats::chi2_sf(stat, dof)?)
}
