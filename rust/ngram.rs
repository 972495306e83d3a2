//! Token n-gram language models with interpolated Kneser–Ney smoothing (Chen & Goodman, 1999).
//!
//! Why Kneser–Ney: it is the best-performing classical n-gram smoothing, and its lower orders
//! use continuation counts (how many distinct tokens precede an n-gram), which estimate how
//! likely a token is in a *new* context rather than how frequent it is.
//!
//! For order N and history h (the last N − 1 tokens):
//! p_m(w | h_m) = max(c_m(h_m w) − D_m, 0) / c_m(h_m) + D_m · N1+(h_m ·) / c_m(h_m) · p_{m−1}(w | h_{m−1}),
//! with c_N the raw counts, c_m (m < N) the continuation counts N1+(· h_m w), p_0 = 1/V, and a
//! level skipped (p_m = p_{m−1}) when its context was never seen. D_m = n1 / (n1 + 2·n2) from the
//! numbers of level-m counts equal to 1 and 2 (0.5 when the level has no count of 1).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::{AllocationError, ArgumentError, TsdError};
use crate::limits::reserve;
use crate::psi::MAX_VOCAB;

/// Highest supported order.
pub const MAX_ORDER: usize = 8;

/// One context of one level: the total count and each follower's count.
#[derive(Debug, Clone, Default)]
struct Context {
    total: f64,
    followers: Vec<(u32, u32)>,
}

/// A trained model: per level m = 1..=order, contexts of m − 1 tokens.
#[derive(Debug, Clone)]
pub struct NgramModel {
    order: usize,
    vocab: u32,
    levels: Vec<HashMap<u128, Context>>,
    discounts: Vec<f64>,
}

/// Packs up to MAX_ORDER − 1 tokens into one key: base V + 1 digits of token + 1, so that
/// sequences of different lengths never collide.
#[inline]
fn pack(tokens: &[u32], base: u128) -> u128 {
    tokens
        .iter()
        .fold(0u128, |key, &t| key * base + u128::from(t) + 1)
}

/// n-gram counts of one length: key → (count, position of the first occurrence).
type Counts = HashMap<u128, (u32, usize)>;

fn count_ngrams(tokens: &[u32], length: usize, base: u128) -> Counts {
    let mut counts = Counts::new();
    for (pos, window) in tokens.windows(length).enumerate() {
        counts.entry(pack(window, base)).or_insert((0, pos)).0 += 1;
    }
    counts
}

/// Continuation counts of the m-grams: how many distinct (m+1)-grams end with each.
fn continuation_counts(longer: &Counts, tokens: &[u32], m: usize, base: u128) -> Counts {
    let mut counts = Counts::new();
    for &(_, pos) in longer.values() {
        let suffix = &tokens[pos + 1..pos + 1 + m];
        counts.entry(pack(suffix, base)).or_insert((0, pos + 1)).0 += 1;
    }
    counts
}

fn discount(counts: &Counts) -> f64 {
    let n1 = counts.values().filter(|(c, _)| *c == 1).count() as f64;
    let n2 = counts.values().filter(|(c, _)| *c == 2).count() as f64;
    if n1 == 0.0 {
        0.5
    } else {
        n1 / (n1 + 2.0 * n2)
    }
}

fn group_by_context(
    counts: &Counts,
    tokens: &[u32],
    m: usize,
    base: u128,
) -> HashMap<u128, Context> {
    let mut contexts: HashMap<u128, Context> = HashMap::new();
    for &(count, pos) in counts.values() {
        let entry = contexts
            .entry(pack(&tokens[pos..pos + m - 1], base))
            .or_default();
        entry.total += f64::from(count);
        entry.followers.push((tokens[pos + m - 1], count));
    }
    for context in contexts.values_mut() {
        // Hash-map order is arbitrary; sorted followers make every sum order-independent.
        context.followers.sort_unstable();
    }
    contexts
}

