//! The proposer's crafting kernels: top-K payloads from probability rows, chain positions,
//! and chains assembled from crafted positions. Every loop runs with the GIL released.

use numpy::{
    IntoPyArray, PyArrayMethods, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::arrays::{columns, row_major, rows};
use super::psi::chain::PyPsiChain;
use super::psi::topk::PyPsiTopK;
use crate::craft::{self, ChainColumns, EpsChoice};

/// Crafts one top-K ψ per row of `p` (shape (B, V)) with `bits`-bit score codes (1..=8);
/// `eps=None` selects "auto".
#[pyfunction]
#[pyo3(signature = (p, k, tau, eps, bits=8))]
pub fn craft_psi_rows(
    py: Python<'_>,
    p: PyReadonlyArray2<'_, f64>,
    k: usize,
    tau: f64,
    eps: Option<f64>,
    bits: u8,
) -> PyResult<Vec<PyPsiTopK>> {
    let (values, width) = rows(&p);
    let choice = eps.map_or(EpsChoice::Auto, EpsChoice::Fixed);
    let crafted = py.detach(|| craft::craft_rows(&values, width, k, tau as f32, choice, bits))?;
    Ok(crafted
        .into_iter()
        .map(|inner| PyPsiTopK { inner })
        .collect())
}

/// Crafts one chain position per sequence: `rows` (B, R, V) holds each sequence's R draft
/// predictions (one per previous slot), `pool` (B, V) the prediction its ids are chosen from;
/// `eps=None` selects "auto". Returns {"ids" (B, K), "codes" (B, R, K), "scales" (B,),
/// "eps" (B,)}.
#[pyfunction]
#[pyo3(signature = (rows, pool, k, eps))]
pub fn craft_chain_positions<'py>(
    py: Python<'py>,
    rows: PyReadonlyArray3<'py, f64>,
    pool: PyReadonlyArray2<'py, f64>,
    k: usize,
    eps: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let shape = [rows.shape()[0], rows.shape()[1], rows.shape()[2]];
    let values = row_major(&rows);
    let (pools, pool_width) = super::arrays::rows(&pool);
    let choice = eps.map_or(EpsChoice::Auto, EpsChoice::Fixed);
    let crafted =
        py.detach(|| craft::craft_chain_positions(&values, shape, &pools, pool_width, k, choice))?;
    let [batch, count, _] = shape;
    columns(
        py,
        [
            (
                "ids",
                crafted.ids.into_pyarray(py).reshape([batch, k])?.into_any(),
            ),
            (
                "codes",
                crafted
                    .codes
                    .into_pyarray(py)
                    .reshape([batch, count, k])?
                    .into_any(),
            ),
            ("scales", crafted.scales.into_pyarray(py).into_any()),
            ("eps", crafted.eps.into_pyarray(py).into_any()),
        ],
    )
}

/// Assembles B chains from crafted positions: `ids` (B, L, K), `codes` (B, rows, K) with
/// rows = 1 + (L − 1)(K + 1), `scales` and `eps` (B, L).
#[pyfunction]
pub fn chains_from_positions(
    py: Python<'_>,
    vocab: u32,
    tau: f64,
    ids: PyReadonlyArray3<'_, u32>,
    codes: PyReadonlyArray3<'_, u8>,
    scales: PyReadonlyArray2<'_, f32>,
    eps: PyReadonlyArray2<'_, f32>,
) -> PyResult<Vec<PyPsiChain>> {
    let shape = [ids.shape()[0], ids.shape()[1], ids.shape()[2]];
    let (scales, scale_width) = rows(&scales);
    let (eps, eps_width) = rows(&eps);
    let (ids, codes) = (row_major(&ids), row_major(&codes));
    let columns = ChainColumns {
        vocab,
        tau: tau as f32,
        shape,
        ids: &ids,
        codes: &codes,
        scales: &scales,
        scale_width,
        eps: &eps,
        eps_width,
    };
    let chains = py.detach(|| craft::chains_from_positions(&columns))?;
    Ok(chains
        .into_iter()
        .map(|inner| PyPsiChain { inner })
        .collect())
}
