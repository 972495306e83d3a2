//! The simulated TSU: draws y ~ F(ψ) from the (seed, TSU stream, step) block and returns the
//! exact log q(y) from [`LogqTable`], so its log q equals `fmap::logq_for_ids` bit for bit.
//!
//! A draw reads two words: `unit(w0)` picks a slot by inverse CDF over the K slot masses and
//! the tail mass (V − K)·ε, in that order; for the tail slot, `below(w1, V − K)` picks which of
//! the V − K tokens outside the top-K set, uniformly.
//!
//! [`chain`] samples chain payloads ancestrally; `search` is the inverse-CDF search both use.

pub mod chain;
pub mod gauss;
pub(crate) mod search;

use rayon::prelude::*;

use crate::error::{ArgumentError, TsdError};
use crate::fmap::LogqTable;
use crate::limits::{column_len, in_chunks, reserve, step_range};
use crate::psi::PsiTopK;
use crate::rng::{self, STREAM_TSU};
use search::GuidedCdf;

/// A ψ prepared for repeated draws: the inverse-CDF table and the log q table.
#[derive(Debug, Clone)]
pub struct Sampler {
    ids: Vec<u32>,
    /// ids[i] − i: how many non-ids lie below ids[i] (non-decreasing).
    gaps: Vec<u32>,
    /// For rank bucket b (rank · K / tail_count = b), the answer for the bucket's smallest
    /// rank: where the scan over `gaps` may start.
    tail_guide: Vec<u32>,
    table: LogqTable,
    /// Cumulative masses: slots 0..K, then the tail. Built from exp(log q) in slot order.
    cdf: GuidedCdf,
    tail_count: u64,
}

impl Sampler {
    pub fn new(psi: &PsiTopK) -> Self {
        let table = LogqTable::new(psi);
        let masses: Vec<f64> = (0..psi.k())
            .map(|slot| libm::exp(table.slot(slot)))
            .chain(std::iter::once(psi.tail_mass()))
            .collect();
        let gaps: Vec<u32> = psi.ids().iter().zip(0..).map(|(&id, i)| id - i).collect();
        let tail_count = u64::from(psi.tail_count());
        let buckets = psi.k() as u64;
        let tail_guide = (0..buckets)
            .map(|b| {
                // Smallest rank r with r · buckets / tail_count = b (exact integer ceiling).
                let first_rank = (b * tail_count).div_ceil(buckets);
                gaps.partition_point(|&gap| u64::from(gap) <= first_rank) as u32
            })
            .collect();
        Self {
            ids: psi.ids().to_vec(),
            gaps,
            tail_guide,
            table,
            cdf: GuidedCdf::from_masses(&masses),
            tail_count,
        }
    }

    /// The token and its log q for one pair of random words (always inlined: it is the
    /// first half of the fused loops' step).
    #[inline(always)]
    pub fn draw(&self, words: [u64; 2]) -> (u32, f64) {
        let u = rng::unit(words[0]);
        let slot = self.cdf.draw(u, u);
        if slot < self.ids.len() {
            (self.ids[slot], self.table.slot(slot))
        } else {
            let rank = rng::below(words[1], self.tail_count) as u32;
            (self.nth_outside(rank), self.table.tail())
        }
    }

    /// The `rank`-th token (0-based, ascending) that is not among the sorted ids: `rank` plus
    /// the number of ids with at most `rank` non-ids below them, counted from the guide's start.
    #[inline]
    fn nth_outside(&self, rank: u32) -> u32 {
        let bucket = u64::from(rank) * self.gaps.len() as u64 / self.tail_count;
        let mut below = self.tail_guide[bucket as usize] as usize;
        while below < self.gaps.len() && self.gaps[below] <= rank {
            below += 1;
        }
        rank + below as u32
    }

    pub fn table(&self) -> &LogqTable {
        &self.table
    }
}

/// The simulated TSU for one seed: its draw for step s depends only on (seed, s).
#[derive(Debug, Clone, Copy)]
pub struct SimTsu {
    seed: u64,
}

impl SimTsu {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    pub fn draw(&self, sampler: &Sampler, step: u64) -> (u32, f64) {
        sampler.draw(rng::words(self.seed, STREAM_TSU, step))
    }
}

/// Tokens and their log q, one entry per draw (a chain batch: B × L, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    pub tokens: Vec<u32>,
    pub logq: Vec<f64>,
}

/// SimTSU draws of one payload for steps `start..start + count` of `seed`. `count` is bounded
/// by [`MAX_STEPS_PER_CALL`](crate::limits::MAX_STEPS_PER_CALL) and checked before anything is
/// allocated; `between_chunks` runs between chunks of the loop.
pub fn draw_range<E: From<TsdError>>(
    psi: &PsiTopK,
    seed: u64,
    start: u64,
    count: u64,
    between_chunks: impl FnMut() -> Result<(), E>,
) -> Result<Draws, E> {
    let range = step_range("start_step", start, count).map_err(TsdError::from)?;
    let len = column_len("count", count).map_err(TsdError::from)?;
    let mut tokens = reserve("tokens", len).map_err(TsdError::from)?;
    let mut logq = reserve("logq", len).map_err(TsdError::from)?;
    let (tsu, sampler) = (SimTsu::new(seed), Sampler::new(psi));
    in_chunks(range, between_chunks, |chunk_start, chunk_len| {
        for step in chunk_start..chunk_start + chunk_len as u64 {
            let (token, lq) = tsu.draw(&sampler, step);
            tokens.push(token);
            logq.push(lq);
        }
        Ok(())
    })?;
    Ok(Draws { tokens, logq })
}