impl NgramModel {
    /// Trains an order-`order` model on `tokens` (ids < `vocab`).
    pub fn train(tokens: &[u32], vocab: u32, order: usize) -> Result<Self, ArgumentError> {
        if !(1..=MAX_ORDER).contains(&order) {
            return Err(ArgumentError::new(
                "order",
                format!("must be in 1..={MAX_ORDER}, got {order}"),
            ));
        }
        // A model's predictions become ψ payloads, so it shares their vocabulary bound.
        if !(1..=MAX_VOCAB).contains(&vocab) {
            return Err(ArgumentError::new(
                "vocab",
                format!("must be in 1..={MAX_VOCAB}, got {vocab}"),
            ));
        }
        let base = u128::from(vocab) + 1;
        if base
            .checked_pow(order as u32 - 1)
            .is_none_or(|b| b.checked_mul(base).is_none())
        {
            return Err(ArgumentError::new(
                "vocab",
                format!("vocab {vocab} is too large for order {order} (contexts must pack into 128 bits)"),
            ));
        }
        if tokens.len() < order {
            return Err(ArgumentError::new(
                "tokens",
                format!("need at least order = {order} tokens, got {}", tokens.len()),
            ));
        }
        if let Some(pos) = tokens.iter().position(|&t| t >= vocab) {
            return Err(ArgumentError::new(
                "tokens",
                format!(
                    "token {} at position {pos} is out of range for vocab = {vocab}",
                    tokens[pos]
                ),
            ));
        }
        // Top level: raw counts. Each lower level: continuation counts of the level above.
        let mut counts = count_ngrams(tokens, order, base);
        let mut built = vec![(
            discount(&counts),
            group_by_context(&counts, tokens, order, base),
        )];
        for m in (1..order).rev() {
            counts = continuation_counts(&counts, tokens, m, base);
            built.push((
                discount(&counts),
                group_by_context(&counts, tokens, m, base),
            ));
        }
        built.reverse();
        let (discounts, levels) = built.into_iter().unzip();
        Ok(Self {
            order,
            vocab,
            levels,
            discounts,
        })
    }

    pub fn order(&self) -> usize {
        self.order
    }

    pub fn vocab(&self) -> u32 {
        self.vocab
    }

    /// Number of distinct contexts per level, from level 1 (the empty context) up.
    pub fn contexts_per_level(&self) -> Vec<usize> {
        self.levels.iter().map(HashMap::len).collect()
    }

    /// The discount D_m of each level m = 1..=order.
    pub fn discounts(&self) -> &[f64] {
        &self.discounts
    }

    /// p(· | history) into `out` (length V); only the last order − 1 tokens of `history` matter.
    /// History tokens must be < V (checked by [`NgramModel::check_history`]).
    pub fn probs_into(&self, history: &[u32], out: &mut [f64]) {
        let base = u128::from(self.vocab) + 1;
        out.fill(1.0 / f64::from(self.vocab));
        for m in 1..=self.order {
            if history.len() < m - 1 {
                break;
            }
            let context = &history[history.len() - (m - 1)..];
            let Some(entry) = self.levels[m - 1].get(&pack(context, base)) else {
                continue;
            };
            let d = self.discounts[m - 1];
            let backoff = d * entry.followers.len() as f64 / entry.total;
            for p in out.iter_mut() {
                *p *= backoff;
            }
            for &(w, count) in &entry.followers {
                out[w as usize] += (f64::from(count) - d).max(0.0) / entry.total;
            }
        }
    }

    /// ln p(· | history) into `out`.
    pub fn logprobs_into(&self, history: &[u32], out: &mut [f64]) {
        self.probs_into(history, out);
        for value in out.iter_mut() {
            *value = libm::log(*value);
        }
    }

