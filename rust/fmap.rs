//! The reference map F(ψ): the log-probability q assigns to each token.
//!
//! q(y) = (1 − (V − K)·ε) · softmax(code · scale / τ)[y] for y among the ids, and ε otherwise.
//! Bit-exact contract: every log q anywhere in the crate comes from [`LogqTable::slot`] or
//! [`LogqTable::tail`], evaluated with the portable `libm` exp/log1p/log and a fixed summation
//! order (ascending id), so the value is the same on every platform and in every code path.

use crate::error::ArgumentError;
use crate::psi::chain::PsiChain;
use crate::psi::PsiTopK;

/// Per-payload constants of F(ψ), computed once and shared by every evaluation.
#[derive(Debug, Clone)]
pub struct LogqTable {
    /// (x_i − max x) per slot, x_i = code_i · scale / τ.
    centred: Vec<f64>,
    /// ln(1 − (V − K)·ε) − ln Σ_i exp(x_i − max x).
    offset: f64,
    /// ln ε (−∞ when ε = 0).
    log_eps: f64,
}

impl LogqTable {
    pub fn new(psi: &PsiTopK) -> Self {
        let step = f64::from(psi.scale()) / f64::from(psi.tau());
        let logits: Vec<f64> = psi.codes().iter().map(|&c| f64::from(c) * step).collect();
        let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let centred: Vec<f64> = logits.iter().map(|&x| x - max).collect();
        // An explicit left-to-right fold: the summation order is part of the contract.
        let sum = centred.iter().fold(0.0, |acc, &d| acc + libm::exp(d));
        let log_top_mass = libm::log1p(-psi.tail_mass());
        Self {
            offset: log_top_mass - libm::log(sum),
            centred,
            log_eps: libm::log(f64::from(psi.eps())),
        }
    }

    /// log q of the token in top-K slot `slot` (ids are sorted, so slot i holds ids[i]).
    #[inline]
    pub fn slot(&self, slot: usize) -> f64 {
        self.offset + self.centred[slot]
    }

    /// log q of any token outside the top-K set.
    #[inline]
    pub fn tail(&self) -> f64 {
        self.log_eps
    }

    /// Number of top-K slots.
    pub fn k(&self) -> usize {
        self.centred.len()
    }
}

/// log q for each token in `tokens`; an id >= V is an error naming its position.
pub fn logq_for_ids(psi: &PsiTopK, tokens: &[u32]) -> Result<Vec<f64>, ArgumentError> {
    let table = LogqTable::new(psi);
    tokens
        .iter()
        .enumerate()
        .map(|(position, &token)| {
            if token >= psi.vocab() {
                return Err(ArgumentError::new(
                    "tokens",
                    format!(
                        "token {token} at position {position} is out of range for vocab = {}",
                        psi.vocab()
                    ),
                ));
            }
            Ok(match psi.ids().binary_search(&token) {
                Ok(slot) => table.slot(slot),
                Err(_) => table.tail(),
            })
        })
        .collect()
}

/// log q for every token 0..V.
pub fn dense_logq(psi: &PsiTopK) -> Vec<f64> {
    let table = LogqTable::new(psi);
    let mut out = vec![table.tail(); psi.vocab() as usize];
    for (slot, &id) in psi.ids().iter().enumerate() {
        out[id as usize] = table.slot(slot);
    }
    out
}

/// log q(x_i | x_{i−1}) of each position of the L-token block `tokens` under a chain payload:
/// position i's value is [`logq_for_ids`] of the conditional payload x_{i−1} selects.
pub fn chain_logq(chain: &PsiChain, tokens: &[u32]) -> Result<Vec<f64>, ArgumentError> {
    chain.check_block(tokens)?;
    let mut out = Vec::with_capacity(tokens.len());
    for (psi, &token) in chain.conditionals_for(tokens).iter().zip(tokens) {
        out.push(logq_for_ids(psi, &[token])?[0]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psi() -> PsiTopK {
        PsiTopK::new(6, vec![0, 2, 5], vec![0, 100, 255], 0.02, 0.8, 0.05).unwrap()
    }

    #[test]
    fn matches_the_closed_form() {
        let psi = psi();
        let step = f64::from(0.02f32) / f64::from(0.8f32);
        let logits: Vec<f64> = [0.0, 100.0, 255.0].iter().map(|c| c * step).collect();
        let z: f64 = logits.iter().map(|x: &f64| x.exp()).sum();
        let top = 1.0 - 3.0 * 0.05f32 as f64;
        let dense = dense_logq(&psi);
        for (slot, &id) in [0usize, 2, 5].iter().enumerate() {
            let expected = (top * logits[slot].exp() / z).ln();
            assert!((dense[id] - expected).abs() < 1e-12);
        }
        for id in [1, 3, 4] {
            assert_eq!(dense[id], (0.05f32 as f64).ln());
        }
        let total: f64 = dense.iter().map(|l| l.exp()).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        let psi = psi();
        let dense = dense_logq(&psi);
        let all: Vec<u32> = (0..6).collect();
        let listed = logq_for_ids(&psi, &all).unwrap();
        for (a, b) in dense.iter().zip(&listed) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn zero_eps_gives_minus_infinity_in_the_tail() {
        let psi = PsiTopK::new(4, vec![1], vec![9], 0.5, 1.0, 0.0).unwrap();
        let dense = dense_logq(&psi);
        assert_eq!(dense[1], 0.0);
        assert_eq!(dense[0], f64::NEG_INFINITY);
    }

    #[test]
    fn out_of_range_tokens_are_named() {
        let err = logq_for_ids(&psi(), &[1, 6]).unwrap_err();
        assert_eq!(err.field, "tokens");
        assert!(err.reason.contains("token 6 at position 1"));
    }
}