/// One SimTSU draw per payload, payload b at step `steps[b]` of `seed`, in parallel; each step
/// is checked against the one rule of [`crate::limits`].
pub fn draw_each(psis: &[&PsiTopK], seed: u64, steps: &[u64]) -> Result<Draws, ArgumentError> {
    if steps.len() != psis.len() {
        return Err(ArgumentError::new(
            "steps",
            format!(
                "{} payloads need as many steps, got {}",
                psis.len(),
                steps.len()
            ),
        ));
    }
    for &step in steps {
        step_range("steps", step, 1)?;
    }
    let (tokens, logq) = psis
        .par_iter()
        .zip(steps)
        .map(|(psi, &step)| Sampler::new(psi).draw(rng::words(seed, STREAM_TSU, step)))
        .unzip();
    Ok(Draws { tokens, logq })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmap::logq_for_ids;
    use crate::limits::{uninterrupted, LAST_STEP};

    #[test]
    fn returned_logq_is_the_reference_value_bit_for_bit() {
        let psi = PsiTopK::new(
            50,
            vec![3, 7, 20, 49],
            vec![0, 90, 200, 255],
            0.01,
            1.1,
            0.004,
        )
        .unwrap();
        let sampler = Sampler::new(&psi);
        let tsu = SimTsu::new(11);
        for step in 0..2000 {
            let (token, logq) = tsu.draw(&sampler, step);
            let reference = logq_for_ids(&psi, &[token]).unwrap()[0];
            assert_eq!(logq.to_bits(), reference.to_bits());
        }
    }

    #[test]
    fn tail_ranks_skip_the_top_k_ids() {
        let psi = PsiTopK::new(8, vec![0, 2, 3, 7], vec![0; 4], 0.0, 1.0, 0.1).unwrap();
        let sampler = Sampler::new(&psi);
        let outside: Vec<u32> = (0..4).map(|r| sampler.nth_outside(r)).collect();
        assert_eq!(outside, vec![1, 4, 5, 6]);
        let wide = PsiTopK::new(1000, vec![0, 1, 5, 998], vec![0; 4], 0.0, 1.0, 0.001).unwrap();
        let sampler = Sampler::new(&wide);
        let expected: Vec<u32> = (0..1000).filter(|t| ![0, 1, 5, 998].contains(t)).collect();
        let got: Vec<u32> = (0..996).map(|r| sampler.nth_outside(r)).collect();
        assert_eq!(got, expected);
        let ids: Vec<u32> = (0..300)
            .map(|i| i * i % 997)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let k = ids.len();
        let dense = PsiTopK::new(997, ids.clone(), vec![0; k], 0.0, 1.0, 0.0001).unwrap();
        let sampler = Sampler::new(&dense);
        let expected: Vec<u32> = (0..997).filter(|t| !ids.contains(t)).collect();
        let got: Vec<u32> = (0..expected.len() as u32)
            .map(|r| sampler.nth_outside(r))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn zero_eps_never_draws_the_tail_even_at_the_top_uniform() {
        let psi = PsiTopK::new(5, vec![1, 4], vec![0, 255], 0.05, 1.0, 0.0).unwrap();
        let sampler = Sampler::new(&psi);
        assert_eq!(sampler.draw([u64::MAX, u64::MAX]).0, 4);
        assert_eq!(sampler.draw([0, 0]).0, 1);
    }

    #[test]
    fn draw_range_equals_single_draws_and_checks_its_range() {
        let psi = PsiTopK::new(9, vec![2, 5], vec![10, 20], 0.1, 1.0, 0.05).unwrap();
        let sampler = Sampler::new(&psi);
        let tsu = SimTsu::new(3);
        let draws = draw_range::<TsdError>(&psi, 3, 100, 64, uninterrupted).unwrap();
        for i in 0..64 {
            assert_eq!(
                (draws.tokens[i], draws.logq[i]),
                tsu.draw(&sampler, 100 + i as u64)
            );
        }
        let field = |err: TsdError| match err {
            TsdError::Argument(a) => a.field,
            other => panic!("{other:?}"),
        };
        let draw = |start, count| draw_range::<TsdError>(&psi, 3, start, count, uninterrupted);
        assert_eq!(field(draw(u64::MAX, 1).unwrap_err()), "start_step");
        assert_eq!(field(draw(0, 10_000_000_000).unwrap_err()), "count");
        assert_eq!(field(draw(0, 1 << 62).unwrap_err()), "count");
        assert_eq!(draw(LAST_STEP, 1).unwrap().tokens.len(), 1);
    }

    #[test]
    fn draw_each_is_single_draws_and_keeps_the_step_rule() {
        let psi = PsiTopK::new(9, vec![2, 5], vec![10, 20], 0.1, 1.0, 0.05).unwrap();
        let draws = draw_each(&[&psi, &psi], 4, &[7, LAST_STEP]).unwrap();
        let (tokens, logq) = (draws.tokens, draws.logq);
        let sampler = Sampler::new(&psi);
        assert_eq!((tokens[0], logq[0]), SimTsu::new(4).draw(&sampler, 7));
        assert_eq!(
            (tokens[1], logq[1]),
            SimTsu::new(4).draw(&sampler, LAST_STEP)
        );
        assert_eq!(
            draw_each(&[&psi], 4, &[u64::MAX]).unwrap_err().field,
            "steps"
        );
        assert_eq!(draw_each(&[&psi], 4, &[1, 2]).unwrap_err().field, "steps");
    }
}
