//! The simulated TSU for chain payloads: ancestral sampling, one position after another.
//!
//! Position i of the block drawn at `step` reads the words (seed, TSU stream, step + i) and
//! draws from the conditional payload the previous draw selects, with the top-K [`Sampler`];
//! so a chain draw equals the L single draws the per-token drafting loop would make with the
//! same payloads, and every returned log q equals [`crate::fmap::chain_logq`] bit for bit.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use crate::error::ArgumentError;
use crate::limits::step_range;
use crate::psi::chain::{row_index, PsiChain};
use crate::rng::{words, STREAM_TSU};
use crate::tsu::{Draws, Sampler};

fn check_outputs(length: usize, tokens: &[u32], logq: &[f64]) -> Result<(), ArgumentError> {
    if tokens.len() != length || logq.len() != length {
        return Err(ArgumentError::new(
            "tokens",
            format!(
                "a chain of L = {length} fills {length} tokens and log q values, got {} and {}",
                tokens.len(),
                logq.len()
            ),
        ));
    }
    Ok(())
}

/// Draws one block of a chain used once, preparing only the L conditionals the draw visits
/// (the same tokens and log q as [`ChainSampler::draw`], at O(L·K) set-up instead of O(L·K²)).
pub fn draw_once(
    chain: &PsiChain,
    seed: u64,
    step: u64,
    tokens: &mut [u32],
    logq: &mut [f64],
) -> Result<(), ArgumentError> {
    check_outputs(chain.len(), tokens, logq)?;
    step_range("steps", step, chain.len() as u64)?;
    let mut previous = 0;
    for position in 0..chain.len() {
        let sampler = Sampler::new(&chain.conditional(position, previous));
        let (token, lq) = sampler.draw(words(seed, STREAM_TSU, step + position as u64));
        (tokens[position], logq[position]) = (token, lq);
        previous = chain.slot_of(position, token);
    }
    Ok(())
}

/// A chain prepared for repeated draws: one [`Sampler`] per (position, previous slot).
#[derive(Debug, Clone)]
pub struct ChainSampler {
    k: usize,
    ids: Vec<Vec<u32>>,
    /// Position 0's sampler, then K + 1 per later position.
    samplers: Vec<Sampler>,
}

impl ChainSampler {
    pub fn new(chain: &PsiChain) -> Self {
        let samplers = (0..chain.len())
            .flat_map(|position| {
                (0..chain.rows(position))
                    .map(move |row| Sampler::new(&chain.conditional(position, row)))
            })
            .collect();
        Self {
            k: chain.k(),
            ids: (0..chain.len()).map(|p| chain.ids(p).to_vec()).collect(),
            samplers,
        }
    }

    /// The number of positions L.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always false: a chain has at least one position.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Draws the block for `step` of `seed` into `tokens` and `logq` (each of length L).
    pub fn draw(
        &self,
        seed: u64,
        step: u64,
        tokens: &mut [u32],
        logq: &mut [f64],
    ) -> Result<(), ArgumentError> {
        let length = self.len();
        check_outputs(length, tokens, logq)?;
        step_range("steps", step, length as u64)?;
        let mut row = 0;
        for position in 0..length {
            let sampler = &self.samplers[row];
            let (token, lq) = sampler.draw(words(seed, STREAM_TSU, step + position as u64));
            (tokens[position], logq[position]) = (token, lq);
            let slot = self.ids[position].binary_search(&token).unwrap_or(self.k);
            // Samplers are stored in code-row order.
            row = row_index(position + 1, slot, self.k);
        }
        Ok(())
    }
}

/// A chain compared by value, bit for bit (every f32 field by its bits, so ±0 differ), and
/// hashed by a fingerprint of the same bits, computed once per chain.
struct ByValue<'a> {
    chain: &'a PsiChain,
    fingerprint: u64,
}

/// Folds one 64-bit word into a fingerprint (the multiply-rotate step of rustc's FxHash).
fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

