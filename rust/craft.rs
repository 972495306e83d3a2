//! The proposer's side: craft a top-K ψ from a probability vector p.
//!
//! Ids: the K most probable tokens (ties to the lower id), sorted. Scores: ln p, quantised to
//! 8-bit codes over the payload's own finite score range, so scale = (max − min) / 255 and
//! score ≈ min + code · scale (the min drops out of the softmax). A top-K token with p = 0 gets
//! code 0. ε is given, or "auto": (1 − Σ top-K p) / max(V − K, 1), and 0 when K = V.

use crate::error::{ArgumentError, TsdError};
use crate::psi::{PsiTopK, MAX_VOCAB};
use crate::verify::NORMALISATION_TOLERANCE;

/// How to choose the tail probability ε.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EpsChoice {
    /// Spread the target's mass outside the top K evenly over the V − K other tokens.
    Auto,
    /// A fixed per-token tail probability.
    Fixed(f64),
}

/// Checks that `p` is a probability vector: finite, non-negative, summing to 1.
pub fn check_probabilities(p: &[f64]) -> Result<(), ArgumentError> {
    if p.is_empty() || p.len() > MAX_VOCAB as usize {
        return Err(ArgumentError::new(
            "p",
            format!("length must be in 1..={MAX_VOCAB}, got {}", p.len()),
        ));
    }
    if let Some(position) = p.iter().position(|&x| !(x.is_finite() && x >= 0.0)) {
        return Err(ArgumentError::new(
            "p",
            format!(
                "entry {position} is {}; probabilities must be finite and >= 0",
                p[position]
            ),
        ));
    }
    let total = p.iter().fold(0.0, |acc, &x| acc + x);
    if (total - 1.0).abs() > NORMALISATION_TOLERANCE {
        return Err(ArgumentError::new(
            "p",
            format!("sums to {total}, not 1 (tolerance {NORMALISATION_TOLERANCE})"),
        ));
    }
    Ok(())
}

/// Indices of the `k` largest entries (ties to the lower index), in ascending index order.
pub fn top_k_ids(p: &[f64], k: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..p.len() as u32).collect();
    let by_mass_then_id =
        |a: &u32, b: &u32| p[*b as usize].total_cmp(&p[*a as usize]).then(a.cmp(b));
    if k < order.len() {
        order.select_nth_unstable_by(k, by_mass_then_id);
        order.truncate(k);
    }
    order.sort_unstable();
    order
}

/// Quantises scores to 8-bit codes over their own finite range; returns (codes, scale).
/// Non-finite scores (ln 0) get code 0.
pub fn quantise_scores(scores: &[f64]) -> (Vec<u8>, f32) {
    let finite = scores.iter().copied().filter(|s| s.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
        (lo.min(s), hi.max(s))
    });
    // No finite score, or all equal: every code is 0 and the step is 0 (uniform over the ids).
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) {
        return (vec![0; scores.len()], 0.0);
    }
    let scale = ((max - min) / 255.0) as f32;
    let step = f64::from(scale);
    let codes = scores
        .iter()
        .map(|&s| {
            if s.is_finite() {
                // The quotient lies in [0, 255 + rounding]; `as u8` saturates the rounding.
                ((s - min) / step).round() as u8
            } else {
                0
            }
        })
        .collect();
    (codes, scale)
}

/// Rounds ε to wire precision, stepping one f32 ulp down if rounding up broke (V − K)·ε < 1.
fn eps_to_wire(eps: f64, tail_count: u32) -> f32 {
    let rounded = eps as f32;
    if rounded > 0.0
        && f64::from(tail_count) * f64::from(rounded) >= 1.0
        && eps * f64::from(tail_count) < 1.0
    {
        f32::from_bits(rounded.to_bits() - 1)
    } else {
        rounded
    }
}

