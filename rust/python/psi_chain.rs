//! `tsd.PsiChain`: the Python face of [`PsiChain`], and the chain kernels (crafting a
//! position, SimTSU block draws).

use std::collections::HashMap;

use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use rayon::prelude::*;

use super::arrays::{row_major, slice};
use super::convert::{bytes_like, integer, items, real, token_ids};
use super::errors::{argument_error, to_py, validation_error, PsiLengthMismatchError};
use super::psi::{codes_from, ids_from, vocab_from, PyPsiTopK};
use crate::craft::{craft_chain_batch, EpsChoice};
use crate::error::ArgumentError;
use crate::fmap::chain_logq;
use crate::psi_chain::{chains_from_batch, PsiChain};
use crate::tsu_chain::{draw_once, ChainSampler};
use crate::wire_chain::{decode_chain, encode_chain, encoded_chain_len};

type ChainDraws<'py> = (Bound<'py, PyArray2<u32>>, Bound<'py, PyArray2<f64>>);
type CraftedPositions<'py> = (
    Bound<'py, PyArray2<u32>>,
    Bound<'py, PyArray3<u8>>,
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<f32>>,
);

/// Chain proposal payload: L positions of K sorted ids whose score codes depend on the previous
/// position's slot, so one TSU call draws an L-token block. `ids` is (L, K); `codes` has one
/// row for position 0, then K + 1 rows per later position (row a: the previous token filled
/// slot a; row K: it was outside the previous ids); `scales` and `eps` have one entry per
/// position.
#[pyclass(name = "PsiChain", module = "tsd", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyPsiChain {
    pub(crate) inner: PsiChain,
}