impl<'a> ByValue<'a> {
    fn new(chain: &'a PsiChain) -> Self {
        let header = [
            u64::from(chain.vocab()),
            chain.k() as u64,
            u64::from(chain.tau().to_bits()),
        ];
        let floats = chain.scales().iter().chain(chain.eps());
        let codes = chain.all_codes().chunks(8).map(|bytes| {
            let mut word = [0u8; 8];
            word[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(word)
        });
        let fingerprint = header
            .into_iter()
            .chain(chain.all_ids().iter().map(|&id| u64::from(id)))
            .chain(floats.map(|v| u64::from(v.to_bits())))
            .chain(codes)
            .fold(0, mix);
        Self { chain, fingerprint }
    }
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl PartialEq for ByValue<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.chain, other.chain);
        std::ptr::eq(a, b)
            || (self.fingerprint == other.fingerprint
                && a.vocab() == b.vocab()
                && a.k() == b.k()
                && a.tau().to_bits() == b.tau().to_bits()
                && a.all_ids() == b.all_ids()
                && a.all_codes() == b.all_codes()
                && same_bits(a.scales(), b.scales())
                && same_bits(a.eps(), b.eps()))
    }
}

impl Eq for ByValue<'_> {}

impl Hash for ByValue<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.fingerprint.hash(state);
    }
}

