//! Bindings for block drafting: the n-gram model, batched crafting and TSU draws, and the
//! batched block verifier. Every long loop runs with the GIL released.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use rayon::prelude::*;

use super::arrays::{rows, slice};
use super::errors::{argument_error, to_py};
use super::psi::PyPsiTopK;
use crate::block::{verify_batch, BlockInput};
use crate::craft::{craft_topk, EpsChoice};
use crate::error::ArgumentError;
use crate::ngram::NgramModel;
use crate::psi::PsiTopK;
use crate::tsu::draw_each;

type VerdictArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u64>>,
);
type DrawArrays<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f64>>);

/// A token n-gram language model with interpolated Kneser–Ney smoothing.
#[pyclass(name = "NgramModel", module = "tsd", frozen)]
pub struct PyNgramModel {
    inner: NgramModel,
}

#[pymethods]
impl PyNgramModel {
    /// Trains an order-`order` model on token ids below `vocab`.
    #[staticmethod]
    fn train(
        py: Python<'_>,
        tokens: PyReadonlyArray1<'_, u32>,
        vocab: u32,
        order: usize,
    ) -> PyResult<Self> {
        let tokens = slice(&tokens, "tokens")?;
        py.detach(|| NgramModel::train(tokens, vocab, order))
            .map(|inner| Self { inner })
            .map_err(|err| argument_error(&err))
    }

    #[getter]
    fn order(&self) -> usize {
        self.inner.order()
    }

    #[getter]
    fn vocab(&self) -> u32 {
        self.inner.vocab()
    }

    /// Distinct contexts per level, from the empty context (level 1) up.
    #[getter]
    fn contexts_per_level(&self) -> Vec<usize> {
        self.inner.contexts_per_level()
    }

    /// The absolute discount of each level.
    #[getter]
    fn discounts(&self) -> Vec<f64> {
        self.inner.discounts().to_vec()
    }

    /// ln p(· | history) for each history `tokens[offsets[b]:offsets[b + 1]]`: shape (B, V).
    fn logprobs_batch<'py>(
        &self,
        py: Python<'py>,
        tokens: PyReadonlyArray1<'py, u32>,
        offsets: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let (tokens, offsets) = (slice(&tokens, "tokens")?, slice(&offsets, "offsets")?);
        let rows = offsets.len().saturating_sub(1);
        let out = py.detach(|| self.inner.logprobs_batch(tokens, offsets))?;
        out.into_pyarray(py)
            .reshape([rows, self.inner.vocab() as usize])
    }
}

/// Crafts one top-K ψ per row of `p` (shape (B, V)); `eps=None` selects "auto".
#[pyfunction]
#[pyo3(signature = (p, k, tau, eps))]
pub fn craft_psi_rows(
    py: Python<'_>,
    p: PyReadonlyArray2<'_, f64>,
    k: usize,
    tau: f64,
    eps: Option<f64>,
) -> PyResult<Vec<PyPsiTopK>> {
    let (values, width) = rows(&p);
    let choice = eps.map_or(EpsChoice::Auto, EpsChoice::Fixed);
    let crafted: Result<Vec<PsiTopK>, _> = py.detach(|| {
        values
            .par_chunks(width.max(1))
            .map(|row| craft_topk(row, k, tau as f32, choice))
            .collect()
    });
    Ok(crafted
        .map_err(to_py)?
        .into_iter()
        .map(|inner| PyPsiTopK { inner })
        .collect())
}

/// One SimTSU draw per payload: payload b at step `steps[b]` of `seed`: (tokens, log q).
#[pyfunction]
pub fn tsu_draw_each<'py>(
    py: Python<'py>,
    psis: Vec<PyRef<'py, PyPsiTopK>>,
    seed: u64,
    steps: PyReadonlyArray1<'py, u64>,
) -> PyResult<DrawArrays<'py>> {
    let steps = slice(&steps, "steps")?;
    let payloads: Vec<&PsiTopK> = psis.iter().map(|p| &p.inner).collect();
    let (tokens, logq) = py
        .detach(|| draw_each(&payloads, seed, steps))
        .map_err(|err| argument_error(&err))?;
    Ok((tokens.into_pyarray(py), logq.into_pyarray(py)))
}

/// Verifies B drafted blocks at once. Sequence b owns `lengths[b]` payloads, tokens and log q
/// values (consecutive in the flat inputs) and `lengths[b] + 1` rows of `target_logp`.
/// `realised_logq`, one row per payload, is the distribution a backend other than the
/// simulated TSU sampled from; without it the residual uses F(ψ).
/// Returns (accepted per sequence, emitted tokens flat, offsets of each sequence's tokens).
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
) -> PyResult<VerdictArrays<'py>> {
    let (table, vocab) = rows(&target_logp);
    let realised_rows = realised_logq.as_ref().map(|array| rows(array).0);
    let realised = realised_rows.as_deref();
    let (tokens, logq) = (slice(&tokens, "tokens")?, slice(&logq, "logq")?);
    let (lengths, seeds, steps) = (
        slice(&lengths, "lengths")?,
        slice(&seeds, "seeds")?,
        slice(&steps, "steps")?,
    );
    let fail = |field, reason: String| Err(argument_error(&ArgumentError::new(field, reason)));
    if seeds.len() != lengths.len() || steps.len() != lengths.len() {
        return fail(
            "seeds",
            format!("{} sequences need as many seeds and steps", lengths.len()),
        );
    }
    let drafts: usize = lengths.iter().map(|&l| l as usize).sum();
    if psis.len() != drafts || tokens.len() != drafts || logq.len() != drafts {
        return fail(
            "lengths",
            format!(
                "lengths add up to {drafts} drafts; got {} payloads, {} tokens, {} log q",
                psis.len(),
                tokens.len(),
                logq.len()
            ),
        );
    }
    if table.len() != (drafts + lengths.len()) * vocab {
        return fail(
            "target_logp",
            format!(
                "needs {} rows (one per draft plus one per sequence), got {}",
                drafts + lengths.len(),
                table.len() / vocab.max(1)
            ),
        );
    }
    let payloads: Vec<PsiTopK> = psis.iter().map(|p| p.inner.clone()).collect();
    let mut inputs = Vec::with_capacity(lengths.len());
    let (mut draft, mut row) = (0usize, 0usize);
    for (b, &l) in lengths.iter().enumerate() {
        let l = l as usize;
        inputs.push(BlockInput {
            rows: &table[row * vocab..(row + l + 1) * vocab],
            realised: realised.map(|r| r.get(draft * vocab..(draft + l) * vocab).unwrap_or(&[])),
            psis: &payloads[draft..draft + l],
            tokens: &tokens[draft..draft + l],
            logq: &logq[draft..draft + l],
            seed: seeds[b],
            step: steps[b],
        });
        draft += l;
        row += l + 1;
    }
    let verdicts = py
        .detach(|| verify_batch(&inputs, vocab, parallel))
        .map_err(|err| argument_error(&err))?;
    let accepted: Vec<u32> = verdicts.iter().map(|v| v.accepted as u32).collect();
    let mut offsets = Vec::with_capacity(verdicts.len() + 1);
    offsets.push(0u64);
    let mut emitted = Vec::new();
    for verdict in verdicts {
        emitted.extend_from_slice(&verdict.emitted);
        offsets.push(emitted.len() as u64);
    }
    Ok((
        accepted.into_pyarray(py),
        emitted.into_pyarray(py),
        offsets.into_pyarray(py),
    ))
}