/// The rows of a 2-D argument flattened, each converted by `convert` and `width` wide.
fn flat_rows<T>(
    rows: &[Bound<'_, PyAny>],
    width: usize,
    field: &'static str,
    convert: impl Fn(&Bound<'_, PyAny>, &str) -> PyResult<Vec<T>>,
) -> PyResult<Vec<T>> {
    let mut out = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let row = convert(row, &format!("{field} row {r}"))?;
        if row.len() != width {
            return Err(PsiLengthMismatchError::new_err(format!(
                "{field}: row {r} has {} entries, expected K = {width}",
                row.len()
            )));
        }
        out.extend(row);
    }
    Ok(out)
}

/// A sequence of real numbers, each converted by [`real`].
fn reals(values: &Bound<'_, PyAny>, field: &str) -> PyResult<Vec<f32>> {
    items(values, field)?
        .iter()
        .enumerate()
        .map(|(i, value)| Ok(real(value, &format!("{field}: entry {i}"))? as f32))
        .collect()
}

#[pymethods]
impl PyPsiChain {
    /// `ids` is (L, K): L is its number of rows, and every other field must agree with it.
    #[new]
    #[pyo3(signature = (vocab, ids, codes, scales, tau, eps))]
    fn new(
        vocab: &Bound<'_, PyAny>,
        ids: &Bound<'_, PyAny>,
        codes: &Bound<'_, PyAny>,
        scales: &Bound<'_, PyAny>,
        tau: &Bound<'_, PyAny>,
        eps: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let vocab = vocab_from(vocab)?;
        let id_rows = items(ids, "ids")?;
        let k = match id_rows.first() {
            Some(first) => items(first, "ids row 0")?.len(),
            None => 0,
        };
        let inner = PsiChain::new(
            vocab,
            k,
            real(tau, "tau")? as f32,
            flat_rows(&id_rows, k, "ids", ids_from)?,
            flat_rows(&items(codes, "codes")?, k, "codes", codes_from)?,
            reals(scales, "scales")?,
            reals(eps, "eps")?,
        )
        .map_err(|err| validation_error(&err))?;
        Ok(Self { inner })
    }

    /// Decodes and validates a chain payload (kind 2) from any bytes-like object.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        decode_chain(&bytes_like(data, "data")?)
            .map(|inner| Self { inner })
            .map_err(to_py)
    }

    /// The versioned, checksummed wire encoding (see docs/PSI_FORMAT.md).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &encode_chain(&self.inner))
    }

    /// The top-K payload position `position` samples from when the previous token filled
    /// `previous_slot` (K: outside the previous ids); ignored at position 0.
    #[pyo3(
        signature = (position, previous_slot = None),
        text_signature = "(self, position, previous_slot=0)"
    )]
    fn conditional(
        &self,
        position: &Bound<'_, PyAny>,
        previous_slot: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyPsiTopK> {
        let (length, k) = (self.inner.len(), self.inner.k());
        let out_of_range = |field: &'static str, bound: String| {
            move |got: String| {
                argument_error(&ArgumentError::new(
                    field,
                    format!("must be {bound}, got {got}"),
                ))
            }
        };
        let position: usize = integer(
            position,
            "position",
            out_of_range("position", format!("in 0..{length} (L = {length})")),
        )?;
        let previous_slot: usize = match previous_slot {
            Some(slot) => integer(
                slot,
                "previous_slot",
                out_of_range("previous_slot", format!("in 0..={k} (K = {k})")),
            )?,
            None => 0,
        };
        if position >= length {
            return Err(out_of_range(
                "position",
                format!("in 0..{length} (L = {length})"),
            )(position.to_string()));
        }
        if previous_slot > k {
            return Err(out_of_range(
                "previous_slot",
                format!("in 0..={k} (K = {k})"),
            )(previous_slot.to_string()));
        }
        Ok(PyPsiTopK {
            inner: self.inner.conditional(position, previous_slot),
        })
    }

    /// The payload each position of the drawn block `tokens` was sampled from.
    fn conditionals_for(&self, tokens: &Bound<'_, PyAny>) -> PyResult<Vec<PyPsiTopK>> {
        let tokens = token_ids(tokens, "tokens")?;
        self.inner
            .check_block(&tokens)
            .map_err(|err| argument_error(&err))?;
        Ok(self
            .inner
            .conditionals_for(&tokens)
            .into_iter()
            .map(|inner| PyPsiTopK { inner })
            .collect())
    }

    /// log q(x_i | x_{i−1}) per position of the block `tokens`, bit-identical to the TSU's.
    fn logq<'py>(
        &self,
        py: Python<'py>,
        tokens: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        chain_logq(&self.inner, &token_ids(tokens, "tokens")?)
            .map(|values| values.into_pyarray(py))
            .map_err(|err| argument_error(&err))
    }

    #[getter]
    fn vocab(&self) -> u32 {
        self.inner.vocab()
    }
    #[getter(K)]
    fn k(&self) -> usize {
        self.inner.k()
    }
    #[getter(L)]
    fn length(&self) -> usize {
        self.inner.len()
    }
    #[getter]
    fn tau(&self) -> f32 {
        self.inner.tau()
    }
    /// The ids, shape (L, K).
    #[getter]
    fn ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u32>>> {
        PyArray1::from_slice(py, self.inner.all_ids()).reshape([self.inner.len(), self.inner.k()])
    }
    /// The code rows, shape (1 + (L − 1)(K + 1), K).
    #[getter]
    fn codes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        let k = self.inner.k();
        PyArray1::from_slice(py, self.inner.all_codes())
            .reshape([self.inner.all_codes().len() / k, k])
    }
    #[getter]
    fn scales<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.scales())
    }
    #[getter]
    fn eps<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, self.inner.eps())
    }
    /// Encoded size in bytes.
    #[getter]
    fn size_bytes(&self) -> usize {
        encoded_chain_len(self.inner.vocab(), self.inner.len(), self.inner.k())
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let constructor = py.get_type::<Self>().getattr("from_bytes")?;
        let bytes = slf.get().to_bytes(py);
        Ok((constructor, PyTuple::new(py, [bytes])?))
    }

    fn __repr__(&self) -> String {
        format!(
            "PsiChain(vocab={}, L={}, K={}, tau={}, size_bytes={})",
            self.inner.vocab(),
            self.inner.len(),
            self.inner.k(),
            self.inner.tau(),
            self.size_bytes()
        )
    }
}