/// One SimTSU block per chain: chain b's position i at step `steps[b] + i` of `seed`; every
/// chain must have the same L. Equal chains (by value) are prepared once and shared; a chain
/// used once is drawn without preparing the conditionals its draw does not visit. Either way
/// the draws are those of [`draw_once`]. Returns B × L tokens and log q, row-major.
pub fn draw_chains(chains: &[&PsiChain], seed: u64, steps: &[u64]) -> Result<Draws, ArgumentError> {
    let fail = |reason: String| Err(ArgumentError::new("chains", reason));
    if steps.len() != chains.len() {
        return fail(format!(
            "{} chains need as many steps, got {}",
            chains.len(),
            steps.len()
        ));
    }
    let length = chains.first().map_or(0, |c| c.len());
    if let Some(b) = chains.iter().position(|c| c.len() != length) {
        return fail(format!(
            "one batch needs one L: chain 0 has L = {length}, chain {b} has L = {}",
            chains[b].len()
        ));
    }
    let keys: Vec<ByValue<'_>> = chains.par_iter().map(|chain| ByValue::new(chain)).collect();
    let mut group_of: HashMap<ByValue<'_>, usize> = HashMap::with_capacity(keys.len());
    let (mut first_use, mut uses) = (Vec::new(), Vec::new());
    let groups: Vec<usize> = keys
        .into_iter()
        .enumerate()
        .map(|(b, key)| {
            let g = *group_of.entry(key).or_insert_with(|| {
                first_use.push(b);
                uses.push(0usize);
                first_use.len() - 1
            });
            uses[g] += 1;
            g
        })
        .collect();
    let prepared: Vec<Option<ChainSampler>> = uses
        .par_iter()
        .zip(&first_use)
        .map(|(&n, &b)| (n > 1).then(|| ChainSampler::new(chains[b])))
        .collect();
    let mut tokens = vec![0u32; chains.len() * length];
    let mut logq = vec![0f64; chains.len() * length];
    tokens
        .par_chunks_mut(length.max(1))
        .zip(logq.par_chunks_mut(length.max(1)))
        .zip(chains.par_iter().zip(steps).zip(&groups))
        .try_for_each(|((t, l), ((chain, &step), &g))| match &prepared[g] {
            Some(sampler) => sampler.draw(seed, step, t, l),
            None => draw_once(chain, seed, step, t, l),
        })?;
    Ok(Draws { tokens, logq })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmap::{chain_logq, dense_logq};
    use crate::psi::chain::code_rows;
    use crate::tsu::SimTsu;

    fn chain() -> PsiChain {
        let (vocab, length, k) = (5u32, 3usize, 2usize);
        let ids = vec![0, 3, 1, 2, 2, 4];
        let codes: Vec<u8> = (0..code_rows(length, k) * k)
            .map(|i| (i * 97 % 256) as u8)
            .collect();
        PsiChain::new(
            vocab,
            k,
            0.7,
            ids,
            codes,
            vec![0.01, 0.02, 0.015],
            vec![0.05, 0.1, 0.02],
        )
        .unwrap()
    }

    #[test]
    fn a_chain_draw_is_the_per_position_draws_bit_for_bit() {
        let chain = chain();
        let sampler = ChainSampler::new(&chain);
        let tsu = SimTsu::new(9);
        let (mut tokens, mut logq) = ([0u32; 3], [0f64; 3]);
        let (mut once_tokens, mut once_logq) = ([0u32; 3], [0f64; 3]);
        for step in (0..3000).map(|s| s * 3) {
            sampler.draw(9, step, &mut tokens, &mut logq).unwrap();
            draw_once(&chain, 9, step, &mut once_tokens, &mut once_logq).unwrap();
            assert_eq!(once_tokens, tokens);
            assert_eq!(once_logq.map(f64::to_bits), logq.map(f64::to_bits));
            let reference = chain_logq(&chain, &tokens).unwrap();
            for (position, psi) in chain.conditionals_for(&tokens).iter().enumerate() {
                let (token, lq) = tsu.draw(&Sampler::new(psi), step + position as u64);
                assert_eq!(token, tokens[position]);
                assert_eq!(lq.to_bits(), logq[position].to_bits());
                assert_eq!(lq.to_bits(), reference[position].to_bits());
            }
        }
    }

    #[test]
    fn the_joint_law_is_the_product_of_the_conditionals() {
        // Exact: the joint mass of every block, from the conditionals, sums to 1.
        let chain = chain();
        let mut total = 0.0;
        for a in 0..5 {
            for b in 0..5 {
                for c in 0..5 {
                    total += chain_logq(&chain, &[a, b, c])
                        .unwrap()
                        .iter()
                        .sum::<f64>()
                        .exp();
                }
            }
        }
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        // Position 1 given a tail token at position 0 uses the tail row.
        let tail = chain.conditional(1, 2);
        assert_eq!(
            chain_logq(&chain, &[4, 1, 2]).unwrap()[1],
            dense_logq(&tail)[1]
        );
    }

    #[test]
    fn bad_shapes_and_step_ranges_are_errors() {
        let sampler = ChainSampler::new(&chain());
        let (mut tokens, mut logq) = ([0u32; 2], [0f64; 3]);
        assert!(sampler.draw(1, 0, &mut tokens, &mut logq).is_err());
        let (mut tokens, mut logq) = ([0u32; 3], [0f64; 3]);
        assert!(sampler
            .draw(1, u64::MAX - 2, &mut tokens, &mut logq)
            .is_err());
        sampler
            .draw(1, u64::MAX - 3, &mut tokens, &mut logq)
            .unwrap();
        assert!(chain_logq(&chain(), &[0, 1]).is_err());
        assert!(chain_logq(&chain(), &[0, 1, 5]).is_err());
    }

    #[test]
    fn a_batch_groups_equal_chains_by_value_and_draws_as_draw_once() {
        let (a, twin) = (chain(), chain());
        let other = PsiChain::new(
            5,
            2,
            0.9,
            vec![1, 2, 0, 4, 3, 4],
            vec![7; code_rows(3, 2) * 2],
            vec![0.02, 0.01, 0.03],
            vec![0.04, 0.02, 0.05],
        )
        .unwrap();
        let batch = [&a, &twin, &other, &a];
        let steps = [0u64, 5, 9, 40];
        let draws = draw_chains(&batch, 4, &steps).unwrap();
        for (b, chain) in batch.iter().enumerate() {
            let (mut tokens, mut logq) = ([0u32; 3], [0f64; 3]);
            draw_once(chain, 4, steps[b], &mut tokens, &mut logq).unwrap();
            assert_eq!(draws.tokens[b * 3..b * 3 + 3], tokens);
            assert_eq!(draws.logq[b * 3..b * 3 + 3], logq);
        }
        assert!(ByValue::new(&a) == ByValue::new(&twin));
        assert!(ByValue::new(&a) != ByValue::new(&other));
        let short = PsiChain::new(5, 2, 0.7, vec![0, 3], vec![1, 2], vec![0.01], vec![0.05]);
        let short = short.unwrap();
        assert_eq!(
            draw_chains(&[&a, &short], 4, &[0, 1]).unwrap_err().field,
            "chains"
        );
        assert_eq!(draw_chains(&[&a], 4, &[0, 1]).unwrap_err().field, "chains");
    }
}