/// Crafts ψ from `p` with `k` explicit tokens, temperature `tau` and the chosen ε.
pub fn craft_topk(p: &[f64], k: usize, tau: f32, eps: EpsChoice) -> Result<PsiTopK, TsdError> {
    check_probabilities(p)?;
    if k == 0 || k > p.len() {
        return Err(ArgumentError::new(
            "K",
            format!("must be in 1..={} (the vocabulary size), got {k}", p.len()),
        )
        .into());
    }
    let ids = top_k_ids(p, k);
    let scores: Vec<f64> = ids.iter().map(|&id| libm::log(p[id as usize])).collect();
    let (codes, scale) = quantise_scores(&scores);
    let vocab = p.len() as u32;
    let tail_count = vocab - k as u32;
    let eps = match eps {
        EpsChoice::Auto if tail_count == 0 => 0.0,
        EpsChoice::Auto => {
            let top_mass = ids.iter().fold(0.0, |acc, &id| acc + p[id as usize]);
            // p sums to 1 within tolerance, so a negative remainder is rounding noise.
            (1.0 - top_mass).max(0.0) / f64::from(tail_count)
        }
        EpsChoice::Fixed(eps) => eps,
    };
    Ok(PsiTopK::new(
        vocab,
        ids,
        codes,
        scale,
        tau,
        eps_to_wire(eps, tail_count),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PsiValidationError;

    #[test]
    fn picks_the_heaviest_ids_with_ties_to_the_lower_id() {
        assert_eq!(top_k_ids(&[0.1, 0.3, 0.3, 0.2, 0.1], 2), vec![1, 2]);
        assert_eq!(top_k_ids(&[0.25; 4], 3), vec![0, 1, 2]);
        assert_eq!(top_k_ids(&[0.5, 0.5], 2), vec![0, 1]);
    }

    #[test]
    fn quantisation_spans_the_payload_range() {
        let scores = [-3.0, -1.0, -2.0, -2.7, f64::NEG_INFINITY];
        let (codes, scale) = quantise_scores(&scores);
        assert_eq!((codes[0], codes[1], codes[4]), (0, 255, 0));
        assert!((f64::from(scale) - 2.0 / 255.0).abs() < 1e-9);
        for (&score, &code) in scores.iter().zip(&codes).take(4) {
            let decoded = -3.0 + f64::from(code) * f64::from(scale);
            assert!((decoded - score).abs() <= f64::from(scale) / 2.0 + 1e-12);
        }
        assert_eq!(quantise_scores(&[-1.0, -1.0]), (vec![0, 0], 0.0));
    }

    #[test]
    fn auto_eps_spreads_the_remaining_mass() {
        let p = [0.4, 0.3, 0.2, 0.1];
        let psi = craft_topk(&p, 2, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(psi.ids(), &[0, 1]);
        assert_eq!(psi.eps(), 0.15f32);
        let full = craft_topk(&p, 4, 1.0, EpsChoice::Auto).unwrap();
        assert_eq!(full.eps(), 0.0);
    }

    #[test]
    fn auto_eps_never_rounds_past_the_bound() {
        let vocab = 1usize << 24;
        let p = vec![1.0 / vocab as f64; vocab];
        let psi = craft_topk(&p, 1, 1.0, EpsChoice::Auto).unwrap();
        assert!(psi.tail_mass() < 1.0);
    }

    #[test]
    fn bad_arguments_name_their_field() {
        let err = |r: Result<PsiTopK, TsdError>| r.unwrap_err();
        match err(craft_topk(&[0.5, 0.4], 1, 1.0, EpsChoice::Auto)) {
            TsdError::Argument(a) => assert_eq!(a.field, "p"),
            other => panic!("{other:?}"),
        }
        match err(craft_topk(&[0.5, 0.5], 3, 1.0, EpsChoice::Auto)) {
            TsdError::Argument(a) => assert_eq!(a.field, "K"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            err(craft_topk(&[0.5, 0.5], 1, 0.0, EpsChoice::Auto)),
            TsdError::PsiValidation(PsiValidationError::InvalidTau { .. })
        ));
        assert!(matches!(
            err(craft_topk(&[0.5, 0.5], 1, 1.0, EpsChoice::Fixed(1.5))),
            TsdError::PsiValidation(PsiValidationError::InvalidEps { .. })
        ));
    }
}
