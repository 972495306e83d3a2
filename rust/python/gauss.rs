//! The Gaussian kernels: TSU draws with their log densities, log densities of given values,
//! K-step block verification (exact or a named lossy mode) and draws from a target law. Each
//! takes a `PsiGaussianBatch` and numpy arrays, releases the GIL, and returns numpy arrays.
//! `rng_lane_words` and `libm_map` expose the two primitives the Python reference composes.

use numpy::{
    IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
    PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arrays::{columns, row_major, rows, slice};
use super::psi::gauss::PyPsiGaussianBatch;
use crate::error::ArgumentError;
use crate::rng::words_lane;
use crate::tsu::gauss::{draw_each, log_density_each};
use crate::verify::gauss::{draw_target, verify_blocks, Mode, TargetRows};

/// One TSU draw per payload, row b at step `steps[b]` of `seed`: {"values" (N, d), "logq" (N,)}.
#[pyfunction]
pub fn gauss_draw<'py>(
    py: Python<'py>,
    payloads: &PyPsiGaussianBatch,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let steps = slice(&steps, "steps")?;
    let rows_in = payloads.payloads();
    let draws = py.detach(|| draw_each(&rows_in, seed, steps))?;
    let n = draws.logq.len();
    columns(
        py,
        [
            (
                "values",
                draws
                    .values
                    .into_pyarray(py)
                    .reshape([n, payloads.d])?
                    .into_any(),
            ),
            ("logq", draws.logq.into_pyarray(py).into_any()),
        ],
    )
}

/// The exact log density of each row of `values` (N, d) under its payload, (N,).
#[pyfunction]
pub fn gauss_log_density<'py>(
    py: Python<'py>,
    payloads: &PyPsiGaussianBatch,
    values: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (values, _) = rows(&values);
    let rows_in = payloads.payloads();
    let logq = py.detach(|| log_density_each(&rows_in, &values))?;
    Ok(logq.into_pyarray(py))
}

/// Verifies B blocks of K drafted steps. `payloads` holds B·K rows (block-major), `drafts`,
/// `target_mean` and `target_sigma` are (B, K, d), step i of block b runs at `starts[b] + i`.
/// Returns {"accepted" (B,), "emitted" (B, K, d) NaN-padded, "emitted_len" (B,), "tries" (B,)}.
#[pyfunction]
#[pyo3(signature = (payloads, drafts, target_mean, target_sigma, seed, starts, mode = "exact", bias = 1.0))]
#[allow(clippy::too_many_arguments)]
pub fn gauss_verify_blocks<'py>(
    py: Python<'py>,
    payloads: &PyPsiGaussianBatch,
    drafts: PyReadonlyArray3<'py, f64>,
    target_mean: PyReadonlyArray3<'py, f64>,
    target_sigma: PyReadonlyArray3<'py, f64>,
    seed: u64,
    starts: PyReadonlyArray1<'py, u64>,
    mode: &str,
    bias: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let mode = Mode::from_name(mode, bias)?;
    let shape = drafts.shape().to_vec();
    for (field, other) in [
        ("target_mean", target_mean.shape()),
        ("target_sigma", target_sigma.shape()),
    ] {
        if other != shape.as_slice() {
            return Err(ArgumentError::new(
                field,
                format!("has shape {other:?}, drafts has {shape:?}"),
            )
            .into());
        }
    }
    let (blocks, k, d) = (shape[0], shape[1], shape[2]);
    if d != payloads.d {
        return Err(ArgumentError::new(
            "drafts",
            format!("has d = {d}, the payloads have d = {}", payloads.d),
        )
        .into());
    }
    let starts = slice(&starts, "starts")?;
    if starts.len() != blocks {
        return Err(ArgumentError::new(
            "starts",
            format!("has {} entries, drafts has {blocks} blocks", starts.len()),
        )
        .into());
    }
    let (drafts, mean, sigma) = (
        row_major(&drafts),
        row_major(&target_mean),
        row_major(&target_sigma),
    );
    let rows_in = payloads.payloads();
    let target = TargetRows {
        mean: &mean,
        sigma: &sigma,
    };
    let verdicts = py.detach(|| verify_blocks(&rows_in, &drafts, target, k, mode, seed, starts))?;
    columns(
        py,
        [
            ("accepted", verdicts.accepted.into_pyarray(py).into_any()),
            (
                "emitted",
                verdicts
                    .emitted
                    .into_pyarray(py)
                    .reshape([blocks, k, d])?
                    .into_any(),
            ),
            (
                "emitted_len",
                verdicts.emitted_len.into_pyarray(py).into_any(),
            ),
            ("tries", verdicts.tries.into_pyarray(py).into_any()),
        ],
    )
}

/// One draw per target row (mean, sigma: (N, d)) at `steps[b]` of `seed` on the verifier's
/// stream (its own lanes): (N, d).
#[pyfunction]
pub fn gauss_draw_target<'py>(
    py: Python<'py>,
    target_mean: PyReadonlyArray2<'py, f64>,
    target_sigma: PyReadonlyArray2<'py, f64>,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyAny>> {
    if target_mean.shape() != target_sigma.shape() {
        return Err(ArgumentError::new(
            "target_sigma",
            format!(
                "has shape {:?}, target_mean has {:?}",
                target_sigma.shape(),
                target_mean.shape()
            ),
        )
        .into());
    }
    let (mean, d) = rows(&target_mean);
    let (sigma, _) = rows(&target_sigma);
    let steps = slice(&steps, "steps")?;
    let target = TargetRows {
        mean: &mean,
        sigma: &sigma,
    };
    let values = py.detach(|| draw_target(target, d, seed, steps))?;
    let n = values.len() / d.max(1);
    Ok(values.into_pyarray(py).reshape([n, d])?.into_any())
}

/// The RNG words of lanes `first_lane..first_lane + count` of (seed, stream, step): (count, 2).
#[pyfunction]
pub fn rng_lane_words<'py>(
    py: Python<'py>,
    seed: u64,
    stream: u32,
    step: u64,
    first_lane: u32,
    count: u32,
) -> PyResult<Bound<'py, PyAny>> {
    let end = first_lane.checked_add(count).ok_or_else(|| {
        ArgumentError::new(
            "count",
            format!("lanes {first_lane} + {count} overflow 32 bits"),
        )
    })?;
    let flat: Vec<u64> = (first_lane..end)
        .flat_map(|lane| words_lane(seed, stream, step, lane))
        .collect();
    Ok(flat
        .into_pyarray(py)
        .reshape([count as usize, 2])?
        .into_any())
}

/// The `libm` crate's `name` ("exp", "log", "sin", "cos", "sqrt") of each value: the portable
/// functions the core's bit-exact contract uses.
#[pyfunction]
pub fn libm_map<'py>(
    py: Python<'py>,
    name: &str,
    values: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let function: fn(f64) -> f64 = match name {
        "exp" => libm::exp,
        "log" => libm::log,
        "sin" => libm::sin,
        "cos" => libm::cos,
        "sqrt" => libm::sqrt,
        other => {
            return Err(ArgumentError::new(
                "name",
                format!("must be exp, log, sin, cos or sqrt, got {other:?}"),
            )
            .into())
        }
    };
    let values = row_major(&values);
    Ok(values
        .iter()
        .map(|&v| function(v))
        .collect::<Vec<_>>()
        .into_pyarray(py))
}