/// Crafts one chain position per sequence: `rows` (B, R, V) holds each sequence's R draft
/// predictions (one per previous slot), `pool` (B, V) the prediction its ids are chosen from;
/// `eps=None` selects "auto". Returns ids (B, K), codes (B, R, K), scales (B,), eps (B,).
#[pyfunction]
#[pyo3(signature = (rows, pool, k, eps))]
pub fn craft_chain_positions<'py>(
    py: Python<'py>,
    rows: PyReadonlyArray3<'py, f64>,
    pool: PyReadonlyArray2<'py, f64>,
    k: usize,
    eps: Option<f64>,
) -> PyResult<CraftedPositions<'py>> {
    let shape = [rows.shape()[0], rows.shape()[1], rows.shape()[2]];
    let [batch, count, vocab] = shape;
    if pool.shape() != [batch, vocab] {
        return Err(argument_error(&ArgumentError::new(
            "pool",
            format!("must have shape ({batch}, {vocab}) to match rows"),
        )));
    }
    let (values, pools) = (row_major(&rows), row_major(&pool));
    let choice = eps.map_or(EpsChoice::Auto, EpsChoice::Fixed);
    let crafted = py
        .detach(|| craft_chain_batch(&values, &pools, shape, k, choice))
        .map_err(to_py)?;
    let ids: Vec<u32> = crafted.iter().flat_map(|p| p.ids.iter().copied()).collect();
    let codes: Vec<u8> = crafted
        .iter()
        .flat_map(|p| p.codes.iter().copied())
        .collect();
    let scales: Vec<f32> = crafted.iter().map(|p| p.scale).collect();
    let eps: Vec<f32> = crafted.iter().map(|p| p.eps).collect();
    Ok((
        ids.into_pyarray(py).reshape([batch, k])?,
        codes.into_pyarray(py).reshape([batch, count, k])?,
        scales.into_pyarray(py),
        eps.into_pyarray(py),
    ))
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
    for (field, width) in [("scales", scales.shape()[1]), ("eps", eps.shape()[1])] {
        if width != shape[1] {
            return Err(argument_error(&ArgumentError::new(
                field,
                format!("has rows of {width}, expected L = {}", shape[1]),
            )));
        }
    }
    if codes.shape()[2] != shape[2] {
        return Err(argument_error(&ArgumentError::new(
            "codes",
            format!(
                "has rows of {}, expected K = {}",
                codes.shape()[2],
                shape[2]
            ),
        )));
    }
    let (ids, codes) = (row_major(&ids), row_major(&codes));
    let (scales, eps) = (row_major(&scales), row_major(&eps));
    let chains =
        py.detach(|| chains_from_batch(vocab, tau as f32, shape, &ids, &codes, &scales, &eps))?;
    Ok(chains
        .into_iter()
        .map(|inner| PyPsiChain { inner })
        .collect())
}

/// One SimTSU block per chain: chain b's position i at step `steps[b] + i` of `seed`.
/// Every chain must have the same L. Returns tokens and log q, each (B, L).
#[pyfunction]
pub fn tsu_draw_chains<'py>(
    py: Python<'py>,
    chains: Vec<PyRef<'py, PyPsiChain>>,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<ChainDraws<'py>> {
    let steps = slice(&steps, "steps")?;
    let fail = |reason: String| Err(argument_error(&ArgumentError::new("chains", reason)));
    if steps.len() != chains.len() {
        return fail(format!(
            "{} chains need as many steps, got {}",
            chains.len(),
            steps.len()
        ));
    }
    let length = chains.first().map_or(0, |c| c.inner.len());
    if let Some(b) = chains.iter().position(|c| c.inner.len() != length) {
        return fail(format!(
            "one batch needs one L: chain 0 has L = {length}, chain {b} has L = {}",
            chains[b].inner.len()
        ));
    }
    let payloads: Vec<&PsiChain> = chains.iter().map(|c| &c.inner).collect();
    // A chain object passed more than once is prepared once; a chain used once is drawn
    // without preparing the conditionals its draw does not visit.
    let mut group_of: HashMap<*const PyPsiChain, usize> = HashMap::new();
    let (mut first_use, mut uses) = (Vec::new(), Vec::new());
    let groups: Vec<usize> = chains
        .iter()
        .enumerate()
        .map(|(b, c)| {
            let g = *group_of
                .entry(&**c as *const PyPsiChain)
                .or_insert_with(|| {
                    first_use.push(b);
                    uses.push(0usize);
                    first_use.len() - 1
                });
            uses[g] += 1;
            g
        })
        .collect();
    let mut tokens = vec![0u32; payloads.len() * length];
    let mut logq = vec![0f64; payloads.len() * length];
    py.detach(|| {
        let prepared: Vec<Option<ChainSampler>> = uses
            .par_iter()
            .zip(&first_use)
            .map(|(&n, &b)| (n > 1).then(|| ChainSampler::new(payloads[b])))
            .collect();
        tokens
            .par_chunks_mut(length.max(1))
            .zip(logq.par_chunks_mut(length.max(1)))
            .zip(payloads.par_iter().zip(steps).zip(&groups))
            .try_for_each(|((t, l), ((chain, &step), &g))| match &prepared[g] {
                Some(sampler) => sampler.draw(seed, step, t, l),
                None => draw_once(chain, seed, step, t, l),
            })
    })
    .map_err(|err| argument_error(&err))?;
    Ok((
        tokens.into_pyarray(py).reshape([payloads.len(), length])?,
        logq.into_pyarray(py).reshape([payloads.len(), length])?,
    ))
}
