//! One verified TSD step for a fixed (target, ψ) pair, with every per-pair table precomputed,
//! and the block-wise step driver the fused loops share.

use crate::error::ArgumentError;
use crate::fmap::dense_logq;
use crate::psi::PsiTopK;
use crate::rng::{self, words_block, BLOCK, STREAM_TSU, STREAM_VERIFY};
use crate::tsu::Sampler;
use crate::verify::{accept_ratio, check_logp, decide, Residual};

/// What one step produced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    pub proposed: u32,
    pub logq: f64,
    pub accepted: bool,
    pub emitted: u32,
}

/// The TSU sampler, the residual and the accept ratios for one target row and its ψ.
#[derive(Debug, Clone)]
pub struct StepTables {
    sampler: Sampler,
    residual: Residual,
    /// p(y)/q(y) per token: `verify::accept_ratio` of log p(y) and F(ψ)(y). The TSU's log q
    /// equals F(ψ) bit for bit, so this is the value a per-step computation from the returned
    /// log q gives, and every decision is unchanged (the replay tests check it token for token).
    ratio: Vec<f64>,
}

impl StepTables {
    /// Checks `logp` against ψ and builds the tables.
    pub fn new(logp: &[f64], psi: &PsiTopK) -> Result<Self, ArgumentError> {
        check_logp(logp, psi.vocab())?;
        let logq = dense_logq(psi);
        Ok(Self {
            sampler: Sampler::new(psi),
            residual: Residual::new(logp, &logq),
            ratio: logp
                .iter()
                .zip(&logq)
                .map(|(&lp, &lq)| accept_ratio(lp, lq))
                .collect(),
        })
    }

    /// One TSU draw and its verification, from the step's TSU and verifier words. Always
    /// inlined: it is the body of the fused loops, whose state then stays in registers.
    #[inline(always)]
    pub fn step(&self, tsu_words: [u64; 2], verify_words: [u64; 2]) -> StepOutcome {
        // The residual's guide entry depends only on the table and the word: its load
        // overlaps the TSU's search instead of following a rejection.
        let fraction = rng::unit(verify_words[1]);
        let bucket = self.residual.locate(fraction);
        let (proposed, logq) = self.sampler.draw(tsu_words);
        let (accepted, emitted) = decide(
            verify_words,
            self.ratio[proposed as usize],
            proposed,
            |_| self.residual.draw_at(bucket, fraction),
        );
        StepOutcome {
            proposed,
            logq,
            accepted,
            emitted,
        }
    }
}

/// Calls `visit(tsu_words, verify_words)` for steps `start..start + steps` in order, drawing the
/// words 16 steps at a time. The caller has checked that the range fits in u64.
#[inline]
pub fn for_each_step(
    seed: u64,
    start: u64,
    steps: usize,
    mut visit: impl FnMut([u64; 2], [u64; 2]),
) {
    let end = start + steps as u64;
    for block_start in (start..end).step_by(BLOCK) {
        let tsu_words = words_block(seed, STREAM_TSU, block_start);
        let verify_words = words_block(seed, STREAM_VERIFY, block_start);
        let in_block = (end - block_start).min(BLOCK as u64) as usize;
        for (tsu_w, verify_w) in tsu_words.into_iter().zip(verify_words).take(in_block) {
            visit(tsu_w, verify_w);
        }
    }
}