    /// ln p(· | history) for each history `tokens[offsets[b]..offsets[b + 1]]`, as B rows of V
    /// (row-major). Every range and token is checked, and the output's size before it is
    /// allocated.
    pub fn logprobs_batch(&self, tokens: &[u32], offsets: &[u64]) -> Result<Vec<f64>, TsdError> {
        let histories: Vec<&[u32]> = offsets
            .windows(2)
            .map(|w| {
                usize::try_from(w[0])
                    .ok()
                    .zip(usize::try_from(w[1]).ok())
                    .and_then(|(start, end)| tokens.get(start..end))
                    .ok_or_else(|| {
                        ArgumentError::new(
                            "offsets",
                            format!(
                                "range {}..{} is outside the {} tokens",
                                w[0],
                                w[1],
                                tokens.len()
                            ),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        for history in &histories {
            self.check_history(history)?;
        }
        let vocab = self.vocab as usize;
        let len = histories.len().checked_mul(vocab).ok_or(AllocationError {
            what: "logprobs",
            bytes: histories.len() as u128 * vocab as u128 * 8,
        })?;
        let mut out = reserve("logprobs", len)?;
        out.resize(len, 0.0);
        out.par_chunks_mut(vocab)
            .zip(histories.par_iter())
            .for_each(|(row, history)| self.logprobs_into(history, row));
        Ok(out)
    }

    /// Checks that every history token is a valid id.
    pub fn check_history(&self, history: &[u32]) -> Result<(), ArgumentError> {
        match history.iter().position(|&t| t >= self.vocab) {
            Some(pos) => Err(ArgumentError::new(
                "context",
                format!(
                    "token {} at position {pos} is out of range for vocab = {}",
                    history[pos], self.vocab
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_ids(text: &str) -> (Vec<u32>, u32) {
        let mut alphabet: Vec<char> = text.chars().collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        let ids = text
            .chars()
            .map(|c| alphabet.binary_search(&c).unwrap() as u32)
            .collect();
        (ids, alphabet.len() as u32)
    }

    #[test]
    fn every_conditional_sums_to_one_and_is_positive() {
        let (ids, vocab) =
            text_ids("the cat sat on the mat; the dog sat on the log. that is that.");
        for order in 1..=5 {
            let model = NgramModel::train(&ids, vocab, order).unwrap();
            let mut out = vec![0.0; vocab as usize];
            for end in 0..ids.len() {
                model.probs_into(&ids[..end], &mut out);
                let total: f64 = out.iter().sum();
                assert!((total - 1.0).abs() < 1e-12, "order {order}: {total}");
                assert!(out.iter().all(|&p| p > 0.0));
            }
        }
    }

    #[test]
    fn unigram_level_is_the_continuation_distribution() {
        // "abab": bigrams ab, ba, ab → distinct: ab, ba; continuation counts: b ← {a}, a ← {b}.
        let model = NgramModel::train(&[0, 1, 0, 1], 3, 1).unwrap();
        let mut out = vec![0.0; 3];
        model.probs_into(&[], &mut out);
        // Order 1 alone uses raw counts: a 2, b 2; n1 = 0 → D = 0.5; total 4, two followers.
        let expected_seen = (2.0 - 0.5) / 4.0 + 0.5 * 2.0 / 4.0 / 3.0;
        assert!((out[0] - expected_seen).abs() < 1e-15);
        assert!((out[2] - 0.5 * 2.0 / 4.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn higher_orders_sharpen_on_the_training_text() {
        let (ids, vocab) = text_ids("abcabcabcabcabcabcabd");
        let low = NgramModel::train(&ids, vocab, 1).unwrap();
        let high = NgramModel::train(&ids, vocab, 3).unwrap();
        let (mut p_low, mut p_high) = (vec![0.0; vocab as usize], vec![0.0; vocab as usize]);
        low.probs_into(&ids[..2], &mut p_low);
        high.probs_into(&ids[..2], &mut p_high);
        // Context "ab": abc × 6, abd × 1, D_3 = 1 (one singleton, no doubleton); every level below
        // is uniform here, so p(c | ab) = (6 − 1)/7 + (1 · 2/7) · 1/4.
        assert!(
            (p_high[2] - (5.0 / 7.0 + 2.0 / 7.0 / 4.0)).abs() < 1e-15,
            "{p_high:?}"
        );
        assert!(p_high[2] > p_low[2]);
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(NgramModel::train(&[0, 1], 2, 0).unwrap_err().field, "order");
        assert_eq!(NgramModel::train(&[0, 1], 2, 9).unwrap_err().field, "order");
        assert_eq!(
            NgramModel::train(&[0, 5], 2, 1).unwrap_err().field,
            "tokens"
        );
        assert_eq!(NgramModel::train(&[0], 2, 3).unwrap_err().field, "tokens");
        assert_eq!(
            NgramModel::train(&[0, 1], u32::MAX, 8).unwrap_err().field,
            "vocab"
        );
        assert_eq!(
            NgramModel::train(&[0, 1], u32::MAX, 1).unwrap_err().field,
            "vocab"
        );
        let model = NgramModel::train(&[0, 1, 0], 2, 2).unwrap();
        assert_eq!(model.check_history(&[0, 2]).unwrap_err().field, "context");
        let field = |result: Result<Vec<f64>, TsdError>| match result {
            Err(TsdError::Argument(a)) => a.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(model.logprobs_batch(&[0, 1], &[0, 3])), "offsets");
        assert_eq!(field(model.logprobs_batch(&[0, 1], &[2, 1])), "offsets");
        assert_eq!(field(model.logprobs_batch(&[0, 2], &[0, 2])), "context");
        let rows = model.logprobs_batch(&[0, 1, 1], &[0, 1, 1, 3]).unwrap();
        let mut expected = vec![0.0; 2];
        model.logprobs_into(&[1, 1], &mut expected);
        assert_eq!(rows.len(), 6);
        assert_eq!(&rows[4..], expected.as_slice());
    }
}
